//! The network routes: create, list, inspect, remove and prune, on the
//! network records ([`super::network_records`]); connect and disconnect
//! are [`super::network_connect`]'s. Answers and error texts are moby's.

use super::network_records::{
    self as records, BRIDGE_DRIVER, BRIDGE_NAME_OPTION, NetworkRecord, random_hex,
};
use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::network::{EndpointResource, NetworkCreateRequest, NetworkCreateResponse};
use crate::api::{ApiError, ApiVersion, ErrorKind, Filters, Router};
use crate::daemon::containers::record::ContainerRecord;
use crate::daemon::errors::store_error;
use crate::gofmt::time::now_nanos;
use crate::gofmt::timestamp::timestamp_nanos;
use crate::network::ipam::{Subnet, next_free_pool};
use crate::store::Table;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub fn routes(router: &mut Router<Route>) {
    router
        .add("POST", "/networks/create", create)
        .add("GET", "/networks", list)
        .add("GET", "/networks/{id}", inspect)
        .add("DELETE", "/networks/{id}", remove)
        .add("POST", "/networks/prune", prune);
    super::network_connect::routes(router);
}

/// Held while networks are created or removed: a create reads the
/// records to pick a free name, subnet and bridge, then writes its own,
/// and two creates must not pick the same.
static CHANGES: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn hold_changes() -> std::sync::MutexGuard<'static, ()> {
    CHANGES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The longest Linux interface name (IFNAMSIZ less the NUL).
const MAX_INTERFACE_NAME: usize = 15;

/// moby's `network.PruneReport`: `null` when nothing was deleted.
#[derive(Serialize)]
struct NetworkPruneReport {
    #[serde(rename = "NetworksDeleted")]
    networks_deleted: Option<Vec<String>>,
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::Forbidden, message)
}

/// The running containers' endpoints on each network, by network ID:
/// container ID -> what the network's `Containers` shows.
pub fn endpoints_by_network(
    daemon: &Daemon,
) -> Result<BTreeMap<String, BTreeMap<String, EndpointResource>>, ApiError> {
    let containers: Vec<(String, ContainerRecord)> = daemon
        .store()
        .read(|tx| tx.list::<ContainerRecord>(Table::Containers))
        .map_err(store_error)?;
    let mut by_network: BTreeMap<String, BTreeMap<String, EndpointResource>> = BTreeMap::new();
    for (id, record) in containers {
        for endpoint in record.sandbox.iter().flat_map(|s| &s.endpoints) {
            by_network
                .entry(endpoint.network_id.clone())
                .or_default()
                .insert(
                    id.clone(),
                    EndpointResource {
                        name: record.name.clone(),
                        endpoint_id: endpoint.endpoint_id.clone(),
                        mac_address: endpoint.mac_address.clone(),
                        ipv4_address: format!("{}/{}", endpoint.ip_address, endpoint.ip_prefix_len),
                        ipv6_address: String::new(),
                    },
                );
        }
    }
    Ok(by_network)
}

fn log_network_event(daemon: &Daemon, record: &NetworkRecord, action: &str) {
    let actor = crate::api::events::Actor {
        id: record.id.clone(),
        attributes: BTreeMap::from([
            ("name".to_string(), record.name.clone()),
            ("type".to_string(), record.driver.clone()),
        ]),
    };
    daemon
        .events()
        .publish(crate::api::events::NETWORK, action, actor);
}

/// Refuses what dockbox's bridge driver cannot do, with moby's text where
/// moby has one.
fn check_create_request(request: &NetworkCreateRequest) -> Result<(), ApiError> {
    if records::is_predefined_name(&request.name) {
        return Err(forbidden(format!(
            "operation is not permitted on predefined {} network ",
            request.name
        )));
    }
    if request.name.is_empty() {
        return Err(ApiError::invalid("invalid name: "));
    }
    match request.driver.as_str() {
        "" | BRIDGE_DRIVER => {}
        "host" | "null" => {
            return Err(forbidden(format!(
                "only one instance of \"{}\" network is allowed",
                request.driver
            )));
        }
        other => {
            return Err(ApiError::not_found(format!(
                "could not find plugin {other} in v1 plugin registry: plugin not found"
            )));
        }
    }
    if request.enable_ipv6 == Some(true) {
        return Err(ApiError::invalid(
            "IPv6 networks are not supported by dockbox yet",
        ));
    }
    if request.ingress || request.config_only || request.config_from.is_some() {
        return Err(ApiError::invalid(
            "ingress and configuration-only networks need a swarm, which dockbox does not run",
        ));
    }
    if !matches!(request.scope.as_str(), "" | "local") {
        return Err(ApiError::invalid(format!(
            "dockbox supports only local networks, not scope {:?}",
            request.scope
        )));
    }
    if let Some(ipam) = &request.ipam
        && !matches!(ipam.driver.as_str(), "" | "default")
    {
        return Err(ApiError::not_found(format!(
            "could not find plugin {} in v1 plugin registry: plugin not found",
            ipam.driver
        )));
    }
    Ok(())
}

fn parse_cidr(text: &str) -> Result<Subnet, ApiError> {
    Subnet::parse(text).ok_or_else(|| ApiError::invalid(format!("invalid CIDR address: {text}")))
}

/// The subnet, gateway and range of a new network: the request's, or the
/// first free default pool.
fn settle_ipam(
    request: &NetworkCreateRequest,
    existing: &[NetworkRecord],
    record: &mut NetworkRecord,
) -> Result<(), ApiError> {
    let configs = request
        .ipam
        .as_ref()
        .and_then(|ipam| ipam.config.clone())
        .unwrap_or_default();
    let in_use: Vec<Subnet> = existing.iter().filter_map(NetworkRecord::subnet).collect();
    let Some(config) = configs.first() else {
        let subnet = next_free_pool(&in_use).ok_or_else(|| {
            forbidden("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
        })?;
        record.subnet = subnet.to_string();
        record.gateway = subnet.first_host().to_string();
        return Ok(());
    };
    if configs.len() > 1 {
        return Err(ApiError::invalid(
            "dockbox supports one IPAM config (one IPv4 subnet) per network",
        ));
    }
    if config.subnet.is_empty() {
        return Err(ApiError::invalid(
            "dockbox needs a subnet with a gateway or an IP range",
        ));
    }
    let subnet = parse_cidr(&config.subnet)?;
    if in_use.iter().any(|used| used.overlaps(subnet)) {
        return Err(forbidden(
            "Pool overlaps with other one on this address space",
        ));
    }
    let gateway = match config.gateway.as_str() {
        "" => subnet.first_host(),
        text => text
            .parse::<Ipv4Addr>()
            .ok()
            .filter(|gateway| subnet.contains(*gateway))
            .ok_or_else(|| forbidden(format!("no matching subnet for gateway {text}")))?,
    };
    if !config.ip_range.is_empty() {
        let range = parse_cidr(&config.ip_range)?;
        if !subnet.contains(range.base) || range.prefix_len < subnet.prefix_len {
            return Err(forbidden(format!(
                "no matching subnet for range {}",
                config.ip_range
            )));
        }
        record.ip_range = config.ip_range.clone();
    }
    record.subnet = config.subnet.clone();
    record.gateway = gateway.to_string();
    record.user_subnet = true;
    Ok(())
}

fn create(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let request: NetworkCreateRequest = call.read_json()?.unwrap_or_default();
    check_create_request(&request)?;
    let _changes = hold_changes();
    let existing = records::list(daemon.store())?;
    // From API 1.44 duplicate names are always refused; before, only when
    // the client asks (the CLI always does).
    let check_duplicate =
        call.version >= ApiVersion::new(1, 44) || request.check_duplicate == Some(true);
    let mut warning = String::new();
    if let Some(same) = existing.iter().find(|n| n.name == request.name) {
        if check_duplicate {
            return Err(ApiError::conflict(format!(
                "network with name {} already exists",
                request.name
            )));
        }
        warning = format!(
            "Network with name {} (id : {}) already exists",
            same.name, same.id
        );
    }
    let id = random_hex(32).map_err(|e| ApiError::internal(e.to_string()))?;
    let options = request.options.clone().unwrap_or_default();
    let bridge_name = match options.get(BRIDGE_NAME_OPTION) {
        Some(name) if name.is_empty() || name.len() > MAX_INTERFACE_NAME || name.contains('/') => {
            return Err(ApiError::invalid(format!("invalid bridge name: {name:?}")));
        }
        Some(name) => name.clone(),
        None => format!("br-{}", &id[..12]),
    };
    if existing.iter().any(|n| n.bridge_name == bridge_name) {
        return Err(forbidden(format!(
            "bridge name {bridge_name} is already in use by another network"
        )));
    }
    let mut record = NetworkRecord {
        id: id.clone(),
        name: request.name.clone(),
        driver: BRIDGE_DRIVER.into(),
        created: now_nanos(),
        internal: request.internal,
        attachable: request.attachable,
        labels: request.labels.clone().unwrap_or_default(),
        options,
        // What the request sent: the CLI sends `{}`, docker-py nothing,
        // and dockerd shows `{}` or null accordingly.
        ipam_options: request.ipam.as_ref().and_then(|ipam| ipam.options.clone()),
        bridge_name,
        bridge_mac: format!(
            "0242{}",
            random_hex(4).map_err(|e| ApiError::internal(e.to_string()))?
        ),
        ..NetworkRecord::default()
    };
    settle_ipam(&request, &existing, &mut record)?;
    daemon
        .networks()
        .create_bridge(&record)
        .map_err(|e| ApiError::internal(format!("create bridge {}: {e}", record.bridge_name)))?;
    if let Err(error) = records::put(daemon.store(), &record) {
        let _ = daemon.networks().remove_bridge(&record);
        return Err(error);
    }
    log_network_event(daemon, &record, "create");
    Reply::json(201, &NetworkCreateResponse { id, warning })
}

/// moby's list filters; `name` and `id` match as substrings.
fn passes(filters: &Filters, record: &NetworkRecord, in_use: bool, dangling: Option<bool>) -> bool {
    let contains = |key: &str, value: &str| {
        let wanted = filters.get(key);
        wanted.is_empty() || wanted.iter().any(|w| value.contains(w.as_str()))
    };
    let kind = if record.is_predefined() {
        "builtin"
    } else {
        "custom"
    };
    contains("name", &record.name)
        && contains("id", &record.id)
        && filters.matches_exact("driver", &record.driver)
        && filters.matches_exact("scope", "local")
        && filters.matches_exact("type", kind)
        && crate::daemon::volume_service::labels_pass(filters, &record.labels)
        && dangling.is_none_or(|d| d == (!record.is_predefined() && !in_use))
}

fn parse_bool_filter(filters: &Filters, key: &str) -> Result<Option<bool>, ApiError> {
    match filters.get(key) {
        [] => Ok(None),
        [value] => match value.as_str() {
            "1" | "true" | "True" | "TRUE" | "t" | "T" => Ok(Some(true)),
            "0" | "false" | "False" | "FALSE" | "f" | "F" => Ok(Some(false)),
            _ => Err(ApiError::invalid(format!("invalid filter '{key}={value}'"))),
        },
        _ => Err(ApiError::invalid(format!(
            "got more than one value for filter key \"{key}\""
        ))),
    }
}

fn list(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    // moby's network filters say "Invalid" where the others say "invalid".
    filters
        .validate(&["dangling", "driver", "id", "label", "name", "scope", "type"])
        .map_err(|error| ApiError::invalid(error.message.replacen("invalid", "Invalid", 1)))?;
    if let Some(kind) = filters
        .get("type")
        .iter()
        .find(|kind| !matches!(kind.as_str(), "custom" | "builtin"))
    {
        return Err(ApiError::invalid(format!(
            "invalid filter: 'type'='{kind}'"
        )));
    }
    let dangling = parse_bool_filter(&filters, "dangling")?;
    let endpoints = endpoints_by_network(daemon)?;
    let show_ipv4 = call.version >= ApiVersion::new(1, 48);
    let shown: Vec<_> = records::list(daemon.store())?
        .into_iter()
        .filter(|record| {
            passes(
                &filters,
                record,
                endpoints.contains_key(&record.id),
                dangling,
            )
        })
        .map(|record| record.view(BTreeMap::new(), show_ipv4))
        .collect();
    Reply::json(200, &shown)
}

fn inspect(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let what = call.param("id")?.to_string();
    call.query.strict_bool("verbose", false)?;
    let record = records::find(daemon.store(), &what)?;
    if let Some(scope) = call.query.get("scope")
        && !scope.is_empty()
        && scope != "local"
    {
        return Err(records::not_found(&what));
    }
    let mut endpoints = endpoints_by_network(daemon)?;
    let containers = endpoints.remove(&record.id).unwrap_or_default();
    let show_ipv4 = call.version >= ApiVersion::new(1, 48);
    Reply::json(200, &record.view(containers, show_ipv4))
}

/// Deletes a user network that no running container is on.
fn delete_network(daemon: &Daemon, record: &NetworkRecord) -> Result<(), ApiError> {
    daemon.networks().remove_bridge(record).map_err(|e| {
        ApiError::internal(format!(
            "error while removing network: delete bridge {}: {e}",
            record.bridge_name
        ))
    })?;
    records::delete(daemon.store(), &record.id)?;
    log_network_event(daemon, record, "destroy");
    Ok(())
}

fn remove(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let _changes = hold_changes();
    let record = records::find(daemon.store(), call.param("id")?)?;
    if record.is_predefined() {
        return Err(forbidden(format!(
            "{} is a pre-defined network and cannot be removed",
            record.name
        )));
    }
    if endpoints_by_network(daemon)?.contains_key(&record.id) {
        return Err(forbidden(format!(
            "error while removing network: network {} id {} has active endpoints",
            record.name, record.id
        )));
    }
    delete_network(daemon, &record)?;
    Ok(Reply::Response(crate::http::Response::empty(204)))
}

/// The filters moby's network prune accepts, checked as it checks them.
pub fn validate_prune_filters(filters: &Filters) -> Result<(), ApiError> {
    filters.validate(&["label", "label!", "until"])?;
    prune_until(filters).map(drop)
}

fn prune_until(filters: &Filters) -> Result<Option<i64>, ApiError> {
    match filters.get("until") {
        [] => Ok(None),
        [value] => timestamp_nanos(value, now_nanos()).map(Some).map_err(|_| {
            ApiError::invalid(format!(
                "failed to parse value as time or duration: \"{value}\""
            ))
        }),
        _ => Err(ApiError::invalid("more than one until filter specified")),
    }
}

fn prune(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    validate_prune_filters(&filters)?;
    let until = prune_until(&filters)?;
    let _changes = hold_changes();
    let endpoints = endpoints_by_network(daemon)?;
    let mut deleted = Vec::new();
    for record in records::list(daemon.store())? {
        let unused = !record.is_predefined() && !endpoints.contains_key(&record.id);
        let old_enough = until.is_none_or(|until| record.created < until);
        if unused
            && old_enough
            && crate::daemon::volume_service::labels_pass(&filters, &record.labels)
            && delete_network(daemon, &record).is_ok()
        {
            deleted.push(record.name);
        }
    }
    daemon.log_prune_event(crate::api::events::NETWORK, 0);
    Reply::json(
        200,
        &NetworkPruneReport {
            networks_deleted: (!deleted.is_empty()).then_some(deleted),
        },
    )
}
