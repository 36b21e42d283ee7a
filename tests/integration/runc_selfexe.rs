//! CVE-2019-5736: a container must never reach the host's dockbox binary
//! through /proc/PID/exe of the runtime's processes. The init runs from a
//! detached read-only view of the binary (or a sealed memfd copy), which no
//! one can write.

use crate::harness::busybox::sha256_hex;
use crate::harness::{self, TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;

#[test]
fn container_cannot_write_the_runtime_binary() {
    check_runtime_binary_is_unwritable("runc-cve", &[]);
}

/// The same through MS_MOVE and chroot, the initramfs hosts' path.
#[test]
fn container_cannot_write_the_runtime_binary_without_pivot_root() {
    check_runtime_binary_is_unwritable("runc-cve-no-pivot", &["--no-pivot"]);
}

fn check_runtime_binary_is_unwritable(label: &str, root_switch: &[&str]) {
    let dir = TempDir::new(label);
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let host_binary = harness::dockbox();
    let hash_before = sha256_hex(&std::fs::read(&host_binary).unwrap());
    let ours = Runtime::ours();
    let _victim = ours.guard("victim");
    let bundle_dir = bundle.dir.to_str().unwrap();
    // Created, not started: the init still runs dockbox code.
    ours.ok(&[&["create"], root_switch, &["-b", bundle_dir, "victim"]].concat());
    let pid = ours.state("victim")["pid"].as_i64().unwrap();

    // From the host, as root: the init's exe is not the host binary's path,
    // and even root cannot open it for writing.
    let exe = format!("/proc/{pid}/exe");
    let host_path = std::fs::canonicalize(&host_binary).unwrap();
    let target = std::fs::read_link(&exe).unwrap();
    assert_ne!(target, host_path, "init runs from the host binary");
    assert!(
        std::fs::OpenOptions::new().append(true).open(&exe).is_err(),
        "the init's executable opened for writing"
    );
    assert_eq!(sha256_hex(&std::fs::read(&exe).unwrap()), hash_before);

    // From a container sharing the victim's pid namespace, as (uncapped)
    // root: try to overwrite pid 1's executable.
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "readlink /proc/1/exe; \
             if echo pwned >> /proc/1/exe; then echo WROTE; else echo DENIED; fi; \
             if echo pwned > /proc/1/exe; then echo WROTE; else echo DENIED; fi"
        ]);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid", "path": format!("/proc/{pid}/ns/pid")},
            {"type": "network"}, {"type": "mount"}
        ]);
        spec.as_object_mut().unwrap().remove("hostname");
        // Uncapped: every capability, CAP_SYS_PTRACE included.
        spec["process"]
            .as_object_mut()
            .unwrap()
            .remove("capabilities");
    });
    let _attacker = ours.guard("attacker");
    let output = ours.run(&[&["run"], root_switch, &["-b", bundle_dir, "attacker"]].concat());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let lines: Vec<String> = stdout_of(&output).lines().map(str::to_string).collect();
    assert_ne!(lines[0], host_path.display().to_string(), "{lines:?}");
    assert_eq!(lines[1..], ["DENIED", "DENIED"], "{}", stderr_of(&output));

    ours.ok(&["start", "victim"]);
    ours.ok(&["delete", "--force", "victim"]);
    let hash_after = sha256_hex(&std::fs::read(&host_binary).unwrap());
    assert_eq!(hash_before, hash_after, "the host binary changed");
}
