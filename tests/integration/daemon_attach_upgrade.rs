//! The first bytes after `101 UPGRADED` on attach: they must reach a client
//! that reads the head through a buffered reader and then switches to the
//! raw socket (docker-py does, and lost them when both came in one read).

use crate::daemon_run::{Leftovers, daemon_with_busybox, ok, skip_unless_ready, wait_for};
use crate::daemon_support::TestDaemon;
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

/// stdout's "hello\n" as a multiplexed frame.
const HELLO_FRAME: &[u8] = b"\x01\0\0\0\0\0\0\x06hello\n";

/// Sends an upgrading attach for `query`, waits until the answer starts to
/// arrive and a little more (a slow client), then reads once with room for
/// much more than the head. Returns that read and the first frame's bytes
/// read after it.
fn attach_like_a_slow_client(daemon: &TestDaemon, name: &str, query: &str) -> (String, Vec<u8>) {
    let mut stream = UnixStream::connect(&daemon.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!(
        "POST /v1.50/containers/{name}/attach?{query} HTTP/1.1\r\nHost: docker\r\n\
         Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut fds = [nix::poll::PollFd::new(
        stream.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(10_000u16)).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let mut buffer = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buffer).unwrap();
    let first_read = String::from_utf8_lossy(&buffer[..n]).into_owned();
    let mut frame = vec![0u8; HELLO_FRAME.len()];
    let frame_start = first_read.find("\r\n\r\n").map_or(n, |end| end + 4);
    let already = (n - frame_start).min(frame.len());
    frame[..already].copy_from_slice(&buffer[frame_start..frame_start + already]);
    stream.read_exact(&mut frame[already..]).unwrap();
    (first_read, frame)
}

/// The head must come alone in the slow client's first read, and the frame
/// after it. Up to three tries: without the fix every try fails (the frame
/// is written at once), while with it one try fails only when this test is
/// kept off the CPU past the daemon's 100 ms wait, as on a loaded machine.
fn assert_head_alone(daemon: &TestDaemon, name: &str, query: &str) {
    let mut tries = Vec::new();
    for _ in 0..3 {
        let (first_read, frame) = attach_like_a_slow_client(daemon, name, query);
        assert!(
            first_read.starts_with("HTTP/1.1 101 UPGRADED\r\n"),
            "{query}: {first_read:?}"
        );
        assert_eq!(frame, HELLO_FRAME, "{query}");
        if first_read.ends_with("\r\n\r\n") {
            return;
        }
        tries.push(first_read);
    }
    panic!("{query}: the first frame came in the head's read: {tries:?}");
}

#[test]
fn attach_without_stream_sends_the_upgrade_head_before_the_log_replay() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("attach-upgrade-logs");
    let _leftovers = Leftovers::of(&daemon);
    // stream=0: the log replay of an exited container follows the head.
    ok(
        &daemon,
        &daemon.docker(&["run", "--name", "done", "busybox", "echo", "hello"]),
    );
    assert_head_alone(&daemon, "done", "logs=1&stream=0&stdout=1&stderr=1");
    ok(&daemon, &daemon.docker(&["rm", "done"]));
}

#[test]
fn attach_with_stream_sends_the_upgrade_head_before_the_first_frame() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("attach-upgrade-live");
    let _leftovers = Leftovers::of(&daemon);
    // stream=1 to a running container: the replay, then the live stream.
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "live",
            "busybox",
            "sh",
            "-c",
            "echo hello; sleep 30",
        ]),
    );
    wait_for("the live container's first line", || {
        stdout_of(&daemon.docker(&["logs", "live"])) == "hello\n"
    });
    assert_head_alone(&daemon, "live", "logs=1&stream=1&stdout=1&stderr=1");
    ok(&daemon, &daemon.docker(&["rm", "-f", "live"]));
}

/// docker-py's own `test_attach_no_stream`, a few times over: it read the
/// head with http.client's buffered reader and the frames from the socket.
#[test]
fn docker_py_attach_without_stream_gets_the_output() {
    require!(skip_unless_ready());
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = daemon_with_busybox("attach-docker-py");
    let _leftovers = Leftovers::of(&daemon);
    let script = format!(
        r#"import docker
client = docker.APIClient(base_url='{host}', version='auto')
for round in range(5):
    container = client.create_container('busybox', 'echo hello')
    client.start(container)
    client.wait(container, condition='not-running')
    output = client.attach(container, stream=False, logs=True)
    client.remove_container(container)
    print(round, repr(output))
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
        "0 b'hello\\n'\n1 b'hello\\n'\n2 b'hello\\n'\n3 b'hello\\n'\n4 b'hello\\n'\n"
    );
}
