//! Create bodies compared with what the Docker CLI 28 sent to a stub
//! daemon for the same command lines (testdata/create/*.json).

use super::*;
use crate::applets::docker::args::{CREATE, CommandSpec, RUN, parse};

fn env(name: &str) -> Option<String> {
    (name == "HOME").then(|| "/root".to_string())
}

fn request(spec: &'static CommandSpec, words: &[&str]) -> Result<CreateRequest, String> {
    let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    let parsed = parse(spec, &words).map_err(|e| format!("{e:?}"))?;
    let context = ClientContext {
        lookup_env: &env,
        cwd: Path::new("/tmp"),
    };
    create_request(&parsed, spec.name == "run", &context)
}

fn golden(name: &str) -> Json {
    let text = match name {
        "create_default" => include_str!("testdata/create/create_default.json"),
        "create_full" => include_str!("testdata/create/create_full.json"),
        "create_net" => include_str!("testdata/create/create_net.json"),
        "create_nohealth" => include_str!("testdata/create/create_nohealth.json"),
        "create_entry_empty" => include_str!("testdata/create/create_entry_empty.json"),
        "run_detach" => include_str!("testdata/create/run_detach.json"),
        "run_i" => include_str!("testdata/create/run_i.json"),
        "run_attach" => include_str!("testdata/create/run_attach.json"),
        "create_i" => include_str!("testdata/create/create_i.json"),
        "run_it_noterm" => include_str!("testdata/create/run_it_noterm.json"),
        other => panic!("no golden {other}"),
    };
    serde_json::from_str(text).unwrap()
}

/// Compares field by field so a failure names the field.
fn assert_same(got: &Json, want: &Json, path: &str) {
    match (got, want) {
        (Json::Object(g), Json::Object(w)) => {
            for key in w.keys() {
                assert!(g.contains_key(key), "{path}.{key} missing");
            }
            for key in g.keys() {
                assert!(w.contains_key(key), "{path}.{key} not sent by docker");
                assert_same(&g[key], &w[key], &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

#[test]
fn simple_command_lines() {
    let cases: &[(&str, &'static CommandSpec, &[&str])] = &[
        ("create_default", &CREATE, &["busybox"]),
        ("create_i", &CREATE, &["-i", "busybox"]),
        ("create_nohealth", &CREATE, &["--no-healthcheck", "busybox"]),
        (
            "create_entry_empty",
            &CREATE,
            &["--entrypoint", "", "busybox"],
        ),
        ("run_detach", &RUN, &["-d", "busybox"]),
        ("run_i", &RUN, &["-i", "busybox", "cat"]),
        ("run_attach", &RUN, &["-a", "stdout", "busybox"]),
        ("run_it_noterm", &RUN, &["-t", "busybox", "sh"]),
        (
            "create_net",
            &CREATE,
            &[
                "--network",
                "mynet",
                "--network-alias",
                "a1",
                "--ip",
                "10.0.0.5",
                "--link",
                "other:alias",
                "busybox",
            ],
        ),
    ];
    for (name, spec, words) in cases {
        let got = request(spec, words).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same(
            &serde_json::to_value(&got.body).unwrap(),
            &golden(name),
            name,
        );
    }
}

#[test]
fn every_flag_family_at_once() {
    let dir = std::env::temp_dir().join(format!("dockbox-request-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let env_file = dir.join("env.list");
    let label_file = dir.join("labels.list");
    std::fs::write(&env_file, "FROMFILE=1\n").unwrap();
    std::fs::write(&label_file, "lf=1\n").unwrap();
    let env_file = env_file.to_string_lossy().into_owned();
    let label_file = label_file.to_string_lossy().into_owned();
    let words = [
        "--name",
        "web",
        "-h",
        "myhost",
        "--domainname",
        "example.org",
        "-u",
        "1000:1000",
        "-w",
        "/work",
        "--entrypoint",
        "/bin/sh",
        "-e",
        "A=1",
        "--env-file",
        &env_file,
        "-l",
        "x=y",
        "--label-file",
        &label_file,
        "-v",
        "/host:/ctr:ro",
        "-v",
        "/anon",
        "--mount",
        "type=tmpfs,target=/t",
        "--tmpfs",
        "/run:size=64m",
        "--restart",
        "on-failure:3",
        "-m",
        "64m",
        "--memory-swap",
        "128m",
        "--memory-reservation",
        "32m",
        "--cpus",
        "1.5",
        "-c",
        "512",
        "--cpu-quota",
        "50000",
        "--cpu-period",
        "100000",
        "--cpuset-cpus",
        "0-1",
        "--cpuset-mems",
        "0",
        "--pids-limit",
        "100",
        "--ulimit",
        "nofile=1024:2048",
        "--cap-add",
        "net_admin",
        "--cap-drop",
        "chown",
        "--privileged",
        "--read-only",
        "--security-opt",
        "no-new-privileges",
        "--init",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--device",
        "/dev/null",
        "--add-host",
        "a:1.2.3.4",
        "--dns",
        "8.8.8.8",
        "--dns-search",
        "example.org",
        "--dns-option",
        "ndots:2",
        "--group-add",
        "audio",
        "--oom-score-adj",
        "100",
        "--shm-size",
        "128m",
        "--ipc",
        "private",
        "--pid",
        "host",
        "--uts",
        "host",
        "--network",
        "mynet",
        "-p",
        "8080:80",
        "-P",
        "--expose",
        "9000",
        "--stop-signal",
        "SIGTERM",
        "--stop-timeout",
        "20",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=10m",
        "--health-cmd",
        "curl -f http://localhost",
        "--health-interval",
        "30s",
        "--health-timeout",
        "5s",
        "--health-retries",
        "3",
        "--health-start-period",
        "10s",
        "--health-start-interval",
        "2s",
        "--oom-kill-disable",
        "--memory-swappiness",
        "10",
        "--blkio-weight",
        "300",
        "--cgroupns",
        "private",
        "--cgroup-parent",
        "/parent",
        "--cidfile",
        "/tmp/cid",
        "--volumes-from",
        "other",
        "--volume-driver",
        "local",
        "--runtime",
        "runc",
        "--annotation",
        "k=v",
        "--storage-opt",
        "size=10G",
        "--network-alias",
        "web1",
        "--ip",
        "172.20.0.5",
        "--userns",
        "host",
        "--isolation",
        "default",
        "-t",
        "-i",
        "busybox",
        "sh",
        "-c",
        "echo hi",
    ];
    let got = request(&CREATE, &words);
    std::fs::remove_dir_all(&dir).unwrap();
    let got = got.unwrap();
    assert_same(
        &serde_json::to_value(&got.body).unwrap(),
        &golden("create_full"),
        "create_full",
    );
    assert_eq!(got.name.as_deref(), Some("web"));
    assert_eq!(got.pull, "missing");
}

#[test]
fn query_parameters() {
    let got = request(
        &CREATE,
        &["--platform", "linux/arm64", "--pull", "never", "busybox"],
    )
    .unwrap();
    assert_eq!(got.platform.as_deref(), Some("linux/arm64"));
    assert_eq!(got.pull, "never");
    assert_eq!(got.name, None);
}

#[test]
fn errors_as_docker_prints_them() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--network-alias", "x", "busybox"],
            "network-scoped aliases are only supported for user-defined networks",
        ),
        (
            &["--pull", "bogus", "busybox"],
            "invalid pull option: 'bogus': must be one of \"always\", \"missing\" or \"never\"",
        ),
        (&["-p", "abc", "busybox"], "invalid containerPort: abc"),
        (
            &["--restart", ":3", "busybox"],
            "invalid restart policy format: no policy provided before colon",
        ),
        (
            &["--device", "/dev/null:rel", "busybox"],
            "rel is not an absolute path",
        ),
        (
            &["--security-opt", "bogus", "busybox"],
            "Invalid --security-opt: \"bogus\"",
        ),
        (
            &["--env-file", "/nonexistent/env", "busybox"],
            "open /nonexistent/env: no such file or directory",
        ),
        (
            &["-v", "/a::/b", "busybox"],
            "invalid spec: /a::/b: empty section between colons",
        ),
        (
            &["--no-healthcheck", "--health-cmd", "x", "busybox"],
            "--no-healthcheck conflicts with --health-* options",
        ),
        // Checked as the flag is read, as pflag does with ValidateAttach.
        (
            &["-a", "bogus", "busybox"],
            r#"Flag("invalid argument \"bogus\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR")"#,
        ),
    ];
    for (words, want) in cases {
        assert_eq!(request(&CREATE, words).unwrap_err(), *want, "{words:?}");
    }
    assert_eq!(
        request(&RUN, &["-d", "-a", "stdout", "busybox"]).unwrap_err(),
        "Conflicting options: -a and -d"
    );
}

#[test]
fn units_reach_the_body_from_their_one_parse() {
    // Each unit is parsed once, when the flag is read, into the type the
    // body carries: bytes, billionths of a CPU, nanoseconds.
    let got = request(
        &RUN,
        &[
            "-m",
            "512m",
            "--memory-swap",
            "-1",
            "--shm-size",
            "1g",
            "--cpus",
            "0.25",
            "--health-cmd",
            "true",
            "--health-interval",
            "1m30s",
            "--blkio-weight",
            "0x20",
            "busybox",
        ],
    )
    .unwrap();
    let host = got.body.host_config.as_ref().unwrap();
    assert_eq!(host.memory, 512 << 20);
    assert_eq!(host.memory_swap, -1);
    assert_eq!(host.shm_size, 1 << 30);
    assert_eq!(host.nano_cpus, 250_000_000);
    assert_eq!(host.blkio_weight, Some(32));
    let health = got.body.config.healthcheck.as_ref().unwrap();
    assert_eq!(health.interval, 90_000_000_000);
    assert_eq!(health.test, Some(vec!["CMD-SHELL".into(), "true".into()]));
    // A value that does not parse never reaches the body as a zero.
    let refused = request(&RUN, &["-m", "lots", "busybox"]).unwrap_err();
    assert!(
        refused.starts_with("Flag(") && refused.contains("--memory"),
        "{refused}"
    );
}

#[test]
fn a_mount_is_read_once_with_its_flag() {
    let got = request(
        &CREATE,
        &["--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "busybox"],
    )
    .unwrap();
    let mounts = got.body.host_config.unwrap().mounts.unwrap();
    assert_eq!(mounts[0].target, "/t");
    assert_eq!(
        mounts[0].tmpfs_options.as_ref().unwrap().size_bytes,
        1 << 20
    );
}
