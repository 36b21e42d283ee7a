//! The volume routes: create, list, inspect, remove and prune, on the
//! `local` driver's volumes kept by the volume service.

use super::route::{Call, Reply, Route};
use super::state::Daemon;
use super::volume_service::{self as service, LOCAL_DRIVER, VolumeRecord};
use crate::api::prune::VolumesPruneReport;
use crate::api::volume::{VolumeCreateOptions, VolumeListResponse};
use crate::api::{ApiError, ApiVersion, Filters, Router};

pub fn routes(router: &mut Router<Route>) {
    router
        .add("POST", "/volumes/create", create)
        .add("GET", "/volumes", list)
        .add("GET", "/volumes/{name}", inspect)
        .add("DELETE", "/volumes/{name}", remove)
        .add("POST", "/volumes/prune", prune);
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

fn create(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let options: VolumeCreateOptions = call.read_json()?.unwrap_or_default();
    if !options.driver.is_empty() && options.driver != LOCAL_DRIVER {
        return Err(ApiError::not_found(format!(
            "error looking up volume plugin {}: plugin \"{}\" not found",
            options.driver, options.driver
        )));
    }
    let data_root = &daemon.config().data_root;
    // An unnamed volume is anonymous, as moby makes it.
    let wanted = if options.name.is_empty() {
        let mut anonymous = VolumeRecord::anonymous()?;
        let labels = anonymous.labels.get_or_insert_default();
        labels.extend(options.labels.into_iter().flatten());
        anonymous.options = options.driver_opts;
        anonymous
    } else {
        VolumeRecord {
            name: options.name,
            labels: options.labels,
            options: options.driver_opts,
            ..VolumeRecord::default()
        }
    };
    let existed = service::get_volume(daemon.store(), &wanted.name)?.is_some();
    let record = service::create_volume(daemon.store(), data_root, wanted)?;
    if !existed {
        service::log_volume_event(daemon, &record.name, "create");
    }
    Reply::json(201, &service::view(data_root, &record))
}

/// moby's list filters: `dangling`, `driver`, `label`, `label!`, `name`
/// (a substring of the name).
fn list(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    filters.validate(&["dangling", "driver", "label", "label!", "name"])?;
    let dangling = match filters.get("dangling") {
        [] => None,
        [value] => Some(
            parse_go_bool(value)
                .ok_or_else(|| ApiError::invalid(format!("invalid filter 'dangling={value}'")))?,
        ),
        _ => None,
    };
    let in_use = service::volumes_in_use(daemon.store())?;
    let data_root = &daemon.config().data_root;
    let names = filters.get("name");
    let volumes = service::list_volumes(daemon.store())?
        .into_iter()
        .filter(|v| names.is_empty() || names.iter().any(|n| v.name.contains(n.as_str())))
        .filter(|_| filters.matches_exact("driver", LOCAL_DRIVER))
        .filter(|v| {
            service::labels_pass(&filters, v.labels.as_ref().unwrap_or(&Default::default()))
        })
        .filter(|v| dangling.is_none_or(|d| d != in_use.contains(&v.name)))
        .map(|v| service::view(data_root, &v))
        .collect();
    Reply::json(
        200,
        &VolumeListResponse {
            volumes: Some(volumes),
            warnings: None,
        },
    )
}

fn inspect(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = service::find_volume(daemon.store(), call.param("name")?)?;
    Reply::json(200, &service::view(&daemon.config().data_root, &record))
}

fn remove(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let force = call.query.strict_bool("force", false)?;
    let name = call.param("name")?.to_string();
    if service::remove_volume(daemon.store(), &daemon.config().data_root, &name, force)? {
        service::log_volume_event(daemon, &name, "destroy");
    }
    Ok(Reply::Response(crate::http::Response::empty(204)))
}

/// Unused volumes go; from API 1.42 only anonymous ones unless
/// `all=true`, as moby.
fn prune(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    validate_prune_filters(&filters)?;
    let all = match filters.get("all") {
        [value] => parse_go_bool(value).unwrap_or(false),
        _ => false,
    };
    let only_anonymous = call.version >= ApiVersion::new(1, 42) && !all;
    let in_use = service::volumes_in_use(daemon.store())?;
    let data_root = &daemon.config().data_root;
    let mut deleted = Vec::new();
    let mut reclaimed = 0;
    for volume in service::list_volumes(daemon.store())? {
        let labels = volume.labels.clone().unwrap_or_default();
        if in_use.contains(&volume.name)
            || (only_anonymous && !volume.is_anonymous())
            || !service::labels_pass(&filters, &labels)
        {
            continue;
        }
        let size = service::disk_usage(&service::mountpoint(data_root, &volume.name));
        // Not removed: taken into use since the list, so not unused any more.
        if let Ok(true) = service::remove_volume(daemon.store(), data_root, &volume.name, true) {
            service::log_volume_event(daemon, &volume.name, "destroy");
            deleted.push(volume.name);
            reclaimed += size;
        }
    }
    daemon.log_prune_event(crate::api::events::VOLUME, reclaimed);
    // moby 28 starts the list empty, not nil: `[]` when nothing went.
    let report = VolumesPruneReport {
        volumes_deleted: Some(deleted),
        space_reclaimed: reclaimed,
    };
    Reply::json(200, &report)
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
