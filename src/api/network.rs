//! The network bodies (moby's `network.Inspect`/`NetworkResource`,
//! `CreateRequest`, `CreateResponse`, `ConnectOptions`,
//! `DisconnectOptions`), shared by the daemon and the client. Field order
//! is moby's, since `docker network inspect` prints the daemon's JSON.

use super::container_view::EndpointSettings;
use super::types::null_as_empty;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One `IPAM.Config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamPool {
    // docker-py sends unset fields as null; Go reads them as "".
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "String::is_empty"
    )]
    pub subnet: String,
    #[serde(
        default,
        rename = "IPRange",
        deserialize_with = "null_as_empty",
        skip_serializing_if = "String::is_empty"
    )]
    pub ip_range: String,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "String::is_empty"
    )]
    pub gateway: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auxiliary_addresses: Option<BTreeMap<String, String>>,
}

/// A network's `IPAM`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipam {
    #[serde(default)]
    pub driver: String,
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub config: Option<Vec<IpamPool>>,
}

/// `ConfigFrom`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigReference {
    #[serde(rename = "Network", default)]
    pub network: String,
}

/// An entry of a network's `Containers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointResource {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "EndpointID")]
    pub endpoint_id: String,
    #[serde(default)]
    pub mac_address: String,
    #[serde(default, rename = "IPv4Address")]
    pub ipv4_address: String,
    #[serde(default, rename = "IPv6Address")]
    pub ipv6_address: String,
}

/// A network as `GET /networks` and `GET /networks/{id}` show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Network {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id: String,
    /// RFC 3339 with nanoseconds, as Go's `time.Time` encodes.
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub driver: String,
    /// From API 1.48.
    #[serde(
        default,
        rename = "EnableIPv4",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv4: Option<bool>,
    #[serde(default, rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    #[serde(default, rename = "IPAM")]
    pub ipam: Ipam,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub ingress: bool,
    #[serde(default)]
    pub config_from: ConfigReference,
    #[serde(default)]
    pub config_only: bool,
    #[serde(default)]
    pub containers: BTreeMap<String, EndpointResource>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The body of `POST /networks/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkCreateRequest {
    #[serde(default)]
    pub name: String,
    /// Deprecated (always on) from API 1.44; the CLI still sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_duplicate: Option<bool>,
    #[serde(default)]
    pub driver: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub ingress: bool,
    #[serde(default)]
    pub config_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_from: Option<ConfigReference>,
    #[serde(default, rename = "IPAM", skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(
        default,
        rename = "EnableIPv4",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv4: Option<bool>,
    #[serde(
        default,
        rename = "EnableIPv6",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv6: Option<bool>,
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// The answer of `POST /networks/create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkCreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Warning", default)]
    pub warning: String,
}

/// The body of `POST /networks/{id}/connect`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConnectRequest {
    #[serde(default)]
    pub container: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_config: Option<EndpointSettings>,
}

/// The body of `POST /networks/{id}/disconnect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkDisconnectRequest {
    #[serde(default)]
    pub container: String,
    #[serde(default)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::IpamPool;

    #[test]
    fn null_pool_fields_read_as_unset_as_go_reads_them() {
        let pool: IpamPool = serde_json::from_str(
            r#"{"Subnet":"172.28.0.0/16","IPRange":null,"Gateway":null,"AuxiliaryAddresses":null}"#,
        )
        .unwrap();
        assert_eq!(pool.subnet, "172.28.0.0/16");
        assert_eq!(pool.ip_range, "");
        assert_eq!(pool.gateway, "");
        assert_eq!(pool.auxiliary_addresses, None);
    }
}
