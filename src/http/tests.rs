//! Server and client against each other over socketpairs.

use super::server::Hijacked;
use super::*;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

/// Serves requests on one connection until it closes, is hijacked, or a
/// response says `Connection: close`, blocking between requests.
fn serve_connection(stream: UnixStream, handler: &dyn Handler, default_headers: &Headers) {
    let mut reader = server::ConnectionReader::new(stream, Vec::new());
    while let server::AfterRequest::KeepAlive(next) =
        server::serve_request(reader, handler, default_headers)
    {
        reader = next;
    }
}

struct TestHandler;

impl Handler for TestHandler {
    fn handle(&self, exchange: &mut Exchange<'_>) -> std::io::Result<()> {
        match exchange.head().path.as_str() {
            "/echo" => {
                let body = exchange.read_body(1 << 20)?;
                let mut response = Response::new(200, "application/octet-stream", body);
                response
                    .headers
                    .add("X-Method", exchange.method().to_string());
                exchange.respond(response)
            }
            "/ignore-body" => exchange.respond(Response::new(200, "text/plain", "ignored")),
            "/stream" => {
                let mut writer = exchange.stream(200, &Headers::new())?;
                writer.write_all(b"one\n")?;
                writer.write_all(b"two\n")?;
                writer.finish().map(drop)
            }
            "/hijack" => {
                let Hijacked { reader, mut writer } =
                    exchange.hijack("application/vnd.docker.raw-stream")?;
                // Echo upper-cased until the client half-closes, then say bye:
                // writing after the peer's SHUT_WR must still work.
                let mut reader = reader;
                let mut buf = [0u8; 64];
                loop {
                    let n = reader.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    writer.write_all(&buf[..n].to_ascii_uppercase())?;
                }
                writer.write_all(b"BYE")?;
                writer.shutdown(Shutdown::Write)
            }
            "/greet" => {
                // The stream's first bytes go out right behind the head.
                let Hijacked { mut writer, .. } =
                    exchange.hijack("application/vnd.docker.raw-stream")?;
                writer.write_all(b"FIRST FRAME")?;
                writer.shutdown(Shutdown::Write)
            }
            "/silent" => Ok(()),
            _ => exchange.respond(Response::new(404, "text/plain", "nope")),
        }
    }
}

fn start() -> UnixStream {
    let (client, server) = UnixStream::pair().unwrap();
    std::thread::spawn(move || {
        serve_connection(server, &TestHandler, &{
            let mut defaults = Headers::new();
            defaults.add("Server", "test");
            defaults
        })
    });
    client
}

fn raw_exchange(wire: &[u8]) -> String {
    let mut client = start();
    client.write_all(wire).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn keep_alive_serves_several_requests_and_heads() {
    let mut connection = ClientConnection::from_stream(start()).unwrap();
    for round in 0..3 {
        let body = format!("round {round}");
        let mut response = connection
            .request("POST", "/echo", &Headers::new(), body.as_bytes())
            .unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(response.headers.get("server"), Some("test"));
        assert_eq!(response.read_body().unwrap(), body.as_bytes());
    }
    let mut head = connection
        .request("HEAD", "/echo", &Headers::new(), b"")
        .unwrap();
    assert_eq!(head.headers.get("Content-Length"), Some("0"));
    assert!(head.read_body().unwrap().is_empty());
    // An unread request body is drained so the next request still parses.
    let mut ignored = connection
        .request("POST", "/ignore-body", &Headers::new(), &[b'x'; 5000])
        .unwrap();
    assert_eq!(ignored.read_body().unwrap(), b"ignored");
    let after = connection
        .request("GET", "/echo", &Headers::new(), b"")
        .unwrap();
    assert_eq!(after.status, 200);
    assert_eq!(after.headers.get("X-Method"), Some("GET"));
}

#[test]
fn chunked_request_body_is_decoded() {
    let mut connection = ClientConnection::from_stream(start()).unwrap();
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut response = connection
        .request_streaming("POST", "/echo", &Headers::new(), &mut &payload[..])
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.read_body().unwrap(), payload);
}

#[test]
fn streamed_response_is_chunked_and_closes() {
    let answer = raw_exchange(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("Transfer-Encoding: chunked\r\n"),
        "{answer}"
    );
    assert!(
        answer.ends_with("\r\n\r\n4\r\none\n\r\n4\r\ntwo\n\r\n0\r\n\r\n"),
        "{answer}"
    );
}

#[test]
fn upgrade_gives_separate_directions_and_survives_half_close() {
    let connection = ClientConnection::from_stream(start()).unwrap();
    let client::Upgrade::Switched(hijacked) = connection
        .upgrade("POST", "/hijack", &Headers::new(), b"")
        .unwrap()
    else {
        panic!("the upgrade was refused");
    };
    let client::Upgraded {
        mut reader,
        mut writer,
    } = hijacked;
    writer.write_all(b"hello").unwrap();
    let mut echoed = [0u8; 5];
    reader.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"HELLO");
    writer.shutdown(Shutdown::Write).unwrap();
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "BYE");
}

#[test]
fn upgrade_status_line_is_dockers_and_early_bytes_are_kept() {
    // Stream bytes sent right behind the head must reach the handler.
    let answer = raw_exchange(
        b"POST /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly",
    );
    assert!(answer.starts_with("HTTP/1.1 101 UPGRADED\r\n"), "{answer}");
    assert!(answer.contains("Connection: Upgrade\r\n"), "{answer}");
    assert!(answer.contains("Upgrade: tcp\r\n"), "{answer}");
    assert!(
        answer.contains("Content-Type: application/vnd.docker.raw-stream\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("\r\n\r\nEARLYBYE"), "{answer}");
    // Without an Upgrade header the same stream comes as a raw 200.
    let plain = raw_exchange(b"POST /hijack HTTP/1.1\r\nHost: x\r\n\r\nraw");
    assert!(plain.starts_with("HTTP/1.1 200 OK\r\n"), "{plain}");
    assert!(plain.ends_with("\r\n\r\nRAWBYE"), "{plain}");
}

/// A slow client: the head is there, and the read comes a little later,
/// with room for much more than the head. Returns that read and the rest.
fn read_greeting_slowly() -> (String, String) {
    use std::os::fd::AsFd;
    let mut client = start();
    client
        .write_all(
            b"POST /greet HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
        )
        .unwrap();
    let mut fds = [nix::poll::PollFd::new(
        client.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(5000u16)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut buffer = vec![0u8; 64 * 1024];
    let n = client.read(&mut buffer).unwrap();
    let first = String::from_utf8_lossy(&buffer[..n]).into_owned();
    let mut rest = String::new();
    client.read_to_string(&mut rest).unwrap();
    (first, rest)
}

#[test]
fn a_hijacked_stream_starts_after_the_client_has_read_the_head() {
    // Up to three tries: without the wait every one fails, with it one
    // fails only if this thread is kept off the CPU for 80 ms.
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (first, rest) = read_greeting_slowly();
        assert!(first.starts_with("HTTP/1.1 101 UPGRADED\r\n"), "{first}");
        if first.ends_with("\r\n\r\n") {
            assert_eq!(rest, "FIRST FRAME");
            return;
        }
        tries.push(first);
    }
    panic!("the stream came with the head: {tries:?}");
}

#[test]
fn malformed_requests_get_400_and_close() {
    for wire in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"GET http://x/ HTTP/1.1\r\n\r\n",
    ] {
        let answer = raw_exchange(wire);
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{:?} -> {answer}",
            String::from_utf8_lossy(wire)
        );
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
    }
    let huge = format!(
        "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(wire::MAX_HEAD_BYTES)
    );
    let answer = raw_exchange(huge.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer:.200}");
}

#[test]
fn ambiguous_framing_gets_400_and_the_rest_is_never_served() {
    // Each request hides a second one where a reader of the other framing
    // would see it; only the 400 may come back, and then the close.
    for framing in [
        "Content-Length: 5\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked, chunked\r\nContent-Length: 5",
        "Transfer-Encoding: chunked, chunked",
        "Content-Length: 5\r\nContent-Length: 5",
    ] {
        let wire = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n\
             0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        let answer = raw_exchange(wire.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{framing:?} -> {answer}"
        );
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
}

#[test]
fn http10_and_connection_close_end_the_connection() {
    let answer = raw_exchange(b"GET /echo HTTP/1.0\r\n\r\nGET /echo HTTP/1.0\r\n\r\n");
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 1, "{answer}");
    assert!(answer.contains("Connection: close\r\n"));
    let answer =
        raw_exchange(b"GET /echo HTTP/1.1\r\nConnection: close\r\n\r\nGET /echo HTTP/1.1\r\n\r\n");
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 1, "{answer}");
}

#[test]
fn a_handler_that_does_not_answer_gets_500() {
    let answer = raw_exchange(b"GET /silent HTTP/1.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 500 "), "{answer}");
}

#[test]
fn serve_stops_when_the_stop_fd_is_readable() {
    use std::os::fd::AsFd;
    let dir = std::env::temp_dir().join(format!("dockbox-http-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let (stop_reader, mut stop_writer) = std::io::pipe().unwrap();
    let server = std::thread::spawn(move || {
        serve(
            &listener,
            Arc::new(TestHandler),
            Arc::new(Headers::new()),
            stop_reader.as_fd(),
        )
    });
    // A connection held open with a half-sent request does not block others.
    let mut stuck = UnixStream::connect(&socket).unwrap();
    stuck
        .write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    let mut connection =
        ClientConnection::from_stream(UnixStream::connect(&socket).unwrap()).unwrap();
    let mut response = connection
        .request("POST", "/echo", &Headers::new(), b"quick")
        .unwrap();
    assert_eq!(response.read_body().unwrap(), b"quick");
    stop_writer.write_all(b"x").unwrap();
    server.join().unwrap().unwrap();
    drop(stuck);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_upgrade_the_server_refuses_comes_back_with_its_status() {
    let connection = ClientConnection::from_stream(start()).unwrap();
    match connection
        .upgrade("POST", "/nowhere", &Headers::new(), b"")
        .unwrap()
    {
        client::Upgrade::Refused(status) => assert_eq!(status, 404),
        client::Upgrade::Switched(..) => panic!("a 404 must not switch protocols"),
    }
}
