//! Network namespaces made and kept by a bind mount of their nsfs file, and
//! work done inside one.
//!
//! setns(2) and unshare(CLONE_NEWNET) change only the calling thread, so
//! every function here does its namespace work on a short-lived thread of
//! its own and the caller's thread never leaves its namespace.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Runs `work` on a thread that first joins the network namespace `netns`
/// (an nsfs file: a bind mount or `/proc/PID/ns/net`).
pub fn in_netns<T: Send>(
    netns: &Path,
    work: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<T> {
    let file = File::open(netns)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", netns.display())))?;
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                    let e = io::Error::last_os_error();
                    return Err(io::Error::new(
                        e.kind(),
                        format!("setns to {}: {e}", netns.display()),
                    ));
                }
                work()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("network namespace worker panicked")))
    })
}

/// A new network namespace kept alive by a bind mount at `path` (whose
/// directory must exist), with `prepare` run inside it before anyone else
/// can use it. On failure nothing is left behind.
pub fn create(path: &Path, prepare: impl FnOnce() -> io::Result<()> + Send) -> io::Result<()> {
    File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", path.display())))?;
    let made = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    let e = io::Error::last_os_error();
                    return Err(io::Error::new(
                        e.kind(),
                        format!("unshare(CLONE_NEWNET): {e}"),
                    ));
                }
                bind_own_netns(path)?;
                prepare()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("network namespace worker panicked")))
    });
    if made.is_err() {
        remove(path);
    }
    made
}

fn bind_own_netns(path: &Path) -> io::Result<()> {
    let own = PathBuf::from(format!("/proc/self/task/{}/ns/net", unsafe {
        libc::gettid()
    }));
    nix::mount::mount(
        Some(&own),
        path,
        None::<&str>,
        nix::mount::MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|errno| {
        io::Error::new(
            io::Error::from(errno).kind(),
            format!("bind {} onto {}: {errno}", own.display(), path.display()),
        )
    })
}

/// Drops the bind mount at `path` and the file; the namespace goes when its
/// last process does. Missing pieces are no error: this is cleanup.
pub fn remove(path: &Path) {
    let _ = nix::mount::umount2(path, nix::mount::MntFlags::MNT_DETACH);
    let _ = std::fs::remove_file(path);
}
