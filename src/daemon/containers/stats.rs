//! `GET /containers/{id}/stats`: moby's StatsJSON from the container's
//! cgroup, one sample a second.

use super::record::{ContainerRecord, Status};
use super::shim_requests;
use crate::api::ApiError;
use crate::api::stats::{
    BlkioEntry, BlkioStats, CpuStats, CpuUsage, MemoryStats, PidsStats, StatsJson, StorageStats,
    ThrottlingData,
};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::gofmt::time::{go_time, now_nanos};
use crate::http::Headers;
use crate::runtime::cgroups::stats::{self as cgroup_stats, CgroupStats};
use std::io::Write;
use std::time::Duration;

/// What a sample needs of the host.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostFigures {
    /// CPU time in nanoseconds, from /proc/stat's `cpu` line (as moby's
    /// `getSystemCPUUsage`).
    pub cpu_time: u64,
    pub online_cpus: u32,
    /// MemTotal, the limit shown for containers without one.
    pub machine_memory: u64,
}

fn host_figures() -> HostFigures {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let mut total = 0;
    let mut online = 0;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("cpu") => {
                // SAFETY: sysconf has no memory effects.
                let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
                let ticks: u64 = fields.take(7).filter_map(|f| f.parse::<u64>().ok()).sum();
                total = ticks * (1_000_000_000 / hz);
            }
            Some(name) if name.starts_with("cpu") => online += 1,
            _ => {}
        }
    }
    HostFigures {
        cpu_time: total,
        online_cpus: online,
        machine_memory: crate::daemon::host::mem_total(),
    }
}

/// The cgroup's block I/O entries as the API shows them; `None` when the
/// kernel reported nothing.
fn non_empty(entries: Vec<cgroup_stats::BlkioEntry>) -> Option<Vec<BlkioEntry>> {
    (!entries.is_empty()).then(|| {
        entries
            .into_iter()
            .map(|entry| BlkioEntry {
                major: entry.major,
                minor: entry.minor,
                op: entry.op,
                value: entry.value,
            })
            .collect()
    })
}

/// A limit above the machine's memory (v1 shows "no limit" as the
/// largest page-aligned i64) is reported as the machine's memory, as moby
/// does.
fn capped_at_machine(limit: u64, machine_memory: u64) -> u64 {
    if machine_memory > 0 && limit > machine_memory {
        machine_memory
    } else {
        limit
    }
}

/// One sample in moby's shape; `pre` is the previous sample (CPU and
/// its time), if any.
pub fn to_stats_json(
    record: &ContainerRecord,
    cgroup: CgroupStats,
    system: HostFigures,
    read: i64,
    pre: Option<(&CpuStats, i64)>,
) -> StatsJson {
    let usage = &cgroup.cpu.usage;
    let online = if usage.percpu.is_empty() {
        system.online_cpus
    } else {
        system.online_cpus.min(usage.percpu.len() as u32).max(1)
    };
    let cpu_stats = CpuStats {
        cpu_usage: CpuUsage {
            total_usage: usage.total,
            percpu_usage: usage.percpu.clone(),
            usage_in_kernelmode: usage.kernel,
            usage_in_usermode: usage.user,
        },
        system_cpu_usage: system.cpu_time,
        online_cpus: online,
        throttling_data: ThrottlingData {
            periods: cgroup.cpu.throttling.periods,
            throttled_periods: cgroup.cpu.throttling.throttled_periods,
            throttled_time: cgroup.cpu.throttling.throttled_time,
        },
    };
    let memory = &cgroup.memory;
    let blkio = cgroup.blkio;
    StatsJson {
        name: format!("/{}", record.name),
        id: record.id.clone(),
        read: go_time(read),
        preread: go_time(pre.map_or(0, |(_, at)| at)),
        pids_stats: PidsStats {
            current: cgroup.pids.current,
            limit: cgroup.pids.limit,
        },
        blkio_stats: BlkioStats {
            io_service_bytes_recursive: non_empty(blkio.io_service_bytes_recursive),
            io_serviced_recursive: non_empty(blkio.io_serviced_recursive),
            io_queue_recursive: non_empty(blkio.io_queued_recursive),
            io_service_time_recursive: non_empty(blkio.io_service_time_recursive),
            io_wait_time_recursive: non_empty(blkio.io_wait_time_recursive),
            io_merged_recursive: non_empty(blkio.io_merged_recursive),
            io_time_recursive: non_empty(blkio.io_time_recursive),
            sectors_recursive: non_empty(blkio.sectors_recursive),
        },
        num_procs: 0,
        storage_stats: StorageStats {},
        precpu_stats: pre.map(|(cpu, _)| cpu.clone()).unwrap_or_default(),
        cpu_stats,
        memory_stats: MemoryStats {
            usage: memory.usage.usage,
            max_usage: memory.usage.max,
            stats: memory.raw.clone(),
            failcnt: memory.usage.failcnt,
            limit: capped_at_machine(memory.usage.limit, system.machine_memory),
        },
        networks: None,
    }
}

/// One sample, read by the container's shim: the cgroup is the shim's to
/// read as it is to change.
fn sample(daemon: &Daemon, record: &ContainerRecord) -> Result<CgroupStats, ApiError> {
    shim_requests::stats(daemon, &record.id)
}

fn living(record: &ContainerRecord) -> bool {
    matches!(record.state.status, Status::Running | Status::Paused)
}

pub fn stats_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let stream = call.query.strict_bool("stream", true)?;
    let one_shot = call.query.strict_bool("one-shot", false)?;
    if one_shot && stream {
        return Err(ApiError::invalid(
            "cannot have stream=true and one-shot=true",
        ));
    }
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("write stats headers: {e}")))?;
    let mut send = |stats: &StatsJson| -> bool {
        let mut line = serde_json::to_vec(stats).unwrap_or_default();
        line.push(b'\n');
        writer.write_all(&line).and_then(|_| writer.flush()).is_ok()
    };
    if !living(&record) {
        send(&StatsJson {
            name: format!("/{}", record.name),
            id: record.id.clone(),
            read: go_time(0),
            preread: go_time(0),
            ..StatsJson::default()
        });
        let _ = writer.finish();
        return Ok(Reply::Done);
    }
    let mut previous: Option<(CpuStats, i64)> = None;
    // Without a stream, moby primes the CPU figures with a first sample
    // so the one it sends has a delta to show; one-shot skips that.
    let mut skip_first = !stream && !one_shot;
    while let Ok(record) = daemon.find_container(&record.id) {
        if !living(&record) {
            break;
        }
        let Ok(cgroup) = sample(daemon, &record) else {
            break;
        };
        let now = now_nanos();
        let json = to_stats_json(
            &record,
            cgroup,
            host_figures(),
            now,
            previous.as_ref().map(|(cpu, at)| (cpu, *at)),
        );
        previous = Some((json.cpu_stats.clone(), now));
        if skip_first {
            skip_first = false;
        } else {
            if !send(&json) || !stream {
                break;
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let _ = writer.finish();
    Ok(Reply::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(limit: u64) -> StatsJson {
        let record = ContainerRecord {
            id: "c0ffee".into(),
            name: "web".into(),
            ..ContainerRecord::default()
        };
        let mut cgroup = CgroupStats::default();
        cgroup.memory.usage.usage = 4096;
        cgroup.memory.usage.limit = limit;
        let host = HostFigures {
            cpu_time: 1_000,
            online_cpus: 2,
            machine_memory: 8 << 30,
        };
        to_stats_json(&record, cgroup, host, 0, None)
    }

    #[test]
    fn unlimited_memory_shows_the_machines_memory_as_moby_does() {
        let v1_unlimited = (i64::MAX as u64) & !4095;
        assert_eq!(sample(v1_unlimited).memory_stats.limit, 8 << 30);
        assert_eq!(sample(64 << 20).memory_stats.limit, 64 << 20);
        let json = sample(64 << 20);
        assert_eq!(
            (json.name.as_str(), json.cpu_stats.online_cpus),
            ("/web", 2)
        );
    }
}
