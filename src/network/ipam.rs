//! Addresses of one IPv4 subnet, handed out as moby's default allocator
//! does: the lowest free one first, so a freed address is the next one
//! given (`.0`, the gateway and the broadcast address are never given);
//! and the subnets of new networks, from libnetwork's default pools.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub base: Ipv4Addr,
    pub prefix_len: u8,
}

impl Subnet {
    fn mask(self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0)
    }

    /// `a.b.c.d/n`, as `net.ParseCIDR` reads it; the host bits are
    /// dropped from `base`.
    pub fn parse(text: &str) -> Option<Subnet> {
        let (address, prefix) = text.split_once('/')?;
        let address: Ipv4Addr = address.parse().ok()?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix_len: u8 = prefix.parse().ok().filter(|len| *len <= 32)?;
        let subnet = Subnet {
            base: address,
            prefix_len,
        };
        Some(Subnet {
            base: Ipv4Addr::from(subnet.first()),
            prefix_len,
        })
    }

    /// Whether the two share any address.
    pub fn overlaps(self, other: Subnet) -> bool {
        self.contains(other.base) || other.contains(self.base)
    }

    /// The subnet's first usable address, which a network without an
    /// explicit gateway gets as its gateway.
    pub fn first_host(self) -> Ipv4Addr {
        Ipv4Addr::from(self.first() + 1)
    }

    pub fn contains(self, address: Ipv4Addr) -> bool {
        u32::from(address) & self.mask() == u32::from(self.base) & self.mask()
    }

    fn first(self) -> u32 {
        u32::from(self.base) & self.mask()
    }

    fn broadcast(self) -> u32 {
        self.first() | !self.mask()
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix_len)
    }
}

/// libnetwork's default local address pools in their order: the /16s
/// 172.17 to 172.31, then 192.168.0.0/16 cut into /20s.
fn default_pools() -> impl Iterator<Item = Subnet> {
    let wide = (17..=31).map(|second| Subnet {
        base: Ipv4Addr::new(172, second, 0, 0),
        prefix_len: 16,
    });
    let narrow = (0..16).map(|step| Subnet {
        base: Ipv4Addr::new(192, 168, step * 16, 0),
        prefix_len: 20,
    });
    wide.chain(narrow)
}

/// The first default pool that overlaps none of `in_use`.
pub fn next_free_pool(in_use: &[Subnet]) -> Option<Subnet> {
    default_pools().find(|pool| !in_use.iter().any(|used| used.overlaps(*pool)))
}

#[derive(Debug)]
pub struct Pool {
    subnet: Subnet,
    gateway: Ipv4Addr,
    /// Where dynamic addresses come from: the subnet, or its `IPRange`.
    range: Subnet,
    taken: BTreeSet<u32>,
}

impl Pool {
    pub fn new(subnet: Subnet, gateway: Ipv4Addr) -> Pool {
        Pool {
            subnet,
            gateway,
            range: subnet,
            taken: BTreeSet::new(),
        }
    }

    /// Dynamic addresses only from `range` (a network's `IPRange`), which
    /// must sit inside the subnet.
    pub fn with_range(mut self, range: Subnet) -> Pool {
        self.range = range;
        self
    }

    /// The lowest free address, now taken; `None` when the subnet is full.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let gateway = u32::from(self.gateway);
        let low = self.range.first().max(self.subnet.first() + 1);
        let high = self.range.broadcast().min(self.subnet.broadcast() - 1);
        let found = (low..=high)
            .find(|candidate| *candidate != gateway && !self.taken.contains(candidate))?;
        self.taken.insert(found);
        Some(Ipv4Addr::from(found))
    }

    /// Marks `address` taken (an endpoint found again after a restart, or
    /// a static address); false when it is outside the subnet, the
    /// gateway, or already taken.
    pub fn claim(&mut self, address: Ipv4Addr) -> bool {
        self.subnet.contains(address)
            && address != self.gateway
            && self.taken.insert(u32::from(address))
    }

    pub fn release(&mut self, address: Ipv4Addr) {
        self.taken.remove(&u32::from(address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docker0() -> Pool {
        Pool::new(
            Subnet {
                base: Ipv4Addr::new(172, 17, 0, 0),
                prefix_len: 16,
            },
            Ipv4Addr::new(172, 17, 0, 1),
        )
    }

    #[test]
    fn lowest_free_address_first_and_freed_ones_reused() {
        let mut pool = docker0();
        let first = pool.allocate().unwrap();
        let second = pool.allocate().unwrap();
        let third = pool.allocate().unwrap();
        assert_eq!(first, Ipv4Addr::new(172, 17, 0, 2));
        assert_eq!(second, Ipv4Addr::new(172, 17, 0, 3));
        assert_eq!(third, Ipv4Addr::new(172, 17, 0, 4));
        pool.release(second);
        assert_eq!(pool.allocate(), Some(second));
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(172, 17, 0, 5)));
    }

    #[test]
    fn claimed_addresses_are_skipped_and_a_full_subnet_gives_none() {
        let mut pool = Pool::new(
            Subnet {
                base: Ipv4Addr::new(10, 9, 0, 0),
                prefix_len: 29,
            },
            Ipv4Addr::new(10, 9, 0, 1),
        );
        assert!(pool.claim(Ipv4Addr::new(10, 9, 0, 2)));
        assert!(!pool.claim(Ipv4Addr::new(10, 9, 0, 2)));
        assert!(!pool.claim(Ipv4Addr::new(10, 9, 1, 2)));
        let given: Vec<_> = std::iter::from_fn(|| pool.allocate()).collect();
        // .0 network, .1 gateway, .2 claimed, .7 broadcast.
        assert_eq!(
            given,
            (3..=6)
                .map(|last| Ipv4Addr::new(10, 9, 0, last))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn cidrs_parse_as_go_reads_them() {
        let subnet = Subnet::parse("10.1.2.3/16").unwrap();
        assert_eq!(subnet.to_string(), "10.1.0.0/16");
        assert_eq!(subnet.first_host(), Ipv4Addr::new(10, 1, 0, 1));
        for bad in [
            "10.1.2.3",
            "10.1.2.3/33",
            "10.1.2/8",
            "10.1.2.3/",
            "x/8",
            "10.0.0.0/+8",
        ] {
            assert_eq!(Subnet::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn new_networks_take_the_first_free_default_pool() {
        let docker0 = Subnet::parse("172.17.0.0/16").unwrap();
        assert_eq!(
            next_free_pool(&[docker0]).unwrap().to_string(),
            "172.18.0.0/16"
        );
        let mut used: Vec<Subnet> = (17..=31)
            .map(|second| Subnet::parse(&format!("172.{second}.0.0/16")).unwrap())
            .collect();
        assert_eq!(next_free_pool(&used).unwrap().to_string(), "192.168.0.0/20");
        used.push(Subnet::parse("192.168.0.0/24").unwrap());
        assert_eq!(
            next_free_pool(&used).unwrap().to_string(),
            "192.168.16.0/20"
        );
        // A user subnet inside a default pool makes that pool taken.
        let custom = Subnet::parse("172.18.5.0/24").unwrap();
        assert_eq!(
            next_free_pool(&[docker0, custom]).unwrap().to_string(),
            "172.19.0.0/16"
        );
    }

    #[test]
    fn an_ip_range_limits_dynamic_addresses_but_not_static_ones() {
        let subnet = Subnet::parse("10.5.0.0/16").unwrap();
        let mut pool = Pool::new(subnet, Ipv4Addr::new(10, 5, 0, 1))
            .with_range(Subnet::parse("10.5.7.0/24").unwrap());
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(10, 5, 7, 0)));
        assert_eq!(pool.allocate(), Some(Ipv4Addr::new(10, 5, 7, 1)));
        assert!(pool.claim(Ipv4Addr::new(10, 5, 0, 9)));
        assert!(!pool.claim(Ipv4Addr::new(10, 5, 0, 1)), "the gateway");
    }
}
