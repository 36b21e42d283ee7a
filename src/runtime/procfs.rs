//! Writes into the container's procfs that no mount can redirect (the
//! CVE-2025-52881 class): whoever shares the mount namespace, or a hook,
//! may have mounted another file (a host file, or core_pattern from the
//! same procfs) over the one we mean to write, or over a directory on the
//! way. The file is opened below a /proc that must be a procfs, with
//! openat2's RESOLVE_NO_XDEV and no symlinks, so a crossed mount fails
//! with EXDEV instead of taking the write.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Writes `value` to `path`, an absolute path below /proc.
pub fn write(path: &Path, value: &[u8]) -> std::io::Result<()> {
    let relative = path
        .strip_prefix("/proc")
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let proc_dir = open_procfs_root()?;
    let c_relative = std::ffi::CString::new(relative.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: open_how is plain data.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (libc::O_WRONLY | libc::O_CLOEXEC | libc::O_NOCTTY) as u64;
    how.resolve = libc::RESOLVE_NO_XDEV | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: openat2 reads `how` (of the size passed) and the
    // NUL-terminated path; the returned fd is checked.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            proc_dir.as_raw_fd(),
            c_relative.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that we own.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    file.write_all(value)
}

/// /proc, which must be the root of a procfs (not a directory of the image
/// or another filesystem mounted there).
fn open_procfs_root() -> std::io::Result<OwnedFd> {
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: a NUL-terminated path; the returned fd is checked.
    let fd = unsafe { libc::open(c"/proc".as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: statfs is plain data filled by fstatfs.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs on our fd into a writable statfs.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut stat) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if stat.f_type != libc::PROC_SUPER_MAGIC {
        return Err(std::io::Error::from_raw_os_error(libc::EXDEV));
    }
    Ok(fd)
}
