//! Thin wrappers over the *at(2) system calls that the layer applier works
//! with: every call names a directory descriptor (resolved inside the root)
//! and one final name, and never follows a symlink in that name.

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

fn check(result: libc::c_int) -> io::Result<()> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub fn c_name(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// lstat of `name` in `dir`, or None if nothing is there.
pub fn lstat(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<Option<libc::stat>> {
    // SAFETY: stat is plain data, filled by the kernel on success.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: name is NUL-terminated and stat is writable.
    let result = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut stat,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    match check(result) {
        Ok(()) => Ok(Some(stat)),
        Err(error) if error.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(error) => Err(error),
    }
}

pub fn is_dir(stat: &libc::stat) -> bool {
    stat.st_mode & libc::S_IFMT == libc::S_IFDIR
}

pub fn open(dir: BorrowedFd<'_>, name: &CStr, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    // SAFETY: name is NUL-terminated; the returned fd is checked.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            mode,
        )
    };
    check(fd)?;
    // SAFETY: fd is a fresh descriptor that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn mkdir(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), mode) })
}

pub fn mknod(dir: BorrowedFd<'_>, name: &CStr, mode: u32, device: libc::dev_t) -> io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::mknodat(dir.as_raw_fd(), name.as_ptr(), mode, device) })
}

pub fn symlink(target: &CStr, dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    // SAFETY: both strings are NUL-terminated.
    check(unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) })
}

/// Hard-links the file open at `target` (an O_PATH descriptor) as `name`.
pub fn link_fd(target: BorrowedFd<'_>, dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    // SAFETY: the empty path is NUL-terminated; AT_EMPTY_PATH makes the
    // kernel link the descriptor itself, so no path is resolved again.
    let linked = check(unsafe {
        libc::linkat(
            target.as_raw_fd(),
            c"".as_ptr(),
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    });
    match linked {
        // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; without it the kernel
        // says ENOENT, and the descriptor's /proc link does the same job.
        Err(error) if error.raw_os_error() == Some(libc::ENOENT) => {
            let proc_path = CString::new(format!("/proc/self/fd/{}", target.as_raw_fd()))
                .expect("no NUL in a number");
            // SAFETY: both paths are NUL-terminated.
            check(unsafe {
                libc::linkat(
                    libc::AT_FDCWD,
                    proc_path.as_ptr(),
                    dir.as_raw_fd(),
                    name.as_ptr(),
                    libc::AT_SYMLINK_FOLLOW,
                )
            })
        }
        other => other,
    }
}

pub fn lchown(dir: BorrowedFd<'_>, name: &CStr, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe {
        libc::fchownat(
            dir.as_raw_fd(),
            name.as_ptr(),
            uid,
            gid,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// chmod of `name`, which the caller knows is no symlink.
pub fn chmod(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> io::Result<()> {
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::fchmodat(dir.as_raw_fd(), name.as_ptr(), mode, 0) })
}

/// Sets access and modification time of `name` (a symlink itself, if it
/// is one) to `mtime` seconds.
pub fn set_mtime(dir: BorrowedFd<'_>, name: &CStr, mtime: i64) -> io::Result<()> {
    let time = libc::timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    let times = [time, time];
    // SAFETY: name is NUL-terminated and times holds two timespecs.
    check(unsafe {
        libc::utimensat(
            dir.as_raw_fd(),
            name.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

/// lsetxattr on `name` in `dir`, through the directory's /proc fd link so
/// that only the final name is looked up, without following it.
pub fn set_xattr(dir: BorrowedFd<'_>, name: &CStr, key: &str, value: &[u8]) -> io::Result<()> {
    let mut path = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    path.extend_from_slice(name.to_bytes());
    let path = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let key = CString::new(key).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: path and key are NUL-terminated; value is readable.
    check(unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            key.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    })
}

/// lgetxattr, or None when the attribute is absent.
#[cfg(test)]
pub fn get_xattr(dir: BorrowedFd<'_>, name: &CStr, key: &str) -> io::Result<Option<Vec<u8>>> {
    let mut path = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
    path.extend_from_slice(name.to_bytes());
    let path = CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let key = CString::new(key).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut buffer = vec![0u8; 4096];
    // SAFETY: path and key are NUL-terminated; buffer is writable.
    let length = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            key.as_ptr(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
        )
    };
    if length < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ENODATA) => Ok(None),
            _ => Err(error),
        };
    }
    buffer.truncate(length as usize);
    Ok(Some(buffer))
}

/// Names in the directory open at `dir`, without `.` and `..`.
pub fn list(dir: BorrowedFd<'_>) -> io::Result<Vec<CString>> {
    crate::tarball::list(dir)
}

/// `rm -rf name` inside `dir`, never following a symlink. Missing is fine.
pub fn remove_all(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    // SAFETY: name is NUL-terminated.
    if unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) } == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::ENOENT) => return Ok(()),
        Some(libc::EISDIR) => {}
        _ => return Err(error),
    }
    let child = open(dir, name, libc::O_PATH | libc::O_DIRECTORY, 0)?;
    for entry in list(child.as_fd())? {
        remove_all(child.as_fd(), &entry)?;
    }
    // SAFETY: name is NUL-terminated.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), libc::AT_REMOVEDIR) })
}
