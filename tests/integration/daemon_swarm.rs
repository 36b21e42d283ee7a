//! The swarm endpoints of our daemon, which is never in a swarm: what
//! moby answers on a node outside any swarm (503 "not a swarm manager" or
//! "not part of a swarm"), through raw HTTP, the real CLI and docker-py,
//! and the same requests against Debian's dockerd 20.10 as the control.

use crate::daemon_support::{RawConnection, RawResponse, TestDaemon, need_docker_cli};
use crate::harness::engine::{Engine, EngineOptions, need_engine};
use crate::harness::{self, need_root, stderr_of, stdout_of};
use crate::require;
use std::process::{Command, Output};

const NOT_A_MANAGER: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";
const NOT_IN_A_SWARM: &str = "This node is not part of a swarm";

/// (method, path, body) of every swarm route, with a well-formed request.
const WELL_FORMED: &[(&str, &str, &str)] = &[
    ("GET", "/swarm", ""),
    ("GET", "/v1.50/swarm/unlockkey", ""),
    ("POST", "/swarm/update?version=1", "{}"),
    ("POST", "/swarm/unlock", r#"{"UnlockKey":"SWMKEY-1-x"}"#),
    ("GET", "/services", ""),
    (
        "GET",
        "/services?filters=%7B%22name%22%3A%5B%22web%22%5D%7D",
        "",
    ),
    ("GET", "/services/web", ""),
    ("POST", "/services/create", r#"{"Name":"web"}"#),
    ("POST", "/services/web/update?version=3", "{}"),
    ("DELETE", "/services/web", ""),
    ("GET", "/services/web/logs?stdout=1", ""),
    ("GET", "/nodes", ""),
    ("GET", "/nodes/self", ""),
    ("DELETE", "/nodes/self?force=1", ""),
    ("POST", "/nodes/self/update?version=2", "{}"),
    ("GET", "/tasks", ""),
    ("GET", "/tasks/t1", ""),
    ("GET", "/tasks/t1/logs?stderr=1", ""),
    ("GET", "/secrets", ""),
    ("POST", "/secrets/create", r#"{"Name":"s","Data":""}"#),
    ("GET", "/secrets/s", ""),
    ("DELETE", "/secrets/s", ""),
    ("POST", "/secrets/s/update?version=1", "{}"),
    ("GET", "/configs", ""),
    ("POST", "/configs/create", r#"{"Name":"c","Data":""}"#),
    ("GET", "/configs/c", ""),
    ("DELETE", "/configs/c", ""),
    ("POST", "/configs/c/update?version=1", "{}"),
];

/// Requests moby refuses before it asks the cluster, with its answer.
const MALFORMED: &[(&str, &str, &str, u16, &str)] = &[
    (
        "POST",
        "/swarm/update?version=x",
        "{}",
        400,
        "invalid swarm version 'x': strconv.ParseUint: parsing \"x\": invalid syntax",
    ),
    (
        "POST",
        "/services/web/update",
        "{}",
        400,
        "invalid service version '': strconv.ParseUint: parsing \"\": invalid syntax",
    ),
    (
        "POST",
        "/nodes/n/update?version=-1",
        "{}",
        400,
        "invalid node version '-1': strconv.ParseUint: parsing \"-1\": invalid syntax",
    ),
    (
        "POST",
        "/secrets/s/update",
        "{}",
        400,
        "invalid secret version",
    ),
    (
        "POST",
        "/configs/c/update?version=z",
        "{}",
        400,
        "invalid config version",
    ),
    (
        "GET",
        "/services/web/logs",
        "",
        500,
        "Bad parameters: you must choose at least one stream",
    ),
];

fn ask(connection: &mut RawConnection, method: &str, path: &str, body: &str) -> RawResponse {
    connection.request(method, path, body)
}

fn message(response: &RawResponse) -> String {
    response.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// (exit code, stderr) of a CLI run.
fn outcome(output: &Output) -> (Option<i32>, String) {
    (output.status.code(), stderr_of(output))
}

/// The CLI commands a script or a test teardown runs against a daemon
/// that may not be in a swarm, and the error line the CLI prints.
const CLI_COMMANDS: &[(&[&str], &str)] = &[
    (&["node", "ls"], NOT_A_MANAGER),
    (&["service", "ls"], NOT_A_MANAGER),
    (&["secret", "ls"], NOT_A_MANAGER),
    (&["config", "ls"], NOT_A_MANAGER),
    (&["service", "rm", "web"], NOT_A_MANAGER),
    (&["swarm", "leave"], NOT_IN_A_SWARM),
    (&["swarm", "leave", "--force"], NOT_IN_A_SWARM),
];

#[test]
fn swarm_endpoints_answer_as_a_node_outside_any_swarm() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("swarm");
    let mut connection = daemon.connect();
    for (method, path, body) in WELL_FORMED {
        let response = ask(&mut connection, method, path, body);
        assert_eq!(
            (response.status, message(&response)),
            (503, NOT_A_MANAGER.to_string()),
            "{method} {path}"
        );
    }
    for query in ["", "?force=1", "?force=true"] {
        let response = ask(&mut connection, "POST", &format!("/swarm/leave{query}"), "");
        assert_eq!(
            (response.status, message(&response)),
            (503, NOT_IN_A_SWARM.to_string()),
            "leave{query}"
        );
    }
    for (method, path, body, status, wanted) in MALFORMED {
        let response = ask(&mut connection, method, path, body);
        assert_eq!(response.status, *status, "{method} {path}: {response:?}");
        assert!(
            message(&response).starts_with(wanted),
            "{method} {path}: {response:?}"
        );
    }
    // moby 28's filter check (20.10 answered 500 with Go's JSON error).
    let response = ask(&mut connection, "GET", "/nodes?filters=nope", "");
    assert_eq!(response.status, 400);
    assert!(
        message(&response).starts_with("invalid filter"),
        "{response:?}"
    );
    for path in ["/swarm/init", "/swarm/join"] {
        let response = ask(&mut connection, "POST", path, r#"{"ListenAddr":"0.0.0.0"}"#);
        assert_eq!(response.status, 501, "{path}: {response:?}");
        assert!(message(&response).contains("swarm mode is not supported"));
    }
    for (args, wanted) in CLI_COMMANDS {
        let output = daemon.docker(args);
        assert_eq!(
            outcome(&output),
            (Some(1), format!("Error response from daemon: {wanted}\n")),
            "docker {args:?}: {}",
            stdout_of(&output)
        );
    }
    let unlock_key = daemon.docker(&["swarm", "unlock-key"]);
    assert_eq!(
        outcome(&unlock_key),
        (
            Some(1),
            format!("could not fetch unlock key: Error response from daemon: {NOT_A_MANAGER}\n")
        )
    );
    let init = daemon.docker(&["swarm", "init"]);
    assert_eq!(init.status.code(), Some(1));
    assert!(
        stderr_of(&init).starts_with("Error response from daemon: swarm mode is not supported"),
        "{}",
        stderr_of(&init)
    );
}

#[test]
fn docker_py_leaves_no_swarm_quietly_with_force() {
    require!(need_root());
    require!(harness::need_command("python3").map(|_| ()));
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not installed".to_string())
    });
    let daemon = TestDaemon::start("swarm-py");
    // docker-py's own teardown: leave with force, which treats 503 as done.
    let script = r#"
import sys, docker
client = docker.DockerClient(base_url=sys.argv[1])
assert client.swarm.leave(force=True) is True
try:
    client.swarm.leave()
    raise SystemExit("leave without force succeeded")
except docker.errors.APIError as error:
    assert error.status_code == 503, error.status_code
    assert error.explanation == "This node is not part of a swarm", error.explanation
try:
    client.nodes.list()
    raise SystemExit("nodes.list succeeded")
except docker.errors.APIError as error:
    assert error.status_code == 503, error.status_code
    assert "not a swarm manager" in error.explanation, error.explanation
print("ok")
"#;
    let output = harness::run(Command::new("python3").args(["-c", script, &daemon.host()]));
    assert_eq!(
        stdout_of(&output).trim(),
        "ok",
        "{}\n{}",
        stderr_of(&output),
        daemon.log()
    );
}

/// Debian's dockerd 20.10 outside any swarm answers every well-formed and
/// malformed request as ours does, and the CLI prints the same for both.
/// Only init and join differ: it makes or joins a swarm, ours refuses.
#[test]
fn swarm_answers_match_debian_dockerd() {
    require!(need_engine());
    let engine = match Engine::start("swarm-control", EngineOptions::default()) {
        Ok(engine) => engine,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let daemon = TestDaemon::start("swarm-ours");
    let mut ours = daemon.connect();
    let mut theirs = RawConnection::connect(&engine.dir().join("docker.sock"));
    let mut requests: Vec<(&str, String, &str)> = WELL_FORMED
        .iter()
        .map(|(method, path, body)| (*method, path.to_string(), *body))
        .collect();
    requests.extend(
        MALFORMED
            .iter()
            .map(|(method, path, body, _, _)| (*method, path.to_string(), *body)),
    );
    requests.push(("POST", "/swarm/leave?force=1".to_string(), ""));
    // 20.10 speaks API 1.41: pin the version both answer under.
    for (method, path, body) in &requests {
        let path = format!("/v1.41{}", path.trim_start_matches("/v1.50"));
        let (a, b) = (
            ask(&mut ours, method, &path, body),
            ask(&mut theirs, method, &path, body),
        );
        assert_eq!(
            (a.status, message(&a)),
            (b.status, message(&b)),
            "{method} {path}: ours first, Debian's dockerd second"
        );
    }
    let mut commands: Vec<&[&str]> = CLI_COMMANDS.iter().map(|(args, _)| *args).collect();
    commands.push(&["swarm", "unlock-key"]);
    for args in commands {
        assert_eq!(
            outcome(&daemon.docker(args)),
            outcome(&engine.docker(args)),
            "docker {args:?}: ours first, Debian's dockerd second"
        );
    }
}
