//! Security settings and the rest of the lifecycle through our runc:
//! capabilities, seccomp, masked paths, hooks in order with their state
//! JSON, and exec (exit codes, --process, -t, -d with --pid-file).

use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_cgroups::run_detached;
use crate::runc_support::Runtime;
use serde_json::json;
use std::process::Stdio;

#[test]
fn dropped_capabilities_show_in_capeff_and_deny_sethostname() {
    let dir = TempDir::new("runc-caps");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status; hostname foo && echo RENAMED"
        ]);
        let only_chown = json!(["CAP_CHOWN"]);
        spec["process"]["capabilities"] = json!({
            "bounding": only_chown, "effective": only_chown,
            "permitted": only_chown, "inheritable": only_chown, "ambient": only_chown,
        });
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("caps");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "caps"]);
    let stdout = stdout_of(&output);
    assert!(stdout.contains("CapEff:\t0000000000000001"), "{stdout}");
    assert!(stdout.contains("CapBnd:\t0000000000000001"), "{stdout}");
    assert!(stdout.contains("CapAmb:\t0000000000000001"), "{stdout}");
    assert!(!stdout.contains("RENAMED"), "{stdout}");
    assert!(
        stderr_of(&output).contains("Operation not permitted"),
        "{}",
        stderr_of(&output)
    );

    // With CAP_SYS_ADMIN the same command works: the failure was the cap.
    bundle.edit_config(|spec| {
        for set in ["bounding", "effective", "permitted"] {
            spec["process"]["capabilities"][set] = json!(["CAP_CHOWN", "CAP_SYS_ADMIN"]);
        }
    });
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "caps"]);
    assert!(
        stdout_of(&output).contains("RENAMED"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn seccomp_errno_blocks_mkdir_and_exec_reuses_the_program() {
    let dir = TempDir::new("runc-seccomp");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "mkdir /made && echo MADE; touch /touched && echo TOUCHED"
        ]);
        spec["root"]["readonly"] = json!(false);
        spec["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        });
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("seccomp");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "seccomp"]);
    assert_eq!(stdout_of(&output), "TOUCHED\n", "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("Operation not permitted"),
        "{}",
        stderr_of(&output)
    );
    assert!(!bundle.dir.join("rootfs/made").exists());

    // exec loads the program compiled at create.
    bundle.edit_config(|spec| spec["process"]["args"] = json!(["sleep", "100"]));
    run_detached(&ours, &bundle, "seccomp");
    let output = ours.run(&["exec", "seccomp", "mkdir", "/made2"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("Operation not permitted"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn masked_timer_list_reads_empty() {
    let dir = TempDir::new("runc-mask");
    let bundle = runc_bundle!(dir, &["sh", "-c", "wc -c < /proc/timer_list"]);
    let masked = bundle.read_config()["linux"]["maskedPaths"].clone();
    assert!(
        masked
            .as_array()
            .unwrap()
            .contains(&json!("/proc/timer_list")),
        "{masked}"
    );
    let ours = Runtime::ours();
    let _guard = ours.guard("mask");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "mask"]);
    assert_eq!(stdout_of(&output).trim(), "0", "{}", stderr_of(&output));
    // Unmasked, the host's timer list has content.
    bundle.edit_config(|spec| spec["linux"]["maskedPaths"] = json!([]));
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "mask"]);
    let size: u64 = stdout_of(&output).trim().parse().unwrap_or(0);
    assert!(size > 0, "{}", stderr_of(&output));
}

#[test]
fn hooks_run_in_order_with_the_state() {
    let dir = TempDir::new("runc-hooks");
    let bundle = runc_bundle!(dir, &["true"]);
    let log = dir.join("hooks");
    std::fs::create_dir_all(&log).unwrap();
    let log_dir = log.to_str().unwrap().to_string();
    // Runtime-side hooks (and createContainer, before pivot_root) see the
    // host's /bin/sh and our log directory; startContainer runs inside
    // the container and writes into its rootfs.
    let host_hook = |stage: &str| {
        json!({"path": "/bin/sh", "args": ["sh", "-c",
            format!("cat > {log_dir}/{stage}.json; echo {stage} >> {log_dir}/order")]})
    };
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({
            "prestart": [host_hook("prestart")],
            "createRuntime": [host_hook("createRuntime")],
            "createContainer": [host_hook("createContainer")],
            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /startContainer.json"]}],
        });
        spec["root"]["readonly"] = json!(false);
        spec["hooks"] = json!({
            "prestart": [host_hook("prestart")],
            "createRuntime": [host_hook("createRuntime")],
            "createContainer": [host_hook("createContainer")],
            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /startContainer.json"]}],
            "poststart": [host_hook("poststart")],
            "poststop": [host_hook("poststop")],
        });
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("hooks");
    let bundle_dir = bundle.dir.to_str().unwrap();
    ours.ok(&["create", "-b", bundle_dir, "hooks"]);
    let pid = ours.state("hooks")["pid"].as_i64().unwrap();
    let order = || std::fs::read_to_string(log.join("order")).unwrap_or_default();
    // poststart at create, as runc 1.1.5 (see runc_hooks).
    assert_eq!(
        order(),
        "prestart\ncreateRuntime\ncreateContainer\npoststart\n"
    );
    ours.ok(&["start", "hooks"]);
    assert_eq!(
        order(),
        "prestart\ncreateRuntime\ncreateContainer\npoststart\n"
    );
    // startContainer runs in the init after `start` returns, before the
    // user's process: once the container has stopped, its file is whole.
    for _ in 0..100 {
        if ours.status("hooks") == "stopped" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let start_state =
        std::fs::read_to_string(bundle.dir.join("rootfs/startContainer.json")).unwrap();
    let start_state: serde_json::Value = serde_json::from_str(&start_state).unwrap();
    assert_eq!(start_state["status"], "created");
    assert_eq!(start_state["id"], "hooks");
    ours.ok(&["delete", "hooks"]);
    assert_eq!(
        order(),
        "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n"
    );
    let read = |stage: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(log.join(format!("{stage}.json"))).unwrap())
            .unwrap()
    };
    for (stage, status) in [
        ("prestart", "creating"),
        ("createRuntime", "creating"),
        ("createContainer", "creating"),
        ("poststart", "created"),
        ("poststop", "stopped"),
    ] {
        let state = read(stage);
        assert_eq!(state["id"], "hooks", "{stage}: {state}");
        assert_eq!(state["status"], status, "{stage}: {state}");
        assert_eq!(state["bundle"], bundle_dir, "{stage}: {state}");
        assert!(state["ociVersion"].is_string(), "{stage}: {state}");
    }
    for stage in ["prestart", "createRuntime", "poststart"] {
        assert_eq!(read(stage)["pid"], pid, "{stage}");
    }

    // A failing prestart hook fails create with its stderr, leaving nothing.
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({"prestart": [{"path": "/bin/sh",
            "args": ["sh", "-c", "echo hook-says-no >&2; exit 3"]}]});
    });
    let output = ours.run(&["create", "-b", bundle_dir, "hooks"]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("hook-says-no"),
        "{}",
        stderr_of(&output)
    );
    assert!(!ours.root.join("hooks").exists());
}

#[test]
fn exec_runs_in_the_container_with_its_exit_code() {
    let dir = TempDir::new("runc-exec");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    bundle.edit_config(|spec| spec["hostname"] = json!("inside"));
    let ours = Runtime::ours();
    let _guard = ours.guard("exec");
    run_detached(&ours, &bundle, "exec");

    let output = ours.run(&["exec", "exec", "sh", "-c", "hostname; echo $$; exit 7"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "inside");
    // Its own pid in the container's pid namespace, beside the init (1).
    assert!(lines[1].parse::<u32>().unwrap() > 1, "{stdout}");

    // --env, --cwd, --user, and the container's capabilities.
    let output = ours.run(&[
        "exec",
        "--env",
        "GREETING=hi",
        "--cwd",
        "/tmp",
        "--user",
        "1000:1000",
        "exec",
        "sh",
        "-c",
        "echo $GREETING $(pwd) $(id -u):$(id -g); grep CapEff /proc/self/status",
    ]);
    assert_eq!(
        stdout_of(&output),
        "hi /tmp 1000:1000\nCapEff:\t0000000000000000\n",
        "{}",
        stderr_of(&output)
    );

    // --process, as containerd passes it, and -d with --pid-file.
    let process = dir.join("process.json");
    std::fs::write(
        &process,
        json!({"args": ["sh", "-c", "sleep 30"], "cwd": "/", "user": {"uid": 0, "gid": 0},
               "env": ["PATH=/bin"], "terminal": false})
        .to_string(),
    )
    .unwrap();
    let pid_file = dir.join("exec.pid");
    let output = ours
        .command(&[
            "exec",
            "--process",
            process.to_str().unwrap(),
            "--detach",
            "--pid-file",
            pid_file.to_str().unwrap(),
            "exec",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(output.success());
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pids: Vec<i32> =
        serde_json::from_str(&ours.ok(&["ps", "--format", "json", "exec"])).unwrap();
    assert!(pids.contains(&pid), "{pids:?} lacks the exec'd {pid}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap(),
        std::fs::read_link(format!("/proc/{}/ns/pid", ours.state("exec")["pid"])).unwrap()
    );
    // SAFETY: our child's pid (we are the subreaper); kill and reap it.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    crate::runc_support::reap(pid);

    // -t without a console socket: we relay a pty.
    let output = ours.run(&["exec", "-t", "exec", "tty"]);
    assert!(
        stdout_of(&output).contains("/dev/pts/"),
        "{} {}",
        stdout_of(&output),
        stderr_of(&output)
    );

    let missing = ours.run(&["exec", "exec", "no-such-command"]);
    assert!(!missing.status.success());
    assert!(
        stderr_of(&missing).contains("executable file not found"),
        "{}",
        stderr_of(&missing)
    );
}

#[test]
fn apparmor_and_selinux_requests_fail_clearly() {
    let dir = TempDir::new("runc-lsm");
    let bundle = runc_bundle!(dir, &["true"]);
    let ours = Runtime::ours();
    let _guard = ours.guard("lsm");
    for (field, value, words) in [
        (
            "apparmorProfile",
            "docker-default",
            "does not apply AppArmor",
        ),
        (
            "selinuxLabel",
            "system_u:system_r:container_t:s0",
            "does not apply SELinux",
        ),
    ] {
        bundle.edit_config(|spec| spec["process"][field] = json!(value));
        let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "lsm"]);
        assert!(!output.status.success(), "{field} was ignored");
        assert!(stderr_of(&output).contains(words), "{}", stderr_of(&output));
        assert!(!ours.root.join("lsm").exists(), "state left behind");
        bundle.edit_config(|spec| {
            spec["process"].as_object_mut().unwrap().remove(field);
        });
    }
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "lsm"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
}

/// Prints `nr rc errno` for a few raw syscalls: getppid (110, older than
/// everything the profile below lists), clone3 (435) and faccessat2 (439),
/// newer than all of it, and 1000, which no kernel has.
const SYSCALL_PROBE_C: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
static void probe(long nr) {
    char line[64];
    errno = 0;
    long rc = syscall(nr, 0, 0, 0, 0);
    int n = snprintf(line, sizeof line, "%ld %ld %d\n", nr, rc, rc < 0 ? errno : 0);
    write(1, line, n);
}
int main(void) {
    probe(110);
    probe(435);
    probe(439);
    probe(1000);
    return 0;
}
"#;

/// Builds the probe, statically linked, as `/probe` in the bundle's rootfs.
fn build_syscall_probe(
    dir: &TempDir,
    bundle: &crate::harness::busybox::Bundle,
) -> Result<(), String> {
    if std::env::consts::ARCH != "x86_64" {
        return Err("the probe uses x86_64 syscall numbers".into());
    }
    let source = dir.join("probe.c");
    std::fs::write(&source, SYSCALL_PROBE_C).map_err(|e| format!("write probe.c: {e}"))?;
    let output = std::process::Command::new("cc")
        .args(["-static", "-O1", "-o"])
        .arg(bundle.dir.join("rootfs/probe"))
        .arg(&source)
        .output()
        .map_err(|e| format!("cc not available: {e}"))?;
    if !output.status.success() {
        return Err(format!("cc -static failed: {}", stderr_of(&output)));
    }
    Ok(())
}

/// With a refusing default action, syscalls newer than every one the
/// profile names answer ENOSYS (so libc falls back, from clone3 say),
/// while older unnamed ones get the default errno: as Debian's runc 1.1.5.
#[test]
fn seccomp_answers_enosys_for_syscalls_newer_than_the_profile_like_runc() {
    let dir = TempDir::new("runc-enosys");
    let bundle = runc_bundle!(dir, &["/probe"]);
    crate::require!(build_syscall_probe(&dir, &bundle));
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    // Enough for both runtimes' last steps and a static binary's start;
    // the newest is rseq (334).
    let allowed = [
        "read",
        "write",
        "close",
        "fstat",
        "mmap",
        "mprotect",
        "munmap",
        "brk",
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "ioctl",
        "sched_yield",
        "madvise",
        "nanosleep",
        "getpid",
        "exit",
        "uname",
        "fcntl",
        "sigaltstack",
        "arch_prctl",
        "gettid",
        "futex",
        "set_tid_address",
        "exit_group",
        "tgkill",
        "openat",
        "newfstatat",
        "readlinkat",
        "set_robust_list",
        "epoll_pwait",
        "prlimit64",
        "getrandom",
        "rseq",
        "execve",
        "capget",
        "capset",
        "fstatfs",
        "getdents64",
        "lseek",
    ];
    bundle.edit_config(|spec| {
        spec["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": allowed.as_slice(), "action": "SCMP_ACT_ALLOW"}]
        });
    });
    let run = |runtime: &Runtime, id: &str| {
        let _guard = runtime.guard(id);
        runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), id])
    };
    let theirs = run(&runc, "enosys-runc");
    let ours = run(&Runtime::ours(), "enosys-ours");
    let expected = "110 -1 1\n435 -1 38\n439 -1 38\n1000 -1 38\n";
    assert_eq!(stdout_of(&theirs), expected, "runc: {}", stderr_of(&theirs));
    assert_eq!(stdout_of(&ours), expected, "ours: {}", stderr_of(&ours));
}
