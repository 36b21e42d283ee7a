//! `POST /volumes/prune`. dockbox has no volumes yet (binds and tmpfs
//! only), so the truthful report is that nothing was deleted. The volumes
//! issue replaces this with real pruning of unused volumes; the filter
//! checks stay as they are.

use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::{ApiError, Filters, Router};
use serde::Serialize;

pub fn routes(router: &mut Router<Route>) {
    router.add("POST", "/volumes/prune", prune);
}

/// moby's `volume.PruneReport`; moby 28 starts the list empty, not nil,
/// so it is `[]` even when nothing was deleted.
#[derive(Serialize)]
struct VolumePruneReport {
    #[serde(rename = "VolumesDeleted")]
    volumes_deleted: Vec<String>,
    #[serde(rename = "SpaceReclaimed")]
    space_reclaimed: u64,
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The filters moby's volume prune accepts, checked in its order: `all`
/// first, then the keys.
pub fn validate_prune_filters(filters: &Filters) -> Result<(), ApiError> {
    match filters.get("all") {
        [] => {}
        [value] => {
            if parse_go_bool(value).is_none() {
                return Err(ApiError::invalid(format!(
                    "invalid filter 'all': strconv.ParseBool: parsing \"{value}\": invalid syntax"
                )));
            }
        }
        values => {
            return Err(ApiError::invalid(format!(
                "invalid filter 'all=[{}]': only one value is expected",
                values.join(" ")
            )));
        }
    }
    filters.validate(&["label", "label!", "all"])
}

fn prune(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    validate_prune_filters(&filters)?;
    daemon.log_prune_event(crate::api::events::VOLUME, 0);
    Reply::json(
        200,
        &VolumePruneReport {
            volumes_deleted: Vec::new(),
            space_reclaimed: 0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> Result<(), String> {
        validate_prune_filters(&Filters::parse(json).unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn volume_prune_filters_as_moby_checks_them() {
        assert!(check(r#"{"label":["a=b"],"all":["true"]}"#).is_ok());
        assert!(check(r#"{"label!":["a"]}"#).is_ok());
        assert_eq!(
            check(r#"{"until":["1h"]}"#).unwrap_err(),
            "invalid filter 'until'"
        );
        assert_eq!(
            check(r#"{"all":["yes"]}"#).unwrap_err(),
            "invalid filter 'all': strconv.ParseBool: parsing \"yes\": invalid syntax"
        );
        assert_eq!(
            check(r#"{"all":["0","1"]}"#).unwrap_err(),
            "invalid filter 'all=[0 1]': only one value is expected"
        );
    }
}
