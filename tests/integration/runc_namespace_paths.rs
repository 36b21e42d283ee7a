//! Mount and UTS namespaces that the container does not create: none at
//! all (the mounts are made where the runtime is and the init only
//! chroots), or joined by `path`; each compared with Debian's runc 1.1.5.
//! The runtime always runs inside a mount namespace the test made (or
//! joins one), since without one of its own runc changes the tree it
//! shares.

use crate::harness::ProcessGuard;
use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, output_via_files};
use serde_json::json;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = "inside the bundle's rootfs";

/// `sleep` in fresh namespaces of `kinds` (unshare's flags), which the
/// containers then join by path.
fn namespace_holder(flags: &[&str]) -> ProcessGuard {
    let child = Command::new("unshare")
        .args(flags)
        .args(["sleep", "100"])
        .stdin(Stdio::null())
        .spawn()
        .expect("start unshare");
    let holder = ProcessGuard::child(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    // unshare makes the namespaces before it execs sleep.
    while !std::fs::read_link(format!("/proc/{}/exe", holder.id()))
        .is_ok_and(|exe| exe.ends_with("sleep"))
    {
        assert!(Instant::now() < deadline, "unshare never ran sleep");
        std::thread::sleep(Duration::from_millis(10));
    }
    holder
}

fn namespace_of(pid: i32, kind: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .unwrap()
        .display()
        .to_string()
}

/// `runtime run` inside a private mount namespace made for it, which first
/// prints that namespace.
fn run_in_private_mount_namespace(runtime: &Runtime, bundle: &str, id: &str) -> Output {
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("readlink /proc/self/ns/mnt && exec \"$@\"")
        .arg("sh")
        .arg(&runtime.exe)
        .arg("--root")
        .arg(runtime.root.path())
        .args(["run", "-b", bundle, id]);
    output_via_files(&mut command)
}

#[test]
fn runs_without_a_mount_namespace() {
    let dir = TempDir::new("runc-nomntns");
    let bundle = runc_bundle!(dir, &["true"]);
    std::fs::write(bundle.rootfs.path.join("marker"), MARKER).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", "readlink /proc/self/ns/mnt; cat /marker"]);
        spec["linux"]["namespaces"] =
            json!([{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}]);
        // runc refuses these without a mount namespace (checked below).
        let linux = spec["linux"].as_object_mut().unwrap();
        linux.remove("maskedPaths");
        linux.remove("readonlyPaths");
    });
    let bundle_dir = bundle.dir.to_str().unwrap();
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    for runtime in [Runtime::ours(), debian] {
        let _guard = runtime.guard("nomntns");
        let output = run_in_private_mount_namespace(&runtime, bundle_dir, "nomntns");
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        let text = stdout_of(&output);
        let lines: Vec<&str> = text.lines().collect();
        // The container shares the runtime's mount namespace, chrooted.
        assert_eq!(lines.len(), 3, "{}: {text}", runtime.name);
        assert_eq!(lines[0], lines[1], "{}: {text}", runtime.name);
        assert_eq!(lines[2], MARKER, "{}", runtime.name);
    }
}

#[test]
fn restricted_paths_need_a_mount_namespace() {
    let dir = TempDir::new("runc-nomntns-masked");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["linux"]["namespaces"] = json!([{"type": "pid"}, {"type": "uts"}]);
    });
    let bundle_dir = bundle.dir.to_str().unwrap();
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    for runtime in [Runtime::ours(), debian] {
        let _guard = runtime.guard("masked");
        let output = run_in_private_mount_namespace(&runtime, bundle_dir, "masked");
        assert!(!output.status.success(), "{}", runtime.name);
        assert!(
            stderr_of(&output)
                .contains("unable to restrict sys entries without a private MNT namespace"),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
    }
}

#[test]
fn joins_a_mount_namespace_by_path() {
    let dir = TempDir::new("runc-joinmnt");
    let bundle = runc_bundle!(dir, &["true"]);
    std::fs::write(bundle.rootfs.path.join("marker"), MARKER).unwrap();
    let bundle_dir = bundle.dir.to_str().unwrap();
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    for runtime in [Runtime::ours(), debian] {
        // Each run pivots the joined namespace away from the host tree, so
        // each runtime gets a namespace of its own.
        let holder = namespace_holder(&["--mount", "--propagation", "private"]);
        let joined = namespace_of(holder.id(), "mnt");
        bundle.edit_config(|spec| {
            spec["process"]["args"] =
                json!(["sh", "-c", "readlink /proc/self/ns/mnt; cat /marker"]);
            spec["linux"]["namespaces"] = json!([
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                {"type": "mount", "path": format!("/proc/{}/ns/mnt", holder.id())}
            ]);
        });
        let _guard = runtime.guard("joinmnt");
        let output = runtime.run(&["run", "-b", bundle_dir, "joinmnt"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        assert_eq!(
            stdout_of(&output),
            format!("{joined}\n{MARKER}"),
            "{}",
            runtime.name
        );
    }
}

#[test]
fn hostname_in_a_uts_namespace_given_by_path() {
    let dir = TempDir::new("runc-joinuts");
    let bundle = runc_bundle!(dir, &["hostname"]);
    let bundle_dir = bundle.dir.to_str().unwrap();
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    for runtime in [Runtime::ours(), debian] {
        let holder = namespace_holder(&["--uts"]);
        let name = format!("joined-{}", runtime.name);
        bundle.edit_config(|spec| {
            spec["hostname"] = json!(name);
            spec["linux"]["namespaces"] = json!([
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "mount"},
                {"type": "uts", "path": format!("/proc/{}/ns/uts", holder.id())}
            ]);
        });
        let _guard = runtime.guard("joinuts");
        let output = runtime.run(&["run", "-b", bundle_dir, "joinuts"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        assert_eq!(stdout_of(&output).trim(), name, "{}", runtime.name);
        // Set in the joined namespace itself, which outlives the container.
        let seen = Command::new("nsenter")
            .args(["--uts", "-t", &holder.id().to_string(), "hostname"])
            .output()
            .expect("nsenter");
        assert_eq!(stdout_of(&seen).trim(), name, "{}", runtime.name);
    }
}
