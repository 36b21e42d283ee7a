//! Container networking through our daemon with the real Docker CLI:
//! `--network none` (loopback up, nothing else), `host` (the daemon's own
//! namespace) and the default bridge (docker0 172.17.0.0/16, the lowest
//! free address, reuse of freed ones, a default route, /etc/hosts, inspect's
//! NetworkSettings, containers reaching each other, a daemon restart).
//! Every daemon runs in a network namespace of its own (TestDaemon), so
//! docker0 and the veths are made there, never in the host's.

use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::require;

fn run(daemon: &TestDaemon, args: &[&str]) -> String {
    ok(daemon, &daemon.docker(args))
}

#[test]
fn network_none_has_only_loopback_and_it_is_up() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("net-none");
    let _leftovers = Leftovers::of(&daemon);
    let shown = run(
        &daemon,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "sh",
            "-c",
            "ls /sys/class/net; ip -o link show lo; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok",
        ],
    );
    let mut lines = shown.lines();
    assert_eq!(lines.next(), Some("lo"), "{shown}");
    let link = lines.next().unwrap_or_default();
    assert!(link.contains("<LOOPBACK,UP,LOWER_UP>"), "{shown}");
    assert_eq!(lines.next(), Some("ping-ok"), "{shown}");
}

#[test]
fn network_host_is_the_daemons_namespace() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("net-host");
    let _leftovers = Leftovers::of(&daemon);
    let daemon_pid = std::fs::read_to_string(daemon.dir.join("pid")).unwrap();
    let daemons = std::fs::read_link(format!("/proc/{}/ns/net", daemon_pid.trim())).unwrap();
    let containers = run(
        &daemon,
        &[
            "run",
            "--rm",
            "--network",
            "host",
            "busybox",
            "readlink",
            "/proc/self/ns/net",
        ],
    );
    assert_eq!(containers.trim(), daemons.to_string_lossy());
    assert_eq!(
        inspect_json(&daemon, "--network", "host")["NetworkSettings"]["Networks"]
            .as_object()
            .map(|networks| networks.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["host".to_string()])
    );
}

/// `docker inspect` of a container created with `flag value`.
fn inspect_json(daemon: &TestDaemon, flag: &str, value: &str) -> serde_json::Value {
    let id = run(daemon, &["create", flag, value, "busybox", "true"]);
    let text = run(daemon, &["inspect", id.trim()]);
    run(daemon, &["rm", id.trim()]);
    serde_json::from_str::<serde_json::Value>(&text).unwrap()[0].clone()
}

fn is_hex_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn bridge_gives_lowest_free_addresses_inspect_fields_and_connectivity() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("net-bridge");
    let _leftovers = Leftovers::of(&daemon);
    let idle = [
        "busybox",
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ];
    let first = run(
        &daemon,
        &[&["run", "-d", "--name", "first"][..], &idle[..]].concat(),
    );
    run(
        &daemon,
        &[&["run", "-d", "--name", "second"][..], &idle[..]].concat(),
    );
    let text = run(&daemon, &["inspect", "first"]);
    let settings =
        serde_json::from_str::<serde_json::Value>(&text).unwrap()[0]["NetworkSettings"].clone();
    let bridge = &settings["Networks"]["bridge"];
    assert_eq!(bridge["IPAddress"], "172.17.0.2", "{settings}");
    assert_eq!(bridge["IPPrefixLen"], 16);
    assert_eq!(bridge["Gateway"], "172.17.0.1");
    assert_eq!(bridge["MacAddress"], "02:42:ac:11:00:02");
    assert!(
        is_hex_id(bridge["NetworkID"].as_str().unwrap()),
        "{settings}"
    );
    assert!(
        is_hex_id(bridge["EndpointID"].as_str().unwrap()),
        "{settings}"
    );
    // moby fills the top level from the bridge network only.
    for field in [
        "IPAddress",
        "IPPrefixLen",
        "Gateway",
        "MacAddress",
        "EndpointID",
    ] {
        assert_eq!(settings[field], bridge[field], "{field}: {settings}");
    }
    assert!(
        is_hex_id(settings["SandboxID"].as_str().unwrap()),
        "{settings}"
    );
    assert_eq!(
        inspect(
            &daemon,
            "second",
            "{{.NetworkSettings.Networks.bridge.IPAddress}}"
        ),
        "172.17.0.3"
    );
    assert_eq!(
        inspect(
            &daemon,
            "second",
            "{{.NetworkSettings.Networks.bridge.NetworkID}}"
        ),
        bridge["NetworkID"].as_str().unwrap()
    );
    // The second reaches the first over docker0; the default route is the gateway.
    let reached = run(
        &daemon,
        &[
            "run",
            "--rm",
            "busybox",
            "sh",
            "-c",
            "ping -c1 -W3 172.17.0.2 >/dev/null && echo reached; ip route; cat /etc/hosts",
        ],
    );
    assert!(reached.starts_with("reached\n"), "{reached}");
    assert!(
        reached.contains("default via 172.17.0.1 dev eth0"),
        "{reached}"
    );
    assert!(reached.contains("172.17.0.0/16 dev eth0"), "{reached}");
    // Docker's hosts file: the defaults, then the address and the hostname.
    let hosts_line = reached.lines().last().unwrap();
    let (address, hostname) = hosts_line.split_once('\t').unwrap();
    assert_eq!(address, "172.17.0.4", "{reached}");
    assert_eq!(hostname.len(), 12, "{reached}");
    // A freed address is the next one given.
    run(&daemon, &["rm", "-f", first.trim()]);
    let third = run(
        &daemon,
        &[&["run", "-d", "--name", "third"][..], &idle[..]].concat(),
    );
    assert_eq!(
        inspect(&daemon, third.trim(), "{{.NetworkSettings.IPAddress}}"),
        "172.17.0.2"
    );
    // A stopped container has no address, as moby shows it.
    run(&daemon, &["stop", "-t", "5", "third"]);
    assert_eq!(
        inspect(
            &daemon,
            "third",
            "{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.bridge.IPAddress}}"
        ),
        "|"
    );
    run(&daemon, &["rm", "-f", "second", "third"]);
}

#[test]
fn bridge_addresses_survive_a_daemon_restart() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("net-restore");
    let _leftovers = Leftovers::of(&daemon);
    let idle = [
        "busybox",
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ];
    run(
        &daemon,
        &[&["run", "-d", "--name", "kept"][..], &idle[..]].concat(),
    );
    let before = inspect(&daemon, "kept", "{{json .NetworkSettings}}");
    // TestDaemon's guard kills the daemon with SIGKILL; the shim lives on.
    let daemon = TestDaemon::start_in(daemon);
    assert_eq!(
        inspect(&daemon, "kept", "{{json .NetworkSettings}}"),
        before
    );
    run(
        &daemon,
        &[&["run", "-d", "--name", "later"][..], &idle[..]].concat(),
    );
    assert_eq!(
        inspect(&daemon, "later", "{{.NetworkSettings.IPAddress}}"),
        "172.17.0.3",
        "the restored container's address must stay taken"
    );
    run(&daemon, &["rm", "-f", "kept", "later"]);
}

/// What a user reads of a bridge container, with the IDs, the hostname and
/// the sandbox path replaced by placeholders: inspect's address fields
/// (top level and `Networks.bridge`), /etc/hosts and /etc/resolv.conf.
fn bridge_view(docker: &dyn Fn(&[&str]) -> String) -> Vec<String> {
    let idle = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    let id = docker(&["run", "-d", "busybox", "sh", "-c", idle]);
    let id = id.trim();
    let text = docker(&["inspect", id]);
    let shown = serde_json::from_str::<serde_json::Value>(&text).unwrap()[0].clone();
    let hostname = shown["Config"]["Hostname"].as_str().unwrap().to_string();
    let settings = &shown["NetworkSettings"];
    let bridge = &settings["Networks"]["bridge"];
    let mut view = Vec::new();
    for field in ["IPAddress", "IPPrefixLen", "Gateway", "MacAddress"] {
        view.push(format!("top {field}={}", settings[field]));
        view.push(format!("bridge {field}={}", bridge[field]));
    }
    for field in ["NetworkID", "EndpointID"] {
        let value = bridge[field].as_str().unwrap_or_default();
        view.push(format!("bridge {field} is an ID: {}", is_hex_id(value)));
    }
    view.push(format!(
        "top EndpointID is the bridge's: {}",
        settings["EndpointID"] == bridge["EndpointID"]
    ));
    docker(&["stop", "-t", "5", id]);
    let stopped = docker(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks.bridge}}",
        id,
    ]);
    let stopped: serde_json::Value = serde_json::from_str(&stopped).unwrap();
    for field in [
        "IPAddress",
        "IPPrefixLen",
        "Gateway",
        "MacAddress",
        "EndpointID",
    ] {
        view.push(format!("stopped {field}={}", stopped[field]));
    }
    view.push(format!(
        "stopped NetworkID kept: {}",
        stopped["NetworkID"] == bridge["NetworkID"]
    ));
    let files = docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "cat /etc/hosts; echo --; cat /etc/resolv.conf",
    ]);
    let second_hostname = files
        .lines()
        .rev()
        .find(|line| line.starts_with("172.17."))
        .and_then(|line| line.split('\t').nth(1))
        .unwrap_or_default()
        .to_string();
    view.extend(
        files
            .replace(&second_hostname, "<hostname>")
            .lines()
            .map(str::to_string),
    );
    docker(&["rm", "-f", id]);
    assert!(!hostname.is_empty());
    view
}

#[test]
fn bridge_inspect_and_files_match_dockerd_2010() {
    require!(skip_unless_ready());
    require!(crate::harness::engine::need_engine());
    let engine = crate::harness::engine::Engine::start(
        "net-control",
        crate::harness::engine::EngineOptions {
            default_bridge: true,
            ..Default::default()
        },
    );
    require!(engine.as_ref().map(drop).map_err(Clone::clone));
    let engine = engine.unwrap();
    engine.load_busybox();
    let theirs = bridge_view(&|args| engine.docker_ok(args));
    drop(engine);
    let daemon = daemon_with_busybox("net-control");
    let _leftovers = Leftovers::of(&daemon);
    let ours = bridge_view(&|args| run(&daemon, args));
    assert_eq!(ours, theirs);
}

/// The harness's guard (#15): with `DOCKBOX_TEST_NETNS=1` a daemon started
/// in the host's network namespace refuses at once, before it could make a
/// bridge or a rule there. Should it start anyway, it is killed by pid as
/// soon as its socket shows up.
#[test]
fn daemon_under_test_refuses_the_host_network_namespace() {
    use crate::harness::{ProcessGuard, TempDir};
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let dir = TempDir::new("netns-guard");
    let socket = dir.join("sock");
    let mut command = Command::new(crate::harness::dockbox());
    command
        .arg("dockerd")
        .arg("--data-root")
        .arg(dir.join("data"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg(format!("--host=unix://{}", socket.display()))
        .arg(format!("--pidfile={}", dir.join("pid").display()))
        .env("DOCKBOX_TEST_NETNS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Deliberately no netns::in_new_netns: this is the host's namespace.
    let mut guard = ProcessGuard::child(command.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let child = guard.child_mut().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            !socket.exists(),
            "the daemon started in the host's network namespace"
        );
        assert!(
            Instant::now() < deadline,
            "the daemon neither refused nor started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let child = guard.child_mut().unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("dockerd: DOCKBOX_TEST_NETNS=1 but "),
        "{stderr}"
    );
    assert!(
        stderr.contains("network namespace (net:[") && stderr.contains("refusing to start"),
        "{stderr}"
    );
    assert!(!socket.exists());
    assert!(!dir.join("pid").exists());
}
