//! Cgroup statistics in the JSON shape of runc's `events --stats` (the
//! `data` of a `{"type":"stats"}` event), which containerd and the Docker
//! engine parse. Field names and omit-when-zero follow runc's types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CgroupStats {
    pub cpu: CpuStats,
    pub cpuset: CpusetStats,
    pub memory: MemoryStats,
    pub pids: PidsStats,
    pub blkio: BlkioStats,
    pub hugetlb: BTreeMap<String, HugetlbStats>,
    pub intel_rdt: IntelRdtStats,
    pub network_interfaces: Option<Vec<serde_json::Value>>,
    /// OOM kills in the cgroup so far (v1 `memory.oom_control` oom_kill,
    /// v2 `memory.events` oom_kill). Not part of runc's JSON: the `events`
    /// command turns a rise into an `{"type":"oom"}` event.
    #[serde(skip)]
    pub oom_kill_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuStats {
    pub usage: CpuUsage,
    pub throttling: Throttling,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// Nanoseconds, as every field here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu_kernel: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub percpu_user: Vec<u64>,
    pub kernel: u64,
    pub user: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throttling {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub periods: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttled_periods: u64,
    /// Nanoseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub throttled_time: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpusetStats {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<u16>,
    pub cpu_exclusive: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mems: Vec<u16>,
    pub mem_hardwall: u64,
    pub mem_exclusive: u64,
    pub memory_migrate: u64,
    pub memory_spread_page: u64,
    pub memory_spread_slab: u64,
    pub memory_pressure: u64,
    pub sched_load_balance: u64,
    pub sched_relax_domain_level: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache: u64,
    pub usage: MemoryEntry,
    pub swap: MemoryEntry,
    pub kernel: MemoryEntry,
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryEntry {
    /// Bytes; u64::MAX-ish values mean unlimited, as the kernel reports.
    pub limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PidsStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: u64,
    /// 0 when unlimited.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlkioEntry {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub major: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub minor: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub op: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlkioStats {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "ioQueueRecursive"
    )]
    pub io_queued_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_merged_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub io_time_recursive: Vec<BlkioEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors_recursive: Vec<BlkioEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HugetlbStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max: u64,
    pub failcnt: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntelRdtStats {}

/// Parses `key value` lines (memory.stat, cpu.stat, ...).
pub(super) fn parse_flat_keyed(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let key = fields.next()?;
            let value = fields.next()?.parse().ok()?;
            Some((key.to_string(), value))
        })
        .collect()
}

/// Parses a v1 blkio file: `MAJ:MIN Op value` lines (the `Total` lines
/// without a device are skipped).
pub(super) fn parse_blkio_v1(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let (major, minor) = device.split_once(':')?;
            let op = fields.next()?;
            let value = fields.next()?.parse().ok()?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: op.to_string(),
                value,
            })
        })
        .collect()
}

/// Parses v2 `io.stat` lines (`MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=..`)
/// into runc's v1-style entries.
pub(super) fn parse_io_stat_v2(text: &str, stats: &mut BlkioStats) {
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some((major, minor)) = fields.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for field in fields {
            let Some((key, value)) = field.split_once('=') else {
                continue;
            };
            let Ok(value) = value.parse() else {
                continue;
            };
            let (list, op) = match key {
                "rbytes" => (&mut stats.io_service_bytes_recursive, "Read"),
                "wbytes" => (&mut stats.io_service_bytes_recursive, "Write"),
                "rios" => (&mut stats.io_serviced_recursive, "Read"),
                "wios" => (&mut stats.io_serviced_recursive, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.to_string(),
                value,
            });
        }
    }
}

/// Huge page sizes the kernel offers, as cgroup file names spell them
/// ("2MB", "1GB").
pub(super) fn hugepage_sizes() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/sys/kernel/mm/hugepages") else {
        return Vec::new();
    };
    let mut sizes: Vec<(u64, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let kb: u64 = name
                .strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()?;
            Some((kb, hugepage_name(kb)))
        })
        .collect();
    sizes.sort();
    sizes.into_iter().map(|(_, name)| name).collect()
}

fn hugepage_name(kb: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut value = kb;
    let mut unit = 0;
    while value >= 1024 && value.is_multiple_of(1024) && unit + 1 < UNITS.len() {
        value /= 1024;
        unit += 1;
    }
    format!("{value}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_serialise_in_runc_shape() {
        let mut stats = CgroupStats::default();
        stats.cpu.usage.total = 5;
        stats.memory.usage.limit = 7;
        stats.pids.current = 2;
        stats.hugetlb.insert("2MB".into(), HugetlbStats::default());
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(
            json["cpu"]["usage"],
            serde_json::json!({"total": 5, "kernel": 0, "user": 0})
        );
        assert_eq!(json["cpu"]["throttling"], serde_json::json!({}));
        assert_eq!(
            json["memory"]["usage"],
            serde_json::json!({"limit": 7, "failcnt": 0})
        );
        assert_eq!(
            json["memory"]["kernelTCP"],
            serde_json::json!({"limit": 0, "failcnt": 0})
        );
        assert_eq!(json["pids"], serde_json::json!({"current": 2}));
        assert_eq!(json["blkio"], serde_json::json!({}));
        assert_eq!(json["hugetlb"]["2MB"], serde_json::json!({"failcnt": 0}));
        assert!(json["network_interfaces"].is_null());
    }

    #[test]
    fn parsers_read_kernel_formats() {
        let v1 = parse_blkio_v1("8:0 Read 4096\n8:0 Write 0\nTotal 4096\n");
        assert_eq!(v1.len(), 2);
        assert_eq!(
            (v1[0].major, v1[0].minor, v1[0].op.as_str(), v1[0].value),
            (8, 0, "Read", 4096)
        );
        let mut v2 = BlkioStats::default();
        parse_io_stat_v2(
            "259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n",
            &mut v2,
        );
        assert_eq!(v2.io_service_bytes_recursive.len(), 2);
        assert_eq!(v2.io_serviced_recursive[1].value, 2);
        assert_eq!(hugepage_name(2048), "2MB");
        assert_eq!(hugepage_name(1048576), "1GB");
        assert_eq!(hugepage_name(64), "64KB");
        let flat = parse_flat_keyed("usage_usec 12\nnr_throttled 3\n");
        assert_eq!(flat["nr_throttled"], 3);
    }
}
