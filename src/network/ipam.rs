//! Addresses of one IPv4 subnet, handed out as moby's default allocator
//! does: the lowest free one first, so a freed address is the next one
//! given (`.0`, the gateway and the broadcast address are never given).

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

#[derive(Debug)]
pub struct Pool {
    subnet: Subnet,
    gateway: Ipv4Addr,
    taken: BTreeSet<u32>,
}

impl Pool {
    pub fn new(subnet: Subnet, gateway: Ipv4Addr) -> Pool {
        Pool {
            subnet,
            gateway,
            taken: BTreeSet::new(),
        }
    }

    /// The lowest free address, now taken; `None` when the subnet is full.
    pub fn allocate(&mut self) -> Option<Ipv4Addr> {
        let gateway = u32::from(self.gateway);
        let found = (self.subnet.first() + 1..self.subnet.broadcast())
            .find(|candidate| *candidate != gateway && !self.taken.contains(candidate))?;
        self.taken.insert(found);
        Some(Ipv4Addr::from(found))
    }

    /// Marks `address` taken (an endpoint found again after a restart);
    /// false when it is outside the subnet or already taken.
    pub fn claim(&mut self, address: Ipv4Addr) -> bool {
        self.subnet.contains(address) && self.taken.insert(u32::from(address))
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
}
