//! Requests whose body length could be read two ways (RFC 9112 section
//! 6.3): our daemon refuses each with 400 and closes the connection, so
//! nothing behind them is ever served. Debian's dockerd 20.10 runs the same
//! requests as a control.

use crate::daemon_support::{RawConnection, TestDaemon};
use crate::harness::engine::{Engine, need_engine};
use crate::harness::{self, need_root};
use crate::require;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// The framings the issue names, each with a second request hidden where
/// a reader of the other framing would find it.
const AMBIGUOUS_FRAMINGS: [&str; 4] = [
    "Content-Length: 5\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding: chunked, chunked",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    "Content-Length: 5\r\nContent-Length: 5",
];

fn ambiguous_request(framing: &str) -> String {
    format!(
        "POST /_ping HTTP/1.1\r\nHost: docker\r\n{framing}\r\n\r\n\
         0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: docker\r\n\r\n"
    )
}

/// What came back: every status line, and whether the server closed the
/// connection within 5 s.
struct Outcome {
    statuses: Vec<u16>,
    closed: bool,
}

fn send_ambiguous(socket: &Path, framing: &str) -> Outcome {
    let mut connection = RawConnection::connect(socket);
    connection.send(ambiguous_request(framing).as_bytes());
    let stream = connection.reader.get_mut();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => break false,
        }
    };
    let text = String::from_utf8_lossy(&answer);
    let statuses = text
        .split("HTTP/1.1 ")
        .skip(1)
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect();
    Outcome { statuses, closed }
}

#[test]
fn ambiguous_framing_gets_400_and_close() {
    require!(need_root());
    let daemon = TestDaemon::start("smuggling");
    for framing in AMBIGUOUS_FRAMINGS {
        let outcome = send_ambiguous(&daemon.socket, framing);
        assert_eq!(outcome.statuses, [400], "{framing:?}");
        assert!(outcome.closed, "{framing:?}: the connection stayed open");
    }
    let mut connection = daemon.connect();
    assert_eq!(connection.get("/_ping").status, 200);
}

/// The control: what Debian's dockerd 20.10 (Go's net/http) does with the
/// same bytes. Go drops Content-Length when Transfer-Encoding is chunked
/// and serves both requests (404 for the POST /_ping, which dockerd routes
/// for GET and HEAD only, and 404 for /smuggled), refuses a repeated
/// chunked with 501 and closes, and takes two equal Content-Lengths as one
/// (both served again). This pins that down, so the comparison stays true.
#[test]
fn dockerd_control_on_ambiguous_framing() {
    require!(need_engine());
    let engine = match Engine::shared() {
        Ok(engine) => engine,
        Err(reason) => {
            harness::report_skip(module_path!(), &reason);
            return;
        }
    };
    let socket = engine.dir().join("docker.sock");
    let mut seen = Vec::new();
    for framing in AMBIGUOUS_FRAMINGS {
        let outcome = send_ambiguous(&socket, framing);
        eprintln!(
            "dockerd 20.10: {framing:?} -> statuses {:?}, closed {}",
            outcome.statuses, outcome.closed
        );
        seen.push((outcome.statuses, outcome.closed));
    }
    let expected: Vec<(Vec<u16>, bool)> = vec![
        (vec![404, 404], false),
        (vec![501], true),
        (vec![501], true),
        (vec![404, 404], false),
    ];
    assert_eq!(seen, expected);
}
