//! `POST /networks/{id}/connect` and `/disconnect`: a container's
//! configured networks change, and a running container's interfaces with
//! them (an `ethN` wired or removed live), as moby does.

use super::network_records::{self as records, NetworkRecord};
use super::network_service::Join;
use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::network::{NetworkConnectRequest, NetworkDisconnectRequest};
use crate::api::{ApiError, ErrorKind, Router};
use crate::daemon::containers::networking::{self, mode_network};
use crate::daemon::containers::record::ContainerRecord;
use std::collections::BTreeMap;

pub fn routes(router: &mut Router<Route>) {
    router.add("POST", "/networks/{id}/connect", connect).add(
        "POST",
        "/networks/{id}/disconnect",
        disconnect,
    );
}

fn log_event(daemon: &Daemon, network: &NetworkRecord, container: &str, action: &str) {
    let actor = crate::api::events::Actor {
        id: network.id.clone(),
        attributes: BTreeMap::from([
            ("container".to_string(), container.to_string()),
            ("name".to_string(), network.name.clone()),
            ("type".to_string(), network.driver.clone()),
        ]),
    };
    daemon
        .events()
        .publish(crate::api::events::NETWORK, action, actor);
}

const HOST_CONFLICT: &str =
    "container cannot be disconnected from host network or connected to host network";

/// The modes that cannot be combined with other networks, as moby
/// refuses them.
fn check_combinable(record: &ContainerRecord, network: &NetworkRecord) -> Result<(), ApiError> {
    let mode = mode_network(&record.host_config.network_mode);
    if mode.starts_with("container:") {
        return Err(ApiError::invalid(
            "container sharing network namespace with another container or host cannot be connected to any other network",
        ));
    }
    if mode == "host" || network.name == "host" {
        return Err(ApiError::invalid(HOST_CONFLICT));
    }
    if mode == "none" || network.name == "none" {
        return Err(ApiError::invalid(
            "container cannot be connected to multiple networks with one of the networks in private (none) mode",
        ));
    }
    Ok(())
}

fn connect(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let request: NetworkConnectRequest = call.read_json()?.unwrap_or_default();
    let network = records::find(daemon.store(), call.param("id")?)?;
    let found = daemon.find_container(&request.container)?;
    let _guard = daemon.hold_operation(&found.id);
    let record = daemon.find_container(&found.id)?;
    if networking::configured(&record).contains_key(&network.name) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            format!(
                "endpoint with name {} already exists in network {}",
                record.name, network.name
            ),
        ));
    }
    check_combinable(&record, &network)?;
    let settings = networking::connect_settings(&network, request.endpoint_config);
    let static_address = networking::check_endpoint(&network, &settings)?;
    let live = match &record.sandbox {
        Some(sandbox) if record.is_running() => {
            let join = Join {
                network: network.clone(),
                static_address,
            };
            let endpoint = daemon.networks().connect(sandbox, &join).map_err(|e| {
                ApiError::internal(format!(
                    "failed to connect {} to network {}: {e}",
                    record.name, network.name
                ))
            })?;
            Some(endpoint)
        }
        _ => None,
    };
    let updated = daemon.update_container(&record.id, |rec| {
        let mut endpoints = networking::configured(rec);
        endpoints.insert(network.name.clone(), settings.clone());
        rec.networking_config
            .get_or_insert_default()
            .endpoints_config = Some(endpoints);
        if let (Some(sandbox), Some(endpoint)) = (rec.sandbox.as_mut(), &live) {
            sandbox.endpoints.push(endpoint.clone());
            rec.network_ids
                .insert(network.name.clone(), network.id.clone());
        }
        Ok(())
    });
    if let Err(error) = updated {
        if let Some(endpoint) = &live {
            let _ = daemon.networks().disconnect(endpoint);
        }
        return Err(error);
    }
    log_event(daemon, &network, &record.id, "connect");
    Ok(Reply::Response(crate::http::Response::empty(200)))
}

fn disconnect(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let request: NetworkDisconnectRequest = call.read_json()?.unwrap_or_default();
    let network = records::find(daemon.store(), call.param("id")?)?;
    let found = daemon.find_container(&request.container)?;
    let _guard = daemon.hold_operation(&found.id);
    let record = daemon.find_container(&found.id)?;
    let running = record.is_running();
    if !networking::configured(&record).contains_key(&network.name) {
        return Err(ApiError::internal(if running {
            format!(
                "container {} is not connected to network {}",
                record.id, network.name
            )
        } else {
            format!(
                "container {} is not connected to the network {}",
                record.id, network.name
            )
        }));
    }
    if network.name == "host" {
        return Err(ApiError::invalid(HOST_CONFLICT));
    }
    let live = record
        .sandbox
        .iter()
        .flat_map(|sandbox| &sandbox.endpoints)
        .find(|endpoint| endpoint.network_id == network.id)
        .cloned();
    if let Some(endpoint) = &live
        && let Err(e) = daemon.networks().disconnect(endpoint)
        && !request.force
    {
        return Err(ApiError::internal(format!(
            "container {} failed to leave network {}: {e}",
            record.id, network.name
        )));
    }
    daemon.update_container(&record.id, |rec| {
        let mut endpoints = networking::configured(rec);
        endpoints.remove(&network.name);
        rec.networking_config
            .get_or_insert_default()
            .endpoints_config = Some(endpoints);
        if let Some(sandbox) = rec.sandbox.as_mut() {
            sandbox
                .endpoints
                .retain(|endpoint| endpoint.network_id != network.id);
        }
        Ok(())
    })?;
    log_event(daemon, &network, &record.id, "disconnect");
    Ok(Reply::Response(crate::http::Response::empty(200)))
}
