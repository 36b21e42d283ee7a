//! User-defined bridge networks through the real Docker CLI: the same
//! scenario against our daemon and against Debian's dockerd 20.10 (its
//! default bridge on, iptables off, in its own network namespace), both at
//! API 1.41, compared after normalising IDs and times: `network create`,
//! `ls`, `inspect`, errors and exit codes, containers' `Networks`, their
//! interfaces and routes, connectivity over a user bridge, live connect
//! and disconnect, `rm` of a network in use, and prune. Then our daemon
//! alone: a restart keeps networks and addresses. Every daemon runs in a
//! network namespace of its own, so the bridges and veths are made there.

use crate::daemon_run::{Leftovers, daemon_with_busybox, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::engine::{Engine, EngineOptions, need_engine, run_with_timeout};
use crate::require;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const IDLE: &str = "trap 'exit 0' TERM; while true; do sleep 0.1; done";

/// The real CLI at API 1.41 (dockerd 20.10's), against the daemon at
/// `socket`.
fn cli_at(socket: &Path, config: &Path, args: &[&str]) -> Output {
    std::fs::create_dir_all(config).unwrap();
    run_with_timeout(
        Command::new(crate::daemon_support::DOCKER_CLI)
            .args(args)
            .env("DOCKER_HOST", format!("unix://{}", socket.display()))
            .env("DOCKER_CONFIG", config)
            .env("DOCKER_API_VERSION", "1.41")
            .env_remove("DOCKER_CONTEXT")
            .stdin(std::process::Stdio::null()),
        Duration::from_secs(60),
    )
    .unwrap()
}

/// One command's outcome as compared: exit code, stdout and stderr with
/// IDs and times normalised.
fn outcome(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Maps keyed by container ID print in ID order: not compared as text.
    if stdout.starts_with("{\"")
        && stdout.contains("\"EndpointID\"")
        && stdout.contains("\"IPv4Address\"")
    {
        return format!("exit {}", output.status.code().unwrap_or(-1));
    }
    format!(
        "exit {}\n{}{}",
        output.status.code().unwrap_or(-1),
        crate::client_golden::normalise(&String::from_utf8_lossy(&output.stdout)),
        crate::client_golden::normalise(&String::from_utf8_lossy(&output.stderr)),
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The fields of a network's inspect both versions have, IDs and times
/// as placeholders.
fn network_view(network: &Value) -> String {
    let mut shown = network.clone();
    let object = shown.as_object_mut().unwrap();
    object.remove("EnableIPv4");
    crate::client_golden::normalise(&serde_json::to_string_pretty(&shown).unwrap())
}

/// A container's `NetworkSettings` as both versions show it.
fn endpoints_view(docker: &dyn Fn(&[&str]) -> Output, container: &str) -> String {
    let text = docker(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings}}",
        container,
    ]);
    let settings: Value = serde_json::from_slice(&text.stdout).unwrap_or(Value::Null);
    let mut lines = Vec::new();
    for field in ["IPAddress", "IPPrefixLen", "Gateway", "MacAddress"] {
        lines.push(format!("top {field}={}", settings[field]));
    }
    let networks = settings["Networks"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, endpoint) in &networks {
        for field in [
            "IPAMConfig",
            "Links",
            "Aliases",
            "NetworkID",
            "EndpointID",
            "Gateway",
            "IPAddress",
            "IPPrefixLen",
            "IPv6Gateway",
            "GlobalIPv6Address",
            "GlobalIPv6PrefixLen",
            "MacAddress",
            "DriverOpts",
        ] {
            let value = endpoint[field].to_string();
            lines.push(format!(
                "{name} {field}={}",
                crate::client_golden::normalise(&value)
            ));
        }
    }
    lines.join("\n")
}

/// The scenario; `docker` runs the real CLI against one daemon.
fn scenario(docker: &dyn Fn(&[&str]) -> Output) -> Vec<String> {
    let seen = std::cell::RefCell::new(Vec::new());
    let step = |args: &[&str]| {
        let output = docker(args);
        seen.borrow_mut()
            .push(format!("$ docker {}\n{}", args.join(" "), outcome(&output)));
        output
    };
    step(&["network", "create", "n1"]);
    step(&[
        "network",
        "create",
        "--subnet",
        "10.99.0.0/24",
        "--gateway",
        "10.99.0.254",
        "--ip-range",
        "10.99.0.128/25",
        "--label",
        "team=x",
        "-o",
        "com.docker.network.bridge.name=brtest",
        "n2",
    ]);
    step(&["network", "create", "n1"]);
    step(&["network", "create", "bridge"]);
    step(&["network", "create", "--internal", "--attachable", "n3"]);
    step(&["network", "ls"]);
    step(&[
        "network",
        "ls",
        "--filter",
        "type=custom",
        "--format",
        "{{.Name}} {{.Driver}} {{.Scope}}",
    ]);
    step(&["network", "ls", "-q", "--filter", "label=team=x"]);
    step(&[
        "network",
        "ls",
        "--filter",
        "type=builtin",
        "--format",
        "{{.Name}}",
    ]);
    step(&[
        "network",
        "ls",
        "--filter",
        "name=n",
        "--filter",
        "driver=bridge",
        "--format",
        "{{.Name}}",
    ]);
    step(&["network", "ls", "--filter", "bogus=1"]);
    let inspected = step(&["network", "inspect", "n1", "n2", "n3"]);
    let networks: Value = serde_json::from_slice(&inspected.stdout).unwrap_or(Value::Null);
    for network in networks.as_array().into_iter().flatten() {
        seen.borrow_mut().push(network_view(network));
    }
    step(&["network", "inspect", "nosuch"]);
    step(&[
        "run",
        "-d",
        "--name",
        "one",
        "--network",
        "n1",
        "busybox",
        "sh",
        "-c",
        IDLE,
    ]);
    step(&[
        "run",
        "-d",
        "--name",
        "two",
        "--network",
        "n2",
        "--ip",
        "10.99.0.200",
        "--network-alias",
        "web",
        "busybox",
        "sh",
        "-c",
        IDLE,
    ]);
    step(&[
        "run",
        "--rm",
        "--network",
        "n1",
        "--ip",
        "172.18.0.9",
        "busybox",
        "true",
    ]);
    step(&["run", "--rm", "--ip", "172.17.0.9", "busybox", "true"]);
    step(&["run", "--rm", "--network", "nosuch", "busybox", "true"]);
    step(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    // An internal network gives no default route.
    step(&["run", "--rm", "--network", "n3", "busybox", "ip", "route"]);
    step(&[
        "run",
        "-d",
        "--name",
        "three",
        "--network",
        "n2",
        "busybox",
        "sh",
        "-c",
        IDLE,
    ]);
    for name in ["one", "two", "three"] {
        step(&[
            "inspect",
            "--format",
            "{{json .NetworkSettings.Networks}}",
            name,
        ]);
        seen.borrow_mut().push(endpoints_view(docker, name));
    }
    // `Containers` is keyed by container ID: sorted by name here.
    let text = step(&[
        "network",
        "inspect",
        "--format",
        "{{json .Containers}}",
        "n2",
    ]);
    let containers: Value = serde_json::from_slice(&text.stdout).unwrap_or(Value::Null);
    let mut attached: Vec<String> = containers
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, c)| {
            format!(
                "{} {} {} {}",
                c["Name"], c["IPv4Address"], c["MacAddress"], c["IPv6Address"]
            )
        })
        .collect();
    attached.sort();
    seen.borrow_mut().push(attached.join("\n"));
    step(&[
        "exec",
        "one",
        "sh",
        "-c",
        "ls /sys/class/net; ip route; ip -o -4 addr show eth0 | cut -d' ' -f2,7",
    ]);
    step(&[
        "exec",
        "three",
        "sh",
        "-c",
        "ping -c1 -W3 10.99.0.200 >/dev/null && echo reached",
    ]);
    step(&["network", "connect", "n2", "one"]);
    step(&["network", "connect", "n2", "one"]);
    step(&[
        "network",
        "connect",
        "--ip",
        "10.99.0.250",
        "--alias",
        "second",
        "n3",
        "one",
    ]);
    step(&[
        "exec",
        "one",
        "sh",
        "-c",
        "ls /sys/class/net; ip route; ip -o -4 addr | cut -d' ' -f2,7",
    ]);
    step(&[
        "exec",
        "one",
        "sh",
        "-c",
        "ping -c1 -W3 10.99.0.200 >/dev/null && echo reached",
    ]);
    step(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        "one",
    ]);
    seen.borrow_mut().push(endpoints_view(docker, "one"));
    step(&["network", "rm", "n2"]);
    step(&["network", "rm", "bridge", "nosuch", "n3"]);
    step(&["network", "disconnect", "n2", "one"]);
    step(&["network", "disconnect", "n2", "one"]);
    step(&["network", "disconnect", "host", "one"]);
    step(&["exec", "one", "ls", "/sys/class/net"]);
    step(&[
        "create",
        "--name",
        "four",
        "--network",
        "n1",
        "busybox",
        "true",
    ]);
    step(&[
        "network",
        "connect",
        "--ip",
        "10.99.0.250",
        "--alias",
        "second",
        "n2",
        "four",
    ]);
    step(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        "four",
    ]);
    seen.borrow_mut().push(endpoints_view(docker, "four"));
    step(&["network", "disconnect", "n1", "four"]);
    step(&[
        "inspect",
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        "four",
    ]);
    // Containers on the default bridge are in its Containers too.
    step(&["run", "-d", "--name", "five", "busybox", "sh", "-c", IDLE]);
    step(&[
        "network",
        "inspect",
        "--format",
        "{{len .Containers}}",
        "bridge",
    ]);
    step(&["network", "connect", "n1", "five"]);
    step(&[
        "exec",
        "five",
        "sh",
        "-c",
        "ip route; ip -o -4 addr show eth1 | cut -d' ' -f2,7",
    ]);
    step(&["rm", "-f", "one", "two", "three", "four", "five"]);
    step(&["network", "prune", "-f", "--filter", "label=team=x"]);
    step(&["network", "prune", "-f"]);
    step(&["network", "prune", "-f"]);
    step(&["network", "ls"]);
    seen.into_inner()
}

#[test]
fn user_networks_match_dockerd_2010() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::start(
        "nets-control",
        EngineOptions {
            default_bridge: true,
            ..Default::default()
        },
    );
    require!(engine.as_ref().map(drop).map_err(Clone::clone));
    let engine = engine.unwrap();
    engine.load_busybox();
    let (socket, config) = (engine.dir().join("docker.sock"), engine.dir().join("cli"));
    let theirs = scenario(&|args| cli_at(&socket, &config, args));
    drop(engine);
    let daemon = daemon_with_busybox("nets-ours");
    let _leftovers = Leftovers::of(&daemon);
    let config = daemon.dir.join("cli-config");
    let ours = scenario(&|args| cli_at(&daemon.socket, &config, args));
    if ours != theirs || std::env::var_os("DOCKBOX_SHOW_SCENARIO").is_some() {
        eprintln!(
            "--- ours ---\n{}\n--- dockerd 20.10 ---\n{}",
            ours.join("\n"),
            theirs.join("\n")
        );
    }
    for (mine, reference) in ours.iter().zip(&theirs) {
        assert_eq!(
            mine, reference,
            "\n--- ours ---\n{mine}\n--- dockerd 20.10 ---\n{reference}"
        );
    }
    assert_eq!(ours.len(), theirs.len());
}

fn run(daemon: &TestDaemon, args: &[&str]) -> String {
    let output = daemon.docker(args);
    assert!(
        output.status.success(),
        "docker {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        daemon.log()
    );
    stdout(&output)
}

#[test]
fn networks_and_addresses_survive_a_daemon_restart() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("nets-restore");
    let _leftovers = Leftovers::of(&daemon);
    let id = run(&daemon, &["network", "create", "kept"]);
    run(
        &daemon,
        &[
            "run",
            "-d",
            "--name",
            "one",
            "--network",
            "kept",
            "busybox",
            "sh",
            "-c",
            IDLE,
        ],
    );
    run(&daemon, &["network", "connect", "bridge", "one"]);
    let before = run(
        &daemon,
        &[
            "inspect",
            "--format",
            "{{json .NetworkSettings.Networks}}",
            "one",
        ],
    );
    let listed = run(&daemon, &["network", "ls", "--no-trunc"]);
    // TestDaemon's guard kills the daemon with SIGKILL; the shim lives on,
    // and the new daemon runs in the old one's network namespace.
    let daemon = TestDaemon::restart_in_same_netns(daemon);
    assert_eq!(run(&daemon, &["network", "ls", "--no-trunc"]), listed);
    assert_eq!(
        run(
            &daemon,
            &["network", "inspect", "--format", "{{.Id}}", "kept"]
        ),
        id
    );
    assert_eq!(
        run(
            &daemon,
            &[
                "inspect",
                "--format",
                "{{json .NetworkSettings.Networks}}",
                "one"
            ]
        ),
        before
    );
    run(
        &daemon,
        &[
            "run",
            "-d",
            "--name",
            "two",
            "--network",
            "kept",
            "busybox",
            "sh",
            "-c",
            IDLE,
        ],
    );
    assert_eq!(
        run(
            &daemon,
            &[
                "inspect",
                "--format",
                "{{.NetworkSettings.Networks.kept.IPAddress}}",
                "two"
            ]
        ),
        "172.18.0.3\n",
        "the restored container's address must stay taken"
    );
    let reached = run(
        &daemon,
        &[
            "exec",
            "two",
            "sh",
            "-c",
            "ping -c1 -W3 172.18.0.2 >/dev/null && echo reached",
        ],
    );
    assert_eq!(reached, "reached\n");
    let in_use = daemon.docker(&["network", "rm", "kept"]);
    assert_eq!(in_use.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&in_use.stderr),
        format!(
            // CLI 28 ends a failed `network rm` with its status line.
            "Error response from daemon: error while removing network: network kept id {} has active endpoints\nexit status 1\n",
            id.trim()
        )
    );
    run(&daemon, &["rm", "-f", "one", "two"]);
    run(&daemon, &["network", "rm", "kept"]);
}

/// Creates racing each other still get one subnet and one name each; the
/// API's own errors for what the CLI never sends.
#[test]
fn concurrent_creates_get_distinct_subnets_and_bad_requests_get_moby_errors() {
    require!(crate::harness::need_root());
    let daemon = TestDaemon::start("nets-race");
    let created: Vec<(u16, String)> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..6)
            .map(|n| {
                let daemon = &daemon;
                scope.spawn(move || {
                    let name = if n < 4 {
                        format!("race{n}")
                    } else {
                        "same".to_string()
                    };
                    let body = serde_json::json!({ "Name": name }).to_string();
                    let answer = daemon.connect().request("POST", "/networks/create", &body);
                    (answer.status, answer.body_text())
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let statuses: Vec<u16> = created.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{created:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        1,
        "{created:?}"
    );
    let listed = daemon.connect().get("/networks").json();
    let mut subnets: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| {
            n["IPAM"]["Config"][0]["Subnet"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    subnets.sort();
    let count = subnets.len();
    subnets.dedup();
    assert_eq!((count, subnets.len()), (6, 6), "{subnets:?}");
    let mut connection = daemon.connect();
    for (body, status, message) in [
        (
            r#"{"Name":"v6","EnableIPv6":true}"#,
            400,
            "IPv6 networks are not supported by dockbox yet",
        ),
        (
            r#"{"Name":"x","Driver":"overlay"}"#,
            404,
            "could not find plugin overlay in v1 plugin registry: plugin not found",
        ),
        (
            r#"{"Name":"x","Driver":"host"}"#,
            403,
            "only one instance of \"host\" network is allowed",
        ),
        (
            r#"{"Name":"x","IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}"#,
            400,
            "invalid CIDR address: 10.0.0.0/33",
        ),
        (
            r#"{"Name":"x","IPAM":{"Config":[{"Subnet":"172.18.0.0/24"}]}}"#,
            403,
            "Pool overlaps with other one on this address space",
        ),
        (
            r#"{"Name":"x","Options":{"com.docker.network.bridge.name":"a-name-far-too-long"}}"#,
            400,
            "invalid bridge name: \"a-name-far-too-long\"",
        ),
    ] {
        let answer = connection.request("POST", "/networks/create", body);
        assert_eq!(
            (
                answer.status,
                answer.json()["message"].as_str().unwrap().to_string()
            ),
            (status, message.to_string()),
            "{body}"
        );
    }
    // Before API 1.44 a duplicate name is allowed when the client does not
    // ask for the check, with a warning.
    let old = connection.request("POST", "/v1.41/networks/create", r#"{"Name":"same"}"#);
    assert_eq!(old.status, 201, "{}", old.body_text());
    assert!(
        old.json()["Warning"]
            .as_str()
            .unwrap()
            .starts_with("Network with name same (id : "),
        "{}",
        old.body_text()
    );
    let ambiguous = connection.get("/networks/same");
    assert_eq!(ambiguous.status, 400);
    assert_eq!(
        ambiguous.json()["message"],
        "network same is ambiguous (2 matches found on name)"
    );
    let pruned = connection.request("POST", "/networks/prune", "");
    assert_eq!(
        pruned.json()["NetworksDeleted"].as_array().map(Vec::len),
        Some(6)
    );
}
