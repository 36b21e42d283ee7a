//! `runc exec` against Debian's runc 1.1.5: exit status 255 for its own
//! errors, `--process` files without `user`, `--ignore-paused` and
//! `--cgroup`.

use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, reap};
use std::time::{Duration, Instant};

/// Ours and, when installed, Debian's runc.
fn runtimes(test: &str) -> Vec<Runtime> {
    let mut all = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => all.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    all
}

/// Runs `body` with a running `sleep` container `id` on `runtime`, and
/// deletes it (and reaps its init) afterwards.
fn with_running(runtime: &Runtime, bundle: &str, id: &str, body: impl FnOnce(i32)) {
    let _guard = runtime.guard(id);
    runtime.ok(&["run", "-d", "-b", bundle, id]);
    let pid = runtime.state(id)["pid"].as_i64().unwrap() as i32;
    body(pid);
    let _ = runtime.run(&["delete", "-f", id]);
    reap(pid);
}

#[test]
fn exec_errors_exit_255_like_runc() {
    let dir = TempDir::new("runc-exec255");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    let bundle = bundle.dir.to_str().unwrap();
    for runtime in runtimes("exec_errors_exit_255_like_runc (runc part)") {
        with_running(&runtime, bundle, "e255", |_| {
            let missing = runtime.run(&["exec", "no-such-container", "true"]);
            assert_eq!(missing.status.code(), Some(255), "{}", runtime.name);
            assert!(
                stderr_of(&missing).contains("exec failed: container does not exist"),
                "{}: {}",
                runtime.name,
                stderr_of(&missing)
            );
            let no_binary = runtime.run(&["exec", "e255", "/no/such/binary"]);
            assert_eq!(no_binary.status.code(), Some(255), "{}", runtime.name);
            // The process's own status is passed through as it is.
            let own = runtime.run(&["exec", "e255", "sh", "-c", "exit 3"]);
            assert_eq!(own.status.code(), Some(3), "{}", runtime.name);
            // Too few arguments are a usage error, exit 1, as in runc.
            let usage = runtime.run(&["exec"]);
            assert_eq!(usage.status.code(), Some(1), "{}", runtime.name);
        });
    }
}

#[test]
fn exec_process_file_without_user_runs_as_root() {
    let dir = TempDir::new("runc-execnouser");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    let bundle = bundle.dir.to_str().unwrap();
    let process = dir.join("process.json");
    std::fs::write(
        &process,
        r#"{"args": ["sh", "-c", "echo $(id -u):$(id -g)"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"]}"#,
    )
    .unwrap();
    for runtime in runtimes("exec_process_file_without_user_runs_as_root (runc part)") {
        with_running(&runtime, bundle, "nouser", |_| {
            let output = runtime.run(&["exec", "-p", process.to_str().unwrap(), "nouser"]);
            assert!(
                output.status.success(),
                "{}: {}",
                runtime.name,
                stderr_of(&output)
            );
            assert_eq!(stdout_of(&output).trim(), "0:0", "{}", runtime.name);
        });
    }
}

#[test]
fn exec_ignore_paused_waits_for_resume() {
    let dir = TempDir::new("runc-execpaused");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    let bundle = bundle.dir.to_str().unwrap();
    let marker = "/dev/exec-ran";
    for runtime in runtimes("exec_ignore_paused_waits_for_resume (runc part)") {
        with_running(&runtime, bundle, "paused", |pid| {
            runtime.ok(&["pause", "paused"]);
            let refused = runtime.run(&["exec", "paused", "true"]);
            assert_eq!(refused.status.code(), Some(255), "{}", runtime.name);
            assert!(
                stderr_of(&refused).contains(
                    "cannot exec in a paused container (use --ignore-paused to override)"
                ),
                "{}: {}",
                runtime.name,
                stderr_of(&refused)
            );
            let mut exec = runtime.command(&["exec", "--ignore-paused", "paused", "touch", marker]);
            let mut child = exec
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(300));
            let in_container = format!("/proc/{pid}/root{marker}");
            assert!(
                !std::path::Path::new(&in_container).exists(),
                "{}: ran while frozen",
                runtime.name
            );
            runtime.ok(&["resume", "paused"]);
            let deadline = Instant::now() + Duration::from_secs(10);
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("{}: exec --ignore-paused never finished", runtime.name);
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            assert!(status.success(), "{}: {stderr}", runtime.name);
            assert!(
                std::path::Path::new(&in_container).exists(),
                "{}",
                runtime.name
            );
            let _ = std::fs::remove_file(&in_container);
        });
    }
}

/// The container's directory in the memory hierarchy (v1) or the unified
/// one (v2), from the init's /proc/PID/cgroup, with the `--cgroup` form
/// that names it.
fn memory_cgroup_of(pid: i32) -> (std::path::PathBuf, &'static str) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let v1 = text.lines().find_map(|line| {
        line.split_once(":memory:")
            .map(|(_, path)| path.to_string())
    });
    match v1 {
        Some(path) => (
            std::path::Path::new("/sys/fs/cgroup/memory").join(path.trim_start_matches('/')),
            "memory:sub",
        ),
        None => {
            let path = text.lines().find_map(|l| l.strip_prefix("0::")).unwrap();
            (
                std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/')),
                "sub",
            )
        }
    }
}

#[test]
fn exec_cgroup_joins_an_existing_sub_cgroup() {
    let dir = TempDir::new("runc-execcgroup");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    let bundle = bundle.dir.to_str().unwrap();
    for runtime in runtimes("exec_cgroup_joins_an_existing_sub_cgroup (runc part)") {
        with_running(&runtime, bundle, "subcg", |pid| {
            let (container_dir, argument) = memory_cgroup_of(pid);
            let missing = runtime.run(&["exec", "--cgroup", argument, "subcg", "true"]);
            assert_eq!(missing.status.code(), Some(255), "{}", runtime.name);
            let sub = container_dir.join("sub");
            std::fs::create_dir(&sub).unwrap();
            let output = runtime.run(&[
                "exec",
                "--cgroup",
                argument,
                "subcg",
                "cat",
                "/proc/self/cgroup",
            ]);
            let _ = std::fs::remove_dir(&sub);
            assert!(
                output.status.success(),
                "{}: {}",
                runtime.name,
                stderr_of(&output)
            );
            let joined = stdout_of(&output)
                .lines()
                .filter(|line| line.contains(":memory:") || line.starts_with("0::"))
                .any(|line| line.ends_with("/sub"));
            assert!(joined, "{}: {}", runtime.name, stdout_of(&output));
        });
    }
}

/// /proc/PID/cgroup as a sorted list of lines.
fn cgroup_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// cgroup v1, as runc 1.1.5: a `--cgroup` that does not exist reads
/// "adding pid N to cgroups: ... DIR/nonexistent/cgroup.procs: no such
/// file", an unknown controller "unknown controller X", and a plain exec
/// joins every hierarchy the init is in, name=systemd included (runc puts
/// the container in its own cgroup there too).
#[test]
fn exec_cgroup_v1_errors_and_hierarchies_as_runc() {
    let dir = TempDir::new("runc-execcgv1");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    let bundle = bundle.dir.to_str().unwrap();
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    if !own.contains(":memory:") {
        report_skip(
            "exec_cgroup_v1_errors_and_hierarchies_as_runc",
            "needs cgroup v1",
        );
        return;
    }
    let own_systemd = own.lines().find(|line| line.contains(":name=systemd:"));
    for runtime in runtimes("exec_cgroup_v1_errors_and_hierarchies_as_runc (runc part)") {
        let name = runtime.name;
        with_running(&runtime, bundle, "cgv1", |pid| {
            for argument in ["nonexistent", "memory:nonexistent"] {
                let missing = runtime.run(&["exec", "--cgroup", argument, "cgv1", "true"]);
                let stderr = stderr_of(&missing);
                assert_eq!(missing.status.code(), Some(255), "{name}: {stderr}");
                assert!(
                    stderr.contains(" adding pid ")
                        && stderr.contains("/nonexistent/cgroup.procs: no such file "),
                    "{name} {argument}: {stderr}"
                );
            }
            let unknown = runtime.run(&["exec", "--cgroup", "whaaat:/", "cgv1", "true"]);
            assert_ne!(unknown.status.code(), Some(0), "{name}");
            assert!(
                stderr_of(&unknown).contains("unknown controller whaaat"),
                "{name}: {}",
                stderr_of(&unknown)
            );
            let init = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
            if let Some(own_systemd) = own_systemd {
                let init_systemd = init.lines().find(|line| line.contains(":name=systemd:"));
                assert_ne!(init_systemd, Some(own_systemd), "{name}: {init}");
            }
            for extra in [&[][..], &["--cgroup", "/"][..]] {
                let mut args = vec!["exec"];
                args.extend_from_slice(extra);
                args.extend_from_slice(&["cgv1", "cat", "/proc/self/cgroup"]);
                let output = runtime.run(&args);
                assert!(output.status.success(), "{name}: {}", stderr_of(&output));
                assert_eq!(
                    cgroup_lines(&stdout_of(&output)),
                    cgroup_lines(&init),
                    "{name} {extra:?}"
                );
            }
        });
    }
}
