//! OCI `linux.seccomp` to BPF, compiled with seccompiler.
//!
//! seccompiler gives each filter a single match action. A profile with
//! several actions therefore becomes a stack of filters, and the kernel
//! returns the most restrictive verdict among them (see [`stack`]).
//!
//! Usage by the launcher: [`compile`] once per container, keep
//! [`CompiledSeccomp::to_bytes`] with the container state, and for `exec`
//! rebuild it with [`CompiledSeccomp::from_bytes`]. The caller handles
//! `no_new_privs`, as runc does: with `process.noNewPrivileges`, set
//! `PR_SET_NO_NEW_PRIVS` and call [`install`] as the last step before
//! `execve`; without it the kernel only accepts a filter from a task that
//! holds CAP_SYS_ADMIN, so install before the capabilities are dropped
//! (the profile must then allow the remaining setup syscalls).

mod bpf_eval;
mod docker;
mod stack;
mod syscalls;
#[cfg(test)]
mod tests;

use oci_spec::runtime::{LinuxSeccomp, LinuxSeccompFilterFlag};
use seccompiler::sock_filter;
use std::os::fd::{FromRawFd, OwnedFd};

mod agent;
pub use agent::{AgentError, SeccompAgent};

pub use docker::{convert_docker_profile, docker_default, running_kernel};
pub use syscalls::SeccompArch;

#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("seccomp: no filter support for architecture {0}")]
    UnsupportedArch(&'static str),
    #[error("SCMP_ACT_NOTIFY cannot be used as default action")]
    NotifyDefault,
    #[error("SCMP_ACT_NOTIFY cannot be used for the write syscall")]
    NotifyWrite,
    #[error("seccomp: the SCMP_ACT_NOTIFY filters of several architectures cannot be chained")]
    NotifyChain,
    #[error("seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (listenerPath is not set)")]
    NoListenerPath,
    #[error("seccomp: flag {0} is not supported")]
    UnsupportedFlag(String),
    #[error("seccomp: syscall {syscall}: argument index {index} is out of range (0-5)")]
    ArgIndex { syscall: String, index: usize },
    #[error(
        "seccomp: syscall {syscall}: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"
    )]
    ErrnoRetWithoutErrno { syscall: String },
    #[error("seccomp: building the {arch:?} filter: {source}")]
    Build {
        arch: SeccompArch,
        source: seccompiler::BackendError,
    },
    #[error(
        "seccomp: the profile restricts seccomp(2) itself in {0} separate filters; they cannot all be installed"
    )]
    SelfBlocking(usize),
    #[error("seccomp: cached filter is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("seccomp: seccomp(SECCOMP_SET_MODE_FILTER, {flags:#x}) filter {index}: {errno}")]
    Install {
        index: usize,
        flags: u32,
        errno: nix::errno::Errno,
    },
    #[error("seccomp: Docker's default profile: {0}")]
    DockerProfile(String),
}

/// The BPF filters of one profile, in the order they must be installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledSeccomp {
    arch: SeccompArch,
    /// `SECCOMP_FILTER_FLAG_*` passed with every filter.
    flags: u32,
    filters: Vec<Vec<sock_filter>>,
}

/// Compiles `profile` for the architecture we run on.
pub fn compile(profile: &LinuxSeccomp) -> Result<CompiledSeccomp, SeccompError> {
    let arch =
        SeccompArch::native().ok_or(SeccompError::UnsupportedArch(std::env::consts::ARCH))?;
    compile_for(profile, arch)
}

/// Compiles `profile` for `arch`. Syscall names unknown on an architecture
/// are skipped, as runc does with libseccomp. On x86_64 a profile listing
/// SCMP_ARCH_X86 also filters i386 calls with the same rules; calls from
/// any other ABI (x32 included) kill the process.
pub fn compile_for(
    profile: &LinuxSeccomp,
    arch: SeccompArch,
) -> Result<CompiledSeccomp, SeccompError> {
    let flags = filter_flags(profile)?;
    let mut arches = vec![arch];
    let lists_i386 = profile
        .architectures()
        .iter()
        .flatten()
        .any(|a| *a == oci_spec::runtime::Arch::ScmpArchX86);
    if arch == SeccompArch::X86_64 && lists_i386 {
        arches.push(SeccompArch::X86);
    }
    let multi_arch = arches.len() > 1;
    let mut filters = Vec::new();
    for each in &arches {
        filters.extend(stack::build(profile, *each, multi_arch)?);
    }
    if multi_arch {
        filters.push(stack::arch_guard(&arches));
    }
    // The kernel gives a process one listener: the notify filters of each
    // architecture become one.
    let (notifying, mut filters): (Vec<_>, Vec<_>) = filters.into_iter().partition(|f| notifies(f));
    if !notifying.is_empty() {
        filters.push(stack::chain_arch_filters(notifying)?);
    }
    let filters = stack::order_for_install(filters, arch)?;
    Ok(CompiledSeccomp {
        arch,
        flags,
        filters,
    })
}

/// Whether `filter` can return SECCOMP_RET_USER_NOTIF: it must then be
/// loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER.
fn notifies(filter: &[sock_filter]) -> bool {
    filter.iter().any(|insn| {
        insn.code == 0x06 && insn.k & libc::SECCOMP_RET_ACTION_FULL == libc::SECCOMP_RET_USER_NOTIF
    })
}

fn filter_flags(profile: &LinuxSeccomp) -> Result<u32, SeccompError> {
    let mut flags = 0;
    for flag in profile.flags().iter().flatten() {
        flags |= match flag {
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => libc::SECCOMP_FILTER_FLAG_LOG,
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => {
                libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW
            }
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => libc::SECCOMP_FILTER_FLAG_TSYNC,
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv => {
                // Not in runc 1.1.5 either; would change how notified calls wait.
                return Err(SeccompError::UnsupportedFlag(flag.to_string()));
            }
        } as u32;
    }
    Ok(flags)
}

/// What [`compile`] accepts, for the runtime's `features` output.
pub const SUPPORTED_ACTIONS: &[&str] = &[
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_TRAP",
];
pub const SUPPORTED_OPERATORS: &[&str] = &[
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_LE",
    "SCMP_CMP_LT",
    "SCMP_CMP_MASKED_EQ",
    "SCMP_CMP_NE",
];
pub const SUPPORTED_ARCHES: &[&str] = &["SCMP_ARCH_AARCH64", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"];
pub const SUPPORTED_FLAGS: &[&str] = &[
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_TSYNC",
];

const MAGIC: &[u8; 8] = b"DBXSCMP1";

impl CompiledSeccomp {
    /// Whether [`install`] makes a listener fd, for the seccomp agent.
    pub fn has_listener(&self) -> bool {
        self.filters.iter().any(|filter| notifies(filter))
    }

    /// The verdict (a `SECCOMP_RET_*` value) the installed stack gives for
    /// syscall `nr` with `args`, computed without installing anything.
    #[cfg(test)]
    pub fn verdict(&self, nr: i64, args: [u64; 6]) -> Option<u32> {
        self.verdict_for(self.arch, nr, args)
    }

    /// [`CompiledSeccomp::verdict`] for a call made through `arch`'s ABI.
    #[cfg(test)]
    pub fn verdict_for(&self, arch: SeccompArch, nr: i64, args: [u64; 6]) -> Option<u32> {
        let data = bpf_eval::SyscallData {
            nr: nr as i32,
            arch: arch.audit_arch(),
            args,
        };
        bpf_eval::combined(&self.filters, &data)
    }

    /// A self-contained byte form for the container state, read back by
    /// [`CompiledSeccomp::from_bytes`] for `exec`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(16 + self.filters.iter().map(|f| 4 + f.len() * 8).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.arch.audit_arch().to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&(self.filters.len() as u32).to_le_bytes());
        for filter in &self.filters {
            out.extend_from_slice(&(filter.len() as u32).to_le_bytes());
            for insn in filter {
                out.extend_from_slice(&insn.code.to_le_bytes());
                out.push(insn.jt);
                out.push(insn.jf);
                out.extend_from_slice(&insn.k.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<CompiledSeccomp, SeccompError> {
        let mut reader = ByteReader(bytes);
        if reader.take(8)? != MAGIC {
            return Err(SeccompError::Corrupt("bad magic"));
        }
        let arch = match reader.u32()? {
            a if a == SeccompArch::X86_64.audit_arch() => SeccompArch::X86_64,
            a if a == SeccompArch::Aarch64.audit_arch() => SeccompArch::Aarch64,
            a if a == SeccompArch::X86.audit_arch() => SeccompArch::X86,
            _ => return Err(SeccompError::Corrupt("unknown architecture")),
        };
        let flags = reader.u32()?;
        let count = reader.u32()? as usize;
        let mut filters = Vec::new();
        for _ in 0..count {
            let len = reader.u32()? as usize;
            if len == 0 || len > 4096 {
                return Err(SeccompError::Corrupt("filter length out of range"));
            }
            let mut filter = Vec::with_capacity(len);
            for _ in 0..len {
                let raw = reader.take(8)?;
                filter.push(sock_filter {
                    code: u16::from_le_bytes([raw[0], raw[1]]),
                    jt: raw[2],
                    jf: raw[3],
                    k: u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]),
                });
            }
            filters.push(filter);
        }
        if !reader.0.is_empty() {
            return Err(SeccompError::Corrupt("trailing bytes"));
        }
        Ok(CompiledSeccomp {
            arch,
            flags,
            filters,
        })
    }
}

struct ByteReader<'a>(&'a [u8]);

impl<'a> ByteReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SeccompError> {
        if self.0.len() < n {
            return Err(SeccompError::Corrupt("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, SeccompError> {
        let raw = self.take(4)?;
        Ok(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
    }
}

#[repr(C)]
struct SockFprog {
    len: libc::c_ushort,
    filter: *const sock_filter,
}

/// Installs the filters on the calling thread (all threads with the TSYNC
/// flag). Call it last before `execve`, after `no_new_privs` (see the
/// module comment). Only async-signal-safe work happens here, so it may run
/// in a `pre_exec` hook. The filter with SCMP_ACT_NOTIFY rules is loaded
/// with SECCOMP_FILTER_FLAG_NEW_LISTENER; its listener fd is returned,
/// for the seccomp agent.
pub fn install(compiled: &CompiledSeccomp) -> Result<Option<OwnedFd>, SeccompError> {
    let mut listener = None;
    for (index, filter) in compiled.filters.iter().enumerate() {
        let program = SockFprog {
            len: filter.len() as libc::c_ushort,
            filter: filter.as_ptr(),
        };
        let mut flags = compiled.flags;
        if notifies(filter) {
            flags |= libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32;
        }
        // SAFETY: `program` points at `filter`, which outlives the call; the
        // kernel copies the instructions.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                flags as libc::c_ulong,
                &program as *const SockFprog,
            )
        };
        if rc < 0 {
            return Err(SeccompError::Install {
                index,
                flags,
                errno: nix::errno::Errno::last(),
            });
        }
        if rc > 0 && flags & libc::SECCOMP_FILTER_FLAG_NEW_LISTENER as u32 != 0 {
            // SAFETY: the kernel just gave us this fd, which nothing else owns.
            listener = Some(unsafe { OwnedFd::from_raw_fd(rc as i32) });
        }
    }
    Ok(listener)
}
