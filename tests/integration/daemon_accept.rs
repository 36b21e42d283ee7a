//! The acceptance list of the daemon issue, item by item, through the real
//! Docker CLI: `ps` with every filter and option, `inspect --format`, and
//! `run --rm` with --read-only, --cap-drop ALL, --user, -v and --tmpfs.

use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::busybox::{BusyboxRootfs, write_rootfs_tar};
use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::require;
use std::collections::BTreeSet;

/// `docker ps ARGS --format {{.Names}}` as a set of names.
fn names(daemon: &TestDaemon, args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["ps"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "{{.Names}}"]);
    ok(daemon, &daemon.docker(&all))
        .lines()
        .map(str::to_string)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Imports the busybox rootfs again as `other:v1`: a second image, so the
/// ancestor filter has something to tell apart.
fn import_other(daemon: &TestDaemon) -> String {
    let dir = TempDir::new("accept-other");
    let rootfs = BusyboxRootfs::build(&dir.join("rootfs")).unwrap();
    let tar = dir.join("rootfs.tar");
    write_rootfs_tar(&rootfs.path, std::fs::File::create(&tar).unwrap()).unwrap();
    let output = daemon.docker(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV PATH=/bin",
        &tar.to_string_lossy(),
        "other:v1",
    ]);
    ok(daemon, &output).trim().to_string()
}

#[test]
fn ps_filters_and_options_through_the_cli() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("accept-ps");
    let _leftovers = Leftovers::of(&daemon);
    let other_id = import_other(&daemon);
    let busybox_id = inspect(&daemon, "busybox", "{{.Id}}");
    // Created in this order, a little apart so `before`/`since` and the
    // newest-first order are unambiguous.
    let steps: &[&[&str]] = &[
        &[
            "run",
            "-d",
            "--name",
            "web",
            "-l",
            "tier=front",
            "-l",
            "app",
            "busybox",
            "sh",
            "-c",
            "head -c 100000 /dev/zero > /blob; sleep 300",
        ],
        &[
            "create",
            "--name",
            "made",
            "-l",
            "tier=back",
            "busybox",
            "true",
        ],
        &["run", "--name", "fine", "busybox", "true"],
        &[
            "run", "--name", "bad", "-l", "app", "busybox", "sh", "-c", "exit 3",
        ],
        &["run", "-d", "--name", "frozen", "other:v1", "sleep", "300"],
    ];
    for step in steps {
        let output = daemon.docker(step);
        if step[0] == "run" && step.contains(&"bad") {
            assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
        } else {
            ok(&daemon, &output);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ok(&daemon, &daemon.docker(&["pause", "frozen"]));
    let web_id = inspect(&daemon, "web", "{{.Id}}");
    let everyone = set(&["web", "made", "fine", "bad", "frozen"]);

    assert_eq!(names(&daemon, &[]), set(&["web", "frozen"]));
    assert_eq!(names(&daemon, &["-a"]), everyone);
    // Newest first.
    let ordered = ok(
        &daemon,
        &daemon.docker(&["ps", "-a", "--format", "{{.Names}}"]),
    );
    assert_eq!(ordered, "frozen\nbad\nfine\nmade\nweb\n");
    let cases: &[(&str, &[&str])] = &[
        ("id=", &[]),
        ("name=web", &["web"]),
        ("name=^fr", &["frozen"]),
        ("label=app", &["web", "bad"]),
        ("label=tier", &["web", "made"]),
        ("label=tier=back", &["made"]),
        ("status=created", &["made"]),
        ("status=running", &["web"]),
        ("status=paused", &["frozen"]),
        ("status=exited", &["fine", "bad"]),
        ("exited=0", &["fine"]),
        ("exited=3", &["bad"]),
        ("ancestor=busybox", &["web", "made", "fine", "bad"]),
        ("ancestor=busybox:latest", &["web", "made", "fine", "bad"]),
        ("ancestor=other:v1", &["frozen"]),
        ("before=fine", &["web", "made"]),
        ("since=fine", &["bad", "frozen"]),
    ];
    for (filter, expected) in cases {
        let filter = if *filter == "id=" {
            format!("id={}", &web_id[..12])
        } else {
            filter.to_string()
        };
        let expected = if filter.starts_with("id=") {
            set(&["web"])
        } else {
            set(expected)
        };
        assert_eq!(
            names(&daemon, &["-a", "--filter", &filter]),
            expected,
            "{filter}"
        );
    }
    assert_eq!(
        names(
            &daemon,
            &["-a", "--filter", &format!("ancestor={busybox_id}")]
        ),
        set(&["web", "made", "fine", "bad"])
    );
    assert_eq!(
        names(
            &daemon,
            &["-a", "--filter", &format!("ancestor={}", &other_id[7..19])]
        ),
        set(&["frozen"])
    );
    // Filters of one key are ORed, of different keys ANDed.
    assert_eq!(
        names(
            &daemon,
            &[
                "-a",
                "--filter",
                "status=exited",
                "--filter",
                "status=created"
            ]
        ),
        set(&["made", "fine", "bad"])
    );
    assert_eq!(
        names(
            &daemon,
            &["-a", "--filter", "label=app", "--filter", "status=exited"]
        ),
        set(&["bad"])
    );
    // Without -a, a status filter still finds stopped containers.
    assert_eq!(
        names(&daemon, &["--filter", "status=exited"]),
        set(&["fine", "bad"])
    );

    // -q prints short IDs, -n the last N created (stopped ones too), -l
    // the latest.
    let quiet = ok(&daemon, &daemon.docker(&["ps", "-q"]));
    let quiet: BTreeSet<&str> = quiet.lines().collect();
    let frozen_id = inspect(&daemon, "frozen", "{{.Id}}");
    assert_eq!(quiet, BTreeSet::from([&web_id[..12], &frozen_id[..12]]));
    let last_two = ok(
        &daemon,
        &daemon.docker(&["ps", "-n", "2", "--format", "{{.Names}}"]),
    );
    assert_eq!(last_two, "frozen\nbad\n");
    let latest = ok(
        &daemon,
        &daemon.docker(&["ps", "-l", "--format", "{{.Names}}"]),
    );
    assert_eq!(latest, "frozen\n");
    let latest_q = ok(&daemon, &daemon.docker(&["ps", "-lq"]));
    assert_eq!(latest_q.trim(), &frozen_id[..12]);

    // -s: the writable layer's size, and that plus the image's.
    let sized = ok(
        &daemon,
        &daemon.docker(&["ps", "-s", "--filter", "name=web", "--format", "{{.Size}}"]),
    );
    let (rw, virtual_size) = sized
        .trim()
        .split_once(" (virtual ")
        .unwrap_or_else(|| panic!("size column: {sized:?}"));
    assert!(rw.ends_with("kB"), "the 100 kB blob: {sized}");
    let rw_kb: f64 = rw.trim_end_matches("kB").parse().unwrap();
    assert!((100.0..120.0).contains(&rw_kb), "{sized}");
    assert!(virtual_size.ends_with("MB)"), "{sized}");
    let table = ok(&daemon, &daemon.docker(&["ps", "-a", "-s"]));
    assert!(
        table.lines().next().unwrap().trim_end().ends_with("SIZE"),
        "{table}"
    );
    // The API's fields behind it (moby omits a zero SizeRw).
    let raw = daemon.connect().get("/containers/json?size=1&all=1");
    assert_eq!(raw.status, 200);
    for container in raw.json().as_array().unwrap() {
        let rw = container["SizeRw"].as_i64().unwrap_or(0);
        let root = container["SizeRootFs"].as_i64().unwrap();
        assert!(root > rw && root > 1_000_000, "{container}");
        if container["Names"][0] == "/web" {
            assert!(rw >= 100_000, "{container}");
        }
    }

    ok(&daemon, &daemon.docker(&["rm", "-f", "web", "frozen"]));
    ok(&daemon, &daemon.docker(&["rm", "made", "fine", "bad"]));
    assert_eq!(ok(&daemon, &daemon.docker(&["ps", "-aq"])), "");
}

#[test]
fn inspect_format_through_the_cli() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("accept-inspect");
    let _leftovers = Leftovers::of(&daemon);
    let status = daemon.docker(&[
        "run", "--name", "fmt", "-m", "64m", "-l", "b=2", "-l", "a=1", "busybox", "sh", "-c",
        "exit 4",
    ]);
    assert_eq!(status.status.code(), Some(4));
    assert_eq!(inspect(&daemon, "fmt", "{{.State.ExitCode}}"), "4");
    assert_eq!(
        inspect(&daemon, "fmt", "{{.HostConfig.Memory}}"),
        "67108864"
    );
    assert_eq!(
        inspect(&daemon, "fmt", "{{json .Config.Labels}}"),
        r#"{"a":"1","b":"2"}"#
    );
    assert_eq!(inspect(&daemon, "fmt", "{{.Name}}"), "/fmt");
    assert_eq!(
        inspect(
            &daemon,
            "fmt",
            "{{.State.Status}} {{.State.Running}} {{.Config.Image}}"
        ),
        "exited false busybox"
    );
    assert_eq!(
        inspect(&daemon, "fmt", "{{json .Config.Cmd}}"),
        r#"["sh","-c","exit 4"]"#
    );
    // Several objects, one line each.
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "second", "busybox"]),
    );
    let both = ok(
        &daemon,
        &daemon.docker(&[
            "inspect",
            "--format",
            "{{.Name}}={{.State.Status}}",
            "fmt",
            "second",
        ]),
    );
    assert_eq!(both, "/fmt=exited\n/second=created\n");
    // A template error is the CLI's; a missing object fails after the rest.
    let partial = daemon.docker(&["inspect", "--format", "{{.Name}}", "fmt", "nosuch"]);
    assert_eq!(partial.status.code(), Some(1));
    assert_eq!(stdout_of(&partial), "/fmt\n");
    assert!(
        stderr_of(&partial).contains("No such object: nosuch"),
        "{}",
        stderr_of(&partial)
    );
    ok(&daemon, &daemon.docker(&["rm", "fmt", "second"]));
}

/// `docker run --rm busybox sh -c SCRIPT` with `options`: (exit code,
/// stdout, stderr).
fn run_rm(daemon: &TestDaemon, options: &[&str], script: &str) -> (i32, String, String) {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    let output = daemon.docker(&args);
    let code = output.status.code().unwrap_or(-1);
    // 125 is the CLI's own failure: never what these scripts exit with.
    assert_ne!(
        code,
        125,
        "{args:?}: {}\ndaemon log:\n{}",
        stderr_of(&output),
        daemon.log()
    );
    (code, stdout_of(&output), stderr_of(&output))
}

#[test]
fn run_rm_with_read_only_cap_drop_user_volume_and_tmpfs() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("accept-run");
    let _leftovers = Leftovers::of(&daemon);

    // --read-only: / refuses writes, a tmpfs on it takes them.
    let (code, out, err) = run_rm(
        &daemon,
        &["--read-only", "--tmpfs", "/scratch"],
        "touch /nope 2>&1; echo rc=$?; echo hi > /scratch/f && cat /scratch/f",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Read-only file system"), "{out}");
    assert!(out.contains("rc=1\nhi\n"), "{out}");
    let (code, out, _) = run_rm(&daemon, &[], "touch /yes && echo writable");
    assert_eq!((code, out.as_str()), (0, "writable\n"));

    // --ulimit -1 is no limit, as dockerd 20.10 makes it (the control is
    // dropin_docker::negative_ulimit_is_unlimited).
    let (code, out, err) = run_rm(
        &daemon,
        &["--ulimit", "core=-1:-1"],
        "ulimit -S -c; ulimit -H -c",
    );
    assert_eq!((code, out.as_str()), (0, "unlimited\nunlimited\n"), "{err}");

    // --cap-drop ALL: no effective capability; the default set otherwise.
    let (code, out, _) = run_rm(
        &daemon,
        &["--cap-drop", "ALL"],
        "grep CapEff /proc/self/status",
    );
    assert_eq!(code, 0);
    assert_eq!(
        out.split_whitespace().nth(1),
        Some("0000000000000000"),
        "{out}"
    );
    let (_, out, _) = run_rm(&daemon, &[], "grep CapEff /proc/self/status");
    assert_eq!(
        out.split_whitespace().nth(1),
        Some("00000000a80425fb"),
        "{out}"
    );
    let (_, out, _) = run_rm(
        &daemon,
        &["--cap-drop", "ALL", "--cap-add", "CHOWN"],
        "grep CapEff /proc/self/status",
    );
    assert_eq!(
        out.split_whitespace().nth(1),
        Some("0000000000000001"),
        "{out}"
    );

    // --user 1000:1000.
    let (code, out, err) = run_rm(&daemon, &["--user", "1000:1000"], "id");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("uid=1000 gid=1000"), "{out}");
    let (_, out, _) = run_rm(
        &daemon,
        &["--user", "1000:1000", "--group-add", "27"],
        "id -G",
    );
    assert_eq!(out.trim(), "1000 27");

    // -v /hostdir:/data: both ways; :ro refuses writes.
    let host = TempDir::new("accept-volume");
    std::fs::write(host.join("from-host"), "host text\n").unwrap();
    let bind = format!("{}:/data", host.path().display());
    let (code, out, err) = run_rm(
        &daemon,
        &["-v", &bind],
        "cat /data/from-host; echo container text > /data/from-container",
    );
    assert_eq!((code, out.as_str()), (0, "host text\n"), "{err}");
    assert_eq!(
        std::fs::read_to_string(host.join("from-container")).unwrap(),
        "container text\n"
    );
    let bind_ro = format!("{bind}:ro");
    let (code, out, _) = run_rm(
        &daemon,
        &["-v", &bind_ro],
        "cat /data/from-host; touch /data/ro 2>&1; echo rc=$?",
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("host text\n"), "{out}");
    assert!(
        out.contains("Read-only file system") && out.ends_with("rc=1\n"),
        "{out}"
    );
    assert!(!host.join("ro").exists());
    // --mount type=bind, the long form.
    let mount = format!(
        "type=bind,source={},target=/m,readonly",
        host.path().display()
    );
    let (code, out, _) = run_rm(&daemon, &["--mount", &mount], "cat /m/from-host");
    assert_eq!((code, out.as_str()), (0, "host text\n"));
    // A missing host path for -v is created, as Docker does.
    let created = host.join("made-by-bind");
    let (code, _, err) = run_rm(
        &daemon,
        &["-v", &format!("{}:/new", created.display())],
        "test -d /new",
    );
    assert_eq!(code, 0, "{err}");
    assert!(created.is_dir());

    // --tmpfs /t: a tmpfs; size= is honoured.
    let (code, out, _) = run_rm(&daemon, &["--tmpfs", "/t"], "grep ' /t ' /proc/mounts");
    assert_eq!(code, 0);
    assert!(out.starts_with("tmpfs /t tmpfs rw,"), "{out}");
    let (code, out, _) = run_rm(
        &daemon,
        &["--tmpfs", "/t:size=1m"],
        "grep ' /t ' /proc/mounts; head -c 2000000 /dev/zero >/t/big; echo rc=$?; wc -c </t/big",
    );
    assert_eq!(code, 0);
    assert!(out.contains("size=1024k"), "{out}");
    assert!(
        out.ends_with("rc=1\n1048576\n"),
        "the write stops at 1 MiB: {out}"
    );
    let (_, out, _) = run_rm(
        &daemon,
        &["--tmpfs", "/t:ro"],
        "touch /t/x 2>&1; echo rc=$?",
    );
    assert!(out.ends_with("rc=1\n"), "{out}");

    // A `run --rm` whose start fails is removed too, so the CLI's wait
    // for the removal ends (it hung before).
    let mut command = std::process::Command::new(crate::daemon_support::DOCKER_CLI);
    command
        .args(["run", "--rm", "busybox", "no-such-command"])
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", daemon.dir.join("cli-config"));
    let failed =
        crate::harness::engine::run_with_timeout(&mut command, std::time::Duration::from_secs(30))
            .unwrap();
    assert_eq!(
        failed.status.code(),
        Some(127),
        "{}{}",
        stderr_of(&failed),
        daemon.log()
    );
    assert!(
        stderr_of(&failed).contains("no-such-command"),
        "{}",
        stderr_of(&failed)
    );

    assert_eq!(ok(&daemon, &daemon.docker(&["ps", "-aq"])), "");
}

#[test]
fn system_df_counts_containers_and_their_writable_layers() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("accept-df");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "live",
            "busybox",
            "sh",
            "-c",
            "head -c 100000 /dev/zero > /blob; sleep 300",
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--name",
            "ended",
            "busybox",
            "sh",
            "-c",
            "head -c 50000 /dev/zero > /blob",
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "fresh", "busybox"]),
    );
    crate::daemon_run::wait_for("the blob of live", || {
        let sized = daemon.docker(&["ps", "-s", "--filter", "name=live", "--format", "{{.Size}}"]);
        stdout_of(&sized).starts_with("100")
    });

    // The API: every container with its sizes, images with their counts.
    let raw = daemon.connect().get("/system/df");
    assert_eq!(raw.status, 200, "{}", raw.body_text());
    let usage = raw.json();
    let containers = usage["Containers"].as_array().unwrap();
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c["Names"][0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["/fresh", "/ended", "/live"]);
    let size_of = |name: &str| {
        containers
            .iter()
            .find(|c| c["Names"][0] == name)
            .map(|c| c["SizeRw"].as_i64().unwrap_or(0))
            .unwrap()
    };
    let (live, ended) = (size_of("/live"), size_of("/ended"));
    assert!((100_000..110_000).contains(&live), "{usage}");
    assert!((50_000..60_000).contains(&ended), "{usage}");
    assert_eq!(size_of("/fresh"), 0);
    let images = usage["Images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["Containers"], 3, "{usage}");
    assert!(usage["LayersSize"].as_i64().unwrap() > 1_000_000, "{usage}");
    assert_eq!(usage["Volumes"], serde_json::json!([]));
    assert_eq!(usage["BuildCache"], serde_json::json!([]));
    // type= picks the parts (API 1.42 and up).
    let only = daemon.connect().get("/v1.50/system/df?type=container");
    let only = only.json();
    assert_eq!(only["Containers"].as_array().unwrap().len(), 3);
    assert!(
        only["Images"].is_null() && only.get("LayersSize").is_none(),
        "{only}"
    );
    let bad = daemon.connect().get("/system/df?type=disk");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["message"], "unknown object type: disk");

    // The CLI's summary: 3 containers, 1 active; what the stopped ones
    // hold is reclaimable.
    let rows = ok(
        &daemon,
        &daemon.docker(&[
            "system",
            "df",
            "--format",
            "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}",
        ]),
    );
    let containers_row = rows
        .lines()
        .find(|line| line.starts_with("Containers|"))
        .unwrap_or_else(|| panic!("{rows}"));
    let fields: Vec<&str> = containers_row.split('|').collect();
    assert_eq!(&fields[..3], ["Containers", "3", "1"], "{rows}");
    assert!(fields[3].ends_with("kB"), "{rows}");
    let percent = (ended * 100) / (live + ended);
    assert!(fields[4].ends_with(&format!("kB ({percent}%)")), "{rows}");
    assert!(rows.contains("Images|1|1|"), "{rows}");
    let table = ok(&daemon, &daemon.docker(&["system", "df"]));
    assert!(table.starts_with("TYPE"), "{table}");

    // -v: one line per container with its own size.
    let verbose = ok(&daemon, &daemon.docker(&["system", "df", "-v"]));
    let section = verbose
        .split("Containers space usage:")
        .nth(1)
        .unwrap_or_else(|| panic!("{verbose}"));
    let live_line = section
        .lines()
        .find(|line| line.trim_end().ends_with(" live"))
        .unwrap_or_else(|| panic!("{verbose}"));
    assert!(
        live_line.contains("100kB") || live_line.contains("101kB"),
        "{verbose}"
    );
    assert!(live_line.contains("Up "), "{verbose}");
    let ended_line = section
        .lines()
        .find(|line| line.trim_end().ends_with(" ended"))
        .unwrap();
    assert!(ended_line.contains("Exited (0)"), "{verbose}");

    // docker-py reads the same.
    let script = r#"
import sys, docker
client = docker.DockerClient(base_url=sys.argv[1])
df = client.df()
sizes = {c["Names"][0]: c.get("SizeRw", 0) for c in df["Containers"]}
assert sizes["/live"] >= 100000 and sizes["/fresh"] == 0, sizes
assert df["Images"][0]["Containers"] == 3, df["Images"]
print("ok")
"#;
    if crate::harness::find_command("python3").is_some() {
        let output = crate::harness::run(std::process::Command::new("python3").args([
            "-c",
            script,
            &daemon.host(),
        ]));
        assert_eq!(stdout_of(&output).trim(), "ok", "{}", stderr_of(&output));
    }
    ok(
        &daemon,
        &daemon.docker(&["rm", "-f", "live", "ended", "fresh"]),
    );
}
