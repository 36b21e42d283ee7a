//! Our client's own behaviour on the wire, against a scripted daemon on a
//! unix socket: API version negotiation as the real CLI does it, and the
//! refusals that have no counterpart in the real CLI.

use crate::harness::{self, TempDir, stderr_of, stdout_of};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

/// How the scripted daemon answers `/_ping`.
#[derive(Clone, Copy)]
enum Ping {
    /// HEAD and GET answer 200 with this Api-Version (None: no header).
    Version(Option<&'static str>),
    /// HEAD answers 405; GET answers 200 with this Api-Version.
    HeadRefused(&'static str),
}

/// Serves until the test ends: answers pings per `ping`, `/version`, and
/// 404 `page not found` to anything else. Returns the request lines seen.
fn scripted_daemon(socket: &Path, ping: Ping) -> Arc<Mutex<Vec<String>>> {
    let listener = UnixListener::bind(socket).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    std::io::Read::read_exact(&mut reader, &mut body).unwrap();
                    let request_line = request_line.trim().to_string();
                    log.lock().unwrap().push(request_line.clone());
                    let mut parts = request_line.split(' ');
                    let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
                    let answer = |status: &str, headers: &str, body: &str| {
                        format!(
                            "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                            body.len(),
                            if method == "HEAD" { "" } else { body }
                        )
                    };
                    let reply = match (method, target, ping) {
                        ("HEAD", "/_ping", Ping::HeadRefused(_)) => {
                            answer("405 Method Not Allowed", "", "")
                        }
                        (_, "/_ping", Ping::HeadRefused(v))
                        | (_, "/_ping", Ping::Version(Some(v))) => {
                            answer("200 OK", &format!("Api-Version: {v}\r\n"), "OK")
                        }
                        (_, "/_ping", Ping::Version(None)) => answer("200 OK", "", "OK"),
                        (_, t, _) if t.ends_with("/version") => answer(
                            "200 OK",
                            "",
                            r#"{"Version":"1.0","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","GitCommit":"x","GoVersion":"go","KernelVersion":"k"}"#,
                        ),
                        _ => answer("404 Not Found", "", "{\"message\":\"page not found\"}\n"),
                    };
                    writer.write_all(reply.as_bytes()).unwrap();
                }
            });
        }
    });
    seen
}

fn ours(dir: &TempDir, host: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(harness::dockbox());
    command
        .arg("docker")
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", dir.join("config"))
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    harness::run(&mut command)
}

fn negotiated(ping: Ping, env: &[(&str, &str)]) -> (String, Vec<String>) {
    let dir = TempDir::new("client-wire");
    let socket = dir.join("sock");
    let seen = scripted_daemon(&socket, ping);
    let host = format!("unix://{}", socket.display());
    let output = ours(
        &dir,
        &host,
        &["version", "--format", "{{.Client.APIVersion}}"],
        env,
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let requests = seen.lock().unwrap().clone();
    (stdout_of(&output).trim().to_string(), requests)
}

#[test]
fn negotiates_down_to_an_older_daemon_with_head_ping() {
    let (version, requests) = negotiated(Ping::Version(Some("1.41")), &[]);
    assert_eq!(version, "1.41");
    assert_eq!(
        requests,
        ["HEAD /_ping HTTP/1.1", "GET /v1.41/version HTTP/1.1"]
    );
}

#[test]
fn keeps_its_own_version_with_a_newer_daemon() {
    let (version, requests) = negotiated(Ping::Version(Some("1.99")), &[]);
    assert_eq!(version, "1.50");
    assert_eq!(requests[1], "GET /v1.50/version HTTP/1.1");
}

#[test]
fn falls_back_to_get_ping_and_to_1_24_without_a_header() {
    let (version, requests) = negotiated(Ping::HeadRefused("1.45"), &[]);
    assert_eq!(version, "1.45");
    assert_eq!(
        requests[..2],
        ["HEAD /_ping HTTP/1.1", "GET /_ping HTTP/1.1"]
    );
    let (version, _) = negotiated(Ping::Version(None), &[]);
    assert_eq!(version, "1.24");
}

#[test]
fn docker_api_version_turns_negotiation_off() {
    let (version, requests) = negotiated(
        Ping::Version(Some("1.41")),
        &[("DOCKER_API_VERSION", "1.43")],
    );
    assert_eq!(version, "1.43");
    assert_eq!(requests, ["GET /v1.43/version HTTP/1.1"]);
}

#[test]
fn downgraded_version_is_shown_as_the_cli_shows_it() {
    let dir = TempDir::new("client-wire-downgraded");
    let socket = dir.join("sock");
    scripted_daemon(&socket, Ping::Version(Some("1.41")));
    let output = ours(
        &dir,
        &format!("unix://{}", socket.display()),
        &["version"],
        &[],
    );
    let text = stdout_of(&output);
    assert!(
        text.contains(" API version:       1.41 (downgraded from 1.50)\n"),
        "{text}"
    );
    assert!(
        text.contains("  API version:      1.41 (minimum version 1.12)\n"),
        "{text}"
    );
}

#[test]
fn commands_the_daemon_cannot_serve_say_so() {
    let dir = TempDir::new("client-wire-unserved");
    let socket = dir.join("sock");
    scripted_daemon(&socket, Ping::Version(Some("1.50")));
    let host = format!("unix://{}", socket.display());
    // `search` is the one command left whose daemon side comes later.
    let output = ours(&dir, &host, &["search", "busybox"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr_of(&output),
        "Error: docker search is not supported by this daemon yet\n"
    );
    // Without a daemon, the connection error comes first, as for any command.
    let output = ours(&dir, "unix:///nonexistent/sock", &["search", "x"], &[]);
    assert_eq!(
        stderr_of(&output),
        "Cannot connect to the Docker daemon at unix:///nonexistent/sock. Is the docker daemon running?\n"
    );
}

#[test]
fn unsupported_hosts_and_contexts_are_clear_errors() {
    let dir = TempDir::new("client-wire-hosts");
    let output = ours(&dir, "tcp://127.0.0.1:2375", &["ps"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("tcp:// hosts are not supported yet"),
        "{}",
        stderr_of(&output)
    );
    let output = ours(&dir, "unix:///x", &["--context", "remote", "ps"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("context \"remote\""),
        "{}",
        stderr_of(&output)
    );
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(
        dir.join("config/config.json"),
        r#"{"currentContext":"remote"}"#,
    )
    .unwrap();
    let mut command = Command::new(harness::dockbox());
    command
        .args(["docker", "ps"])
        .env_remove("DOCKER_HOST")
        .env("DOCKER_CONFIG", dir.join("config"));
    let output = harness::run(&mut command);
    assert!(
        stderr_of(&output).contains("context \"remote\""),
        "{}",
        stderr_of(&output)
    );
}
