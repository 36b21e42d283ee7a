//! Which endpoints dockerd tries for a registry, as moby's registry
//! service decides: `https` first, verified against the host's roots and
//! the registry's certs.d directory; for an insecure registry (one in an
//! insecure CIDR, loopback by default, or named by `--insecure-registry`)
//! `https` without verification, then plain `http`.

use crate::api::types::{IndexInfo, RegistryConfig};
use crate::http::tls::TlsClient;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Always insecure, after the user's entries (moby appends it). dockerd
/// 20.10 has IPv4 loopback only: `[::1]:5000` is reached over https.
const DEFAULT_INSECURE_CIDRS: &[&str] = &["127.0.0.0/8"];

/// The Hub's index name: always secure, whatever the options say.
const HUB: &str = "docker.io";
/// Where the Hub's distribution API is (moby's `DefaultV2Registry`).
const HUB_REGISTRY: &str = "registry-1.docker.io";

/// An address block, `10.0.0.0/8`, its host bits cleared.
#[derive(Clone, Debug, PartialEq)]
struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (address, bits) = text.split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let width = if address.is_ipv4() { 32 } else { 128 };
        let bits: u8 = bits.parse().ok().filter(|bits| *bits <= width)?;
        Some(Cidr {
            network: mask(address, bits),
            bits,
        })
    }

    fn contains(&self, address: IpAddr) -> bool {
        // An IPv4-mapped IPv6 address counts as its IPv4 one, as in Go.
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.bits) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.bits)
    }
}

fn mask(address: IpAddr, bits: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & keep).into())
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
}

/// The daemon's registry options (`--insecure-registry`), parsed once.
#[derive(Clone, Debug, PartialEq)]
pub struct Registries {
    insecure_cidrs: Vec<Cidr>,
    /// Index names (`host` or `host:port`) given as insecure.
    insecure_names: Vec<String>,
}

impl Default for Registries {
    fn default() -> Registries {
        Registries::new(&[]).expect("the default CIDRs parse")
    }
}

/// One place to try: `https://host` or `http://host`, and the TLS
/// settings for it (and for the hosts it redirects to).
pub struct Endpoint {
    pub base: String,
    pub tls: TlsClient,
}

impl Registries {
    /// `--insecure-registry` values as moby's `LoadInsecureRegistries`
    /// takes them: an `http://`/`https://` prefix is dropped, any other
    /// scheme refused; a CIDR is a block, anything else an index name.
    pub fn new(insecure: &[String]) -> Result<Registries, String> {
        let mut registries = Registries {
            insecure_cidrs: Vec::new(),
            insecure_names: Vec::new(),
        };
        let defaults = DEFAULT_INSECURE_CIDRS.iter().map(|c| c.to_string());
        for entry in insecure.iter().cloned().chain(defaults) {
            let lower = entry.to_ascii_lowercase();
            let name = if lower.starts_with("http://") {
                &entry[7..]
            } else if lower.starts_with("https://") {
                &entry[8..]
            } else if entry.contains("://") {
                return Err(format!(
                    "insecure registry {entry} should not contain '://'"
                ));
            } else {
                &entry
            };
            if let Some(cidr) = Cidr::parse(name) {
                if !registries.insecure_cidrs.contains(&cidr) {
                    registries.insecure_cidrs.push(cidr);
                }
                continue;
            }
            let name = name.trim_end_matches('/');
            if name.is_empty() || name.starts_with('-') || name.ends_with('-') {
                return Err(format!("invalid index name ({name})"));
            }
            if name == HUB || name == "index.docker.io" {
                continue;
            }
            if !registries.insecure_names.iter().any(|n| n == name) {
                registries.insecure_names.push(name.to_string());
            }
        }
        Ok(registries)
    }

    /// moby's `isSecureIndex`: the Hub is secure; a name given as insecure
    /// is not; otherwise the host's addresses (a literal, or its
    /// /etc/hosts lines) decide, secure when none is in an insecure CIDR.
    pub fn is_secure(&self, domain: &str) -> bool {
        if domain == HUB {
            return true;
        }
        if self.insecure_names.iter().any(|name| name == domain) {
            return false;
        }
        let url = format!("http://{domain}/");
        let Ok(parsed) = crate::http::fetch::HttpUrl::parse(&url) else {
            return true;
        };
        let addresses = crate::http::fetch::host_addresses(&parsed.host, 0).unwrap_or_default();
        !addresses.iter().any(|address| {
            self.insecure_cidrs
                .iter()
                .any(|cidr| cidr.contains(address.ip()))
        })
    }

    /// The endpoints to try for `domain`, in order.
    pub fn endpoints(&self, domain: &str) -> Result<Vec<Endpoint>, String> {
        if domain == HUB {
            return Ok(vec![Endpoint {
                base: format!("https://{HUB_REGISTRY}"),
                tls: TlsClient::for_registry(HUB_REGISTRY)?,
            }]);
        }
        if self.is_secure(domain) {
            return Ok(vec![Endpoint {
                base: format!("https://{domain}"),
                tls: TlsClient::for_registry(domain)?,
            }]);
        }
        Ok(vec![
            Endpoint {
                base: format!("https://{domain}"),
                tls: TlsClient::unverified(),
            },
            Endpoint {
                base: format!("http://{domain}"),
                tls: TlsClient::unverified(),
            },
        ])
    }

    /// `RegistryConfig` of `GET /info`.
    pub fn info(&self) -> RegistryConfig {
        let mut index_configs = BTreeMap::new();
        for name in &self.insecure_names {
            index_configs.insert(
                name.clone(),
                IndexInfo {
                    name: name.clone(),
                    mirrors: Vec::new(),
                    secure: false,
                    official: false,
                },
            );
        }
        index_configs.insert(
            HUB.to_string(),
            IndexInfo {
                name: HUB.to_string(),
                mirrors: Vec::new(),
                secure: true,
                official: true,
            },
        );
        RegistryConfig {
            insecure_registry_cidrs: self.insecure_cidrs.iter().map(Cidr::to_string).collect(),
            index_configs,
            mirrors: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_insecure_by_default_and_others_are_secure() {
        let registries = Registries::default();
        for domain in ["localhost:5000", "127.0.0.1:5000", "127.3.4.5"] {
            assert!(!registries.is_secure(domain), "{domain}");
        }
        for domain in [
            "docker.io",
            "[::1]:5000",
            "10.0.0.1:5000",
            "[fe80::1]:5000",
            "example.invalid",
        ] {
            assert!(registries.is_secure(domain), "{domain}");
        }
        assert_eq!(registries.info().insecure_registry_cidrs, ["127.0.0.0/8"]);
    }

    #[test]
    fn insecure_registries_take_cidrs_and_names_as_moby_does() {
        let registries = Registries::new(&[
            "10.1.2.3/16".into(),
            "http://reg.example:5000".into(),
            "127.0.0.0/8".into(),
        ])
        .unwrap();
        assert!(!registries.is_secure("10.1.9.9:443"));
        assert!(registries.is_secure("10.2.0.1"));
        assert!(!registries.is_secure("reg.example:5000"));
        assert!(registries.is_secure("reg.example"));
        let info = registries.info();
        assert_eq!(info.insecure_registry_cidrs, ["10.1.0.0/16", "127.0.0.0/8"]);
        assert!(!info.index_configs["reg.example:5000"].secure);
        assert!(info.index_configs["docker.io"].official);
        assert_eq!(
            Registries::new(&["ftp://x".into()]).unwrap_err(),
            "insecure registry ftp://x should not contain '://'"
        );
        let endpoints = registries.endpoints("10.1.0.1:5000").unwrap();
        let bases: Vec<_> = endpoints.iter().map(|e| e.base.as_str()).collect();
        assert_eq!(bases, ["https://10.1.0.1:5000", "http://10.1.0.1:5000"]);
        let hub = registries.endpoints("docker.io").unwrap();
        assert_eq!(hub.len(), 1);
        assert_eq!(hub[0].base, "https://registry-1.docker.io");
    }
}
