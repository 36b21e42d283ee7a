//! fork(2)-like clones with namespace flags, optionally straight into a
//! cgroup v2 directory with clone3(CLONE_INTO_CGROUP).

use super::container::RuntimeError;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Where a clone put the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cloned {
    /// 0 in the child.
    pub pid: i32,
    /// The kernel placed the child in the requested cgroup v2 directory.
    pub placed_in_cgroup: bool,
}

/// fork(2)-like clone with namespace flags: the child returns 0.
pub(crate) fn clone_child(flags: libc::c_int) -> Result<i32, RuntimeError> {
    // SAFETY: without a new stack clone behaves like fork; we are single
    // threaded here, so the child's copy of memory is consistent.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (flags | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if pid < 0 {
        return Err(RuntimeError::os("clone", format!("flags {flags:#x}")));
    }
    Ok(pid as i32)
}

/// The kernel's `struct clone_args` up to `cgroup` (CLONE_ARGS_SIZE_VER2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// [`clone_child`], born in the cgroup v2 directory `cgroup` when the
/// kernel can (clone3, Linux 5.7): moving a process in afterwards takes a
/// global lock whose first use waits out an RCU grace period. Falls back
/// to a plain clone, leaving the placement to the caller.
pub(crate) fn clone_child_into(
    flags: libc::c_int,
    cgroup: Option<BorrowedFd<'_>>,
) -> Result<Cloned, RuntimeError> {
    if let Some(cgroup) = cgroup {
        let args = CloneArgs {
            flags: flags as u32 as u64 | CLONE_INTO_CGROUP,
            exit_signal: libc::SIGCHLD as u64,
            cgroup: cgroup.as_raw_fd() as u64,
            ..CloneArgs::default()
        };
        // SAFETY: with no stack clone3 behaves like fork (see clone_child);
        // the kernel reads `args` only during the call.
        let pid = unsafe {
            libc::syscall(
                libc::SYS_clone3,
                &args as *const CloneArgs,
                std::mem::size_of::<CloneArgs>(),
            )
        };
        if pid >= 0 {
            return Ok(Cloned {
                pid: pid as i32,
                placed_in_cgroup: true,
            });
        }
        // ENOSYS, or a kernel or cgroup that refuses the placement: a plain
        // clone either works or reports the real problem.
    }
    Ok(Cloned {
        pid: clone_child(flags)?,
        placed_in_cgroup: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_args_match_the_kernels_second_version() {
        assert_eq!(std::mem::size_of::<CloneArgs>(), 88);
    }
}
