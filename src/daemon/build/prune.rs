//! `POST /build/prune`. dockbox has no builder yet, so there is no build
//! cache and the truthful report is that nothing was deleted. The build
//! issue replaces this with real pruning of its cache; the filter and
//! parameter checks stay as they are.

use crate::api::{ApiError, Filters};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::gofmt::time::now_nanos;
use crate::gofmt::timestamp::timestamp_nanos;
use serde::Serialize;

/// moby's `build.CachePruneReport`: `null` when nothing was deleted.
#[derive(Serialize)]
struct CachePruneReport {
    #[serde(rename = "CachesDeleted")]
    caches_deleted: Option<Vec<String>>,
    #[serde(rename = "SpaceReclaimed")]
    space_reclaimed: u64,
}

/// BuildKit's cache record fields moby passes on as filters; `mutable`
/// and `immutable` exist there but moby refuses them.
const CACHE_FIELDS: &[&str] = &[
    "id",
    "parent",
    "type",
    "description",
    "inuse",
    "shared",
    "private",
];

/// The filters moby's build cache prune accepts, with its messages (each
/// behind moby's "failed to prune build cache: ").
fn check_filters(filters: &Filters) -> Result<(), String> {
    let mut accepted = vec!["unused-for", "until", "label", "label!"];
    accepted.extend_from_slice(CACHE_FIELDS);
    filters.validate(&accepted).map_err(|e| e.message)?;
    let until = filters.get("until");
    let unused_for = filters.get("unused-for");
    if !until.is_empty() && !unused_for.is_empty() {
        return Err("conflicting filters: \"until\" and \"unused-for\"".into());
    }
    let (key, values) = if unused_for.is_empty() {
        ("until", until)
    } else {
        ("unused-for", unused_for)
    };
    match values {
        [] => {}
        [value] => {
            if timestamp_nanos(value, now_nanos()).is_err() {
                return Err(format!(
                    "\"{key}\" filter expects a duration (e.g., '24h') or a timestamp: failed to parse value as time or duration: \"{value}\""
                ));
            }
        }
        _ => return Err("filters expect only one value".into()),
    }
    if CACHE_FIELDS
        .iter()
        .any(|field| filters.get(field).len() > 1)
    {
        return Err("filters expect only one value".into());
    }
    Ok(())
}

/// The byte counts moby reads (1.48 and up; `keep-storage` before).
fn check_sizes(call: &Call<'_, '_>) -> Result<(), ApiError> {
    let names: &[&str] = if call.version >= crate::api::ApiVersion::new(1, 48) {
        &[
            "reserved-space",
            "keep-storage",
            "max-used-space",
            "min-free-space",
        ]
    } else {
        &["keep-storage"]
    };
    for name in names {
        if let Some(value) = call.query.get(name).filter(|v| !v.is_empty())
            && value.parse::<i64>().is_err()
        {
            return Err(ApiError::invalid(format!(
                "{name} is in bytes and expects an integer, got {value}: strconv.Atoi: parsing \"{value}\": invalid syntax"
            )));
        }
    }
    Ok(())
}

pub fn prune(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    check_sizes(call)?;
    check_filters(&filters)
        .map_err(|message| ApiError::invalid(format!("failed to prune build cache: {message}")))?;
    daemon.log_prune_event(crate::api::events::BUILDER, 0);
    Reply::json(
        200,
        &CachePruneReport {
            caches_deleted: None,
            space_reclaimed: 0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str) -> Result<(), String> {
        check_filters(&Filters::parse(json).unwrap())
    }

    #[test]
    fn build_prune_filters_as_moby_checks_them() {
        assert!(check(r#"{"until":["24h"],"label":["a"],"inuse":{}}"#).is_ok());
        assert_eq!(
            check(r#"{"mutable":["1"]}"#).unwrap_err(),
            "invalid filter 'mutable'"
        );
        assert_eq!(
            check(r#"{"until":["1h"],"unused-for":["2h"]}"#).unwrap_err(),
            "conflicting filters: \"until\" and \"unused-for\""
        );
        assert_eq!(
            check(r#"{"id":["a","b"]}"#).unwrap_err(),
            "filters expect only one value"
        );
        assert!(
            check(r#"{"unused-for":["soon"]}"#)
                .unwrap_err()
                .starts_with("\"unused-for\" filter expects a duration")
        );
    }
}
