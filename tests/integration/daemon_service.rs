//! dockerd as a service manager runs it: `-H fd://` serves the sockets
//! systemd passes (docker.socket), which stay when the daemon stops.

use crate::daemon_support::{RawConnection, TestDaemon};
use crate::harness::{ProcessGuard, TempDir, need_root, netns, run, stderr_of};
use crate::require;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `dockbox dockerd ARGS` with everything below `dir`, under a shell that
/// sets LISTEN_PID to the daemon's own pid, as systemd does.
fn activated_command(dir: &TempDir, extra: &[&str]) -> Command {
    let plain = TestDaemon::command(dir.path(), &dir.join("sock"), &dir.join("pid"));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"LISTEN_PID=$$ exec "$@""#)
        .arg("sh")
        .arg(plain.get_program())
        .args(plain.get_args())
        .args(extra);
    netns::in_new_netns(&mut command);
    command
}

#[test]
fn fd_host_serves_the_sockets_systemd_passes_and_leaves_them() {
    require!(need_root());
    let dir = TempDir::new("fd-host");
    let activated = dir.join("activated.sock");
    let listener = UnixListener::bind(&activated).unwrap();
    let listener_fd = listener.as_raw_fd();
    let mut command = activated_command(&dir, &["-H", "fd://"]);
    command.env("LISTEN_FDS", "1");
    // SAFETY: dup2 and fcntl are async-signal-safe; fd 3 is where systemd
    // puts the first socket.
    unsafe {
        command.pre_exec(move || {
            if listener_fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0);
            } else if libc::dup2(listener_fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut guard = ProcessGuard::child(child);
    drop(listener);

    // The socket listens already; the answer shows the daemon serves it.
    let mut connection = RawConnection::connect(&activated);
    let ping = connection.get("/_ping");
    assert_eq!(ping.status, 200);
    // The -H unix:// socket is served beside it.
    assert_eq!(
        RawConnection::connect(&dir.join("sock"))
            .get("/_ping")
            .status,
        200
    );

    let pid = guard.id();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let child = guard.child_mut().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "daemon ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(dir.join("daemon.log")).unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains(&format!("API listen on {}", activated.display())),
        "{log}"
    );
    assert!(activated.exists(), "systemd's socket was removed");
    assert!(
        !Path::new(&dir.join("sock")).exists(),
        "our socket was left"
    );
}

#[test]
fn fd_host_without_activation_is_refused() {
    require!(need_root());
    let dir = TempDir::new("fd-host-none");
    let output = run(activated_command(&dir, &["-H", "fd://"]).env_remove("LISTEN_FDS"));
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains(
            "no sockets found via socket activation: make sure the service was started by systemd"
        ),
        "{output:?}"
    );
    assert!(!dir.join("pid").exists());
}

fn info(daemon: &TestDaemon) -> serde_json::Value {
    let response = daemon.connect().get("/info");
    assert_eq!(response.status, 200);
    serde_json::from_slice(&response.body).unwrap()
}

/// Sends SIGHUP and waits for the log line that ends the reload.
fn reload(daemon: &mut TestDaemon, done: &str, count: usize) {
    let pid = daemon.guard.id();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(pid, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while daemon.log().matches(done).count() < count {
        assert!(
            Instant::now() < deadline,
            "no {done:?} in\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGHUP rereads daemon.json and applies debug and labels, as dockerd;
/// a file with an unknown key is refused with dockerd's words and changes
/// nothing, and the daemon keeps running.
#[test]
fn sighup_reloads_debug_and_labels() {
    require!(need_root());
    let mut daemon = TestDaemon::start("sighup");
    let before = info(&daemon);
    assert_eq!(before["Debug"], false);
    assert_eq!(before["Labels"], serde_json::json!([]));

    let config_path = daemon.dir.join("daemon.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["debug"] = true.into();
    config["labels"] = serde_json::json!(["tier=edge"]);
    std::fs::write(&config_path, config.to_string()).unwrap();
    reload(&mut daemon, "Reloaded configuration:", 1);
    let after = info(&daemon);
    assert_eq!(after["Debug"], true);
    assert_eq!(after["Labels"], serde_json::json!(["tier=edge"]));

    config["foo"] = 1.into();
    std::fs::write(&config_path, config.to_string()).unwrap();
    reload(&mut daemon, "Error reconfiguring the daemon:", 1);
    assert!(
        daemon
            .log()
            .contains("the following directives don't match any configuration option: foo"),
        "{}",
        daemon.log()
    );
    assert_eq!(info(&daemon)["Labels"], serde_json::json!(["tier=edge"]));
}
