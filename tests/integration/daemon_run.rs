//! Running containers through our daemon and shim with the real Docker
//! CLI: run, attach, logs, stop/start/restart/kill, rm -f, wait, -it, the
//! restart policy and live restore after kill -9 of the daemon. The
//! busybox image is loaded with `docker load` once the daemon serves.

use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{self, TempDir, need_root, stderr_of, stdout_of};
use crate::require;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A daemon with a real one-layer busybox image loaded through `docker
/// load` (so its records are the image module's own), with containers'
/// cgroups below the test's own.
pub(crate) fn daemon_with_busybox(label: &str) -> TestDaemon {
    daemon_with_busybox_env(label, &[])
}

/// daemon_with_busybox with extra variables in the daemon's environment.
pub(crate) fn daemon_with_busybox_env(label: &str, env: &[(&str, &str)]) -> TestDaemon {
    let dir = TempDir::new(label);
    let rootfs = BusyboxRootfs::build(&dir.join("busybox-src")).unwrap();
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    std::fs::remove_dir_all(&rootfs.path).unwrap();
    let cgroup = format!("dockbox-run-test-{}-{label}", std::process::id());
    std::fs::write(
        dir.join("daemon.json"),
        serde_json::json!({"cgroup-parent": cgroup}).to_string(),
    )
    .unwrap();
    let daemon = TestDaemon::start_customised(dir, |command| {
        command.envs(env.iter().copied());
    });
    let loaded = daemon.docker(&["load", "-q", "-i", &archive.to_string_lossy()]);
    ok(&daemon, &loaded);
    std::fs::remove_file(&archive).unwrap();
    daemon
}

fn docker_with_stdin(daemon: &TestDaemon, args: &[&str], input: &[u8]) -> Output {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut child = Command::new(DOCKER_CLI)
        .args(args)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn ok(daemon: &TestDaemon, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}\ndaemon log:\n{}",
        stdout_of(output),
        stderr_of(output),
        daemon.log()
    );
    stdout_of(output)
}

pub(crate) fn inspect(daemon: &TestDaemon, name: &str, format: &str) -> String {
    ok(
        daemon,
        &daemon.docker(&["inspect", "--format", format, name]),
    )
    .trim()
    .to_string()
}

pub(crate) fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Nothing of any container is left: no mount below the test dir other
/// than none, no container directory in the exec root or the data root.
pub(crate) fn assert_nothing_left(daemon: &TestDaemon) {
    let root = daemon.dir.path().to_string_lossy().into_owned();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let leaked: Vec<&str> = mountinfo.lines().filter(|l| l.contains(&root)).collect();
    assert!(leaked.is_empty(), "mounts left: {leaked:#?}");
    let exec = daemon.dir.join("exec");
    let left: Vec<String> = std::fs::read_dir(&exec)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.len() == 64)
        .collect();
    assert!(left.is_empty(), "exec root entries left: {left:?}");
    let shims: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&root) && cmdline.starts_with("dockbox-shim"))
        .collect();
    assert!(shims.is_empty(), "shims left: {shims:?}");
    for dir in ["containers", "overlay2/containers", "vfs/containers"] {
        let path = daemon.dir.join("data").join(dir);
        if let Ok(entries) = std::fs::read_dir(&path) {
            let names: Vec<_> = entries.map(|e| e.unwrap().file_name()).collect();
            assert!(names.is_empty(), "{} not empty: {names:?}", path.display());
        }
    }
}

/// Kills, by pid, the shims of a test that failed half-way and their
/// containers' inits, before the test's directory is unmounted.
pub(crate) struct Leftovers(String);

impl Leftovers {
    pub(crate) fn of(daemon: &TestDaemon) -> Leftovers {
        Leftovers(daemon.dir.path().to_string_lossy().into_owned())
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|p| p.parse::<i32>().ok())
            else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if !(cmdline.starts_with("dockbox-shim") && cmdline.contains(&self.0)) {
                continue;
            }
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            for child in children
                .split_whitespace()
                .filter_map(|c| c.parse::<i32>().ok())
            {
                // SAFETY: kill by pid of a process this test started.
                unsafe { libc::kill(child, libc::SIGKILL) };
                thaw(child);
            }
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Thaws the freezer cgroup of `pid` (a paused container), so a pending
/// SIGKILL can end it.
fn thaw(pid: i32) {
    let membership = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "freezer") {
            let state = Path::new("/sys/fs/cgroup/freezer")
                .join(path)
                .join("freezer.state");
            let _ = std::fs::write(state, "THAWED");
        } else if controllers.is_empty() {
            let freeze = Path::new("/sys/fs/cgroup/unified")
                .join(path)
                .join("cgroup.freeze");
            let _ = std::fs::write(freeze, "0");
        }
    }
}

pub(crate) fn skip_unless_ready() -> Result<(), String> {
    need_root()?;
    need_docker_cli()?;
    harness::busybox::host_busybox().map(|_| ())
}

#[test]
fn run_prints_output_keeps_exit_codes_and_stdin() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-basic");
    let _leftovers = Leftovers::of(&daemon);
    let hi = daemon.docker(&["run", "--rm", "busybox", "echo", "hi"]);
    assert_eq!(ok(&daemon, &hi), "hi\n");
    let three = daemon.docker(&["run", "--name", "three", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(three.status.code(), Some(3), "{}", stderr_of(&three));
    assert_eq!(
        inspect(&daemon, "three", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 3"
    );
    let piped = docker_with_stdin(&daemon, &["run", "--rm", "-i", "busybox", "cat"], b"hi\n");
    assert_eq!(ok(&daemon, &piped), "hi\n");
    let both = daemon.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 0",
    ]);
    assert_eq!(ok(&daemon, &both), "out\n");
    // Only the container's stderr: no warning comes with the default bridge.
    assert_eq!(stderr_of(&both), "err\n");
    let wait = daemon.docker(&["wait", "three"]);
    assert_eq!(ok(&daemon, &wait).trim(), "3");
    ok(&daemon, &daemon.docker(&["rm", "three"]));
    let listed = ok(&daemon, &daemon.docker(&["ps", "-aq"]));
    assert_eq!(listed, "", "--rm containers are gone");
    assert_nothing_left(&daemon);
}

#[test]
fn detached_logs_stop_start_restart_kill_and_rm_force() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-detached");
    let _leftovers = Leftovers::of(&daemon);
    let script = "echo started; trap 'echo got-usr1' USR1; trap 'echo bye; exit 7' TERM; \
                  while true; do sleep 0.1; done";
    let id = ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "svc", "busybox", "sh", "-c", script]),
    );
    assert_eq!(id.trim().len(), 64, "{id}");
    wait_for("the first log line", || {
        stdout_of(&daemon.docker(&["logs", "svc"])).contains("started")
    });
    assert_eq!(inspect(&daemon, "svc", "{{.State.Running}}"), "true");
    ok(&daemon, &daemon.docker(&["kill", "-s", "USR1", "svc"]));
    wait_for("the USR1 trap", || {
        stdout_of(&daemon.docker(&["logs", "svc"])).contains("got-usr1")
    });
    let bad = daemon.docker(&["kill", "-s", "NOPE", "svc"]);
    assert!(!bad.status.success());
    assert!(
        stderr_of(&bad).contains("Invalid signal: NOPE"),
        "{}",
        stderr_of(&bad)
    );
    // logs -f follows until the container stops.
    let config = daemon.dir.join("cli-config");
    let follower = Command::new(DOCKER_CLI)
        .args(["logs", "-f", "-t", "svc"])
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    ok(&daemon, &daemon.docker(&["stop", "-t", "5", "svc"]));
    let followed = follower.wait_with_output().unwrap();
    let text = ok(&daemon, &followed);
    assert!(text.contains(" bye\n"), "{text}");
    let first = text.lines().next().unwrap();
    let (stamp, line) = first.split_once(' ').unwrap();
    assert_eq!(line, "started");
    assert_eq!(
        stamp.len(),
        "2026-11-27T19:35:10.090123456Z".len(),
        "{stamp}"
    );
    assert_eq!(
        inspect(&daemon, "svc", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 7"
    );
    let again = daemon.docker(&["stop", "svc"]);
    ok(&daemon, &again);
    ok(&daemon, &daemon.docker(&["start", "svc"]));
    assert_eq!(inspect(&daemon, "svc", "{{.State.Running}}"), "true");
    let before = inspect(&daemon, "svc", "{{.State.Pid}}");
    ok(&daemon, &daemon.docker(&["restart", "-t", "5", "svc"]));
    let after = inspect(&daemon, "svc", "{{.State.Pid}} {{.State.Running}}");
    assert!(
        after.ends_with(" true") && !after.starts_with(&format!("{before} ")),
        "{after}"
    );
    let tail = ok(&daemon, &daemon.docker(&["logs", "--tail", "1", "svc"]));
    assert_eq!(
        tail, "started\n",
        "the restarted run logged its first line last"
    );
    let refused = daemon.docker(&["rm", "svc"]);
    assert!(!refused.status.success());
    let pid: i32 = inspect(&daemon, "svc", "{{.State.Pid}}").parse().unwrap();
    ok(&daemon, &daemon.docker(&["rm", "-f", "svc"]));
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the init {pid} survived rm -f"
    );
    assert_nothing_left(&daemon);
}

#[test]
fn run_it_has_a_working_tty_and_resize() {
    require!(skip_unless_ready());
    require!(harness::need_command("script").map(|_| ()));
    let daemon = daemon_with_busybox("run-tty");
    let _leftovers = Leftovers::of(&daemon);
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let command =
        format!("stty rows 33 cols 101; {DOCKER_CLI} run -it --rm busybox sh -c 'tty; stty size'");
    let output = harness::run(
        Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", &config)
            .stdin(Stdio::null()),
    );
    let text = stdout_of(&output);
    assert!(text.contains("/dev/pts/0"), "{text}\n{}", daemon.log());
    assert!(text.contains("33 101"), "{text}");
    assert_nothing_left(&daemon);
}

#[test]
fn restart_policy_always_brings_the_container_back() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-restart");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "again",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            "exit 1",
        ]),
    );
    wait_for("two restarts", || {
        inspect(&daemon, "again", "{{.RestartCount}}")
            .parse::<i64>()
            .is_ok_and(|n| n >= 2)
    });
    ok(&daemon, &daemon.docker(&["rm", "-f", "again"]));
    assert_nothing_left(&daemon);
}

/// `docker stop` between two runs of a restart policy cancels the
/// pending restart, as moby does: the container ends exited with its last
/// code and stays so (it used to answer "already stopped" and stay
/// "restarting" for ever).
#[test]
fn stop_cancels_a_pending_restart() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-stop-restarting");
    let _leftovers = Leftovers::of(&daemon);
    let args = ["run", "-d", "--name", "flaps", "--restart", "always"];
    let mut args = args.to_vec();
    args.extend(["busybox", "sh", "-c", "exit 3"]);
    ok(&daemon, &daemon.docker(&args));
    let state = "{{.State.Status}} {{.State.Restarting}} {{.State.ExitCode}}";
    wait_for("restarting after three runs", || {
        inspect(&daemon, "flaps", "{{.RestartCount}}")
            .parse::<i64>()
            .is_ok_and(|n| n >= 3)
            && inspect(&daemon, "flaps", state) == "restarting true 3"
    });
    ok(&daemon, &daemon.docker(&["stop", "flaps"]));
    assert_eq!(inspect(&daemon, "flaps", state), "exited false 3");
    let count = inspect(&daemon, "flaps", "{{.RestartCount}}");
    // Longer than the next back-off (at most 1.6 s after four restarts).
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(inspect(&daemon, "flaps", state), "exited false 3");
    assert_eq!(inspect(&daemon, "flaps", "{{.RestartCount}}"), count);
    ok(&daemon, &daemon.docker(&["rm", "flaps"]));
    assert_nothing_left(&daemon);
}

#[test]
fn live_restore_after_kill_9_of_the_daemon() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-restore");
    let _leftovers = Leftovers::of(&daemon);
    let script = "echo up; trap 'exit 9' TERM; while true; do sleep 0.1; done";
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--name", "keeps", "busybox", "sh", "-c", script,
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "ends",
            "busybox",
            "sh",
            "-c",
            "sleep 1; exit 5",
        ]),
    );
    let pid = inspect(&daemon, "keeps", "{{.State.Pid}}");
    // TestDaemon's guard kills with SIGKILL.
    let daemon = TestDaemon::start_in(daemon);
    std::thread::sleep(Duration::from_millis(1500));
    let daemon = TestDaemon::start_in(daemon);
    assert_eq!(
        inspect(&daemon, "keeps", "{{.State.Running}} {{.State.Pid}}"),
        format!("true {pid}")
    );
    wait_for("the exit while the daemon was down", || {
        inspect(&daemon, "ends", "{{.State.Status}} {{.State.ExitCode}}") == "exited 5"
    });
    let names = ok(&daemon, &daemon.docker(&["ps", "--format", "{{.Names}}"]));
    assert_eq!(names.trim(), "keeps");
    assert_eq!(ok(&daemon, &daemon.docker(&["logs", "keeps"])), "up\n");
    let attacher = Command::new(DOCKER_CLI)
        .args(["attach", "keeps"])
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", daemon.dir.join("cli-config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    ok(&daemon, &daemon.docker(&["stop", "keeps"]));
    let attached = attacher.wait_with_output().unwrap();
    assert_eq!(attached.status.code(), Some(9), "{}", stderr_of(&attached));
    assert_eq!(inspect(&daemon, "keeps", "{{.State.ExitCode}}"), "9");
    ok(&daemon, &daemon.docker(&["rm", "keeps", "ends"]));
    assert_nothing_left(&daemon);
}

#[test]
fn init_runs_as_pid_1_and_keeps_the_exit_code() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-init");
    let _leftovers = Leftovers::of(&daemon);
    let output = daemon.docker(&[
        "run",
        "--rm",
        "--init",
        "busybox",
        "sh",
        "-c",
        "cat /proc/1/cmdline | tr '\\0' ' '; exit 4",
    ]);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}\n{}",
        stderr_of(&output),
        daemon.log()
    );
    let text = stdout_of(&output);
    assert!(text.starts_with("/sbin/docker-init -- sh -c"), "{text}");
    assert_nothing_left(&daemon);
}

#[test]
fn docker_py_runs_waits_and_reads_logs() {
    require!(skip_unless_ready());
    require!(harness::need_command("python3").map(|_| ()));
    let daemon = daemon_with_busybox("run-py");
    let _leftovers = Leftovers::of(&daemon);
    let script = r#"
import sys, docker
client = docker.DockerClient(base_url=sys.argv[1])
out = client.containers.run("busybox", ["sh", "-c", "echo py-out; echo py-err >&2"], remove=True, stderr=True)
assert out == b"py-out\npy-err\n", out
c = client.containers.run("busybox", ["sh", "-c", "echo one; sleep 0.2; echo two; exit 6"], detach=True)
assert c.wait()["StatusCode"] == 6
assert c.logs() == b"one\ntwo\n", c.logs()
assert c.logs(tail=1) == b"two\n"
lines = [l for l in c.logs(stream=True, follow=True)]
assert b"".join(lines) == b"one\ntwo\n", lines
c.reload()
assert c.attrs["State"]["ExitCode"] == 6
c.remove()
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
    assert_nothing_left(&daemon);
}

#[test]
fn attach_to_a_running_container_gets_output_and_exit_code() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-attach");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "late",
            "busybox",
            "sh",
            "-c",
            "sleep 1; echo late; exit 2",
        ]),
    );
    let attached = daemon.docker(&["attach", "late"]);
    assert_eq!(attached.status.code(), Some(2), "{}", stderr_of(&attached));
    assert_eq!(stdout_of(&attached), "late\n");
    let since = ok(
        &daemon,
        &daemon.docker(&["logs", "--since", "2000-01-01T00:00:00Z", "late"]),
    );
    assert_eq!(since, "late\n");
    let until = ok(
        &daemon,
        &daemon.docker(&["logs", "--until", "2000-01-01T00:00:00Z", "late"]),
    );
    assert_eq!(until, "");
    ok(&daemon, &daemon.docker(&["rm", "late"]));
    assert_nothing_left(&daemon);
}

#[test]
fn daemon_shutdown_stops_containers_and_always_brings_them_back() {
    require!(skip_unless_ready());
    let mut daemon = daemon_with_busybox("run-shutdown");
    let _leftovers = Leftovers::of(&daemon);
    let script = "trap 'exit 9' TERM; while true; do sleep 0.1; done";
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--name", "plain", "busybox", "sh", "-c", script,
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "back",
            "--restart",
            "always",
            "busybox",
            "sh",
            "-c",
            script,
        ]),
    );
    let pid = daemon.child().id() as i32;
    // SAFETY: kill by pid of the daemon this test started.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let status = daemon.child().wait().unwrap();
    assert!(status.success(), "{status}\n{}", daemon.log());
    let daemon = TestDaemon::start_in(daemon);
    assert_eq!(
        inspect(&daemon, "plain", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 9"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = inspect(&daemon, "back", "{{.State.Status}} {{.State.Error}}");
        if state.starts_with("running") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the always container did not come back: {state}\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ok(&daemon, &daemon.docker(&["rm", "-f", "plain", "back"]));
    assert_nothing_left(&daemon);
}

#[test]
fn on_failure_stops_after_its_retries_and_unless_stopped_stays_stopped() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-policies");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "twice",
            "--restart",
            "on-failure:2",
            "busybox",
            "sh",
            "-c",
            "exit 1",
        ]),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let last = inspect(&daemon, "twice", "{{.State.Status}} {{.RestartCount}}");
        if last == "exited 2" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "retries did not run out: {last}\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(inspect(&daemon, "twice", "{{.RestartCount}}"), "2");
    let script = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "held",
            "--restart",
            "unless-stopped",
            "busybox",
            "sh",
            "-c",
            script,
        ]),
    );
    ok(&daemon, &daemon.docker(&["stop", "held"]));
    let daemon = TestDaemon::start_in(daemon);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(inspect(&daemon, "held", "{{.State.Status}}"), "exited");
    ok(&daemon, &daemon.docker(&["rm", "twice", "held"]));
    assert_nothing_left(&daemon);
}

#[test]
fn json_file_log_rotates_by_max_size_and_max_file() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-rotate");
    let _leftovers = Leftovers::of(&daemon);
    let id = ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--log-opt",
            "max-size=1k",
            "--log-opt",
            "max-file=3",
            "-d",
            "busybox",
            "sh",
            "-c",
            "i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo line-$i; done",
        ]),
    );
    let id = id.trim();
    ok(&daemon, &daemon.docker(&["wait", id]));
    let dir = daemon.dir.join("data/containers").join(id);
    let log = dir.join(format!("{id}-json.log"));
    for path in [
        log.clone(),
        dir.join(format!("{id}-json.log.1")),
        dir.join(format!("{id}-json.log.2")),
    ] {
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= 1024, "{} has {size} bytes", path.display());
    }
    assert!(!dir.join(format!("{id}-json.log.3")).exists());
    let first = std::fs::read_to_string(&log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(entry["stream"], "stdout");
    assert!(
        entry["log"].as_str().unwrap().starts_with("line-"),
        "{entry}"
    );
    let shown = ok(&daemon, &daemon.docker(&["logs", id]));
    assert!(shown.ends_with("line-199\nline-200\n"), "{shown}");
    assert!(!shown.contains("line-1\n"), "rotated away: {shown}");
    ok(&daemon, &daemon.docker(&["rm", id]));
    assert_nothing_left(&daemon);
}

/// Sends one raw request and returns the connection.
fn raw_request(daemon: &TestDaemon, request: &str) -> std::os::unix::net::UnixStream {
    let mut stream = std::os::unix::net::UnixStream::connect(&daemon.socket).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream
}

/// Reads until `needle` shows up (or the peer closes); what was read.
fn read_until(stream: &mut std::os::unix::net::UnixStream, needle: &[u8]) -> Vec<u8> {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let mut buffer = [0u8; 4096];
    while !got.windows(needle.len()).any(|w| w == needle) {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buffer[..n]),
        }
    }
    got
}

#[test]
fn wait_flushes_its_headers_and_attach_replays_logs_as_frames() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-raw");
    let _leftovers = Leftovers::of(&daemon);
    let script = "echo to-out; echo to-err >&2; while true; do sleep 0.1; done";
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "raw", "busybox", "sh", "-c", script]),
    );
    let mut wait = raw_request(
        &daemon,
        "POST /v1.50/containers/raw/wait?condition=next-exit HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n",
    );
    let head = read_until(&mut wait, b"\r\n\r\n");
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(inspect(&daemon, "raw", "{{.State.Running}}"), "true");
    let bad = raw_request(
        &daemon,
        "POST /v1.50/containers/raw/wait?condition=sometime HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n",
    );
    let mut bad = bad;
    let answer = String::from_utf8_lossy(&read_until(&mut bad, b"}")).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    ok(&daemon, &daemon.docker(&["kill", "raw"]));
    let body = String::from_utf8_lossy(&read_until(&mut wait, b"null}")).into_owned();
    assert!(
        body.contains("{\"StatusCode\":137,\"Error\":null}"),
        "{body}"
    );
    assert_eq!(inspect(&daemon, "raw", "{{.State.ExitCode}}"), "137");
    let mut attach = raw_request(
        &daemon,
        "POST /v1.50/containers/raw/attach?logs=1&stream=0&stdout=1&stderr=1 HTTP/1.1\r\nHost: d\r\n\
         Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n",
    );
    let replay = read_until(&mut attach, b"\0never\0");
    let split = replay.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&replay[..split]).into_owned();
    assert!(head.starts_with("HTTP/1.1 101 UPGRADED\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: application/vnd.docker.multiplexed-stream"),
        "{head}"
    );
    let mut frames = Vec::new();
    frames.extend_from_slice(b"\x01\0\0\0\0\0\0\x07to-out\n");
    frames.extend_from_slice(b"\x02\0\0\0\0\0\0\x07to-err\n");
    assert_eq!(&replay[split..], &frames[..]);
    ok(&daemon, &daemon.docker(&["rm", "raw"]));
    assert_nothing_left(&daemon);
}

#[test]
fn a_missing_command_fails_with_127() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-missing");
    let _leftovers = Leftovers::of(&daemon);
    let output = daemon.docker(&["run", "--name", "nope", "busybox", "no-such-command"]);
    assert_eq!(output.status.code(), Some(127), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("no-such-command"),
        "{}",
        stderr_of(&output)
    );
    ok(&daemon, &daemon.docker(&["rm", "nope"]));
    assert_nothing_left(&daemon);
}
