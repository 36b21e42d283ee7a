//! cgroup v1: one directory per controller hierarchy. On a hybrid host the
//! container also gets a directory in the unified hierarchy, which holds
//! the controllers v1 lacks (hugetlb on some hosts).

use std::collections::BTreeSet;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxDeviceCgroup, LinuxMemory, LinuxResources};

use super::device_rules::DeviceRules;
use super::fs;
use super::stats::{self, CgroupStats, HugetlbStats, MemoryEntry};
use super::{CgroupError, CgroupManager, CgroupPaths, FreezerState};

#[derive(Debug)]
pub struct V1Manager {
    paths: CgroupPaths,
}

impl V1Manager {
    pub fn new(paths: CgroupPaths) -> V1Manager {
        V1Manager { paths }
    }

    fn dir(&self, controller: &str) -> Option<&Path> {
        self.paths.v1.get(controller).map(PathBuf::as_path)
    }

    fn require(&self, controller: &str, what: &str) -> Result<&Path, CgroupError> {
        self.dir(controller).ok_or_else(|| {
            CgroupError::Unsupported(format!(
                "{what} needs the {controller} controller, which is not mounted"
            ))
        })
    }

    /// `result`, or Ok when `dir` is only the name=systemd hierarchy's:
    /// runc joins that one when it can and goes on when it cannot.
    fn unless_named_only(
        &self,
        dir: &Path,
        result: Result<(), CgroupError>,
    ) -> Result<(), CgroupError> {
        let named_only = self.paths.unified.as_deref() != Some(dir)
            && self
                .paths
                .v1
                .iter()
                .filter(|(_, other)| other.as_path() == dir)
                .all(|(name, _)| name == super::layout::NAMED_SYSTEMD);
        if named_only { Ok(()) } else { result }
    }

    /// Each distinct directory once (co-mounted controllers share one).
    fn all_dirs(&self) -> Vec<&Path> {
        let mut seen = BTreeSet::new();
        self.paths
            .v1
            .values()
            .chain(self.paths.unified.iter())
            .filter(|dir| seen.insert(dir.as_path()))
            .map(PathBuf::as_path)
            .collect()
    }

    fn set_memory(&self, memory: &LinuxMemory) -> Result<(), CgroupError> {
        if !memory_requested(memory) {
            return Ok(());
        }
        let dir = self.require("memory", "a memory limit")?;
        // An unlimited memory without a swap value lifts the swap limit
        // too, as runc does: memory <= memory+swap would refuse it.
        let swap = match (memory.limit(), memory.swap()) {
            (Some(-1), None | Some(0)) if fs::exists(dir, "memory.memsw.limit_in_bytes") => {
                Some(-1)
            }
            (_, swap) => swap,
        };
        if let Some(swap) = swap.filter(|s| *s != 0) {
            if !fs::exists(dir, "memory.memsw.limit_in_bytes") {
                if swap != -1 {
                    return Err(CgroupError::Unsupported(
                        "a swap limit needs swap accounting (memory.memsw.limit_in_bytes is missing)"
                            .into(),
                    ));
                }
            } else {
                // memory <= memory+swap must hold after every write, so the
                // order depends on whether the limits grow or shrink.
                let current_swap = fs::read_u64(dir, "memory.memsw.limit_in_bytes")?;
                let grows = swap == -1 || swap as u64 > current_swap;
                if grows {
                    fs::write(dir, "memory.memsw.limit_in_bytes", swap)?;
                    if let Some(limit) = memory.limit().filter(|l| *l != 0) {
                        fs::write(dir, "memory.limit_in_bytes", limit)?;
                    }
                } else {
                    if let Some(limit) = memory.limit().filter(|l| *l != 0) {
                        fs::write(dir, "memory.limit_in_bytes", limit)?;
                    }
                    fs::write(dir, "memory.memsw.limit_in_bytes", swap)?;
                }
                return self.set_memory_rest(dir, memory);
            }
        }
        if let Some(limit) = memory.limit().filter(|l| *l != 0) {
            fs::write(dir, "memory.limit_in_bytes", limit)?;
        }
        self.set_memory_rest(dir, memory)
    }

    /// Kernel memory limits (`kernel`, `kernelTCP`) are deprecated and not
    /// written, as runc 1.1 ignores them.
    fn set_memory_rest(&self, dir: &Path, memory: &LinuxMemory) -> Result<(), CgroupError> {
        if let Some(reservation) = memory.reservation().filter(|r| *r != 0) {
            fs::write(dir, "memory.soft_limit_in_bytes", reservation)?;
        }
        if let Some(swappiness) = memory.swappiness() {
            if swappiness > 100 {
                return Err(CgroupError::Invalid(format!(
                    "invalid memory swappiness {swappiness}: it must be between 0 and 100"
                )));
            }
            fs::write(dir, "memory.swappiness", swappiness)?;
        }
        if memory.disable_oom_killer() == Some(true) {
            fs::write(dir, "memory.oom_control", 1)?;
        }
        Ok(())
    }

    fn set_cpu(&self, cpu: &LinuxCpu) -> Result<(), CgroupError> {
        let wants_cpu = cpu.shares().is_some_and(|s| s != 0)
            || cpu.quota().is_some_and(|q| q != 0)
            || cpu.period().is_some_and(|p| p != 0)
            || cpu.realtime_period().is_some_and(|p| p != 0)
            || cpu.realtime_runtime().is_some_and(|r| r != 0)
            || cpu.idle().is_some();
        if wants_cpu {
            let dir = self.require("cpu", "a cpu limit")?;
            if let Some(shares) = cpu.shares().filter(|s| *s != 0) {
                fs::write(dir, "cpu.shares", shares)?;
            }
            let period = cpu.period().filter(|p| *p != 0);
            let quota = cpu.quota().filter(|q| *q != 0);
            match (period, quota) {
                (Some(period), quota) => {
                    // The kernel refuses a period that makes the current
                    // quota invalid; then the quota goes first.
                    if fs::write(dir, "cpu.cfs_period_us", period).is_err() {
                        if let Some(quota) = quota {
                            fs::write(dir, "cpu.cfs_quota_us", quota)?;
                        }
                        fs::write(dir, "cpu.cfs_period_us", period)?;
                    }
                    if let Some(quota) = quota {
                        fs::write(dir, "cpu.cfs_quota_us", quota)?;
                    }
                }
                (None, Some(quota)) => fs::write(dir, "cpu.cfs_quota_us", quota)?,
                (None, None) => {}
            }
            if let Some(period) = cpu.realtime_period().filter(|p| *p != 0) {
                fs::write(dir, "cpu.rt_period_us", period)?;
            }
            if let Some(runtime) = cpu.realtime_runtime().filter(|r| *r != 0) {
                fs::write(dir, "cpu.rt_runtime_us", runtime)?;
            }
            if let Some(idle) = cpu.idle() {
                fs::write(dir, "cpu.idle", idle)?;
            }
        }
        if let Some(burst) = cpu.burst() {
            let dir = self.require("cpu", "a cpu burst")?;
            fs::write(dir, "cpu.cfs_burst_us", burst)?;
        }
        let cpus = cpu.cpus().as_deref().filter(|c| !c.is_empty());
        let mems = cpu.mems().as_deref().filter(|m| !m.is_empty());
        if cpus.is_some() || mems.is_some() {
            let dir = self.require("cpuset", "cpus/mems")?;
            if let Some(cpus) = cpus {
                fs::write(dir, "cpuset.cpus", cpus)?;
            }
            if let Some(mems) = mems {
                fs::write(dir, "cpuset.mems", mems)?;
            }
        }
        Ok(())
    }

    fn set_block_io(&self, io: &LinuxBlockIo) -> Result<(), CgroupError> {
        if !block_io_requested(io) {
            return Ok(());
        }
        let dir = self.require("blkio", "a block I/O setting")?;
        // CFQ's files, or BFQ's where the host schedules with BFQ.
        let weight_file = if fs::exists(dir, "blkio.weight") {
            "blkio.weight"
        } else {
            "blkio.bfq.weight"
        };
        if let Some(weight) = io.weight().filter(|w| *w != 0) {
            fs::write(dir, weight_file, weight)?;
        }
        if let Some(leaf) = io.leaf_weight().filter(|w| *w != 0) {
            fs::write(dir, "blkio.leaf_weight", leaf)?;
        }
        for device in io.weight_device().iter().flatten() {
            if let Some(weight) = device.weight() {
                let file = format!("{weight_file}_device");
                fs::write(
                    dir,
                    &file,
                    format!("{}:{} {weight}", device.major(), device.minor()),
                )?;
            }
            if let Some(leaf) = device.leaf_weight() {
                let line = format!("{}:{} {leaf}", device.major(), device.minor());
                fs::write(dir, "blkio.leaf_weight_device", line)?;
            }
        }
        let throttles = [
            (
                "blkio.throttle.read_bps_device",
                io.throttle_read_bps_device(),
            ),
            (
                "blkio.throttle.write_bps_device",
                io.throttle_write_bps_device(),
            ),
            (
                "blkio.throttle.read_iops_device",
                io.throttle_read_iops_device(),
            ),
            (
                "blkio.throttle.write_iops_device",
                io.throttle_write_iops_device(),
            ),
        ];
        for (file, devices) in throttles {
            for device in devices.iter().flatten() {
                let line = format!("{}:{} {}", device.major(), device.minor(), device.rate());
                fs::write(dir, file, line)?;
            }
        }
        Ok(())
    }

    fn set_hugetlb(&self, resources: &LinuxResources) -> Result<(), CgroupError> {
        for limit in resources.hugepage_limits().iter().flatten() {
            let size = limit.page_size();
            if let Some(dir) = self.dir("hugetlb") {
                fs::write(
                    dir,
                    &format!("hugetlb.{size}.limit_in_bytes"),
                    limit.limit(),
                )?;
            } else if let Some(dir) = self.unified_with("hugetlb") {
                fs::write(dir, &format!("hugetlb.{size}.max"), limit.limit())?;
            } else {
                return Err(CgroupError::Unsupported(
                    "hugepage limits need the hugetlb controller, which is not available".into(),
                ));
            }
        }
        Ok(())
    }

    /// The unified directory, when `controller` is enabled there.
    fn unified_with(&self, controller: &str) -> Option<&Path> {
        let dir = self.paths.unified.as_deref()?;
        let available = fs::read_optional(dir, "cgroup.controllers")?;
        available
            .split_whitespace()
            .any(|c| c == controller)
            .then_some(dir)
    }

    /// Writes only what takes the cgroup from its current rules (a new one
    /// inherits its parent's) to those `rules` describe, as runc does:
    /// redundant rules never reach the kernel, and a cgroup that already
    /// denies by default is not reset (which fails once it has children).
    fn set_devices(&self, rules: &[LinuxDeviceCgroup]) -> Result<(), CgroupError> {
        let dir = self.require("devices", "device rules")?;
        let target = DeviceRules::from_oci(rules)?;
        let current = DeviceRules::from_list(&fs::read(dir, "devices.list")?)?;
        for write in current.transition(&target) {
            let file = if write.allow {
                "devices.allow"
            } else {
                "devices.deny"
            };
            fs::write(dir, file, write.line)?;
        }
        Ok(())
    }

    /// A new cpuset cgroup starts with empty cpus and mems, which admit no
    /// task; each level we create inherits its parent's.
    /// A cpuset cgroup with empty cpus or mems refuses tasks (ENOSPC): like
    /// runc, fill every empty level from its parent, top down, including
    /// levels someone else created.
    fn init_cpuset(&self, dir: &Path) -> Result<(), CgroupError> {
        let mut levels = Vec::new();
        let mut cursor = dir;
        while let Some(parent) = cursor.parent() {
            levels.push(cursor.to_path_buf());
            // Up to the hierarchy's root: a parent yet to be made is below it.
            if parent.exists() && !parent.join("cpuset.cpus").exists() {
                break;
            }
            cursor = parent;
        }
        for level in levels.iter().rev() {
            fs::create_dir_all(level)?;
            let Some(parent) = level.parent().filter(|p| p.join("cpuset.cpus").exists()) else {
                continue;
            };
            for file in ["cpuset.cpus", "cpuset.mems"] {
                if fs::read(level, file)?.trim().is_empty() {
                    fs::write(level, file, fs::read(parent, file)?.trim())?;
                }
            }
        }
        Ok(())
    }
}

/// Whether `memory` asks for anything (Docker sends empty sections).
pub fn memory_requested(memory: &LinuxMemory) -> bool {
    memory.limit().is_some_and(|v| v != 0)
        || memory.reservation().is_some_and(|v| v != 0)
        || memory.swap().is_some_and(|v| v != 0)
        || memory.swappiness().is_some()
        || memory.disable_oom_killer() == Some(true)
}

pub fn block_io_requested(io: &LinuxBlockIo) -> bool {
    io.weight().is_some_and(|w| w != 0)
        || io.leaf_weight().is_some_and(|w| w != 0)
        || [
            io.throttle_read_bps_device(),
            io.throttle_write_bps_device(),
            io.throttle_read_iops_device(),
            io.throttle_write_iops_device(),
        ]
        .iter()
        .any(|devices| devices.as_ref().is_some_and(|d| !d.is_empty()))
        || io.weight_device().as_ref().is_some_and(|d| !d.is_empty())
}

impl CgroupManager for V1Manager {
    fn paths(&self) -> CgroupPaths {
        self.paths.clone()
    }

    fn create(&self) -> Result<(), CgroupError> {
        if let Some(dir) = self.dir("cpuset") {
            self.init_cpuset(dir)?;
        }
        for dir in self.all_dirs() {
            self.unless_named_only(dir, fs::create_dir_all(dir))?;
        }
        Ok(())
    }

    fn apply(&self, pid: i32) -> Result<(), CgroupError> {
        self.create()?;
        for dir in self.all_dirs() {
            self.unless_named_only(dir, fs::write(dir, "cgroup.procs", pid))?;
        }
        Ok(())
    }

    fn set(&self, resources: &LinuxResources) -> Result<(), CgroupError> {
        if resources.unified().as_ref().is_some_and(|u| !u.is_empty()) {
            return Err(CgroupError::Unsupported(
                "invalid configuration: cannot use unified on cgroup v1 (unified resources need cgroup v2)".into(),
            ));
        }
        if let Some(rules) = resources.devices() {
            // As runc, a caller without root (rootless) goes on without
            // device rules it may not write.
            self.set_devices(rules).or_else(super::ignore_unless_root)?;
        }
        if let Some(memory) = resources.memory() {
            self.set_memory(memory)?;
        }
        if let Some(cpu) = resources.cpu() {
            self.set_cpu(cpu)?;
        }
        // As runc: 0 leaves the limit alone, a negative one lifts it.
        if let Some(limit) = resources.pids().map(|p| p.limit()).filter(|l| *l != 0) {
            let dir = self.require("pids", "a pids limit")?;
            if limit > 0 {
                fs::write(dir, "pids.max", limit)?;
            } else {
                fs::write(dir, "pids.max", "max")?;
            }
        }
        if let Some(io) = resources.block_io() {
            self.set_block_io(io)?;
        }
        self.set_hugetlb(resources)?;
        if let Some(network) = resources.network()
            && (network.class_id().is_some() || network.priorities().is_some())
        {
            return Err(CgroupError::Unsupported(
                "network class ids and priorities (net_cls, net_prio) are not supported".into(),
            ));
        }
        if resources.rdma().as_ref().is_some_and(|r| !r.is_empty()) {
            return Err(CgroupError::Unsupported(
                "rdma limits are not supported".into(),
            ));
        }
        Ok(())
    }

    fn freeze(&self) -> Result<(), CgroupError> {
        let dir = self.require("freezer", "pause")?;
        fs::write(dir, "freezer.state", "FROZEN")?;
        let frozen = fs::wait_until(|| {
            let state = fs::read(dir, "freezer.state")?;
            if state.trim() == "FROZEN" {
                return Ok(true);
            }
            // A task in an uninterruptible sleep can stall FREEZING; asking
            // again retries the tasks that missed it.
            fs::write(dir, "freezer.state", "FROZEN")?;
            Ok(false)
        })?;
        if !frozen {
            let _ = fs::write(dir, "freezer.state", "THAWED");
            return Err(CgroupError::FreezeTimeout {
                path: dir.join("freezer.state"),
                state: "FROZEN",
            });
        }
        Ok(())
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        let dir = self.require("freezer", "resume")?;
        fs::write(dir, "freezer.state", "THAWED")
    }

    fn freezer_state(&self) -> Result<FreezerState, CgroupError> {
        let Some(dir) = self.dir("freezer") else {
            return Ok(FreezerState::Thawed);
        };
        Ok(match fs::read(dir, "freezer.state")?.trim() {
            "FROZEN" => FreezerState::Frozen,
            "FREEZING" => FreezerState::Freezing,
            _ => FreezerState::Thawed,
        })
    }

    fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        let dir = ["pids", "freezer", "memory", "devices", "cpu"]
            .iter()
            .find_map(|c| self.dir(c))
            .or_else(|| self.all_dirs().into_iter().next())
            .ok_or(CgroupError::NoHierarchy)?;
        let mut pids = Vec::new();
        fs::pids_recursive(dir, &mut pids)?;
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    fn stats(&self) -> Result<CgroupStats, CgroupError> {
        let mut stats = CgroupStats::default();
        if let Some(dir) = self.dir("cpuacct") {
            let usage = &mut stats.cpu.usage;
            usage.total = fs::read_u64_optional(dir, "cpuacct.usage");
            let per_cpu = |file| {
                fs::read_optional(dir, file)
                    .map(|t| {
                        t.split_whitespace()
                            .filter_map(|v| v.parse().ok())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            usage.percpu = per_cpu("cpuacct.usage_percpu");
            usage.percpu_kernel = per_cpu("cpuacct.usage_percpu_sys");
            usage.percpu_user = per_cpu("cpuacct.usage_percpu_user");
            // cpuacct.stat counts USER_HZ (100 per second) ticks.
            let ticks = stats::parse_flat_keyed(
                &fs::read_optional(dir, "cpuacct.stat").unwrap_or_default(),
            );
            usage.user = ticks.get("user").copied().unwrap_or(0) * 10_000_000;
            usage.kernel = ticks.get("system").copied().unwrap_or(0) * 10_000_000;
        }
        if let Some(dir) = self.dir("cpu") {
            let cpu_stat =
                stats::parse_flat_keyed(&fs::read_optional(dir, "cpu.stat").unwrap_or_default());
            let throttling = &mut stats.cpu.throttling;
            throttling.periods = cpu_stat.get("nr_periods").copied().unwrap_or(0);
            throttling.throttled_periods = cpu_stat.get("nr_throttled").copied().unwrap_or(0);
            throttling.throttled_time = cpu_stat.get("throttled_time").copied().unwrap_or(0);
        }
        if let Some(dir) = self.dir("memory") {
            let entry = |prefix: &str| MemoryEntry {
                limit: fs::read_u64_optional(dir, &format!("{prefix}.limit_in_bytes")),
                usage: fs::read_u64_optional(dir, &format!("{prefix}.usage_in_bytes")),
                max: fs::read_u64_optional(dir, &format!("{prefix}.max_usage_in_bytes")),
                failcnt: fs::read_u64_optional(dir, &format!("{prefix}.failcnt")),
            };
            let memory = &mut stats.memory;
            memory.usage = entry("memory");
            memory.swap = entry("memory.memsw");
            memory.kernel = entry("memory.kmem");
            memory.kernel_tcp = entry("memory.kmem.tcp");
            memory.raw = stats::parse_flat_keyed(&fs::read(dir, "memory.stat")?);
            memory.cache = memory.raw.get("cache").copied().unwrap_or(0);
            let oom = stats::parse_flat_keyed(
                &fs::read_optional(dir, "memory.oom_control").unwrap_or_default(),
            );
            stats.oom_kill_count = oom.get("oom_kill").copied().unwrap_or(0);
        }
        if let Some(dir) = self.dir("pids") {
            stats.pids.current = fs::read_u64_optional(dir, "pids.current");
            let limit = fs::read_u64_optional(dir, "pids.max");
            stats.pids.limit = if limit == u64::MAX { 0 } else { limit };
        }
        if let Some(dir) = self.dir("blkio") {
            let entries = |name: &str| {
                // CFQ's recursive files when present, else the throttle ones.
                fs::read_optional(dir, &format!("blkio.{name}_recursive"))
                    .filter(|t| !t.trim().is_empty())
                    .or_else(|| fs::read_optional(dir, &format!("blkio.throttle.{name}")))
                    .map(|t| stats::parse_blkio_v1(&t))
                    .unwrap_or_default()
            };
            let blkio = &mut stats.blkio;
            blkio.io_service_bytes_recursive = entries("io_service_bytes");
            blkio.io_serviced_recursive = entries("io_serviced");
            blkio.io_queued_recursive = entries("io_queued");
            blkio.io_service_time_recursive = entries("io_service_time");
            blkio.io_wait_time_recursive = entries("io_wait_time");
            blkio.io_merged_recursive = entries("io_merged");
            blkio.io_time_recursive = entries("time");
            blkio.sectors_recursive = entries("sectors");
        }
        for size in stats::hugepage_sizes() {
            let entry = if let Some(dir) = self.dir("hugetlb") {
                HugetlbStats {
                    usage: fs::read_u64_optional(dir, &format!("hugetlb.{size}.usage_in_bytes")),
                    max: fs::read_u64_optional(dir, &format!("hugetlb.{size}.max_usage_in_bytes")),
                    failcnt: fs::read_u64_optional(dir, &format!("hugetlb.{size}.failcnt")),
                }
            } else if let Some(dir) = self.unified_with("hugetlb") {
                super::v2::hugetlb_stats(dir, &size)
            } else {
                continue;
            };
            stats.hugetlb.insert(size, entry);
        }
        Ok(stats)
    }

    fn oom_kill_count(&self) -> Result<u64, CgroupError> {
        let Some(dir) = self.dir("memory") else {
            return Ok(0);
        };
        let oom = stats::parse_flat_keyed(&fs::read(dir, "memory.oom_control")?);
        Ok(oom.get("oom_kill").copied().unwrap_or(0))
    }

    fn destroy(&self) -> Result<(), CgroupError> {
        let mut first_error = None;
        for dir in self.all_dirs() {
            if let Err(e) = fs::remove_tree(dir) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn v2_dir_fd(&self) -> Option<OwnedFd> {
        self.paths.unified.as_deref().and_then(fs::open_dir)
    }

    fn enter(&self, placed_in_unified: bool) -> Result<(), CgroupError> {
        let mut seen = BTreeSet::new();
        for dir in self.paths.v1.values() {
            if seen.insert(dir.as_path()) {
                self.unless_named_only(dir, fs::write(dir, "tasks", 0))?;
            }
        }
        match &self.paths.unified {
            Some(dir) if !placed_in_unified => fs::write(dir, "cgroup.procs", 0),
            _ => Ok(()),
        }
    }
}
