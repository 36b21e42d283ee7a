//! Living containers through our daemon with the real Docker CLI: pause
//! and unpause, top.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, inspect, ok, skip_unless_ready,
};
use crate::harness::{stderr_of, stdout_of};
use crate::require;

#[test]
fn pause_and_unpause_freeze_the_container_and_show_in_inspect_and_ps() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-pause");
    let _leftovers = Leftovers::of(&daemon);
    let script = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done";
    let id = ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--name", "frozen", "busybox", "sh", "-c", script,
        ]),
    );
    let id = id.trim();
    let refused = daemon.docker(&["unpause", "frozen"]);
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains(&format!("Container {id} is not paused")),
        "{}",
        stderr_of(&refused)
    );
    ok(&daemon, &daemon.docker(&["pause", "frozen"]));
    assert_eq!(
        inspect(
            &daemon,
            "frozen",
            "{{.State.Status}} {{.State.Paused}} {{.State.Running}}"
        ),
        "paused true true"
    );
    let listed = ok(
        &daemon,
        &daemon.docker(&["ps", "--format", "{{.Names}} {{.Status}}"]),
    );
    assert!(
        listed.contains("frozen Up") && listed.contains("(Paused)"),
        "{listed}"
    );
    let again = daemon.docker(&["pause", "frozen"]);
    assert!(!again.status.success());
    assert!(
        stderr_of(&again).contains(&format!("Container {id} is already paused")),
        "{}",
        stderr_of(&again)
    );
    let pid = inspect(&daemon, "frozen", "{{.State.Pid}}");
    let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let frozen_count = std::fs::read_to_string(format!("/proc/{pid}/root/tmp/count")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let later = std::fs::read_to_string(format!("/proc/{pid}/root/tmp/count")).unwrap();
    assert_eq!(
        frozen_count, later,
        "the counter moved while paused ({state})"
    );
    ok(&daemon, &daemon.docker(&["unpause", "frozen"]));
    assert_eq!(
        inspect(&daemon, "frozen", "{{.State.Status}} {{.State.Paused}}"),
        "running false"
    );
    crate::daemon_run::wait_for("the counter to move again", || {
        std::fs::read_to_string(format!("/proc/{pid}/root/tmp/count")).unwrap() != later
    });
    ok(&daemon, &daemon.docker(&["rm", "-f", "frozen"]));
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "idle", "busybox"]),
    );
    let idle = daemon.docker(&["pause", "idle"]);
    assert!(!idle.status.success());
    assert!(
        stderr_of(&idle).contains("is not running"),
        "{}",
        stderr_of(&idle)
    );
    ok(&daemon, &daemon.docker(&["rm", "idle"]));
    assert_nothing_left(&daemon);
}

#[test]
fn top_lists_the_container_processes_only() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-top");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "busy",
            "busybox",
            "sh",
            "-c",
            "sleep 1001 & sleep 1002",
        ]),
    );
    crate::daemon_run::wait_for("both sleeps", || {
        let out = stdout_of(&daemon.docker(&["top", "busy"]));
        out.contains("sleep 1001") && out.contains("sleep 1002")
    });
    let table = ok(&daemon, &daemon.docker(&["top", "busy"]));
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("UID") && header.contains("PID") && header.ends_with("CMD"),
        "{table}"
    );
    // busybox sh execs its last command: the init is `sleep 1002`.
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 2, "{table}");
    let init = inspect(&daemon, "busy", "{{.State.Pid}}");
    assert!(
        rows.iter()
            .any(|row| row[1] == init && row[7..] == ["sleep", "1002"]),
        "{table}"
    );
    assert!(
        rows.iter()
            .any(|row| row[2] == init && row[7..] == ["sleep", "1001"]),
        "{table}"
    );
    let custom = ok(&daemon, &daemon.docker(&["top", "busy", "-o", "pid,comm"]));
    assert_eq!(
        custom
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["PID", "COMMAND"]
    );
    assert_eq!(
        custom.lines().filter(|l| l.contains("sleep")).count(),
        2,
        "{custom}"
    );
    ok(&daemon, &daemon.docker(&["rm", "-f", "busy"]));
    let gone = daemon.docker(&["top", "busy"]);
    assert!(!gone.status.success());
    assert_nothing_left(&daemon);
}

#[test]
fn stats_no_stream_shows_cpu_memory_and_pids_from_the_cgroup() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-stats");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "hog",
            "-m",
            "64m",
            "--pids-limit",
            "50",
            "busybox",
            "sh",
            "-c",
            "while true; do :; done",
        ]),
    );
    let line = ok(
        &daemon,
        &daemon.docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}",
            "hog",
        ]),
    );
    let fields: Vec<&str> = line.trim().split('|').collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert_eq!(fields[0], "hog", "{line}");
    let cpu: f64 = fields[1].trim_end_matches('%').parse().unwrap();
    assert!(cpu > 20.0, "a busy loop uses a CPU: {line}");
    assert!(fields[2].ends_with("/ 64MiB"), "{line}");
    assert!(!fields[2].starts_with("0B"), "{line}");
    assert_eq!(fields[3], "1", "{line}");
    let script = r#"
import sys, docker
c = docker.DockerClient(base_url=sys.argv[1]).containers.get("hog")
frames = c.stats(stream=True, decode=True)
first, second = next(frames), next(frames)
assert first["id"] == c.id and first["name"] == "/hog", first
assert second["precpu_stats"]["cpu_usage"]["total_usage"] == first["cpu_stats"]["cpu_usage"]["total_usage"]
assert second["preread"] == first["read"], (first["read"], second["preread"])
assert second["memory_stats"]["limit"] == 64 << 20
assert second["pids_stats"] == {"current": 1, "limit": 50}, second["pids_stats"]
shot = c.stats(stream=False, one_shot=True)
assert shot["precpu_stats"]["cpu_usage"]["total_usage"] == 0 and shot["cpu_stats"]["cpu_usage"]["total_usage"] > 0
print("ok")
"#;
    let output = crate::harness::run(std::process::Command::new("python3").args([
        "-c",
        script,
        &daemon.host(),
    ]));
    assert_eq!(
        stdout_of(&output).trim(),
        "ok",
        "{}\n{}",
        stderr_of(&output),
        daemon.log()
    );
    ok(&daemon, &daemon.docker(&["rm", "-f", "hog"]));
    let stopped = ok(
        &daemon,
        &daemon.docker(&["create", "--name", "idle", "busybox"]),
    );
    let idle = ok(
        &daemon,
        &daemon.docker(&[
            "stats",
            "--no-stream",
            "--format",
            "{{.ID}} {{.CPUPerc}} {{.MemUsage}}",
            "idle",
        ]),
    );
    assert_eq!(
        idle.trim(),
        format!("{} 0.00% 0B / 0B", &stopped.trim()[..12])
    );
    ok(&daemon, &daemon.docker(&["rm", "idle"]));
    assert_nothing_left(&daemon);
}

fn v1_memory_controller() -> Result<(), String> {
    if std::path::Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists() {
        Ok(())
    } else {
        Err("no cgroup v1 memory controller".into())
    }
}

/// A v1 controller's file of the cgroup process `pid` is in.
fn cgroup_file(pid: &str, controller: &str, file: &str) -> String {
    let table = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let path = table
        .lines()
        .find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
            names.split(',').any(|n| n == controller).then_some(path)
        })
        .unwrap_or_else(|| panic!("no {controller} cgroup in {table}"));
    let full = format!("/sys/fs/cgroup/{controller}{path}/{file}");
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("read {full}: {e}"))
        .trim()
        .to_string()
}

#[test]
fn update_changes_the_record_and_the_running_cgroup() {
    require!(skip_unless_ready());
    require!(v1_memory_controller());
    let daemon = daemon_with_busybox("run-update");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&[
            "run", "-d", "--name", "lim", "-m", "64m", "busybox", "sleep", "1000",
        ]),
    );
    let pid = inspect(&daemon, "lim", "{{.State.Pid}}");
    assert_eq!(
        cgroup_file(&pid, "memory", "memory.limit_in_bytes"),
        (64u64 << 20).to_string()
    );
    let updated = ok(
        &daemon,
        &daemon.docker(&[
            "update",
            "-m",
            "96m",
            "--memory-swap",
            "200m",
            "--cpus",
            "0.5",
            "--cpu-shares",
            "512",
            "--pids-limit",
            "20",
            "--restart",
            "on-failure:3",
            "lim",
        ]),
    );
    assert_eq!(updated.trim(), "lim");
    assert_eq!(
        inspect(
            &daemon,
            "lim",
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} \
             {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} \
             {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}"
        ),
        format!(
            "{} {} 500000000 512 20 on-failure:3",
            96u64 << 20,
            200u64 << 20
        )
    );
    assert_eq!(
        cgroup_file(&pid, "memory", "memory.limit_in_bytes"),
        (96u64 << 20).to_string()
    );
    assert_eq!(cgroup_file(&pid, "cpu", "cpu.cfs_quota_us"), "50000");
    assert_eq!(cgroup_file(&pid, "cpu", "cpu.shares"), "512");
    assert_eq!(cgroup_file(&pid, "pids", "pids.max"), "20");
    let bad = daemon.docker(&["update", "-m", "300m", "lim"]);
    assert!(!bad.status.success());
    assert!(
        stderr_of(&bad)
            .contains("Memory limit should be smaller than already set memoryswap limit"),
        "{}",
        stderr_of(&bad)
    );
    ok(&daemon, &daemon.docker(&["rm", "-f", "lim"]));
    ok(
        &daemon,
        &daemon.docker(&["create", "--name", "later", "busybox"]),
    );
    ok(
        &daemon,
        &daemon.docker(&["update", "--cpu-shares", "256", "later"]),
    );
    assert_eq!(
        inspect(&daemon, "later", "{{.HostConfig.CpuShares}}"),
        "256"
    );
    ok(&daemon, &daemon.docker(&["rm", "later"]));
    assert_nothing_left(&daemon);
}

#[test]
fn memory_limit_oom_kills_with_137_and_oom_killed() {
    require!(skip_unless_ready());
    require!(v1_memory_controller());
    let daemon = daemon_with_busybox("run-oom");
    let _leftovers = Leftovers::of(&daemon);
    let output = daemon.docker(&[
        "run",
        "--name",
        "hungry",
        "-m",
        "32m",
        "--memory-swap",
        "32m",
        "--shm-size",
        "256m",
        "busybox",
        "sh",
        "-c",
        "echo filling; exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=128",
    ]);
    assert_eq!(
        output.status.code(),
        Some(137),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert_eq!(stdout_of(&output), "filling\n");
    assert_eq!(
        inspect(
            &daemon,
            "hungry",
            "{{.State.ExitCode}} {{.State.OOMKilled}}"
        ),
        "137 true"
    );
    ok(
        &daemon,
        &daemon.docker(&["run", "--name", "fed", "-m", "32m", "busybox", "true"]),
    );
    assert_eq!(inspect(&daemon, "fed", "{{.State.OOMKilled}}"), "false");
    ok(&daemon, &daemon.docker(&["rm", "hungry", "fed"]));
    assert_nothing_left(&daemon);
}

#[test]
fn default_seccomp_profile_denies_unshare_unless_unconfined_or_privileged() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-seccomp");
    let _leftovers = Leftovers::of(&daemon);
    let denied = daemon.docker(&["run", "--rm", "busybox", "unshare", "-U", "true"]);
    assert_ne!(denied.status.code(), Some(0), "{}", stderr_of(&denied));
    assert!(
        stderr_of(&denied).contains("Operation not permitted"),
        "{}",
        stderr_of(&denied)
    );
    let filtered = ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "busybox",
            "grep",
            "Seccomp:",
            "/proc/self/status",
        ]),
    );
    assert_eq!(
        filtered.split_whitespace().collect::<Vec<_>>(),
        ["Seccomp:", "2"]
    );
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "--security-opt",
            "seccomp=unconfined",
            "busybox",
            "unshare",
            "-U",
            "true",
        ]),
    );
    let privileged = ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "--privileged",
            "busybox",
            "grep",
            "Seccomp:",
            "/proc/self/status",
        ]),
    );
    assert_eq!(
        privileged.split_whitespace().collect::<Vec<_>>(),
        ["Seccomp:", "0"]
    );
    let profile = daemon.dir.join("no-mkdir.json");
    std::fs::write(
        &profile,
        serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]
        })
        .to_string(),
    )
    .unwrap();
    let option = format!("seccomp={}", profile.display());
    let blocked = daemon.docker(&[
        "run",
        "--rm",
        "--security-opt",
        &option,
        "busybox",
        "mkdir",
        "/tmp/x",
    ]);
    assert_ne!(blocked.status.code(), Some(0));
    assert!(
        stderr_of(&blocked).contains("Operation not permitted"),
        "{}",
        stderr_of(&blocked)
    );
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "--rm",
            "--security-opt",
            &option,
            "busybox",
            "unshare",
            "-U",
            "true",
        ]),
    );
    assert_nothing_left(&daemon);
}

#[test]
fn kill_and_rm_force_reach_a_paused_container() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-pause-kill");
    let _leftovers = Leftovers::of(&daemon);
    for name in ["first", "second"] {
        ok(
            &daemon,
            &daemon.docker(&["run", "-d", "--name", name, "busybox", "sleep", "1000"]),
        );
        ok(&daemon, &daemon.docker(&["pause", name]));
    }
    ok(&daemon, &daemon.docker(&["kill", "first"]));
    let code = ok(&daemon, &daemon.docker(&["wait", "first"]));
    assert_eq!(code.trim(), "137");
    assert_eq!(
        inspect(&daemon, "first", "{{.State.Status}} {{.State.Paused}}"),
        "exited false"
    );
    let started = std::time::Instant::now();
    ok(&daemon, &daemon.docker(&["rm", "-f", "second", "first"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_nothing_left(&daemon);
}

/// CVE-2019-5736: the shim, a parent of the container's init, runs from a
/// read-only view of the binary (a detached mount), not from the host path
/// that a process could write through /proc/PID/exe once the shim is gone.
#[test]
fn shims_run_from_an_unwritable_view_of_the_binary() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("run-shim-exe");
    let _leftovers = Leftovers::of(&daemon);
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "guarded", "busybox", "sleep", "100"]),
    );
    let init: i32 = inspect(&daemon, "guarded", "{{.State.Pid}}")
        .parse()
        .unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{init}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let shim: i32 = after_name.split(' ').nth(1).unwrap().parse().unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{shim}/comm")).unwrap();
    assert_eq!(comm, "dockbox-shim\n", "parent {shim}");
    let exe = format!("/proc/{shim}/exe");
    let host_path = std::fs::canonicalize(crate::harness::dockbox()).unwrap();
    assert_ne!(std::fs::read_link(&exe).unwrap(), host_path);
    let opened = std::fs::File::open(&exe).unwrap();
    let stats = nix::sys::statvfs::fstatvfs(&opened).unwrap();
    assert!(
        stats
            .flags()
            .contains(nix::sys::statvfs::FsFlags::ST_RDONLY),
        "shim {shim} runs from a writable mount"
    );
    ok(&daemon, &daemon.docker(&["rm", "-f", "guarded"]));
}
