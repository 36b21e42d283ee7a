//! The body of `POST /containers/create` built from `docker run`/`create`
//! flags, field for field as the Docker CLI 28 sends it (Config with
//! HostConfig and NetworkingConfig), plus the query parameters.

use super::args::Parsed;
use super::parse::{host, kv, mounts, ports};
use crate::api::container::{
    self as api, ContainerConfig, EndpointIpamConfig, HealthConfig, HostConfig, LogConfig,
    NetworkingConfig, RestartPolicy,
};
use crate::api::container_view::EndpointSettings;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;

/// What `docker run`/`create` sends to create the container.
#[derive(Debug)]
pub struct CreateRequest {
    pub body: api::CreateRequest,
    /// `?name=`
    pub name: Option<String>,
    /// `?platform=`
    pub platform: Option<String>,
    /// `--pull`: `missing`, `always` or `never`.
    pub pull: String,
}

/// The client's surroundings that flags refer to: its environment (bare
/// `-e NAME`, `--env-file` keys without values) and working directory
/// (relative `-v ./src:/dst`; a `--mount` is read with the flags).
pub struct ClientContext<'a> {
    pub lookup_env: kv::Lookup<'a>,
    pub cwd: &'a Path,
}

fn strings(parsed: &Parsed, long: &str) -> Vec<String> {
    parsed
        .values(long)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// A list field that docker sends as null when empty.
fn list_or_null(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

/// A map field that docker leaves out when empty.
fn map_or_absent(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

fn text(parsed: &Parsed, long: &str) -> String {
    parsed.value(long).unwrap_or_default().to_string()
}

/// An integer flag, zero when not given (as pflag's zero value).
fn int(parsed: &Parsed, long: &str) -> i64 {
    parsed.int(long).unwrap_or_default()
}

/// A bytes flag, zero when not given.
fn bytes(parsed: &Parsed, long: &str) -> i64 {
    parsed.bytes(long).map_or(0, |bytes| bytes.0)
}

/// An unsigned flag, zero when not given.
fn uint(parsed: &Parsed, long: &str) -> u64 {
    parsed.uint(long).unwrap_or_default()
}

/// An empty JSON object, the value of each key of ExposedPorts and Volumes.
fn empty_object() -> Json {
    Json::Object(Map::new())
}

/// Builds the create request. `is_run` selects `docker run`'s handling of
/// `-d`. Errors are the messages docker prints after `docker: `.
pub fn create_request(
    parsed: &Parsed,
    is_run: bool,
    context: &ClientContext<'_>,
) -> Result<CreateRequest, String> {
    let image = parsed.args.first().cloned().unwrap_or_default();
    let command: Vec<String> = parsed.args.iter().skip(1).cloned().collect();

    // Streams: -a picks them, -i adds stdin, neither means stdout+stderr.
    let attach: Vec<String> = parsed
        .values("attach")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    for stream in &attach {
        if !matches!(stream.as_str(), "stdin" | "stdout" | "stderr") {
            return Err("valid streams are STDIN, STDOUT and STDERR".into());
        }
    }
    let open_stdin = parsed.is_true("interactive");
    let mut attach_stdin = attach.iter().any(|s| s == "stdin") || open_stdin;
    let mut attach_stdout = attach.is_empty() || attach.iter().any(|s| s == "stdout");
    let mut attach_stderr = attach.is_empty() || attach.iter().any(|s| s == "stderr");
    if is_run && parsed.is_true("detach") {
        if !attach.is_empty() {
            return Err("Conflicting options: -a and -d".into());
        }
        (attach_stdin, attach_stdout, attach_stderr) = (false, false, false);
    }
    let stdin_once = open_stdin && attach_stdin;

    let mut env = Vec::new();
    for file in parsed.values("env-file") {
        env.extend(kv::parse_kv_file(
            Path::new(file),
            Some(context.lookup_env),
        )?);
    }
    env.extend(strings(parsed, "env"));

    let mut label_entries = Vec::new();
    for file in parsed.values("label-file") {
        label_entries.extend(kv::parse_kv_file(Path::new(file), None)?);
    }
    label_entries.extend(strings(parsed, "label"));

    let ports = ports::parse_ports(&strings(parsed, "publish"), &strings(parsed, "expose"))?;

    let mut binds = Vec::new();
    let mut volumes = BTreeMap::new();
    for spec in parsed.values("volume") {
        match mounts::parse_volume(spec, context.cwd)? {
            mounts::Volume::Bind(bind) => binds.push(bind),
            mounts::Volume::Anonymous(target) => {
                volumes.insert(target, empty_object());
            }
        }
    }
    let mount_list: Vec<_> = parsed.mounts("mount").into_iter().cloned().collect();
    let tmpfs: BTreeMap<String, String> = parsed
        .values("tmpfs")
        .into_iter()
        .map(mounts::parse_tmpfs)
        .collect();

    let devices = parsed
        .values("device")
        .into_iter()
        .map(host::parse_device)
        .collect::<Result<Vec<_>, String>>()?;
    let security = host::parse_security_opts(&strings(parsed, "security-opt"))?;
    let ulimits = host::ulimits(&strings(parsed, "ulimit"))?;
    let restart = parsed.value("restart").unwrap_or("no");
    let (restart_name, restart_count) = host::parse_restart_policy(restart)?;

    let mut log_options = BTreeMap::new();
    for option in parsed.values("log-opt") {
        let Some((key, value)) = option.split_once('=') else {
            return Err(format!(
                "invalid key/value pair format in logging options: {option}"
            ));
        };
        log_options.insert(key.into(), value.into());
    }
    let mut storage = BTreeMap::new();
    for option in parsed.values("storage-opt") {
        let Some((key, value)) = option.split_once('=') else {
            return Err(format!("invalid storage option {option}"));
        };
        storage.insert(key.into(), value.into());
    }

    let healthcheck = healthcheck(parsed)?;
    let pull = parsed.value("pull").unwrap_or("missing").to_string();
    if !matches!(pull.as_str(), "always" | "missing" | "never") {
        return Err(format!(
            "invalid pull option: '{pull}': must be one of \"always\", \"missing\" or \"never\""
        ));
    }

    let network = parsed
        .value("network")
        .or_else(|| parsed.value("net"))
        .unwrap_or("default")
        .to_string();
    let aliases: Vec<String> = parsed
        .values("network-alias")
        .into_iter()
        .chain(parsed.values("net-alias"))
        .map(str::to_string)
        .collect();
    let user_network = !matches!(network.as_str(), "default" | "bridge" | "host" | "none")
        && !network.starts_with("container:");
    if !aliases.is_empty() && !user_network {
        return Err("network-scoped aliases are only supported for user-defined networks".into());
    }
    let links = strings(parsed, "link");

    let config = ContainerConfig {
        hostname: text(parsed, "hostname"),
        domainname: text(parsed, "domainname"),
        user: text(parsed, "user"),
        attach_stdin,
        attach_stdout,
        attach_stderr,
        exposed_ports: (!ports.exposed.is_empty()).then(|| {
            ports
                .exposed
                .iter()
                .map(|port| (port.clone(), empty_object()))
                .collect()
        }),
        tty: parsed.is_true("tty"),
        open_stdin,
        stdin_once,
        env: list_or_null(env),
        cmd: list_or_null(command),
        healthcheck,
        image,
        volumes: Some(volumes),
        working_dir: text(parsed, "workdir"),
        entrypoint: parsed
            .value("entrypoint")
            .map(|entrypoint| vec![entrypoint.to_string()]),
        on_build: None,
        labels: Some(kv::key_value_map(&label_entries)),
        stop_signal: text(parsed, "stop-signal"),
        stop_timeout: parsed.int("stop-timeout"),
        extra: Map::new(),
    };

    let caps = |long: &str| list_or_null(host::capabilities(&strings(parsed, long)));
    let host_config = HostConfig {
        binds: list_or_null(binds),
        container_id_file: text(parsed, "cidfile"),
        log_config: LogConfig {
            kind: text(parsed, "log-driver"),
            config: log_options,
        },
        network_mode: network.clone(),
        port_bindings: Some(ports.port_bindings()),
        restart_policy: RestartPolicy {
            name: restart_name,
            maximum_retry_count: restart_count,
        },
        auto_remove: parsed.is_true("rm"),
        volume_driver: text(parsed, "volume-driver"),
        volumes_from: list_or_null(strings(parsed, "volumes-from")),
        console_size: [0, 0],
        annotations: map_or_absent(kv::key_value_map(&strings(parsed, "annotation"))),
        cap_add: caps("cap-add"),
        cap_drop: caps("cap-drop"),
        cgroupns_mode: text(parsed, "cgroupns"),
        dns: Some(strings(parsed, "dns")),
        dns_options: Some(strings(parsed, "dns-option")),
        dns_search: Some(strings(parsed, "dns-search")),
        extra_hosts: list_or_null(strings(parsed, "add-host")),
        group_add: list_or_null(strings(parsed, "group-add")),
        ipc_mode: text(parsed, "ipc"),
        cgroup: String::new(),
        links: list_or_null(links.clone()),
        oom_score_adj: int(parsed, "oom-score-adj"),
        pid_mode: text(parsed, "pid"),
        privileged: parsed.is_true("privileged"),
        publish_all_ports: parsed.is_true("publish-all"),
        readonly_rootfs: parsed.is_true("read-only"),
        security_opt: list_or_null(security.options),
        storage_opt: map_or_absent(storage),
        tmpfs: map_or_absent(tmpfs),
        uts_mode: text(parsed, "uts"),
        userns_mode: text(parsed, "userns"),
        shm_size: bytes(parsed, "shm-size"),
        sysctls: map_or_absent(kv::key_value_map(&strings(parsed, "sysctl"))),
        runtime: text(parsed, "runtime"),
        isolation: text(parsed, "isolation"),
        cpu_shares: int(parsed, "cpu-shares"),
        memory: bytes(parsed, "memory"),
        nano_cpus: parsed.nano_cpus("cpus").map_or(0, |cpus| cpus.0),
        cgroup_parent: text(parsed, "cgroup-parent"),
        blkio_weight: Some(
            u16::try_from(uint(parsed, "blkio-weight")).expect("--blkio-weight is read as uint16"),
        ),
        blkio_weight_device: Some(Vec::new()),
        blkio_device_read_bps: Some(Vec::new()),
        blkio_device_write_bps: Some(Vec::new()),
        blkio_device_read_iops: Some(Vec::new()),
        blkio_device_write_iops: Some(Vec::new()),
        cpu_period: int(parsed, "cpu-period"),
        cpu_quota: int(parsed, "cpu-quota"),
        cpu_realtime_period: Some(int(parsed, "cpu-rt-period")),
        cpu_realtime_runtime: Some(int(parsed, "cpu-rt-runtime")),
        cpuset_cpus: text(parsed, "cpuset-cpus"),
        cpuset_mems: text(parsed, "cpuset-mems"),
        devices: Some(devices),
        device_cgroup_rules: list_or_null(strings(parsed, "device-cgroup-rule")),
        device_requests: Some(None),
        memory_reservation: bytes(parsed, "memory-reservation"),
        memory_swap: bytes(parsed, "memory-swap"),
        memory_swappiness: Some(parsed.int("memory-swappiness").unwrap_or(-1)),
        oom_kill_disable: Some(parsed.is_true("oom-kill-disable")),
        pids_limit: Some(int(parsed, "pids-limit")),
        ulimits: Some(ulimits),
        cpu_count: Some(int(parsed, "cpu-count")),
        cpu_percent: Some(int(parsed, "cpu-percent")),
        io_maximum_iops: Some(uint(parsed, "io-maxiops")),
        io_maximum_bandwidth: Some(
            u64::try_from(bytes(parsed, "io-maxbandwidth"))
                .map_err(|_| "invalid value for --io-maxbandwidth: negative size".to_string())?,
        ),
        mounts: (!mount_list.is_empty()).then_some(mount_list),
        // `systempaths=unconfined` sends both lists empty, not null.
        masked_paths: security.unconfined_system_paths.then(Vec::new),
        readonly_paths: security.unconfined_system_paths.then(Vec::new),
        init: parsed.is_set("init").then(|| parsed.is_true("init")),
        extra: Map::new(),
    };

    let endpoint = endpoint(parsed, &aliases, &links);
    let body = api::CreateRequest {
        config,
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(BTreeMap::from([(network, endpoint)])),
            extra: Map::new(),
        }),
    };
    Ok(CreateRequest {
        body,
        name: parsed
            .value("name")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        platform: parsed
            .value("platform")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        pull,
    })
}

/// `--health-*` and `--no-healthcheck` as Config.Healthcheck.
fn healthcheck(parsed: &Parsed) -> Result<Option<HealthConfig>, String> {
    let duration = |long: &str| parsed.duration(long).map_or(0, |duration| duration.0);
    let health_flags = [
        "health-cmd",
        "health-interval",
        "health-timeout",
        "health-retries",
        "health-start-period",
        "health-start-interval",
    ];
    let any_health = health_flags.iter().any(|f| parsed.is_set(f));
    if parsed.is_true("no-healthcheck") {
        if any_health {
            return Err("--no-healthcheck conflicts with --health-* options".into());
        }
        return Ok(Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        }));
    }
    if !any_health {
        return Ok(None);
    }
    for long in [
        "health-interval",
        "health-timeout",
        "health-start-period",
        "health-start-interval",
    ] {
        if duration(long) < 0 {
            return Err(format!("--{long} cannot be negative"));
        }
    }
    let retries = int(parsed, "health-retries");
    if retries < 0 {
        return Err("--health-retries cannot be negative".into());
    }
    Ok(Some(HealthConfig {
        test: parsed
            .value("health-cmd")
            .filter(|cmd| !cmd.is_empty())
            .map(|cmd| vec!["CMD-SHELL".into(), cmd.into()]),
        interval: duration("health-interval"),
        timeout: duration("health-timeout"),
        start_period: duration("health-start-period"),
        start_interval: duration("health-start-interval"),
        retries,
        extra: Map::new(),
    }))
}

/// The endpoint settings for the container's network.
fn endpoint(parsed: &Parsed, aliases: &[String], links: &[String]) -> EndpointSettings {
    let ipam = EndpointIpamConfig {
        ipv4_address: text(parsed, "ip"),
        ipv6_address: text(parsed, "ip6"),
        link_local_ips: list_or_null(strings(parsed, "link-local-ip")),
    };
    EndpointSettings {
        ipam_config: (ipam != EndpointIpamConfig::default()).then_some(ipam),
        links: list_or_null(links.to_vec()),
        aliases: list_or_null(aliases.to_vec()),
        mac_address: text(parsed, "mac-address"),
        ..EndpointSettings::default()
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
