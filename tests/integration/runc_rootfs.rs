//! The container rootfs end to end: `dockbox runc run` and Debian's runc on
//! the same busybox bundle, compared by /dev listing and mountinfo shape
//! (mount points, per-mount options and types; not ids or roots), plus a
//! rootfs whose /etc is a symlink to a host directory, and `--no-pivot`.
//! Every container is under the test's own cgroup (a relative cgroupsPath)
//! and in its own network namespace.

use crate::harness::busybox::Bundle;
use crate::harness::netns::in_new_netns;
use crate::harness::{self, TempDir, report_skip, stderr_of, stdout_of};
use crate::require;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DEBIAN_RUNC: &str = "/usr/sbin/runc";

#[derive(Clone, Copy, Debug)]
enum Runtime {
    Ours,
    Debian,
}

/// `RUNTIME --root STATE run [flags] --bundle BUNDLE ID`, stdin closed.
fn run_container(
    runtime: Runtime,
    bundle: &Bundle,
    state: &Path,
    id: &str,
    flags: &[&str],
) -> Output {
    let mut command = match runtime {
        Runtime::Ours => {
            let mut command = Command::new(harness::dockbox());
            command.arg("runc");
            command
        }
        Runtime::Debian => Command::new(DEBIAN_RUNC),
    };
    command
        .arg("--root")
        .arg(state)
        .arg("run")
        .args(flags)
        .arg("--bundle")
        .arg(&bundle.dir)
        .arg(id)
        .stdin(Stdio::null());
    harness::run(in_new_netns(&mut command))
}

/// Whether our runc applet can run containers yet; says so when not.
fn ours_is_implemented(test: &str, output: &Output) -> bool {
    if !output.status.success() && stderr_of(output).contains("not implemented") {
        report_skip(test, "runc applet not implemented yet");
        return false;
    }
    true
}

fn need_debian_runc() -> Result<(), String> {
    if Path::new(DEBIAN_RUNC).is_file() {
        Ok(())
    } else {
        Err(format!("Debian's runc is not installed at {DEBIAN_RUNC}"))
    }
}

/// A bundle in `dir` running `sh -c script`, its cgroup relative to ours.
fn bundle_running(dir: &Path, script: &str) -> Option<Bundle> {
    let bundle = match Bundle::build(dir, &["sh", "-c", script]) {
        Ok(bundle) => bundle,
        Err(reason) => {
            report_skip("runc_rootfs", &reason);
            return None;
        }
    };
    // Unique per test and runtime: tests run in parallel, and one's
    // delete must not remove the cgroup another is entering.
    let name = |path: &Path| path.file_name().unwrap().to_string_lossy().into_owned();
    let cgroup = format!(
        "dockbox-rootfs-{}-{}",
        dir.parent().map(name).unwrap_or_default(),
        name(dir)
    );
    bundle.edit_config(|spec| spec["linux"]["cgroupsPath"] = json!(cgroup));
    Some(bundle)
}

/// Runs `script` under both runtimes on twin bundles (edited by `edit`) and
/// gives (ours, Debian's) stdout. None after a skip. Each run must succeed
/// and leave no mount and no state behind.
fn run_both(
    test: &str,
    script: &str,
    flags: &[&str],
    edit: impl Fn(&Bundle),
) -> Option<(String, String)> {
    let dir = TempDir::new("runc-rootfs");
    let mut outputs = Vec::new();
    for (runtime, name) in [(Runtime::Ours, "ours"), (Runtime::Debian, "debian")] {
        let bundle = bundle_running(&dir.join(name), script)?;
        edit(&bundle);
        let state = dir.join(&format!("state-{name}"));
        let id = format!("{test}-{name}-{}", std::process::id());
        let output = run_container(runtime, &bundle, &state, &id, flags);
        if matches!(runtime, Runtime::Ours) && !ours_is_implemented(test, &output) {
            return None;
        }
        assert!(
            output.status.success(),
            "{runtime:?} runc failed: {}{}",
            stdout_of(&output),
            stderr_of(&output)
        );
        // Other work on the machine may mount elsewhere; a leak from the
        // container would show below the bundle.
        let leaked: Vec<String> = own_mount_points()
            .into_iter()
            .filter(|point| Path::new(point).starts_with(dir.path()))
            .collect();
        assert_eq!(leaked, Vec::<String>::new(), "{runtime:?} left a mount");
        let leftovers: Vec<PathBuf> = std::fs::read_dir(&state)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert_eq!(leftovers, Vec::<PathBuf>::new(), "{runtime:?} left state");
        outputs.push(stdout_of(&output));
    }
    let debian = outputs.pop()?;
    let ours = outputs.pop()?;
    Some((ours, debian))
}

fn own_mount_points() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split(' ').nth(4).map(str::to_string))
        .collect()
}

/// `ls -l` lines without link counts, sizes and dates.
fn listing_shape(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with("total"))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let is_device = line.starts_with('c') || line.starts_with('b');
            let mut shape = vec![fields[0], fields[2], fields[3]];
            if is_device {
                shape.extend(&fields[4..6]);
            }
            shape.extend(&fields[if is_device { 9 } else { 8 }..]);
            shape.join(" ")
        })
        .collect()
}

/// mountinfo without ids and roots: mount point, per-mount options, type.
fn mountinfo_shape(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split(' ').collect();
            let fs_type = after.split(' ').next()?;
            // A device node bound from the host's devtmpfs is runc's
            // fallback when its mknod is refused, which happens to runc
            // now and then on this host; the node itself is what counts,
            // and the /dev listing test compares it.
            let mount_point = fields.get(4)?;
            if fs_type == "devtmpfs" && mount_point.starts_with("/dev/") {
                return None;
            }
            Some(format!("{mount_point} {} {fs_type}", fields.get(5)?))
        })
        .collect()
}

#[test]
fn runc_rootfs_dev_listing_matches_runc() {
    require!(harness::need_root());
    require!(need_debian_runc());
    let test = "runc_rootfs_dev_listing_matches_runc";
    let Some((ours, debian)) = run_both(test, "ls -l /dev", &[], |_| {}) else {
        return;
    };
    let ours = listing_shape(&ours);
    assert!(
        ours.iter()
            .any(|l| l == "lrwxrwxrwx root root ptmx -> pts/ptmx"),
        "{ours:#?}"
    );
    assert_eq!(ours, listing_shape(&debian));
}

#[test]
fn runc_rootfs_mountinfo_shape_matches_runc() {
    require!(harness::need_root());
    require!(need_debian_runc());
    let test = "runc_rootfs_mountinfo_shape_matches_runc";
    let script = "cat /proc/self/mountinfo; echo ==; cat /proc/timer_list; \
                  touch /x 2>/dev/null || echo root-readonly";
    let Some((ours, debian)) = run_both(test, script, &[], |_| {}) else {
        return;
    };
    let (ours_info, ours_rest) = ours.split_once("==\n").expect("marker");
    let (debian_info, debian_rest) = debian.split_once("==\n").expect("marker");
    assert_eq!(ours_rest, "root-readonly\n");
    assert_eq!(ours_rest, debian_rest);
    assert_eq!(mountinfo_shape(ours_info), mountinfo_shape(debian_info));
}

#[test]
fn runc_rootfs_symlink_escape_stays_inside() {
    require!(harness::need_root());
    require!(need_debian_runc());
    let test = "runc_rootfs_symlink_escape_stays_inside";
    let host = TempDir::new("runc-rootfs-host");
    let outside = host.join("outside");
    let payload = host.join("payload");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::write(payload.join("secret"), "payload\n").unwrap();
    let script = "cat /etc/evil/secret; ls -A /etc/scratch; readlink /etc";
    let edit = |bundle: &Bundle| {
        let etc = bundle.rootfs.path.join("etc");
        std::fs::remove_dir_all(&etc).unwrap();
        std::os::unix::fs::symlink(&outside, &etc).unwrap();
        bundle.edit_config(|spec| {
            let mounts = spec["mounts"].as_array_mut().unwrap();
            mounts.push(json!({"destination": "/etc/evil", "type": "bind",
                               "source": payload, "options": ["rbind", "ro"]}));
            mounts.push(json!({"destination": "/etc/scratch", "type": "tmpfs", "source": "tmpfs"}));
        });
    };
    let Some((ours, debian)) = run_both(test, script, &[], edit) else {
        return;
    };
    assert_eq!(ours, format!("payload\n{}\n", outside.display()));
    assert_eq!(ours, debian);
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "host dir was touched"
    );
    assert_eq!(std::fs::read_dir(&payload).unwrap().count(), 1);
}

#[test]
fn runc_rootfs_no_pivot_matches_runc() {
    require!(harness::need_root());
    require!(need_debian_runc());
    let test = "runc_rootfs_no_pivot_matches_runc";
    let script = "cat /proc/self/mountinfo; echo ==; ls /; touch /x 2>/dev/null || echo ro";
    let Some((ours, debian)) = run_both(test, script, &["--no-pivot"], |_| {}) else {
        return;
    };
    let (ours_info, ours_rest) = ours.split_once("==\n").expect("marker");
    let (debian_info, debian_rest) = debian.split_once("==\n").expect("marker");
    assert!(
        ours_rest.contains("bin\n") && ours_rest.ends_with("ro\n"),
        "{ours_rest}"
    );
    assert_eq!(ours_rest, debian_rest);
    assert_eq!(mountinfo_shape(ours_info), mountinfo_shape(debian_info));
}

#[test]
fn runc_rootfs_bind_options_match_runc() {
    require!(harness::need_root());
    require!(need_debian_runc());
    let test = "runc_rootfs_bind_options_match_runc";
    let host = TempDir::new("runc-rootfs-binds");
    let source = host.join("source");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("file"), "from host\n").unwrap();
    let script = "grep ' /mnt\\| /etc' /proc/self/mountinfo; echo ==; \
                  touch /mnt/ro/x 2>/dev/null || echo ro-refused; cat /mnt/file; \
                  head -n 1 /etc/passwd; ls -ld /mnt/tmp | cut -c1-10";
    let edit = |bundle: &Bundle| {
        bundle.edit_config(|spec| {
            let mounts = spec["mounts"].as_array_mut().unwrap();
            mounts.extend([
                json!({"destination": "/mnt/ro", "type": "bind", "source": source,
                       "options": ["rbind", "ro", "nosuid", "nodev", "noexec", "rprivate"]}),
                json!({"destination": "/mnt/file", "type": "bind",
                       "source": source.join("file"), "options": ["bind", "ro"]}),
                json!({"destination": "/mnt/tmp", "type": "tmpfs", "source": "tmpfs",
                       "options": ["mode=1777", "size=1m", "noexec"]}),
                json!({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                       "options": ["tmpcopyup", "ro"]}),
            ]);
        });
    };
    let Some((ours, debian)) = run_both(test, script, &[], edit) else {
        return;
    };
    let (ours_info, ours_rest) = ours.split_once("==\n").expect("marker");
    let (debian_info, debian_rest) = debian.split_once("==\n").expect("marker");
    assert_eq!(
        ours_rest,
        "ro-refused\nfrom host\nroot:x:0:0:root:/root:/bin/sh\ndrwxrwxrwt\n"
    );
    assert_eq!(ours_rest, debian_rest);
    assert_eq!(mountinfo_shape(ours_info), mountinfo_shape(debian_info));
    assert_eq!(std::fs::read_dir(&source).unwrap().count(), 1);
}
