//! The networks of one container: the endpoints it is configured for
//! (settled at create, changed by connect and disconnect, keyed by
//! network name as moby keys `NetworkSettings.Networks`), the networks it
//! joins when it starts, and what inspect shows of them.

use super::record::ContainerRecord;
use crate::api::container::{HostConfig, NetworkingConfig};
use crate::api::container_view::EndpointSettings;
use crate::api::{ApiError, ApiVersion};
use crate::daemon::network_records::{self, DEFAULT_BRIDGE_NETWORK, NetworkRecord};
use crate::daemon::network_service::Join;
use crate::store::Store;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The network a `NetworkMode` names (`default` is `bridge`).
pub fn mode_network(network_mode: &str) -> &str {
    match network_mode {
        "" | "default" => DEFAULT_BRIDGE_NETWORK,
        other => other,
    }
}

/// Whether `name` is a user-defined network, as moby's
/// `NetworkMode.IsUserDefined`.
pub fn is_user_defined(name: &str) -> bool {
    !matches!(name, "" | "default" | "bridge" | "host" | "none") && !name.starts_with("container:")
}

/// The error moby gives for a static address on a network whose subnet
/// it picked itself.
fn static_address_refused() -> ApiError {
    ApiError::invalid(
        "user specified IP address is supported only when connecting to networks with user configured subnets",
    )
}

/// Checks an endpoint's settings against its network and returns the
/// static IPv4 address it asks for.
pub fn check_endpoint(
    network: &NetworkRecord,
    settings: &EndpointSettings,
) -> Result<Option<Ipv4Addr>, ApiError> {
    let wanted = settings
        .ipam_config
        .as_ref()
        .map(|ipam| ipam.ipv4_address.as_str())
        .unwrap_or_default();
    if settings.aliases.as_ref().is_some_and(|a| !a.is_empty()) && !is_user_defined(&network.name) {
        return Err(ApiError::invalid(
            "network-scoped alias is supported only for containers in user defined networks",
        ));
    }
    if wanted.is_empty() {
        return Ok(None);
    }
    if !is_user_defined(&network.name) {
        return Err(ApiError::invalid(
            "user specified IP address is supported on user defined networks only",
        ));
    }
    if !network.user_subnet {
        return Err(static_address_refused());
    }
    let address: Ipv4Addr = wanted
        .parse()
        .map_err(|_| ApiError::invalid(format!("invalid IPv4 address: {wanted}")))?;
    if !network
        .subnet()
        .is_some_and(|subnet| subnet.contains(address))
    {
        return Err(ApiError::invalid(format!(
            "no configured subnet or ip-range contain the IP address {address}"
        )));
    }
    Ok(Some(address))
}

/// At create: the networking config keyed by network name, with the
/// `NetworkMode` network always in it. A network that does not exist
/// keeps the name given and fails the start, as in moby.
pub fn settle_endpoints(
    store: &Store,
    host: &HostConfig,
    given: Option<NetworkingConfig>,
) -> Result<Option<NetworkingConfig>, ApiError> {
    let mut given = given.unwrap_or_default();
    let mut endpoints = given.endpoints_config.take().unwrap_or_default();
    let mode = mode_network(&host.network_mode).to_string();
    if mode.starts_with("container:") {
        given.endpoints_config = Some(BTreeMap::new());
        return Ok(Some(given));
    }
    let mode_settings = endpoints
        .remove(&host.network_mode)
        .or_else(|| endpoints.remove("default"))
        .or_else(|| endpoints.remove(&mode))
        .unwrap_or_default();
    let all = network_records::list(store)?;
    let mut settled = BTreeMap::new();
    for (name, settings) in std::iter::once((mode, mode_settings)).chain(endpoints) {
        let network = match network_records::find_in(&all, &name) {
            Ok(found) => found,
            Err(error) if error.status() == 404 => {
                // Only where the store has no predefined networks (tests).
                let predefined = NetworkRecord {
                    name: name.clone(),
                    ..NetworkRecord::default()
                };
                if network_records::is_predefined_name(&name) {
                    check_endpoint(&predefined, &settings)?;
                }
                settled.insert(name, settings);
                continue;
            }
            Err(error) => return Err(error),
        };
        check_endpoint(network, &settings)?;
        settled.insert(network.name.clone(), settings);
    }
    given.endpoints_config = Some(settled);
    Ok(Some(given))
}

/// The configured endpoints by network name. Records from before
/// endpoints were settled show their `NetworkMode` network.
pub fn configured(record: &ContainerRecord) -> BTreeMap<String, EndpointSettings> {
    match record
        .networking_config
        .as_ref()
        .and_then(|config| config.endpoints_config.as_ref())
    {
        Some(endpoints) if !endpoints.contains_key("default") => endpoints.clone(),
        _ => BTreeMap::from([(
            mode_network(&record.host_config.network_mode).to_string(),
            EndpointSettings::default(),
        )]),
    }
}

/// The networks a starting container joins, its `NetworkMode` network
/// first; a network that is gone (or never was: the create does not
/// check, as moby's does not) fails the start with a 404.
pub fn joins(store: &Store, record: &ContainerRecord) -> Result<Vec<Join>, ApiError> {
    let all = network_records::list(store)?;
    let endpoints = configured(record);
    let mode = mode_network(&record.host_config.network_mode);
    let mut names: Vec<&String> = endpoints.keys().collect();
    names.sort_by_key(|name| (name.as_str() != mode, name.as_str()));
    let mut joins = Vec::new();
    for name in names {
        let network = network_records::find_in(&all, name)?;
        let static_address = check_endpoint(network, &endpoints[name.as_str()])?;
        joins.push(Join {
            network: network.clone(),
            static_address,
        });
    }
    Ok(joins)
}

/// The container's entry for `network`, from a connect's endpoint
/// config. Its `NetworkID` is kept (inspect shows the IDs of networks
/// joined, from the record's `network_ids`) to say it was connected, which
/// old API versions show in `Aliases`.
pub fn connect_settings(
    network: &NetworkRecord,
    given: Option<EndpointSettings>,
) -> EndpointSettings {
    let mut settings = given.unwrap_or_default();
    settings.network_id = network.id.clone();
    settings
}

/// `DNSNames` as moby builds them for a user network: the name, the
/// aliases, the short ID and the hostname, each once.
fn dns_names(record: &ContainerRecord, aliases: &[String]) -> Vec<String> {
    let mut names = vec![record.name.clone()];
    names.extend(aliases.iter().cloned());
    names.push(record.id[..12.min(record.id.len())].to_string());
    names.push(record.config.hostname.clone());
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|name| !name.is_empty() && seen.insert(name.clone()));
    names
}

/// `NetworkSettings.Networks`: each configured network, with the live
/// endpoint's addresses while the container runs.
pub fn views(record: &ContainerRecord) -> BTreeMap<String, EndpointSettings> {
    let live = record.sandbox.iter().flat_map(|sandbox| &sandbox.endpoints);
    let mut shown = BTreeMap::new();
    for (name, configured) in configured(record) {
        let mut view = EndpointSettings {
            ipam_config: configured.ipam_config.clone(),
            links: configured.links.clone(),
            aliases: configured.aliases.clone(),
            driver_opts: configured.driver_opts.clone(),
            network_id: record.network_ids.get(&name).cloned().unwrap_or_default(),
            ..EndpointSettings::default()
        };
        if let Some(endpoint) = live.clone().find(|e| e.network_name == name) {
            view.network_id = endpoint.network_id.clone();
            view.endpoint_id = endpoint.endpoint_id.clone();
            view.gateway = endpoint.gateway.clone();
            view.ip_address = endpoint.ip_address.clone();
            view.ip_prefix_len = i64::from(endpoint.ip_prefix_len);
            view.mac_address = endpoint.mac_address.clone();
            if is_user_defined(&name) {
                view.dns_names = Some(dns_names(
                    record,
                    configured.aliases.as_deref().unwrap_or(&[]),
                ));
            }
        }
        shown.insert(name, view);
    }
    shown
}

/// Before API 1.45 the `Aliases` of a user network the container has
/// joined (or was connected to) also held the short ID and the hostname,
/// as moby's router adds them for old clients; before 1.44 there were no
/// `DNSNames`.
pub fn for_version(
    record: &ContainerRecord,
    networks: &mut BTreeMap<String, EndpointSettings>,
    version: ApiVersion,
) {
    if version >= ApiVersion::new(1, 45) {
        return;
    }
    let configured = configured(record);
    for (name, endpoint) in networks.iter_mut() {
        if version < ApiVersion::new(1, 44) {
            endpoint.dns_names = None;
        }
        let joined = !endpoint.network_id.is_empty()
            || configured
                .get(name)
                .is_some_and(|settings| !settings.network_id.is_empty());
        if !is_user_defined(name) || !joined {
            continue;
        }
        let mut aliases = endpoint.aliases.take().unwrap_or_default();
        for extra in [
            record.id[..12.min(record.id.len())].to_string(),
            record.config.hostname.clone(),
        ] {
            if !aliases.contains(&extra) {
                aliases.push(extra);
            }
        }
        endpoint.aliases = Some(aliases);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::container::EndpointIpamConfig;

    fn store_with(networks: &[NetworkRecord]) -> (Store, std::path::PathBuf) {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dockbox-ctr-net-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("db")).unwrap();
        for network in networks {
            network_records::put(&store, network).unwrap();
        }
        (store, dir)
    }

    fn user_network(user_subnet: bool) -> NetworkRecord {
        NetworkRecord {
            id: "f".repeat(64),
            name: "mynet".into(),
            driver: "bridge".into(),
            subnet: "10.7.0.0/24".into(),
            gateway: "10.7.0.1".into(),
            user_subnet,
            ..NetworkRecord::default()
        }
    }

    fn with_ip(ip: &str) -> EndpointSettings {
        EndpointSettings {
            ipam_config: Some(EndpointIpamConfig {
                ipv4_address: ip.into(),
                ..EndpointIpamConfig::default()
            }),
            ..EndpointSettings::default()
        }
    }

    #[test]
    fn create_keys_endpoints_by_network_name_and_unknown_ones_fail_the_start() {
        let (store, dir) = store_with(&[user_network(true)]);
        let host = HostConfig {
            network_mode: "ffff".into(),
            ..HostConfig::default()
        };
        let settled = settle_endpoints(&store, &host, None).unwrap().unwrap();
        let endpoints = settled.endpoints_config.unwrap();
        assert_eq!(endpoints.keys().collect::<Vec<_>>(), ["mynet"]);
        // moby shows no NetworkID before the container joins.
        assert_eq!(endpoints["mynet"].network_id, "");
        let default = HostConfig {
            network_mode: "default".into(),
            ..HostConfig::default()
        };
        let settled = settle_endpoints(&store, &default, None).unwrap().unwrap();
        assert_eq!(
            settled.endpoints_config.unwrap().keys().collect::<Vec<_>>(),
            ["bridge"]
        );
        // An unknown network is kept by name; the start fails on it.
        let missing = HostConfig {
            network_mode: "nosuch".into(),
            ..HostConfig::default()
        };
        let settled = settle_endpoints(&store, &missing, None).unwrap().unwrap();
        let record = ContainerRecord {
            host_config: missing,
            networking_config: Some(settled),
            ..ContainerRecord::default()
        };
        let error = joins(&store, &record).unwrap_err();
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            (error.status(), error.message.as_str()),
            (404, "network nosuch not found")
        );
    }

    #[test]
    fn static_addresses_need_a_user_subnet_and_must_fit_it() {
        let network = user_network(true);
        assert_eq!(
            check_endpoint(&network, &with_ip("10.7.0.9")).unwrap(),
            Some(Ipv4Addr::new(10, 7, 0, 9))
        );
        let outside = check_endpoint(&network, &with_ip("10.8.0.9")).unwrap_err();
        assert!(outside.message.contains("10.8.0.9"), "{}", outside.message);
        let picked = check_endpoint(&user_network(false), &with_ip("10.7.0.9")).unwrap_err();
        assert_eq!(picked.message, static_address_refused().message);
        let bridge = NetworkRecord {
            name: "bridge".into(),
            ..NetworkRecord::default()
        };
        assert_eq!(
            check_endpoint(&bridge, &with_ip("172.17.0.9"))
                .unwrap_err()
                .message,
            "user specified IP address is supported on user defined networks only"
        );
    }
}
