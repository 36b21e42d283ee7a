//! Container networking from our own code: rtnetlink messages through a
//! socket, no `ip`, `iptables` or `nft` binaries. This module knows
//! nothing of the daemon: it makes network namespaces, bridges, veth pairs,
//! addresses and routes, and hands out addresses ([`ipam`]); the daemon's
//! network service decides which container gets what.
//!
//! Where the wiring happens: the daemon makes each container's network
//! namespace itself (a bind mount under its exec root), wires it while no
//! process is in it yet, and names it by path in the OCI spec, as the
//! `netns` path of a namespace the runtime joins. runc and dockerd do it
//! the other way round (the runtime makes the namespace and dockerd wires
//! it from a prestart hook, `libnetwork-setkey`, through
//! `/proc/PID/ns/net`); our way the runtime and the shim stay unaware of
//! networking, there is no window where the process runs before its
//! network is up, and a failure to wire it fails the start before any
//! process exists.

pub mod bridge;
pub mod ipam;
pub mod netlink;
pub mod netns;

#[cfg(test)]
mod tests {
    use super::bridge::{self, BridgeSpec, Endpoint};
    use super::ipam::Subnet;
    use super::netlink::Netlink;
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, TcpListener, TcpStream};
    use std::os::fd::AsFd;

    fn can_unshare_net() -> bool {
        std::thread::spawn(|| unsafe { libc::unshare(libc::CLONE_NEWNET) } == 0)
            .join()
            .unwrap_or(false)
    }

    /// The real netlink path end to end, inside namespaces this test makes:
    /// a bridge in one, a container namespace wired to it, and a TCP
    /// connection from the container to the gateway.
    #[test]
    fn a_container_namespace_reaches_its_gateway_over_a_real_bridge() {
        if !can_unshare_net() {
            return crate::test_skip::report("needs CAP_SYS_ADMIN for network namespaces");
        }
        let dir = std::env::temp_dir().join(format!("dockbox-netns-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let container_netns = dir.join("container");
        let result = std::thread::spawn({
            let container_netns = container_netns.clone();
            move || -> std::io::Result<Vec<u8>> {
                // This thread is the "host": its own fresh namespace.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let mut host = Netlink::open()?;
                bridge::loopback_up(&mut host)?;
                let spec = BridgeSpec {
                    name: "docker0".into(),
                    subnet: Subnet {
                        base: Ipv4Addr::new(172, 17, 0, 0),
                        prefix_len: 16,
                    },
                    gateway: Ipv4Addr::new(172, 17, 0, 1),
                    mac: [0x02, 0x42, 0xaa, 0xbb, 0xcc, 0xdd],
                };
                let bridge_index = bridge::ensure_bridge(&mut host, &spec)?;
                let endpoint = Endpoint {
                    host_interface: "vethtest001".into(),
                    interface: bridge::CONTAINER_INTERFACE.into(),
                    address: Ipv4Addr::new(172, 17, 0, 2),
                    mac: bridge::mac_for(Ipv4Addr::new(172, 17, 0, 2)),
                };
                super::netns::create(&container_netns, || {
                    bridge::loopback_up(&mut Netlink::open()?)
                })?;
                let netns_file = std::fs::File::open(&container_netns)?;
                bridge::plug_host_side(&mut host, bridge_index, &endpoint, netns_file.as_fd())?;
                super::netns::in_netns(&container_netns, || {
                    bridge::configure_container_side(&mut Netlink::open()?, &endpoint, &spec, true)
                })?;
                let listener = TcpListener::bind((spec.gateway, 0))?;
                let port = listener.local_addr()?.port();
                let greeting = std::thread::spawn(move || -> std::io::Result<()> {
                    let (mut peer, _) = listener.accept()?;
                    peer.write_all(b"hello over docker0")
                });
                let received = super::netns::in_netns(&container_netns, || {
                    let mut stream = TcpStream::connect((spec.gateway, port))?;
                    let mut text = Vec::new();
                    stream.read_to_end(&mut text)?;
                    Ok(text)
                })?;
                greeting.join().unwrap()?;
                Ok(received)
            }
        })
        .join()
        .unwrap();
        super::netns::remove(&container_netns);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(result.unwrap(), b"hello over docker0");
    }
}
