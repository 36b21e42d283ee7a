//! `DOCKER_RAMDISK` in the daemon's environment: containers get their root
//! by MS_MOVE over "/" and chroot, as on an initramfs host (where the VM
//! test checks the detection), and stay as tightly enclosed as with
//! pivot_root.

use crate::daemon_run::{Leftovers, daemon_with_busybox_env, ok, skip_unless_ready};
use crate::require;

/// The container's "/" line of /proc/self/mountinfo: (mount id, parent id).
fn root_mount_ids(mountinfo: &str) -> (u64, u64) {
    let line = mountinfo
        .lines()
        .find(|line| line.split(' ').nth(4) == Some("/"))
        .unwrap_or_else(|| panic!("no / in\n{mountinfo}"));
    let mut fields = line.split(' ').map(|f| f.parse::<u64>().unwrap_or(0));
    (fields.next().unwrap(), fields.next().unwrap())
}

#[test]
fn ramdisk_daemon_moves_the_rootfs_and_nothing_escapes_the_chroot() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox_env("ramdisk", &[("DOCKER_RAMDISK", "1")]);
    let _leftovers = Leftovers::of(&daemon);

    // From inside, a moved root looks like a pivoted one (that is the
    // point), so the daemon's choice is read where it hands it over: the
    // shim's config in the container's bundle.
    let id = ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "moved", "busybox", "sleep", "100"]),
    );
    let shim_config = daemon.dir.join("exec").join(id.trim()).join("shim.json");
    let shim_config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&shim_config).unwrap()).unwrap();
    assert_eq!(shim_config["no_pivot"], true, "{shim_config}");
    ok(&daemon, &daemon.docker(&["rm", "-f", "moved"]));
    // The host's root mount, under the moved rootfs, is out of sight.
    let mountinfo = ok(
        &daemon,
        &daemon.docker(&["run", "--rm", "busybox", "cat", "/proc/self/mountinfo"]),
    );
    let (_, parent) = root_mount_ids(&mountinfo);
    assert!(
        !mountinfo
            .lines()
            .any(|line| line.split(' ').next() == Some(&parent.to_string())),
        "the host's root mount is visible:\n{mountinfo}"
    );

    // The classic chroot escape: chroot into a subdirectory while the
    // working directory stays outside it (busybox nsenter -r does exactly
    // that, with the CAP_SYS_CHROOT a container has by default), then
    // climb. ".." at the top of the moved rootfs lands on "/" of the
    // namespace, which is the rootfs again.
    let marker = daemon.dir.join("host-marker");
    std::fs::write(&marker, "host secret\n").unwrap();
    let escape = format!(
        "mkdir /jail && cp /bin/busybox /jail/ && echo container > /container-marker && cd / && \
         nsenter -r/jail /busybox sh -c '\
           echo jail: $(/busybox ls /); \
           echo above: $(/busybox ls ../../../../..); \
           /busybox cat ../../../../../container-marker; \
           /busybox cat ../../../../..{marker} || echo no-host-marker'",
        marker = marker.display()
    );
    let output = ok(
        &daemon,
        &daemon.docker(&["run", "--rm", "busybox", "sh", "-c", &escape]),
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], "jail: busybox", "not chrooted: {output}");
    assert!(
        lines[1].contains("container-marker") && lines[1].contains("jail"),
        "'..' left the container's root: {output}"
    );
    assert_eq!(lines[2..], ["container", "no-host-marker"], "{output}");
}
