//! The spec's `mounts[]`, one function per kind of mount, each onto a
//! destination resolved inside the rootfs; and the remounts of
//! finish_rootfs (read-only and masked paths).

use super::mount_options::MountOptions;
use super::rootfs::{Result, RootfsError, c_path};
use crate::inroot::{InRootError, Root, fd_path};
use libc::c_ulong;
use oci_spec::runtime::Mount;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

#[path = "cgroup_mount.rs"]
mod cgroup_mount;
#[path = "copy_up.rs"]
pub mod copy_up;
#[path = "mountinfo.rs"]
mod mountinfo;
pub use mountinfo::MountInfo;

pub struct MountContext<'a> {
    pub root: &'a Root,
    /// The container has a cgroup namespace: cgroup filesystems are mounted
    /// fresh instead of bound from the host.
    pub cgroup_namespace: bool,
}

/// Flags every cgroup mount gets, as runc.
pub(super) const CGROUP_FLAGS: c_ulong = libc::MS_NOEXEC | libc::MS_NOSUID | libc::MS_NODEV;

/// mount(2). `target` is a path the kernel resolves: inside the rootfs it
/// must be a `/proc/self/fd/N` of a descriptor resolved in-root.
pub fn mount_raw(
    source: Option<&Path>,
    target: &Path,
    fs_type: Option<&str>,
    flags: c_ulong,
    data: Option<&str>,
) -> std::io::Result<()> {
    let c = |bytes: &[u8]| {
        CString::new(bytes).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))
    };
    let source = source.map(|s| c(s.as_os_str().as_bytes())).transpose()?;
    let target = c(target.as_os_str().as_bytes())?;
    let fs_type = fs_type.map(|t| c(t.as_bytes())).transpose()?;
    let data = data
        .filter(|d| !d.is_empty())
        .map(|d| c(d.as_bytes()))
        .transpose()?;
    let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: every pointer is NUL-terminated or null, as mount(2) allows.
    let result = unsafe {
        libc::mount(
            ptr(&source),
            target.as_ptr(),
            ptr(&fs_type),
            flags,
            ptr(&data).cast(),
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `destination` made absolute and lexically clean, for comparisons.
pub fn clean(destination: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in destination.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// tmpfs mounts and /dev are mounted writable, so that /dev can be filled
/// and modes set; finish_rootfs makes them read-only as asked.
pub fn is_deferred_readonly(mount: &Mount, options: &MountOptions) -> bool {
    (mount.typ().as_deref() == Some("tmpfs") && !options.is_bind())
        || clean(mount.destination()) == Path::new("/dev")
}

/// `source_fd`: an O_PATH fd of a bind's source, opened by the runtime as
/// the host's root (see `mount_sources`): the bind is made from it, since
/// our mapped root may not reach the source by its path.
pub fn mount_entry(
    context: &MountContext,
    mount: &Mount,
    options: &MountOptions,
    source_fd: Option<BorrowedFd<'_>>,
) -> Result<()> {
    let destination = clean(mount.destination());
    if mount.uid_mappings().is_some() || mount.gid_mappings().is_some() {
        return Err(RootfsError::Spec {
            field: format!("mounts[{}]", destination.display()),
            reason: "id-mapped mounts are not supported".to_string(),
        });
    }
    let fs_type = mount.typ().as_deref().unwrap_or("");
    if options.is_bind() || fs_type == "bind" {
        let source = mount.source().as_deref().ok_or_else(|| RootfsError::Spec {
            field: format!("mounts[{}].source", destination.display()),
            reason: "a bind mount needs a source".to_string(),
        })?;
        let source =
            std::path::absolute(source).map_err(|e| RootfsError::os("make absolute", source, e))?;
        let flags = options.flags | libc::MS_BIND;
        let from = source_fd.map(fd_path);
        let from = from.as_deref().unwrap_or(&source);
        return bind_from(context.root, &source, from, &destination, flags, options);
    }
    match fs_type {
        "proc" | "sysfs" => {
            refuse_non_directory(context.root, &destination, fs_type)?;
            let target = context.root.mkdir_all(&destination, 0o755)?;
            mount_fresh(context.root, mount, &destination, target, options, None)
        }
        "tmpfs" => mount_tmpfs(context.root, mount, &destination, options),
        // An explicit "cgroup2" is an ordinary mount, as in runc.
        "cgroup" => cgroup_mount::mount_cgroup(context, mount, &destination, options),
        _ => {
            let target = context.root.mkdir_all(&destination, 0o755)?;
            check_proc_destination(context.root, &target, &destination, None)?;
            mount_fresh(context.root, mount, &destination, target, options, None)
        }
    }
}

/// proc and sysfs go only onto a real directory, never through a symlink
/// or onto a file swapped in by the image.
fn refuse_non_directory(root: &Root, destination: &Path, fs_type: &str) -> Result<()> {
    match root.open_at(destination, libc::O_PATH | libc::O_NOFOLLOW, 0) {
        Ok(fd) if !is_directory(&fd) => Err(RootfsError::os(
            format!(
                "mount {fs_type}: filesystem {fs_type:?} must be mounted on ordinary directory at"
            ),
            destination,
            std::io::Error::from_raw_os_error(libc::ENOTDIR),
        )),
        Ok(_) => Ok(()),
        Err(InRootError::Io { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

fn mount_tmpfs(
    root: &Root,
    mount: &Mount,
    destination: &Path,
    options: &MountOptions,
) -> Result<()> {
    // An existing directory keeps its mode unless the options say otherwise.
    let (target, data) = match root.open_path(destination) {
        Ok(fd) => {
            let mode = fstat(&fd, destination)?.st_mode & 0o7777;
            let mut data = format!("mode={mode:04o}");
            if !options.data.is_empty() {
                data = format!("{data},{}", options.data);
            }
            (fd, data)
        }
        Err(InRootError::Io { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {
            (root.mkdir_all(destination, 0o755)?, options.data.clone())
        }
        Err(error) => return Err(error.into()),
    };
    if options.copy_up {
        return copy_up::mount_tmpfs_copy_up(root, mount, destination, target, options, &data);
    }
    mount_fresh(root, mount, destination, target, options, Some(&data))
}

/// A new filesystem instance (not a bind) onto `target`, then the
/// propagation and recursive attributes the options ask for.
pub(super) fn mount_fresh(
    root: &Root,
    mount: &Mount,
    destination: &Path,
    target: OwnedFd,
    options: &MountOptions,
    data: Option<&str>,
) -> Result<()> {
    let fs_type = mount.typ().as_deref().unwrap_or("");
    let mut flags = options.flags;
    if fs_type == "tmpfs" || destination == Path::new("/dev") {
        flags &= !libc::MS_RDONLY;
    }
    let source = mount
        .source()
        .clone()
        .unwrap_or_else(|| PathBuf::from(fs_type));
    mount_raw(
        Some(&source),
        &fd_path(target.as_fd()),
        Some(fs_type),
        flags,
        Some(data.unwrap_or(&options.data)),
    )
    .map_err(|e| RootfsError::os(format!("mount {fs_type} onto"), destination, e))?;
    drop(target);
    apply_propagation(root, destination, options)
}

/// A bind (or rbind with MS_REC) of the host path `source`. mount(2) ignores
/// most flags on a bind, so a second MS_REMOUNT|MS_BIND call applies them.
pub(super) fn bind(
    root: &Root,
    source: &Path,
    destination: &Path,
    flags: c_ulong,
    options: &MountOptions,
) -> Result<()> {
    bind_from(root, source, source, destination, flags, options)
}

/// [`bind`] of `source` as reached through `from` (itself, or the
/// `/proc/self/fd/N` of an fd the runtime opened for us).
fn bind_from(
    root: &Root,
    source: &Path,
    from: &Path,
    destination: &Path,
    flags: c_ulong,
    options: &MountOptions,
) -> Result<()> {
    let source_is_dir = std::fs::metadata(from)
        .map_err(|e| RootfsError::os("stat bind source", source, e))?
        .is_dir();
    let target = if source_is_dir {
        root.mkdir_all(destination, 0o755)?
    } else {
        root.create_file(destination, 0o755)?
    };
    check_proc_destination(root, &target, destination, Some(from))?;
    mount_raw(
        Some(from),
        &fd_path(target.as_fd()),
        None,
        flags & (libc::MS_BIND | libc::MS_REC),
        None,
    )
    .map_err(|e| RootfsError::os(format!("bind {} onto", source.display()), destination, e))?;
    drop(target);
    if flags & !(libc::MS_REC | libc::MS_REMOUNT | libc::MS_BIND) != 0 {
        // MS_REC means nothing to a remount: like runc, only the top mount
        // of an rbind changes (`rro` and friends reach the submounts).
        let target = root.open_path(destination)?;
        let remount_flags = (flags & !libc::MS_REC) | libc::MS_REMOUNT | libc::MS_BIND;
        remount_keeping_locked(&target, destination, remount_flags)?;
    }
    apply_propagation(root, destination, options)
}

/// MS_REMOUNT|MS_BIND with `flags`. Flags the kernel locked on the source
/// (a mount from a more privileged namespace: nosuid, nodev, noexec, ro)
/// cannot be cleared, so on EPERM they are kept and the call retried.
fn remount_keeping_locked(target: &OwnedFd, destination: &Path, flags: c_ulong) -> Result<()> {
    let path = fd_path(target.as_fd());
    match mount_raw(None, &path, None, flags, None) {
        Ok(()) => Ok(()),
        Err(error) if error.raw_os_error() == Some(libc::EPERM) => {
            let locked = statfs_flags(target, destination)?
                & (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC);
            if locked & !flags == 0 {
                return Err(RootfsError::os("remount", destination, error));
            }
            mount_raw(None, &path, None, flags | locked, None)
                .map_err(|e| RootfsError::os("remount", destination, e))
        }
        Err(error) => Err(RootfsError::os("remount", destination, error)),
    }
}

/// The mount just made is reopened: the old descriptor still names what it
/// covers.
fn apply_propagation(root: &Root, destination: &Path, options: &MountOptions) -> Result<()> {
    if options.propagation.is_empty() && !options.has_recursive_attributes() {
        return Ok(());
    }
    let target = root.open_path(destination)?;
    for &flag in &options.propagation {
        mount_raw(None, &fd_path(target.as_fd()), None, flag, None)
            .map_err(|e| RootfsError::os("change mount propagation of", destination, e))?;
    }
    if options.has_recursive_attributes() {
        set_recursive_attributes(&target, destination, options)?;
    }
    Ok(())
}

/// mount_setattr(2) with AT_RECURSIVE, for `rro`, `rnosuid` and the like.
fn set_recursive_attributes(
    target: &OwnedFd,
    destination: &Path,
    options: &MountOptions,
) -> Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    let attr = MountAttr {
        attr_set: options.recursive_set,
        attr_clr: options.recursive_clear,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: attr is a live struct of the size passed; "" is NUL-terminated.
    let result = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            target.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if result != 0 {
        return Err(RootfsError::last_os(
            "mount_setattr (recursive options)",
            destination,
        ));
    }
    Ok(())
}

/// Inside /proc only /proc itself (with a proc source) and the few files
/// lxcfs emulates may be mounted over, as runc allows.
fn check_proc_destination(
    root: &Root,
    target: &OwnedFd,
    destination: &Path,
    source: Option<&Path>,
) -> Result<()> {
    const ALLOWED: &[&str] = &[
        "/proc/cpuinfo",
        "/proc/diskstats",
        "/proc/meminfo",
        "/proc/stat",
        "/proc/swaps",
        "/proc/uptime",
        "/proc/loadavg",
        "/proc/slabinfo",
        "/proc/net/dev",
        "/proc/sys/kernel/ns_last_pid",
    ];
    let read_link = |fd: std::os::fd::BorrowedFd<'_>| {
        std::fs::read_link(fd_path(fd)).map_err(|e| RootfsError::os("readlink", destination, e))
    };
    let resolved = read_link(target.as_fd())?;
    let Ok(inside) = resolved.strip_prefix(read_link(root.fd())?) else {
        return Err(RootfsError::os(
            "mount target escaped the rootfs:",
            resolved,
            std::io::Error::from_raw_os_error(libc::EXDEV),
        ));
    };
    let inside = Path::new("/").join(inside);
    let Ok(below_proc) = inside.strip_prefix("/proc") else {
        return Ok(());
    };
    if below_proc.as_os_str().is_empty() {
        let source_is_proc = source
            .is_none_or(|s| statfs_path(s).is_ok_and(|fs_type| fs_type == libc::PROC_SUPER_MAGIC));
        if source_is_proc {
            return Ok(());
        }
        return Err(RootfsError::os(
            "mount onto /proc: source is not of type proc:",
            destination,
            std::io::Error::from_raw_os_error(libc::EPERM),
        ));
    }
    if ALLOWED.iter().any(|allowed| inside == Path::new(allowed)) {
        return Ok(());
    }
    Err(RootfsError::os(
        "mount inside /proc refused:",
        destination,
        std::io::Error::from_raw_os_error(libc::EPERM),
    ))
}

/// finish_rootfs: remount a mount point of the container read-only,
/// keeping its other flags.
pub fn remount_readonly(path: &Path) -> Result<()> {
    let flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
    if mount_raw(None, path, None, flags, None).is_ok() {
        return Ok(());
    }
    let current = statfs_flags_path(path)?;
    mount_raw(None, path, None, flags | current, None)
        .map_err(|e| RootfsError::os("remount read-only", path, e))
}

/// linux.readonlyPaths: a read-only bind of the path onto itself. A path
/// the container does not have is skipped.
pub fn readonly_path(path: &Path) -> Result<()> {
    match mount_raw(Some(path), path, None, libc::MS_BIND | libc::MS_REC, None) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
        Err(e) => return Err(RootfsError::os("bind read-only path", path, e)),
        Ok(()) => {}
    }
    let kept = statfs_flags_path(path)? & (libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC);
    let flags = kept | libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
    mount_raw(Some(path), path, None, flags, None)
        .map_err(|e| RootfsError::os("remount read-only path", path, e))
}

/// linux.maskedPaths: the null device over a file, an empty read-only
/// tmpfs over a directory; a path the container does not have is skipped.
/// The container's /dev/null is opened once, without following a symlink,
/// checked to be the character device 1:3 and bound through its fd: a
/// rootfs whose /dev/null names something else (core_pattern, say) would
/// otherwise hand that to every masked path (the CVE-2025-31133 class).
pub fn mask_paths<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<()> {
    let mut null_device = None;
    for path in paths {
        let c_target = c_path(path)?;
        // SAFETY: stat is plain data, filled by the kernel.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: c_target is NUL-terminated; st is writable.
        if unsafe { libc::stat(c_target.as_ptr(), &mut st) } != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::ENOENT) {
                continue;
            }
            return Err(RootfsError::os("stat masked path", path, error));
        }
        if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            mount_raw(
                Some(Path::new("tmpfs")),
                path,
                Some("tmpfs"),
                libc::MS_RDONLY,
                None,
            )
            .map_err(|e| RootfsError::os("mask directory with tmpfs", path, e))?;
            continue;
        }
        let null = match &null_device {
            Some(null) => null,
            None => null_device.insert(open_null_device()?),
        };
        bind_fd_onto(null, path).map_err(|e| RootfsError::os("mask with /dev/null", path, e))?;
    }
    Ok(())
}

/// `/dev/null` as an O_PATH fd, refused unless it is the null device.
fn open_null_device() -> Result<OwnedFd> {
    let path = Path::new("/dev/null");
    // SAFETY: the path is NUL-terminated; the fd is checked.
    let fd = unsafe {
        libc::open(
            c"/dev/null".as_ptr(),
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(RootfsError::last_os("open for masked paths", path));
    }
    // SAFETY: a fresh descriptor that we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let st = fstat(&fd, path)?;
    let kind = st.st_mode & libc::S_IFMT;
    let (major, minor) = (libc::major(st.st_rdev), libc::minor(st.st_rdev));
    if kind != libc::S_IFCHR || (major, minor) != (1, 3) {
        let found = match kind {
            libc::S_IFLNK => "a symlink".to_string(),
            libc::S_IFCHR => format!("the character device {major}:{minor}"),
            libc::S_IFBLK => format!("the block device {major}:{minor}"),
            _ => format!("no device (mode {:o})", st.st_mode),
        };
        return Err(RootfsError::Spec {
            field: "linux.maskedPaths".into(),
            reason: format!(
                "/dev/null in the container is {found}, not the null device (character 1:3): \
                 refusing to bind it over masked paths"
            ),
        });
    }
    Ok(fd)
}

/// A bind mount of the file behind `fd` onto `target`: open_tree and
/// move_mount need no /proc; kernels before 5.2 take `/proc/self/fd/N`.
fn bind_fd_onto(fd: &OwnedFd, target: &Path) -> std::io::Result<()> {
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 4;
    // SAFETY: an empty path with AT_EMPTY_PATH names `fd` itself.
    let tree = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            fd.as_raw_fd(),
            c"".as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | libc::AT_EMPTY_PATH as libc::c_uint,
        )
    };
    if tree < 0 {
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::ENOSYS) {
            return Err(error);
        }
        return mount_raw(
            Some(&fd_path(fd.as_fd())),
            target,
            None,
            libc::MS_BIND,
            None,
        );
    }
    // SAFETY: a fresh descriptor that we own.
    let tree = unsafe { OwnedFd::from_raw_fd(tree as i32) };
    let c_target = CString::new(target.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: both paths are NUL-terminated; the tree fd is ours.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            c_target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn is_directory(fd: &OwnedFd) -> bool {
    fstat(fd, Path::new("")).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

pub(super) fn fstat(fd: &OwnedFd, path: &Path) -> Result<libc::stat> {
    // SAFETY: stat is plain data, filled by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open; st is writable.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(RootfsError::last_os("fstat", path));
    }
    Ok(st)
}

/// The ST_* flags of the mount holding `fd`; for the flags used here they
/// equal the MS_* ones.
fn statfs_flags(fd: &OwnedFd, path: &Path) -> Result<c_ulong> {
    // SAFETY: statvfs is plain data, filled by the kernel.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open; stat is writable.
    if unsafe { libc::fstatvfs(fd.as_raw_fd(), &mut stat) } != 0 {
        return Err(RootfsError::last_os("statvfs", path));
    }
    Ok(mount_flags_of(stat.f_flag as c_ulong))
}

fn statfs_flags_path(path: &Path) -> Result<c_ulong> {
    let c_path = c_path(path)?;
    // SAFETY: statvfs is plain data, filled by the kernel.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated; stat is writable.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(RootfsError::last_os("statvfs", path));
    }
    Ok(mount_flags_of(stat.f_flag as c_ulong))
}

/// statvfs's f_flag has internal bits (ST_VALID) besides the mount flags.
fn mount_flags_of(st_flags: c_ulong) -> c_ulong {
    st_flags
        & (libc::MS_RDONLY
            | libc::MS_NOSUID
            | libc::MS_NODEV
            | libc::MS_NOEXEC
            | libc::MS_SYNCHRONOUS
            | libc::MS_MANDLOCK
            | libc::MS_NOATIME
            | libc::MS_NODIRATIME
            | libc::MS_RELATIME)
}

/// The filesystem magic of `path`.
pub(super) fn statfs_path(path: &Path) -> Result<libc::__fsword_t> {
    let c_path = c_path(path)?;
    // SAFETY: statfs is plain data, filled by the kernel.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated; stat is writable.
    if unsafe { libc::statfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(RootfsError::last_os("statfs", path));
    }
    Ok(stat.f_type)
}
