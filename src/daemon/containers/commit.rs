//! `POST /commit`: an image of a container's changes, as moby 20.10 makes
//! it. The new image's config is the container's (or the body's, merged
//! over the container's) with the `changes` Dockerfile instructions
//! applied; its history entry says the container's Cmd, the comment and
//! the author; a running container is paused meanwhile unless `pause` is
//! false.

use super::record::{ContainerRecord, Status};
use super::shim_requests;
use crate::api::ApiError;
use crate::api::container::ContainerConfig;
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::{StoredImage, repo_tag_reference};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::image::config::{ContainerConfig as ImageDefaults, Empty};
use crate::image::{ChildConfig, Digest, ImageRecord, Reference};
use crate::store::Table;

/// The instructions moby 20.10's commit accepts (`validCommitCommands`).
const COMMIT_INSTRUCTIONS: &[&str] = &[
    "cmd",
    "entrypoint",
    "healthcheck",
    "env",
    "expose",
    "label",
    "onbuild",
    "user",
    "volume",
    "workdir",
];

/// moby's BoolValue, true when absent (API 1.13 and up).
fn pause_wanted(value: Option<&str>) -> bool {
    match value {
        None | Some("") => true,
        Some(value) => !matches!(
            value.trim().to_lowercase().as_str(),
            "" | "0" | "no" | "false" | "none"
        ),
    }
}

pub fn commit_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let body: Option<ContainerConfig> = call.read_json()?;
    let tag = match call.query.get("repo").unwrap_or("") {
        "" => None,
        repo => repo_tag_reference(repo, call.query.get("tag").unwrap_or(""))?,
    };
    let changes: Vec<String> = call
        .query
        .all("changes")
        .into_iter()
        .map(String::from)
        .collect();
    let author = call.query.get("author").unwrap_or("").to_string();
    let comment = call.query.get("comment").unwrap_or("").to_string();
    let record = daemon.find_container(call.query.get("container").unwrap_or(""))?;
    let _operation = daemon.hold_operation(&record.id);
    let record = daemon.find_container(&record.id)?;
    match record.state.status {
        Status::Dead => {
            return Err(ApiError::conflict(format!(
                "You cannot commit container {} which is Dead",
                record.id
            )));
        }
        Status::Removing => {
            return Err(ApiError::conflict(format!(
                "You cannot commit container {} which is being removed",
                record.id
            )));
        }
        _ => {}
    }
    let config = commit_config(
        body.unwrap_or_else(|| record.config.clone()),
        &record.config,
        &changes,
    )?;
    let child = ChildConfig {
        container_id: record.id.clone(),
        author,
        comment: comment.clone(),
        config: to_value(&config)?,
        container_config: to_value(&record.config)?,
        created_by: record.config.cmd.clone().unwrap_or_default().join(" "),
        docker_version: crate::version::DOCKER_COMPAT_VERSION.to_string(),
    };
    let paused = pause_wanted(call.query.get("pause"))
        && record.state.status == Status::Running
        && pause(daemon, &record);
    let committed = commit_image(daemon, &record, &child, tag.as_ref());
    // moby logs the commit before its deferred unpause.
    if let Ok(image) = &committed {
        log_commit(
            daemon,
            &record,
            &image.id.to_string(),
            tag.as_ref(),
            comment,
        );
    }
    if paused {
        unpause(daemon, &record);
    }
    let id = committed?.id.to_string();
    Reply::json(201, &crate::api::exec::IdResponse { id })
}

fn log_commit(
    daemon: &Daemon,
    record: &ContainerRecord,
    id: &str,
    tag: Option<&Reference>,
    comment: String,
) {
    if let Some(tag) = tag {
        daemon.log_image_event(id, &tag.familiar(), "tag");
    }
    let image_ref = tag.map(Reference::familiar).unwrap_or_default();
    daemon.log_container_event(
        record,
        "commit",
        &[
            ("comment", comment),
            ("imageID", id.to_string()),
            ("imageRef", image_ref),
        ],
    );
}

fn to_value(config: &ContainerConfig) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(config).map_err(|e| ApiError::internal(format!("encode config: {e}")))
}

/// Pauses for the commit as moby does (its events included); a failure
/// only means the commit reads a live filesystem.
fn pause(daemon: &Daemon, record: &ContainerRecord) -> bool {
    if shim_requests::set_paused(daemon, &record.id, true).is_err() {
        return false;
    }
    let _ = daemon.update_container(&record.id, |rec| Ok(rec.mark_paused()?));
    daemon.log_container_event(record, "pause", &[]);
    true
}

fn unpause(daemon: &Daemon, record: &ContainerRecord) {
    if let Err(error) = shim_requests::set_paused(daemon, &record.id, false) {
        crate::daemon::log::warn(&format!(
            "unpause {} after commit: {}",
            record.id, error.message
        ));
        return;
    }
    let _ = daemon.update_container(&record.id, |rec| Ok(rec.mark_unpaused()?));
    daemon.log_container_event(record, "unpause", &[]);
}

/// Stores the image and records it, its parent and its tag in one
/// transaction, under the image lock.
fn commit_image(
    daemon: &Daemon,
    record: &ContainerRecord,
    child: &ChildConfig,
    tag: Option<&Reference>,
) -> Result<ImageRecord, ApiError> {
    let parent = Digest::parse(&record.image_id).ok();
    let _guard = daemon.images().lock();
    let image = daemon
        .images()
        .commit_container(parent.as_ref(), child)
        .map_err(image_error)?;
    let id = image.id.to_string();
    let stored = StoredImage {
        record: image.clone(),
        last_tag_time: tag.map(|_| crate::gofmt::time::rfc3339_nano(std::time::SystemTime::now())),
        parent,
    };
    daemon
        .store()
        .write(|tx| {
            tx.put(Table::Images, &id, &stored)?;
            if let Some(tag) = tag {
                tx.put_raw(Table::Tags, &tag.to_string(), id.as_bytes())?;
            }
            Ok(())
        })
        .map_err(store_error)?;
    Ok(image)
}

/// The new image's config: `config` with `changes` applied, then merged
/// over the container's own (moby's BuildFromConfig and merge).
pub fn commit_config(
    mut config: ContainerConfig,
    container: &ContainerConfig,
    changes: &[String],
) -> Result<ContainerConfig, ApiError> {
    for change in changes {
        let instruction = change
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_lowercase();
        if !instruction.is_empty() && !COMMIT_INSTRUCTIONS.contains(&instruction.as_str()) {
            return Err(ApiError::invalid(format!(
                "{instruction} is not a valid change command"
            )));
        }
    }
    let mut defaults = image_defaults(&config);
    crate::image::apply_changes(&mut defaults, changes).map_err(image_error)?;
    set_image_defaults(&mut config, defaults);
    merge(&mut config, container);
    Ok(config)
}

fn image_defaults(config: &ContainerConfig) -> ImageDefaults {
    let keys = |map: &Option<std::collections::BTreeMap<String, serde_json::Value>>| {
        map.as_ref()
            .map(|map| map.keys().map(|key| (key.clone(), Empty {})).collect())
    };
    ImageDefaults {
        user: config.user.clone(),
        exposed_ports: keys(&config.exposed_ports),
        env: config.env.clone(),
        cmd: config.cmd.clone(),
        volumes: keys(&config.volumes),
        working_dir: config.working_dir.clone(),
        entrypoint: config.entrypoint.clone(),
        labels: config.labels.clone(),
        stop_signal: (!config.stop_signal.is_empty()).then(|| config.stop_signal.clone()),
    }
}

fn set_image_defaults(config: &mut ContainerConfig, defaults: ImageDefaults) {
    let values = |set: Option<crate::image::config::KeySet>| {
        set.map(|set| {
            set.into_keys()
                .map(|key| (key, serde_json::json!({})))
                .collect()
        })
    };
    config.user = defaults.user;
    config.exposed_ports = values(defaults.exposed_ports);
    config.env = defaults.env;
    config.cmd = defaults.cmd;
    config.volumes = values(defaults.volumes);
    config.working_dir = defaults.working_dir;
    config.entrypoint = defaults.entrypoint;
    config.labels = defaults.labels;
    config.stop_signal = defaults.stop_signal.unwrap_or_default();
}

/// moby's merge: what the new config leaves empty comes from the
/// container's.
fn merge(config: &mut ContainerConfig, container: &ContainerConfig) {
    if config.user.is_empty() {
        config.user = container.user.clone();
    }
    match (&mut config.exposed_ports, &container.exposed_ports) {
        (Some(ports), Some(theirs)) if !ports.is_empty() => {
            for (port, value) in theirs {
                ports.entry(port.clone()).or_insert_with(|| value.clone());
            }
        }
        (ports, theirs) => {
            if ports.as_ref().is_none_or(|p| p.is_empty()) {
                *ports = theirs.clone();
            }
        }
    }
    match &mut config.env {
        Some(env) if !env.is_empty() => {
            for entry in container.env.iter().flatten() {
                let key = entry.split('=').next().unwrap_or("");
                if !env.iter().any(|own| own.split('=').next() == Some(key)) {
                    env.push(entry.clone());
                }
            }
        }
        env => *env = container.env.clone(),
    }
    let labels = config.labels.get_or_insert_with(Default::default);
    for (key, value) in container.labels.iter().flatten() {
        labels.entry(key.clone()).or_insert_with(|| value.clone());
    }
    if config.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if config.cmd.as_ref().is_none_or(Vec::is_empty) {
            config.cmd = container.cmd.clone();
        }
        if config.entrypoint.is_none() {
            config.entrypoint = container.entrypoint.clone();
        }
    }
    if config.healthcheck.is_none() {
        config.healthcheck = container.healthcheck.clone();
    }
    if config.working_dir.is_empty() {
        config.working_dir = container.working_dir.clone();
    }
    match &mut config.volumes {
        Some(volumes) if !volumes.is_empty() => {
            for (path, value) in container.volumes.iter().flatten() {
                volumes.insert(path.clone(), value.clone());
            }
        }
        volumes => *volumes = container.volumes.clone(),
    }
    if config.stop_signal.is_empty() {
        config.stop_signal = container.stop_signal.clone();
    }
}

#[cfg(test)]
#[path = "commit_tests.rs"]
mod tests;
