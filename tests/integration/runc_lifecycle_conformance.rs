//! Lifecycle details where Debian's runc 1.1.5 is the reference: when the
//! in-container hooks run, the console's owner, a frozen or busy cgroup,
//! `kill --all` and `ps` of a stopped container, and `delete --force`.

use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_lifecycle::wait_for_status;
use crate::runc_support::Runtime;
use serde_json::json;

/// Every runtime to compare: ours first, then Debian's runc when installed.
fn runtimes(test: &str) -> Vec<Runtime> {
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    runtimes
}

/// runc 1.1.5 loads the filter of a no_new_privs process before `create`
/// returns, so the startContainer hooks (forked by the init just before its
/// execve) run under it: a hook's mkdir that the profile refuses fails.
#[test]
fn start_container_hooks_run_under_seccomp_with_no_new_privileges() {
    let dir = TempDir::new("runc-hookseccomp");
    let bundle = runc_bundle!(dir, &["true"]);
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["noNewPrivileges"] = json!(true);
        spec["linux"]["seccomp"] = json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        });
        let mounts = spec["mounts"].as_array_mut().unwrap();
        mounts.push(json!({"destination": "/out", "type": "bind",
                           "source": out.to_str().unwrap(), "options": ["rbind", "rw"]}));
        spec["hooks"] = json!({"startContainer": [{
            "path": "/bin/sh",
            "args": ["sh", "-c", "mkdir /out/made 2>/dev/null; echo $? > /out/rc"]
        }]});
    });
    for runtime in runtimes("start_container_hooks_run_under_seccomp_with_no_new_privileges") {
        let _ = std::fs::remove_dir(out.join("made"));
        let _ = std::fs::remove_file(out.join("rc"));
        let _guard = runtime.guard("hookseccomp");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "hookseccomp"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        let rc = std::fs::read_to_string(out.join("rc")).unwrap_or_default();
        assert_eq!(
            rc, "1\n",
            "{}: the hook's mkdir was not refused",
            runtime.name
        );
        assert!(!out.join("made").exists(), "{}", runtime.name);
    }
}

/// `kill --all` and `ps` of a container whose init has exited succeed in
/// runc 1.1.5: they look at what its cgroup still holds, which is nobody.
#[test]
fn kill_all_and_ps_of_a_stopped_container_succeed() {
    let dir = TempDir::new("runc-stoppedps");
    let bundle = runc_bundle!(dir, &["true"]);
    for runtime in runtimes("kill_all_and_ps_of_a_stopped_container_succeed") {
        let _guard = runtime.guard("stoppedps");
        runtime.ok(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "stoppedps"]);
        wait_for_status(&runtime, "stoppedps", "stopped");
        let name = runtime.name;
        let kill_all = runtime.run(&["kill", "--all", "stoppedps", "KILL"]);
        assert!(
            kill_all.status.success(),
            "{name} kill --all: {}",
            stderr_of(&kill_all)
        );
        let kill_init = runtime.run(&["kill", "stoppedps", "KILL"]);
        assert!(
            !kill_init.status.success(),
            "{name}: kill without --all succeeded"
        );
        assert!(
            stderr_of(&kill_init).contains("container not running"),
            "{name}: {}",
            stderr_of(&kill_init)
        );
        let json = runtime.run(&["ps", "--format", "json", "stoppedps"]);
        assert!(json.status.success(), "{name} ps: {}", stderr_of(&json));
        // Go's encoding of an empty (nil) pid list.
        assert_eq!(stdout_of(&json), "null\n", "{name}");
        let table = runtime.run(&["ps", "stoppedps"]);
        assert!(table.status.success(), "{name} ps: {}", stderr_of(&table));
        let lines: Vec<String> = stdout_of(&table).lines().map(String::from).collect();
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        assert!(lines[0].contains("PID"), "{name}: {lines:?}");
    }
}

/// What the process sees of its terminal: owner and group of fds 0 to 2.
const STDIO_OWNERS: &str = "for fd in 0 1 2; do stat -L -c %u:%g /proc/self/fd/$fd; done";

/// Runs `exec -d -t --console-socket` of STDIO_OWNERS as 1000:1000 in the
/// running container `id`; returns what its terminal showed.
fn exec_with_terminal(runtime: &Runtime, id: &str, socket: &std::path::Path) -> String {
    let _ = std::fs::remove_file(socket);
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    let receiver = std::thread::spawn(move || {
        let (_, master) = crate::runc_console::receive_master(&listener);
        let mut seen = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::fs::File::from(master), &mut seen);
        String::from_utf8_lossy(&seen).into_owned()
    });
    let pid_file = socket.with_extension("pid");
    let output = runtime.run(&[
        "exec",
        "-d",
        "-t",
        "--console-socket",
        socket.to_str().unwrap(),
        "--pid-file",
        pid_file.to_str().unwrap(),
        "--user",
        "1000:1000",
        id,
        "sh",
        "-c",
        STDIO_OWNERS,
    ]);
    assert!(
        output.status.success(),
        "{}: {}",
        runtime.name,
        stderr_of(&output)
    );
    // We are its subreaper: reap it, or the init's exit (at delete)
    // waits for this zombie of its pid namespace forever.
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
    crate::runc_support::reap(pid.trim().parse().unwrap_or(0));
    receiver.join().unwrap()
}

/// runc hands the stdio of a process that runs as another user to that
/// user before the setuid (keeping the group, tty's 5 on a pty), so a
/// non-root process owns its console, in `run` and in `exec`.
#[test]
fn the_console_belongs_to_the_processs_user() {
    let dir = TempDir::new("runc-ttyowner");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["terminal"] = json!(true);
        spec["process"]["user"] = json!({"uid": 1000, "gid": 1000});
        spec["process"]["args"] = json!(["sh", "-c", STDIO_OWNERS]);
    });
    let expected = "1000:5\r\n1000:5\r\n1000:5\r\n";
    for runtime in runtimes("the_console_belongs_to_the_processs_user") {
        let socket = dir.join(&format!("{}.sock", runtime.name));
        let seen = crate::runc_console::run_with_terminal(&runtime, &bundle.dir, &socket);
        assert_eq!(seen, expected, "{} run", runtime.name);
    }
    bundle.edit_config(|spec| {
        spec["process"]["terminal"] = json!(false);
        spec["process"]["user"] = json!({"uid": 0, "gid": 0});
        spec["process"]["args"] = json!(["sleep", "100"]);
    });
    for runtime in runtimes("the_console_belongs_to_the_processs_user") {
        let _guard = runtime.guard("ttyexec");
        runtime.ok(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "ttyexec"]);
        let socket = dir.join(&format!("{}-exec.sock", runtime.name));
        let seen = exec_with_terminal(&runtime, "ttyexec", &socket);
        assert_eq!(seen, expected, "{} exec", runtime.name);
    }
}
