//! The real client: containerd 1.6 and its runc v2 shim drive our runc
//! through `ctr run --runc-binary` (create with --pid-file, --log json,
//! start, state, kill, delete).

use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::netns::in_new_netns;
use crate::harness::{self, ProcessGuard, TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_support::{Runtime, output_via_files};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CONTAINERD: &str = "/usr/bin/containerd";
const CTR: &str = "/usr/bin/ctr";

#[test]
fn containerd_runs_a_container_through_our_runc() {
    crate::require!(harness::need_root());
    if !Path::new(CONTAINERD).is_file() || !Path::new(CTR).is_file() {
        report_skip(
            "containerd_runs_a_container_through_our_runc",
            "containerd/ctr missing",
        );
        return;
    }
    let dir = TempDir::new("runc-containerd");
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return report_skip("containerd test", &reason),
    };
    let archive = dir.join("image.tar");
    write_docker_archive(&rootfs.path, "dockbox-test/busybox:latest", &archive).unwrap();
    let socket = dir.join("containerd.sock");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "version = 2\nroot = \"{}\"\nstate = \"{}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{}\"\n",
            dir.join("root").display(),
            dir.join("state").display(),
            socket.display()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.join("containerd.log")).unwrap();
    let daemon = in_new_netns(Command::new(CONTAINERD).arg("--config").arg(&config))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _daemon = ProcessGuard::child(daemon);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "containerd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let ctr = |args: &[&str]| {
        let mut command = Command::new(CTR);
        command
            .arg("--address")
            .arg(&socket)
            .args(["--namespace", "dockbox-test"])
            .args(args);
        output_via_files(&mut command)
    };
    let import = ctr(&["images", "import", archive.to_str().unwrap()]);
    assert!(import.status.success(), "{}", stderr_of(&import));

    let ours = Runtime::ours();
    let runc_binary = ours.exe.to_str().unwrap().to_string();
    let runc_root = ours.root.path().to_str().unwrap().to_string();
    let run = ctr(&[
        "run",
        "--rm",
        "--cgroup",
        "",
        "--runc-binary",
        &runc_binary,
        "--runc-root",
        &runc_root,
        "docker.io/dockbox-test/busybox:latest",
        "c1",
        "sh",
        "-c",
        "echo hello from $(hostname); exit 7",
    ]);
    let containerd_log = std::fs::read_to_string(dir.join("containerd.log")).unwrap_or_default();
    assert_eq!(
        run.status.code(),
        Some(7),
        "{}\n{containerd_log}",
        stderr_of(&run)
    );
    // ctr's spec has a uts namespace but no hostname: the host's is copied.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(stdout_of(&run), format!("hello from {host}"));
    // The shim (its runc root is ROOT/NAMESPACE) deleted the container
    // through our runc.
    assert_eq!(ours.ok(&["list", "-q"]), "");
    let namespace_root = ours.root.join("dockbox-test");
    let mut list = Command::new(&ours.exe);
    list.arg("--root").arg(&namespace_root).args(["list", "-q"]);
    let listed = output_via_files(&mut list);
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert_eq!(stdout_of(&listed), "");

    // Detached: the shim reads the pid file, kills by signal number, and
    // deletes; `task ls` reflects the process's state.
    let started = ctr(&[
        "run",
        "-d",
        "--cgroup",
        "",
        "--runc-binary",
        &runc_binary,
        "--runc-root",
        &runc_root,
        "docker.io/dockbox-test/busybox:latest",
        "c2",
        "sleep",
        "100",
    ]);
    assert!(started.status.success(), "{}", stderr_of(&started));
    let tasks = stdout_of(&ctr(&["task", "ls"]));
    assert!(tasks.contains("c2") && tasks.contains("RUNNING"), "{tasks}");
    let state: serde_json::Value = serde_json::from_str(&{
        let mut state = Command::new(&ours.exe);
        state
            .arg("--root")
            .arg(&namespace_root)
            .args(["state", "c2"]);
        stdout_of(&output_via_files(&mut state))
    })
    .unwrap();
    assert_eq!(state["status"], "running");
    assert!(tasks.contains(&state["pid"].to_string()), "{tasks}");
    let killed = ctr(&["task", "kill", "--signal", "SIGKILL", "c2"]);
    assert!(killed.status.success(), "{}", stderr_of(&killed));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stdout_of(&ctr(&["task", "ls"])).contains("STOPPED") {
        assert!(Instant::now() < deadline, "c2 never stopped");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deleted = ctr(&["task", "delete", "c2"]);
    assert!(deleted.status.success(), "{}", stderr_of(&deleted));
    assert!(ctr(&["container", "delete", "c2"]).status.success());
    let mut list = Command::new(&ours.exe);
    list.arg("--root").arg(&namespace_root).args(["list", "-q"]);
    assert_eq!(stdout_of(&output_via_files(&mut list)), "");
}
