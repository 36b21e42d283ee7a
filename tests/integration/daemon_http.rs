//! The daemon's HTTP layer and lifecycle, driven over raw sockets.

use crate::daemon_support::{RawConnection, TestDaemon};
use crate::harness::{ProcessGuard, need_root};
use crate::require;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn assert_api_headers(response: &crate::daemon_support::RawResponse) {
    assert_eq!(
        response.header("Api-Version").as_deref(),
        Some("1.50"),
        "{}",
        response.head
    );
    assert_eq!(response.header("Ostype").as_deref(), Some("linux"));
    assert_eq!(
        response.header("Docker-Experimental").as_deref(),
        Some("false")
    );
    assert!(
        response
            .header("Server")
            .is_some_and(|s| s.starts_with("Docker/")),
        "{}",
        response.head
    );
}

#[test]
fn ping_answers_head_and_get_with_and_without_prefix() {
    require!(need_root());
    let daemon = TestDaemon::start("ping");
    let mut connection = daemon.connect();
    for path in ["/_ping", "/v1.50/_ping", "/v1.24/_ping"] {
        let get = connection.get(path);
        assert_eq!(
            (get.status, get.body_text().as_str()),
            (200, "OK"),
            "{path}"
        );
        assert_api_headers(&get);
        assert_eq!(get.header("Builder-Version").as_deref(), Some("1"));
        assert_eq!(get.header("Swarm").as_deref(), Some("inactive"));
        assert_eq!(
            get.header("Cache-Control").as_deref(),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(get.header("Pragma").as_deref(), Some("no-cache"));
        connection.send(format!("HEAD {path} HTTP/1.1\r\nHost: docker\r\n\r\n").as_bytes());
        let head = connection.read_response("HEAD");
        assert_eq!(head.status, 200);
        assert_eq!(head.header("Content-Length").as_deref(), Some("0"));
        assert_api_headers(&head);
    }
}

#[test]
fn keep_alive_serves_two_requests_on_one_connection() {
    require!(need_root());
    let daemon = TestDaemon::start("keepalive");
    let mut connection = daemon.connect();
    // Both requests in one write: the second waits in the buffer.
    connection.send(
        b"GET /version HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n",
    );
    let version = connection.read_response("GET");
    assert_eq!(version.status, 200);
    assert_eq!(version.json()["ApiVersion"], "1.50");
    assert_eq!(version.json()["MinAPIVersion"], "1.24");
    let info = connection.read_response("GET");
    assert_eq!(info.status, 200, "{}", info.body_text());
    assert_eq!(info.json()["Containers"], 0);
    assert_api_headers(&info);
    assert!(info.header("Connection").is_none(), "{}", info.head);
}

#[test]
fn chunked_request_bodies_are_read_through() {
    require!(need_root());
    let daemon = TestDaemon::start("chunked");
    let mut connection = daemon.connect();
    // A chunked body on a route that ignores it must still be consumed, so
    // that the next request on the connection parses.
    connection.send(
        b"POST /nosuch HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n7;ext=x\r\n, world\r\n0\r\n\r\n",
    );
    let missing = connection.read_response("POST");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        serde_json::json!({"message": "page not found"})
    );
    let ping = connection.get("/_ping");
    assert_eq!((ping.status, ping.body_text().as_str()), (200, "OK"));
}

#[test]
fn a_slow_request_does_not_block_others() {
    require!(need_root());
    let daemon = TestDaemon::start("slow");
    // One client stalls inside its head, another inside its body.
    let mut stalled_head = daemon.connect();
    stalled_head.send(b"GET /version HTTP/1.1\r\nHost: doc");
    let mut stalled_body = daemon.connect();
    stalled_body.send(b"POST /_ping HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial");
    let started = Instant::now();
    for _ in 0..3 {
        let mut other = daemon.connect();
        assert_eq!(other.get("/_ping").status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The stalled one completes when its bytes arrive.
    stalled_head.send(b"ker\r\n\r\n");
    assert_eq!(stalled_head.read_response("GET").status, 200);
}

#[test]
fn api_versions_outside_1_24_to_1_50_get_400() {
    require!(need_root());
    let daemon = TestDaemon::start("versions");
    let mut connection = daemon.connect();
    let old = connection.get("/v1.23/version");
    assert_eq!(old.status, 400);
    assert_eq!(
        old.json()["message"],
        "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
    );
    assert_api_headers(&old);
    let new = connection.get("/v1.51/_ping");
    assert_eq!(new.status, 400);
    assert_eq!(
        new.json()["message"],
        "client version 1.51 is too new. Maximum supported API version is 1.50"
    );
    for path in ["/v1.24/version", "/v1.50/version", "/version"] {
        assert_eq!(connection.get(path).status, 200, "{path}");
    }
}

#[test]
fn unknown_routes_get_moby_404() {
    require!(need_root());
    let daemon = TestDaemon::start("notfound");
    let mut connection = daemon.connect();
    for path in [
        "/nosuch",
        "/v1.50/containers/nosuch/frobnicate",
        "/networks/nosuch/frobnicate",
        "/",
    ] {
        let response = connection.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(
            response.header("Content-Type").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            response.json(),
            serde_json::json!({"message": "page not found"})
        );
        assert_api_headers(&response);
    }
    // A known path under the wrong method is also a 404 for moby.
    connection.send(b"DELETE /version HTTP/1.1\r\nHost: docker\r\n\r\n");
    assert_eq!(connection.read_response("DELETE").status, 404);
    // A malformed filter is a 400, not a crash.
    let bad = connection.get("/containers/json?filters=%7Bnot-json");
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid filter")
    );
}

#[test]
fn malformed_requests_get_400_and_the_daemon_stays_up() {
    require!(need_root());
    let daemon = TestDaemon::start("malformed");
    for garbage in [
        &b"NOT HTTP AT ALL\r\n\r\n"[..],
        b"GET /_ping HTTP/1.1\r\nNo-Colon-Here\r\n\r\n",
        b"POST /_ping HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"GET /_ping HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        b"GET /_ping HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"\x00\x01\x02\xff\r\n\r\n",
    ] {
        let mut connection = daemon.connect();
        connection.send(garbage);
        let response = connection.read_response("GET");
        assert!(
            response.status == 400,
            "{:?} -> {}",
            String::from_utf8_lossy(garbage),
            response.head
        );
        assert!(connection.is_closed());
    }
    // Half a request and a hang-up do no harm either.
    let mut dropped = daemon.connect();
    dropped.send(b"GET /_ping HT");
    drop(dropped);
    let mut connection = daemon.connect();
    assert_eq!(connection.get("/_ping").status, 200);
}

#[test]
fn socket_is_0660_and_group_docker_when_it_exists() {
    require!(need_root());
    let daemon = TestDaemon::start("socket-mode");
    let meta = std::fs::metadata(&daemon.socket).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    let docker_gid = std::fs::read_to_string("/etc/group")
        .unwrap()
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&"docker")).then(|| fields[2].parse::<u32>().unwrap())
        });
    assert_eq!(meta.gid(), docker_gid.unwrap_or(0));
    assert_eq!(meta.uid(), 0);
}

#[test]
fn a_second_daemon_on_the_same_data_root_refuses_to_start() {
    require!(need_root());
    let daemon = TestDaemon::start("second");
    let other_socket = daemon.dir.join("sock2");
    // Its own socket and pidfile, so only the data root is shared.
    let mut second =
        TestDaemon::command(daemon.dir.path(), &other_socket, &daemon.dir.join("pid2"));
    let child = second
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The guard kills it should it start after all.
    let mut guard = ProcessGuard::child(child);
    let child = guard.child_mut().unwrap();
    let mut message = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut message)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{message}");
    assert!(message.contains("is in use by another daemon"), "{message}");
    assert!(
        message.contains(&daemon.dir.join("data").display().to_string()),
        "{message}"
    );
    assert!(!other_socket.exists());
    // The first one is unharmed.
    assert_eq!(daemon.connect().get("/_ping").status, 200);
}

#[test]
fn sigterm_removes_the_socket_and_pidfile_and_exits_0() {
    require!(need_root());
    let mut daemon = TestDaemon::start("sigterm");
    // A connection left open must not keep the daemon alive.
    let mut idle = RawConnection::connect(&daemon.socket);
    assert_eq!(idle.get("/_ping").status, 200);
    let pid = daemon.child().id() as i32;
    assert!(daemon.dir.join("pid").exists());
    assert_eq!(
        std::fs::read_to_string(daemon.dir.join("pid"))
            .unwrap()
            .trim(),
        pid.to_string()
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = daemon.child().try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{}", daemon.log());
    assert!(!daemon.socket.exists(), "socket left behind");
    assert!(!daemon.dir.join("pid").exists(), "pidfile left behind");
    // The data root keeps its store for the next start.
    assert!(daemon.dir.join("data/dockbox.db").exists());
}

#[test]
fn state_survives_a_restart_and_kill_9() {
    require!(need_root());
    let mut daemon = TestDaemon::start("restart");
    let id = daemon.connect().get("/info").json()["ID"].clone();
    assert!(id.as_str().is_some_and(|id| id.len() == 36), "{id}");
    daemon.child().kill().unwrap();
    daemon.child().wait().unwrap();
    // SIGKILL leaves the socket and pidfile; a new daemon takes over both.
    let restarted = TestDaemon::start_in(daemon);
    assert_eq!(restarted.connect().get("/info").json()["ID"], id);
}

#[test]
fn config_file_keys_apply_and_conflicts_with_flags_are_refused() {
    require!(need_root());
    let dir = crate::harness::TempDir::new("config-file");
    let socket = dir.join("sock");
    // The data root comes from the file only.
    std::fs::write(
        dir.join("daemon.json"),
        format!(
            "{{\"data-root\": \"{}\", \"log-level\": \"debug\", \"live-restore\": true,\n \
             \"log-opts\": {{\"max-size\": \"10m\"}}}}\n",
            dir.join("from-file").display()
        ),
    )
    .unwrap();
    let mut command = TestDaemon::command(dir.path(), &socket, &dir.join("pid"));
    // `command` passes --data-root too: that is the conflict.
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains(
            "the following directives are specified both as a flag and in the configuration file: data-root"
        ),
        "{message}"
    );
    assert!(!socket.exists());
    // Without the flag, the file's data root is used.
    let mut without = std::process::Command::new(crate::harness::dockbox());
    without
        .args(["dockerd", "--exec-root"])
        .arg(dir.join("exec"))
        .arg(format!("--host=unix://{}", socket.display()))
        .arg(format!("--pidfile={}", dir.join("pid").display()))
        .arg(format!(
            "--config-file={}",
            dir.join("daemon.json").display()
        ))
        .env("DOCKBOX_TEST_NETNS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    crate::harness::netns::in_new_netns(&mut without);
    let _guard = ProcessGuard::child(without.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < deadline, "daemon did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
    let info = RawConnection::connect(&socket).get("/info").json();
    assert_eq!(
        info["DockerRootDir"],
        dir.join("from-file").display().to_string()
    );
    assert_eq!(info["LiveRestoreEnabled"], true);
    assert_eq!(info["Debug"], true);
    assert!(dir.join("from-file/dockbox.db").exists());
}
