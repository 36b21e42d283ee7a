//! Removing containers: delete, rename and prune.

use super::change::change_container;
use super::files;
use super::list::labels_match;
use super::names::check_name;
use super::record::{ContainerRecord, Status};
use crate::api::container::PruneReport;
use crate::api::{ApiError, Filters};
use crate::daemon::errors::store_error;
use crate::daemon::state::Daemon;
use crate::gofmt::timestamp::timestamp_nanos;
use crate::store::{Commit, Store};

/// `DELETE /containers/{id}`. A container with a process is refused
/// without `force`; with it, the process is killed first. The decision is
/// taken again on the stored record when the removal is claimed, so a
/// start or another removal that came meanwhile is not overrun.
///
/// With `remove_volumes` (`rm -v`, `run --rm`)
/// the anonymous volumes it mounted once its record is gone; named
/// volumes stay.
pub fn remove_container(
    daemon: &Daemon,
    id: &str,
    force: bool,
    remove_volumes: bool,
) -> Result<(), ApiError> {
    let mut attempts = 0;
    let record = loop {
        let record = daemon.find_container(id)?;
        if has_process(&record) {
            if !force {
                return Err(refuse_running(&record));
            }
            kill_for_removal(daemon, &record)?;
        }
        match claim_removal(daemon, &record.id, force) {
            // A restart slipped in between the kill and the claim.
            Err(error) if force && attempts < 3 && error.status() == 409 => attempts += 1,
            claimed => break claimed?,
        }
    };
    delete_record_and_files(daemon, &record)?;
    if remove_volumes {
        remove_anonymous_volumes(daemon, &record);
    }
    Ok(())
}

/// Best effort, as moby: a volume another container took meanwhile stays.
fn remove_anonymous_volumes(daemon: &Daemon, record: &ContainerRecord) {
    use crate::daemon::volume_service as volumes;
    let data_root = &daemon.config().data_root;
    for volume in record.volume_mounts.iter().filter(|m| m.anonymous) {
        match volumes::remove_volume(daemon.store(), data_root, &volume.name, true) {
            Ok(true) => volumes::log_volume_event(daemon, &volume.name, "destroy"),
            Ok(false) => {}
            Err(error) => crate::daemon::log::info(&format!(
                "container {}: keeping volume {}: {}",
                record.id, volume.name, error.message
            )),
        }
    }
}

fn has_process(record: &ContainerRecord) -> bool {
    record.is_running() || record.status() == Status::Restarting
}

fn refuse_running(record: &ContainerRecord) -> ApiError {
    ApiError::conflict(format!(
        "cannot remove container \"/{}\": container is {}: stop the container before removing or force remove",
        record.name,
        record.status().as_str()
    ))
}

/// Marks the stored record as being removed, unless it has a process (or,
/// without `force`, waits for a restart) or another removal holds it; a
/// start refuses it from then on.
fn claim_removal(daemon: &Daemon, id: &str, force: bool) -> Result<ContainerRecord, ApiError> {
    // A start under way is recorded first, and then refuses the removal.
    let _operation = daemon.hold_operation(id);
    daemon.update_container(id, |record| {
        if record.status() == Status::Removing {
            return Err(ApiError::conflict(format!(
                "removal of container {} is already in progress",
                record.id
            )));
        }
        if record.is_running() || (!force && has_process(record)) {
            return Err(refuse_running(record));
        }
        record.mark_removing();
        Ok(record.clone())
    })
}

/// `rm -f` of a container with a process: no restart, SIGKILL, and the
/// exit recorded before the removal goes on.
fn kill_for_removal(daemon: &Daemon, record: &ContainerRecord) -> Result<(), ApiError> {
    daemon.update_container(&record.id, |rec| {
        rec.mark_manually_stopped();
        Ok(())
    })?;
    if !record.is_running() {
        return Ok(());
    }
    let seen = daemon.shims().exits(&record.id);
    let signalled = super::shim_requests::signal_living(daemon, &record.id, seen, libc::SIGKILL)?;
    if signalled {
        daemon.log_container_event(record, "kill", &[("signal", libc::SIGKILL.to_string())]);
    }
    super::shim_requests::thaw_after_signal(daemon, &record.id);
    if signalled
        && !daemon
            .shims()
            .wait_exit(&record.id, seen, Some(std::time::Duration::from_secs(30)))
    {
        return Err(ApiError::internal(format!(
            "could not kill container {}: it outlived SIGKILL",
            record.id
        )));
    }
    Ok(())
}

fn delete_record_and_files(daemon: &Daemon, record: &ContainerRecord) -> Result<(), ApiError> {
    let data_root = &daemon.config().data_root;
    if let Err(error) = remove_runtime_files(daemon, record) {
        let _ = daemon.update_container(&record.id, |record| {
            record.mark_dead(&error);
            Ok(())
        });
        return Err(ApiError::internal(format!(
            "unable to remove the root filesystem of {}: {error}",
            record.id
        )));
    }
    // The record goes last, so a failure leaves it listed as dead
    // instead of files without a record.
    if let Err(error) = files::remove_container_files(data_root, &record.id) {
        let _ = daemon.update_container(&record.id, |record| {
            record.mark_dead(&error.to_string());
            Ok(())
        });
        return Err(ApiError::internal(format!(
            "unable to remove filesystem for {}: {error}",
            record.id
        )));
    }
    daemon
        .store()
        .delete_container(&record.id)
        .map_err(store_error)?;
    crate::daemon::log::info(&format!("container {} removed", record.id));
    daemon.log_container_event(record, "destroy", &[]);
    daemon.shims().notify();
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

/// `POST /containers/{id}/rename?name=`: the old name and the renamed
/// record. The name is checked against the current record and moved in
/// the index in the same transaction that stores it.
pub fn rename_container(
    store: &Store,
    id: &str,
    new_name: &str,
) -> Result<(String, ContainerRecord), ApiError> {
    if new_name.is_empty() {
        return Err(ApiError::invalid("Neither old nor new names may be empty"));
    }
    let new_name = check_name(new_name)?;
    change_container(store, Commit::Durable, id, |tx, record| {
        let old_name = record.name.clone();
        if new_name == old_name {
            return Err(ApiError::invalid(
                "Renaming a container with the same name as its current name",
            )
            .into());
        }
        tx.move_name(&old_name, &new_name, id)?;
        record.name = new_name.clone();
        Ok((old_name, record.clone()))
    })
}

/// `POST /containers/prune`: every stopped container passing `until` and
/// `label`/`label!`, and the bytes their writable layers held.
pub fn prune(daemon: &Daemon, filters: &Filters, now: i64) -> Result<PruneReport, ApiError> {
    filters.validate(&["until", "label", "label!"])?;
    let mut until = None;
    for value in filters.get("until") {
        let at = timestamp_nanos(value, now).ok().ok_or_else(|| {
            ApiError::invalid(format!(
                "failed to parse value as time or duration: \"{value}\""
            ))
        })?;
        until = Some(until.map_or(at, |u: i64| u.min(at)));
    }
    let negated = Filters::parse(&serde_json::json!({"label": filters.get("label!")}).to_string())?;
    let records: Vec<(String, ContainerRecord)> =
        daemon.store().list_containers().map_err(store_error)?;
    let mut deleted = Vec::new();
    let mut space_reclaimed = 0;
    for (_, record) in records {
        if !matches!(
            record.status(),
            Status::Created | Status::Exited | Status::Dead
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
        // Started or claimed by a removal since the listing: not ours.
        let Ok(record) = claim_removal(daemon, &record.id, false) else {
            continue;
        };
        // As moby counts it: the writable layer (what `ps -s` shows as
        // SizeRw), measured before it goes; none before a first start.
        let layer_size = daemon.images().rootfs_changes_size(&record.id).unwrap_or(0);
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

/// Unmounts and deletes the container's root filesystem and its exec-root
/// directory (at removal).
fn remove_runtime_files(daemon: &Daemon, record: &ContainerRecord) -> Result<(), String> {
    drop(daemon.shims().take_pending(&record.id));
    let _ = std::fs::remove_dir_all(files::bundle_dir(daemon, &record.id));
    super::exec_store::StoredExec::remove_all(daemon, &record.id);
    // The shim deletes the launcher's state (and so the cgroups) when the
    // container exits; a shim that was killed itself leaves them behind.
    super::dead_shim::delete_runtime_state(daemon, &record.id);
    let _changes = daemon.images().lock();
    daemon
        .images()
        .remove_rootfs(&record.id)
        .map_err(|e| e.to_string())
}
