//! The `tmpcopyup` option: a tmpfs that starts with a copy of what the
//! directory under it held (Docker's `--tmpfs` over an image directory).

use super::{MountOptions, mount_fresh};
use crate::inroot::{Root, fd_path};
use crate::runtime::rootfs::{Result, RootfsError};
use oci_spec::runtime::Mount;
use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

pub fn mount_tmpfs_copy_up(
    root: &Root,
    mount: &Mount,
    destination: &Path,
    target: OwnedFd,
    options: &MountOptions,
    data: &str,
) -> Result<()> {
    // Opened before the mount, this descriptor keeps naming the directory
    // the tmpfs will cover; `/proc/self/fd/N` walks from it, not the mount.
    let covered = root.open_at(destination, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    mount_fresh(root, mount, destination, target, options, Some(data))?;
    let fresh = root.open_at(destination, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    copy_tree(&fd_path(covered.as_fd()), &fd_path(fresh.as_fd()))
        .map_err(|e| RootfsError::os("tmpcopyup into", destination, e))
}

/// Copies directories, files, symlinks and ownership; a symlink is copied as
/// a link and never followed, so the copy cannot reach outside `from`.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let source = entry.path();
        let copy = to.join(entry.file_name());
        let meta = fs::symlink_metadata(&source)?;
        let kind = meta.file_type();
        if kind.is_dir() {
            fs::create_dir(&copy)?;
            copy_tree(&source, &copy)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&source)?, &copy)?;
        } else if kind.is_file() {
            fs::copy(&source, &copy)?;
        } else if kind.is_socket() {
            // A socket is only meaningful bound to its process: skipped.
            continue;
        } else {
            make_node(&copy, meta.mode(), meta.rdev())?;
        }
        std::os::unix::fs::lchown(&copy, Some(meta.uid()), Some(meta.gid()))?;
        if !kind.is_symlink() {
            fs::set_permissions(&copy, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        }
    }
    Ok(())
}

/// A device node or fifo like the original.
fn make_node(path: &Path, mode: u32, rdev: u64) -> std::io::Result<()> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: c_path is NUL-terminated.
    if unsafe { libc::mknod(c_path.as_ptr(), mode, rdev) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
