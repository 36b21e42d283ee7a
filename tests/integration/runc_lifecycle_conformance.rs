//! Lifecycle details where Debian's runc 1.1.5 is the reference: when the
//! in-container hooks run, the console's owner, a frozen or busy cgroup,
//! `kill --all` and `ps` of a stopped container, and `delete --force`.

use crate::harness::busybox::Bundle;
use crate::harness::cgroup::OwnCgroup;
use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_lifecycle::wait_for_status;
use crate::runc_support::Runtime;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The host directories of `cgroups_path` in every hierarchy this process
/// sits in (v1 controllers by name, the unified one as "unified").
fn cgroup_dirs(cgroups_path: &str) -> Vec<(String, PathBuf)> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let own = OwnCgroup::read();
    let mut dirs = Vec::new();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':').skip(1);
        let (Some(controllers), Some(own_path)) = (fields.next(), fields.next()) else {
            continue;
        };
        let (name, own_dir) = match controllers.split(',').next() {
            Some("") => ("unified".to_string(), own.v2.clone()),
            Some(first) => (first.to_string(), own.v1.get(first).cloned()),
            None => continue,
        };
        let Some(own_dir) = own_dir else { continue };
        // The mount point: our own directory without our own path.
        let depth = Path::new(own_path).components().count().saturating_sub(1);
        let mut mount = own_dir;
        for _ in 0..depth {
            mount.pop();
        }
        dirs.push((name, mount.join(cgroups_path.trim_start_matches('/'))));
    }
    dirs
}

fn cgroups_path_of(bundle: &Bundle) -> String {
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.dir.join("config.json")).unwrap()).unwrap();
    config["linux"]["cgroupsPath"].as_str().unwrap().to_string()
}

/// The test's cgroup directories: thawed and removed on drop, after the
/// container guard (declared later) has deleted the container, even when
/// the test failed.
struct CgroupDirs(Vec<(String, PathBuf)>);

impl Drop for CgroupDirs {
    fn drop(&mut self) {
        for (name, dir) in &self.0 {
            match name.as_str() {
                "freezer" => drop(std::fs::write(dir.join("freezer.state"), "THAWED")),
                "unified" => drop(std::fs::write(dir.join("cgroup.freeze"), "0")),
                _ => {}
            }
        }
        for (_, dir) in &self.0 {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A cgroup that is frozen before the container starts: runc 1.1.5 refuses
/// it up front instead of leaving `run -d` waiting on a frozen init.
#[test]
fn a_frozen_cgroup_is_refused_before_anything_starts() {
    let dir = TempDir::new("runc-frozen");
    let bundle = runc_bundle!(dir, &["true"]);
    let dirs = cgroup_dirs(&cgroups_path_of(&bundle));
    let freezer = dirs
        .iter()
        .find(|(name, _)| name == "freezer")
        .or_else(|| dirs.iter().find(|(name, _)| name == "unified"));
    let Some((name, freezer)) = freezer.cloned() else {
        report_skip(
            "a_frozen_cgroup_is_refused_before_anything_starts",
            "no freezer",
        );
        return;
    };
    for runtime in runtimes("a_frozen_cgroup_is_refused_before_anything_starts") {
        std::fs::create_dir_all(&freezer).unwrap();
        let (file, frozen) = match name.as_str() {
            "freezer" => ("freezer.state", "FROZEN"),
            _ => ("cgroup.freeze", "1"),
        };
        let _cleanup = CgroupDirs(dirs.clone());
        std::fs::write(freezer.join(file), frozen).unwrap();
        let _guard = runtime.guard("frozen");
        // A hang is the bug: give up after a while rather than wait forever.
        let mut command = Command::new("timeout");
        command.args(["-s", "KILL", "20"]).arg(&runtime.exe);
        command.arg("--root").arg(runtime.root.path());
        command.args(["run", "-d", "-b", bundle.dir.to_str().unwrap(), "frozen"]);
        let output = crate::runc_support::output_via_files(&mut command);
        assert!(
            !output.status.success(),
            "{}: run -d succeeded",
            runtime.name
        );
        assert!(
            stderr_of(&output).contains("container's cgroup unexpectedly frozen"),
            "{}: {:?} {}",
            runtime.name,
            output.status,
            stderr_of(&output)
        );
        assert!(
            runtime.run(&["state", "frozen"]).status.code() != Some(0),
            "{}",
            runtime.name
        );
    }
}

/// A cgroup that already holds a process: runc 1.1.5 runs the container in
/// it all the same, with a warning that counts the processes.
#[test]
fn a_busy_cgroup_is_used_with_a_warning() {
    let dir = TempDir::new("runc-busycg");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let dirs = cgroup_dirs(&cgroups_path_of(&bundle));
    for runtime in runtimes("a_busy_cgroup_is_used_with_a_warning") {
        let _cleanup = CgroupDirs(dirs.clone());
        let mut squatter = Command::new("sleep").arg("100").spawn().unwrap();
        for (name, dir) in &dirs {
            std::fs::create_dir_all(dir).unwrap();
            let joined = std::fs::write(dir.join("cgroup.procs"), squatter.id().to_string());
            // A fresh v1 cpuset has no cpus to join until a runtime sets them.
            assert!(
                joined.is_ok() || name == "cpuset",
                "join {name}: {joined:?}"
            );
        }
        let output = {
            let _guard = runtime.guard("busycg");
            runtime.run(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "busycg"])
        };
        let _ = squatter.kill();
        let _ = squatter.wait();
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        assert!(
            stderr_of(&output).contains(
                "level=warning msg=\"container's cgroup is not empty: 1 process(es) found\""
            ),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
    }
}

/// What the process reports of a cwd it may not search: where it is, and
/// whether it can list it.
const CWD_REPORT: &str = "pwd; ls . >/dev/null 2>&1 && echo listed || echo unlisted";

/// runc enters the cwd as root, before the setuid, so a user process may
/// start in a directory only root can enter (`run`: it cannot list it
/// then) or below one (`exec`). A cwd it cannot enter fails with runc's
/// words.
#[test]
fn a_cwd_only_root_can_enter_works_for_another_user() {
    let dir = TempDir::new("runc-rootcwd");
    let bundle = runc_bundle!(dir, &["true"]);
    let secret = bundle.dir.join("rootfs/secret");
    std::fs::create_dir_all(secret.join("inner")).unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["user"] = json!({"uid": 1000, "gid": 1000});
        spec["process"]["cwd"] = json!("/secret");
        spec["process"]["args"] = json!(["sh", "-c", CWD_REPORT]);
    });
    for runtime in runtimes("a_cwd_only_root_can_enter_works_for_another_user") {
        let name = runtime.name;
        let _guard = runtime.guard("rootcwd");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "rootcwd"]);
        assert!(
            output.status.success(),
            "{name} run: {}",
            stderr_of(&output)
        );
        assert_eq!(stdout_of(&output), "/secret\nunlisted\n", "{name} run");
    }
    bundle.edit_config(|spec| {
        spec["process"]["user"] = json!({"uid": 0, "gid": 0});
        spec["process"]["cwd"] = json!("/");
        spec["process"]["args"] = json!(["sleep", "100"]);
    });
    for runtime in runtimes("a_cwd_only_root_can_enter_works_for_another_user") {
        let name = runtime.name;
        let _guard = runtime.guard("rootcwdexec");
        runtime.ok(&[
            "run",
            "-d",
            "-b",
            bundle.dir.to_str().unwrap(),
            "rootcwdexec",
        ]);
        let output = runtime.run(&[
            "exec",
            "--user",
            "1000:1000",
            "--cwd",
            "/secret/inner",
            "rootcwdexec",
            "sh",
            "-c",
            CWD_REPORT,
        ]);
        assert!(
            output.status.success(),
            "{name} exec: {}",
            stderr_of(&output)
        );
        // Only the lookup through /secret needed root: inner itself is 0755.
        assert_eq!(stdout_of(&output), "/secret/inner\nlisted\n", "{name} exec");
        // A cwd that is no directory fails in both, before the process runs.
        let output = runtime.run(&["exec", "--cwd", "/etc/passwd", "rootcwdexec", "true"]);
        assert!(
            !output.status.success(),
            "{name}: exec with a file as cwd ran"
        );
        let wanted = "exec failed: unable to start container process: chdir to cwd \
                      (\\\"/etc/passwd\\\") set in config.json failed: not a directory";
        assert!(
            stderr_of(&output).contains(wanted),
            "{name}: {}",
            stderr_of(&output)
        );
    }
}

/// A container in the host's pid namespace whose init leaves a child
/// behind: runc's `delete --force` kills every process in the cgroup,
/// waits for them, and removes the cgroup in every hierarchy.
#[test]
fn delete_force_kills_the_whole_cgroup_and_removes_it() {
    let dir = TempDir::new("runc-delcg");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        let namespaces = spec["linux"]["namespaces"].as_array_mut().unwrap();
        namespaces.retain(|namespace| namespace["type"] != "pid");
        // The marker lets us find the child on the host.
        spec["process"]["args"] = json!(["sh", "-c", "sleep 1234567 & exec sleep 7654321"]);
    });
    let dirs = cgroup_dirs(&cgroups_path_of(&bundle));
    for runtime in runtimes("delete_force_kills_the_whole_cgroup_and_removes_it") {
        let name = runtime.name;
        let _cleanup = CgroupDirs(dirs.clone());
        let _guard = runtime.guard("delcg");
        runtime.ok(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "delcg"]);
        wait_until(name, || pids_running("sleep 1234567").len() == 1);
        let init = runtime.state("delcg")["pid"].as_i64().unwrap() as i32;
        let child = pids_running("sleep 1234567")[0];
        let output = runtime.run(&["delete", "--force", "delcg"]);
        assert!(output.status.success(), "{name}: {}", stderr_of(&output));
        crate::runc_support::reap(init);
        let survived = crate::runc_support::alive(child);
        if survived {
            // SAFETY: kill by pid, of the child this test's container made.
            unsafe { libc::kill(child, libc::SIGKILL) };
        }
        crate::runc_support::reap(child);
        assert!(!survived, "{name}: the init's child survived");
        let left: Vec<&PathBuf> = dirs
            .iter()
            .map(|(_, dir)| dir)
            .filter(|dir| dir.exists())
            .collect();
        assert!(left.is_empty(), "{name}: cgroup left in {left:?}");
    }
}

/// Host pids whose command line is exactly `command`.
fn pids_running(command: &str) -> Vec<i32> {
    let wanted: Vec<u8> = command.replace(' ', "\0").into_bytes();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| line.strip_suffix(b"\0") == Some(&wanted[..]))
        })
        .filter(|pid| crate::runc_support::alive(*pid))
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}: timed out");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
