//! /dev inside the container: the nodes every container gets, the spec's
//! linux.devices, /dev/ptmx into the container's devpts, the /proc/self/fd
//! symlinks and the console. All created below descriptors resolved in-root.

use super::mounts::mount_raw;
use super::rootfs::{Result, RootfsError, c_path};
use crate::inroot::{Root, fd_path};
use oci_spec::runtime::{LinuxDevice, LinuxDeviceType};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// A device node to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    pub path: PathBuf,
    /// S_IFCHR, S_IFBLK or S_IFIFO.
    pub kind: libc::mode_t,
    pub major: u32,
    pub minor: u32,
    pub mode: libc::mode_t,
    pub uid: u32,
    pub gid: u32,
}

/// The nodes runc gives every container, as `ls -l /dev` shows them there.
pub fn default_devices() -> Vec<DeviceNode> {
    [
        ("/dev/null", 1, 3),
        ("/dev/random", 1, 8),
        ("/dev/full", 1, 7),
        ("/dev/tty", 5, 0),
        ("/dev/zero", 1, 5),
        ("/dev/urandom", 1, 9),
    ]
    .into_iter()
    .map(|(path, major, minor)| DeviceNode {
        path: PathBuf::from(path),
        kind: libc::S_IFCHR,
        major,
        minor,
        mode: 0o666,
        uid: 0,
        gid: 0,
    })
    .collect()
}

impl DeviceNode {
    pub fn from_spec(device: &LinuxDevice) -> Result<DeviceNode> {
        let invalid = |reason: String| RootfsError::Spec {
            field: format!("linux.devices[{}]", device.path().display()),
            reason,
        };
        let kind = match device.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => libc::S_IFCHR,
            LinuxDeviceType::B => libc::S_IFBLK,
            LinuxDeviceType::P => libc::S_IFIFO,
            LinuxDeviceType::A => return Err(invalid("type \"a\" is no device node".into())),
        };
        let number = |n: i64, what: &str| {
            u32::try_from(n).map_err(|_| invalid(format!("{what} number {n} is out of range")))
        };
        Ok(DeviceNode {
            path: device.path().clone(),
            kind,
            major: number(device.major(), "major")?,
            minor: number(device.minor(), "minor")?,
            mode: device.file_mode().unwrap_or(0o666) & 0o7777,
            uid: device.uid().unwrap_or(0),
            gid: device.gid().unwrap_or(0),
        })
    }
}

/// The default nodes (unless the spec lists the same path) and the spec's
/// devices. In a user namespace mknod is refused, so the host's node is
/// bound over an empty file instead.
pub fn create_devices(root: &Root, spec_devices: &[LinuxDevice], bind_nodes: bool) -> Result<()> {
    let mut nodes: Vec<DeviceNode> = spec_devices
        .iter()
        .map(DeviceNode::from_spec)
        .collect::<Result<_>>()?;
    for default in default_devices() {
        if !nodes.iter().any(|node| node.path == default.path) {
            nodes.push(default);
        }
    }
    let _umask = UmaskGuard::clear();
    for node in &nodes {
        create_node(root, node, bind_nodes)?;
    }
    Ok(())
}

fn create_node(root: &Root, node: &DeviceNode, bind_nodes: bool) -> Result<()> {
    let (parent, name) = split_parent(&node.path)?;
    let parent_fd = root.mkdir_all(parent, 0o755)?;
    if bind_nodes {
        return bind_host_node(root, node);
    }
    let c_name = c_path(name)?;
    let dev = libc::makedev(node.major, node.minor);
    // SAFETY: parent_fd is a directory; c_name is NUL-terminated.
    let made = unsafe {
        libc::mknodat(
            parent_fd.as_raw_fd(),
            c_name.as_ptr(),
            node.kind | node.mode,
            dev,
        )
    };
    if made != 0 {
        let error = std::io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::EEXIST) => Ok(()),
            Some(libc::EPERM) => bind_host_node(root, node),
            _ => Err(RootfsError::os("mknod", &node.path, error)),
        };
    }
    // SAFETY: as above; AT_SYMLINK_NOFOLLOW keeps chown on the new node.
    let owned = unsafe {
        libc::fchownat(
            parent_fd.as_raw_fd(),
            c_name.as_ptr(),
            node.uid,
            node.gid,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if owned != 0 {
        return Err(RootfsError::last_os("chown", &node.path));
    }
    Ok(())
}

fn bind_host_node(root: &Root, node: &DeviceNode) -> Result<()> {
    let target = root.create_file(&node.path, 0o666)?;
    mount_raw(
        Some(&node.path),
        &fd_path(target.as_fd()),
        Some("bind"),
        libc::MS_BIND,
        None,
    )
    .map_err(|e| RootfsError::os("bind host device node onto", &node.path, e))
}

/// /dev/ptmx becomes a link into the container's own devpts instance.
pub fn setup_ptmx(root: &Root) -> Result<()> {
    let dev = root.mkdir_all(Path::new("/dev"), 0o755)?;
    let name = c"ptmx";
    // SAFETY: dev is a directory fd; name is NUL-terminated.
    if unsafe { libc::unlinkat(dev.as_raw_fd(), name.as_ptr(), 0) } != 0 {
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::ENOENT) {
            return Err(RootfsError::os("remove", "/dev/ptmx", error));
        }
    }
    symlink_at(&dev, "pts/ptmx", "ptmx", false)
}

/// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr (and /dev/core when the
/// host has /proc/kcore), as runc makes them.
pub fn setup_dev_symlinks(root: &Root) -> Result<()> {
    let dev = root.mkdir_all(Path::new("/dev"), 0o755)?;
    let mut links = vec![
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ];
    if Path::new("/proc/kcore").exists() {
        links.push(("/proc/kcore", "core"));
    }
    for (target, name) in links {
        symlink_at(&dev, target, name, true)?;
    }
    Ok(())
}

fn symlink_at(dir: &OwnedFd, target: &str, name: &str, existing_ok: bool) -> Result<()> {
    let c_target = c_path(Path::new(target))?;
    let c_name = c_path(Path::new(name))?;
    // SAFETY: dir is a directory fd; both strings are NUL-terminated.
    if unsafe { libc::symlinkat(c_target.as_ptr(), dir.as_raw_fd(), c_name.as_ptr()) } != 0 {
        let error = std::io::Error::last_os_error();
        if !(existing_ok && error.raw_os_error() == Some(libc::EEXIST)) {
            return Err(RootfsError::os(
                format!("symlink {target} at"),
                Path::new("/dev").join(name),
                error,
            ));
        }
    }
    Ok(())
}

/// Binds the pty slave `console` (a path as this process sees it now) over
/// a /dev/console file, as runc does for `terminal: true`.
pub fn bind_console(root: &Root, console: &Path) -> Result<()> {
    let target = {
        let _umask = UmaskGuard::clear();
        root.create_file(Path::new("/dev/console"), 0o666)?
    };
    mount_raw(
        Some(console),
        &fd_path(target.as_fd()),
        Some("bind"),
        libc::MS_BIND,
        None,
    )
    .map_err(|e| {
        RootfsError::os(
            format!("bind {} onto", console.display()),
            "/dev/console",
            e,
        )
    })
}

/// Once in the new root, stdio that was the host's /dev/null becomes the
/// container's, so nothing keeps a reference to a host mount.
pub fn reopen_dev_null() -> Result<()> {
    let path = c"/dev/null";
    // SAFETY: path is NUL-terminated; the fd is checked.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(RootfsError::last_os("open", "/dev/null"));
    }
    // SAFETY: a fresh descriptor that we own.
    let dev_null = unsafe { OwnedFd::from_raw_fd(fd) };
    let null_rdev = fstat_raw(dev_null.as_raw_fd())
        .map_err(|e| RootfsError::os("fstat", "/dev/null", e))?
        .st_rdev;
    for stdio in 0..3 {
        let Ok(stat) = fstat_raw(stdio) else { continue };
        if stat.st_mode & libc::S_IFMT == libc::S_IFCHR && stat.st_rdev == null_rdev {
            // SAFETY: both fds are open; dup3 replaces `stdio` atomically.
            if unsafe { libc::dup3(dev_null.as_raw_fd(), stdio, 0) } < 0 {
                return Err(RootfsError::last_os(
                    format!("reopen fd {stdio} as"),
                    "/dev/null",
                ));
            }
        }
    }
    Ok(())
}

fn fstat_raw(fd: i32) -> std::io::Result<libc::stat> {
    // SAFETY: stat is plain data, filled by the kernel.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: stat is writable; a bad fd gives EBADF.
    if unsafe { libc::fstat(fd, &mut stat) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(stat)
}

fn split_parent(path: &Path) -> Result<(&Path, &Path)> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok((parent, Path::new(name))),
        _ => Err(RootfsError::Spec {
            field: format!("linux.devices[{}]", path.display()),
            reason: "a device needs a path below /".to_string(),
        }),
    }
}

/// umask(0) for exact modes, restored on drop (the init is single-threaded).
struct UmaskGuard(libc::mode_t);

impl UmaskGuard {
    fn clear() -> UmaskGuard {
        // SAFETY: umask has no preconditions.
        UmaskGuard(unsafe { libc::umask(0) })
    }
}

impl Drop for UmaskGuard {
    fn drop(&mut self) {
        // SAFETY: umask has no preconditions.
        unsafe { libc::umask(self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_spec_devices_convert() {
        let device: LinuxDevice = serde_json::from_str(
            r#"{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":8630,"uid":1,"gid":2}"#,
        )
        .unwrap();
        let node = DeviceNode::from_spec(&device).unwrap();
        assert_eq!(node.kind, libc::S_IFCHR);
        assert_eq!((node.major, node.minor), (10, 229));
        assert_eq!(node.mode, 0o666);
        assert_eq!((node.uid, node.gid), (1, 2));
        let all: LinuxDevice = serde_json::from_str(r#"{"path":"/dev/x","type":"a"}"#).unwrap();
        assert!(DeviceNode::from_spec(&all).is_err());
        assert_eq!(default_devices().len(), 6);
    }
}
