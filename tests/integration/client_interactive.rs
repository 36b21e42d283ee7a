//! Interactive `docker run -it` and `docker attach` under a real pty: a
//! private tmux server types into the client and reads the screen. Our
//! client runs the whole story (a shell, `42`, the window size following
//! a resize, ctrl-p ctrl-q detaching, attach back, detach keys from the
//! flag and from config.json, the terminal restored afterwards); the real
//! CLI runs `run -it` and the detach against our daemon, to prove the
//! daemon side on its own. Without a TTY, both clients forward the
//! signals they get to the container (`--sig-proxy`).

use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::{self, TempDir, busybox, need_root};
use crate::require;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TMUX: &str = "/usr/bin/tmux";

/// A tmux server on a socket of its own, killed through that socket on
/// drop (never by name).
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(dir: &Path) -> Tmux {
        let tmux = Tmux {
            socket: dir.join("tmux.sock"),
        };
        // A window that only holds the server open; the tests use others.
        let output = tmux.command(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "30",
            "sleep",
            "600",
        ]);
        assert!(
            output.status.success(),
            "tmux: {}",
            harness::stderr_of(&output)
        );
        tmux
    }

    fn command(&self, args: &[&str]) -> std::process::Output {
        harness::run(
            Command::new(TMUX)
                .arg("-S")
                .arg(&self.socket)
                .args(args)
                .env_remove("TMUX"),
        )
    }

    /// Opens window `name` running `script` in sh, 100x30.
    fn window(&self, name: &str, script: &str) {
        // `t:` is session t at its next free index; a bare `t` may be
        // resolved as a window first, and tmux then fails with "create
        // window failed: index 0 in use" (seen under load).
        let output = self.command(&["new-window", "-d", "-t", "t:", "-n", name, script]);
        assert!(
            output.status.success(),
            "tmux: {}",
            harness::stderr_of(&output)
        );
        self.command(&[
            "resize-window",
            "-t",
            &format!("t:{name}"),
            "-x",
            "100",
            "-y",
            "30",
        ]);
    }

    fn keys(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t"];
        let target = format!("t:{name}");
        args.push(&target);
        args.extend_from_slice(keys);
        self.command(&args);
    }

    fn screen(&self, name: &str) -> String {
        harness::stdout_of(&self.command(&["capture-pane", "-p", "-t", &format!("t:{name}")]))
    }

    /// Resizes the window, then asks the shell for its size until the
    /// new one shows: the resize travels client, daemon, shim, so a shell
    /// asked at once may still see the old size.
    fn resize_and_see(&self, name: &str, rows: u16, columns: u16) {
        let target = format!("t:{name}");
        let (x, y) = (columns.to_string(), rows.to_string());
        self.command(&["resize-window", "-t", &target, "-x", &x, "-y", &y]);
        let wanted = format!("{rows} {columns}\n");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.keys(name, &["clear; stty size", "Enter"]);
            let asked = Instant::now();
            while asked.elapsed() < Duration::from_secs(2) {
                if self.screen(name).contains(&wanted) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if Instant::now() > deadline {
                panic!(
                    "window {name} never showed {wanted:?}; screen:\n{}",
                    self.screen(name)
                );
            }
        }
    }

    /// Waits until the window shows `text`; fails with the screen.
    fn expect(&self, name: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen(name);
            if screen.contains(text) {
                return;
            }
            if Instant::now() > deadline {
                panic!("window {name} never showed {text:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.command(&["kill-server"]);
    }
}

// Fields drop in order: the tmux server goes while its socket exists.
struct Bench {
    tmux: Tmux,
    daemon: TestDaemon,
    work: TempDir,
    ours: PathBuf,
}

impl Bench {
    fn new(label: &str) -> Bench {
        let daemon = TestDaemon::start(label);
        let work = TempDir::new(&format!("{label}-work"));
        let rootfs = busybox::BusyboxRootfs::build(&work.join("rootfs")).unwrap();
        let archive = work.join("busybox.tar");
        busybox::write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
        let loaded = daemon.docker(&["load", "-q", "-i", archive.to_str().unwrap()]);
        assert!(loaded.status.success(), "{}", harness::stderr_of(&loaded));
        std::fs::create_dir_all(work.join("bin")).unwrap();
        let ours = work.join("bin/docker");
        std::os::unix::fs::symlink(harness::dockbox(), &ours).unwrap();
        for (config, keys) in [("config", None), ("config-keys", Some("ctrl-x,x"))] {
            let dir = work.join(config);
            std::fs::create_dir_all(&dir).unwrap();
            if let Some(keys) = keys {
                std::fs::write(
                    dir.join("config.json"),
                    format!("{{\"detachKeys\":\"{keys}\"}}"),
                )
                .unwrap();
            }
        }
        let tmux = Tmux::start(work.path());
        Bench {
            tmux,
            daemon,
            work,
            ours,
        }
    }

    /// A window running `client ARGS`, then printing its exit status and
    /// whether the terminal settings came back unchanged.
    fn client(&self, window: &str, client: &Path, config: &str, args: &str) {
        let before = self.work.join(&format!("{window}.stty"));
        let script = format!(
            "stty -g > {before}; DOCKER_HOST={host} DOCKER_CONFIG={config} {client} {args}; \
             echo EXIT=$?; [ \"$(stty -g)\" = \"$(cat {before})\" ] && echo TERMINAL=restored; \
             sleep 600",
            before = before.display(),
            host = self.daemon.host(),
            config = self.work.join(config).display(),
            client = client.display(),
        );
        self.tmux.window(window, &script);
    }

    fn inspect(&self, name: &str, format: &str) -> String {
        harness::stdout_of(&self.daemon.docker(&["inspect", "-f", format, name]))
            .trim()
            .to_string()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        // Shims outlive a killed daemon: the containers go first, also
        // when a test fails half way.
        let listed = self.daemon.docker(&["ps", "-aq"]);
        let ids: Vec<String> = harness::stdout_of(&listed)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            self.daemon.docker(&args);
        }
    }
}

fn requirements() -> Result<(), String> {
    need_root()?;
    need_docker_cli()?;
    busybox::host_busybox()?;
    harness::need_command("tmux").map(|_| ())
}

#[test]
fn ours_runs_a_shell_resizes_detaches_and_attaches_back() {
    require!(requirements());
    let bench = Bench::new("client-interactive-ours");
    let tmux = &bench.tmux;
    bench.client(
        "run",
        &bench.ours,
        "config",
        "run -it --name ia1 busybox sh",
    );
    tmux.expect("run", "/ #");
    tmux.keys("run", &["echo $((6*7))", "Enter"]);
    tmux.expect("run", "\n42\n");
    tmux.keys("run", &["stty size", "Enter"]);
    tmux.expect("run", "\n30 100\n");
    tmux.resize_and_see("run", 40, 120);
    tmux.keys("run", &["C-p", "C-q"]);
    tmux.expect("run", "EXIT=0");
    tmux.expect("run", "TERMINAL=restored");
    assert!(!tmux.screen("run").contains("read escape sequence"));
    assert_eq!(bench.inspect("ia1", "{{.State.Running}}"), "true");

    // Attach back; detaching from attach says so and exits 1, as the CLI.
    bench.client("attach1", &bench.ours, "config", "attach ia1");
    // Attached once the shell redraws its prompt for the new size.
    tmux.expect("attach1", "/ #");
    tmux.keys("attach1", &["echo back $((1+1))", "Enter"]);
    tmux.expect("attach1", "back 2");
    tmux.keys("attach1", &["C-p", "C-q"]);
    tmux.expect("attach1", "read escape sequence");
    tmux.expect("attach1", "EXIT=1");
    tmux.expect("attach1", "TERMINAL=restored");
    assert_eq!(bench.inspect("ia1", "{{.State.Running}}"), "true");

    // Keys from --detach-keys, then from config.json.
    bench.client(
        "attach2",
        &bench.ours,
        "config",
        "attach --detach-keys ctrl-a,a ia1",
    );
    tmux.expect("attach2", "/ #");
    tmux.keys("attach2", &["echo two", "Enter"]);
    tmux.expect("attach2", "\ntwo\n");
    tmux.keys("attach2", &["C-a", "a"]);
    tmux.expect("attach2", "EXIT=1");
    bench.client("attach3", &bench.ours, "config-keys", "attach ia1");
    // Attached once the shell redraws its prompt for the new size.
    tmux.expect("attach3", "/ #");
    tmux.keys("attach3", &["echo three", "Enter"]);
    tmux.expect("attach3", "\nthree\n");
    // ctrl-p ctrl-q reach the shell now (ctrl-p recalls a line: cleared).
    tmux.keys("attach3", &["C-p", "C-q", "C-u", "echo still", "Enter"]);
    tmux.expect("attach3", "\nstill\n");
    tmux.keys("attach3", &["C-x", "x"]);
    tmux.expect("attach3", "EXIT=1");

    // The last attach ends the shell: its status is the client's.
    bench.client("attach4", &bench.ours, "config", "attach ia1");
    // Attached once the shell redraws its prompt for the new size.
    tmux.expect("attach4", "/ #");
    tmux.keys("attach4", &["exit 3", "Enter"]);
    tmux.expect("attach4", "EXIT=3");
    tmux.expect("attach4", "TERMINAL=restored");
    assert_eq!(
        bench.inspect("ia1", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 3"
    );

    // start -ai runs a created TTY container in the terminal.
    let created = bench
        .daemon
        .docker(&["create", "-it", "--name", "ia2", "busybox", "sh"]);
    assert!(created.status.success(), "{}", harness::stderr_of(&created));
    bench.client("start", &bench.ours, "config", "start -ai ia2");
    tmux.expect("start", "/ #");
    tmux.keys("start", &["echo $((2*3))x", "Enter"]);
    tmux.expect("start", "\n6x\n");
    tmux.keys("start", &["exit 4", "Enter"]);
    tmux.expect("start", "EXIT=4");
    tmux.expect("start", "TERMINAL=restored");
}

#[test]
fn real_cli_runs_a_shell_on_our_daemon_and_detaches() {
    require!(requirements());
    let bench = Bench::new("client-interactive-real");
    let tmux = &bench.tmux;
    let real = Path::new(DOCKER_CLI);
    bench.client("run", real, "config", "run -it --name ir1 busybox sh");
    tmux.expect("run", "/ #");
    tmux.keys("run", &["echo $((6*7))", "Enter"]);
    tmux.expect("run", "\n42\n");
    tmux.resize_and_see("run", 40, 120);
    tmux.keys("run", &["C-p", "C-q"]);
    tmux.expect("run", "EXIT=0");
    assert_eq!(bench.inspect("ir1", "{{.State.Running}}"), "true");
    bench.client("attach", real, "config", "attach ir1");
    // Attached once the shell redraws its prompt for the new size.
    tmux.expect("attach", "/ #");
    tmux.keys("attach", &["C-p", "C-q"]);
    tmux.expect("attach", "read escape sequence");
    tmux.expect("attach", "EXIT=1");
    // Our client attaches to what the real one started, and ends it.
    bench.client("ours", &bench.ours, "config", "attach ir1");
    // Attached once the shell redraws its prompt for the new size.
    tmux.expect("ours", "/ #");
    tmux.keys("ours", &["exit 5", "Enter"]);
    tmux.expect("ours", "EXIT=5");
}

/// `docker exec -it` of the real CLI on our daemon: a shell in a running
/// container, its size following the window, `--detach-keys` leaving it
/// running, and the exit code of the exec's shell.
#[test]
fn real_cli_execs_a_shell_with_a_tty_on_our_daemon() {
    require!(requirements());
    let bench = Bench::new("client-interactive-exec");
    let tmux = &bench.tmux;
    let real = Path::new(DOCKER_CLI);
    bench.client(
        "run",
        real,
        "config",
        "run -d --name ie1 busybox sleep 1000",
    );
    tmux.expect("run", "EXIT=0");
    bench.client("exec", real, "config", "exec -it ie1 sh");
    tmux.expect("exec", "/ #");
    tmux.keys("exec", &["echo $((6*7)) $TERM", "Enter"]);
    tmux.expect("exec", "\n42 xterm\n");
    tmux.resize_and_see("exec", 40, 120);
    tmux.keys("exec", &["exit 3", "Enter"]);
    tmux.expect("exec", "EXIT=3");
    bench.client(
        "detach",
        real,
        "config",
        "exec -it --detach-keys ctrl-x,x ie1 sh -c 'echo ready; sleep 4343'",
    );
    tmux.expect("detach", "ready");
    tmux.keys("detach", &["C-x", "x"]);
    tmux.expect("detach", "EXIT=");
    assert_eq!(bench.inspect("ie1", "{{.State.Running}}"), "true");
    // Our client: the same shell, size and exit code.
    bench.client("ours", &bench.ours, "config", "exec -it ie1 sh");
    tmux.expect("ours", "/ #");
    tmux.keys("ours", &["echo $((6*7)) $TERM", "Enter"]);
    tmux.expect("ours", "\n42 xterm\n");
    tmux.resize_and_see("ours", 35, 110);
    tmux.keys("ours", &["exit 4", "Enter"]);
    tmux.expect("ours", "EXIT=4");
    tmux.expect("ours", "TERMINAL=restored");
}

/// Runs `client ARGS` in the background, sends it `signals` once the
/// container `name` runs, and returns its exit status, stdout and stderr.
fn signalled_run(
    bench: &Bench,
    client: &Path,
    name: &str,
    extra: &[&str],
    signals: &[libc::c_int],
) -> (Option<i32>, String, String) {
    let script = "trap 'echo got-term; exit 9' TERM; trap 'echo got-int; exit 8' INT; \
                  while true; do sleep 0.1; done";
    let mut args = vec!["run", "--rm", "--name", name];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    let child = Command::new(client)
        .args(&args)
        .env("DOCKER_HOST", bench.daemon.host())
        .env("DOCKER_CONFIG", bench.work.join("config"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = harness::ProcessGuard::child(child);
    let child = guard.child_mut().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while bench.inspect(name, "{{.State.Running}}") != "true" {
        assert!(Instant::now() < deadline, "{name} never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    for signal in signals {
        // SAFETY: kill on the pid of our own child.
        unsafe { libc::kill(child.id() as libc::pid_t, *signal) };
        std::thread::sleep(Duration::from_millis(300));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "{name}: the client did not end");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

#[test]
fn signals_reach_the_container_through_either_client() {
    require!(requirements());
    let bench = Bench::new("client-signals");
    let real = Path::new(DOCKER_CLI);
    for (client, label) in [(real, "real"), (bench.ours.as_path(), "ours")] {
        let (code, out, _) = signalled_run(
            &bench,
            client,
            &format!("{label}-term"),
            &[],
            &[libc::SIGTERM],
        );
        assert_eq!((code, out.as_str()), (Some(9), "got-term\n"), "{label}");
        let (code, out, _) = signalled_run(
            &bench,
            client,
            &format!("{label}-int"),
            &[],
            &[libc::SIGINT],
        );
        assert_eq!((code, out.as_str()), (Some(8), "got-int\n"), "{label}");
        // Without the proxy the container never hears of them; the third
        // ends the client.
        let name = format!("{label}-noproxy");
        let (code, out, err) = signalled_run(
            &bench,
            client,
            &name,
            &["--sig-proxy=false"],
            &[libc::SIGTERM; 3],
        );
        assert_eq!((code, out.as_str()), (Some(1), ""), "{label}");
        assert!(
            err.ends_with("\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n"),
            "{label}: {err}"
        );
        assert_eq!(
            bench.inspect(&name, "{{.State.Running}}"),
            "true",
            "{label}"
        );
    }
}

/// Reads from a hijacked stream until `text` has come; fails after 10s.
fn read_until(connection: &mut crate::daemon_support::RawConnection, text: &str) -> String {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(text) {
        assert!(Instant::now() < deadline, "never read {text:?}: {seen:?}");
        match connection.reader.read(&mut buffer) {
            Ok(0) => panic!("stream closed before {text:?}: {seen:?}"),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Whether the stream ends (after whatever output is in flight) within 5s.
fn drains_to_end(connection: &mut crate::daemon_support::RawConnection) -> bool {
    use std::io::Read;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline {
        match connection.reader.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
    false
}

#[test]
fn daemon_detaches_a_client_that_sends_the_keys_itself() {
    require!(requirements());
    let bench = Bench::new("client-daemon-detach");
    let started = bench
        .daemon
        .docker(&["run", "-d", "-it", "--name", "dd", "busybox", "sh"]);
    assert!(started.status.success(), "{}", harness::stderr_of(&started));
    let attach = |keys: &str| {
        let mut connection = bench.daemon.connect();
        connection.send(
            format!(
                "POST /v1.50/containers/dd/attach?stream=1&stdin=1&stdout=1&stderr=1{keys} HTTP/1.1\r\n\
                 Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
            )
            .as_bytes(),
        );
        let head = connection.read_response("POST");
        assert_eq!(head.status, 101, "{}", head.head);
        connection
    };
    // Custom keys: the bytes before them reach the shell, the keys end
    // the stream, the shell runs on.
    let mut connection = attach("&detachKeys=ctrl-x,x");
    connection.send(b"echo one$((0+1))\n");
    read_until(&mut connection, "one1");
    connection.send(b"\x18x");
    assert!(
        drains_to_end(&mut connection),
        "the attach stream stayed open"
    );
    assert_eq!(bench.inspect("dd", "{{.State.Running}}"), "true");
    // The default keys; a broken sequence passes through as typed.
    let mut connection = attach("");
    connection.send(b"echo \x10two\n");
    read_until(&mut connection, "two");
    connection.send(b"\x10\x11");
    assert!(
        drains_to_end(&mut connection),
        "the attach stream stayed open"
    );
    assert_eq!(bench.inspect("dd", "{{.State.Running}}"), "true");
    // The end of a TTY client's input ends its attach, not the shell.
    let mut connection = attach("");
    connection
        .writer
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
    assert!(
        drains_to_end(&mut connection),
        "the attach stream stayed open"
    );
    assert_eq!(bench.inspect("dd", "{{.State.Running}}"), "true");
    // An exec's detach keys sent by the client itself end its stream
    // with moby's exec_detach event, naming the exec.
    let created = bench.daemon.connect().request(
        "POST",
        "/v1.50/containers/dd/exec",
        r#"{"Cmd":["sh"],"Tty":true,"AttachStdin":true,"AttachStdout":true,"DetachKeys":"ctrl-x,x"}"#,
    );
    assert_eq!(created.status, 201, "{}", created.body_text());
    let exec_id = created.json()["Id"].as_str().unwrap().to_string();
    let mut connection = bench.daemon.connect();
    let body = r#"{"Tty":true}"#;
    connection.send(
        format!(
            "POST /v1.50/exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let head = connection.read_response("POST");
    assert_eq!(head.status, 101, "{}", head.head);
    connection.send(b"echo ex$((1+1))\n");
    read_until(&mut connection, "ex2");
    connection.send(b"\x18x");
    assert!(
        drains_to_end(&mut connection),
        "the exec stream stayed open"
    );
    let events = bench.daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "--filter",
        "event=exec_detach",
        "--format",
        "{{.Action}} {{.Actor.Attributes.execID}}",
    ]);
    assert_eq!(
        harness::stdout_of(&events),
        format!("exec_detach {exec_id}\n"),
        "{}",
        harness::stderr_of(&events)
    );
    // Keys that do not parse are refused before the stream.
    let mut connection = bench.daemon.connect();
    connection.send(
        b"POST /v1.50/containers/dd/attach?stream=1&stdin=1&detachKeys=ctrl-P HTTP/1.1\r\n\
          Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
    let refused = connection.read_response("POST");
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["message"],
        "Invalid detach keys (ctrl-P) provided"
    );
}
