//! The descriptors a new container process may hold. The init and the
//! `exec` process are clones of the runtime, not fresh executables: they
//! start with every fd of the runtime and of whoever called it (a shim's
//! sockets, a cgroup directory, a leaked directory of the host), close-on-
//! exec or not. Any of them left open while the working directory is
//! resolved makes `/proc/self/fd/N/..` a way out of the container (the
//! CVE-2024-21626 class), so the first thing a new process does is close
//! all of them: it keeps stdio, the fds the spec passes on (LISTEN_FDS and
//! --preserve-fds) and its own few, which are never directories. This runs
//! before any seccomp filter, which may deny close_range or fcntl.

use std::os::fd::RawFd;

/// The fds a new container process keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeptFds<'a> {
    /// fds 3..3+passed go to the user's process (LISTEN_FDS and
    /// --preserve-fds).
    pub passed: i32,
    /// The runtime's own (sync socket, exec fifo, console socket): kept
    /// until exec, which closes them.
    pub internal: &'a [RawFd],
}

impl KeptFds<'_> {
    fn first_unpassed(&self) -> RawFd {
        3 + self.passed.max(0)
    }

    fn keeps(&self, fd: RawFd) -> bool {
        fd < self.first_unpassed() || self.internal.contains(&fd)
    }
}

/// Closes every fd that `kept` does not name, marks the internal ones
/// close-on-exec and clears that flag on the passed ones.
pub(crate) fn close_all_but(kept: KeptFds<'_>) -> Result<(), String> {
    if close_ranges(kept).is_err() {
        // Kernels before 5.9, or an outer seccomp filter that denies it.
        close_listed(kept)?;
    }
    for &fd in kept.internal {
        set_close_on_exec(fd, true)?;
    }
    for fd in 3..kept.first_unpassed() {
        // A passed fd the caller did not open is no error (runc ignores it
        // too); one of ours that landed in the range stays close-on-exec.
        if !kept.internal.contains(&fd) && fd_is_open(fd) {
            set_close_on_exec(fd, false)?;
        }
    }
    Ok(())
}

/// close_range over the gaps between the kept fds: a handful of calls
/// whatever the number of open fds.
fn close_ranges(kept: KeptFds<'_>) -> std::io::Result<()> {
    let mut internal: Vec<RawFd> = kept.internal.to_vec();
    internal.sort_unstable();
    let mut next = kept.first_unpassed() as u32;
    for fd in internal {
        let fd = fd as u32;
        if fd > next {
            close_range(next, fd - 1)?;
        }
        next = next.max(fd + 1);
    }
    close_range(next, u32::MAX)
}

fn close_range(first: u32, last: u32) -> std::io::Result<()> {
    // SAFETY: closes fds only; Rust objects that owned them in this
    // process are never dropped (the process execs or exits).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The slow way: every fd that /proc/self/fd lists.
fn close_listed(kept: KeptFds<'_>) -> Result<(), String> {
    let open: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .map_err(|e| format!("list /proc/self/fd: {e}"))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The directory's own fd was in the listing; it is closed by now, and
    // closing its number again is harmless (EBADF).
    for fd in open.into_iter().filter(|&fd| !kept.keeps(fd)) {
        // SAFETY: as in close_range.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

fn fd_is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the flags of an fd number.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

fn set_close_on_exec(fd: RawFd, on: bool) -> Result<(), String> {
    let flags = if on { libc::FD_CLOEXEC } else { 0 };
    // SAFETY: F_SETFD on an fd we keep.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, flags) } != 0 {
        return Err(format!(
            "fcntl F_SETFD fd {fd}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::IntoRawFd;

    /// `/` opened at exactly `fd`, without close-on-exec.
    fn directory_at(fd: RawFd) {
        let opened = std::fs::File::open("/").unwrap().into_raw_fd();
        // SAFETY: renumbering our own fd.
        unsafe {
            if opened == fd {
                libc::fcntl(fd, libc::F_SETFD, 0);
            } else {
                libc::dup2(opened, fd);
                libc::close(opened);
            }
        }
    }

    fn open_fds() -> Vec<RawFd> {
        let listed: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let mut open: Vec<RawFd> = listed.into_iter().filter(|&fd| fd_is_open(fd)).collect();
        open.sort_unstable();
        open
    }

    /// In a forked child, so that the test process keeps its fds; the
    /// child answers through its exit code.
    fn in_child(body: impl FnOnce() -> bool) -> bool {
        // SAFETY: the child only makes syscalls and leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = body();
            // SAFETY: leave without running the test harness's atexit.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: our child; status is writable.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
    }

    /// fd 3 passed (close-on-exec until now), fd 4 passed but not open,
    /// 40 and 41 internal, strays below, between and above.
    fn keeps_exactly_stdio_passed_and_internal(close: fn(KeptFds<'_>) -> Result<(), String>) {
        let kept_exactly = in_child(|| {
            // The test runner may have left stdin closed.
            let mut expected: Vec<RawFd> = (0..3).filter(|&fd| fd_is_open(fd)).collect();
            expected.extend([3, 40, 41]);
            for fd in [3, 5, 39, 40, 41, 42, 100] {
                directory_at(fd);
            }
            // SAFETY: flags of our own fds.
            unsafe {
                libc::close(4);
                libc::fcntl(3, libc::F_SETFD, libc::FD_CLOEXEC);
                libc::fcntl(41, libc::F_SETFD, 0);
            }
            let kept = KeptFds {
                passed: 2,
                internal: &[41, 40],
            };
            let flags = |fd| {
                // SAFETY: reading the flags of an fd number.
                unsafe { libc::fcntl(fd, libc::F_GETFD) }
            };
            close(kept).is_ok()
                && close_all_but(kept).is_ok()
                && open_fds() == expected
                && flags(3) == 0
                && flags(40) == libc::FD_CLOEXEC
                && flags(41) == libc::FD_CLOEXEC
        });
        assert!(kept_exactly);
    }

    #[test]
    fn close_range_keeps_exactly_stdio_the_passed_and_the_internal_fds() {
        keeps_exactly_stdio_passed_and_internal(close_all_but);
    }

    #[test]
    fn the_proc_listing_keeps_exactly_stdio_the_passed_and_the_internal_fds() {
        keeps_exactly_stdio_passed_and_internal(close_listed);
    }
}
