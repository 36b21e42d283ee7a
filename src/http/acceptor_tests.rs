//! The acceptor's limits, against a real listening socket: the head
//! deadline and the order in which connections are shed at the cap.

use super::acceptor::{Limits, serve_with};
use super::*;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Pong;

impl Handler for Pong {
    fn handle(&self, exchange: &mut Exchange<'_>) -> std::io::Result<()> {
        exchange.respond(Response::new(200, "text/plain", "pong"))
    }
}

/// A server on a socket in a temp dir, stopped and removed on drop.
struct Served {
    dir: PathBuf,
    socket: PathBuf,
    stop: Option<std::io::PipeWriter>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Served {
    fn start(name: &str, limits: Limits) -> Served {
        let dir = std::env::temp_dir().join(format!("dockbox-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("sock");
        let listener = UnixListener::bind(&socket).unwrap();
        let (stop_reader, stop_writer) = std::io::pipe().unwrap();
        let thread = std::thread::spawn(move || {
            serve_with(
                &listener,
                Arc::new(Pong),
                Arc::new(Headers::new()),
                stop_reader.as_fd(),
                limits,
            )
        });
        Served {
            dir,
            socket,
            stop: Some(stop_writer),
            thread: Some(thread),
        }
    }

    fn connect(&self) -> UnixStream {
        let stream = UnixStream::connect(&self.socket).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut stop) = self.stop.take() {
            let _ = stop.write_all(b"x");
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends a ping on `stream` and reads its whole answer (it is small).
fn ping(stream: &mut UnixStream) -> String {
    stream
        .write_all(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// Whether the server closed `stream` (EOF within its read timeout).
fn closed(stream: &mut UnixStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.read(&mut byte), Ok(0))
}

/// Whether `stream` is still open: no EOF within a short wait.
fn still_open(stream: &mut UnixStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut byte = [0u8; 1];
    let open =
        matches!(stream.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    open
}

#[test]
fn a_head_not_complete_by_the_deadline_is_closed_but_idle_keep_alive_is_not() {
    let deadline = Duration::from_millis(300);
    let served = Served::start(
        "head-deadline",
        Limits {
            max_connections: 100,
            head_deadline: deadline,
        },
    );
    let mut kept_alive = served.connect();
    assert!(ping(&mut kept_alive).contains("pong"));
    let started = Instant::now();
    let mut silent = served.connect();
    let mut partial = served.connect();
    partial.write_all(b"GET /_ping HTTP/1.1\r\nHo").unwrap();
    assert!(
        closed(&mut partial),
        "a half-sent head outlived its deadline"
    );
    assert!(closed(&mut silent), "a silent new connection outlived it");
    let waited = started.elapsed();
    assert!(
        waited >= deadline && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    // Kept alive with nothing sent has no deadline: it still serves.
    assert!(ping(&mut kept_alive).contains("pong"));
}

#[test]
fn over_the_cap_idle_connections_go_first_then_the_oldest_head() {
    let served = Served::start(
        "shedding",
        Limits {
            max_connections: 3,
            head_deadline: Duration::from_secs(60),
        },
    );
    let mut idle = served.connect();
    assert!(ping(&mut idle).contains("pong"));
    // Back from its request thread before the crowd arrives (generous,
    // for a loaded machine).
    std::thread::sleep(Duration::from_millis(500));
    let mut older_head = served.connect();
    older_head.write_all(b"GET /_ping HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut newer_head = served.connect();
    std::thread::sleep(Duration::from_millis(50));
    let mut fourth = served.connect();
    assert!(closed(&mut idle), "the idle kept-alive connection stayed");
    assert!(still_open(&mut older_head));
    let mut fifth = served.connect();
    assert!(closed(&mut older_head), "the oldest head stayed");
    assert!(still_open(&mut newer_head));
    assert!(ping(&mut fourth).contains("pong"));
    assert!(ping(&mut fifth).contains("pong"));
    // The shed one's neighbour finishes its head and is served.
    assert!(ping(&mut newer_head).contains("pong"));
}
