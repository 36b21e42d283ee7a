//! Removing containers: delete, rename and prune.

use super::files;
use super::list::labels_match;
use super::names::check_name;
use super::record::ContainerRecord;
use super::timefmt::parse_timestamp;
use crate::api::container::PruneReport;
use crate::api::{ApiError, Filters};
use crate::daemon::Daemon;
use crate::daemon::system::store_error;
use crate::store::{Store, StoreError};

/// `DELETE /containers/{id}`. A container with a process is refused
/// without `force`; with it, the process is killed first.
pub fn remove_container(
    daemon: &Daemon,
    record: ContainerRecord,
    force: bool,
) -> Result<(), ApiError> {
    let state = record.status().as_str();
    let mut record = record;
    if record.is_running() || record.status() == super::record::Status::Restarting {
        if !force {
            return Err(ApiError::conflict(format!(
                "cannot remove container \"/{}\": container is {state}: stop the container before removing or force remove",
                record.name
            )));
        }
        daemon.update_container(&record.id, |rec| {
            rec.mark_manually_stopped();
            Ok(())
        })?;
        if record.is_running() {
            let seen = daemon.shims.exits(&record.id);
            let signalled =
                super::lifecycle::signal_living(daemon, &record.id, seen, libc::SIGKILL)?;
            if signalled {
                daemon.log_container_event(
                    &record,
                    "kill",
                    &[("signal", libc::SIGKILL.to_string())],
                );
            }
            super::manage::thaw_after_signal(daemon, &record.id);
            if signalled
                && !daemon.shims.wait_exit(
                    &record.id,
                    seen,
                    Some(std::time::Duration::from_secs(30)),
                )
            {
                return Err(ApiError::internal(format!(
                    "could not kill container {}: it outlived SIGKILL",
                    record.id
                )));
            }
        }
        record = daemon.find_container(&record.id)?;
    }
    if record.status() == super::record::Status::Removing {
        return Err(ApiError::conflict(format!(
            "removal of container {} is already in progress",
            record.id
        )));
    }
    delete_record_and_files(daemon, &record)
}

fn delete_record_and_files(daemon: &Daemon, record: &ContainerRecord) -> Result<(), ApiError> {
    let data_root = &daemon.config.data_root;
    if let Err(error) = super::shims::remove_runtime_files(daemon, record) {
        return Err(ApiError::internal(format!(
            "unable to remove the root filesystem of {}: {error}",
            record.id
        )));
    }
    // The record goes last, so a failure leaves it listed as dead
    // instead of files without a record.
    if let Err(error) = files::remove_container_files(data_root, &record.id) {
        let mut dead = record.clone();
        dead.mark_dead(&error.to_string());
        let _ = daemon.save_container(&dead);
        return Err(ApiError::internal(format!(
            "unable to remove filesystem for {}: {error}",
            record.id
        )));
    }
    daemon
        .store
        .delete_container(&record.id, &record.name)
        .map_err(store_error)?;
    crate::daemon::log::info(&format!("container {} removed", record.id));
    daemon.log_container_event(record, "destroy", &[]);
    daemon.shims.notify();
    Ok(())
}

/// `DELETE /containers/{name}?link=1` removes a legacy link, never the
/// container. A plain name is the container's own, which moby refuses to
/// unlink; dockbox has no legacy links to remove.
pub fn remove_link(name: &str) -> ApiError {
    let full = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    };
    let parent = full.rsplit_once('/').map_or("", |(parent, _)| parent);
    if parent.is_empty() {
        ApiError::conflict("Conflict, cannot remove the default link name of the container")
    } else {
        ApiError::not_found(format!("Could not find entity for {full}"))
    }
}

/// `POST /containers/{id}/rename?name=`.
pub fn rename_container(
    store: &Store,
    mut record: ContainerRecord,
    new_name: &str,
) -> Result<(), ApiError> {
    if new_name.is_empty() {
        return Err(ApiError::invalid("Neither old nor new names may be empty"));
    }
    let new_name = check_name(new_name)?;
    let old_name = record.name.clone();
    if new_name == old_name {
        return Err(ApiError::invalid(
            "Renaming a container with the same name as its current name",
        ));
    }
    record.name = new_name.clone();
    match store.rename_container(&record.id, &old_name, &new_name, &record) {
        Err(StoreError::NameInUse { name, id }) => Err(super::create::name_conflict(&name, &id)),
        other => other.map_err(store_error),
    }
}

/// `POST /containers/prune`: every stopped container passing `until` and
/// `label`/`label!`, and the bytes their writable layers held.
pub fn prune(daemon: &Daemon, filters: &Filters, now: i64) -> Result<PruneReport, ApiError> {
    filters.validate(&["until", "label", "label!"])?;
    let mut until = None;
    for value in filters.get("until") {
        let at = parse_timestamp(value, now).ok_or_else(|| {
            ApiError::invalid(format!(
                "failed to parse value as time or duration: \"{value}\""
            ))
        })?;
        until = Some(until.map_or(at, |u: i64| u.min(at)));
    }
    let negated = Filters::parse(&serde_json::json!({"label": filters.get("label!")}).to_string())?;
    let records: Vec<(String, ContainerRecord)> =
        daemon.store.list_containers().map_err(store_error)?;
    let mut deleted = Vec::new();
    let mut space_reclaimed = 0;
    for (_, record) in records {
        if !matches!(
            record.status(),
            super::record::Status::Created
                | super::record::Status::Exited
                | super::record::Status::Dead
        ) {
            continue;
        }
        if until.is_some_and(|until| record.created >= until) {
            continue;
        }
        let labels = record.config.labels.clone().unwrap_or_default();
        if !labels_match(filters, &labels) {
            continue;
        }
        if !filters.get("label!").is_empty()
            && negated.get("label").iter().any(|wanted| {
                let one = Filters::parse(&serde_json::json!({"label": [wanted]}).to_string());
                one.is_ok_and(|one| labels_match(&one, &labels))
            })
        {
            continue;
        }
        // As moby counts it: the writable layer (what `ps -s` shows as
        // SizeRw), measured before it goes; none before a first start.
        let layer_size = daemon.images.rootfs_changes_size(&record.id).unwrap_or(0);
        delete_record_and_files(daemon, &record)?;
        space_reclaimed += layer_size;
        deleted.push(record.id);
    }
    Ok(PruneReport {
        containers_deleted: if deleted.is_empty() {
            None
        } else {
            Some(deleted)
        },
        space_reclaimed,
    })
}
