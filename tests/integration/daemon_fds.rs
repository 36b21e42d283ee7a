//! The CVE-2024-21626 class through our daemon, shim and runtime with the
//! real Docker CLI: a working directory of `/proc/self/fd/N`, from `docker
//! run -w` or from an image's WORKDIR, must never lead to the host. The
//! shim launches the container in-process, so the init starts with every
//! fd the shim holds (its socket, the log, the container's cgroup
//! directory...).

use crate::daemon_run::{daemon_with_busybox, ok};
use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive_images};
use crate::harness::{TempDir, need_root, stderr_of, stdout_of};
use crate::require;
use serde_json::json;
use std::path::Path;

const TRIED_FDS: std::ops::RangeInclusive<i32> = 3..=64;
/// `docker run`s at a time: the daemon takes them concurrently.
const PARALLEL: usize = 4;

/// The container's command: read a marker file of the host and write a file
/// beside it, each by climbing out of the cwd; then say where it was.
fn escape_command(dir: &TempDir) -> (Vec<String>, std::path::PathBuf) {
    let marker = dir.join("host-marker");
    let written = dir.join("written-from-container");
    std::fs::write(&marker, "HOST-SECRET\n").unwrap();
    let climb = |path: &Path| format!("{}{}", "../".repeat(24), path.display());
    let script = format!(
        "cat {} ; echo escaped > {} ; echo cwd=$(pwd)",
        climb(&marker),
        climb(&written)
    );
    (vec!["sh".into(), "-c".into(), script], written)
}

/// Runs `args_for(n)` through the CLI for every N, a few at a time, and
/// fails on any N whose container read or wrote the host or started.
fn assert_no_fd_reaches_the_host(
    daemon: &TestDaemon,
    written: &Path,
    args_for: impl Fn(i32) -> Vec<String> + Sync,
) {
    let fds: Vec<i32> = TRIED_FDS.collect();
    let mut reached = Vec::new();
    for batch in fds.chunks(PARALLEL) {
        let outputs: Vec<(i32, std::process::Output)> = std::thread::scope(|scope| {
            let runs: Vec<_> = batch
                .iter()
                .map(|&n| {
                    let args = args_for(n);
                    scope.spawn(move || {
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        (n, daemon.docker(&args))
                    })
                })
                .collect();
            runs.into_iter().map(|run| run.join().unwrap()).collect()
        });
        for (n, output) in outputs {
            let stdout = stdout_of(&output);
            if stdout.contains("HOST-SECRET") || stdout.contains("cwd=") || output.status.success()
            {
                reached.push(format!("N={n}: {}", stdout.trim()));
                continue;
            }
            assert!(
                stderr_of(&output).contains("/proc/self/fd/"),
                "N={n}: the error names the cwd: {}",
                stderr_of(&output)
            );
        }
        if written.exists() {
            reached.push(format!("one of N={batch:?} wrote the host"));
            std::fs::remove_file(written).unwrap();
        }
    }
    assert!(reached.is_empty(), "{reached:#?}\n{}", daemon.log());
}

#[test]
fn docker_run_workdir_through_proc_self_fd_never_reaches_the_host() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = daemon_with_busybox("fdcwd-run");
    let (command, written) = escape_command(&daemon.dir);
    assert_no_fd_reaches_the_host(&daemon, &written, |n| {
        let mut args: Vec<String> = ["run", "--rm", "-w"].map(String::from).to_vec();
        args.push(format!("/proc/self/fd/{n}"));
        args.push("busybox".into());
        args.extend(command.iter().cloned());
        args
    });
    // The daemon still runs containers: the refusals were the cwd's.
    let output = daemon.docker(&["run", "--rm", "-w", "/tmp", "busybox", "pwd"]);
    assert_eq!(ok(&daemon, &output), "/tmp\n");
}

#[test]
fn image_workdir_through_proc_self_fd_never_reaches_the_host() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = daemon_with_busybox("fdcwd-image");
    // One archive, one layer, an image per N whose WORKDIR is /proc/self/fd/N.
    let rootfs = BusyboxRootfs::build(&daemon.dir.join("workdir-src")).unwrap();
    let images: Vec<(String, serde_json::Value)> = TRIED_FDS
        .map(|n| {
            (
                format!("fdwd:{n}"),
                json!({"WorkingDir": format!("/proc/self/fd/{n}")}),
            )
        })
        .collect();
    let archive = daemon.dir.join("fdwd.tar");
    write_docker_archive_images(&rootfs.path, &images, &archive).unwrap();
    ok(
        &daemon,
        &daemon.docker(&["load", "-q", "-i", archive.to_str().unwrap()]),
    );
    let workdir = ok(
        &daemon,
        &daemon.docker(&[
            "image",
            "inspect",
            "-f",
            "{{.Config.WorkingDir}}",
            "fdwd:15",
        ]),
    );
    assert_eq!(workdir, "/proc/self/fd/15\n");
    let (command, written) = escape_command(&daemon.dir);
    assert_no_fd_reaches_the_host(&daemon, &written, |n| {
        let mut args: Vec<String> = vec!["run".into(), "--rm".into(), format!("fdwd:{n}")];
        args.extend(command.iter().cloned());
        args
    });
}
