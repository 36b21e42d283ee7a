//! The shim is the only owner of a running container: pause, unpause,
//! update, top, stats and kill reach the container through its shim's
//! requests, also for a container restored after a daemon restart, and
//! never through the launcher's state in the exec root, which the daemon
//! must not load while the shim lives.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, inspect, ok, skip_unless_ready, wait_for,
};
use crate::daemon_support::TestDaemon;
use crate::harness::stderr_of;
use crate::require;
use std::path::PathBuf;

/// Moves the launcher's state directory of one container out of the
/// daemon's sight, and back when dropped (so the shim can delete it at
/// the exit, even when the test fails half way).
struct HiddenState {
    visible: PathBuf,
    hidden: PathBuf,
}

impl HiddenState {
    fn of(daemon: &TestDaemon, id: &str) -> HiddenState {
        let exec = daemon.dir.join("exec");
        let visible = exec.join("runtime").join(id);
        let hidden = exec.join("hidden-runtime-state");
        std::fs::rename(&visible, &hidden)
            .unwrap_or_else(|e| panic!("rename {}: {e}", visible.display()));
        HiddenState { visible, hidden }
    }
}

impl Drop for HiddenState {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.hidden, &self.visible);
    }
}

fn counter(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/root/tmp/count")).unwrap_or_default()
}

#[test]
fn a_restored_container_is_paused_updated_and_listed_by_its_shim_alone() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("shim-owner");
    let _leftovers = Leftovers::of(&daemon);
    let script = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done";
    let id = ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--name", "owned", "-m", "64m", "busybox", "sh", "-c", script,
        ]),
    );
    let id = id.trim().to_string();
    let pid = inspect(&daemon, "owned", "{{.State.Pid}}");
    // Killed with SIGKILL by its guard: the shim lives on, and the new
    // daemon finds it again.
    let daemon = TestDaemon::start_in(daemon);
    assert_eq!(
        inspect(&daemon, "owned", "{{.State.Running}} {{.State.Pid}}"),
        format!("true {pid}")
    );
    let hidden = HiddenState::of(&daemon, &id);

    ok(&daemon, &daemon.docker(&["pause", "owned"]));
    assert_eq!(
        inspect(&daemon, "owned", "{{.State.Status}}"),
        "paused",
        "{}",
        daemon.log()
    );
    let frozen = counter(&pid);
    std::thread::sleep(std::time::Duration::from_millis(400));
    assert_eq!(counter(&pid), frozen, "the counter moved while paused");
    let again = daemon.docker(&["pause", "owned"]);
    assert!(
        stderr_of(&again).contains(&format!("Container {id} is already paused")),
        "{}",
        stderr_of(&again)
    );
    ok(&daemon, &daemon.docker(&["unpause", "owned"]));
    wait_for("the counter to move again", || counter(&pid) != frozen);

    ok(&daemon, &daemon.docker(&["update", "-m", "96m", "owned"]));
    let usage = ok(
        &daemon,
        &daemon.docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.MemUsage}} {{.PIDs}}",
            "owned",
        ]),
    );
    assert!(usage.contains("/ 96MiB"), "{usage}");
    let pids: u32 = usage.split_whitespace().last().unwrap().parse().unwrap();
    assert!(pids >= 1, "{usage}");
    let top = ok(&daemon, &daemon.docker(&["top", "owned"]));
    assert!(
        top.lines()
            .any(|row| row.split_whitespace().nth(1) == Some(pid.as_str())),
        "{top}"
    );

    // The shim deletes the launcher's state at the exit: it goes back
    // first.
    drop(hidden);
    ok(&daemon, &daemon.docker(&["kill", "owned"]));
    assert_eq!(inspect(&daemon, "owned", "{{.State.ExitCode}}"), "137");
    ok(&daemon, &daemon.docker(&["rm", "owned"]));
    assert_nothing_left(&daemon);
}
