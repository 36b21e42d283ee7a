//! The few rtnetlink operations container networking needs, behind
//! [`RouteOps`] so the code above can be unit-tested with [`FakeRoutes`].
//!
//! [`Netlink`] is synchronous: a blocking `NETLINK_ROUTE` socket from
//! netlink-sys, messages from netlink-packet-route, and a request loop that
//! reads until the kernel's ACK, so no async
//! runtime is needed. A netlink socket acts in the network namespace it was
//! created in, whichever namespace the thread using it is in later: to act
//! inside a container's namespace, create the socket there
//! ([`super::netns::in_netns`]).

use netlink_packet_core::{Emitable, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, BorrowedFd};

const HEADER_LEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWLINK: u16 = 16;
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
    /// error. Replies are parsed by hand (only the header, an errno or an
    /// index is needed): the crate's generic decoder of every message kind
    /// would add more to the binary than all of this.
    fn request(
        &mut self,
        what: &str,
        message_type: u16,
        body: &dyn Emitable,
        flags: u16,
    ) -> io::Result<Option<u32>> {
        self.sequence = self.sequence.wrapping_add(1);
        let length = HEADER_LEN + body.buffer_len();
        let mut packet = vec![0u8; length];
        packet[0..4].copy_from_slice(&(length as u32).to_ne_bytes());
        packet[4..6].copy_from_slice(&message_type.to_ne_bytes());
        packet[6..8].copy_from_slice(&(NLM_F_REQUEST | flags).to_ne_bytes());
        packet[8..12].copy_from_slice(&self.sequence.to_ne_bytes());
        body.emit(&mut packet[HEADER_LEN..]);
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

    fn change(
        &mut self,
        what: &str,
        message_type: u16,
        body: &dyn Emitable,
        flags: u16,
    ) -> io::Result<()> {
        self.request(what, message_type, body, NLM_F_ACK | flags)
            .map(drop)
    }
}

impl RouteOps for Netlink {
    fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
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
        let mut message = LinkMessage::default();
        message.header.index = index;
        message.header.flags = LinkFlags::Up;
        message.header.change_mask = LinkFlags::Up;
        self.change(&format!("set link {index} up"), RTM_SETLINK, &message, 0)
    }

    fn create_bridge(&mut self, name: &str, mac: Mac) -> io::Result<u32> {
        let mut message = LinkMessage::default();
        message.attributes = vec![
            LinkAttribute::IfName(name.to_string()),
            LinkAttribute::Address(mac.to_vec()),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Bridge)]),
        ];
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
        let mut peer = LinkMessage::default();
        peer.attributes = vec![
            LinkAttribute::IfName(request.peer_name.to_string()),
            LinkAttribute::Address(request.peer_mac.to_vec()),
            LinkAttribute::NetNsFd(request.peer_netns.as_raw_fd()),
        ];
        let mut message = LinkMessage::default();
        message.attributes = vec![
            LinkAttribute::IfName(request.host_name.to_string()),
            LinkAttribute::Controller(request.bridge_index),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
            ]),
        ];
        self.change(
            &format!("create veth {}", request.host_name),
            RTM_NEWLINK,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_address(&mut self, index: u32, address: Ipv4Addr, prefix_len: u8) -> io::Result<()> {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        message.header.prefix_len = prefix_len;
        message.header.index = index;
        let broadcast = Ipv4Addr::from(u32::from(address) | (u32::MAX >> prefix_len.min(32)));
        message.attributes = vec![
            AddressAttribute::Local(IpAddr::V4(address)),
            AddressAttribute::Address(IpAddr::V4(address)),
            AddressAttribute::Broadcast(broadcast),
        ];
        self.change(
            &format!("add address {address}/{prefix_len} to link {index}"),
            RTM_NEWADDR,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
    }

    fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        message.header.table = RouteHeader::RT_TABLE_MAIN;
        message.header.protocol = RouteProtocol::Boot;
        message.header.scope = RouteScope::Universe;
        message.header.kind = RouteType::Unicast;
        message.attributes = vec![RouteAttribute::Gateway(RouteAddress::Inet(gateway))];
        self.change(
            &format!("add default route via {gateway}"),
            RTM_NEWROUTE,
            &message,
            NLM_F_CREATE | NLM_F_EXCL,
        )
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
}
