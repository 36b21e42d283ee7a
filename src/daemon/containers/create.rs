//! `POST /containers/create`: checks as moby makes them, in its order
//! (body, settings, image, name), the image's defaults merged in, and the
//! record and the container's files written.

use super::files;
use super::lookup::{ImageLookup, ResolvedImage};
use super::names;
use super::record::ContainerRecord;
use super::validate::{self, HostFacts};
use crate::api::ApiError;
use crate::api::container::{ContainerConfig, CreateRequest, HealthConfig, HostConfig};
use crate::api::container_check::check_create_body;
use crate::daemon::errors::{name_conflict, store_error};
use crate::daemon::volume_service::{VolumeRecord, put_volume_once};
use crate::gofmt::time::now_nanos;
use crate::store::{Store, StoreError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What create needs beyond the request.
pub struct CreateContext<'a> {
    pub store: &'a Store,
    pub images: &'a dyn ImageLookup,
    pub data_root: &'a Path,
    pub storage_driver: String,
    pub facts: HostFacts,
    /// For `--network host`, whose hostname is the host's.
    pub host_name: String,
    /// The daemon's `--log-driver` and `--log-opt`s, for containers that
    /// name no log driver.
    pub log_driver: String,
    pub log_opts: BTreeMap<String, String>,
}

const JSON_FILE_OPTS: &[&str] = &[
    "max-size",
    "max-file",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];

/// moby's `mergeAndVerifyLogConfig`: the daemon's driver and options when
/// the container names none, and only drivers and options that exist.
fn settle_log_config(host: &mut HostConfig, ctx: &CreateContext<'_>) -> Result<(), ApiError> {
    let log = &mut host.log_config;
    if log.kind.is_empty() {
        log.kind = ctx.log_driver.clone();
        for (key, value) in &ctx.log_opts {
            log.config
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }
    match log.kind.as_str() {
        "json-file" => {
            if let Some(key) = log
                .config
                .keys()
                .find(|k| !JSON_FILE_OPTS.contains(&k.as_str()))
            {
                return Err(ApiError::invalid(format!(
                    "unknown log opt '{key}' for json-file log driver"
                )));
            }
        }
        "none" => {}
        other => {
            return Err(ApiError::invalid(format!(
                "logger: no log driver named '{other}' is registered"
            )));
        }
    }
    Ok(())
}

/// Decodes a create body: moby's messages for bad JSON and wrong types.
pub fn decode_create_body(body: Option<Value>) -> Result<CreateRequest, ApiError> {
    let Some(mut body) = body else {
        return Err(ApiError::invalid(
            "config cannot be empty in order to create a container",
        ));
    };
    crate::api::container_check::canonicalize_field_names(&mut body);
    check_create_body(&body).map_err(|m| ApiError::invalid(format!("invalid JSON: {m}")))?;
    serde_json::from_value(body).map_err(|e| ApiError::invalid(format!("invalid JSON: {e}")))
}

/// moby's checks of the container's own Config.
fn check_config(config: &ContainerConfig) -> Result<(), ApiError> {
    if !config.working_dir.is_empty() && !config.working_dir.starts_with('/') {
        return Err(ApiError::invalid(format!(
            "the working directory '{}' is invalid, it needs to be an absolute path",
            config.working_dir
        )));
    }
    if !config.stop_signal.is_empty() && super::signal::parse_signal(&config.stop_signal).is_none()
    {
        return Err(ApiError::invalid(format!(
            "Invalid signal: {}",
            config.stop_signal
        )));
    }
    if let Some(health) = &config.healthcheck {
        super::health::check_config(health).map_err(ApiError::invalid)?;
    }
    if config.stop_timeout.is_some_and(|t| t < -1) {
        return Err(ApiError::invalid(format!(
            "invalid stop timeout {}: must be -1 or more",
            config.stop_timeout.unwrap_or_default()
        )));
    }
    Ok(())
}

/// Merges the image's defaults into the user's config as moby's
/// `merge(userConf, imageConf)` does.
pub fn merge_image_config(user: &mut ContainerConfig, image: &ContainerConfig) {
    if user.user.is_empty() {
        user.user = image.user.clone();
    }
    match (&mut user.exposed_ports, &image.exposed_ports) {
        (Some(mine), Some(theirs)) if !mine.is_empty() => {
            for (port, value) in theirs {
                mine.entry(port.clone()).or_insert_with(|| value.clone());
            }
        }
        (mine, theirs) => {
            if mine.as_ref().is_none_or(|m| m.is_empty()) {
                *mine = theirs.clone();
            }
        }
    }
    let user_env = user.env.get_or_insert_with(Vec::new);
    if user_env.is_empty() {
        *user_env = image.env.clone().unwrap_or_default();
    } else {
        for image_var in image.env.iter().flatten() {
            let key = image_var.split('=').next().unwrap_or("");
            if !user_env.iter().any(|v| v.split('=').next() == Some(key)) {
                user_env.push(image_var.clone());
            }
        }
    }
    if user.env.as_ref().is_some_and(Vec::is_empty) && image.env.is_none() {
        user.env = None;
    }
    let labels = user.labels.get_or_insert_with(Default::default);
    for (key, value) in image.labels.iter().flatten() {
        labels.entry(key.clone()).or_insert_with(|| value.clone());
    }
    // `--entrypoint ""` arrives as [""]: an explicitly empty entrypoint.
    if user.entrypoint.as_deref() == Some(&[String::new()]) {
        user.entrypoint = Some(Vec::new());
    }
    if user.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if user.cmd.as_ref().is_none_or(Vec::is_empty) {
            user.cmd = image.cmd.clone();
            if let Some(escaped) = image.extra.get("ArgsEscaped") {
                user.extra.insert("ArgsEscaped".into(), escaped.clone());
            }
        }
        if user.entrypoint.is_none() {
            user.entrypoint = image.entrypoint.clone();
        }
    }
    merge_healthcheck(&mut user.healthcheck, image.healthcheck.as_ref());
    if user.working_dir.is_empty() {
        user.working_dir = image.working_dir.clone();
    }
    match (&mut user.volumes, &image.volumes) {
        (Some(mine), Some(theirs)) if !mine.is_empty() => {
            for (path, value) in theirs {
                mine.entry(path.clone()).or_insert_with(|| value.clone());
            }
        }
        (mine, theirs) => {
            if mine.as_ref().is_none_or(|m| m.is_empty()) {
                *mine = theirs.clone();
            }
        }
    }
    if user.stop_signal.is_empty() {
        user.stop_signal = image.stop_signal.clone();
    }
    for key in ["Shell", "OnBuild"] {
        if !user.extra.contains_key(key)
            && let Some(value) = image.extra.get(key)
        {
            user.extra.insert(key.into(), value.clone());
        }
    }
}

/// moby's merge of the healthchecks: the image's when the container has
/// none, else each field the container leaves unset from the image's.
fn merge_healthcheck(mine: &mut Option<HealthConfig>, image: Option<&HealthConfig>) {
    let Some(theirs) = image.cloned() else {
        return;
    };
    let Some(mine) = mine else {
        *mine = Some(theirs);
        return;
    };
    if mine.test.as_ref().is_none_or(Vec::is_empty) {
        mine.test = theirs.test;
    }
    for (field, image_value) in [
        (&mut mine.interval, theirs.interval),
        (&mut mine.timeout, theirs.timeout),
        (&mut mine.start_period, theirs.start_period),
        (&mut mine.start_interval, theirs.start_interval),
        (&mut mine.retries, theirs.retries),
    ] {
        if *field == 0 {
            *field = image_value;
        }
    }
}

/// The process moby runs: Entrypoint then Cmd, the first word apart.
pub fn path_and_args(config: &ContainerConfig) -> Option<(String, Vec<String>)> {
    let mut words: Vec<String> = config.entrypoint.clone().unwrap_or_default();
    words.extend(config.cmd.clone().unwrap_or_default());
    let mut words = words.into_iter();
    let path = words.next()?;
    Some((path, words.collect()))
}

/// Creates a container; `name` is the raw `?name=` (may be empty).
pub fn create_container(
    ctx: &CreateContext<'_>,
    name: &str,
    request: CreateRequest,
) -> Result<(ContainerRecord, Vec<String>), ApiError> {
    let CreateRequest {
        mut config,
        host_config,
        networking_config,
    } = request;
    let mut host = host_config.unwrap_or_default();
    check_config(&config)?;
    let warnings = validate::check_host_config(&mut host, &ctx.facts)?;
    let security = validate::parse_security_opts(host.security_opt.as_deref().unwrap_or(&[]))?;
    if config.image.is_empty() {
        return Err(ApiError::invalid("invalid reference format"));
    }
    let ResolvedImage {
        id: image_id,
        config: image_config,
    } = ctx.images.resolve(&config.image)?;
    let requested_name = if name.is_empty() {
        None
    } else {
        Some(names::check_name(name)?)
    };
    check_storage_opts(&host, &ctx.storage_driver)?;
    merge_image_config(&mut config, &image_config);
    let Some((path, args)) = path_and_args(&config) else {
        return Err(ApiError::invalid("No command specified"));
    };
    if host.network_mode.is_empty() {
        host.network_mode = "default".to_string();
    }
    let networking_config =
        super::networking::settle_endpoints(ctx.store, &host, networking_config)?;
    if host.ipc_mode.is_empty() {
        host.ipc_mode = "private".to_string();
    }
    if host.shm_size == 0 {
        host.shm_size = 64 << 20;
    }
    if host.memory > 0 && host.memory_swap == 0 {
        host.memory_swap = host.memory * 2;
    }
    if host.cgroupns_mode.is_empty() {
        let private = ctx.facts.cgroup_v2;
        host.cgroupns_mode = if private { "private" } else { "host" }.to_string();
    }
    // Zero and below mean "no limit", which moby records as unset.
    if host.pids_limit.is_some_and(|limit| limit <= 0) {
        host.pids_limit = None;
    }
    if host.runtime.is_empty() {
        host.runtime = "runc".to_string();
    }
    if host.oom_kill_disable.is_none() {
        host.oom_kill_disable = Some(false);
    }
    // As moby records them, so inspect shows what the spec will mask.
    if !host.privileged {
        let defaults = |paths: &[&str]| Some(paths.iter().map(|p| p.to_string()).collect());
        if host.masked_paths.is_none() {
            host.masked_paths = defaults(super::spec::MASKED_PATHS);
        }
        if host.readonly_paths.is_none() {
            host.readonly_paths = defaults(super::spec::READONLY_PATHS);
        }
    }
    settle_log_config(&mut host, ctx)?;
    let id =
        names::new_id().map_err(|e| ApiError::internal(format!("generate container id: {e}")))?;
    if config.hostname.is_empty() {
        config.hostname = if host.network_mode == "host" {
            ctx.host_name.clone()
        } else {
            id[..12].to_string()
        };
    }
    if config.env.is_none() {
        config.env = Some(Vec::new());
    }
    let mut record = ContainerRecord {
        id: id.clone(),
        name: String::new(),
        created: now_nanos(),
        path,
        args,
        image_id,
        image_name: config.image.clone(),
        config,
        host_config: host,
        networking_config,
        driver: ctx.storage_driver.clone(),
        no_new_privileges: security.no_new_privileges,
        seccomp_profile: security.seccomp_profile,
        app_armor_profile: security.apparmor_profile,
        ..ContainerRecord::default()
    };
    let (volume_mounts, new_volumes) = super::volume_mounts::settle_volume_mounts(
        ctx.store,
        ctx.data_root,
        &record.config,
        &record.host_config,
    )?;
    record.volume_mounts = volume_mounts;
    let stored = files::write_container_files(&record, ctx.data_root)
        .map_err(|e| ApiError::internal(e.to_string()))
        .and_then(|()| {
            store_with_name(
                ctx.store,
                &mut record,
                requested_name.as_deref(),
                &new_volumes,
            )
        });
    if stored.is_err() {
        let _ = files::remove_container_files(ctx.data_root, &id);
        super::volume_mounts::drop_unrecorded(ctx.store, ctx.data_root, &new_volumes);
    }
    stored?;
    Ok((record, warnings))
}

/// `StorageOpt` as moby's graph drivers take it when they make the
/// writable layer: neither of ours can limit its size (overlay2 would need
/// xfs project quotas, vfs any quotas) and neither has other options, so
/// every option is refused with the driver's message rather than stored
/// and ignored. moby answers these as a system error (500).
fn check_storage_opts(host: &HostConfig, storage_driver: &str) -> Result<(), ApiError> {
    let Some(options) = &host.storage_opt else {
        return Ok(());
    };
    // Keys in order, so the answer does not depend on Go's map order.
    let keys: std::collections::BTreeSet<&str> = options.keys().map(String::as_str).collect();
    let Some(first) = keys.first() else {
        return Ok(());
    };
    let message = if storage_driver == "vfs" {
        if keys.contains("size") {
            "Filesystem does not support, or has not enabled quotas".to_string()
        } else {
            format!("Storage opt {first} not supported")
        }
    } else if keys.iter().any(|key| key.eq_ignore_ascii_case("size")) {
        "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"
            .to_string()
    } else {
        format!("Unknown option {}", first.to_ascii_lowercase())
    };
    Err(ApiError::internal(message))
}

/// Records the container under `requested` or a generated name, in one
/// transaction with its name and the volumes made for it.
fn store_with_name(
    store: &Store,
    record: &mut ContainerRecord,
    requested: Option<&str>,
    volumes: &[VolumeRecord],
) -> Result<(), ApiError> {
    if let Some(name) = requested {
        record.name = name.to_string();
        return match record_container(store, record, volumes) {
            Err(StoreError::NameInUse { name, id }) => Err(name_conflict(&name, &id)),
            other => other.map_err(store_error),
        };
    }
    for attempt in 0..10 {
        record.name = names::random_name(attempt)
            .map_err(|e| ApiError::internal(format!("generate container name: {e}")))?;
        match record_container(store, record, volumes) {
            Err(StoreError::NameInUse { .. }) => continue,
            other => return other.map_err(store_error),
        }
    }
    // As moby: after ten collisions, the short ID is the name.
    record.name = record.id[..12].to_string();
    record_container(store, record, volumes).map_err(store_error)
}

/// One transaction: the name, the container and each of its new volumes
/// (unless one of that name got stored meanwhile). `NameInUse` when the
/// name is taken, and nothing is written then.
fn record_container(
    store: &Store,
    record: &ContainerRecord,
    volumes: &[VolumeRecord],
) -> Result<(), StoreError> {
    store.create_container_with(&record.id, &record.name, record, |tx| {
        for volume in volumes {
            put_volume_once(tx, volume)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(options: serde_json::Value, driver: &str) -> Option<(u16, String)> {
        let host = HostConfig {
            storage_opt: serde_json::from_value(options).unwrap(),
            ..HostConfig::default()
        };
        check_storage_opts(&host, driver)
            .err()
            .map(|e| (e.status(), e.message))
    }

    #[test]
    fn storage_opts_are_refused_with_the_drivers_words() {
        let pquota =
            "--storage-opt is supported only for overlay over xfs with 'pquota' mount option";
        for size in ["size", "Size"] {
            assert_eq!(
                refusal(serde_json::json!({size: "10M"}), "overlay2"),
                Some((500, pquota.to_string()))
            );
        }
        assert_eq!(
            refusal(serde_json::json!({"Foo": "bar", "zed": "1"}), "overlay2"),
            Some((500, "Unknown option foo".to_string()))
        );
        assert_eq!(
            refusal(serde_json::json!({"size": "1G", "a": "b"}), "vfs"),
            Some((
                500,
                "Filesystem does not support, or has not enabled quotas".to_string()
            ))
        );
        assert_eq!(
            refusal(serde_json::json!({"a": "b"}), "vfs"),
            Some((500, "Storage opt a not supported".to_string()))
        );
        assert_eq!(refusal(serde_json::json!({}), "overlay2"), None);
        assert_eq!(
            check_storage_opts(&HostConfig::default(), "overlay2").ok(),
            Some(())
        );
    }
}
