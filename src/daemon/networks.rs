//! `POST /networks/prune`. dockbox has no user-defined networks yet (only
//! `none` and `host`, which are never pruned), so the truthful report is
//! that nothing was deleted. The networking issue replaces this with real
//! pruning of unused networks; the filter checks stay as they are.

use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::{ApiError, Filters, Router};
use crate::gofmt::time::now_nanos;
use crate::gofmt::timestamp::timestamp_nanos;
use serde::Serialize;

pub fn routes(router: &mut Router<Route>) {
    router.add("POST", "/networks/prune", prune);
}

/// moby's `network.PruneReport`: `null` when nothing was deleted.
#[derive(Serialize)]
struct NetworkPruneReport {
    #[serde(rename = "NetworksDeleted")]
    networks_deleted: Option<Vec<String>>,
}

/// The filters moby's network prune accepts, checked as it checks them.
pub fn validate_prune_filters(filters: &Filters) -> Result<(), ApiError> {
    filters.validate(&["label", "label!", "until"])?;
    match filters.get("until") {
        [] => Ok(()),
        [value] => timestamp_nanos(value, now_nanos())
            .ok()
            .map(drop)
            .ok_or_else(|| {
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
    daemon.log_prune_event(crate::api::events::NETWORK, 0);
    Reply::json(
        200,
        &NetworkPruneReport {
            networks_deleted: None,
        },
    )
}
