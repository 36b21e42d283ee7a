//! Runtime CVE classes as standing tests, each run through our runc and,
//! as a control, through Debian's runc 1.1.5. The tests assert that ours is
//! safe; what the control did is printed (`control: ...`), never asserted,
//! since 1.1.5 predates some of these fixes.
//!
//! Covered elsewhere, with their controls: CVE-2024-21626 (cwd through a
//! leaked fd, run and exec) and CVE-2025-31133 (a /dev/null symlink as the
//! masking source) in runc_fds; CVE-2019-5736 for a created init in
//! runc_selfexe (this module adds exec, with the exploit's held fd).

use crate::harness::busybox::Bundle;
use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_cgroups::run_detached;
use crate::runc_support::{Runtime, reap};
use serde_json::json;
use std::path::Path;
use std::process::{Output, Stdio};

/// Debian's runc when installed (else a visible skip), then ours: the
/// control's line is printed even when an assertion on ours fails.
fn control_then_ours(test: &str) -> Vec<Runtime> {
    let mut runtimes = Vec::new();
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    runtimes.push(Runtime::ours());
    runtimes
}

fn is_ours(runtime: &Runtime) -> bool {
    runtime.name == "dockbox"
}

/// One line for the log: the runtime, the exit status, stdout and stderr.
fn describe(runtime: &Runtime, what: &str, output: &Output) -> String {
    let role = if is_ours(runtime) { "ours" } else { "control" };
    format!(
        "{role}: {} {what}: {}, stdout {:?}, stderr {:?}",
        runtime.name,
        output.status,
        stdout_of(output).trim(),
        stderr_of(output).trim()
    )
}

/// `exec -d` of `args` in `id`; gives the exec'd process's host pid.
fn exec_detached(runtime: &Runtime, dir: &TempDir, id: &str, args: &[&str]) -> Option<i32> {
    let pid_file = dir.join(&format!("{}-exec.pid", runtime.name));
    let _ = std::fs::remove_file(&pid_file);
    let pid_arg = pid_file.to_str().unwrap();
    let status = runtime
        .command(&[&["exec", "-d", "--pid-file", pid_arg, id], args].concat())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let pid = std::fs::read_to_string(&pid_file).ok()?.trim().parse().ok();
    status.success().then_some(pid).flatten()
}

// ---- CVE-2019-5736: the runtime's binary reached through /proc/PID/exe --

/// Run detached inside the container: every process whose executable lies
/// outside the image's /bin, /sbin and /usr (the runtime's, reached through
/// `/proc/self/exe`) is opened through /proc/PID/exe, killed so that
/// nothing runs that file any more (a running one answers ETXTBSY), then
/// written through the held fd, as the CVE's exploit does. One line
/// `PID EXE WROTE|DENIED` each into /out/result, then DONE.
const OVERWRITE_RUNTIME_EXES: &str = "exec > /out/result 2>&1; \
     for p in /proc/[0-9]*; do \
     e=$(readlink $p/exe) || continue; case $e in /bin/*|/sbin/*|/usr/*|'') continue;; esac; \
     exec 3< $p/exe || { echo \"${p#/proc/} $e UNOPENED\"; continue; }; \
     kill -9 ${p#/proc/}; sleep 1; \
     if echo pwned >> /proc/self/fd/3; then r=WROTE; else r=DENIED; fi; exec 3<&-; \
     echo \"${p#/proc/} $e $r\"; done; echo DONE";

/// A running `sleep` container whose rootfs has `/bin/docker-init` as a
/// symlink to /proc/self/exe: `exec /bin/docker-init sleep 100` re-runs the
/// executable of the runtime process that execs it (as dockbox's
/// docker-init applet, which stays to wait on its `sleep`). The container
/// then attacks that file; gives the report and the attack's lines.
fn runtime_exe_attack(runtime: &Runtime, dir: &TempDir, bundle: &Bundle) -> (String, Vec<String>) {
    let id = "selfexe";
    let result = dir.join("out/result");
    let _ = std::fs::remove_file(&result);
    let _guard = runtime.guard(id);
    run_detached(runtime, bundle, id);
    let exec_pid = exec_detached(runtime, dir, id, &["/bin/docker-init", "sleep", "100"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let exec_exe = exec_pid.and_then(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok());
    let attacker = exec_detached(runtime, dir, id, &["sh", "-c", OVERWRITE_RUNTIME_EXES]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut lines = Vec::new();
    while std::time::Instant::now() < deadline {
        let text = std::fs::read_to_string(&result).unwrap_or_default();
        lines = text.lines().map(str::to_string).collect();
        if lines.last().is_some_and(|line| line == "DONE") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let role = if is_ours(runtime) { "ours" } else { "control" };
    let report = format!(
        "{role}: {}: exec'd docker-init {exec_pid:?} ran {exec_exe:?}; attacker {attacker:?}",
        runtime.name
    );
    stop_and_reap(runtime, id, &[exec_pid, attacker]);
    (report, lines)
}

/// Kills container `id` and reaps its processes, the exec'd ones (the
/// subreaper's children, whose zombies would hold the pid namespace and so
/// `delete` open) before the init, then deletes it.
fn stop_and_reap(runtime: &Runtime, id: &str, execd: &[Option<i32>]) {
    let listed = runtime.run(&["ps", "--format", "json", id]);
    let mut pids: Vec<i32> = serde_json::from_slice(&listed.stdout).unwrap_or_default();
    pids.extend(execd.iter().flatten());
    let init_pid = runtime.state(id)["pid"].as_i64().unwrap_or(0) as i32;
    pids.retain(|pid| *pid != init_pid);
    let _ = runtime.run(&["kill", "--all", id, "KILL"]);
    for pid in pids.into_iter().chain([init_pid]) {
        reap(pid);
    }
    let _ = runtime.run(&["delete", "--force", id]);
}

/// Each runtime is a private copy of its binary, so a successful attack
/// changes that copy only, and nothing else running it hides the write.
#[test]
fn cve_2019_5736_exec_cannot_overwrite_the_runtime_through_proc_exe() {
    let test = "cve_2019_5736_exec_cannot_overwrite_the_runtime_through_proc_exe";
    let dir = TempDir::new("cve-selfexe");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let docker_init = bundle.rootfs.path.join("bin/docker-init");
    let _ = std::fs::remove_file(&docker_init);
    std::os::unix::fs::symlink("/proc/self/exe", &docker_init).unwrap();
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    bundle.edit_config(|spec| {
        spec["mounts"]
            .as_array_mut()
            .unwrap()
            .push(json!({"destination": "/out",
            "type": "bind", "source": out.to_str().unwrap(), "options": ["rbind", "rw"]}));
        // As root with CAP_KILL only: no ptrace, no DAC override needed.
    });
    let runtimes: Vec<Runtime> = control_then_ours(test)
        .iter()
        .map(|runtime| Runtime::from_copy(runtime.name, &runtime.exe))
        .collect();
    for runtime in runtimes {
        let before = std::fs::read(&runtime.exe).unwrap();
        let (report, lines) = runtime_exe_attack(&runtime, &dir, &bundle);
        let changed = std::fs::read(&runtime.exe).unwrap() != before;
        eprintln!("{report}; binary changed: {changed}; attack: {lines:?}");
        if !is_ours(&runtime) {
            continue;
        }
        assert!(!changed, "{} changed: {report}", runtime.exe.display());
        assert_eq!(lines.last().map(String::as_str), Some("DONE"), "{report}");
        // The exec'd docker-init ran our binary, which stayed unwritable.
        assert!(
            lines.iter().any(|l| l.ends_with(" DENIED")),
            "{report}: {lines:?}"
        );
        let unsafe_outcome = |l: &String| l.ends_with(" WROTE") || l.ends_with(" UNOPENED");
        assert!(!lines.iter().any(unsafe_outcome), "{lines:?}");
    }
}

// ---- CVE-2022-29162: inheritable capabilities ----------------------------

/// The CapInh of the init (from the host), of a plain exec and of one with
/// `--cap CAP_SYS_ADMIN`, in that order.
fn inheritable_sets(runtime: &Runtime, bundle: &Bundle) -> Vec<String> {
    let id = "capinh";
    let _guard = runtime.guard(id);
    run_detached(runtime, bundle, id);
    let init_pid = runtime.state(id)["pid"].as_i64().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{init_pid}/status")).unwrap();
    let cap_inh = |text: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix("CapInh:"))
            .map(|mask| mask.trim().to_string())
            .unwrap_or_else(|| format!("no CapInh in {text:?}"))
    };
    let mut sets = vec![cap_inh(&status)];
    for extra in [&[][..], &["--cap", "CAP_SYS_ADMIN"][..]] {
        let args = [&["exec"], extra, &[id, "cat", "/proc/self/status"]].concat();
        let output = runtime.run(&args);
        sets.push(cap_inh(&format!(
            "{}{}",
            stdout_of(&output),
            stderr_of(&output)
        )));
    }
    sets
}

#[test]
fn cve_2022_29162_inheritable_capabilities_stay_empty_unless_asked() {
    let test = "cve_2022_29162_inheritable_capabilities_stay_empty_unless_asked";
    let dir = TempDir::new("cve-capinh");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    for runtime in control_then_ours(test) {
        bundle.edit_config(|spec| {
            let caps = spec["process"]["capabilities"].as_object_mut().unwrap();
            caps.remove("inheritable");
        });
        let unasked = inheritable_sets(&runtime, &bundle);
        // When the spec asks (CAP_KILL, bit 5), the init and execs get it.
        bundle.edit_config(|spec| {
            spec["process"]["capabilities"]["inheritable"] = json!(["CAP_KILL"]);
        });
        let asked = inheritable_sets(&runtime, &bundle);
        eprintln!(
            "{}: {} CapInh of init, exec, exec --cap: unasked {unasked:?}, asked {asked:?}",
            if is_ours(&runtime) { "ours" } else { "control" },
            runtime.name
        );
        if is_ours(&runtime) {
            assert_eq!(unasked, vec!["0000000000000000"; 3]);
            assert_eq!(asked, vec!["0000000000000020"; 3]);
        }
    }
}

// ---- CVE-2023-27561, CVE-2023-28642: /proc or /sys as a symlink ----------

/// The rootfs's `name` (proc or sys) made a symlink to `target`, then a
/// `run` that lists what it sees there; the host directory `outside` must
/// stay empty and unmounted.
fn mount_through_symlink(
    runtime: &Runtime,
    bundle: &Bundle,
    name: &str,
    target: &Path,
    outside: &Path,
) -> (Output, bool) {
    let link = bundle.rootfs.path.join(name);
    let _ = std::fs::remove_dir(&link);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(target, &link).unwrap();
    let id = format!("link{name}");
    let _guard = runtime.guard(&id);
    let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), &id]);
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let touched = std::fs::read_dir(outside).unwrap().count() > 0
        || host_mounts.contains(&format!(" {} ", outside.display()));
    std::fs::remove_file(&link).unwrap();
    std::fs::create_dir(&link).unwrap();
    (output, touched)
}

#[test]
fn cve_2023_27561_28642_proc_or_sys_as_a_symlink_is_refused() {
    let test = "cve_2023_27561_28642_proc_or_sys_as_a_symlink_is_refused";
    let dir = TempDir::new("cve-proclink");
    let bundle = runc_bundle!(dir, &["sh", "-c", "ls -A /proc/self/attr /sys/kernel"]);
    let outside = dir.join("outside");
    std::fs::create_dir(&outside).unwrap();
    // Absolute (names the host dir, were it followed outside the root),
    // relative and climbing out, and one to another place inside the root.
    let climbing = format!("../../../../../../..{}", outside.display());
    let targets = [outside.as_path(), Path::new(&climbing), Path::new("/tmp")];
    for runtime in control_then_ours(test) {
        for name in ["proc", "sys"] {
            for target in targets {
                let (output, touched) =
                    mount_through_symlink(&runtime, &bundle, name, target, &outside);
                let what = format!("/{name} -> {}", target.display());
                eprintln!(
                    "{}; outside touched: {touched}",
                    describe(&runtime, &what, &output)
                );
                if !is_ours(&runtime) {
                    continue;
                }
                assert!(!touched, "{what}: the host directory was used");
                assert!(!output.status.success(), "{what}: {}", stdout_of(&output));
                let stderr = stderr_of(&output);
                assert!(
                    stderr.contains(&format!("/{name}")) && stderr.contains("Not a directory"),
                    "{what}: {stderr}"
                );
            }
        }
    }
}

// ---- CVE-2019-16884: something other than procfs over /proc --------------

/// A host directory with a fake `self/attr/exec` (where an LSM label would
/// be written), bound over /proc as `VOLUME /proc` would.
#[test]
fn cve_2019_16884_a_bind_mount_over_proc_is_refused() {
    let test = "cve_2019_16884_a_bind_mount_over_proc_is_refused";
    let dir = TempDir::new("cve-procvol");
    let bundle = runc_bundle!(dir, &["sh", "-c", "cat /proc/self/attr/exec; echo STARTED"]);
    let volume = dir.join("volume");
    std::fs::create_dir_all(volume.join("self/attr")).unwrap();
    std::fs::write(volume.join("self/attr/exec"), "FAKE\n").unwrap();
    for replace_procfs in [true, false] {
        bundle.edit_config(|spec| {
            let mounts = spec["mounts"].as_array_mut().unwrap();
            if replace_procfs {
                mounts.retain(|mount| mount["destination"] != "/proc");
            }
            mounts.push(json!({"destination": "/proc", "type": "bind",
                               "source": volume.to_str().unwrap(), "options": ["rbind", "rw"]}));
            spec["linux"]["maskedPaths"] = json!([]);
            spec["linux"]["readonlyPaths"] = json!([]);
        });
        for runtime in control_then_ours(test) {
            let _guard = runtime.guard("procvol");
            let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "procvol"]);
            let what = format!("bind over /proc, procfs replaced {replace_procfs}");
            eprintln!("{}", describe(&runtime, &what, &output));
            if is_ours(&runtime) {
                assert!(!output.status.success(), "{what}: {}", stdout_of(&output));
                assert!(!stdout_of(&output).contains("STARTED"));
                let stderr = stderr_of(&output);
                assert!(
                    stderr.contains("/proc") && stderr.contains("not of type proc"),
                    "{what}: {stderr}"
                );
            }
        }
        bundle.edit_config(|spec| {
            let mounts = spec["mounts"].as_array_mut().unwrap();
            mounts.retain(|mount| mount["type"] != "bind");
            if replace_procfs {
                mounts.insert(
                    0,
                    json!({"destination": "/proc", "type": "proc", "source": "proc"}),
                );
            }
        });
    }
}

// ---- CVE-2021-30465: a mount target swapped for a symlink, racing --------

/// How many starts the race runs per runtime: a few by default, so that
/// the normal test run stays short; CVE_2021_30465_STARTS raises it (the
/// issue's figure is 500).
fn race_starts() -> usize {
    std::env::var("CVE_2021_30465_STARTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(15)
}

/// Swaps `a` and `b` (a directory and a symlink) atomically, again and
/// again, until `stop` is set: as a container sharing the volume would.
fn swap_until(a: &Path, b: &Path, stop: &std::sync::atomic::AtomicBool) -> usize {
    let a = std::ffi::CString::new(a.as_os_str().as_encoded_bytes()).unwrap();
    let b = std::ffi::CString::new(b.as_os_str().as_encoded_bytes()).unwrap();
    let mut swaps = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: two valid C strings; renameat2 with AT_FDCWD.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        assert_eq!(rc, 0, "renameat2: {}", std::io::Error::last_os_error());
        swaps += 1;
    }
    swaps
}

/// What the starts of one runtime gave: how many ran with the tmpfs on the
/// volume's directory (/vol/mnt, or /vol/link once the swap renamed that
/// directory after it was opened), how many at the symlink's target resolved inside the root (a
/// path that ends in `/rootfs/victim` within the rootfs), how many failed,
/// and the mount points of those that escaped (a mount at /victim: the
/// symlink followed as a host path).
#[derive(Debug, Default)]
struct RaceOutcome {
    inside: usize,
    followed_inside: usize,
    failed: usize,
    escaped: Vec<String>,
    first_error: String,
}

fn race_starts_of(runtime: &Runtime, bundle: &Bundle, volume: &Path, starts: usize) -> RaceOutcome {
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut outcome = RaceOutcome::default();
    std::thread::scope(|scope| {
        let swapper = scope.spawn(|| swap_until(&volume.join("mnt"), &volume.join("link"), &stop));
        for start in 0..starts {
            let id = format!("race{start}");
            let _guard = runtime.guard(&id);
            let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), &id]);
            let mount_points = stdout_of(&output);
            if !output.status.success() {
                outcome.failed += 1;
                if outcome.first_error.is_empty() {
                    outcome.first_error = stderr_of(&output).trim().to_string();
                }
            } else if mount_points
                .lines()
                .any(|line| line == "/vol/mnt" || line == "/vol/link")
            {
                outcome.inside += 1;
            } else if mount_points
                .lines()
                .any(|line| line.ends_with("/rootfs/victim"))
            {
                outcome.followed_inside += 1;
            } else if outcome.first_error.is_empty() {
                outcome.first_error = format!("no tmpfs found in {mount_points:?}");
            }
            if let Some(line) = mount_points
                .lines()
                .find(|line| line.starts_with("/victim"))
            {
                outcome.escaped.push(line.to_string());
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        swapper.join().unwrap();
    });
    outcome
}

/// A shared volume at /vol, and a tmpfs mounted at /vol/mnt, while the
/// "other container" swaps /vol/mnt between a directory and a symlink to
/// the host path of the rootfs's /victim. Resolved inside the root, the
/// symlink leads to a directory named like that host path in the rootfs;
/// followed on the host, the tmpfs would land on /victim.
#[test]
fn cve_2021_30465_a_swapped_mount_target_never_sends_the_mount_elsewhere() {
    let test = "cve_2021_30465_a_swapped_mount_target_never_sends_the_mount_elsewhere";
    let dir = TempDir::new("cve-mountrace");
    let bundle = runc_bundle!(dir, &["cut", "-d ", "-f5", "/proc/self/mountinfo"]);
    let volume = dir.join("volume");
    std::fs::create_dir_all(volume.join("mnt")).unwrap();
    let victim = bundle.rootfs.path.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::os::unix::fs::symlink(&victim, volume.join("link")).unwrap();
    bundle.edit_config(|spec| {
        let mounts = spec["mounts"].as_array_mut().unwrap();
        mounts.push(json!({"destination": "/vol", "type": "bind",
                           "source": volume.to_str().unwrap(), "options": ["rbind", "rw"]}));
        mounts.push(json!({"destination": "/vol/mnt", "type": "tmpfs", "source": "tmpfs"}));
    });
    let starts = race_starts();
    for runtime in control_then_ours(test) {
        let outcome = race_starts_of(&runtime, &bundle, &volume, starts);
        let role = if is_ours(&runtime) { "ours" } else { "control" };
        eprintln!("{role}: {} over {starts} starts: {outcome:?}", runtime.name);
        if is_ours(&runtime) {
            assert!(outcome.escaped.is_empty(), "{outcome:?}");
            let accounted = outcome.inside + outcome.followed_inside + outcome.failed;
            assert_eq!(accounted, starts, "{outcome:?}");
        }
    }
}

// ---- CVE-2025-52565: the terminal and /dev/console from a swapped /dev/pts

/// Run in the container (which holds CAP_SYS_ADMIN) before `exec -t`: a
/// new devpts instance at /tmp/pts, and over /dev/pts a directory whose
/// `ptmx` leads to that instance and whose `0`..`7` are symlinks to
/// /tmp/victim. A runtime that opens the terminal by the path
/// `/dev/pts/N` gets the victim file instead of the pty's other end.
const SWAP_DEV_PTS: &str = "mount -t tmpfs tmpfs /tmp && mkdir /tmp/pts /tmp/fake && \
     mount -t devpts -o newinstance,ptmxmode=0666 devpts /tmp/pts && \
     echo VICTIM > /tmp/victim && ln -s /tmp/pts/ptmx /tmp/fake/ptmx && \
     for n in 0 1 2 3 4 5 6 7; do ln -s /tmp/victim /tmp/fake/$n; done && \
     mount --bind /tmp/fake /dev/pts && echo SWAPPED";

/// After `exec -t`: what stdin was; then what is bound onto /dev/console
/// (the path within its filesystem: `/0` of a devpts, or `/victim`), and
/// the victim's content.
const INSPECT_TERMINAL: &str = "echo \"stdin $(stat -L -c %F /proc/self/fd/0)\"";
const INSPECT_AFTER: &str = "awk '$5 == \"/dev/console\" {print \"console from\", $4}' \
     /proc/self/mountinfo; echo \"victim $(cat /tmp/victim)\"";

/// Whether `fd` becomes readable within `millis`.
fn readable_within(fd: i32, millis: i32) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, ours.
    unsafe { libc::poll(&mut poll, 1, millis) > 0 }
}

/// Everything written to the terminal whose master arrives on `listener`,
/// until the last slave closes; empty if no runtime connected by the time
/// the exec command (`exec_done`) has returned, or within 10 s.
fn terminal_text(
    listener: std::os::unix::net::UnixListener,
    exec_done: &std::sync::atomic::AtomicBool,
) -> String {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let mut waited = 0;
    while !readable_within(listener.as_raw_fd(), 100) {
        waited += 100;
        if exec_done.load(std::sync::atomic::Ordering::SeqCst) || waited >= 10_000 {
            return String::new();
        }
    }
    let (_, master) = crate::runc_console::receive_master(&listener);
    let mut terminal = std::fs::File::from(master);
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    // A read ends with EIO once the last slave fd closes; a slave that was
    // never opened never closes, so 2 s of silence after the exec command
    // returned end it too.
    let mut idle = 0;
    while idle < 10_000 {
        if !readable_within(terminal.as_raw_fd(), 100) {
            idle += 100;
            if exec_done.load(std::sync::atomic::Ordering::SeqCst) && idle >= 2_000 {
                break;
            }
            continue;
        }
        idle = 0;
        match terminal.read(&mut chunk) {
            Ok(n) if n > 0 => seen.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// The swap, `exec -d -t` (with a console socket, as containerd runs it; the
/// terminal's text is put in its stdout) and the inspection after it.
fn terminal_through_swapped_pts(runtime: &Runtime, dir: &TempDir, bundle: &Bundle) -> [Output; 3] {
    let id = "ptsswap";
    let _guard = runtime.guard(id);
    run_detached(runtime, bundle, id);
    let swap = runtime.run(&["exec", id, "sh", "-c", SWAP_DEV_PTS]);
    let socket = dir.join("console.sock");
    let _ = std::fs::remove_file(&socket);
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let exec_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let exec_done = exec_done.clone();
        std::thread::spawn(move || terminal_text(listener, &exec_done))
    };
    let socket = socket.to_str().unwrap();
    let pid_file = dir.join("terminal.pid");
    let pid_arg = pid_file.to_str().unwrap();
    let exec = [
        "exec",
        "-d",
        "-t",
        "--console-socket",
        socket,
        "--pid-file",
        pid_arg,
    ];
    let mut terminal = runtime.run(&[&exec[..], &[id, "sh", "-c", INSPECT_TERMINAL]].concat());
    exec_done.store(true, std::sync::atomic::Ordering::SeqCst);
    terminal.stdout = reader.join().unwrap().into_bytes();
    // Detached, it became our child (the subreaper's): reap it.
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        reap(pid.trim().parse().unwrap_or(0));
    }
    let _ = std::fs::remove_file(&pid_file);
    let after = runtime.run(&["exec", id, "sh", "-c", INSPECT_AFTER]);
    [swap, terminal, after]
}

#[test]
fn cve_2025_52565_exec_terminal_is_the_ptys_peer_not_a_swapped_pts_path() {
    let test = "cve_2025_52565_exec_terminal_is_the_ptys_peer_not_a_swapped_pts_path";
    let dir = TempDir::new("cve-ptsswap");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    bundle.edit_config(|spec| {
        let caps = json!(["CAP_SYS_ADMIN", "CAP_KILL"]);
        for set in ["bounding", "effective", "permitted"] {
            spec["process"]["capabilities"][set] = caps.clone();
        }
    });
    for runtime in control_then_ours(test) {
        let [swap, terminal, after] = terminal_through_swapped_pts(&runtime, &dir, &bundle);
        eprintln!("{}", describe(&runtime, "swap /dev/pts", &swap));
        eprintln!("{}", describe(&runtime, "exec -t", &terminal));
        eprintln!("{}", describe(&runtime, "inspect", &after));
        if !is_ours(&runtime) {
            continue;
        }
        assert_eq!(stdout_of(&swap).trim(), "SWAPPED", "{}", stderr_of(&swap));
        let after = stdout_of(&after);
        assert!(after.contains("victim VICTIM\n"), "{after}");
        assert!(
            !after.contains("console from /victim"),
            "/dev/console is the victim: {after}"
        );
        // The exec either ran on the real pty or was refused; never on the
        // victim file.
        let shown = stdout_of(&terminal);
        assert!(!shown.contains("regular file"), "{shown}");
        if terminal.status.success() {
            assert!(shown.contains("stdin character special file"), "{shown}");
        }
    }
}

// ---- CVE-2025-52881: procfs writes redirected by a mount over the file ---

/// A createContainer hook (in the container's mount namespace, before
/// pivot_root) binds a host file over the rootfs's
/// /proc/sys/net/ipv4/ip_unprivileged_port_start, as a racing mount would;
/// the spec then sets that sysctl. The write must reach procfs or be
/// refused, never land in the bound file.
#[test]
fn cve_2025_52881_a_sysctl_write_never_lands_in_a_file_mounted_over_proc() {
    let test = "cve_2025_52881_a_sysctl_write_never_lands_in_a_file_mounted_over_proc";
    let dir = TempDir::new("cve-procwrite");
    let sysctl_file = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
    let bundle = runc_bundle!(dir, &["cat", sysctl_file]);
    let victim = dir.join("victim");
    let over = format!("{}{sysctl_file}", bundle.rootfs.path.display());
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
            format!("mount --bind {} {over}", victim.display())]}]});
        spec["linux"]["sysctl"] = json!({"net.ipv4.ip_unprivileged_port_start": "4242"});
    });
    for runtime in control_then_ours(test) {
        std::fs::write(&victim, "ORIGINAL\n").unwrap();
        let _guard = runtime.guard("procwrite");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "procwrite"]);
        let victim_now = std::fs::read_to_string(&victim).unwrap();
        eprintln!(
            "{}; victim now {victim_now:?}",
            describe(&runtime, "sysctl through a mount", &output)
        );
        if is_ours(&runtime) {
            assert_eq!(victim_now, "ORIGINAL\n", "{}", stderr_of(&output));
            let stderr = stderr_of(&output);
            assert!(
                !output.status.success()
                    && stderr.contains(sysctl_file)
                    && stderr.contains("cross-device"),
                "{stderr}"
            );
        }
    }
    // Without the mount, the same sysctl is written and read back.
    bundle.edit_config(|spec| {
        spec.as_object_mut().unwrap().remove("hooks");
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("procwrite");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "procwrite"]);
    assert_eq!(stdout_of(&output), "4242\n", "{}", stderr_of(&output));
}

// ---- CVE-2025-31133: the masking source swapped -------------------------

/// A createContainer hook (in the container's mount namespace, before the
/// masked paths are applied) binds a host file over the container's
/// /dev/null, as a racing swap would. The masked /proc/timer_list must
/// never show that file: the container starts with the real null device
/// there, or does not start. (runc_fds covers /dev/null as a symlink.)
#[test]
fn cve_2025_31133_masking_never_binds_a_file_swapped_in_for_dev_null() {
    let test = "cve_2025_31133_masking_never_binds_a_file_swapped_in_for_dev_null";
    let dir = TempDir::new("cve-maskswap");
    let bundle = runc_bundle!(dir, &["sh", "-c", "cat /proc/timer_list | head -c 64"]);
    let victim = dir.join("victim");
    std::fs::write(&victim, "HOST-FILE\n").unwrap();
    let over = format!("{}/dev/null", bundle.rootfs.path.display());
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
            format!("mount --bind {} {over}", victim.display())]}]});
        spec["linux"]["maskedPaths"] = json!(["/proc/timer_list"]);
    });
    for runtime in control_then_ours(test) {
        let _guard = runtime.guard("maskswap");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "maskswap"]);
        eprintln!(
            "{}",
            describe(&runtime, "mask with a swapped /dev/null", &output)
        );
        if is_ours(&runtime) {
            assert!(
                !stdout_of(&output).contains("HOST-FILE"),
                "{}",
                stdout_of(&output)
            );
            assert!(std::fs::read_to_string(&victim).unwrap() == "HOST-FILE\n");
            if !output.status.success() {
                let stderr = stderr_of(&output);
                assert!(
                    stderr.contains("/dev/null") && stderr.contains("1:3"),
                    "{stderr}"
                );
            } else {
                assert_eq!(stdout_of(&output), "", "{}", stderr_of(&output));
            }
        }
    }
}
