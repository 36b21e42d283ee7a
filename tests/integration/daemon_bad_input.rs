//! The bad-input checklist of the daemon issue, on raw requests, the real
//! CLI and docker-py: each gets moby's status code and a clear message,
//! and the daemon keeps serving. (Malformed bodies, wrong types, a missing
//! image and negative memory on create are also in daemon_containers.)

use crate::daemon_run::{Leftovers, daemon_with_busybox, ok, skip_unless_ready};
use crate::daemon_support::{RawConnection, RawResponse, TestDaemon};
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;
use std::process::Command;

fn request(connection: &mut RawConnection, method: &str, path: &str, body: &str) -> RawResponse {
    connection.send(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    connection.read_response(method)
}

/// Asserts status and message of a response, then that the daemon still
/// answers `/_ping` on a fresh connection.
fn expect(daemon: &TestDaemon, what: &str, response: RawResponse, status: u16, message: &str) {
    assert_eq!(response.status, status, "{what}: {}", response.body_text());
    assert_eq!(
        response.header("Content-Type").as_deref(),
        Some("application/json"),
        "{what}"
    );
    let got = response.json()["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no message in {}", response.body_text()))
        .to_string();
    assert!(
        got.starts_with(message),
        "{what}: {got:?} is not {message:?}"
    );
    assert_eq!(daemon.connect().get("/_ping").status, 200, "after {what}");
}

#[test]
fn raw_bad_input_gets_mobys_codes_and_messages() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("bad-raw");
    let _leftovers = Leftovers::of(&daemon);
    let mut c = daemon.connect();
    let create = |c: &mut RawConnection, query: &str, body: &str| {
        request(c, "POST", &format!("/v1.50/containers/create{query}"), body)
    };
    let body = r#"{"Image":"busybox","Cmd":["sleep","30"]}"#;

    let response = create(&mut c, "", r#"{"Image": "busybox", "Cmd": ["true"]"#);
    expect(&daemon, "truncated JSON", response, 400, "invalid JSON: ");
    let response = create(&mut c, "", "not json at all");
    expect(&daemon, "not JSON", response, 400, "invalid JSON: ");
    let response = create(&mut c, "", r#"{"Image":"busybox","Tty":"yes"}"#);
    expect(
        &daemon,
        "Tty as a string",
        response,
        400,
        "invalid JSON: json: cannot unmarshal string into Go struct field",
    );
    // (A string Cmd is fine: moby's StrSlice takes one word alone.)
    let response = create(&mut c, "", r#"{"Image":"busybox","Labels":["a"]}"#);
    expect(
        &daemon,
        "Labels as a list",
        response,
        400,
        "invalid JSON: json: cannot unmarshal",
    );
    let response = create(
        &mut c,
        "",
        r#"{"Image":"busybox","HostConfig":{"Memory":-104857600}}"#,
    );
    expect(
        &daemon,
        "negative memory",
        response,
        400,
        "Minimum memory limit allowed is 6MB",
    );
    let response = create(&mut c, "", r#"{"Image":"nosuch:1"}"#);
    expect(
        &daemon,
        "missing image",
        response,
        404,
        "No such image: nosuch:1",
    );
    let response = create(&mut c, "", r#"{"Image":"Not/Valid"}"#);
    expect(
        &daemon,
        "invalid reference",
        response,
        400,
        "invalid reference format",
    );

    let response = create(&mut c, "?name=bad%20name", body);
    expect(
        &daemon,
        "invalid name",
        response,
        400,
        "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
    );
    let response = create(&mut c, "?name=dup", body);
    assert_eq!(response.status, 201, "{}", response.body_text());
    let id = response.json()["Id"].as_str().unwrap().to_string();
    let response = create(&mut c, "?name=dup", body);
    expect(
        &daemon,
        "duplicate name",
        response,
        409,
        &format!(
            "Conflict. The container name \"/dup\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
        ),
    );

    for (method, path) in [
        ("GET", "/containers/nosuch/json"),
        ("POST", "/containers/nosuch/start"),
        ("POST", "/containers/nosuch/stop"),
        ("POST", "/containers/nosuch/kill"),
        ("POST", "/containers/nosuch/wait"),
        ("DELETE", "/containers/nosuch"),
        ("GET", "/containers/nosuch/logs?stdout=1"),
    ] {
        let response = request(&mut c, method, path, "");
        expect(&daemon, path, response, 404, "No such container: nosuch");
    }

    let response = request(&mut c, "POST", "/containers/dup/kill?signal=NOPE", "");
    expect(
        &daemon,
        "invalid signal",
        response,
        400,
        "Invalid signal: NOPE",
    );
    let response = request(&mut c, "POST", "/containers/dup/kill?signal=KILL", "");
    expect(
        &daemon,
        "kill of a created container",
        response,
        409,
        &format!("Container {id} is not running"),
    );
    let response = request(&mut c, "POST", "/containers/dup/update", "{bad");
    expect(
        &daemon,
        "update with bad JSON",
        response,
        400,
        "invalid JSON: ",
    );
    let response = request(
        &mut c,
        "POST",
        "/containers/dup/update",
        r#"{"Memory":-1048576}"#,
    );
    expect(
        &daemon,
        "update to negative memory",
        response,
        400,
        "Minimum memory limit allowed is 6MB",
    );
    let response = request(&mut c, "POST", "/containers/dup/rename?name=a%2Fb", "");
    expect(
        &daemon,
        "rename to an invalid name",
        response,
        400,
        "Invalid container name (a/b)",
    );
    // The container is untouched by all of that.
    let inspect = c.get("/containers/dup/json");
    assert_eq!(inspect.json()["State"]["Status"], "created");
    assert_eq!(inspect.json()["HostConfig"]["Memory"], 0);
    ok(&daemon, &daemon.docker(&["rm", "dup"]));
}

#[test]
fn cli_and_docker_py_report_bad_input_and_the_daemon_stays_up() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("bad-cli");
    let _leftovers = Leftovers::of(&daemon);
    let refused = |args: &[&str], code: i32, message: &str| {
        let output = daemon.docker(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains(message),
            "{args:?}: {}",
            stderr_of(&output)
        );
    };
    refused(
        &["create", "--name", "bad name", "busybox"],
        1,
        "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
    );
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "dup", "busybox", "sleep", "30"]),
    );
    refused(
        &["create", "--name", "dup", "busybox"],
        1,
        "Conflict. The container name \"/dup\" is already in use by container",
    );
    refused(&["start", "nosuch"], 1, "No such container: nosuch");
    refused(&["kill", "-s", "NOPE", "dup"], 1, "Invalid signal: NOPE");
    refused(
        &["run", "--pull", "never", "nosuch:1"],
        125,
        "No such image: nosuch:1",
    );
    assert!(daemon.docker(&["version"]).status.success());

    let script = r#"
import sys, docker
client = docker.DockerClient(base_url=sys.argv[1])
def status(call):
    try:
        call()
    except docker.errors.APIError as error:
        return error.status_code, error.explanation
    return None
print(status(lambda: client.containers.get("nosuch")))
print(status(lambda: client.containers.create("busybox", name="dup")))
print(status(lambda: client.containers.create("busybox", name="bad name")))
print(status(lambda: client.containers.create("nosuch:1")))
print(status(lambda: client.containers.get("dup").kill(signal="NOPE")))
print(client.ping())
"#;
    require!(harness::need_command("python3").map(|_| ()));
    let output = harness::run(Command::new("python3").args(["-c", script, &daemon.host()]));
    let text = stdout_of(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}{}", stderr_of(&output));
    assert!(
        lines[0].starts_with("(404, 'No such container: nosuch')"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("(409, 'Conflict. The container name"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("(400, 'Invalid container name (bad name)"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("(404, 'No such image: nosuch:1')"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("(400, 'Invalid signal: NOPE')"),
        "{text}"
    );
    assert_eq!(lines[5], "True", "{text}");
    ok(&daemon, &daemon.docker(&["rm", "dup"]));
}
