//! Self-protection against CVE-2019-5736. Processes in a container can
//! reach the launcher's executable through /proc/PID/exe (or by running
//! /proc/self/exe as their entry point) while the init still runs our code.
//! dockbox is also the daemon and the client, so before it forks an init it
//! re-executes itself from a view of its executable that nobody can write:
//! a read-only bind mount of it, detached from every mount table, or, where
//! mounting is not allowed (rootless), a sealed memfd copy. The bind mount
//! costs no copy of the whole binary on every container start.

use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

const MEMFD_NAME: &[u8] = b"dockbox-sealed\0";

#[derive(Debug, thiserror::Error)]
#[error("self-protection: {op}: {source}")]
pub struct SelfExeError {
    op: &'static str,
    source: std::io::Error,
}

fn error(op: &'static str) -> SelfExeError {
    SelfExeError {
        op,
        source: std::io::Error::last_os_error(),
    }
}

/// Whether this process's executable is already unwritable: our sealed
/// copy, or any file on a read-only mount (our detached view, or a binary
/// installed on a read-only root), where a write gives EROFS.
pub fn running_sealed() -> bool {
    let Ok(fd) = std::fs::File::open("/proc/self/exe") else {
        return false;
    };
    // SAFETY: fcntl on an fd we own.
    let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
    let wanted = libc::F_SEAL_SEAL | libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
    if seals >= 0 && seals & wanted == wanted {
        return true;
    }
    // SAFETY: statvfs is plain data, filled by the kernel.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatvfs on an fd we own, into a struct we own.
    (unsafe { libc::fstatvfs(fd.as_raw_fd(), &mut stats) }) == 0
        && stats.f_flag & libc::ST_RDONLY != 0
}

/// Re-executes the current process (same pid, argv, environment and
/// inherited fds) from a sealed memfd copy of the executable. Returns only
/// on failure, or at once when already sealed.
pub fn reexec_sealed() -> Result<(), SelfExeError> {
    if running_sealed() {
        return Ok(());
    }
    let copy = match read_only_view() {
        Some(view) => view,
        None => sealed_copy()?,
    };
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv: Vec<CString> = args
        .iter()
        .map(|arg| CString::new(arg.as_bytes()).unwrap_or_default())
        .collect();
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let env: Vec<CString> = std::env::vars_os()
        .map(|(key, value)| {
            let mut pair = key.as_bytes().to_vec();
            pair.push(b'=');
            pair.extend_from_slice(value.as_bytes());
            CString::new(pair).unwrap_or_default()
        })
        .collect();
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    // SAFETY: argv and envp are NUL-terminated arrays of C strings that
    // outlive the call; the empty path with AT_EMPTY_PATH means the fd.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            copy.as_raw_fd(),
            c"".as_ptr(),
            argv_ptrs.as_ptr(),
            env_ptrs.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
    }
    Err(error("execveat of the sealed copy"))
}

/// An O_PATH descriptor of our executable through a read-only bind mount
/// that is detached again at once: /proc/PID/exe then names a file on a
/// mount that no table lists and nobody can make writable. None when
/// mounting is not allowed here. A long-lived process (the daemon) keeps
/// one to start its helpers from, which then need no re-exec of their own.
pub fn read_only_view() -> Option<OwnedFd> {
    use nix::mount::{MntFlags, MsFlags, mount, umount2};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let target = std::env::temp_dir().join(format!(".dockbox-exe-{}-{nanos}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .ok()?;
    let none: Option<&str> = None;
    let mounted = mount(
        Some("/proc/self/exe"),
        &target,
        none,
        MsFlags::MS_BIND,
        none,
    )
    .is_ok();
    let view = mounted
        .then(|| {
            mount(
                none,
                &target,
                none,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY,
                none,
            )
            .ok()?;
            let path = CString::new(target.as_os_str().as_bytes()).ok()?;
            // SAFETY: path is NUL-terminated; the fd is checked.
            let raw = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            // SAFETY: raw is a fresh fd that we own.
            (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) })
        })
        .flatten();
    if mounted {
        let _ = umount2(&target, MntFlags::MNT_DETACH);
    }
    let _ = std::fs::remove_file(&target);
    view
}

fn sealed_copy() -> Result<OwnedFd, SelfExeError> {
    let source = std::fs::File::open("/proc/self/exe").map_err(|source| SelfExeError {
        op: "open /proc/self/exe",
        source,
    })?;
    let size = source
        .metadata()
        .map_err(|source| SelfExeError {
            op: "stat /proc/self/exe",
            source,
        })?
        .len() as usize;
    // Close-on-exec suits an ELF image: the exec holds its own reference,
    // and the fd does not leak into the re-executed process.
    // SAFETY: the name is NUL-terminated.
    let raw = unsafe {
        libc::memfd_create(
            MEMFD_NAME.as_ptr().cast(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if raw < 0 {
        return Err(error("memfd_create"));
    }
    // SAFETY: raw is a fresh fd that we own.
    let copy = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut left = size;
    while left > 0 {
        // SAFETY: both fds are open; a null offset uses the file positions.
        let sent = unsafe {
            libc::sendfile(
                copy.as_raw_fd(),
                source.as_raw_fd(),
                std::ptr::null_mut(),
                left,
            )
        };
        if sent <= 0 {
            return Err(error("copy the executable into the memfd"));
        }
        left -= sent as usize;
    }
    let seals = libc::F_SEAL_SEAL | libc::F_SEAL_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW;
    // SAFETY: fcntl on an fd we own.
    if unsafe { libc::fcntl(copy.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
        return Err(error("seal the memfd"));
    }
    Ok(copy)
}
