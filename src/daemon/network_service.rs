//! The container side of networking the daemon needs when it starts and
//! ends containers: a network namespace per container (lo up; for each
//! bridge network it joins, the default `bridge` on `docker0` or a user
//! network on `br-<id12>`, a veth `ethN` with the network's lowest free
//! address, and on the first one the default route through the gateway),
//! live connects and disconnects, the bridges of user networks, and the
//! addresses of running containers found again after a restart. It sits
//! below the container and network routes, which both use it; the
//! netlink work itself is [`crate::network`]'s.
//!
//! The daemon wires the namespace before any process is in it and names
//! it in the OCI spec (see [`crate::network`] for why not a prestart
//! hook). `docker0` is made when the first container joins it, in the
//! daemon's own network namespace.

use super::network_records::{DEFAULT_BRIDGE_NETWORK, NetworkRecord, random_hex};
use crate::network::bridge::{self, BridgeSpec, CONTAINER_INTERFACE, Endpoint};
use crate::network::ipam::Pool;
use crate::network::netlink::Netlink;
use crate::network::netns;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A running container's place on a network, kept in its record so
/// inspect shows it and a restarted daemon finds the address taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointRecord {
    pub network_name: String,
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub host_interface: String,
    /// The interface inside the container; empty in records made before
    /// containers could join several networks, which had only `eth0`.
    pub interface: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    pub gateway: String,
    pub mac_address: String,
}

/// What a started container's network is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Sandbox {
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    /// The namespace's bind mount, which the OCI spec names.
    pub sandbox_key: String,
    pub endpoints: Vec<EndpointRecord>,
}

/// One network a container joins, with its static address if it asked
/// for one (`--ip`, `IPAMConfig.IPv4Address`).
#[derive(Debug, Clone)]
pub struct Join {
    pub network: NetworkRecord,
    pub static_address: Option<Ipv4Addr>,
}

pub struct NetworkService {
    exec_root: PathBuf,
    /// The addresses of each bridge network in use, by network ID.
    pools: Mutex<HashMap<String, Pool>>,
}

fn spec_of(network: &NetworkRecord) -> io::Result<BridgeSpec> {
    let pool_error = || io::Error::other(format!("network {} has no usable IPAM", network.name));
    Ok(BridgeSpec {
        name: network.bridge_name.clone(),
        subnet: network.subnet().ok_or_else(pool_error)?,
        gateway: network.gateway.parse().map_err(|_| pool_error())?,
        mac: network.mac().ok_or_else(pool_error)?,
    })
}

/// The first `ethN` none of `endpoints` uses.
fn free_interface(endpoints: &[EndpointRecord]) -> String {
    let used = |name: &str| {
        endpoints.iter().any(|e| {
            let interface = if e.interface.is_empty() {
                CONTAINER_INTERFACE
            } else {
                &e.interface
            };
            interface == name
        })
    };
    (0..)
        .map(|n| format!("eth{n}"))
        .find(|name| !used(name))
        .expect("an unused interface name")
}

impl NetworkService {
    pub fn new(exec_root: &Path) -> NetworkService {
        NetworkService {
            exec_root: exec_root.to_path_buf(),
            pools: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `work` on `network`'s address pool, made when first needed.
    fn with_pool<T>(
        &self,
        network: &NetworkRecord,
        work: impl FnOnce(&mut Pool) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let pool = match pools.entry(network.id.clone()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => entry.insert(network.pool()?),
        };
        work(pool)
    }

    /// Makes a bridge network's Linux bridge in the daemon's namespace (as
    /// dockerd does when the network is created).
    pub fn create_bridge(&self, network: &NetworkRecord) -> io::Result<()> {
        bridge::ensure_bridge(&mut Netlink::open()?, &spec_of(network)?).map(drop)
    }

    /// Deletes a removed network's bridge and forgets its addresses.
    pub fn remove_bridge(&self, network: &NetworkRecord) -> io::Result<()> {
        self.pools
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&network.id);
        bridge::delete_link(&mut Netlink::open()?, &network.bridge_name)
    }

    /// The network of a container about to start, for its `NetworkMode`:
    /// none for `host` (it keeps the daemon's), else a new namespace with
    /// lo up and an interface on each bridge network of `joins`, the
    /// first with the default route.
    pub fn attach(&self, network_mode: &str, joins: &[Join]) -> io::Result<Option<Sandbox>> {
        if network_mode == "host" {
            return Ok(None);
        }
        let dir = self.exec_root.join("netns");
        std::fs::create_dir_all(&dir)
            .map_err(|e| io::Error::new(e.kind(), format!("create {}: {e}", dir.display())))?;
        let sandbox_id = random_hex(32)?;
        let key = dir.join(&sandbox_id[..12]);
        netns::create(&key, || bridge::loopback_up(&mut Netlink::open()?))?;
        let mut sandbox = Sandbox {
            sandbox_id,
            sandbox_key: key.display().to_string(),
            endpoints: Vec::new(),
        };
        for join in joins.iter().filter(|join| join.network.is_bridge()) {
            match self.connect(&sandbox, join) {
                Ok(endpoint) => sandbox.endpoints.push(endpoint),
                // A kernel without bridge or veth support (an initramfs
                // without modules, say) cannot give the default network;
                // a container that did not ask for it by name runs with
                // only lo rather than not at all, and the log says why.
                Err(e)
                    if crate::network::netlink::is_errno(&e, libc::EOPNOTSUPP)
                        && matches!(network_mode, "" | "default")
                        && join.network.name == DEFAULT_BRIDGE_NETWORK =>
                {
                    crate::daemon::log::warn(&format!(
                        "the default bridge network is unavailable, the container gets only lo: {e}"
                    ));
                }
                Err(e) => {
                    self.detach(&sandbox);
                    return Err(e);
                }
            }
        }
        Ok(Some(sandbox))
    }

    /// Wires one more network into a sandbox (at start, or a live
    /// connect): the next free `ethN`, its address, and the default route
    /// when it is the first interface.
    pub fn connect(&self, sandbox: &Sandbox, join: &Join) -> io::Result<EndpointRecord> {
        let network = &join.network;
        let spec = spec_of(network)?;
        let address = self.with_pool(network, |pool| match join.static_address {
            Some(wanted) if pool.claim(wanted) => Ok(wanted),
            Some(_) => Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "Address already in use",
            )),
            None => pool.allocate().ok_or_else(|| {
                io::Error::other(format!(
                    "no available IPv4 addresses on this network's address pools: {} ({})",
                    network.name, network.id
                ))
            }),
        })?;
        let interface = free_interface(&sandbox.endpoints);
        let endpoint = Endpoint {
            host_interface: format!("veth{}", &random_hex(4)?[..7]),
            interface: interface.clone(),
            address,
            mac: bridge::mac_for(address),
        };
        // dockerd 20.10 routes an internal network's containers through
        // its gateway too (the isolation is in its iptables rules).
        let default_route = interface == CONTAINER_INTERFACE;
        if let Err(e) = wire(
            &spec,
            &endpoint,
            Path::new(&sandbox.sandbox_key),
            default_route,
        ) {
            let _ = self.with_pool(network, |pool| {
                pool.release(address);
                Ok(())
            });
            return Err(e);
        }
        Ok(EndpointRecord {
            network_name: network.name.clone(),
            network_id: network.id.clone(),
            endpoint_id: random_hex(32)?,
            host_interface: endpoint.host_interface,
            interface,
            ip_address: address.to_string(),
            ip_prefix_len: spec.subnet.prefix_len,
            gateway: spec.gateway.to_string(),
            mac_address: bridge::format_mac(endpoint.mac),
        })
    }

    /// Takes one endpoint out of a running container (a live
    /// disconnect): its veth pair goes, its address is free again.
    pub fn disconnect(&self, endpoint: &EndpointRecord) -> io::Result<()> {
        self.release(endpoint);
        bridge::delete_link(&mut Netlink::open()?, &endpoint.host_interface)
    }

    fn release(&self, endpoint: &EndpointRecord) {
        if let Ok(address) = endpoint.ip_address.parse::<Ipv4Addr>()
            && let Some(pool) = self
                .pools
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_mut(&endpoint.network_id)
        {
            pool.release(address);
        }
    }

    /// Frees what [`attach`](Self::attach) took, once the container's
    /// process is gone: its addresses and its namespace (the veth pairs
    /// go with the namespace). Missing pieces are no error.
    pub fn detach(&self, sandbox: &Sandbox) {
        for endpoint in &sandbox.endpoints {
            self.release(endpoint);
        }
        if !sandbox.sandbox_key.is_empty() {
            netns::remove(Path::new(&sandbox.sandbox_key));
        }
    }

    /// A running container found again after a restart keeps its
    /// addresses; `networks` are the records, to make the pools from.
    pub fn restore(&self, sandbox: &Sandbox, networks: &[NetworkRecord]) {
        for endpoint in &sandbox.endpoints {
            let Some(network) = networks.iter().find(|n| n.id == endpoint.network_id) else {
                continue;
            };
            if let Ok(address) = endpoint.ip_address.parse::<Ipv4Addr>() {
                let _ = self.with_pool(network, |pool| {
                    pool.claim(address);
                    Ok(())
                });
            }
        }
    }
}

/// The bridge (made when missing), the veth pair and the container's side.
fn wire(
    spec: &BridgeSpec,
    endpoint: &Endpoint,
    netns_path: &Path,
    default_route: bool,
) -> io::Result<()> {
    let mut host = Netlink::open()?;
    let bridge_index = bridge::ensure_bridge(&mut host, spec)?;
    let netns_file = std::fs::File::open(netns_path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", netns_path.display())))?;
    bridge::plug_host_side(&mut host, bridge_index, endpoint, netns_file.as_fd())?;
    netns::in_netns(netns_path, || {
        bridge::configure_container_side(&mut Netlink::open()?, endpoint, spec, default_route)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::network_records::NetworkRecord;

    fn default_bridge() -> NetworkRecord {
        NetworkRecord {
            id: "b".repeat(64),
            name: "bridge".into(),
            driver: "bridge".into(),
            subnet: "172.17.0.0/16".into(),
            gateway: "172.17.0.1".into(),
            bridge_name: "docker0".into(),
            bridge_mac: "0242aabbccdd".into(),
            ..NetworkRecord::default()
        }
    }

    #[test]
    fn restored_addresses_are_not_given_again() {
        let service = NetworkService::new(Path::new("/nonexistent"));
        let network = default_bridge();
        service.restore(
            &Sandbox {
                endpoints: vec![EndpointRecord {
                    network_id: network.id.clone(),
                    ip_address: "172.17.0.2".into(),
                    ..EndpointRecord::default()
                }],
                ..Sandbox::default()
            },
            std::slice::from_ref(&network),
        );
        let next = service.with_pool(&network, |pool| Ok(pool.allocate()));
        assert_eq!(next.unwrap(), Some(Ipv4Addr::new(172, 17, 0, 3)));
    }

    #[test]
    fn further_interfaces_take_the_first_free_eth_name() {
        let on = |interface: &str| EndpointRecord {
            interface: interface.into(),
            ..EndpointRecord::default()
        };
        assert_eq!(free_interface(&[]), "eth0");
        assert_eq!(free_interface(&[on("")]), "eth1", "old records are eth0");
        assert_eq!(free_interface(&[on("eth0"), on("eth2")]), "eth1");
    }
}
