//! System endpoints: `/_ping`, `/version`, `/info`, `/system/df`, and the
//! container list as far as the store holds records.

use super::errors::store_error;
use super::host;
use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::types::{
    Commit, ComponentVersion, Platform, PluginsInfo, RuntimeInfo, SwarmInfo, SystemInfo,
    SystemVersion,
};
use crate::api::version::{DEFAULT_API_VERSION, MIN_API_VERSION};
use crate::api::{ApiError, Router};
use crate::http::Response;
use crate::version::{COMMIT, DOCKER_COMPAT_VERSION, VERSION};
use std::collections::BTreeMap;

pub fn routes(router: &mut Router<Route>) {
    router
        .add("GET", "/_ping", ping)
        .add("HEAD", "/_ping", ping)
        .add("GET", "/version", version)
        .add("GET", "/info", info)
        .add("GET", "/system/df", disk_usage);
}

fn ping(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let body: &[u8] = if call.exchange.method() == "HEAD" {
        b""
    } else {
        b"OK"
    };
    Ok(Reply::Response(
        Response::new(200, "text/plain; charset=utf-8", body)
            .with_header("Builder-Version", "1")
            .with_header("Swarm", "inactive")
            .with_header("Cache-Control", "no-cache, no-store, must-revalidate")
            .with_header("Pragma", "no-cache"),
    ))
}

fn version(_daemon: &Daemon, _call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let (kernel, _) = host::uname();
    let go_version = format!("n/a (dockbox {VERSION} is written in Rust)");
    let details = BTreeMap::from([
        ("ApiVersion".to_string(), DEFAULT_API_VERSION.to_string()),
        ("Arch".to_string(), host::go_arch().to_string()),
        ("BuildTime".to_string(), String::new()),
        ("Experimental".to_string(), "false".to_string()),
        ("GitCommit".to_string(), COMMIT.to_string()),
        ("GoVersion".to_string(), go_version.clone()),
        ("KernelVersion".to_string(), kernel.clone()),
        ("MinAPIVersion".to_string(), MIN_API_VERSION.to_string()),
        ("Os".to_string(), "linux".to_string()),
    ]);
    let body = SystemVersion {
        platform: Platform {
            name: format!("dockbox {VERSION}"),
        },
        components: vec![
            ComponentVersion {
                name: "Engine".to_string(),
                version: DOCKER_COMPAT_VERSION.to_string(),
                details: Some(details),
            },
            ComponentVersion {
                name: "dockbox".to_string(),
                version: VERSION.to_string(),
                details: Some(BTreeMap::from([(
                    "GitCommit".to_string(),
                    COMMIT.to_string(),
                )])),
            },
        ],
        version: DOCKER_COMPAT_VERSION.to_string(),
        api_version: DEFAULT_API_VERSION.to_string(),
        min_api_version: MIN_API_VERSION.to_string(),
        git_commit: COMMIT.to_string(),
        go_version,
        os: "linux".to_string(),
        arch: host::go_arch().to_string(),
        kernel_version: kernel,
        experimental: false,
        build_time: String::new(),
    };
    Reply::json(200, &body)
}

/// Container counts by state, from the container records.
fn container_counts(daemon: &Daemon) -> Result<(u64, u64, u64), ApiError> {
    use super::containers::record::{ContainerRecord, Status};
    let containers: Vec<(String, ContainerRecord)> =
        daemon.store().list_containers().map_err(store_error)?;
    let (mut running, mut paused, mut stopped) = (0, 0, 0);
    for (_, record) in &containers {
        match record.status() {
            Status::Paused => paused += 1,
            Status::Running | Status::Restarting => running += 1,
            _ => stopped += 1,
        }
    }
    Ok((running, paused, stopped))
}

fn info(daemon: &Daemon, _call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let config = daemon.config();
    let reloaded = daemon.reloaded_settings();
    let (running, paused, stopped) = container_counts(daemon)?;
    let images = super::image_service::count(daemon)?;
    let (kernel, machine) = host::uname();
    let (operating_system, os_version) = host::operating_system();
    let (n_fd, threads) = host::own_fds_and_threads();
    let cgroups = host::cgroup_facts();
    let warnings = cgroups.warnings();
    let mut security_options = Vec::new();
    if host::seccomp_supported() {
        security_options.push("name=seccomp,profile=builtin".to_string());
    }
    if cgroups.version == "2" {
        security_options.push("name=cgroupns".to_string());
    }
    let commit = Commit {
        id: COMMIT.to_string(),
    };
    let body = SystemInfo {
        id: daemon.engine_id().to_string(),
        containers: running + paused + stopped,
        containers_running: running,
        containers_paused: paused,
        containers_stopped: stopped,
        images,
        driver: daemon.storage_driver(),
        driver_status: daemon
            .images()
            .driver_status()
            .into_iter()
            .map(|(name, value)| [name, value])
            .collect(),
        docker_root_dir: config.data_root.display().to_string(),
        plugins: PluginsInfo {
            volume: Vec::new(),
            network: vec!["host".to_string(), "null".to_string()],
            authorization: None,
            log: vec!["json-file".to_string(), "none".to_string()],
        },
        memory_limit: cgroups.memory_limit,
        swap_limit: cgroups.swap_limit,
        kernel_memory_tcp: cgroups.kernel_memory_tcp,
        cpu_cfs_period: cgroups.cpu_cfs_period,
        cpu_cfs_quota: cgroups.cpu_cfs_quota,
        cpu_shares: cgroups.cpu_shares,
        cpu_set: cgroups.cpuset,
        pids_limit: cgroups.pids_limit,
        oom_kill_disable: cgroups.oom_kill_disable,
        ipv4_forwarding: std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
            .map(|value| value.trim() == "1")
            .unwrap_or(false),
        debug: reloaded.log_level == super::config::LogLevel::Debug,
        n_fd,
        n_goroutines: threads,
        system_time: crate::gofmt::time::rfc3339_nano(std::time::SystemTime::now()),
        logging_driver: config.log_driver.clone(),
        cgroup_driver: "cgroupfs".to_string(),
        cgroup_version: cgroups.version.to_string(),
        n_events_listener: daemon.events().subscriber_count() as u64,
        kernel_version: kernel,
        operating_system,
        os_version,
        os_type: "linux".to_string(),
        architecture: machine,
        ncpu: host::ncpu(),
        mem_total: host::mem_total(),
        index_server_address: "https://index.docker.io/v1/".to_string(),
        registry_config: config.registries.info(),
        http_proxy: std::env::var("HTTP_PROXY").unwrap_or_default(),
        https_proxy: std::env::var("HTTPS_PROXY").unwrap_or_default(),
        no_proxy: std::env::var("NO_PROXY").unwrap_or_default(),
        name: host::hostname(),
        labels: reloaded.labels,
        experimental_build: false,
        server_version: DOCKER_COMPAT_VERSION.to_string(),
        runtimes: BTreeMap::from([(
            "runc".to_string(),
            RuntimeInfo {
                path: "runc".to_string(),
                runtime_args: Vec::new(),
            },
        )]),
        default_runtime: "runc".to_string(),
        swarm: SwarmInfo {
            local_node_state: "inactive".to_string(),
            ..SwarmInfo::default()
        },
        live_restore_enabled: config.live_restore,
        isolation: String::new(),
        init_binary: "docker-init".to_string(),
        // No containerd: the shim is dockbox's own.
        containerd_commit: Commit::default(),
        runc_commit: commit.clone(),
        init_commit: commit,
        security_options,
        product_license: String::new(),
        system_status: None,
        cdi_spec_dirs: None,
        username: String::new(),
        default_address_pools: None,
        warnings,
    };
    Reply::json(200, &body)
}

/// `GET /system/df`: images with their container counts and shared
/// sizes, containers with their sizes as `ps -a -s` gives them, volumes
/// with their sizes and users; no build cache yet (an empty list). `type=` (API 1.42 and up) picks the
/// parts; the others are null, as in moby.
fn disk_usage(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let types = call.query.all("type");
    for kind in &types {
        if !matches!(*kind, "container" | "image" | "volume" | "build-cache") {
            return Err(ApiError::invalid(format!("unknown object type: {kind}")));
        }
    }
    let all = types.is_empty() || call.version < crate::api::version::ApiVersion::new(1, 42);
    let wants = |kind: &str| all || types.contains(&kind);
    let mut body = serde_json::json!({
        "Images": null,
        "Containers": null,
        "Volumes": null,
        "BuildCache": null,
    });
    if wants("image") {
        let (layers_size, images) = super::image_service::disk_usage(daemon)?;
        if layers_size != 0 {
            body["LayersSize"] = layers_size.into();
        }
        body["Images"] =
            serde_json::to_value(images).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    if wants("container") {
        let containers = super::containers::usage::disk_usage(daemon)?;
        body["Containers"] =
            serde_json::to_value(containers).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    if wants("volume") {
        body["Volumes"] = serde_json::to_value(super::volume_service::disk_usage_views(daemon)?)
            .map_err(|e| ApiError::internal(e.to_string()))?;
    }
    if wants("build-cache") {
        body["BuildCache"] = serde_json::json!([]);
    }
    Reply::json(200, &body)
}
