//! Drop-in under the real Docker engine: Debian's dockerd 20.10 runs busybox
//! containers through `--runtime R`, driven by the real Docker CLI. Every
//! test runs once with Debian's runc (proving the rig) and once with our
//! binary registered as the `dockbox` runtime; the dockbox variants skip
//! until our `runc run` can run a container.
//!
//! What these tests ask of the runtime, as logged from Debian's shim
//! (`containerd-shim-runc-v2`) driving runc; every call carries the global
//! flags `--root <exec-root>/runtime-<name>/moby --log <bundle>/log.json
//! --log-format json`:
//! - run: `create --bundle B --pid-file B/init.pid ID` (`-t` adds
//!   `--console-socket S`), `start ID`, then
//!   `delete ID` and `delete --force ID` (the second must not fail the
//!   shim: "does not exist" is ignored);
//! - exec: `exec --process /tmp/runc-processNNN --detach --pid-file
//!   B/<exec-id>.pid ID`, exit code through the shim's reaper;
//! - top: `ps --format json ID`; stop: `kill ID 15` then `kill ID 9`;
//!   pause/unpause: `pause ID` / `resume ID`; update: `update
//!   --resources - ID` (LinuxResources JSON on stdin);
//! - stats and OOM need no runc call: the shim reads the container's
//!   cgroup (found from init's /proc/PID/cgroup) itself;
//! - info: `runc --version` (`commit:` line).
//!
//! dockerd's config.json has an absolute `linux.cgroupsPath` below
//! `--cgroup-parent`, Docker's seccomp profile (architectures include
//! SCMP_ARCH_X32), `process.oomScoreAdj`, `linux.sysctl`
//! (net.ipv4.ip_unprivileged_port_start, ping_group_range), masked and
//! read-only paths, bind mounts of resolv.conf/hostname/hosts, and a root
//! on an overlay mount that exists only in the engine's mount namespace.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::engine::{Engine, EngineOptions, Runtime};
use crate::harness::{self, stderr_of, stdout_of};
use crate::require;

/// `mod NAME { fn runc(); fn dockbox(); }` calling `NAME(Runtime)`.
macro_rules! for_each_runtime {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::harness::engine::Runtime;
            #[test]
            fn runc() {
                super::$name(Runtime::Runc)
            }
            #[test]
            fn dockbox() {
                super::$name(Runtime::Dockbox)
            }
        }
    )*};
}

for_each_runtime!(
    run_rm_echo,
    run_exit_code_passes_through,
    run_tty_gets_a_pty,
    run_detached_then_exec,
    stop_delivers_sigterm,
    pause_freezes_and_unpause_resumes,
    top_lists_the_container_processes,
    stats_no_stream_reads_the_cgroup,
    update_memory_reaches_the_cgroup,
    memory_limit_oom_kills_with_137,
    negative_ulimit_is_unlimited,
    info_lists_the_runtime_with_its_version,
);

/// The shared engine with busybox loaded, or returns from the test with
/// `skipped: <reason>`.
macro_rules! engine_or_skip {
    ($runtime:expr) => {
        match engine_for($runtime) {
            Ok(engine) => engine,
            Err(reason) => {
                crate::harness::report_skip(module_path!(), &reason);
                return;
            }
        }
    };
}

/// The shared engine with busybox loaded.
fn engine_for(runtime: Runtime) -> Result<Arc<Engine>, String> {
    harness::engine::need_engine()?;
    runtime.ready()?;
    let engine = Engine::shared()?;
    engine.load_busybox();
    Ok(engine)
}

/// `docker run -d --runtime R busybox ARGS`; the container id.
fn run_detached(engine: &Engine, runtime: Runtime, extra: &[&str], args: &[&str]) -> String {
    let mut command = vec!["run", "-d", "--runtime", runtime.name()];
    command.extend_from_slice(extra);
    command.push("busybox");
    command.extend_from_slice(args);
    engine.docker_ok(&command)
}

fn inspect(engine: &Engine, id: &str, format: &str) -> String {
    engine.docker_ok(&["inspect", "--format", format, id])
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_rm_echo(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let name = format!("echo-{}-{}", runtime.name(), std::process::id());
    let output = engine.docker(&[
        "run",
        "--runtime",
        runtime.name(),
        "--rm",
        "--name",
        &name,
        "busybox",
        "echo",
        "ok",
    ]);
    assert_eq!(
        stdout_of(&output),
        "ok\n",
        "{}\n{}",
        stderr_of(&output),
        engine.logs()
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let gone = engine.docker(&["inspect", &name]);
    assert!(!gone.status.success(), "--rm left {name} behind");
}

fn run_exit_code_passes_through(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let output = engine.docker(&[
        "run",
        "--runtime",
        runtime.name(),
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo to stderr >&2; exit 42",
    ]);
    assert_eq!(output.status.code(), Some(42), "{}", stderr_of(&output));
    assert_eq!(stderr_of(&output), "to stderr\n");
}

/// `-t` makes dockerd ask the runtime for a console (`--console-socket`).
fn run_tty_gets_a_pty(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let output = engine.docker(&[
        "run",
        "--runtime",
        runtime.name(),
        "--rm",
        "-t",
        "busybox",
        "sh",
        "-c",
        "tty; [ -t 0 ] && [ -t 1 ] && echo stdio is a tty",
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = stdout_of(&output).replace('\r', "");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("/dev/pts/0"), "{text:?}");
    assert_eq!(lines.next(), Some("stdio is a tty"), "{text:?}");
}

fn run_detached_then_exec(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let id = run_detached(&engine, runtime, &[], &["sleep", "1000"]);
    assert_eq!(inspect(&engine, &id, "{{.State.Running}}"), "true");
    assert_eq!(
        inspect(&engine, &id, "{{.HostConfig.Runtime}}"),
        runtime.name()
    );
    // The exec joins the container: its hostname, and pid 1 is the sleep.
    assert_eq!(
        engine.docker_ok(&[
            "exec",
            &id,
            "sh",
            "-c",
            "hostname; cat /proc/1/cmdline | tr '\\0' ' '"
        ]),
        format!("{}\nsleep 1000", &id[..12])
    );
    let failed = engine.docker(&["exec", &id, "sh", "-c", "exit 5"]);
    assert_eq!(failed.status.code(), Some(5), "{}", stderr_of(&failed));
    engine.docker_ok(&["rm", "-f", &id]);
}

fn stop_delivers_sigterm(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    // PID 1 has no default SIGTERM action, so only the trap can end it
    // within the stop timeout: a quick exit 0 proves the signal arrived.
    let id = run_detached(
        &engine,
        runtime,
        &[],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; while :; do sleep 0.1; done",
        ],
    );
    let started = Instant::now();
    engine.docker_ok(&["stop", "-t", "8", &id]);
    let took = started.elapsed();
    assert_eq!(inspect(&engine, &id, "{{.State.Running}}"), "false");
    assert_eq!(inspect(&engine, &id, "{{.State.ExitCode}}"), "0");
    assert!(
        took < Duration::from_secs(6),
        "stop took {took:?}: SIGTERM was not delivered"
    );
    engine.docker_ok(&["rm", &id]);
}

fn pause_freezes_and_unpause_resumes(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let id = run_detached(
        &engine,
        runtime,
        &[],
        &[
            "sh",
            "-c",
            "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done",
        ],
    );
    let lines = |engine: &Engine| engine.docker_ok(&["logs", &id]).lines().count();
    wait_for("the counter to start", Duration::from_secs(10), || {
        lines(&engine) > 3
    });
    engine.docker_ok(&["pause", &id]);
    assert_eq!(inspect(&engine, &id, "{{.State.Status}}"), "paused");
    // dockerd copies output asynchronously: let the last lines land. A
    // counter still running (one line per 20 ms) never holds still for
    // 300 ms, so this cannot hide a failed freeze.
    let mut frozen = lines(&engine);
    let settle_deadline = Instant::now() + Duration::from_secs(5);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = lines(&engine);
        if now == frozen {
            break;
        }
        assert!(
            Instant::now() < settle_deadline,
            "the counter kept running while paused"
        );
        frozen = now;
    }
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(lines(&engine), frozen, "the counter ran while paused");
    engine.docker_ok(&["unpause", &id]);
    assert_eq!(inspect(&engine, &id, "{{.State.Status}}"), "running");
    wait_for("the counter to resume", Duration::from_secs(10), || {
        lines(&engine) > frozen + 3
    });
    engine.docker_ok(&["rm", "-f", &id]);
}

fn top_lists_the_container_processes(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let id = run_detached(&engine, runtime, &[], &["sleep", "1000"]);
    let host_pid = inspect(&engine, &id, "{{.State.Pid}}");
    let top = engine.docker_ok(&["top", &id]);
    let mut lines = top.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.contains("PID") && header.contains("CMD"), "{top}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 1, "{top}");
    let fields: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(fields.get(1), Some(&host_pid.as_str()), "{top}");
    assert!(rows[0].ends_with("sleep 1000"), "{top}");
    engine.docker_ok(&["rm", "-f", &id]);
}

fn stats_no_stream_reads_the_cgroup(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let id = run_detached(&engine, runtime, &["--memory", "48m"], &["sleep", "1000"]);
    let text = engine.docker_ok(&["stats", "--no-stream", "--format", "{{json .}}", &id]);
    let stats: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(stats["ID"].as_str(), Some(&id[..12]), "{text}");
    assert_eq!(stats["PIDs"].as_str(), Some("1"), "{text}");
    let memory = stats["MemUsage"].as_str().unwrap_or_default();
    let (usage, limit) = memory.split_once(" / ").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(limit, "48MiB", "{text}");
    assert_ne!(usage, "0B", "{text}");
    engine.docker_ok(&["rm", "-f", &id]);
}

/// The memory limit of container `id` as the host's cgroup file says.
fn host_memory_limit(engine: &Engine, id: &str) -> String {
    for leaf in engine.cgroups().leaves() {
        for file in ["memory.limit_in_bytes", "memory.max"] {
            if leaf.join(file).exists() {
                let path = leaf.join(id).join(file);
                return std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
                    .trim()
                    .to_string();
            }
        }
    }
    panic!("no memory controller below {}", engine.cgroups().path());
}

fn update_memory_reaches_the_cgroup(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let id = run_detached(&engine, runtime, &[], &["sleep", "1000"]);
    engine.docker_ok(&["update", "--memory", "64m", "--memory-swap", "-1", &id]);
    assert_eq!(inspect(&engine, &id, "{{.HostConfig.Memory}}"), "67108864");
    assert_eq!(host_memory_limit(&engine, &id), "67108864");
    engine.docker_ok(&["rm", "-f", &id]);
}

/// The control for our daemon's `--ulimit core=-1:-1`
/// (daemon_accept): dockerd 20.10 makes -1 no limit at all.
fn negative_ulimit_is_unlimited(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let output = engine.docker(&[
        "run",
        "--rm",
        "--runtime",
        runtime.name(),
        "--ulimit",
        "core=-1:-1",
        "busybox",
        "sh",
        "-c",
        "ulimit -S -c; ulimit -H -c",
    ]);
    assert_eq!(
        stdout_of(&output),
        "unlimited\nunlimited\n",
        "{}\n{}",
        stderr_of(&output),
        engine.logs()
    );
}

fn memory_limit_oom_kills_with_137(runtime: Runtime) {
    let engine = engine_or_skip!(runtime);
    let name = format!("oom-{}-{}", runtime.name(), std::process::id());
    // 200 MB of shell variable against a 32 MiB limit (no swap here, and
    // at most 64 MiB with Docker's default memory+swap).
    let since = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1)
    .to_string();
    let output = engine.docker(&[
        "run",
        "--runtime",
        runtime.name(),
        "--name",
        &name,
        "--memory",
        "32m",
        "busybox",
        "sh",
        "-c",
        "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived",
    ]);
    assert_eq!(
        output.status.code(),
        Some(137),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    assert!(!stdout_of(&output).contains("survived"));
    assert_eq!(inspect(&engine, &name, "{{.State.ExitCode}}"), "137");
    // The shim reports the OOM kill as an event. dockerd 20.10 sets
    // State.OOMKilled only when that event beats the exit event, which
    // it does not always do (even with runc), so the event log is the
    // reliable witness.
    let until = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string()
    };
    wait_for("the oom event", Duration::from_secs(10), || {
        let events = engine.docker_ok(&[
            "events",
            "--since",
            &since,
            "--until",
            &until(),
            "--filter",
            &format!("container={name}"),
            "--filter",
            "event=oom",
            "--format",
            "{{.Status}}",
        ]);
        events.lines().any(|line| line == "oom")
    });
    engine.docker_ok(&["rm", &name]);
}

/// `docker info` lists the runtime, and with it as the default runtime
/// dockerd parses the commit out of its `--version` (dockbox gets an engine
/// of its own: the default runtime is a daemon-wide setting). Needs no
/// container, so the dockbox variant runs before our `runc run` works.
fn info_lists_the_runtime_with_its_version(runtime: Runtime) {
    require!(harness::engine::need_engine());
    // dockerd's default is runc, so the shared engine serves that variant.
    let started = match runtime {
        Runtime::Runc => Engine::shared(),
        Runtime::Dockbox => Engine::start(
            "dropin-info",
            EngineOptions {
                default_runtime: Some(runtime),
                ..EngineOptions::default()
            },
        )
        .map(Arc::new),
    };
    let engine = match started {
        Ok(engine) => engine,
        Err(reason) => {
            harness::report_skip(module_path!(), &reason);
            return;
        }
    };
    let text = engine.docker_ok(&[
        "info",
        "--format",
        "{{json .Runtimes}}\n{{json .RuncCommit}}\n{{.DefaultRuntime}}",
    ]);
    let mut lines = text.lines();
    let runtimes: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let commit: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(lines.next(), Some(runtime.name()), "{text}");
    let binary = engine.runtime_binary(runtime);
    let listed = runtimes[runtime.name()]["path"]
        .as_str()
        .unwrap_or_default();
    match runtime {
        Runtime::Runc => assert_eq!(listed, "runc", "{text}"),
        Runtime::Dockbox => assert_eq!(listed, binary.to_str().unwrap(), "{text}"),
    }
    let version = std::process::Command::new(&binary)
        .arg("--version")
        .output()
        .unwrap();
    let version = stdout_of(&version);
    let expected = version
        .lines()
        .find_map(|line| line.strip_prefix("commit: "))
        .unwrap_or_else(|| panic!("no commit line in {binary:?} --version: {version}"));
    assert_eq!(commit["ID"].as_str(), Some(expected), "{text}");
}

/// The rig itself: with a container still running, dropping the engine
/// leaves no process, cgroup, mount or file behind.
#[test]
fn engine_teardown_leaves_nothing_behind() {
    require!(harness::engine::need_engine());
    require!(Runtime::Runc.ready());
    let engine = match Engine::start("dropin-teardown", EngineOptions::default()) {
        Ok(engine) => engine,
        Err(reason) => {
            harness::report_skip(module_path!(), &reason);
            return;
        }
    };
    engine.load_busybox();
    let id = run_detached(&engine, Runtime::Runc, &[], &["sleep", "1000"]);
    let container_pid: i32 = inspect(&engine, &id, "{{.State.Pid}}").parse().unwrap();
    let mut pids = engine.pids_in_mount_ns();
    assert!(pids.len() >= 3, "dockerd, containerd and a shim: {pids:?}");
    pids.push(container_pid);
    let dir = engine.dir().to_path_buf();
    let leaves = engine.cgroups().leaves().to_vec();
    assert!(
        leaves.iter().all(|leaf| leaf.join(&id).is_dir()),
        "{leaves:?}"
    );
    drop(engine);
    let alive: Vec<&i32> = pids
        .iter()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| !stat.contains(") Z "))
        })
        .collect();
    assert!(alive.is_empty(), "still running: {alive:?}");
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(harness::cleanup::mounts_below(&dir).is_empty());
    let left: Vec<_> = leaves.iter().filter(|leaf| leaf.exists()).collect();
    assert!(left.is_empty(), "cgroups left: {left:?}");
}
