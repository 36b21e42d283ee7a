//! The container process: args, env, cwd, user, umask, rlimits,
//! noNewPrivileges, oomScoreAdj, hostname, domainname, sysctl, PATH
//! lookup, exit codes, stdio inheritance, --preserve-fds and LISTEN_FDS.

use crate::harness::busybox::Bundle;
use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, output_via_files};
use serde_json::json;
use std::process::{Command, Output, Stdio};

fn run_in(runtime: &Runtime, bundle: &Bundle, id: &str) -> Output {
    let _guard = runtime.guard(id);
    runtime.run(&["run", "--bundle", bundle.dir.to_str().unwrap(), id])
}

/// The stdout of `run` under each runtime (ours first), each run required
/// to succeed; `after_each` resets what a run left in the rootfs.
fn stdout_under_each(test: &str, bundle: &Bundle, id: &str, after_each: impl Fn()) -> Vec<String> {
    let mut outputs = Vec::new();
    for runtime in runtimes(&format!("{test} (runc part)")) {
        let output = run_in(&runtime, bundle, id);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        outputs.push(stdout_of(&output));
        after_each();
    }
    outputs
}

/// Ours and, when installed, Debian's runc.
fn runtimes(test: &str) -> Vec<Runtime> {
    let mut all = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => all.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    all
}

#[test]
fn exit_codes_match_runc() {
    let dir = TempDir::new("runc-exit");
    let bundle = runc_bundle!(dir, &["true"]);
    // A pid namespace's init ignores signals it has no handler for, even
    // from itself; the signal cases therefore run without one.
    for (script, expected, own_pid_namespace) in [
        ("exit 0", 0, true),
        ("exit 3", 3, true),
        ("exit 255", 255, true),
        ("kill -TERM $$", 0, true),
        ("kill -TERM $$", 128 + 15, false),
        ("kill -KILL $$", 128 + 9, false),
    ] {
        bundle.edit_config(|spec| {
            spec["process"]["args"] = json!(["sh", "-c", script]);
            let namespaces = if own_pid_namespace {
                json!([{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                       {"type": "uts"}, {"type": "mount"}])
            } else {
                json!([{"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}])
            };
            spec["linux"]["namespaces"] = namespaces;
        });
        for runtime in runtimes("exit_codes_match_runc (runc part)") {
            let output = run_in(&runtime, &bundle, "exit");
            assert_eq!(
                output.status.code(),
                Some(expected),
                "{} {script}: {}",
                runtime.name,
                stderr_of(&output)
            );
        }
    }
}

#[test]
fn identity_matches_runc() {
    let dir = TempDir::new("runc-id");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", "id; hostname; echo $$; pwd; echo $HOME"]);
        spec["hostname"] = json!("box-name");
    });
    let outputs = stdout_under_each("identity_matches_runc", &bundle, "ident", || {});
    assert_eq!(
        outputs[0],
        "uid=0(root) gid=0(root)\nbox-name\n1\n/\n/root\n"
    );
    if outputs.len() == 2 {
        assert_eq!(outputs[0], outputs[1]);
    }
}

#[test]
fn default_umask_is_022_like_runc() {
    let dir = TempDir::new("runc-umask");
    let bundle = runc_bundle!(dir, &["sh", "-c", "umask"]);
    for runtime in runtimes("default_umask_is_022_like_runc (runc part)") {
        let _guard = runtime.guard("umask");
        let mut command = runtime.command(&["run", "-b", bundle.dir.to_str().unwrap(), "umask"]);
        // SAFETY: umask in the child before exec is async-signal-safe.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::umask(0o077);
                Ok(())
            });
        }
        let output = output_via_files(&mut command);
        assert_eq!(
            stdout_of(&output),
            "0022\n",
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
    }
}

#[test]
fn user_groups_umask_cwd_env() {
    let dir = TempDir::new("runc-user");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "id -u; id -g; id -G; umask; pwd; echo $GREETING"
        ]);
        spec["process"]["user"] =
            json!({"uid": 1000, "gid": 1001, "additionalGids": [20, 30], "umask": 23});
        spec["process"]["cwd"] = json!("/work/deep/dir");
        spec["process"]["env"] = json!(["PATH=/bin:/usr/bin", "GREETING=hello there"]);
    });
    let outputs = stdout_under_each("user_groups_umask_cwd_env", &bundle, "user", || {
        let _ = std::fs::remove_dir_all(bundle.rootfs.path.join("work"));
    });
    assert_eq!(
        outputs[0],
        "1000\n1001\n1001 20 30\n0027\n/work/deep/dir\nhello there\n"
    );
    if outputs.len() == 2 {
        assert_eq!(outputs[0], outputs[1]);
    }
}

#[test]
fn limits_privileges_oom_sysctl_domainname() {
    let dir = TempDir::new("runc-limits");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c",
            "ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj; \
             cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/domainname"]);
        spec["process"]["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048}]);
        spec["process"]["oomScoreAdj"] = json!(321);
        spec["linux"]["sysctl"] = json!({"net.ipv4.ip_forward": "1"});
        spec["domainname"] = json!("example.test");
    });
    let outputs = stdout_under_each(
        "limits_privileges_oom_sysctl_domainname",
        &bundle,
        "limits",
        || {},
    );
    assert_eq!(
        outputs[0],
        "512\n2048\nNoNewPrivs:\t1\n321\n1\nexample.test\n"
    );
    if outputs.len() == 2 {
        // runc 1.1 predates `domainname` (runtime-spec 1.1): compare the rest.
        let ours: Vec<&str> = outputs[0].lines().collect();
        let theirs: Vec<&str> = outputs[1].lines().collect();
        assert_eq!(ours[..ours.len() - 1], theirs[..theirs.len() - 1]);
    }
}

#[test]
fn missing_executable_has_runcs_message() {
    let dir = TempDir::new("runc-noexec");
    let bundle = runc_bundle!(dir, &["no-such-tool"]);
    for runtime in runtimes("missing_executable_has_runcs_message (runc part)") {
        let output = run_in(&runtime, &bundle, "noexec");
        assert!(!output.status.success());
        let message = stderr_of(&output);
        assert!(
            message.contains(r#"exec: \"no-such-tool\": executable file not found in $PATH"#)
                || message.contains(r#"exec: "no-such-tool": executable file not found in $PATH"#),
            "{}: {message}",
            runtime.name
        );
        // A failed create leaves no container behind.
        assert_eq!(runtime.ok(&["list", "-q"]), "");
    }
}

#[test]
fn run_in_a_pipeline_inherits_stdio() {
    let dir = TempDir::new("runc-pipe");
    let bundle = runc_bundle!(dir, &["sh", "-c", "tr a-z A-Z; echo err >&2"]);
    let ours = Runtime::ours();
    let _guard = ours.guard("pipe");
    let mut child = ours
        .command(&["run", "-b", bundle.dir.to_str().unwrap(), "pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"shout\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), "SHOUT\n");
    assert_eq!(stderr_of(&output), "err\n");
}

#[test]
fn preserve_fds_and_listen_fds_reach_the_container() {
    let dir = TempDir::new("runc-fds");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "echo listen=$LISTEN_FDS pid=$LISTEN_PID; echo three >&3; echo four >&4; \
             ls /proc/self/fd | sort -n | tr '\\n' ' '"
        ]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("fds");
    let fd3 = dir.join("fd3");
    let fd4 = dir.join("fd4");
    // LISTEN_PID must name the runtime process itself: let a shell set it
    // and exec the runtime.
    let script = format!(
        "LISTEN_PID=$$ LISTEN_FDS=1 exec {} --root {} run --preserve-fds 1 -b {} fds 3>{} 4>{}",
        ours.exe.display(),
        ours.root.path().display(),
        bundle.dir.display(),
        fd3.display(),
        fd4.display()
    );
    let output = output_via_files(Command::new("/bin/sh").args(["-c", &script]));
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        stdout_of(&output),
        "listen=1 pid=1\n0 1 2 3 4 5 ",
        "fd 5 is ls's own directory fd"
    );
    assert_eq!(std::fs::read_to_string(&fd3).unwrap(), "three\n");
    assert_eq!(std::fs::read_to_string(&fd4).unwrap(), "four\n");

    // Without --preserve-fds and LISTEN_FDS nothing beyond stdio leaks in.
    let script = format!(
        "exec {} --root {} run -b {} fds 3>{}",
        ours.exe.display(),
        ours.root.path().display(),
        bundle.dir.display(),
        fd3.display()
    );
    let output = output_via_files(Command::new("/bin/sh").args(["-c", &script]));
    assert!(
        stdout_of(&output).ends_with("0 1 2 3 "),
        "{}",
        stdout_of(&output)
    );
    assert!(
        stderr_of(&output).contains("Bad file descriptor"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn no_pivot_and_session_keyring() {
    let dir = TempDir::new("runc-nopivot");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "ls /bin/busybox; grep \" _ses.$ID:\" /proc/keys | wc -l"
        ]);
        spec["linux"]["maskedPaths"] = json!([]);
    });
    let ours = Runtime::ours();
    let bundle_dir = bundle.dir.to_str().unwrap();
    // Keyrings are global and linger: ids unique to this test process.
    let first = format!("np{}", std::process::id());
    let second = format!("np{}x", std::process::id());
    let _guard = ours.guard(&first);
    bundle.edit_config(|spec| spec["process"]["env"] = json!(["PATH=/bin", format!("ID={first}")]));
    let output = ours.run(&["run", "--no-pivot", "-b", bundle_dir, &first]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout_of(&output), "/bin/busybox\n1\n");
    // --no-new-keyring keeps the caller's session keyring. (Another id:
    // the first keyring may linger until the kernel collects it.)
    bundle
        .edit_config(|spec| spec["process"]["env"] = json!(["PATH=/bin", format!("ID={second}")]));
    let _guard2 = ours.guard(&second);
    let output = ours.run(&["run", "--no-new-keyring", "-b", bundle_dir, &second]);
    assert_eq!(
        stdout_of(&output),
        "/bin/busybox\n0\n",
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn sysctl_outside_a_private_namespace_is_refused() {
    let dir = TempDir::new("runc-sysctl");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        // No network namespace: the sysctl would change the caller's value.
        spec["linux"]["namespaces"] = json!([{"type": "pid"}, {"type": "mount"}]);
        spec["linux"]["sysctl"] = json!({"net.ipv4.ip_forward": "1"});
        spec.as_object_mut().unwrap().remove("hostname");
    });
    for runtime in runtimes("sysctl_outside_a_private_namespace_is_refused (runc part)") {
        let _guard = runtime.guard("sysctl");
        // Should the refusal ever break, only a throwaway namespace suffers.
        let mut command = runtime.command(&["run", "-b", bundle.dir.to_str().unwrap(), "sysctl"]);
        let output = output_via_files(crate::harness::netns::in_new_netns(&mut command));
        assert!(!output.status.success(), "{}", runtime.name);
        assert!(
            stderr_of(&output).contains("net.ipv4.ip_forward"),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
    }
}
