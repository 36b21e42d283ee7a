//! The container endpoints that need no running process, through the real
//! Docker CLI, docker-py and raw requests, on a busybox image imported
//! through the daemon itself.

use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_rootfs_tar};
use crate::harness::{self, TempDir, need_root, stderr_of, stdout_of};
use crate::require;
use std::process::Command;

/// A daemon that knows busybox:latest (imported with a label and a CMD),
/// and that image's ID.
fn daemon_with_busybox(label: &str) -> (TestDaemon, String) {
    let daemon = TestDaemon::start_in_dir(TempDir::new(label));
    let rootfs = BusyboxRootfs::build(&daemon.dir.join("rootfs")).unwrap();
    let tar = daemon.dir.join("rootfs.tar");
    write_rootfs_tar(&rootfs.path, std::fs::File::create(&tar).unwrap()).unwrap();
    let imported = daemon.docker(&[
        "import",
        "-c",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "LABEL org.example.base=busybox",
        tar.to_str().unwrap(),
        "busybox:latest",
    ]);
    let id = ok(&imported).trim().to_string();
    assert!(id.starts_with("sha256:"), "{id}");
    (daemon, id)
}

fn ok(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        stdout_of(output),
        stderr_of(output)
    );
    stdout_of(output)
}

fn failed(output: &std::process::Output) -> String {
    assert!(
        !output.status.success(),
        "unexpected success: {}",
        stdout_of(output)
    );
    stderr_of(output)
}

#[test]
fn cli_missing_image_unknown_container_and_empty_lists() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("ctr-empty");
    let never = failed(&daemon.docker(&["create", "--pull", "never", "busybox"]));
    assert!(never.contains("No such image: busybox:latest"), "{never}");
    let pulled = failed(&daemon.docker(&["create", "busybox"]));
    assert!(
        pulled.contains("Unable to find image 'busybox:latest' locally"),
        "{pulled}"
    );
    let inspect = failed(&daemon.docker(&["inspect", "nosuch"]));
    assert!(inspect.contains("No such object: nosuch"), "{inspect}");
    let container_inspect = failed(&daemon.docker(&["container", "inspect", "nosuch"]));
    assert!(
        container_inspect.contains("No such container: nosuch"),
        "{container_inspect}"
    );
    let rm = daemon.docker(&["rm", "nosuch"]);
    assert_eq!(rm.status.code(), Some(1));
    assert!(
        stderr_of(&rm).contains("Error response from daemon: No such container: nosuch"),
        "{}",
        stderr_of(&rm)
    );
    let rename = failed(&daemon.docker(&["rename", "nosuch", "other"]));
    assert!(rename.contains("No such container: nosuch"), "{rename}");
    for filter in [
        "status=exited",
        "exited=0",
        "label=a=b",
        "name=x",
        "id=abc",
        "ancestor=busybox",
        "health=none",
    ] {
        let lines = ok(&daemon.docker(&["ps", "-a", "--filter", filter]));
        assert_eq!(lines.lines().count(), 1, "{filter}: {lines}");
    }
    let bad = failed(&daemon.docker(&["ps", "-a", "--filter", "status=sleeping"]));
    assert!(bad.contains("invalid filter 'status=sleeping'"), "{bad}");
    let since = failed(&daemon.docker(&["ps", "-a", "--filter", "since=nosuch"]));
    assert!(since.contains("No such container: nosuch"), "{since}");
    let prune = ok(&daemon.docker(&["container", "prune", "-f"]));
    assert!(prune.contains("Total reclaimed space: 0B"), "{prune}");
    assert!(daemon.docker(&["version"]).status.success());
}

#[test]
fn raw_bad_bodies_get_400_and_the_daemon_stays_up() {
    require!(need_root());
    let daemon = TestDaemon::start("ctr-raw");
    let mut connection = daemon.connect();
    let post = |connection: &mut crate::daemon_support::RawConnection, path: &str, body: &str| {
        connection.send(
            format!(
                "POST {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        connection.read_response("POST")
    };
    let cases = [
        (r#"{"Image":"#, "invalid JSON: "),
        (
            r#"{"Image":"busybox","HostConfig":{"Memory":"64m"}}"#,
            "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64",
        ),
        (
            r#"{"Image":"busybox","Env":"A=1"}"#,
            "invalid JSON: json: cannot unmarshal string into Go struct field CreateRequest.Env of type []string",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"Memory":-1}}"#,
            "Minimum memory limit allowed is 6MB",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"NetworkMode":"none","RestartPolicy":{"Name":"sometimes"}}}"#,
            "invalid restart policy: unknown policy 'sometimes'",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"SecurityOpt":["bogus"]}}"#,
            "invalid --security-opt 1: \"bogus\"",
        ),
        (
            r#"[1,2]"#,
            "invalid JSON: json: cannot unmarshal array into Go value of type container.CreateRequest",
        ),
    ];
    for (body, message) in cases {
        let response = post(&mut connection, "/v1.50/containers/create", body);
        assert_eq!(response.status, 400, "{body}: {}", response.body_text());
        let got = response.json()["message"].as_str().unwrap().to_string();
        assert!(got.starts_with(message), "{body}: {got}");
    }
    let missing = post(
        &mut connection,
        "/v1.50/containers/create?name=web",
        r#"{"Image":"busybox","Cmd":["true"]}"#,
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["message"], "No such image: busybox:latest");
    let unknown = connection.get("/v1.50/containers/nosuch/json");
    assert_eq!(
        (unknown.status, unknown.json()["message"].as_str()),
        (404, Some("No such container: nosuch"))
    );
    let filter = connection.get("/containers/json?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D");
    assert_eq!(filter.status, 400);
    assert_eq!(filter.json()["message"], "invalid filter 'colour'");
    assert_eq!(connection.get("/_ping").status, 200);
}

#[test]
fn cli_create_inspect_ps_rename_rm_with_an_imported_image() {
    require!(need_root());
    require!(need_docker_cli());
    let (daemon, image_id) = daemon_with_busybox("ctr-cli");
    let id = ok(&daemon.docker(&[
        "create",
        "--name",
        "web",
        "--label",
        "tier=front",
        "-e",
        "A=1",
        "--memory",
        "64m",
        "--cap-drop",
        "ALL",
        "--tmpfs",
        "/t",
        "busybox",
        "echo",
        "hi",
    ]))
    .trim()
    .to_string();
    assert_eq!(id.len(), 64, "{id}");
    let format = "{{.Name}} {{.State.Status}} {{.Path}} {{.Args}} {{.HostConfig.Memory}} {{.Config.Image}} {{.Image}} {{index .Config.Labels \"tier\"}} {{index .Config.Labels \"org.example.base\"}} {{.State.Running}} {{.RestartCount}}";
    let shown = ok(&daemon.docker(&["inspect", "--format", format, "web"]));
    assert_eq!(
        shown.trim(),
        format!("/web created echo [hi] 67108864 busybox {image_id} front busybox false 0")
    );
    let env = ok(&daemon.docker(&["inspect", "--format", "{{json .Config.Env}}", &id[..12]]));
    assert!(
        env.contains("\"A=1\"") && env.contains("PATH=/usr/local/sbin"),
        "{env}"
    );
    // Name conflicts and bad names, now that the image exists.
    let conflict = failed(&daemon.docker(&["create", "--name", "web", "busybox"]));
    assert!(
        conflict.contains(&format!(
            "Conflict. The container name \"/web\" is already in use by container \"{id}\""
        )),
        "{conflict}"
    );
    let bad_name = failed(&daemon.docker(&["create", "--name", "-bad", "busybox"]));
    assert!(
        bad_name.contains("Invalid container name (-bad)"),
        "{bad_name}"
    );
    let memory = failed(&daemon.docker(&["create", "--memory", "1k", "busybox"]));
    assert!(
        memory.contains("Minimum memory limit allowed is 6MB"),
        "{memory}"
    );
    let other = ok(&daemon.docker(&["create", "busybox"]))
        .trim()
        .to_string();

    let ps = ok(&daemon.docker(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}|{{.Status}}|{{.Command}}|{{.Image}}",
    ]));
    let lines: Vec<&str> = ps.lines().collect();
    assert_eq!(lines.len(), 2, "{ps}");
    assert!(lines[1] == "web|Created|\"echo hi\"|busybox", "{ps}");
    assert!(ok(&daemon.docker(&["ps", "-q"])).trim().is_empty());
    let by_label = ok(&daemon.docker(&["ps", "-aq", "--no-trunc", "--filter", "label=tier=front"]));
    assert_eq!(by_label.trim(), id);
    let created = ok(&daemon.docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        "status=created",
        "--filter",
        "ancestor=busybox",
    ]));
    assert_eq!(created.lines().count(), 2);
    let before = ok(&daemon.docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("before={}", &other[..12]),
    ]));
    assert_eq!(before.trim(), id);
    let size = ok(&daemon.docker(&["ps", "-a", "-s", "--format", "{{.Size}}"]));
    assert_eq!(size.lines().count(), 2, "{size}");

    ok(&daemon.docker(&["rename", "web", "site"]));
    let renamed = ok(&daemon.docker(&["inspect", "--format", "{{.Name}}", &id]));
    assert_eq!(renamed.trim(), "/site");
    let again = failed(&daemon.docker(&["rename", "site", "site"]));
    assert!(
        again.contains("Renaming a container with the same name as its current name"),
        "{again}"
    );
    let dir = daemon.dir.join("data").join("containers").join(&id);
    assert!(dir.join("hosts").exists());
    assert_eq!(ok(&daemon.docker(&["rm", "site"])).trim(), "site");
    assert!(!dir.exists(), "the container's files are removed");
    let gone = failed(&daemon.docker(&["inspect", "site"]));
    assert!(gone.contains("No such object: site"), "{gone}");
    let pruned = ok(&daemon.docker(&["container", "prune", "-f"]));
    assert!(pruned.contains(&other), "{pruned}");
    assert_eq!(ok(&daemon.docker(&["ps", "-aq"])).trim(), "");
    let info = ok(&daemon.docker(&["info", "--format", "{{.Containers}}"]));
    assert_eq!(info.trim(), "0");
}

#[test]
fn docker_py_creates_lists_and_removes() {
    require!(need_root());
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let (daemon, _image_id) = daemon_with_busybox("ctr-py");
    let script = format!(
        r#"import docker
c = docker.DockerClient(base_url='{host}')
box = c.containers.create('busybox', ['sleep', '5'], name='py1', labels={{'k': 'v'}}, mem_limit='32m')
print(box.name, box.status, box.attrs['HostConfig']['Memory'])
print([x.name for x in c.containers.list(all=True, filters={{'label': ['k=v']}})])
print([x.name for x in c.containers.list(all=True, filters={{'status': ['running']}})])
try:
    c.containers.create('busybox', name='py1')
except docker.errors.APIError as e:
    print(e.status_code)
try:
    c.containers.get('nope')
except docker.errors.NotFound as e:
    print('notfound', e.status_code)
try:
    c.containers.create('busybox', mem_limit=-1)
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
box.rename('py2')
box.reload()
print(box.name)
box.remove()
print(c.containers.list(all=True), c.containers.prune())
"#,
        host = daemon.host()
    );
    let output = harness::run(Command::new("python3").args(["-c", &script]));
    assert!(
        output.status.success(),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert_eq!(
        stdout_of(&output),
        "py1 created 33554432\n['py1']\n[]\n409\nnotfound 404\n400 Minimum memory limit allowed is 6MB\npy2\n[] {'ContainersDeleted': None, 'SpaceReclaimed': 0}\n"
    );
}

#[test]
fn cli_create_options_reach_the_record() {
    require!(need_root());
    require!(need_docker_cli());
    let (daemon, _image_id) = daemon_with_busybox("ctr-options");
    let profile = daemon.dir.join("seccomp.json");
    std::fs::write(&profile, r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#).unwrap();
    let seccomp = format!("seccomp={}", profile.display());
    let created = daemon.docker(&[
        "create",
        "--name",
        "opts",
        "--init",
        "--privileged",
        "--cap-add",
        "NET_ADMIN",
        "--security-opt",
        &seccomp,
        "--security-opt",
        "no-new-privileges",
        "--read-only",
        "--user",
        "1000:1000",
        "-v",
        "/tmp:/d:ro",
        "--tmpfs",
        "/t:size=1m",
        "--restart",
        "on-failure:3",
        "--pids-limit",
        "20",
        "--cpus",
        "0.5",
        "--shm-size",
        "8m",
        "--ulimit",
        "nofile=100:200",
        "--add-host",
        "db:10.0.0.1",
        "--dns",
        "1.1.1.1",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "--group-add",
        "7",
        "--oom-score-adj",
        "10",
        "--network",
        "none",
        "--stop-signal",
        "SIGUSR1",
        "--stop-timeout",
        "3",
        "-w",
        "/work",
        "busybox",
        "sleep",
        "1",
    ]);
    let id = ok(&created).trim().to_string();
    assert!(
        stderr_of(&created).is_empty(),
        "no warning for --network none: {}",
        stderr_of(&created)
    );
    let format = "{{.HostConfig.Init}} {{.HostConfig.Privileged}} {{.HostConfig.CapAdd}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.HostConfig.Binds}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}} {{.HostConfig.ShmSize}} {{.Config.StopSignal}} {{.Config.StopTimeout}} {{.Config.WorkingDir}} {{.HostConfig.NetworkMode}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.GroupAdd}}";
    let shown = ok(&daemon.docker(&["inspect", "--format", format, "opts"]));
    assert_eq!(
        shown.trim(),
        "true true [CAP_NET_ADMIN] true 1000:1000 [/tmp:/d:ro] on-failure:3 20 500000000 8388608 SIGUSR1 3 /work none 10 [7]"
    );
    let security = ok(&daemon.docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.SecurityOpt}}",
        "opts",
    ]));
    assert!(
        security.contains("SCMP_ACT_ALLOW") && security.contains("no-new-privileges"),
        "{security}"
    );
    let dir = daemon.dir.join("data").join("containers").join(&id);
    let hosts = std::fs::read_to_string(dir.join("hosts")).unwrap();
    assert!(hosts.ends_with("10.0.0.1\tdb\n"), "{hosts}");
    assert_eq!(
        std::fs::read_to_string(dir.join("resolv.conf")).unwrap(),
        "nameserver 1.1.1.1\n"
    );
    let bad_signal = failed(&daemon.docker(&["create", "--stop-signal", "SIGFOO", "busybox"]));
    assert!(
        bad_signal.contains("Invalid signal: SIGFOO"),
        "{bad_signal}"
    );
    // The default bridge is real: no warning any more.
    let bridged = daemon.docker(&["create", "busybox"]);
    ok(&bridged);
    assert!(
        !stderr_of(&bridged).contains("WARNING"),
        "{}",
        stderr_of(&bridged)
    );
}
