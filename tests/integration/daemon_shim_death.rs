//! A container whose shim is killed with SIGKILL, while the daemon runs
//! and while it is down: the daemon ends what is left of the container,
//! deletes the launcher's state, records the exit as dockerd 20.10 does
//! (`State.ExitCode` 137, no `State.Error`, a `die` event with exit code
//! 255), and the container starts again. And `docker start -a` of an
//! exited container, which must print the new run's output. Controls run
//! the same steps against Debian's dockerd 20.10.

use crate::daemon_leaks::{Footprint, Process, assert_gone_soon, footprint};
use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready, wait_for};
use crate::daemon_support::{DOCKER_CLI, TestDaemon};
use crate::harness::engine::{Engine, run_with_timeout};
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// Two processes: the init and a child of it.
const TWO_SLEEPERS: &[&str] = &["sh", "-c", "sleep 1000 & sleep 1000"];

/// The processes in the container's cgroups, read while it runs.
fn processes_in(cgroups: &[PathBuf]) -> Vec<Process> {
    let mut processes = Vec::new();
    for dir in cgroups {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.lines().filter_map(|line| line.trim().parse().ok()) {
            if let Some(process) = Process::of(pid)
                && !processes.contains(&process)
            {
                processes.push(process);
            }
        }
    }
    processes
}

/// SIGKILL to the container's shim, by pid, after checking it is one.
fn kill_shim(shim: &Process) {
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", shim.pid)).unwrap_or_default();
    assert_eq!(
        comm.trim(),
        "dockbox-shim",
        "pid {} is not a shim",
        shim.pid
    );
    // SAFETY: kill by pid of the shim this test's daemon started.
    unsafe { libc::kill(shim.pid, libc::SIGKILL) };
}

fn run_victim(daemon: &TestDaemon, name: &str) -> (Footprint, Vec<Process>) {
    let mut args = vec!["run", "-d", "--name", name, "busybox"];
    args.extend_from_slice(TWO_SLEEPERS);
    ok(daemon, &daemon.docker(&args));
    let footprint = footprint(daemon, name);
    let mut processes = Vec::new();
    wait_for("the container's child process", || {
        processes = processes_in(&footprint.cgroups);
        processes.len() >= 2
    });
    (footprint, processes)
}

/// After the shim's death: the container is stopped as dockerd records
/// it, nothing of it runs, its runtime state is gone, it starts again and
/// `rm -f` leaves nothing.
fn assert_ended_like_docker(
    daemon: &TestDaemon,
    name: &str,
    footprint: &Footprint,
    processes: &[Process],
) {
    wait_for("the exit of the container whose shim died", || {
        inspect(daemon, name, "{{.State.Status}}") == "exited"
    });
    assert_eq!(
        inspect(
            daemon,
            name,
            "{{.State.Running}} {{.State.ExitCode}} {{json .State.Error}} {{.State.Pid}}"
        ),
        "false 137 \"\" 0"
    );
    wait_for("every process of the container to end", || {
        processes.iter().all(|process| !process.exists())
    });
    for dir in &footprint.cgroups {
        assert!(!dir.exists(), "cgroup left: {}", dir.display());
    }
    let state = daemon.dir.join("exec/runtime").join(&footprint.id);
    assert!(!state.exists(), "runtime state left: {}", state.display());
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    let die = ok(
        daemon,
        &daemon.docker(&[
            "events",
            "--since",
            "1",
            "--until",
            &until,
            "--filter",
            &format!("container={}", footprint.id),
            "--filter",
            "event=die",
            "--format",
            "{{.Actor.Attributes.exitCode}}",
        ]),
    );
    assert_eq!(die, "255\n");
    ok(daemon, &daemon.docker(&["start", name]));
    assert_eq!(inspect(daemon, name, "{{.State.Running}}"), "true");
    let again = crate::daemon_leaks::footprint(daemon, name);
    assert_ne!(again.init, footprint.init);
    ok(daemon, &daemon.docker(&["rm", "-f", name]));
    assert_gone_soon(daemon, &footprint.id, Some(&again));
    assert_gone_soon(daemon, &footprint.id, Some(footprint));
}

#[test]
fn a_killed_shim_ends_its_container_and_start_works_again() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("shim-death");
    let _leftovers = Leftovers::of(&daemon);
    let (footprint, processes) = run_victim(&daemon, "victim");
    kill_shim(&footprint.shim);
    assert_ended_like_docker(&daemon, "victim", &footprint, &processes);
}

#[test]
fn a_shim_killed_while_the_daemon_was_down_is_handled_at_restore() {
    require!(skip_unless_ready());
    let mut daemon = daemon_with_busybox("shim-death-restore");
    let _leftovers = Leftovers::of(&daemon);
    let (footprint, processes) = run_victim(&daemon, "victim");
    let _ = daemon.child().kill();
    let _ = daemon.child().wait();
    kill_shim(&footprint.shim);
    wait_for("the shim to end", || !footprint.shim.exists());
    // The container outlives its shim until the daemon comes back.
    assert!(footprint.init.exists(), "the init ended with its shim");
    let daemon = TestDaemon::start_in(daemon);
    assert_ended_like_docker(&daemon, "victim", &footprint, &processes);
}

/// `docker start -a` through `program` (the real CLI or ours), which
/// must not hang.
fn start_attached(daemon: &TestDaemon, program: &[&str], name: &str) -> Output {
    let mut command = Command::new(program[0]);
    command
        .args(&program[1..])
        .args(["start", "-a", name])
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", daemon.dir.join("cli-config"))
        .stdin(std::process::Stdio::null());
    run_with_timeout(&mut command, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n{}", daemon.log()))
}

#[test]
fn start_attach_of_an_exited_container_streams_its_new_run() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("start-attach-again");
    let _leftovers = Leftovers::of(&daemon);
    let script = "echo again; echo e >&2; exit 4";
    let first = daemon.docker(&["run", "--name", "again", "busybox", "sh", "-c", script]);
    assert_eq!(
        (stdout_of(&first).as_str(), first.status.code()),
        ("again\n", Some(4))
    );
    let dockbox = harness::dockbox();
    let ours = [dockbox.to_str().unwrap(), "docker"];
    for program in [&[DOCKER_CLI][..], &ours[..]] {
        let output = start_attached(&daemon, program, "again");
        assert_eq!(
            (
                stdout_of(&output).as_str(),
                stderr_of(&output).as_str(),
                output.status.code()
            ),
            ("again\n", "e\n", Some(4)),
            "{program:?}\ndaemon log:\n{}",
            daemon.log()
        );
    }
    ok(&daemon, &daemon.docker(&["rm", "again"]));
}

/// The reference: Debian's dockerd 20.10 (containerd 1.6 and its runc
/// shim) after kill -9 of a container's shim, and `start -a` of an exited
/// container.
#[test]
fn control_dockerd_after_a_killed_shim_and_start_attach() {
    require!(harness::engine::need_engine());
    let engine = Engine::shared().unwrap_or_else(|e| panic!("{e}"));
    engine.load_busybox();
    let name = format!("shim-death-{}", std::process::id());
    let mut args = vec!["run", "-d", "--name", &name, "busybox"];
    args.extend_from_slice(TWO_SLEEPERS);
    let id = engine.docker_ok(&args);
    let pid: i32 = engine
        .docker_ok(&["inspect", "--format", "{{.State.Pid}}", &id])
        .parse()
        .unwrap();
    let init = Process::of(pid).unwrap();
    let shim = init.parent().unwrap();
    assert!(shim.cmdline().contains("containerd-shim-runc-v2"));
    // SAFETY: kill by pid of the shim this test's engine started.
    unsafe { libc::kill(shim.pid, libc::SIGKILL) };
    let state = "{{.State.Status}} {{.State.ExitCode}} {{json .State.Error}}";
    let mut seen = String::new();
    wait_for("dockerd to record the exit", || {
        seen = engine.docker_ok(&["inspect", "--format", state, &id]);
        seen.starts_with("exited")
    });
    assert_eq!(seen, "exited 137 \"\"");
    wait_for("the init to end", || !init.exists());
    let die = engine.docker_ok(&[
        "events",
        "--since",
        "1",
        "--until",
        "0s",
        "--filter",
        &format!("container={id}"),
        "--filter",
        "event=die",
        "--format",
        "{{.Actor.Attributes.exitCode}}",
    ]);
    assert_eq!(die, "255");
    engine.docker_ok(&["start", &id]);
    engine.docker_ok(&["rm", "-f", &id]);
    let again = format!("start-attach-{}", std::process::id());
    let script = "echo again; echo e >&2; exit 4";
    let first = engine.docker(&["run", "--name", &again, "busybox", "sh", "-c", script]);
    assert_eq!(first.status.code(), Some(4));
    let output = engine.docker(&["start", "-a", &again]);
    assert_eq!(
        (
            stdout_of(&output).as_str(),
            stderr_of(&output).as_str(),
            output.status.code()
        ),
        ("again\n", "e\n", Some(4))
    );
    engine.docker_ok(&["rm", "-f", &again]);
}
