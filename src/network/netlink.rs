//! The few rtnetlink operations container networking needs, behind
//! [`RouteOps`] so the code above can be unit-tested with [`FakeRoutes`].
//!
//! [`Netlink`] is synchronous: a blocking `NETLINK_ROUTE` socket from
//! netlink-sys, the five messages written by hand, and a request loop that
//! reads until the kernel's ACK, so no async
//! runtime is needed. A netlink socket acts in the network namespace it was
//! created in, whichever namespace the thread using it is in later: to act
//! inside a container's namespace, create the socket there
//! ([`super::netns::in_netns`]).

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, BorrowedFd};

const HEADER_LEN: usize = 16;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_BROADCAST: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const NLA_F_NESTED: u16 = 0x8000;
const RT_TABLE_MAIN: u8 = 254;
const RTPROT_BOOT: u8 = 3;
const RT_SCOPE_UNIVERSE: u8 = 0;
const RTN_UNICAST: u8 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_GETLINK: u16 = 18;
const RTM_SETLINK: u16 = 19;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;

/// An Ethernet address.
pub type Mac = [u8; 6];

/// A veth pair whose peer is created directly in another namespace.
pub struct VethRequest<'a> {
    /// The host end's name, in this socket's namespace.
    pub host_name: &'a str,
    /// The bridge the host end is enslaved to.
    pub bridge_index: u32,
    /// The peer's name in the target namespace (`eth0`).
    pub peer_name: &'a str,
    pub peer_mac: Mac,
    pub peer_netns: BorrowedFd<'a>,
}

/// The operations on one network namespace's links, addresses and routes.
pub trait RouteOps {
    /// The index of the link named `name`, or `None` when there is none.
    fn link_index(&mut self, name: &str) -> io::Result<Option<u32>>;
    fn set_link_up(&mut self, index: u32) -> io::Result<()>;
    /// Creates a bridge with a fixed MAC (left to the kernel, the bridge
    /// takes the lowest MAC of its ports and ARP caches go stale) and
    /// returns its index.
    fn create_bridge(&mut self, name: &str, mac: Mac) -> io::Result<u32>;
    fn create_veth(&mut self, request: &VethRequest<'_>) -> io::Result<()>;
    fn add_address(&mut self, index: u32, address: Ipv4Addr, prefix_len: u8) -> io::Result<()>;
    fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()>;
    /// Deletes a link (a bridge, or a veth with its peer).
    fn delete_link(&mut self, index: u32) -> io::Result<()>;
}

/// A real rtnetlink socket in the namespace it was opened in.
pub struct Netlink {
    socket: Socket,
    sequence: u32,
}

impl Netlink {
    pub fn open() -> io::Result<Netlink> {
        let mut socket = Socket::new(NETLINK_ROUTE)
            .map_err(|e| io::Error::new(e.kind(), format!("open a netlink route socket: {e}")))?;
        socket
            .bind_auto()
            .map_err(|e| io::Error::new(e.kind(), format!("bind the netlink socket: {e}")))?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(Netlink {
            socket,
            sequence: 0,
        })
    }

    /// Sends one request (a netlink header written here, then `body`) and
    /// reads until the kernel's answer to it: the ACK, or for `GetLink`
    /// the link's `ifinfomsg`, whose index is returned. A NACK is the
    /// error. Messages are written and replies parsed by hand (only five
    /// requests, and only an errno or an index to read): netlink-packet-route's
    /// encoders and decoders of every attribute kind put the binary over its
    /// size budget.
    fn request(
        &mut self,
        what: &str,
        message_type: u16,
        body: &[u8],
        flags: u16,
    ) -> io::Result<Option<u32>> {
        self.sequence = self.sequence.wrapping_add(1);
        let length = HEADER_LEN + body.len();
        let mut packet = vec![0u8; length];
        packet[0..4].copy_from_slice(&(length as u32).to_ne_bytes());
        packet[4..6].copy_from_slice(&message_type.to_ne_bytes());
        packet[6..8].copy_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        packet[8..12].copy_from_slice(&self.sequence.to_ne_bytes());
        packet[HEADER_LEN..].copy_from_slice(body);
        self.socket
            .send(&packet, 0)
            .map_err(|e| io::Error::new(e.kind(), format!("netlink {what}: send: {e}")))?;
        let mut datagram = vec![0u8; 32 * 1024];
        let mut index = None;
        loop {
            let size = self
                .socket
                .recv(&mut &mut datagram[..], 0)
                .map_err(|e| io::Error::new(e.kind(), format!("netlink {what}: recv: {e}")))?;
            let mut rest = &datagram[..size];
            while rest.len() >= HEADER_LEN {
                let field = |at: usize| u32::from_ne_bytes(rest[at..at + 4].try_into().unwrap());
                let reply_length = (field(0) as usize).clamp(HEADER_LEN, rest.len());
                let reply_type = u16::from_ne_bytes([rest[4], rest[5]]);
                let body = &rest[HEADER_LEN..reply_length];
                if field(8) == self.sequence {
                    match reply_type {
                        NLMSG_ERROR if body.len() >= 4 => {
                            let code = i32::from_ne_bytes(body[0..4].try_into().unwrap());
                            return match code {
                                0 => Ok(index),
                                code => Err(errno_error(what, -code)),
                            };
                        }
                        NLMSG_DONE => return Ok(index),
                        // ifinfomsg: family, pad, type (u16), then the index.
                        RTM_NEWLINK if body.len() >= 8 => {
                            index = Some(u32::from_ne_bytes(body[4..8].try_into().unwrap()));
                        }
                        _ => {}
                    }
                }
                // Messages are 4-byte aligned.
                rest = &rest[((reply_length + 3) & !3).min(rest.len())..];
            }
        }
    }

    fn change(&mut self, what: &str, message_type: u16, body: &[u8], flags: u16) -> io::Result<()> {
        self.request(what, message_type, body, NLM_F_ACK | flags)
            .map(drop)
    }
}

/// A netlink attribute: length, type, payload, padding to 4 bytes.
fn attribute(buffer: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    buffer.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    buffer.extend_from_slice(&kind.to_ne_bytes());
    buffer.extend_from_slice(payload);
    buffer.resize(buffer.len().next_multiple_of(4), 0);
}

/// An attribute holding attributes, written by `inner`.
fn nested(buffer: &mut Vec<u8>, kind: u16, inner: impl FnOnce(&mut Vec<u8>)) {
    let start = buffer.len();
    buffer.extend_from_slice(&[0; 4]);
    inner(buffer);
    let length = (buffer.len() - start) as u16;
    buffer[start..start + 2].copy_from_slice(&length.to_ne_bytes());
    buffer[start + 2..start + 4].copy_from_slice(&(kind | NLA_F_NESTED).to_ne_bytes());
}

fn name_payload(name: &str) -> Vec<u8> {
    let mut bytes = name.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// `struct ifinfomsg`: family, padding, type, index, flags, change mask.
fn link_header(buffer: &mut Vec<u8>, index: u32, flags: u32, change: u32) {
    buffer.extend_from_slice(&[0, 0, 0, 0]);
    buffer.extend_from_slice(&index.to_ne_bytes());
    buffer.extend_from_slice(&flags.to_ne_bytes());
    buffer.extend_from_slice(&change.to_ne_bytes());
}

impl RouteOps for Netlink {
    fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        let mut message = Vec::new();
        link_header(&mut message, 0, 0, 0);
        attribute(&mut message, IFLA_IFNAME, &name_payload(name));
        match self.request(
            &format!("get link {name}"),
            RTM_GETLINK,
            &message,
            NLM_F_ACK,
        ) {
            Ok(index) => Ok(index),
            Err(e) if is_errno(&e, libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set_link_up(&mut self, index: u32) -> io::Result<()> {
        let up = libc::IFF_UP as u32;
        let mut message = Vec::new();
        link_header(&mut message, index, up, up);
        self.change(&format!("set link {index} up"), RTM_SETLINK, &message, 0)
    }

    fn create_bridge(&mut self, name: &str, mac: Mac) -> io::Result<u32> {
        let mut message = Vec::new();
        link_header(&mut message, 0, 0, 0);
        attribute(&mut message, IFLA_IFNAME, &name_payload(name));
        attribute(&mut message, IFLA_ADDRESS, &mac);
        nested(&mut message, IFLA_LINKINFO, |info| {
            attribute(info, IFLA_INFO_KIND, b"bridge");
        });
        self.change(
            &format!("create bridge {name}"),
            RTM_NEWLINK,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )?;
        self.link_index(name)?
            .ok_or_else(|| io::Error::other(format!("bridge {name} vanished after its creation")))
    }

    fn create_veth(&mut self, request: &VethRequest<'_>) -> io::Result<()> {
        let mut message = Vec::new();
        link_header(&mut message, 0, 0, 0);
        attribute(&mut message, IFLA_IFNAME, &name_payload(request.host_name));
        attribute(
            &mut message,
            IFLA_MASTER,
            &request.bridge_index.to_ne_bytes(),
        );
        nested(&mut message, IFLA_LINKINFO, |info| {
            attribute(info, IFLA_INFO_KIND, b"veth");
            nested(info, IFLA_INFO_DATA, |data| {
                // The peer is a whole ifinfomsg with its own attributes.
                nested(data, VETH_INFO_PEER, |peer| {
                    link_header(peer, 0, 0, 0);
                    attribute(peer, IFLA_IFNAME, &name_payload(request.peer_name));
                    attribute(peer, IFLA_ADDRESS, &request.peer_mac);
                    let fd = request.peer_netns.as_raw_fd() as u32;
                    attribute(peer, IFLA_NET_NS_FD, &fd.to_ne_bytes());
                });
            });
        });
        self.change(
            &format!("create veth {}", request.host_name),
            RTM_NEWLINK,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_address(&mut self, index: u32, address: Ipv4Addr, prefix_len: u8) -> io::Result<()> {
        let broadcast = Ipv4Addr::from(u32::from(address) | (u32::MAX >> prefix_len.min(32)));
        // struct ifaddrmsg: family, prefix length, flags, scope, index.
        let mut message = vec![libc::AF_INET as u8, prefix_len, 0, 0];
        message.extend_from_slice(&index.to_ne_bytes());
        attribute(&mut message, IFA_LOCAL, &address.octets());
        attribute(&mut message, IFA_ADDRESS, &address.octets());
        attribute(&mut message, IFA_BROADCAST, &broadcast.octets());
        self.change(
            &format!("add address {address}/{prefix_len} to link {index}"),
            RTM_NEWADDR,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        // struct rtmsg: family, dst and src lengths, tos, table, protocol,
        // scope, type, flags.
        let mut message = vec![
            libc::AF_INET as u8,
            0,
            0,
            0,
            RT_TABLE_MAIN,
            RTPROT_BOOT,
            RT_SCOPE_UNIVERSE,
            RTN_UNICAST,
        ];
        message.extend_from_slice(&0u32.to_ne_bytes());
        attribute(&mut message, RTA_GATEWAY, &gateway.octets());
        self.change(
            &format!("add default route via {gateway}"),
            RTM_NEWROUTE,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn delete_link(&mut self, index: u32) -> io::Result<()> {
        let mut message = Vec::new();
        link_header(&mut message, index, 0, 0);
        self.change(&format!("delete link {index}"), RTM_DELLINK, &message, 0)
    }
}

/// A NACK from the kernel: the operation and its errno.
#[derive(Debug)]
pub struct NetlinkError {
    pub what: String,
    pub errno: i32,
}

impl std::fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cause = io::Error::from_raw_os_error(self.errno);
        write!(f, "netlink {}: {cause}", self.what)
    }
}

impl std::error::Error for NetlinkError {}

fn errno_error(what: &str, errno: i32) -> io::Error {
    io::Error::new(
        io::Error::from_raw_os_error(errno).kind(),
        NetlinkError {
            what: what.to_string(),
            errno,
        },
    )
}

/// Whether `error` is the kernel's (or the fake's) `errno`.
pub fn is_errno(error: &io::Error, errno: i32) -> bool {
    error.raw_os_error() == Some(errno)
        || error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<NetlinkError>())
            .is_some_and(|nack| nack.errno == errno)
}

/// What a [`FakeRoutes`] was asked to do, in order.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeOp {
    SetUp(u32),
    Bridge(String, Mac),
    Veth {
        host_name: String,
        bridge_index: u32,
        peer_name: String,
        peer_mac: Mac,
    },
    Address(u32, Ipv4Addr, u8),
    DefaultRoute(Ipv4Addr),
    Delete(u32),
}

/// An in-memory namespace for unit tests: links by name, and the log of
/// every change.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct FakeRoutes {
    pub links: Vec<(String, u32)>,
    pub ops: Vec<FakeOp>,
    next_index: u32,
}

#[cfg(test)]
impl FakeRoutes {
    /// A namespace with only `lo` (index 1), as a new one has.
    pub fn new() -> FakeRoutes {
        FakeRoutes {
            links: vec![("lo".to_string(), 1)],
            ops: Vec::new(),
            next_index: 2,
        }
    }

    fn add_link(&mut self, name: &str) -> io::Result<u32> {
        if self.links.iter().any(|(existing, _)| existing == name) {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        let index = self.next_index;
        self.next_index += 1;
        self.links.push((name.to_string(), index));
        Ok(index)
    }

    fn known(&self, index: u32) -> io::Result<()> {
        match self.links.iter().any(|(_, existing)| *existing == index) {
            true => Ok(()),
            false => Err(io::Error::from_raw_os_error(libc::ENODEV)),
        }
    }
}

#[cfg(test)]
impl RouteOps for FakeRoutes {
    fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        Ok(self
            .links
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, index)| *index))
    }

    fn set_link_up(&mut self, index: u32) -> io::Result<()> {
        self.known(index)?;
        self.ops.push(FakeOp::SetUp(index));
        Ok(())
    }

    fn create_bridge(&mut self, name: &str, mac: Mac) -> io::Result<u32> {
        let index = self.add_link(name)?;
        self.ops.push(FakeOp::Bridge(name.to_string(), mac));
        Ok(index)
    }

    fn create_veth(&mut self, request: &VethRequest<'_>) -> io::Result<()> {
        self.known(request.bridge_index)?;
        self.add_link(request.host_name)?;
        self.ops.push(FakeOp::Veth {
            host_name: request.host_name.to_string(),
            bridge_index: request.bridge_index,
            peer_name: request.peer_name.to_string(),
            peer_mac: request.peer_mac,
        });
        Ok(())
    }

    fn add_address(&mut self, index: u32, address: Ipv4Addr, prefix_len: u8) -> io::Result<()> {
        self.known(index)?;
        self.ops.push(FakeOp::Address(index, address, prefix_len));
        Ok(())
    }

    fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        self.ops.push(FakeOp::DefaultRoute(gateway));
        Ok(())
    }

    fn delete_link(&mut self, index: u32) -> io::Result<()> {
        self.known(index)?;
        self.links.retain(|(_, existing)| *existing != index);
        self.ops.push(FakeOp::Delete(index));
        Ok(())
    }
}
