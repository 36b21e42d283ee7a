//! Engine API bodies shared by the daemon and the client, with Docker's
//! exact field names. Container and image types join them as their
//! endpoints arrive.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every error body: `{"message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub message: String,
}

/// `GET /version`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SystemVersion {
    pub platform: Platform,
    #[serde(deserialize_with = "null_as_empty")]
    pub components: Vec<ComponentVersion>,
    pub version: String,
    pub api_version: String,
    #[serde(rename = "MinAPIVersion")]
    pub min_api_version: String,
    pub git_commit: String,
    pub go_version: String,
    pub os: String,
    pub arch: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kernel_version: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub experimental: bool,
    pub build_time: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Platform {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ComponentVersion {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
}

/// `GET /info`: the fields `docker info` prints and a few more that
/// clients read (docker-py wants `ExperimentalBuild`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SystemInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub containers: u64,
    pub containers_running: u64,
    pub containers_paused: u64,
    pub containers_stopped: u64,
    pub images: u64,
    pub driver: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub driver_status: Vec<[String; 2]>,
    pub docker_root_dir: String,
    pub plugins: PluginsInfo,
    pub memory_limit: bool,
    pub swap_limit: bool,
    #[serde(rename = "KernelMemoryTCP")]
    pub kernel_memory_tcp: bool,
    pub cpu_cfs_period: bool,
    pub cpu_cfs_quota: bool,
    #[serde(rename = "CPUShares")]
    pub cpu_shares: bool,
    #[serde(rename = "CPUSet")]
    pub cpu_set: bool,
    pub pids_limit: bool,
    pub oom_kill_disable: bool,
    #[serde(rename = "IPv4Forwarding")]
    pub ipv4_forwarding: bool,
    pub debug: bool,
    #[serde(rename = "NFd")]
    pub n_fd: u64,
    #[serde(rename = "NGoroutines")]
    pub n_goroutines: u64,
    pub system_time: String,
    pub logging_driver: String,
    pub cgroup_driver: String,
    pub cgroup_version: String,
    #[serde(rename = "NEventsListener")]
    pub n_events_listener: u64,
    pub kernel_version: String,
    pub operating_system: String,
    #[serde(rename = "OSVersion")]
    pub os_version: String,
    #[serde(rename = "OSType")]
    pub os_type: String,
    pub architecture: String,
    #[serde(rename = "NCPU")]
    pub ncpu: u64,
    pub mem_total: u64,
    pub index_server_address: String,
    pub registry_config: RegistryConfig,
    pub http_proxy: String,
    pub https_proxy: String,
    pub no_proxy: String,
    pub name: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub labels: Vec<String>,
    pub experimental_build: bool,
    pub server_version: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub runtimes: BTreeMap<String, RuntimeInfo>,
    pub default_runtime: String,
    pub swarm: SwarmInfo,
    pub live_restore_enabled: bool,
    pub isolation: String,
    pub init_binary: String,
    pub containerd_commit: Commit,
    pub runc_commit: Commit,
    pub init_commit: Commit,
    #[serde(deserialize_with = "null_as_empty")]
    pub security_options: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub product_license: String,
    /// Fields other daemons send that `docker info` prints; dockbox's
    /// daemon leaves them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_status: Option<Vec<[String; 2]>>,
    #[serde(
        default,
        rename = "CDISpecDirs",
        skip_serializing_if = "Option::is_none"
    )]
    pub cdi_spec_dirs: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_address_pools: Option<Vec<AddressPool>>,
    /// moby's is a nil slice when nothing is missing: `null` on the wire.
    #[serde(
        default,
        serialize_with = "empty_as_null",
        deserialize_with = "null_as_empty"
    )]
    pub warnings: Vec<String>,
}

/// moby's `NetworkAddressPool`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AddressPool {
    pub base: String,
    pub size: i64,
}

fn empty_as_null<S: serde::Serializer>(list: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    if list.is_empty() {
        serializer.serialize_none()
    } else {
        serializer.collect_seq(list)
    }
}

/// A null reads as the type's zero value, as Go's decoder leaves a field
/// it sees `null` for.
pub(crate) fn null_as_empty<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(
    deserializer: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PluginsInfo {
    #[serde(deserialize_with = "null_as_empty")]
    pub volume: Vec<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub network: Vec<String>,
    pub authorization: Option<Vec<String>>,
    #[serde(deserialize_with = "null_as_empty")]
    pub log: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RegistryConfig {
    #[serde(rename = "InsecureRegistryCIDRs")]
    #[serde(deserialize_with = "null_as_empty")]
    pub insecure_registry_cidrs: Vec<String>,
    #[serde(deserialize_with = "null_as_empty")]
    pub index_configs: BTreeMap<String, IndexInfo>,
    #[serde(deserialize_with = "null_as_empty")]
    pub mirrors: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IndexInfo {
    pub name: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub mirrors: Vec<String>,
    pub secure: bool,
    pub official: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuntimeInfo {
    pub path: String,
    #[serde(rename = "runtimeArgs", default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_args: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SwarmInfo {
    #[serde(rename = "NodeID")]
    pub node_id: String,
    pub node_addr: String,
    pub local_node_state: String,
    pub control_available: bool,
    pub error: String,
    pub remote_managers: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Commit {
    #[serde(rename = "ID")]
    pub id: String,
}

/// `GET /system/df`: the fields of each entry that `docker system df`
/// sums. Entries are read leniently, as daemons of every version fill
/// them differently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DiskUsage {
    pub layers_size: i64,
    pub images: Option<Vec<ImageUsage>>,
    pub containers: Option<Vec<ContainerUsage>>,
    pub volumes: Option<Vec<VolumeUsage>>,
    pub build_cache: Option<Vec<BuildCacheUsage>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageUsage {
    pub containers: i64,
    pub size: i64,
    pub shared_size: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerUsage {
    pub state: String,
    pub size_rw: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeUsage {
    pub usage_data: Option<VolumeUsageData>,
}

/// moby's `volume.UsageData`: -1 where the size or count is unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeUsageData {
    pub size: i64,
    pub ref_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BuildCacheUsage {
    pub size: i64,
    pub in_use: bool,
    pub shared: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_dockers() {
        let info = serde_json::to_value(SystemInfo::default()).unwrap();
        for key in [
            "ID",
            "NCPU",
            "NFd",
            "NGoroutines",
            "OSType",
            "CPUShares",
            "KernelMemoryTCP",
            "ExperimentalBuild",
            "CgroupVersion",
            "DefaultRuntime",
            "SecurityOptions",
            "DockerRootDir",
        ] {
            assert!(info.get(key).is_some(), "{key} missing");
        }
        assert!(info["Swarm"].get("LocalNodeState").is_some());
        assert!(
            info["RegistryConfig"]
                .get("InsecureRegistryCIDRs")
                .is_some()
        );
        let version = serde_json::to_value(SystemVersion::default()).unwrap();
        for key in [
            "ApiVersion",
            "MinAPIVersion",
            "GoVersion",
            "GitCommit",
            "Platform",
        ] {
            assert!(version.get(key).is_some(), "{key} missing");
        }
        assert!(version.get("KernelVersion").is_none());
    }

    #[test]
    fn a_client_reads_other_daemons_answers() {
        // Go's nil slices arrive as null, fields of other versions are
        // unknown here, and older daemons leave fields out.
        let info: SystemInfo = serde_json::from_str(
            r#"{"ID":"x","Containers":2,"DriverStatus":null,"Labels":null,"Warnings":null,
                "Plugins":{"Volume":["local"],"Network":null,"Log":null},
                "RegistryConfig":{"IndexConfigs":null,"Mirrors":null},
                "GenericResources":null,"DefaultAddressPools":[{"Base":"10.0.0.0/8","Size":24}]}"#,
        )
        .unwrap();
        assert_eq!(info.containers, 2);
        assert!(info.driver_status.is_empty() && info.warnings.is_empty());
        assert_eq!(info.plugins.volume, ["local"]);
        assert_eq!(info.default_address_pools.unwrap()[0].size, 24);
        let version: SystemVersion =
            serde_json::from_str(r#"{"Version":"20.10.24","Components":null}"#).unwrap();
        assert_eq!(version.version, "20.10.24");
        assert!(version.components.is_empty());
    }

    #[test]
    fn fields_for_other_daemons_stay_out_of_ours() {
        let info = serde_json::to_value(SystemInfo::default()).unwrap();
        for key in [
            "SystemStatus",
            "CDISpecDirs",
            "Username",
            "DefaultAddressPools",
        ] {
            assert!(info.get(key).is_none(), "{key} sent");
        }
    }
}
