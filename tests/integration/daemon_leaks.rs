//! Nothing of a removed container remains: no mount, no cgroup directory in
//! any hierarchy, no process (its init and its shim), and no file in the
//! exec root or the data root (bundle, launcher state, container
//! directory, overlay upper/work/merged). Checked after `docker rm` of an
//! exited container, `rm -f` of a running one, `run --rm`, and docker-py's
//! `remove(force=True)`.

use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A process by pid and start time, so a reused pid is not mistaken for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Process {
    pub(crate) pid: i32,
    start_time: u64,
}

impl Process {
    pub(crate) fn of(pid: i32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command, which is in parentheses and may hold
        // spaces: state is field 3, ppid 4, starttime 22.
        let after = &stat[stat.rfind(')')? + 2..];
        let start_time = after.split_whitespace().nth(19)?.parse().ok()?;
        Some(Process { pid, start_time })
    }

    pub(crate) fn parent(&self) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        let after = &stat[stat.rfind(')')? + 2..];
        Process::of(after.split_whitespace().nth(1)?.parse().ok()?)
    }

    pub(crate) fn cmdline(&self) -> String {
        let bytes = std::fs::read(format!("/proc/{}/cmdline", self.pid)).unwrap_or_default();
        String::from_utf8_lossy(&bytes).replace('\0', " ")
    }

    /// Alive, a zombie included: a reaped process is gone from /proc.
    pub(crate) fn exists(&self) -> bool {
        Process::of(self.pid).is_some_and(|now| now == *self)
    }
}

/// What a running container occupies, read while it runs.
#[derive(Debug)]
pub(crate) struct Footprint {
    pub(crate) id: String,
    pub(crate) init: Process,
    pub(crate) shim: Process,
    /// Host paths of its cgroup directories, one per hierarchy.
    pub(crate) cgroups: Vec<PathBuf>,
}

/// Every cgroup directory of `pid`, as host paths below /sys/fs/cgroup.
fn cgroup_dirs(pid: i32) -> Vec<PathBuf> {
    let membership = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    let mut dirs = Vec::new();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let hierarchy = match controllers {
            "" => "unified".to_string(),
            named if named.starts_with("name=") => named["name=".len()..].to_string(),
            list => list.split(',').next().unwrap_or("").to_string(),
        };
        let dir = Path::new("/sys/fs/cgroup")
            .join(hierarchy)
            .join(path.trim_start_matches('/'));
        if dir.is_dir() {
            dirs.push(dir);
        }
    }
    dirs
}

pub(crate) fn footprint(daemon: &TestDaemon, name: &str) -> Footprint {
    let id = inspect(daemon, name, "{{.Id}}");
    let pid: i32 = inspect(daemon, name, "{{.State.Pid}}").parse().unwrap();
    let init = Process::of(pid).unwrap_or_else(|| panic!("no process {pid} for {name}"));
    let shim = init.parent().expect("the init's parent");
    assert!(
        shim.cmdline().starts_with("dockbox-shim") && shim.cmdline().contains(&id),
        "the init's parent is not the container's shim: {}",
        shim.cmdline()
    );
    let cgroups: Vec<PathBuf> = cgroup_dirs(pid)
        .into_iter()
        .filter(|dir| dir.to_string_lossy().contains(&id))
        .collect();
    assert!(
        cgroups.len() >= 2,
        "the container should have its own cgroup in each hierarchy: {cgroups:?}"
    );
    Footprint {
        id,
        init,
        shim,
        cgroups,
    }
}

/// Paths below `root` whose name holds `id`.
fn paths_naming(root: &Path, id: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().contains(id) {
            found.push(path.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            paths_naming(&path, id, found);
        }
    }
}

/// Cgroup directories named after `id` anywhere below the daemon's
/// relative cgroup parent, in every hierarchy.
fn cgroups_naming(daemon: &TestDaemon, id: &str) -> Vec<PathBuf> {
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(daemon.dir.join("daemon.json")).unwrap())
            .unwrap();
    let parent = config["cgroup-parent"].as_str().unwrap().to_string();
    let mut found = Vec::new();
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
        let mut stack = vec![hierarchy.path()];
        // Only the parent's subtrees: walking a whole hierarchy is slow.
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == parent {
                    paths_naming(&entry.path(), id, &mut found);
                } else if name.contains(id) {
                    found.push(entry.path());
                } else if dir.components().count() < 8 {
                    stack.push(entry.path());
                }
            }
        }
    }
    found
}

/// What remains of the container of `footprint` (or, without one, of
/// container `id`), one line per leak.
fn leaks(daemon: &TestDaemon, id: &str, footprint: Option<&Footprint>) -> Vec<String> {
    let mut problems = Vec::new();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = daemon.dir.path().to_string_lossy().into_owned();
    for line in mountinfo.lines() {
        if line.contains(id) || line.contains(&root) {
            problems.push(format!("mount left: {line}"));
        }
    }
    let mut files = Vec::new();
    paths_naming(&daemon.dir.join("exec"), id, &mut files);
    paths_naming(&daemon.dir.join("data"), id, &mut files);
    problems.extend(files.iter().map(|f| format!("file left: {}", f.display())));
    problems.extend(
        cgroups_naming(daemon, id)
            .iter()
            .map(|c| format!("cgroup left: {}", c.display())),
    );
    if let Some(footprint) = footprint {
        for dir in &footprint.cgroups {
            if dir.exists() {
                problems.push(format!("cgroup left: {}", dir.display()));
            }
        }
        for (what, process) in [("init", &footprint.init), ("shim", &footprint.shim)] {
            if process.exists() {
                problems.push(format!("{what} left: {process:?} {}", process.cmdline()));
            }
        }
    }
    problems
}

/// Waits up to 10 s for the removal's effects (`rm` answers after the
/// record is gone, and the shim's reaper may run a moment later), then
/// asserts that nothing of the container remains.
pub(crate) fn assert_gone_soon(daemon: &TestDaemon, id: &str, footprint: Option<&Footprint>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut problems = leaks(daemon, id, footprint);
    while !problems.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        problems = leaks(daemon, id, footprint);
    }
    assert!(
        problems.is_empty(),
        "container {id} leaked:\n{}\ndaemon log:\n{}",
        problems.join("\n"),
        daemon.log()
    );
}

#[test]
fn rm_of_an_exited_container_leaves_nothing() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("leak-rm");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "done",
            "busybox",
            "sh",
            "-c",
            // Something in its writable layer, so the upper dir is not empty.
            "echo x > /written; sleep 30",
        ]),
    );
    let footprint = footprint(&daemon, "done");
    ok(&daemon, &daemon.docker(&["stop", "-t", "1", "done"]));
    assert_eq!(inspect(&daemon, "done", "{{.State.Status}}"), "exited");
    ok(&daemon, &daemon.docker(&["rm", "done"]));
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}

#[test]
fn rm_force_of_a_running_container_leaves_nothing() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("leak-rmf");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "busy",
            "--tmpfs",
            "/t",
            "--init",
            "busybox",
            "sh",
            "-c",
            "echo x > /written; sleep 60",
        ]),
    );
    let footprint = footprint(&daemon, "busy");
    // The checks see a live container's mount, files, cgroups and processes.
    let live = leaks(&daemon, &footprint.id, Some(&footprint)).join("\n");
    for what in [
        "mount left",
        "file left",
        "cgroup left",
        "init left",
        "shim left",
    ] {
        assert!(live.contains(what), "{what} not seen in: {live}");
    }
    ok(&daemon, &daemon.docker(&["rm", "-f", "busy"]));
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}

#[test]
fn run_rm_leaves_nothing() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("leak-runrm");
    let _leftovers = Leftovers::of(&daemon);
    let output = daemon.docker(&[
        "run",
        "--rm",
        "--name",
        "once",
        "busybox",
        "sh",
        "-c",
        "echo hi > /f; cat /f",
    ]);
    assert_eq!(ok(&daemon, &output), "hi\n");
    // The id is gone with the container: find it in the daemon log.
    let log = daemon.log();
    let id = log
        .lines()
        .find_map(|line| {
            let rest = line.split("container ").nth(1)?;
            rest.strip_suffix(" created as /once\"")
        })
        .unwrap_or_else(|| panic!("no create line in the log:\n{log}"))
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    harness_wait_removed(&daemon, "once");
    assert_gone_soon(&daemon, &id, None);
    // A running `run --rm` ended by kill: also removed, and nothing left.
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--rm", "--name", "killed", "busybox", "sleep", "60",
        ]),
    );
    let footprint = footprint(&daemon, "killed");
    ok(&daemon, &daemon.docker(&["kill", "killed"]));
    harness_wait_removed(&daemon, "killed");
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}

fn harness_wait_removed(daemon: &TestDaemon, name: &str) {
    crate::daemon_run::wait_for(&format!("{name} to be removed"), || {
        let out = daemon.docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")]);
        out.status.success() && stdout_of(&out).trim().is_empty()
    });
}

#[test]
fn docker_py_force_remove_leaves_nothing() {
    require!(skip_unless_ready());
    require!(harness::need_command("python3").map(|_| ()));
    let daemon = daemon_with_busybox("leak-py");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "pyc", "busybox", "sleep", "60"]),
    );
    let footprint = footprint(&daemon, "pyc");
    let script = r#"
import sys, docker
client = docker.DockerClient(base_url=sys.argv[1])
client.containers.get("pyc").remove(force=True)
print("ok")
"#;
    let output = harness::run(Command::new("python3").args(["-c", script, &daemon.host()]));
    assert_eq!(stdout_of(&output).trim(), "ok", "{}", stderr_of(&output));
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}

#[test]
fn rm_after_its_shim_was_killed_leaves_nothing_even_when_paused() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("leak-paused");
    let leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "cold", "busybox", "sleep", "300"]),
    );
    let footprint = footprint(&daemon, "cold");
    ok(&daemon, &daemon.docker(&["pause", "cold"]));
    // What a panicking test's guard does: kill the shims and their
    // children by pid, which must thaw a frozen init to end it. The shim
    // then never deletes the launcher's state; `rm` must.
    drop(leftovers);
    crate::daemon_run::wait_for("the paused init to end", || {
        !footprint.init.exists() && !footprint.shim.exists()
    });
    ok(&daemon, &daemon.docker(&["rm", "-f", "cold"]));
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}

/// The daemon blocks SIGTERM, SIGINT and SIGHUP in all its threads to read
/// them from a signalfd; the shims it starts (and the hooks and processes
/// they start) must begin with nothing blocked, as Go's children do.
#[test]
fn a_shim_starts_with_no_signal_blocked() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("shim-sigmask");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "idle", "busybox", "sleep", "60"]),
    );
    let footprint = footprint(&daemon, "idle");
    let status = std::fs::read_to_string(format!("/proc/{}/status", footprint.shim.pid))
        .expect("read the shim's status");
    let blocked = status
        .lines()
        .find_map(|line| line.strip_prefix("SigBlk:"))
        .map(str::trim)
        .expect("SigBlk in /proc/PID/status");
    assert_eq!(blocked, "0000000000000000", "the shim's blocked signals");
    ok(&daemon, &daemon.docker(&["rm", "-f", "idle"]));
    assert_gone_soon(&daemon, &footprint.id, Some(&footprint));
}
