//! `GET /containers/{id}/stats`: moby's StatsJSON, one sample of a
//! container's cgroup with the previous CPU sample, as the daemon sends it
//! and `docker stats` reads it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuUsage {
    pub total_usage: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_usage: Vec<u64>,
    pub usage_in_kernelmode: u64,
    pub usage_in_usermode: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottlingData {
    pub periods: u64,
    pub throttled_periods: u64,
    pub throttled_time: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuStats {
    pub cpu_usage: CpuUsage,
    #[serde(skip_serializing_if = "is_zero")]
    pub system_cpu_usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub online_cpus: u32,
    pub throttling_data: ThrottlingData,
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryStats {
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max_usage: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stats: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub failcnt: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PidsStats {
    #[serde(skip_serializing_if = "is_zero")]
    pub current: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

/// One block I/O counter of one device. Zero fields are left out, as the
/// daemon has always sent them.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioEntry {
    #[serde(skip_serializing_if = "is_zero")]
    pub major: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub minor: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub value: u64,
}

/// Each list is `null` when the kernel reported nothing, as moby sends.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioStats {
    pub io_service_bytes_recursive: Option<Vec<BlkioEntry>>,
    pub io_serviced_recursive: Option<Vec<BlkioEntry>>,
    pub io_queue_recursive: Option<Vec<BlkioEntry>>,
    pub io_service_time_recursive: Option<Vec<BlkioEntry>>,
    pub io_wait_time_recursive: Option<Vec<BlkioEntry>>,
    pub io_merged_recursive: Option<Vec<BlkioEntry>>,
    pub io_time_recursive: Option<Vec<BlkioEntry>>,
    pub sectors_recursive: Option<Vec<BlkioEntry>>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageStats {}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsJson {
    pub name: String,
    pub id: String,
    pub read: String,
    pub preread: String,
    pub pids_stats: PidsStats,
    pub blkio_stats: BlkioStats,
    pub num_procs: u32,
    pub storage_stats: StorageStats,
    pub cpu_stats: CpuStats,
    pub precpu_stats: CpuStats,
    pub memory_stats: MemoryStats,
    /// Per interface; moby omits it for a container without networks, and
    /// dockbox's containers have none yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networks: Option<BTreeMap<String, NetworkStats>>,
}

/// One interface's counters (the client sums received and sent bytes).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkStats {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}
