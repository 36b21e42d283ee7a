//! Network records in the store: the predefined `bridge`, `host` and
//! `none` networks (made once, so their IDs stay across restarts, as
//! dockerd's do) and user-defined bridge networks; finding a network as
//! moby's `FindNetwork` does; and the views the routes show.

use super::errors::store_error;
use crate::api::ApiError;
use crate::api::network::{ConfigReference, Ipam, IpamPool, Network};
use crate::gofmt::time::{go_time, now_nanos};
use crate::network::ipam::{Pool, Subnet};
use crate::store::{Store, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

pub const BRIDGE_DRIVER: &str = "bridge";
pub const DEFAULT_BRIDGE_NETWORK: &str = "bridge";
const DEFAULT_BRIDGE_NAME: &str = "docker0";
const DEFAULT_SUBNET: &str = "172.17.0.0/16";
const DEFAULT_GATEWAY: &str = "172.17.0.1";
/// The bridge option that names the Linux bridge.
pub const BRIDGE_NAME_OPTION: &str = "com.docker.network.bridge.name";

/// A network as the store keeps it (keyed by ID).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkRecord {
    pub id: String,
    pub name: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
    /// Nanoseconds since the epoch.
    pub created: i64,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    /// `IPAM.Options` as given (`null` for the predefined networks).
    pub ipam_options: Option<BTreeMap<String, String>>,
    /// The IPAM config as shown: the subnet as given, the gateway, the
    /// range. Empty for `host` and `none`.
    pub subnet: String,
    pub gateway: String,
    pub ip_range: String,
    /// Whether the subnet was given by the user (static addresses need it).
    pub user_subnet: bool,
    /// The Linux bridge (`docker0`, `br-<id12>`, or the name option's).
    pub bridge_name: String,
    /// The bridge's MAC, 12 hex digits, fixed at creation.
    pub bridge_mac: String,
}

impl NetworkRecord {
    /// `bridge`, `host` and `none`, which no user network can be named.
    pub fn is_predefined(&self) -> bool {
        is_predefined_name(&self.name)
    }

    pub fn is_bridge(&self) -> bool {
        self.driver == BRIDGE_DRIVER
    }

    pub fn subnet(&self) -> Option<Subnet> {
        Subnet::parse(&self.subnet)
    }

    /// The addresses of this bridge network, none taken yet.
    pub fn pool(&self) -> io::Result<Pool> {
        let subnet = self
            .subnet()
            .ok_or_else(|| io::Error::other(format!("network {}: no subnet", self.name)))?;
        let gateway: Ipv4Addr = self
            .gateway
            .parse()
            .map_err(|_| io::Error::other(format!("network {}: no gateway", self.name)))?;
        let pool = Pool::new(subnet, gateway);
        Ok(match Subnet::parse(&self.ip_range) {
            Some(range) => pool.with_range(range),
            None => pool,
        })
    }

    pub fn mac(&self) -> Option<[u8; 6]> {
        parse_mac_hex(&self.bridge_mac)
    }

    /// The inspect view, with `containers` as the endpoints on it.
    pub fn view(
        &self,
        containers: BTreeMap<String, crate::api::network::EndpointResource>,
        show_ipv4: bool,
    ) -> Network {
        let config = (!self.subnet.is_empty()).then(|| IpamPool {
            subnet: self.subnet.clone(),
            ip_range: self.ip_range.clone(),
            gateway: self.gateway.clone(),
            auxiliary_addresses: None,
        });
        Network {
            name: self.name.clone(),
            id: self.id.clone(),
            created: go_time(self.created),
            scope: "local".into(),
            driver: self.driver.clone(),
            enable_ipv4: show_ipv4.then_some(true),
            enable_ipv6: false,
            ipam: Ipam {
                driver: "default".into(),
                options: self.ipam_options.clone(),
                config: Some(config.into_iter().collect()),
            },
            internal: self.internal,
            attachable: self.attachable,
            ingress: false,
            config_from: ConfigReference::default(),
            config_only: false,
            containers,
            options: self.options.clone(),
            labels: self.labels.clone(),
        }
    }
}

pub fn is_predefined_name(name: &str) -> bool {
    matches!(name, DEFAULT_BRIDGE_NETWORK | "host" | "none")
}

pub fn random_hex(bytes: usize) -> io::Result<String> {
    let mut raw = vec![0u8; bytes];
    super::containers::names::random_bytes(&mut raw)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn parse_mac_hex(hex: &str) -> Option<[u8; 6]> {
    if hex.len() != 12 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (index, byte) in mac.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(mac)
}

/// The default bridge's ID and MAC from before networks were records (a
/// file under the data root), so an upgraded daemon keeps them.
fn legacy_default_bridge(data_root: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(data_root.join("network/bridge")).ok()?;
    let (id, mac) = text.trim().split_once(' ')?;
    (id.len() == 64 && parse_mac_hex(mac).is_some()).then(|| (id.to_string(), mac.to_string()))
}

fn predefined(name: &str, data_root: &Path) -> io::Result<NetworkRecord> {
    let mut record = NetworkRecord {
        id: random_hex(32)?,
        name: name.into(),
        driver: match name {
            "none" => "null".into(),
            other => other.into(),
        },
        created: now_nanos(),
        ..NetworkRecord::default()
    };
    if name == DEFAULT_BRIDGE_NETWORK {
        let (id, mac) = match legacy_default_bridge(data_root) {
            Some(found) => found,
            None => (record.id.clone(), format!("0242{}", random_hex(4)?)),
        };
        record.id = id;
        record.bridge_mac = mac;
        record.bridge_name = DEFAULT_BRIDGE_NAME.into();
        record.subnet = DEFAULT_SUBNET.into();
        record.gateway = DEFAULT_GATEWAY.into();
        record.options = [
            ("com.docker.network.bridge.default_bridge", "true"),
            ("com.docker.network.bridge.enable_icc", "true"),
            ("com.docker.network.bridge.enable_ip_masquerade", "true"),
            ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
            (BRIDGE_NAME_OPTION, DEFAULT_BRIDGE_NAME),
            ("com.docker.network.driver.mtu", "1500"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    }
    Ok(record)
}

/// Makes the predefined networks that are not in the store yet, in one
/// transaction.
pub fn ensure_predefined(store: &Store, data_root: &Path) -> Result<(), ApiError> {
    let existing = list(store)?;
    let mut missing = Vec::new();
    for name in [DEFAULT_BRIDGE_NETWORK, "host", "none"] {
        if !existing.iter().any(|n| n.name == name) {
            missing
                .push(predefined(name, data_root).map_err(|e| ApiError::internal(e.to_string()))?);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    store
        .write(|tx| {
            for record in &missing {
                tx.put(Table::Networks, &record.id, record)?;
            }
            Ok(())
        })
        .map_err(store_error)
}

pub fn list(store: &Store) -> Result<Vec<NetworkRecord>, ApiError> {
    let mut records: Vec<NetworkRecord> = store
        .read(|tx| tx.list::<NetworkRecord>(Table::Networks))
        .map_err(store_error)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    records.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(records)
}

pub fn not_found(what: &str) -> ApiError {
    ApiError::not_found(format!("network {what} not found"))
}

/// A network by full ID, then name, then unique ID prefix, as moby's
/// `FindNetwork`.
pub fn find(store: &Store, what: &str) -> Result<NetworkRecord, ApiError> {
    let all = list(store)?;
    find_in(&all, what).cloned()
}

pub fn find_in<'a>(all: &'a [NetworkRecord], what: &str) -> Result<&'a NetworkRecord, ApiError> {
    if what.is_empty() {
        return Err(not_found(what));
    }
    if let Some(found) = all.iter().find(|n| n.id == what) {
        return Ok(found);
    }
    let named: Vec<_> = all.iter().filter(|n| n.name == what).collect();
    match named.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            return Err(ApiError::invalid(format!(
                "network {what} is ambiguous ({} matches found on name)",
                many.len()
            )));
        }
    }
    let prefixed: Vec<_> = all.iter().filter(|n| n.id.starts_with(what)).collect();
    match prefixed.as_slice() {
        [one] => Ok(one),
        [] => Err(not_found(what)),
        many => Err(ApiError::invalid(format!(
            "network {what} is ambiguous ({} matches found based on ID prefix)",
            many.len()
        ))),
    }
}

pub fn put(store: &Store, record: &NetworkRecord) -> Result<(), ApiError> {
    store
        .write(|tx| tx.put(Table::Networks, &record.id, record))
        .map_err(store_error)
}

pub fn delete(store: &Store, id: &str) -> Result<(), ApiError> {
    store
        .write(|tx| tx.delete(Table::Networks, id).map(drop))
        .map_err(store_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, id: &str) -> NetworkRecord {
        NetworkRecord {
            name: name.into(),
            id: id.into(),
            driver: BRIDGE_DRIVER.into(),
            ..NetworkRecord::default()
        }
    }

    #[test]
    fn networks_are_found_by_id_then_name_then_prefix() {
        let all = vec![named("abc", "abc999"), named("other", "abd111")];
        assert_eq!(find_in(&all, "abc999").unwrap().name, "abc");
        assert_eq!(find_in(&all, "other").unwrap().id, "abd111");
        assert_eq!(find_in(&all, "abd").unwrap().name, "other");
        assert_eq!(
            find_in(&all, "ab").unwrap_err().message,
            "network ab is ambiguous (2 matches found based on ID prefix)"
        );
        let missing = find_in(&all, "zzz").unwrap_err();
        assert_eq!(missing.message, "network zzz not found");
        assert_eq!(missing.status(), 404);
    }

    #[test]
    fn predefined_networks_are_made_once_and_keep_their_ids() {
        let dir = std::env::temp_dir().join(format!("dockbox-netrec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("db")).unwrap();
        ensure_predefined(&store, &dir).unwrap();
        let first = list(&store).unwrap();
        ensure_predefined(&store, &dir).unwrap();
        let again = list(&store).unwrap();
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(first, again);
        let names: Vec<_> = first
            .iter()
            .map(|n| (n.name.as_str(), n.driver.as_str()))
            .collect();
        assert_eq!(
            names,
            [("bridge", "bridge"), ("host", "host"), ("none", "null")]
        );
        assert!(first.iter().all(|n| n.id.len() == 64 && n.is_predefined()));
        assert_eq!(first[0].subnet, "172.17.0.0/16");
        assert_eq!(&first[0].bridge_mac[..4], "0242");
    }
}
