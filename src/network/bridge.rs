//! The steps that wire a container to a bridge, written against
//! [`RouteOps`] so their order and arguments are unit-tested with the fake.

use super::ipam::Subnet;
use super::netlink::{Mac, RouteOps, VethRequest};
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::BorrowedFd;

/// The name of a container's first interface; the next networks it
/// joins get `eth1`, `eth2`, ...
pub const CONTAINER_INTERFACE: &str = "eth0";

/// A bridge network as the host side sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSpec {
    pub name: String,
    pub subnet: Subnet,
    pub gateway: Ipv4Addr,
    pub mac: Mac,
}

/// One container's end of a bridge network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host end of the veth pair (`veth` and 7 hex digits).
    pub host_interface: String,
    /// Its name inside the container (`eth0`, `eth1`, ...).
    pub interface: String,
    pub address: Ipv4Addr,
    pub mac: Mac,
}

/// The bridge's index, made (with its gateway address, and up) when it is
/// not there yet. An existing one is kept as it is: after a daemon restart
/// the containers still attached to it must not lose their network.
pub fn ensure_bridge(ops: &mut dyn RouteOps, bridge: &BridgeSpec) -> io::Result<u32> {
    if let Some(index) = ops.link_index(&bridge.name)? {
        return Ok(index);
    }
    let index = ops.create_bridge(&bridge.name, bridge.mac)?;
    ops.add_address(index, bridge.gateway, bridge.subnet.prefix_len)?;
    ops.set_link_up(index)?;
    Ok(index)
}

/// The host's side of joining: a veth pair whose peer is born in the
/// container's namespace under the endpoint's interface name, its host
/// end on the bridge and up.
pub fn plug_host_side(
    host: &mut dyn RouteOps,
    bridge_index: u32,
    endpoint: &Endpoint,
    container_netns: BorrowedFd<'_>,
) -> io::Result<()> {
    host.create_veth(&VethRequest {
        host_name: &endpoint.host_interface,
        bridge_index,
        peer_name: &endpoint.interface,
        peer_mac: endpoint.mac,
        peer_netns: container_netns,
    })?;
    let index = host
        .link_index(&endpoint.host_interface)?
        .ok_or_else(|| io::Error::other(format!("veth {} vanished", endpoint.host_interface)))?;
    host.set_link_up(index)
}

/// The container's side: the interface up with its address and, when
/// `default_route` (the container's first network), the
/// default route through the gateway.
pub fn configure_container_side(
    container: &mut dyn RouteOps,
    endpoint: &Endpoint,
    bridge: &BridgeSpec,
    default_route: bool,
) -> io::Result<()> {
    let index = container.link_index(&endpoint.interface)?.ok_or_else(|| {
        io::Error::other(format!("the container's {} is missing", endpoint.interface))
    })?;
    container.add_address(index, endpoint.address, bridge.subnet.prefix_len)?;
    container.set_link_up(index)?;
    if default_route {
        container.add_default_route(bridge.gateway)?;
    }
    Ok(())
}

/// Deletes the link `name` (a network's bridge, or a veth's host end,
/// which takes its peer with it); a missing one is no error.
pub fn delete_link(ops: &mut dyn RouteOps, name: &str) -> io::Result<()> {
    match ops.link_index(name)? {
        Some(index) => ops.delete_link(index),
        None => Ok(()),
    }
}

/// Loopback up, which a new namespace does not have and every container
/// (`--network none` too) gets from Docker.
pub fn loopback_up(ops: &mut dyn RouteOps) -> io::Result<()> {
    let index = ops
        .link_index("lo")?
        .ok_or_else(|| io::Error::other("the namespace has no lo"))?;
    ops.set_link_up(index)
}

/// Docker 20.10's container MAC: 02:42 and the IPv4 address's bytes.
pub fn mac_for(address: Ipv4Addr) -> Mac {
    let [a, b, c, d] = address.octets();
    [0x02, 0x42, a, b, c, d]
}

pub fn format_mac(mac: Mac) -> String {
    mac.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::super::netlink::{FakeOp, FakeRoutes};
    use super::*;
    use std::os::fd::AsFd;

    fn docker0() -> BridgeSpec {
        BridgeSpec {
            name: "docker0".into(),
            subnet: Subnet {
                base: Ipv4Addr::new(172, 17, 0, 0),
                prefix_len: 16,
            },
            gateway: Ipv4Addr::new(172, 17, 0, 1),
            mac: [0x02, 0x42, 1, 2, 3, 4],
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint {
            host_interface: "veth1234567".into(),
            interface: CONTAINER_INTERFACE.into(),
            address: Ipv4Addr::new(172, 17, 0, 2),
            mac: mac_for(Ipv4Addr::new(172, 17, 0, 2)),
        }
    }

    #[test]
    fn a_missing_bridge_is_made_with_its_gateway_and_up() {
        let mut ops = FakeRoutes::new();
        let index = ensure_bridge(&mut ops, &docker0()).unwrap();
        assert_eq!(
            ops.ops,
            vec![
                FakeOp::Bridge("docker0".into(), [0x02, 0x42, 1, 2, 3, 4]),
                FakeOp::Address(index, Ipv4Addr::new(172, 17, 0, 1), 16),
                FakeOp::SetUp(index),
            ]
        );
        // Found again after a restart: left as it is.
        assert_eq!(ensure_bridge(&mut ops, &docker0()).unwrap(), index);
        assert_eq!(ops.ops.len(), 3);
    }

    #[test]
    fn the_host_side_is_a_veth_on_the_bridge_whose_peer_is_eth0() {
        let mut ops = FakeRoutes::new();
        let bridge = ensure_bridge(&mut ops, &docker0()).unwrap();
        ops.ops.clear();
        let netns = std::fs::File::open("/dev/null").unwrap();
        plug_host_side(&mut ops, bridge, &endpoint(), netns.as_fd()).unwrap();
        let veth = ops.link_index("veth1234567").unwrap().unwrap();
        assert_eq!(
            ops.ops,
            vec![
                FakeOp::Veth {
                    host_name: "veth1234567".into(),
                    bridge_index: bridge,
                    peer_name: "eth0".into(),
                    peer_mac: [0x02, 0x42, 172, 17, 0, 2],
                },
                FakeOp::SetUp(veth),
            ]
        );
    }

    #[test]
    fn the_container_side_gets_address_up_and_default_route_in_order() {
        let mut ops = FakeRoutes::new();
        ops.links.push(("eth0".into(), 7));
        configure_container_side(&mut ops, &endpoint(), &docker0(), true).unwrap();
        assert_eq!(
            ops.ops,
            vec![
                FakeOp::Address(7, Ipv4Addr::new(172, 17, 0, 2), 16),
                FakeOp::SetUp(7),
                FakeOp::DefaultRoute(Ipv4Addr::new(172, 17, 0, 1)),
            ]
        );
        let mut without_eth0 = FakeRoutes::new();
        let error = configure_container_side(&mut without_eth0, &endpoint(), &docker0(), true);
        assert!(error.unwrap_err().to_string().contains("eth0 is missing"));
    }

    #[test]
    fn a_second_network_is_eth1_without_a_default_route() {
        let mut ops = FakeRoutes::new();
        ops.links.push(("eth1".into(), 9));
        let second = Endpoint {
            interface: "eth1".into(),
            ..endpoint()
        };
        configure_container_side(&mut ops, &second, &docker0(), false).unwrap();
        assert_eq!(
            ops.ops,
            vec![
                FakeOp::Address(9, Ipv4Addr::new(172, 17, 0, 2), 16),
                FakeOp::SetUp(9),
            ]
        );
    }

    #[test]
    fn deleting_a_link_is_by_name_and_a_missing_one_is_fine() {
        let mut ops = FakeRoutes::new();
        let index = ensure_bridge(&mut ops, &docker0()).unwrap();
        ops.ops.clear();
        delete_link(&mut ops, "docker0").unwrap();
        delete_link(&mut ops, "docker0").unwrap();
        assert_eq!(ops.ops, vec![FakeOp::Delete(index)]);
    }

    #[test]
    fn macs_are_docker_2010s() {
        assert_eq!(
            format_mac(mac_for(Ipv4Addr::new(172, 17, 0, 2))),
            "02:42:ac:11:00:02"
        );
    }
}
