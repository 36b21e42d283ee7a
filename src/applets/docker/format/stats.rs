//! `docker stats`: the figures docker/cli derives from one
//! `GET /containers/{id}/stats` answer (CPU % from the two samples in it,
//! memory without the inactive page cache, summed network and block I/O)
//! and the row its templates see.

use super::ps::truncate_id;
use super::rows::Header;
use crate::api::stats::StatsJson;
use crate::applets::docker::template::{Object, Value};
use crate::gofmt::size::{bytes_size, human_size_with_precision};
use serde_json::Value as Json;

/// The default `docker stats` table.
pub const DEFAULT_STATS_FORMAT: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// `docker stats`'s format for `--format` (empty or `table` mean the
/// default table).
pub fn stats_format(source: &str) -> String {
    match source {
        "" | "table" => DEFAULT_STATS_FORMAT.into(),
        custom => custom.into(),
    }
}

pub const STATS_HEADER: Header = Header::new(&[
    ("Container", "CONTAINER"),
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
]);

/// The figures of one container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsEntry {
    /// The container as named on the command line (or its ID).
    pub container: String,
    /// The name with its leading `/`.
    pub name: String,
    pub id: String,
    pub cpu_percentage: f64,
    pub memory: f64,
    pub memory_limit: f64,
    pub memory_percentage: f64,
    pub network_rx: f64,
    pub network_tx: f64,
    pub block_read: f64,
    pub block_write: f64,
    pub pids_current: u64,
    /// No figures could be read (the container stopped): dashes.
    pub is_invalid: bool,
}

/// Computes the figures from one Engine API stats object.
pub fn stats_entry(container: &str, stats: &StatsJson) -> StatsEntry {
    let (cpu, previous) = (&stats.cpu_stats, &stats.precpu_stats);
    let cpu_delta = cpu.cpu_usage.total_usage as f64 - previous.cpu_usage.total_usage as f64;
    let system_delta = cpu.system_cpu_usage as f64 - previous.system_cpu_usage as f64;
    let online_cpus = match cpu.online_cpus {
        0 => cpu.cpu_usage.percpu_usage.len() as f64,
        online => online as f64,
    };
    let cpu_percentage = if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * online_cpus * 100.0
    } else {
        0.0
    };

    // Memory without the inactive page cache: total_inactive_file on
    // cgroup v1, inactive_file on v2.
    let usage = stats.memory_stats.usage;
    let stat = |key: &str| stats.memory_stats.stats.get(key).copied();
    let memory = match (stat("total_inactive_file"), stat("inactive_file")) {
        (Some(v1), _) if v1 < usage => usage - v1,
        (_, Some(v2)) if v2 < usage => usage - v2,
        _ => usage,
    } as f64;
    let memory_limit = stats.memory_stats.limit as f64;
    let memory_percentage = if memory_limit != 0.0 {
        memory / memory_limit * 100.0
    } else {
        0.0
    };

    let (mut network_rx, mut network_tx) = (0.0, 0.0);
    for network in stats.networks.iter().flat_map(|networks| networks.values()) {
        network_rx += network.rx_bytes as f64;
        network_tx += network.tx_bytes as f64;
    }
    let (mut block_read, mut block_write) = (0u64, 0u64);
    for entry in stats
        .blkio_stats
        .io_service_bytes_recursive
        .iter()
        .flatten()
    {
        match entry.op.chars().next() {
            Some('r' | 'R') => block_read += entry.value,
            Some('w' | 'W') => block_write += entry.value,
            _ => {}
        }
    }
    StatsEntry {
        container: container.to_string(),
        name: stats.name.clone(),
        id: stats.id.clone(),
        cpu_percentage,
        memory,
        memory_limit,
        memory_percentage,
        network_rx,
        network_tx,
        block_read: block_read as f64,
        block_write: block_write as f64,
        pids_current: stats.pids_stats.current,
        is_invalid: false,
    }
}

/// One line of `docker stats`.
pub struct StatsRow {
    pub entry: StatsEntry,
    pub truncate: bool,
}

const STATS_FIELDS: &[&str] = &[
    "BlockIO",
    "CPUPerc",
    "Container",
    "ID",
    "MemPerc",
    "MemUsage",
    "Name",
    "NetIO",
    "PIDs",
];

impl StatsRow {
    fn field(&self, name: &str) -> Option<String> {
        let s = &self.entry;
        let pair = |a: f64, b: f64| {
            format!(
                "{} / {}",
                human_size_with_precision(a, 3),
                human_size_with_precision(b, 3)
            )
        };
        Some(match name {
            "Container" => s.container.clone(),
            "Name" => match s.name.get(1..) {
                Some(name) if !name.is_empty() => name.to_string(),
                _ => "--".into(),
            },
            "ID" => if self.truncate {
                truncate_id(&s.id)
            } else {
                &s.id
            }
            .to_string(),
            _ if s.is_invalid => match name {
                "MemUsage" => "-- / --".into(),
                "CPUPerc" | "MemPerc" | "NetIO" | "BlockIO" | "PIDs" => "--".into(),
                _ => return None,
            },
            "CPUPerc" => format!("{:.2}%", s.cpu_percentage),
            "MemUsage" => format!("{} / {}", bytes_size(s.memory), bytes_size(s.memory_limit)),
            "MemPerc" => format!("{:.2}%", s.memory_percentage),
            "NetIO" => pair(s.network_rx, s.network_tx),
            "BlockIO" => pair(s.block_read, s.block_write),
            "PIDs" => s.pids_current.to_string(),
            _ => return None,
        })
    }
}

impl Object for StatsRow {
    fn type_name(&self) -> &str {
        "*container.statsContext"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let value = self.field(name)?;
        if !args.is_empty() {
            return Some(Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            )));
        }
        Some(Ok(value.into()))
    }

    fn to_json(&self) -> Json {
        let map: serde_json::Map<String, Json> = STATS_FIELDS
            .iter()
            .filter_map(|name| Some((name.to_string(), Json::from(self.field(name)?))))
            .collect();
        Json::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::render;
    use super::*;
    use std::rc::Rc;

    // Stats objects a stub daemon served to `docker stats --no-stream`
    // (Docker CLI 28); the expected lines are what it printed.
    fn web() -> StatsJson {
        serde_json::from_str(r#"{"name":"/web","id":"4f66ad9a0b2e5c1e8d5c3f5d2e6b7a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a",
          "pids_stats":{"current":7,"limit":100},
          "blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":1048576},{"op":"Write","value":4096},{"op":"read","value":1000},{"op":"Sync","value":5},{"op":"","value":9}]},
          "cpu_stats":{"cpu_usage":{"total_usage":2500000000,"percpu_usage":[1,2]},"system_cpu_usage":20000000000,"online_cpus":4},
          "precpu_stats":{"cpu_usage":{"total_usage":2000000000},"system_cpu_usage":18000000000,"online_cpus":4},
          "memory_stats":{"usage":73400320,"limit":2147483648,"stats":{"total_inactive_file":4194304,"inactive_file":1000}},
          "networks":{"eth0":{"rx_bytes":1500,"tx_bytes":648},"eth1":{"rx_bytes":500,"tx_bytes":352}}}"#).unwrap()
    }

    fn db() -> StatsJson {
        serde_json::from_str(r#"{"name":"/db","id":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b",
          "pids_stats":{},"blkio_stats":{"io_service_bytes_recursive":null},
          "cpu_stats":{"cpu_usage":{"total_usage":0},"system_cpu_usage":0,"online_cpus":0},
          "precpu_stats":{"cpu_usage":{"total_usage":0}},
          "memory_stats":{"usage":5000,"limit":0,"stats":{"inactive_file":9000}},"networks":{}}"#).unwrap()
    }

    fn rows() -> Vec<Value> {
        [("4f66ad9a0b2e", web()), ("1a2b3c4d5e6f", db())]
            .into_iter()
            .map(|(name, stats)| {
                Value::Object(Rc::new(StatsRow {
                    entry: stats_entry(name, &stats),
                    truncate: true,
                }))
            })
            .collect()
    }

    fn header() -> Value {
        Value::Object(Rc::new(STATS_HEADER))
    }

    #[test]
    fn default_table_as_docker_stats_no_stream() {
        assert_eq!(
            render(&stats_format(""), &header(), &rows()).unwrap(),
            concat!(
                "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O     BLOCK I/O        PIDS\n",
                "4f66ad9a0b2e   web       100.00%   66MiB / 2GiB        3.22%     2kB / 1kB   1.05MB / 4.1kB   7\n",
                "1a2b3c4d5e6f   db        0.00%     4.883KiB / 0B       0.00%     0B / 0B     0B / 0B          0\n",
            )
        );
    }

    #[test]
    fn json_rows() {
        assert_eq!(
            render("{{json .}}", &header(), &rows()).unwrap(),
            concat!(
                r#"{"BlockIO":"1.05MB / 4.1kB","CPUPerc":"100.00%","Container":"4f66ad9a0b2e","ID":"4f66ad9a0b2e","MemPerc":"3.22%","MemUsage":"66MiB / 2GiB","Name":"web","NetIO":"2kB / 1kB","PIDs":"7"}"#,
                "\n",
                r#"{"BlockIO":"0B / 0B","CPUPerc":"0.00%","Container":"1a2b3c4d5e6f","ID":"1a2b3c4d5e6f","MemPerc":"0.00%","MemUsage":"4.883KiB / 0B","Name":"db","NetIO":"0B / 0B","PIDs":"0"}"#,
                "\n",
            )
        );
    }

    #[test]
    fn stopped_containers_show_dashes() {
        let row = StatsRow {
            entry: StatsEntry {
                container: "gone".into(),
                is_invalid: true,
                ..Default::default()
            },
            truncate: true,
        };
        let rows = vec![Value::Object(Rc::new(row))];
        assert_eq!(
            render("{{.Container}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}", &header(), &rows).unwrap(),
            "gone -- -- -- / -- -- -- -- --\n"
        );
    }

    #[test]
    fn cpu_falls_back_to_per_cpu_count() {
        let mut stats = web();
        stats.cpu_stats.online_cpus = 0;
        assert_eq!(stats_entry("x", &stats).cpu_percentage, 50.0);
    }
}
