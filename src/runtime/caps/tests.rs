//! Capability tests: parsing, and enforcement on busybox in a private UTS
//! namespace (so `hostname` never touches the host).

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use oci_spec::runtime::{Capabilities, Capability, LinuxCapabilities, LinuxCapabilitiesBuilder};

use super::*;

fn set(caps: &[Capability]) -> Capabilities {
    caps.iter().copied().collect()
}

fn all_five(caps: &[Capability]) -> LinuxCapabilities {
    LinuxCapabilitiesBuilder::default()
        .bounding(set(caps))
        .effective(set(caps))
        .inheritable(set(caps))
        .permitted(set(caps))
        .ambient(set(caps))
        .build()
        .unwrap()
}

#[test]
fn names_parse_and_unknown_names_are_errors() {
    assert_eq!(
        parse_capability("CAP_SYS_ADMIN").unwrap(),
        caps::Capability::CAP_SYS_ADMIN
    );
    assert_eq!(
        parse_capability("net_admin").unwrap(),
        caps::Capability::CAP_NET_ADMIN
    );
    let err = parse_capability("CAP_MAKE_COFFEE").unwrap_err().to_string();
    assert!(
        err.contains("unknown capability \"CAP_MAKE_COFFEE\""),
        "{err}"
    );
}

#[test]
fn capabilities_beyond_the_kernel_are_skipped() {
    let caps = Some(set(&[
        Capability::Chown,
        Capability::SysAdmin,
        Capability::CheckpointRestore,
    ]));
    // As if the kernel stopped at CAP_SYS_MODULE (16).
    assert_eq!(
        mask_of(&caps, 16).unwrap(),
        1u64 << caps::Capability::CAP_CHOWN.index()
    );
    assert_eq!(
        mask_of(&caps, 40).unwrap(),
        (1u64 << caps::Capability::CAP_CHOWN.index())
            | (1u64 << caps::Capability::CAP_SYS_ADMIN.index())
            | (1u64 << 40)
    );
}

fn skip_unless_root() -> bool {
    if !nix::unistd::geteuid().is_root() {
        crate::test_skip::report("capability tests need root");
        return true;
    }
    if !std::path::Path::new("/bin/busybox").exists() {
        crate::test_skip::report("/bin/busybox missing");
        return true;
    }
    false
}

/// Runs `script` as `uid` with `plan`, in a new UTS namespace.
fn run_with(plan: CapabilityPlan, uid: u32, script: &str) -> (bool, String, String) {
    let mut command = Command::new("/bin/busybox");
    command.args(["sh", "-c", script]).stdin(Stdio::null());
    // SAFETY: the hook only makes syscalls.
    unsafe {
        command.pre_exec(move || {
            let fail = |e: String| std::io::Error::other(e);
            if libc::unshare(libc::CLONE_NEWUTS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            plan.prepare_for_setuid().map_err(|e| fail(e.to_string()))?;
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(uid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            plan.apply_after_setuid().map_err(|e| fail(e.to_string()))
        });
    }
    let out = command.output().expect("spawn busybox");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn status_field(status: &str, field: &str) -> u64 {
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in {status}"));
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

#[test]
fn dropped_sys_admin_shows_in_capeff_and_hostname_fails() {
    if skip_unless_root() {
        return;
    }
    let caps = [
        Capability::Chown,
        Capability::Kill,
        Capability::NetBindService,
        Capability::Setuid,
    ];
    let plan = CapabilityPlan::new(&all_five(&caps)).unwrap();
    let (_, status, _) = run_with(plan, 0, "cat /proc/self/status");
    assert_eq!(status_field(&status, "CapEff:"), plan.effective, "{status}");
    assert_eq!(status_field(&status, "CapBnd:"), plan.bounding, "{status}");
    assert_eq!(
        plan.effective & (1u64 << caps::Capability::CAP_SYS_ADMIN.index()),
        0
    );
    let (ok, _, stderr) = run_with(plan, 0, "hostname dockbox-caps-test");
    assert!(!ok, "hostname succeeded without CAP_SYS_ADMIN");
    assert!(stderr.contains("Operation not permitted"), "{stderr}");
    // The same shell with CAP_SYS_ADMIN may: the namespace keeps the host safe.
    let with_admin = CapabilityPlan::new(&all_five(&[Capability::SysAdmin])).unwrap();
    let (ok, stdout, stderr) = run_with(with_admin, 0, "hostname dockbox-caps-test && hostname");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "dockbox-caps-test\n");
}

#[test]
fn non_root_user_keeps_ambient_capabilities_across_setuid() {
    if skip_unless_root() {
        return;
    }
    let nobody = 65534;
    let caps = [Capability::SysAdmin, Capability::NetBindService];
    let plan = CapabilityPlan::new(&all_five(&caps)).unwrap();
    let (ok, out, stderr) = run_with(plan, nobody, "id -u; cat /proc/self/status");
    assert!(ok, "{stderr}");
    assert!(out.starts_with("65534\n"), "{out}");
    assert_eq!(status_field(&out, "CapAmb:"), plan.ambient);
    assert_eq!(status_field(&out, "CapEff:"), plan.effective);
    let (ok, stdout, stderr) = run_with(plan, nobody, "hostname dockbox-ambient && hostname");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "dockbox-ambient\n");

    // Without ambient capabilities the same user ends up with none at all.
    let mut no_ambient = all_five(&caps);
    no_ambient.set_ambient(None);
    let plan = CapabilityPlan::new(&no_ambient).unwrap();
    let (_, out, _) = run_with(plan, nobody, "cat /proc/self/status");
    assert_eq!(status_field(&out, "CapEff:"), 0, "{out}");
    let (ok, _, _) = run_with(plan, nobody, "hostname dockbox-ambient");
    assert!(!ok);
}

#[test]
fn granting_a_capability_the_runtime_lacks_names_it() {
    if skip_unless_root() {
        return;
    }
    let held = held_permitted().expect("capget");
    let Some(lacking) = (0..=last_supported_cap()).find(|bit| held & (1u64 << bit) == 0) else {
        crate::test_skip::report("the test process holds every capability");
        return;
    };
    let plan = CapabilityPlan {
        effective: 1u64 << lacking,
        permitted: 1u64 << lacking,
        ..CapabilityPlan::default()
    };
    let mut command = Command::new("/bin/busybox");
    command.arg("true");
    // SAFETY: the hook only makes syscalls.
    unsafe {
        command.pre_exec(move || match plan.apply_after_setuid() {
            Err(CapError::NotHeld { missing }) if missing == 1u64 << lacking => {
                Err(std::io::Error::from_raw_os_error(libc::EPERM))
            }
            Err(_) => Err(std::io::Error::from_raw_os_error(libc::EINVAL)),
            Ok(()) => Ok(()),
        });
    }
    let err = command.status().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    let message = CapError::NotHeld {
        missing: 1u64 << lacking,
    }
    .to_string();
    assert!(message.contains("CAP_"), "{message}");
}
