//! /dev nodes, the console, user-namespace device binds, refused mounts
//! and root propagation, through the same fork-and-unshare driver.

use super::*;

#[test]
fn rootfs_spec_devices_and_console() {
    let Some((scratch, rootfs)) = prepare("rootfs_spec_devices_and_console") else {
        return;
    };
    // A host pty stands in for the launcher's console.
    // SAFETY: posix_openpt and friends on a descriptor we own.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(master >= 0);
    // SAFETY: master is an open pty master.
    assert_eq!(unsafe { libc::grantpt(master) + libc::unlockpt(master) }, 0);
    let mut name = [0 as libc::c_char; 64];
    // SAFETY: name is writable for its length.
    assert_eq!(
        unsafe { libc::ptsname_r(master, name.as_mut_ptr(), name.len()) },
        0
    );
    // SAFETY: ptsname_r wrote a NUL-terminated string.
    let slave = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let slave = PathBuf::from(slave.to_str().unwrap());
    let slave_minor = slave.file_name().unwrap().to_str().unwrap().to_string();

    let script = "ls -l /dev/fuse /dev/sub/null /dev/myfifo /dev/console /dev/null | \
                  tr -s ' '; echo ok > /dev/sub/null && echo nested-null-works";
    let mut spec = default_spec(script);
    spec["linux"]["devices"] = json!([
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o640, "uid": 1, "gid": 2},
        {"path": "/dev/sub/null", "type": "c", "major": 1, "minor": 3},
        {"path": "/dev/myfifo", "type": "p"},
        {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600}
    ]);
    let outcome = run_in_container(&spec, &rootfs, false, Some(&slave), script);
    // SAFETY: master is ours.
    unsafe { libc::close(master) };
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    let lines: Vec<&str> = outcome.output.lines().collect();
    let find = |suffix: &str| {
        lines
            .iter()
            .find(|l| l.ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in {}", outcome.output))
            .to_string()
    };
    assert!(
        find("/dev/fuse").starts_with("crw-r----- 1 1 2 10, 229 "),
        "{lines:?}"
    );
    assert!(
        find("/dev/sub/null").starts_with("crw-rw-rw- 1 root root 1, 3 "),
        "{lines:?}"
    );
    assert!(
        find("/dev/myfifo").starts_with("prw-rw-rw- 1 root root 0 "),
        "{lines:?}"
    );
    // The spec's /dev/null wins over the default one.
    assert!(
        find("/dev/null").starts_with("crw------- 1 root root 1, 3 "),
        "{lines:?}"
    );
    assert!(
        find("/dev/console").contains(&format!(" 136, {slave_minor} ")),
        "{lines:?}"
    );
    assert!(outcome.output.contains("nested-null-works"));
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_user_namespace_binds_host_device_nodes() {
    let Some((scratch, rootfs)) = prepare("rootfs_user_namespace_binds_host_device_nodes") else {
        return;
    };
    // The driver does not make the user namespace; the spec naming one is
    // what switches mknod to binds, which is what is checked here.
    let script = "grep ' /dev/null \\| /dev/zero ' /proc/self/mountinfo | cut -d' ' -f5,9; \
                  head -c 3 /dev/zero | wc -c";
    let mut spec = default_spec(script);
    spec["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "user"}));
    let outcome = run_in_container(&spec, &rootfs, false, None, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    assert_eq!(
        outcome.output,
        "/dev/null devtmpfs\n/dev/zero devtmpfs\n3\n"
    );
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_mounts_inside_proc_are_refused() {
    let Some((scratch, rootfs)) = prepare("rootfs_mounts_inside_proc_are_refused") else {
        return;
    };
    let mut spec = default_spec("true");
    push_mounts(
        &mut spec,
        json!([{"destination": "/proc/self/evil", "type": "tmpfs", "source": "tmpfs"}]),
    );
    let outcome = run_in_container(&spec, &rootfs, false, None, "true");
    assert_eq!(outcome.status, 120, "{}", outcome.output);
    assert!(
        outcome.output.contains("inside /proc refused")
            || outcome.output.contains("/proc/self/evil"),
        "{}",
        outcome.output
    );

    // A lxcfs-style bind over /proc/uptime is allowed.
    let fake = scratch.path().join("uptime");
    std::fs::write(&fake, "1.00 1.00\n").unwrap();
    let mut spec = default_spec("cat /proc/uptime");
    push_mounts(
        &mut spec,
        json!([{"destination": "/proc/uptime", "type": "bind", "source": fake, "options": ["bind"]}]),
    );
    let outcome = run_in_container(&spec, &rootfs, false, None, "cat /proc/uptime");
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    assert_eq!(outcome.output, "1.00 1.00\n");
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_propagation_is_honoured() {
    let Some((scratch, rootfs)) = prepare("rootfs_propagation_is_honoured") else {
        return;
    };
    let script = "grep '^[0-9]* [0-9]* [^ ]* [^ ]* / ' /proc/self/mountinfo";
    let root_line = |propagation: Option<&str>| {
        let mut spec = default_spec(script);
        if let Some(value) = propagation {
            spec["linux"]["rootfsPropagation"] = json!(value);
        }
        run_in_container(&spec, &rootfs, false, None, script)
    };
    let shared = root_line(Some("rshared"));
    assert_eq!(shared.status, 0, "{}", shared.output);
    assert!(shared.output.contains(" shared:"), "{}", shared.output);
    let private = root_line(Some("rprivate"));
    assert_eq!(private.status, 0, "{}", private.output);
    assert!(!private.output.contains("shared:") && !private.output.contains("master:"));
    let bogus = root_line(Some("sideways"));
    assert_eq!(bogus.status, 120);
    assert!(
        bogus
            .output
            .contains("linux.rootfsPropagation: \"sideways\" is not supported"),
        "{}",
        bogus.output
    );
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_initramfs_pivot_error_points_to_no_pivot() {
    assert!(is_initramfs_type("rootfs") && is_initramfs_type("ramfs"));
    assert!(!is_initramfs_type("ext4"));
    let error = RootfsError::PivotOnInitramfs {
        path: PathBuf::from("/b/rootfs"),
        source: std::io::Error::from_raw_os_error(libc::EINVAL),
    };
    let message = error.to_string();
    assert!(message.starts_with("pivot_root /b/rootfs: Invalid argument (os error 22)"));
    assert!(message.contains("--no-pivot"));
    assert!(
        matches!(&error, RootfsError::PivotOnInitramfs { source, .. }
            if source.raw_os_error() == Some(libc::EINVAL))
    );
}

/// The launcher's console: a pty from the container's own devpts after the
/// pivot, bound as `console::attach_slave` binds it.
fn open_container_pty() -> Result<()> {
    let pty = crate::runtime::console::open_pty(None)
        .map_err(|e| RootfsError::os("open", "/dev/ptmx", std::io::Error::other(e)))?;
    crate::runtime::console::bind_console(&pty)
        .map_err(|e| RootfsError::os("bind", "/dev/console", std::io::Error::other(e)))?;
    // A copy of the master without close-on-exec stays open (and is
    // inherited by the script) so that the slave lives on.
    // SAFETY: dup of an fd we own; the copy is left open on purpose.
    if unsafe { libc::dup(std::os::fd::AsRawFd::as_raw_fd(&pty.master)) } < 0 {
        return Err(RootfsError::last_os("dup", "/dev/ptmx"));
    }
    Ok(())
}

#[test]
fn rootfs_console_from_container_devpts() {
    let Some((scratch, rootfs)) = prepare("rootfs_console_from_container_devpts") else {
        return;
    };
    let script = "ls -l /dev/console /dev/pts | tr -s ' ' | cut -d' ' -f1,5,6,10";
    let launch = Launch {
        after_setup: Some(&open_container_pty),
        ..Launch::default()
    };
    let outcome = run_with(&default_spec(script), &rootfs, &launch, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    let lines: Vec<&str> = outcome.output.lines().collect();
    // The bind shows the slave itself, mode 0620 as devpts made it.
    assert_eq!(lines[0], "crw--w---- 136, 0 /dev/console", "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("crw--w---- 136, 0 0")),
        "{lines:?}"
    );
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_user_namespace_keeps_locked_flags() {
    let test = "rootfs_user_namespace_keeps_locked_flags";
    let Some((scratch, rootfs)) = prepare(test) else {
        return;
    };
    let locked = scratch.path().join("locked");
    std::fs::create_dir_all(&locked).unwrap();
    let mount_locked = || {
        mounts::mount_raw(
            Some(Path::new("tmpfs")),
            &locked,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some("size=1m"),
        )?;
        std::fs::write(locked.join("file"), "locked\n")
    };
    let script = "cat /mnt/locked/file; grep ' /mnt/locked ' /proc/self/mountinfo | cut -d' ' -f6; \
                  grep ' /dev/null ' /proc/self/mountinfo | cut -d' ' -f9; \
                  touch /x 2>/dev/null || echo root-readonly; wc -c < /proc/timer_list";
    let mut spec = default_spec(script);
    // gid 5 has no mapping here: drop it, as `runc spec --rootless` does.
    spec["mounts"][2]["options"] = json!([
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620"
    ]);
    push_mounts(
        &mut spec,
        json!([{"destination": "/mnt/locked", "type": "bind", "source": locked,
                "options": ["bind", "ro", "suid", "dev"]}]),
    );
    let launch = Launch {
        prelude: Some(&mount_locked),
        user_namespace: true,
        ..Launch::default()
    };
    let outcome = run_with(&spec, &rootfs, &launch, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    // ro was added; the nosuid and nodev the host locked were kept.
    assert_eq!(
        outcome.output,
        "locked\nro,nosuid,nodev,relatime\ndevtmpfs\nroot-readonly\n0\n"
    );
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_cgroup_namespace_mounts_fresh_hierarchies() {
    let test = "rootfs_cgroup_namespace_mounts_fresh_hierarchies";
    let Some((scratch, rootfs)) = prepare(test) else {
        return;
    };
    let script = "echo ==mountinfo==; grep ' /sys/fs/cgroup' /proc/self/mountinfo; \
                  echo ==checks==; ls /sys/fs/cgroup/pids/ | grep -c '^cgroup.procs$'; \
                  touch /sys/fs/cgroup/pids/x 2>/dev/null || echo readonly; echo ==end==";
    let with_cgroup_namespace = |spec: &mut Value| {
        spec["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "cgroup"}));
    };
    let mut spec = default_spec(script);
    with_cgroup_namespace(&mut spec);
    let outcome = run_in_container(&spec, &rootfs, false, None, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    let info = section(&outcome.output, "mountinfo");
    // Fresh mounts: every hierarchy's root is the namespace's root.
    for line in info.lines().filter(|l| l.contains(" - cgroup ")) {
        assert_eq!(line.split(' ').nth(3), Some("/"), "{info}");
    }
    assert_eq!(section(&outcome.output, "checks"), "1\nreadonly\n");
    assert_nothing_mounted_below(&scratch);
    let Some(reference) = run_under_runc(test, script, &[], with_cgroup_namespace) else {
        return;
    };
    assert_eq!(
        mountinfo_shape(info),
        mountinfo_shape(section(&reference, "mountinfo"))
    );
    assert_eq!(
        section(&outcome.output, "checks"),
        section(&reference, "checks")
    );
}

/// A cgroup v2 host, faked in the child's own mount namespace by putting
/// the unified hierarchy over /sys/fs/cgroup before the container starts.
fn fake_cgroup2_host() -> std::io::Result<()> {
    mounts::mount_raw(
        Some(Path::new("cgroup2")),
        Path::new("/sys/fs/cgroup"),
        Some("cgroup2"),
        0,
        None,
    )
}

#[test]
fn rootfs_cgroup2_host_gets_one_cgroup2_mount() {
    let test = "rootfs_cgroup2_host_gets_one_cgroup2_mount";
    let Some((scratch, rootfs)) = prepare(test) else {
        return;
    };
    let script = "grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f5,6,8; \
                  ls /sys/fs/cgroup | grep -c '^cgroup.procs$'";
    for user_namespace in [false, true] {
        let mut spec = default_spec(script);
        spec["mounts"][2]["options"] = json!(["nosuid", "noexec", "newinstance", "mode=0620"]);
        let launch = Launch {
            prelude: Some(&fake_cgroup2_host),
            user_namespace,
            ..Launch::default()
        };
        let outcome = run_with(&spec, &rootfs, &launch, script);
        assert_eq!(outcome.status, 0, "{}", outcome.output);
        // In a user namespace without a cgroup namespace the kernel refuses
        // a new cgroup2 mount, and the host's is bound instead.
        assert_eq!(
            outcome.output, "/sys/fs/cgroup ro,nosuid,nodev,noexec,relatime cgroup2\n1\n",
            "user namespace: {user_namespace}"
        );
    }
    assert_nothing_mounted_below(&scratch);
}

#[test]
fn rootfs_dev_bound_from_host_is_left_alone() {
    let Some((scratch, rootfs)) = prepare("rootfs_dev_bound_from_host_is_left_alone") else {
        return;
    };
    // As runc: a bound /dev gets no nodes, no ptmx link, no symlinks.
    let script = "ls -l /dev/ptmx | cut -c1; test -e /dev/stdin || echo no-stdin-link; \
                  grep -c ' /dev rw' /proc/self/mountinfo";
    let mut spec = default_spec(script);
    spec["mounts"] = json!([
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "bind", "source": "/dev", "options": ["rbind", "nosuid"]}
    ]);
    let outcome = run_in_container(&spec, &rootfs, false, None, script);
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    let host_stdin_link = Path::new("/dev/stdin").exists();
    let expected = if host_stdin_link {
        "c\n1\n"
    } else {
        "c\nno-stdin-link\n1\n"
    };
    assert_eq!(outcome.output, expected);
    assert_nothing_mounted_below(&scratch);
}

/// The mounts are made and the host is still in view: drop a marker into
/// the container's /dev through the host path of the rootfs.
fn mark_before_pivot() -> std::result::Result<(), BoxedError> {
    let table = MountInfo::read_own()?;
    let dev = table
        .entries
        .iter()
        .rev()
        .find(|entry| entry.mount_point.ends_with("rootfs/dev") && entry.fs_type == "tmpfs")
        .ok_or("no /dev tmpfs below the rootfs yet")?;
    std::fs::write(dev.mount_point.join("marker"), "before pivot\n")?;
    Ok(())
}

fn fail_before_pivot() -> std::result::Result<(), BoxedError> {
    Err("hook exited with status 3".into())
}

#[test]
fn rootfs_before_pivot_step_sees_the_mounts() {
    let Some((scratch, rootfs)) = prepare("rootfs_before_pivot_step_sees_the_mounts") else {
        return;
    };
    let launch = Launch {
        before_pivot: Some(mark_before_pivot),
        ..Launch::default()
    };
    let outcome = run_with(
        &default_spec("cat /dev/marker"),
        &rootfs,
        &launch,
        "cat /dev/marker",
    );
    assert_eq!(outcome.status, 0, "{}", outcome.output);
    assert_eq!(outcome.output, "before pivot\n");
    let launch = Launch {
        before_pivot: Some(fail_before_pivot),
        ..Launch::default()
    };
    let outcome = run_with(&default_spec("true"), &rootfs, &launch, "true");
    assert_eq!(outcome.status, 120);
    assert_eq!(
        outcome.output,
        "setup_rootfs: before pivot_root: hook exited with status 3\n"
    );
    assert_nothing_mounted_below(&scratch);
}
