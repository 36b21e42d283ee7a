//! Cgroups for containers: one [`CgroupManager`] interface, a v1 (legacy and
//! hybrid) and a v2 (unified) implementation, picked by what is mounted.
//!
//! Paths follow runc: an absolute `linux.cgroupsPath` is taken as is below
//! each hierarchy's mount point; a relative one is placed below the
//! caller's own cgroup in each hierarchy (read from /proc/self/cgroup);
//! without one the container id is used as a relative path. The resolved
//! directories ([`CgroupPaths`]) belong in the container state: later
//! commands run from other cgroups and must not resolve again.

mod device_rules;
#[cfg(test)]
mod device_rules_tests;
mod devices_bpf;
mod fs;
mod layout;
pub mod stats;
mod sub;
#[cfg(test)]
mod tests;
mod v1;
mod v2;

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::LinuxResources;
use serde::{Deserialize, Serialize};

pub use layout::Hierarchies;
pub use stats::CgroupStats;
pub use sub::{SubCgroups, check_joinable};

#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cgroups: {operation} {}: {source}", path.display())]
    Io {
        operation: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cgroups: no cgroup hierarchy is mounted (looked in /proc/self/mountinfo)")]
    NoHierarchy,
    #[error("cgroups: {0}")]
    Unsupported(String),
    #[error("cgroups: {0}")]
    Invalid(String),
    #[error("cgroups: {operation}: {errno}")]
    Bpf {
        operation: &'static str,
        errno: nix::errno::Errno,
    },
    #[error("cgroups: {} did not reach state {state} in time", path.display())]
    FreezeTimeout { path: PathBuf, state: &'static str },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreezerState {
    Thawed,
    Freezing,
    Frozen,
}

/// The directories of one container's cgroup, host paths.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CgroupPaths {
    /// v1 controller (`memory`, `cpu`, ...) to its directory. Empty on a
    /// pure v2 host.
    pub v1: BTreeMap<String, PathBuf>,
    /// The directory in the unified hierarchy, when one is mounted.
    pub unified: Option<PathBuf>,
}

pub trait CgroupManager: Send + std::fmt::Debug {
    /// Where the container's cgroup lives; save it with the container state.
    fn paths(&self) -> CgroupPaths;
    /// Creates the directories (before a clone3 with CLONE_INTO_CGROUP).
    fn create(&self) -> Result<(), CgroupError>;
    /// Creates the directories and moves `pid` into them.
    fn apply(&self, pid: i32) -> Result<(), CgroupError>;
    fn set(&self, resources: &LinuxResources) -> Result<(), CgroupError>;
    fn freeze(&self) -> Result<(), CgroupError>;
    fn thaw(&self) -> Result<(), CgroupError>;
    fn freezer_state(&self) -> Result<FreezerState, CgroupError>;
    /// Every process in the cgroup and its descendants.
    fn pids(&self) -> Result<Vec<i32>, CgroupError>;
    fn stats(&self) -> Result<CgroupStats, CgroupError>;
    /// OOM kills so far, cheaper than [`CgroupManager::stats`] for polling
    /// (v1 memory.oom_control, v2 memory.events); 0 without a memory
    /// controller.
    fn oom_kill_count(&self) -> Result<u64, CgroupError>;
    /// Removes the directories, deepest first; the processes must be gone.
    fn destroy(&self) -> Result<(), CgroupError>;
    /// The container's directory in the unified hierarchy (pure v2 or
    /// hybrid), opened for clone3's CLONE_INTO_CGROUP; None without one.
    fn v2_dir_fd(&self) -> Option<OwnedFd>;
    /// Moves the calling process, which must still be single threaded (a
    /// fresh init), into the cgroup from inside; the directories must
    /// exist. v1 hierarchies take it through `tasks` with "0", which skips
    /// the kernel's global threadgroup lock: a cgroup.procs write takes
    /// that lock, and the first one waits out an RCU grace period (about
    /// 10 ms, the biggest single cost of a container start on v1 hosts).
    /// `placed_in_unified`: clone3(CLONE_INTO_CGROUP) already put us in the
    /// unified directory, which has no lock-free way in.
    fn enter(&self, placed_in_unified: bool) -> Result<(), CgroupError>;
}

/// For device rules, which runc skips when they fail without root: a
/// rootless caller may hold a delegated cgroup yet not write its devices
/// controller or load an eBPF program.
fn ignore_unless_root(error: CgroupError) -> Result<(), CgroupError> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        Err(error)
    } else {
        Ok(())
    }
}

/// The manager for `cgroups_path` (see the module comment) on this host.
pub fn manager(
    cgroups_path: Option<&str>,
    container_id: &str,
) -> Result<Box<dyn CgroupManager>, CgroupError> {
    let hierarchies = Hierarchies::read()?;
    let paths = resolve(&hierarchies, cgroups_path, container_id)?;
    Ok(from_paths(paths))
}

/// A manager for directories resolved earlier ([`CgroupManager::paths`]).
pub fn from_paths(paths: CgroupPaths) -> Box<dyn CgroupManager> {
    match (paths.v1.is_empty(), paths.unified.clone()) {
        (true, Some(dir)) => Box::new(v2::V2Manager::new(dir)),
        _ => Box::new(v1::V1Manager::new(paths)),
    }
}

/// Resolves a `linux.cgroupsPath` against the mounted hierarchies.
pub fn resolve(
    hierarchies: &Hierarchies,
    cgroups_path: Option<&str>,
    container_id: &str,
) -> Result<CgroupPaths, CgroupError> {
    let raw = match cgroups_path {
        Some(path) if !path.is_empty() => path,
        _ => container_id,
    };
    if !raw.starts_with('/') && raw.matches(':').count() == 2 {
        return Err(CgroupError::Unsupported(format!(
            "cgroupsPath {raw:?} is in systemd's slice:prefix:name form; only the cgroupfs driver is supported"
        )));
    }
    let relative = clean(raw);
    if relative.as_os_str().is_empty() {
        return Err(CgroupError::Invalid(format!(
            "cgroupsPath {raw:?} names no cgroup of its own"
        )));
    }
    let absolute = raw.starts_with('/');
    let mut paths = CgroupPaths::default();
    for (controller, mount) in &hierarchies.v1 {
        let base = if absolute {
            mount.mount_point.clone()
        } else {
            mount.own_dir()
        };
        paths.v1.insert(controller.clone(), base.join(&relative));
    }
    if let Some(unified) = &hierarchies.unified {
        let base = if absolute {
            unified.mount_point.clone()
        } else {
            unified.own_dir()
        };
        paths.unified = Some(base.join(&relative));
    }
    if paths.v1.is_empty() && paths.unified.is_none() {
        return Err(CgroupError::NoHierarchy);
    }
    Ok(paths)
}

/// Lexically cleans `path` as if rooted at `/`, so `..` cannot climb out of
/// the base it is joined to, and returns it without the leading `/`.
fn clean(path: &str) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.iter().collect()
}

/// runc's conversion of cgroup v1 cpu.shares (2..262144) to v2 cpu.weight
/// (1..10000).
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    1 + (shares.saturating_sub(2) * 9999) / 262142
}

/// runc's conversion of a blkio weight (10..1000) to v2 io.weight.
pub fn blkio_weight_to_io_weight(weight: u16) -> u64 {
    if weight == 0 {
        return 0;
    }
    1 + (u64::from(weight).saturating_sub(10) * 9999) / 990
}

/// runc's conversion of the OCI memory+swap limit to v2 memory.swap.max
/// (swap alone). None means "leave unset".
pub fn swap_to_v2(memory_swap: i64, memory: Option<i64>) -> Result<Option<i64>, CgroupError> {
    let memory = memory.unwrap_or(0);
    if memory == -1 && memory_swap == 0 {
        return Ok(Some(-1));
    }
    if memory_swap == -1 {
        return Ok(Some(-1));
    }
    if memory_swap == 0 {
        return Ok(None);
    }
    if memory == 0 || memory == -1 {
        return Err(CgroupError::Invalid(
            "unable to set swap limit without memory limit".into(),
        ));
    }
    if memory < 0 {
        return Err(CgroupError::Invalid(format!(
            "invalid memory value: {memory}"
        )));
    }
    if memory_swap < memory {
        return Err(CgroupError::Invalid(
            "memory+swap limit should be >= memory limit".into(),
        ));
    }
    Ok(Some(memory_swap - memory))
}
