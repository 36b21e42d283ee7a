//! Container bodies of the Engine API with Docker's exact field names: the
//! create request (Config, HostConfig, NetworkingConfig) and its answer.
//! Fields dockbox does not act on are kept in `extra` and echoed back by
//! inspect, as moby keeps every field it knows.

use super::container_view::EndpointSettings;
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// moby's `strslice.StrSlice`: a string or a list of strings on input,
/// always a list (or null) on output.
pub fn str_slice<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Either>::deserialize(deserializer)? {
        None => None,
        Some(Either::One(one)) => Some(vec![one]),
        Some(Either::Many(many)) => Some(many),
    })
}

/// The part of `Config` that describes the container itself (moby's
/// `container.Config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub domainname: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub attach_stdin: bool,
    #[serde(default)]
    pub attach_stdout: bool,
    #[serde(default)]
    pub attach_stderr: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub tty: bool,
    #[serde(default)]
    pub open_stdin: bool,
    #[serde(default)]
    pub stdin_once: bool,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default, deserialize_with = "str_slice")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub volumes: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub working_dir: String,
    #[serde(default, deserialize_with = "str_slice")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub on_build: Option<Vec<String>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// Shell, MacAddress and anything else, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// moby's `container.HealthConfig`; the durations are nanoseconds, and
/// moby leaves out the zero ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_zero"
    )]
    pub interval: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_zero"
    )]
    pub timeout: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_zero"
    )]
    pub start_period: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_zero"
    )]
    pub start_interval: i64,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_zero"
    )]
    pub retries: i64,
    /// Fields of newer APIs, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub maximum_retry_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    #[serde(default, rename = "Type")]
    pub kind: String,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    #[serde(default)]
    pub host_ip: String,
    #[serde(default)]
    pub host_port: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    pub name: String,
    #[serde(default)]
    pub soft: i64,
    #[serde(default)]
    pub hard: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceMapping {
    #[serde(default)]
    pub path_on_host: String,
    #[serde(default)]
    pub path_in_container: String,
    #[serde(default)]
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BindOptions {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_recursive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_mountpoint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_non_recursive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_force_recursive: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// moby's `mount.Driver`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeDriver {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// moby's `mount.VolumeOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_copy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver_config: Option<VolumeDriver>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// moby's `mount.ImageOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TmpfsOptions {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_bytes: i64,
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub mode: u32,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}

/// An entry of `HostConfig.Mounts` (moby's `mount.Mount`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountSpec {
    #[serde(default, rename = "Type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_options: Option<ImageOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// moby's `blkiodev.WeightDevice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WeightDevice {
    pub path: String,
    pub weight: u16,
}

/// moby's `blkiodev.ThrottleDevice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ThrottleDevice {
    pub path: String,
    pub rate: u64,
}

/// moby's `container.DeviceRequest` (`--gpus`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceRequest {
    #[serde(default)]
    pub driver: String,
    #[serde(default)]
    pub count: i64,
    #[serde(default, rename = "DeviceIDs")]
    pub device_ids: Option<Vec<String>>,
    #[serde(default)]
    pub capabilities: Option<Vec<Vec<String>>>,
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
}

/// A field that is absent, `null` or a value on the wire, each kept as it
/// came: `None` is absent, `Some(None)` is `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// moby's `container.HostConfig` with its embedded `Resources`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    #[serde(default)]
    pub binds: Option<Vec<String>>,
    #[serde(default, rename = "ContainerIDFile")]
    pub container_id_file: String,
    #[serde(default)]
    pub log_config: LogConfig,
    #[serde(default)]
    pub network_mode: String,
    #[serde(default)]
    pub port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    #[serde(default)]
    pub auto_remove: bool,
    #[serde(default)]
    pub volume_driver: String,
    #[serde(default)]
    pub volumes_from: Option<Vec<String>>,
    #[serde(default)]
    pub console_size: [u64; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub cap_add: Option<Vec<String>>,
    #[serde(default)]
    pub cap_drop: Option<Vec<String>>,
    #[serde(default)]
    pub cgroupns_mode: String,
    #[serde(default)]
    pub dns: Option<Vec<String>>,
    #[serde(default)]
    pub dns_options: Option<Vec<String>>,
    #[serde(default)]
    pub dns_search: Option<Vec<String>>,
    #[serde(default)]
    pub extra_hosts: Option<Vec<String>>,
    #[serde(default)]
    pub group_add: Option<Vec<String>>,
    #[serde(default)]
    pub ipc_mode: String,
    #[serde(default)]
    pub cgroup: String,
    #[serde(default)]
    pub links: Option<Vec<String>>,
    #[serde(default)]
    pub oom_score_adj: i64,
    #[serde(default)]
    pub pid_mode: String,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub publish_all_ports: bool,
    #[serde(default)]
    pub readonly_rootfs: bool,
    #[serde(default)]
    pub security_opt: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_opt: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "UTSMode")]
    pub uts_mode: String,
    #[serde(default)]
    pub userns_mode: String,
    #[serde(default)]
    pub shm_size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysctls: Option<BTreeMap<String, String>>,
    /// moby leaves it out when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    #[serde(default)]
    pub isolation: String,
    // Resources.
    #[serde(default)]
    pub cpu_shares: i64,
    #[serde(default)]
    pub memory: i64,
    #[serde(default)]
    pub nano_cpus: i64,
    #[serde(default)]
    pub cgroup_parent: String,
    // The Resources below are absent from a HostConfig that a client sent
    // without them, and stay absent: inspect shows what was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_weight: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_weight_device: Option<Vec<WeightDevice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_device_read_bps: Option<Vec<ThrottleDevice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_device_write_bps: Option<Vec<ThrottleDevice>>,
    #[serde(
        default,
        rename = "BlkioDeviceReadIOps",
        skip_serializing_if = "Option::is_none"
    )]
    pub blkio_device_read_iops: Option<Vec<ThrottleDevice>>,
    #[serde(
        default,
        rename = "BlkioDeviceWriteIOps",
        skip_serializing_if = "Option::is_none"
    )]
    pub blkio_device_write_iops: Option<Vec<ThrottleDevice>>,
    #[serde(default)]
    pub cpu_period: i64,
    #[serde(default)]
    pub cpu_quota: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_realtime_period: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_realtime_runtime: Option<i64>,
    #[serde(default)]
    pub cpuset_cpus: String,
    #[serde(default)]
    pub cpuset_mems: String,
    #[serde(default)]
    pub devices: Option<Vec<DeviceMapping>>,
    #[serde(default)]
    pub device_cgroup_rules: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_requests: Option<Option<Vec<DeviceRequest>>>,
    #[serde(default)]
    pub memory_reservation: i64,
    #[serde(default)]
    pub memory_swap: i64,
    #[serde(default)]
    pub memory_swappiness: Option<i64>,
    #[serde(default)]
    pub oom_kill_disable: Option<bool>,
    #[serde(default)]
    pub pids_limit: Option<i64>,
    #[serde(default)]
    pub ulimits: Option<Vec<Ulimit>>,
    // Windows-only Resources, sent by the CLI as zeros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<i64>,
    #[serde(
        default,
        rename = "IOMaximumIOps",
        skip_serializing_if = "Option::is_none"
    )]
    pub io_maximum_iops: Option<u64>,
    #[serde(
        default,
        rename = "IOMaximumBandwidth",
        skip_serializing_if = "Option::is_none"
    )]
    pub io_maximum_bandwidth: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<MountSpec>>,
    #[serde(default)]
    pub masked_paths: Option<Vec<String>>,
    #[serde(default)]
    pub readonly_paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// KernelMemory, OomKillDisable's kin of newer APIs and the rest, as
    /// given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /containers/create`: the container's Config at the
/// top level, with HostConfig and NetworkingConfig beside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateRequest {
    #[serde(flatten)]
    pub config: ContainerConfig,
    #[serde(rename = "HostConfig", default)]
    pub host_config: Option<HostConfig>,
    #[serde(rename = "NetworkingConfig", default)]
    pub networking_config: Option<NetworkingConfig>,
}

/// moby's `network.NetworkingConfig`: the container's endpoint on each
/// network it joins at create, with the settings inspect shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkingConfig {
    #[serde(default)]
    pub endpoints_config: Option<BTreeMap<String, EndpointSettings>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// moby's `network.EndpointIPAMConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointIpamConfig {
    #[serde(
        rename = "IPv4Address",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_address: String,
    #[serde(
        rename = "IPv6Address",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_address: String,
    #[serde(
        rename = "LinkLocalIPs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub link_local_ips: Option<Vec<String>>,
}

/// The body of `POST /containers/{id}/update`: moby's `UpdateConfig`, the
/// Resources with the restart policy. The CLI sends every field; absent or
/// zero leaves a limit as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfig {
    #[serde(default)]
    pub cpu_shares: i64,
    #[serde(default)]
    pub memory: i64,
    #[serde(default)]
    pub nano_cpus: i64,
    #[serde(default)]
    pub cgroup_parent: String,
    #[serde(default)]
    pub blkio_weight: u16,
    #[serde(default)]
    pub blkio_weight_device: Option<Vec<WeightDevice>>,
    #[serde(default)]
    pub blkio_device_read_bps: Option<Vec<ThrottleDevice>>,
    #[serde(default)]
    pub blkio_device_write_bps: Option<Vec<ThrottleDevice>>,
    #[serde(default, rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<ThrottleDevice>>,
    #[serde(default, rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<ThrottleDevice>>,
    #[serde(default)]
    pub cpu_period: i64,
    #[serde(default)]
    pub cpu_quota: i64,
    #[serde(default)]
    pub cpu_realtime_period: i64,
    #[serde(default)]
    pub cpu_realtime_runtime: i64,
    #[serde(default)]
    pub cpuset_cpus: String,
    #[serde(default)]
    pub cpuset_mems: String,
    #[serde(default)]
    pub devices: Option<Vec<DeviceMapping>>,
    #[serde(default)]
    pub device_cgroup_rules: Option<Vec<String>>,
    #[serde(default)]
    pub device_requests: Option<Vec<DeviceRequest>>,
    /// Only API versions before 1.42 carry it, and the CLI sends it only
    /// when set.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kernel_memory: i64,
    #[serde(default)]
    pub memory_reservation: i64,
    #[serde(default)]
    pub memory_swap: i64,
    #[serde(default)]
    pub memory_swappiness: Option<i64>,
    #[serde(default)]
    pub oom_kill_disable: Option<bool>,
    #[serde(default)]
    pub pids_limit: Option<i64>,
    #[serde(default)]
    pub ulimits: Option<Vec<Ulimit>>,
    #[serde(default)]
    pub cpu_count: i64,
    #[serde(default)]
    pub cpu_percent: i64,
    #[serde(default, rename = "IOMaximumIOps")]
    pub io_maximum_iops: u64,
    #[serde(default, rename = "IOMaximumBandwidth")]
    pub io_maximum_bandwidth: u64,
    #[serde(default)]
    pub restart_policy: Option<RestartPolicy>,
}

/// The answer to update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateResponse {
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

/// The answer to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateResponse {
    pub id: String,
    /// moby's older daemons answer `null` for none.
    #[serde(deserialize_with = "null_as_empty")]
    pub warnings: Vec<String>,
}

/// A null number reads as 0, as Go's decoder leaves it (docker-py sends
/// the healthcheck's unset durations as null).
fn null_as_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(deserializer)?.unwrap_or(0))
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// The answer to `POST /containers/prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PruneReport {
    pub containers_deleted: Option<Vec<String>>,
    #[serde(default)]
    pub space_reclaimed: u64,
}

/// The answer to `POST /containers/{id}/wait`: the exit status, or the
/// error that kept the daemon from waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitResponse {
    #[serde(default)]
    pub status_code: Option<i64>,
    #[serde(default)]
    pub error: Option<WaitExitError>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitExitError {
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_as_the_cli_sends_it() {
        let body = r#"{"Hostname":"","Env":["A=1"],"Cmd":["sh","-c","true"],"Image":"busybox",
            "Entrypoint":"/bin/x","Labels":{"a":"b"},"Healthcheck":{"Test":["NONE"]},
            "HostConfig":{"Memory":67108864,"NanoCpus":1500000000,"CapAdd":["CAP_NET_ADMIN"],
              "ConsoleSize":[24,80],"MemorySwappiness":-1,"NetworkMode":"default",
              "PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
              "Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1024}}],
              "BlkioWeight":0,"Init":true},
            "NetworkingConfig":{"EndpointsConfig":{}}}"#;
        let request: CreateRequest = serde_json::from_str(body).unwrap();
        assert_eq!(request.config.entrypoint, Some(vec!["/bin/x".to_string()]));
        assert_eq!(request.config.cmd.as_ref().unwrap().len(), 3);
        let healthcheck = request.config.healthcheck.as_ref().unwrap();
        assert_eq!(healthcheck.test, Some(vec!["NONE".to_string()]));
        assert!(!request.config.extra.contains_key("HostConfig"));
        let host = request.host_config.unwrap();
        assert_eq!(host.memory, 67_108_864);
        assert_eq!(host.console_size, [24, 80]);
        assert_eq!(host.memory_swappiness, Some(-1));
        assert_eq!(host.init, Some(true));
        assert_eq!(host.blkio_weight, Some(0));
        let mount = &host.mounts.as_ref().unwrap()[0];
        assert_eq!(mount.tmpfs_options.as_ref().unwrap().size_bytes, 1024);
        // Kept fields come back out.
        let again = serde_json::to_value(&host).unwrap();
        assert_eq!(again["BlkioWeight"], 0);
        assert_eq!(again["UTSMode"], "");
        assert_eq!(again["ContainerIDFile"], "");
    }
}
