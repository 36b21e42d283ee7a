//! The container's root filesystem: the host tree made private, the rootfs
//! bound onto itself, the spec's mounts and /dev set up inside it, then
//! pivot_root (or MS_MOVE and chroot with `--no-pivot`); after the launcher
//! has written hostname and sysctls, the masked and read-only paths and a
//! read-only root.
//!
//! Every destination inside the rootfs is resolved by [`crate::inroot`] and
//! mounted onto as `/proc/self/fd/N`, so a symlink in the rootfs can never
//! send a mount to the host.

use super::devices;
use super::mount_options::{MountOptions, parse_rootfs_propagation};
use super::mount_sources::BindSourceFds;
use super::mounts::{self, MountContext, MountInfo};
use crate::inroot::{InRootError, Root};
use libc::c_ulong;
use oci_spec::runtime::{LinuxNamespaceType, Spec};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("{op} {path}: {source}")]
    Sys {
        op: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    InRoot(#[from] InRootError),
    #[error("{field}: {reason}")]
    Spec { field: String, reason: String },
    #[error("before pivot_root: {0}")]
    BeforePivot(BoxedError),
    #[error(
        "pivot_root {path}: {source}: the host root is an initramfs (rootfs), where \
         pivot_root is impossible; run with --no-pivot"
    )]
    PivotOnInitramfs {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, RootfsError>;

/// What a caller's `before_pivot` step may fail with.
pub type BoxedError = Box<dyn std::error::Error + Send + Sync>;

impl RootfsError {
    /// The error of the last failed syscall, naming what was done to what.
    pub(super) fn last_os(op: impl Into<String>, path: impl Into<PathBuf>) -> RootfsError {
        RootfsError::os(op, path, std::io::Error::last_os_error())
    }

    pub(super) fn os(
        op: impl Into<String>,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> RootfsError {
        RootfsError::Sys {
            op: op.into(),
            path: path.into(),
            source,
        }
    }
}

pub struct RootfsSetup<'a> {
    pub spec: &'a Spec,
    /// Absolute, canonical host path of the rootfs.
    pub rootfs: &'a Path,
    /// runc's `--no-pivot`: MS_MOVE the rootfs onto / and chroot.
    pub no_pivot: bool,
    /// The container has a mount namespace (new or joined). Without one,
    /// runc still makes every mount (in the namespace it shares) and only
    /// chroots into the rootfs; so do we.
    pub mount_namespace: bool,
    /// A pty slave (a path in the mount namespace as it is before the call)
    /// to bind onto /dev/console.
    pub console: Option<&'a Path>,
    /// fds of bind sources the runtime opened for us, by mount index.
    pub bind_sources: Option<&'a BindSourceFds>,
}

/// Called in the container's init, already in its new mount namespace (and
/// user namespace, maps written). Relative bind sources are taken from the
/// current directory, which the launcher sets to the bundle, as runc does.
/// `before_pivot` runs once every mount is in place but the host tree is
/// still visible: where runc runs the `createContainer` hooks.
pub fn setup_rootfs_with(
    setup: &RootfsSetup,
    before_pivot: impl FnOnce() -> std::result::Result<(), BoxedError>,
) -> Result<()> {
    let spec = setup.spec;
    let linux = spec.linux().as_ref();
    let propagation_name = linux.and_then(|l| l.rootfs_propagation().as_deref());
    let propagation =
        parse_rootfs_propagation(propagation_name).ok_or_else(|| RootfsError::Spec {
            field: "linux.rootfsPropagation".to_string(),
            reason: format!("{:?} is not supported", propagation_name.unwrap_or("")),
        })?;
    prepare_root(setup.rootfs, propagation)?;
    let root = Root::open(setup.rootfs)?;

    let has_namespace = |kind: LinuxNamespaceType| {
        linux
            .and_then(|l| l.namespaces().as_ref())
            .is_some_and(|all| all.iter().any(|ns| ns.typ() == kind))
    };
    let context = MountContext {
        root: &root,
        cgroup_namespace: has_namespace(LinuxNamespaceType::Cgroup),
    };
    let mut dev_is_bind = false;
    for (index, mount) in spec.mounts().iter().flatten().enumerate() {
        let options = MountOptions::parse(mount.options().as_deref().unwrap_or_default());
        if mounts::clean(mount.destination()) == Path::new("/dev")
            && (options.is_bind() || mount.typ().as_deref() == Some("bind"))
        {
            dev_is_bind = true;
        }
        let source_fd = setup.bind_sources.and_then(|fds| fds.get(index));
        mounts::mount_entry(&context, mount, &options, source_fd)?;
    }

    // As runc: a /dev bound from the host is left as it is; anything else
    // gets the default nodes, the spec's devices, ptmx and the symlinks.
    if !dev_is_bind {
        let in_user_namespace = has_namespace(LinuxNamespaceType::User);
        let spec_devices = linux
            .and_then(|l| l.devices().as_deref())
            .unwrap_or_default();
        devices::create_devices(&root, spec_devices, in_user_namespace)?;
        devices::setup_ptmx(&root)?;
        devices::setup_dev_symlinks(&root)?;
    }
    if let Some(console) = setup.console {
        devices::bind_console(&root, console)?;
    }
    before_pivot().map_err(RootfsError::BeforePivot)?;

    if setup.no_pivot {
        move_root(&root)?;
    } else if setup.mount_namespace {
        pivot_root(&root)?;
    } else {
        chroot_into(&root)?;
    }
    if !dev_is_bind {
        devices::reopen_dev_null()?;
    }
    // pivot_root refuses a shared new root, so shared and unbindable wait
    // until it is "/" (as runc applies them).
    if propagation & (libc::MS_SHARED | libc::MS_UNBINDABLE) != 0 {
        mounts::mount_raw(None, Path::new("/"), None, propagation, None)
            .map_err(|e| RootfsError::os("set rootfsPropagation of", "/", e))?;
    }
    chdir(Path::new("/"))
}

/// Called after setup_rootfs_with and after the launcher wrote hostname and
/// sysctls: read-only tmpfs mounts and /dev, the read-only root,
/// linux.readonlyPaths and linux.maskedPaths.
pub fn finish_rootfs(spec: &Spec) -> Result<()> {
    for mount in spec.mounts().iter().flatten() {
        let options = MountOptions::parse(mount.options().as_deref().unwrap_or_default());
        if options.flags & libc::MS_RDONLY != 0 && mounts::is_deferred_readonly(mount, &options) {
            mounts::remount_readonly(&mounts::clean(mount.destination()))?;
        }
    }
    if spec.root().as_ref().and_then(|r| r.readonly()) == Some(true) {
        mounts::remount_readonly(Path::new("/"))?;
    }
    let linux = spec.linux().as_ref();
    for path in linux
        .and_then(|l| l.readonly_paths().as_deref())
        .unwrap_or_default()
    {
        mounts::readonly_path(Path::new(path))?;
    }
    let masked = linux.and_then(|l| l.masked_paths().as_deref());
    mounts::mask_paths(masked.unwrap_or_default().iter().map(Path::new))
}

/// Host mounts may still reach the container (the default rslave), but
/// nothing the container mounts goes back. The rootfs then becomes a mount
/// of its own, which pivot_root needs.
fn prepare_root(rootfs: &Path, propagation: c_ulong) -> Result<()> {
    let first = if propagation & (libc::MS_SHARED | libc::MS_UNBINDABLE) != 0 {
        libc::MS_SLAVE | libc::MS_REC
    } else {
        propagation
    };
    mounts::mount_raw(None, Path::new("/"), None, first, None)
        .map_err(|e| RootfsError::os("make host mounts slave or private", "/", e))?;
    let table = MountInfo::read_own()?;
    if let Some(parent) = table.containing(rootfs)
        && parent.is_shared()
    {
        mounts::mount_raw(None, &parent.mount_point, None, libc::MS_PRIVATE, None)
            .map_err(|e| RootfsError::os("make private", &parent.mount_point, e))?;
    }
    mounts::mount_raw(
        Some(rootfs),
        rootfs,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )
    .map_err(|e| RootfsError::os("bind rootfs onto itself", rootfs, e))
}

/// pivot_root(".", ".") stacks the old root over the new one; detaching
/// "." then drops the whole host tree from this namespace.
fn pivot_root(root: &Root) -> Result<()> {
    let old_root = open_directory(Path::new("/"))?;
    fchdir(root.fd().as_raw_fd(), root.path())?;
    let dot = c"."; // both new_root and put_old
    // SAFETY: both arguments are NUL-terminated strings.
    if unsafe { libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) } != 0 {
        let source = std::io::Error::last_os_error();
        if source.raw_os_error() == Some(libc::EINVAL) && host_root_is_initramfs() {
            return Err(RootfsError::PivotOnInitramfs {
                path: root.path().to_path_buf(),
                source,
            });
        }
        return Err(RootfsError::os("pivot_root", root.path(), source));
    }
    fchdir(old_root.as_raw_fd(), Path::new("old root"))?;
    // rslave, not rprivate: the host may still hold references to mounts
    // it shares with us, and the unmount must not propagate to it.
    mounts::mount_raw(
        None,
        Path::new("."),
        None,
        libc::MS_SLAVE | libc::MS_REC,
        None,
    )
    .map_err(|e| RootfsError::os("make old root slave", "/", e))?;
    // SAFETY: the path is a NUL-terminated string.
    if unsafe { libc::umount2(dot.as_ptr(), libc::MNT_DETACH) } != 0 {
        return Err(RootfsError::last_os("detach old root", "/"));
    }
    Ok(())
}

/// `--no-pivot`: move the rootfs mount over "/" and chroot into it. Host
/// proc and sysfs mounts are dropped first: the kernel allows a new proc or
/// sysfs only where no covered full instance is visible.
fn move_root(root: &Root) -> Result<()> {
    let table = MountInfo::read_own()?;
    for entry in table.entries.iter().filter(|entry| {
        entry.root == Path::new("/")
            && matches!(entry.fs_type.as_str(), "proc" | "sysfs")
            && !entry.mount_point.starts_with(root.path())
    }) {
        let mount_point = &entry.mount_point;
        match mounts::mount_raw(None, mount_point, None, libc::MS_SLAVE | libc::MS_REC, None) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
            Err(e) => return Err(RootfsError::os("make slave", mount_point, e)),
            Ok(()) => {}
        }
        let c_path = c_path(mount_point)?;
        // SAFETY: c_path is NUL-terminated.
        if unsafe { libc::umount2(c_path.as_ptr(), libc::MNT_DETACH) } != 0 {
            let error = std::io::Error::last_os_error();
            if !matches!(error.raw_os_error(), Some(libc::EINVAL | libc::EPERM)) {
                return Err(RootfsError::os("detach", mount_point, error));
            }
            // Not ours to unmount (a locked mount): cover it instead.
            mounts::mount_raw(
                Some(Path::new("tmpfs")),
                mount_point,
                Some("tmpfs"),
                0,
                None,
            )
            .map_err(|e| RootfsError::os("cover with tmpfs", mount_point, e))?;
        }
    }
    fchdir(root.fd().as_raw_fd(), root.path())?;
    mounts::mount_raw(Some(root.path()), Path::new("/"), None, libc::MS_MOVE, None)
        .map_err(|e| RootfsError::os("move rootfs onto /", root.path(), e))?;
    let dot = c".";
    // SAFETY: the path is a NUL-terminated string.
    if unsafe { libc::chroot(dot.as_ptr()) } != 0 {
        return Err(RootfsError::last_os("chroot", root.path()));
    }
    Ok(())
}

/// Without a mount namespace of its own the container must leave the
/// shared tree alone: it only changes its root, as runc does.
fn chroot_into(root: &Root) -> Result<()> {
    fchdir(root.fd().as_raw_fd(), root.path())?;
    // SAFETY: the path is a NUL-terminated string.
    if unsafe { libc::chroot(c".".as_ptr()) } != 0 {
        return Err(RootfsError::last_os("chroot", root.path()));
    }
    Ok(())
}

/// pivot_root is impossible when "/" is the initial ramfs: it has no parent
/// mount to move out of the way. Launchers that pick the root switch
/// themselves (the shim, for the daemon) ask this once.
pub fn host_root_is_initramfs() -> bool {
    MountInfo::read_own().is_ok_and(|table| {
        table
            .entries
            .iter()
            .rev()
            .find(|entry| entry.mount_point == Path::new("/"))
            .is_some_and(|entry| is_initramfs_type(&entry.fs_type))
    })
}

pub(super) fn is_initramfs_type(fs_type: &str) -> bool {
    matches!(fs_type, "rootfs" | "ramfs")
}

fn open_directory(path: &Path) -> Result<OwnedFd> {
    let c_path = c_path(path)?;
    // SAFETY: c_path is NUL-terminated; the fd is checked.
    let fd = unsafe {
        libc::open(
            c_path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(RootfsError::last_os("open", path));
    }
    // SAFETY: a fresh descriptor that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fchdir(fd: i32, path: &Path) -> Result<()> {
    // SAFETY: fchdir has no memory-safety preconditions.
    if unsafe { libc::fchdir(fd) } != 0 {
        return Err(RootfsError::last_os("fchdir", path));
    }
    Ok(())
}

fn chdir(path: &Path) -> Result<()> {
    let c_path = c_path(path)?;
    // SAFETY: c_path is NUL-terminated.
    if unsafe { libc::chdir(c_path.as_ptr()) } != 0 {
        return Err(RootfsError::last_os("chdir", path));
    }
    Ok(())
}

pub(super) fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        RootfsError::os(
            "path with NUL byte",
            path,
            std::io::Error::from_raw_os_error(libc::EINVAL),
        )
    })
}

#[cfg(test)]
#[path = "rootfs_tests.rs"]
mod tests;
