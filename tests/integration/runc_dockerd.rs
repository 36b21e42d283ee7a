//! The other real client: Debian's dockerd 20.10 (through its managed
//! containerd and the runc v2 shim) runs containers with our runc as its
//! default runtime, driven by the real Docker CLI.

use crate::harness::busybox::{BusyboxRootfs, write_rootfs_tar};
use crate::harness::netns::in_new_netns;
use crate::harness::{self, TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_support::output_via_files;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const DOCKERD: &str = "/usr/sbin/dockerd";
const DOCKER: &str = "/usr/local/bin/docker";

/// Stops dockerd gracefully (so it stops its containerd), then by force.
struct Daemon {
    child: Child,
    exec_root: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let containerd_pid = self.exec_root.join("containerd/containerd.pid");
        if let Some(pid) = std::fs::read_to_string(containerd_pid)
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        {
            // SAFETY: the daemon's own containerd, by the pid it recorded.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn dockerd_runs_containers_with_our_runc() {
    crate::require!(harness::need_root());
    for tool in [DOCKERD, DOCKER] {
        if !Path::new(tool).is_file() {
            return report_skip(
                "dockerd_runs_containers_with_our_runc",
                &format!("{tool} missing"),
            );
        }
    }
    let dir = TempDir::new("runc-dockerd");
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return report_skip("dockerd test", &reason),
    };
    // Cgroups (once our runc makes them) only below our own.
    let cgroup_parent = match crate::runc_support::cgroup_below_own(&dir) {
        Ok(path) => path,
        Err(reason) => return report_skip("dockerd test", &reason),
    };
    // Dropped after the daemon: our runc removes each container's cgroup,
    // the parent made for them stays until here.
    let _parent_cgroups = ParentCgroups(cgroup_parent.clone());
    let runc_link = dir.join("runc");
    std::os::unix::fs::symlink(harness::dockbox(), &runc_link).unwrap();
    let socket = dir.join("docker.sock");
    let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
    let child = in_new_netns(Command::new(DOCKERD).args([
        &format!("--data-root={}", dir.join("data").display()),
        &format!("--exec-root={}", dir.join("exec").display()),
        &format!("--pidfile={}", dir.join("dockerd.pid").display()),
        &format!("--host=unix://{}", socket.display()),
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--storage-driver=vfs",
        "--containerd-namespace=dockbox-test",
        &format!("--add-runtime=dockbox={}", runc_link.display()),
        "--default-runtime=dockbox",
        &format!("--cgroup-parent={cgroup_parent}"),
    ]))
    .stdout(log.try_clone().unwrap())
    .stderr(log)
    .spawn()
    .unwrap();
    let _daemon = Daemon {
        child,
        exec_root: dir.join("exec"),
    };
    let docker = |args: &[&str]| {
        let mut command = Command::new(DOCKER);
        command
            .env("DOCKER_HOST", format!("unix://{}", socket.display()))
            .args(args);
        output_via_files(&mut command)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !docker(&["version"]).status.success() {
        assert!(Instant::now() < deadline, "dockerd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let tar_path = dir.join("rootfs.tar");
    write_rootfs_tar(&rootfs.path, std::fs::File::create(&tar_path).unwrap()).unwrap();
    let import = docker(&["import", tar_path.to_str().unwrap(), "bb:latest"]);
    assert!(import.status.success(), "{}", stderr_of(&import));

    let log = || std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
    let run = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--hostname",
        "boxy",
        "bb:latest",
        "sh",
        "-c",
        "echo hi from $(hostname); exit 42",
    ]);
    assert_eq!(
        run.status.code(),
        Some(42),
        "{}\n{}",
        stderr_of(&run),
        log()
    );
    assert_eq!(stdout_of(&run), "hi from boxy\n");

    let tty = docker(&["run", "--rm", "--network", "none", "-t", "bb:latest", "tty"]);
    assert_eq!(
        stdout_of(&tty).trim_end(),
        "/dev/pts/0",
        "{}",
        stderr_of(&tty)
    );

    let detached = docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "s1",
        "bb:latest",
        "sleep",
        "100",
    ]);
    assert!(detached.status.success(), "{}", stderr_of(&detached));
    let running = docker(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.Pid}}",
        "s1",
    ]);
    assert!(
        stdout_of(&running).starts_with("running "),
        "{}",
        stdout_of(&running)
    );
    let stop = docker(&["stop", "--time", "1", "s1"]);
    assert!(stop.status.success(), "{}", stderr_of(&stop));
    let removed = docker(&["rm", "s1"]);
    assert!(removed.status.success(), "{}", stderr_of(&removed));
}

/// The --cgroup-parent directories: the absolute cgroup path dockerd was
/// given (below our deepest own cgroup), in every mounted hierarchy,
/// removed on drop.
struct ParentCgroups(String);

impl Drop for ParentCgroups {
    fn drop(&mut self) {
        let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
            return;
        };
        for hierarchy in hierarchies.flatten() {
            let dir = hierarchy.path().join(self.0.trim_start_matches('/'));
            if dir.is_dir() {
                crate::harness::cgroup::remove_tree(&dir);
            }
        }
    }
}
