//! cgroup v2: one directory in the unified hierarchy; device rules become
//! an eBPF program attached to it.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxMemory, LinuxResources};

use super::devices_bpf;
use super::fs;
use super::stats::{self, CgroupStats, HugetlbStats, MemoryEntry};
use super::{
    CgroupError, CgroupManager, CgroupPaths, FreezerState, blkio_weight_to_io_weight,
    shares_to_weight, swap_to_v2,
};

#[derive(Debug)]
pub struct V2Manager {
    dir: PathBuf,
}

impl V2Manager {
    pub fn new(dir: PathBuf) -> V2Manager {
        V2Manager { dir }
    }

    /// Makes `controller` available in our directory by enabling it in
    /// each ancestor's cgroup.subtree_control, from the hierarchy root down.
    fn enable(&self, controller: &str) -> Result<(), CgroupError> {
        if has_controller(&self.dir, controller) {
            return Ok(());
        }
        let ancestors: Vec<&Path> = self
            .dir
            .ancestors()
            .skip(1)
            .take_while(|dir| dir.join("cgroup.controllers").exists())
            .collect();
        for dir in ancestors.iter().rev() {
            if !has_controller(dir, controller) {
                break;
            }
            let enabled = fs::read(dir, "cgroup.subtree_control")?;
            if !enabled.split_whitespace().any(|c| c == controller) {
                fs::write(dir, "cgroup.subtree_control", format!("+{controller}"))?;
            }
        }
        if has_controller(&self.dir, controller) {
            Ok(())
        } else {
            Err(CgroupError::Unsupported(format!(
                "the {controller} controller is not available in {}",
                self.dir.display()
            )))
        }
    }

    fn set_memory(&self, memory: &LinuxMemory) -> Result<(), CgroupError> {
        let limit = memory.limit().filter(|l| *l != 0);
        let swap = match memory.swap() {
            Some(swap) => swap_to_v2(swap, limit)?,
            None if limit == Some(-1) => Some(-1),
            None => None,
        };
        let reservation = memory.reservation().filter(|r| *r != 0);
        if limit.is_none() && swap.is_none() && reservation.is_none() {
            return Ok(());
        }
        self.enable("memory")?;
        // Swap first: a host without swap accounting has no memory.swap.max,
        // which only matters when a swap limit was asked for.
        if let Some(swap) = swap {
            if fs::exists(&self.dir, "memory.swap.max") {
                fs::write(&self.dir, "memory.swap.max", max_or(swap))?;
            } else if swap != -1 {
                return Err(CgroupError::Unsupported(
                    "a swap limit needs swap accounting (memory.swap.max is missing)".into(),
                ));
            }
        }
        if let Some(limit) = limit {
            fs::write(&self.dir, "memory.max", max_or(limit))?;
        }
        if let Some(reservation) = reservation {
            fs::write(&self.dir, "memory.low", max_or(reservation))?;
        }
        Ok(())
    }

    fn set_cpu(&self, cpu: &LinuxCpu) -> Result<(), CgroupError> {
        if cpu.realtime_period().is_some_and(|p| p != 0)
            || cpu.realtime_runtime().is_some_and(|r| r != 0)
        {
            return Err(CgroupError::Unsupported(
                "realtime cpu scheduling (cpu.rt_*) is not supported on cgroup v2".into(),
            ));
        }
        let shares = cpu.shares().filter(|s| *s != 0);
        let quota = cpu.quota().filter(|q| *q != 0);
        let period = cpu.period().filter(|p| *p != 0);
        if shares.is_some() || quota.is_some() || period.is_some() || cpu.idle().is_some() {
            self.enable("cpu")?;
        }
        if let Some(shares) = shares {
            fs::write(&self.dir, "cpu.weight", shares_to_weight(shares))?;
        }
        if quota.is_some() || period.is_some() {
            let mut value = match quota {
                Some(quota) if quota > 0 => quota.to_string(),
                _ => "max".to_string(),
            };
            if let Some(period) = period {
                value.push_str(&format!(" {period}"));
            }
            fs::write(&self.dir, "cpu.max", value)?;
        }
        if let Some(idle) = cpu.idle() {
            fs::write(&self.dir, "cpu.idle", idle)?;
        }
        if let Some(burst) = cpu.burst() {
            self.enable("cpu")?;
            fs::write(&self.dir, "cpu.max.burst", burst)?;
        }
        let cpus = cpu.cpus().as_deref().filter(|c| !c.is_empty());
        let mems = cpu.mems().as_deref().filter(|m| !m.is_empty());
        if cpus.is_some() || mems.is_some() {
            self.enable("cpuset")?;
        }
        if let Some(cpus) = cpus {
            fs::write(&self.dir, "cpuset.cpus", cpus)?;
        }
        if let Some(mems) = mems {
            fs::write(&self.dir, "cpuset.mems", mems)?;
        }
        Ok(())
    }

    fn set_io(&self, io: &LinuxBlockIo) -> Result<(), CgroupError> {
        if !super::v1::block_io_requested(io) {
            return Ok(());
        }
        self.enable("io")?;
        let bfq = fs::exists(&self.dir, "io.bfq.weight");
        if let Some(weight) = io.weight().filter(|w| *w != 0) {
            if bfq {
                fs::write(&self.dir, "io.bfq.weight", weight)?;
            } else {
                let value = format!("default {}", blkio_weight_to_io_weight(weight));
                fs::write(&self.dir, "io.weight", value)?;
            }
        }
        for device in io.weight_device().iter().flatten() {
            if let Some(weight) = device.weight() {
                let (file, value) = if bfq {
                    ("io.bfq.weight", u64::from(weight))
                } else {
                    ("io.weight", blkio_weight_to_io_weight(weight))
                };
                let line = format!("{}:{} {value}", device.major(), device.minor());
                fs::write(&self.dir, file, line)?;
            }
        }
        let throttles = [
            ("rbps", io.throttle_read_bps_device()),
            ("wbps", io.throttle_write_bps_device()),
            ("riops", io.throttle_read_iops_device()),
            ("wiops", io.throttle_write_iops_device()),
        ];
        for (key, devices) in throttles {
            for device in devices.iter().flatten() {
                let rate = if device.rate() == 0 {
                    "max".to_string()
                } else {
                    device.rate().to_string()
                };
                let line = format!("{}:{} {key}={rate}", device.major(), device.minor());
                fs::write(&self.dir, "io.max", line)?;
            }
        }
        Ok(())
    }

    fn set_unified(
        &self,
        unified: &std::collections::HashMap<String, String>,
    ) -> Result<(), CgroupError> {
        for (key, value) in unified {
            if key.contains('/') || key.starts_with('.') || key.is_empty() {
                return Err(CgroupError::Invalid(format!(
                    "unified resource {key:?} is not a cgroup file name"
                )));
            }
            if let Some((controller, _)) = key.split_once('.')
                && controller != "cgroup"
            {
                self.enable(controller)?;
            }
            fs::write(&self.dir, key, value)?;
        }
        Ok(())
    }
}

fn has_controller(dir: &Path, controller: &str) -> bool {
    fs::read_optional(dir, "cgroup.controllers")
        .is_some_and(|c| c.split_whitespace().any(|c| c == controller))
}

fn max_or(value: i64) -> String {
    if value < 0 {
        "max".to_string()
    } else {
        value.to_string()
    }
}

pub fn hugetlb_stats(dir: &Path, size: &str) -> HugetlbStats {
    let events = stats::parse_flat_keyed(
        &fs::read_optional(dir, &format!("hugetlb.{size}.events")).unwrap_or_default(),
    );
    HugetlbStats {
        usage: fs::read_u64_optional(dir, &format!("hugetlb.{size}.current")),
        max: 0,
        failcnt: events.get("max").copied().unwrap_or(0),
    }
}

impl CgroupManager for V2Manager {
    fn paths(&self) -> CgroupPaths {
        CgroupPaths {
            v1: Default::default(),
            unified: Some(self.dir.clone()),
        }
    }

    fn create(&self) -> Result<(), CgroupError> {
        fs::create_dir_all(&self.dir)
    }

    fn apply(&self, pid: i32) -> Result<(), CgroupError> {
        self.create()?;
        fs::write(&self.dir, "cgroup.procs", pid)
    }

    fn set(&self, resources: &LinuxResources) -> Result<(), CgroupError> {
        if let Some(rules) = resources.devices() {
            // As runc, a caller without root (rootless) goes on without
            // device rules it may not load.
            devices_bpf::apply(&self.dir, rules).or_else(super::ignore_unless_root)?;
        }
        if let Some(memory) = resources.memory() {
            self.set_memory(memory)?;
        }
        if let Some(cpu) = resources.cpu() {
            self.set_cpu(cpu)?;
        }
        // As runc: 0 leaves the limit alone, a negative one lifts it.
        if let Some(limit) = resources.pids().map(|p| p.limit()).filter(|l| *l != 0) {
            self.enable("pids")?;
            fs::write(&self.dir, "pids.max", max_or(limit))?;
        }
        if let Some(io) = resources.block_io() {
            self.set_io(io)?;
        }
        for limit in resources.hugepage_limits().iter().flatten() {
            self.enable("hugetlb")?;
            let file = format!("hugetlb.{}.max", limit.page_size());
            fs::write(&self.dir, &file, max_or(limit.limit()))?;
        }
        if let Some(unified) = resources.unified() {
            self.set_unified(unified)?;
        }
        if let Some(network) = resources.network()
            && (network.class_id().is_some() || network.priorities().is_some())
        {
            return Err(CgroupError::Unsupported(
                "network class ids and priorities do not exist on cgroup v2".into(),
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
        fs::write(&self.dir, "cgroup.freeze", 1)?;
        let frozen = fs::wait_until(|| Ok(self.freezer_state()? == FreezerState::Frozen))?;
        if !frozen {
            let _ = fs::write(&self.dir, "cgroup.freeze", 0);
            return Err(CgroupError::FreezeTimeout {
                path: self.dir.join("cgroup.events"),
                state: "frozen 1",
            });
        }
        Ok(())
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        fs::write(&self.dir, "cgroup.freeze", 0)
    }

    fn freezer_state(&self) -> Result<FreezerState, CgroupError> {
        let requested = fs::read(&self.dir, "cgroup.freeze")?.trim() == "1";
        let events = stats::parse_flat_keyed(&fs::read(&self.dir, "cgroup.events")?);
        let frozen = events.get("frozen").copied() == Some(1);
        Ok(match (requested, frozen) {
            (_, true) => FreezerState::Frozen,
            (true, false) => FreezerState::Freezing,
            (false, false) => FreezerState::Thawed,
        })
    }

    fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        let mut pids = Vec::new();
        fs::pids_recursive(&self.dir, &mut pids)?;
        pids.sort_unstable();
        Ok(pids)
    }

    fn stats(&self) -> Result<CgroupStats, CgroupError> {
        let dir = &self.dir;
        let mut stats = CgroupStats::default();
        let cpu_stat = stats::parse_flat_keyed(&fs::read(dir, "cpu.stat")?);
        let micros = |key: &str| cpu_stat.get(key).copied().unwrap_or(0) * 1000;
        stats.cpu.usage.total = micros("usage_usec");
        stats.cpu.usage.user = micros("user_usec");
        stats.cpu.usage.kernel = micros("system_usec");
        stats.cpu.throttling.periods = cpu_stat.get("nr_periods").copied().unwrap_or(0);
        stats.cpu.throttling.throttled_periods = cpu_stat.get("nr_throttled").copied().unwrap_or(0);
        stats.cpu.throttling.throttled_time = micros("throttled_usec");

        if fs::exists(dir, "memory.current") {
            let events = stats::parse_flat_keyed(
                &fs::read_optional(dir, "memory.events").unwrap_or_default(),
            );
            let memory = &mut stats.memory;
            memory.raw =
                stats::parse_flat_keyed(&fs::read_optional(dir, "memory.stat").unwrap_or_default());
            memory.cache = memory.raw.get("file").copied().unwrap_or(0);
            memory.usage = MemoryEntry {
                limit: fs::read_u64_optional(dir, "memory.max"),
                usage: fs::read_u64_optional(dir, "memory.current"),
                max: fs::read_u64_optional(dir, "memory.peak"),
                failcnt: events.get("max").copied().unwrap_or(0),
            };
            // runc reports v2 swap as memory+swap, like v1's memsw.
            let swap_usage = fs::read_u64_optional(dir, "memory.swap.current");
            let swap_limit = fs::read_u64_optional(dir, "memory.swap.max");
            memory.swap = MemoryEntry {
                limit: swap_limit.saturating_add(memory.usage.limit),
                usage: swap_usage + memory.usage.usage,
                max: 0,
                failcnt: 0,
            };
            stats.oom_kill_count = events.get("oom_kill").copied().unwrap_or(0);
        }
        if fs::exists(dir, "pids.current") {
            stats.pids.current = fs::read_u64_optional(dir, "pids.current");
            let limit = fs::read_u64_optional(dir, "pids.max");
            stats.pids.limit = if limit == u64::MAX { 0 } else { limit };
        }
        if let Some(io) = fs::read_optional(dir, "io.stat") {
            stats::parse_io_stat_v2(&io, &mut stats.blkio);
        }
        if has_controller(dir, "hugetlb") {
            for size in stats::hugepage_sizes() {
                let entry = hugetlb_stats(dir, &size);
                stats.hugetlb.insert(size, entry);
            }
        }
        Ok(stats)
    }

    fn oom_kill_count(&self) -> Result<u64, CgroupError> {
        let Some(events) = fs::read_optional(&self.dir, "memory.events") else {
            return Ok(0);
        };
        Ok(stats::parse_flat_keyed(&events)
            .get("oom_kill")
            .copied()
            .unwrap_or(0))
    }

    fn destroy(&self) -> Result<(), CgroupError> {
        fs::remove_tree(&self.dir)
    }

    fn v2_dir_fd(&self) -> Option<OwnedFd> {
        fs::open_dir(&self.dir)
    }

    fn enter(&self, placed_in_unified: bool) -> Result<(), CgroupError> {
        if placed_in_unified {
            return Ok(());
        }
        fs::write(&self.dir, "cgroup.procs", 0)
    }
}
