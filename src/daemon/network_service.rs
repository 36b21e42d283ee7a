//! The container side of networking the daemon needs when it starts and
//! ends containers: a network namespace per container (lo up; for the
//! default `bridge` network also a veth on `docker0` with the lowest free
//! address of 172.17.0.0/16 and a default route through .1), and the
//! addresses of running containers found again after a restart. It sits
//! below the container and network routes, which both use it; the
//! netlink work itself is [`crate::network`]'s.
//!
//! The daemon wires the namespace before any process is in it and names
//! it in the OCI spec (see [`crate::network`] for why not a prestart
//! hook). `docker0` is made when the first container joins it, in the
//! daemon's own network namespace.

use crate::network::bridge::{self, BridgeSpec, Endpoint};
use crate::network::ipam::{Pool, Subnet};
use crate::network::netlink::Netlink;
use crate::network::netns;
use serde::{Deserialize, Serialize};
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const DEFAULT_BRIDGE_NETWORK: &str = "bridge";
const DEFAULT_BRIDGE_NAME: &str = "docker0";
const DEFAULT_SUBNET: Subnet = Subnet {
    base: Ipv4Addr::new(172, 17, 0, 0),
    prefix_len: 16,
};
const DEFAULT_GATEWAY: Ipv4Addr = Ipv4Addr::new(172, 17, 0, 1);

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

/// The default bridge: its persistent identity and its addresses.
struct DefaultBridge {
    id: String,
    spec: BridgeSpec,
    pool: Pool,
}

pub struct NetworkService {
    exec_root: PathBuf,
    data_root: PathBuf,
    default_bridge: Mutex<Option<DefaultBridge>>,
}

fn random_hex(bytes: usize) -> io::Result<String> {
    let mut raw = vec![0u8; bytes];
    super::containers::names::random_bytes(&mut raw)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

impl NetworkService {
    pub fn new(exec_root: &Path, data_root: &Path) -> NetworkService {
        NetworkService {
            exec_root: exec_root.to_path_buf(),
            data_root: data_root.to_path_buf(),
            default_bridge: Mutex::new(None),
        }
    }

    /// The default bridge's ID and bridge MAC, made once and kept in the
    /// data root, so both stay the same across daemon restarts.
    fn load_default_bridge(&self) -> io::Result<DefaultBridge> {
        let dir = self.data_root.join("network");
        let path = dir.join("bridge");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    io::Error::new(e.kind(), format!("create {}: {e}", dir.display()))
                })?;
                let text = format!("{} 0242{}\n", random_hex(32)?, random_hex(4)?);
                std::fs::write(&path, &text).map_err(|e| {
                    io::Error::new(e.kind(), format!("write {}: {e}", path.display()))
                })?;
                text
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("read {}: {e}", path.display()),
                ));
            }
        };
        let (id, mac_hex) = text.trim().split_once(' ').unwrap_or(("", ""));
        let mac = parse_mac_hex(mac_hex)
            .filter(|_| id.len() == 64)
            .ok_or_else(|| io::Error::other(format!("{}: not an ID and a MAC", path.display())))?;
        Ok(DefaultBridge {
            id: id.to_string(),
            spec: BridgeSpec {
                name: DEFAULT_BRIDGE_NAME.into(),
                subnet: DEFAULT_SUBNET,
                gateway: DEFAULT_GATEWAY,
                mac,
            },
            pool: Pool::new(DEFAULT_SUBNET, DEFAULT_GATEWAY),
        })
    }

    fn with_default_bridge<T>(
        &self,
        work: impl FnOnce(&mut DefaultBridge) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut slot = self
            .default_bridge
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(self.load_default_bridge()?);
        }
        work(slot.as_mut().expect("loaded above"))
    }

    /// The network of a container about to start, for its `NetworkMode`:
    /// none for `host` (it keeps the daemon's), else a new namespace with
    /// lo up, and for the default bridge also its endpoint.
    pub fn attach(&self, network_mode: &str) -> io::Result<Option<Sandbox>> {
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
        if matches!(network_mode, "" | "default" | DEFAULT_BRIDGE_NETWORK) {
            match self.join_default_bridge(&key) {
                Ok(endpoint) => sandbox.endpoints.push(endpoint),
                // A kernel without bridge or veth support (an initramfs
                // without modules, say) cannot give the default network;
                // a container that did not ask for it by name runs with
                // only lo rather than not at all, and the log says why.
                Err(e)
                    if crate::network::netlink::is_errno(&e, libc::EOPNOTSUPP)
                        && network_mode != DEFAULT_BRIDGE_NETWORK =>
                {
                    crate::daemon::log::warn(&format!(
                        "the default bridge network is unavailable, the container gets only lo: {e}"
                    ));
                }
                Err(e) => {
                    netns::remove(&key);
                    return Err(e);
                }
            }
        }
        Ok(Some(sandbox))
    }

    fn join_default_bridge(&self, netns_path: &Path) -> io::Result<EndpointRecord> {
        self.with_default_bridge(|network| {
            let address = network.pool.allocate().ok_or_else(|| {
                io::Error::other(format!("no address left in {}", network.spec.subnet))
            })?;
            let endpoint_id = random_hex(32)?;
            let endpoint = Endpoint {
                host_interface: format!("veth{}", &random_hex(4)?[..7]),
                address,
                mac: bridge::mac_for(address),
            };
            let wired = wire(&network.spec, &endpoint, netns_path);
            if let Err(e) = wired {
                network.pool.release(address);
                return Err(e);
            }
            Ok(EndpointRecord {
                network_name: DEFAULT_BRIDGE_NETWORK.into(),
                network_id: network.id.clone(),
                endpoint_id,
                host_interface: endpoint.host_interface,
                ip_address: address.to_string(),
                ip_prefix_len: network.spec.subnet.prefix_len,
                gateway: network.spec.gateway.to_string(),
                mac_address: bridge::format_mac(endpoint.mac),
            })
        })
    }

    /// Frees what [`attach`](Self::attach) took, once the container's
    /// process is gone: its addresses and its namespace (the veth pair
    /// goes with the namespace). Missing pieces are no error.
    pub fn detach(&self, sandbox: &Sandbox) {
        for endpoint in &sandbox.endpoints {
            if let Ok(address) = endpoint.ip_address.parse::<Ipv4Addr>() {
                let _ = self.with_default_bridge(|network| {
                    network.pool.release(address);
                    Ok(())
                });
            }
        }
        if !sandbox.sandbox_key.is_empty() {
            netns::remove(Path::new(&sandbox.sandbox_key));
        }
    }

    /// A running container found again after a restart keeps its address.
    pub fn restore(&self, sandbox: &Sandbox) {
        for endpoint in &sandbox.endpoints {
            if let Ok(address) = endpoint.ip_address.parse::<Ipv4Addr>() {
                let _ = self.with_default_bridge(|network| {
                    network.pool.claim(address);
                    Ok(())
                });
            }
        }
    }
}

/// The bridge (made when missing), the veth pair and the container's side.
fn wire(spec: &BridgeSpec, endpoint: &Endpoint, netns_path: &Path) -> io::Result<()> {
    let mut host = Netlink::open()?;
    let bridge_index = bridge::ensure_bridge(&mut host, spec)?;
    let netns_file = std::fs::File::open(netns_path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", netns_path.display())))?;
    bridge::plug_host_side(&mut host, bridge_index, endpoint, netns_file.as_fd())?;
    netns::in_netns(netns_path, || {
        bridge::configure_container_side(&mut Netlink::open()?, endpoint, spec)
    })
}

fn parse_mac_hex(hex: &str) -> Option<[u8; 6]> {
    if hex.len() != 12 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (index, byte) in mac.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_bridge_keeps_its_id_and_mac_across_restarts() {
        let dir = std::env::temp_dir().join(format!("dockbox-netsvc-{}", std::process::id()));
        let first = NetworkService::new(&dir, &dir)
            .load_default_bridge()
            .unwrap();
        let again = NetworkService::new(&dir, &dir)
            .load_default_bridge()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(first.id, again.id);
        assert_eq!(first.id.len(), 64);
        assert_eq!(first.spec.mac, again.spec.mac);
        assert_eq!(first.spec.mac[..2], [0x02, 0x42]);
    }

    #[test]
    fn restored_addresses_are_not_given_again() {
        let dir = std::env::temp_dir().join(format!("dockbox-netsvc-r-{}", std::process::id()));
        let service = NetworkService::new(&dir, &dir);
        service.restore(&Sandbox {
            endpoints: vec![EndpointRecord {
                ip_address: "172.17.0.2".into(),
                ..EndpointRecord::default()
            }],
            ..Sandbox::default()
        });
        let next = service.with_default_bridge(|network| Ok(network.pool.allocate()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(next.unwrap(), Some(Ipv4Addr::new(172, 17, 0, 3)));
    }
}
