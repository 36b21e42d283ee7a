//! The body of `POST /containers/create` built from `docker run`/`create`
//! flags, field for field as the Docker CLI 28 sends it (Config with
//! HostConfig and NetworkingConfig), plus the query parameters.

use super::args::Parsed;
use super::parse::{host, kv, mounts, ports};
use serde_json::{Map, Value as Json, json};
use std::path::Path;

/// What `docker run`/`create` sends to create the container.
#[derive(Debug)]
pub struct CreateRequest {
    pub body: Json,
    /// `?name=`
    pub name: Option<String>,
    /// `?platform=`
    pub platform: Option<String>,
    /// `--pull`: `missing`, `always` or `never`.
    pub pull: String,
}

/// The client's surroundings that flags refer to: its environment (bare
/// `-e NAME`, `--env-file` keys without values) and working directory
/// (relative `-v ./src:/dst`).
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
fn list_or_null(values: Vec<String>) -> Json {
    if values.is_empty() {
        Json::Null
    } else {
        json!(values)
    }
}

fn int(parsed: &Parsed, long: &str) -> i64 {
    parsed
        .value(long)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

fn text(parsed: &Parsed, long: &str) -> String {
    parsed.value(long).unwrap_or_default().to_string()
}

fn key_values(entries: &[String]) -> Map<String, Json> {
    let mut map = Map::new();
    for entry in entries {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        map.insert(key.to_string(), json!(value));
    }
    map
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
    let mut volumes = Map::new();
    for spec in parsed.values("volume") {
        match mounts::parse_volume(spec, context.cwd)? {
            mounts::Volume::Bind(bind) => binds.push(bind),
            mounts::Volume::Anonymous(target) => {
                volumes.insert(target, json!({}));
            }
        }
    }
    let mount_list = parsed
        .values("mount")
        .into_iter()
        .map(|value| mounts::parse_mount(value, context.cwd))
        .collect::<Result<Vec<Json>, String>>()?;
    let mut tmpfs = Map::new();
    for value in parsed.values("tmpfs") {
        let (path, options) = mounts::parse_tmpfs(value);
        tmpfs.insert(path, json!(options));
    }

    let mut devices = Vec::new();
    for value in parsed.values("device") {
        devices.push(host::parse_device(value)?);
    }
    let security = host::parse_security_opts(&strings(parsed, "security-opt"))?;
    let ulimits: Vec<Json> = host::ulimits(&strings(parsed, "ulimit"))?
        .iter()
        .map(host::Ulimit::to_json)
        .collect();
    let restart = parsed.value("restart").unwrap_or("no");
    let (restart_name, restart_count) = host::parse_restart_policy(restart)?;

    let mut log_options = Map::new();
    for option in parsed.values("log-opt") {
        let Some((key, value)) = option.split_once('=') else {
            return Err(format!(
                "invalid key/value pair format in logging options: {option}"
            ));
        };
        log_options.insert(key.into(), json!(value));
    }
    let mut storage = Map::new();
    for option in parsed.values("storage-opt") {
        let Some((key, value)) = option.split_once('=') else {
            return Err(format!("invalid storage option {option}"));
        };
        storage.insert(key.into(), json!(value));
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

    let mut config = Map::new();
    config.insert("Hostname".into(), json!(text(parsed, "hostname")));
    config.insert("Domainname".into(), json!(text(parsed, "domainname")));
    config.insert("User".into(), json!(text(parsed, "user")));
    config.insert("AttachStdin".into(), json!(attach_stdin));
    config.insert("AttachStdout".into(), json!(attach_stdout));
    config.insert("AttachStderr".into(), json!(attach_stderr));
    if !ports.exposed.is_empty() {
        config.insert("ExposedPorts".into(), ports.exposed_ports_json());
    }
    config.insert("Tty".into(), json!(parsed.is_true("tty")));
    config.insert("OpenStdin".into(), json!(open_stdin));
    config.insert("StdinOnce".into(), json!(stdin_once));
    config.insert("Env".into(), list_or_null(env));
    config.insert("Cmd".into(), list_or_null(command));
    if let Some(healthcheck) = healthcheck {
        config.insert("Healthcheck".into(), healthcheck);
    }
    config.insert("Image".into(), json!(image));
    config.insert("Volumes".into(), Json::Object(volumes));
    config.insert("WorkingDir".into(), json!(text(parsed, "workdir")));
    config.insert(
        "Entrypoint".into(),
        match parsed.value("entrypoint") {
            Some(entrypoint) => json!([entrypoint]),
            None => Json::Null,
        },
    );
    config.insert("OnBuild".into(), Json::Null);
    config.insert("Labels".into(), Json::Object(key_values(&label_entries)));
    if let Some(signal) = parsed.value("stop-signal") {
        config.insert("StopSignal".into(), json!(signal));
    }
    if parsed.is_set("stop-timeout") {
        config.insert("StopTimeout".into(), json!(int(parsed, "stop-timeout")));
    }

    let caps = |long: &str| list_or_null(host::capabilities(&strings(parsed, long)));
    let mut hc = Map::new();
    hc.insert("Binds".into(), list_or_null(binds));
    hc.insert("ContainerIDFile".into(), json!(text(parsed, "cidfile")));
    hc.insert(
        "LogConfig".into(),
        json!({"Type": text(parsed, "log-driver"), "Config": log_options}),
    );
    hc.insert("NetworkMode".into(), json!(network));
    hc.insert("PortBindings".into(), ports.port_bindings_json());
    hc.insert(
        "RestartPolicy".into(),
        json!({"Name": restart_name, "MaximumRetryCount": restart_count}),
    );
    hc.insert("AutoRemove".into(), json!(parsed.is_true("rm")));
    hc.insert("VolumeDriver".into(), json!(text(parsed, "volume-driver")));
    hc.insert(
        "VolumesFrom".into(),
        list_or_null(strings(parsed, "volumes-from")),
    );
    hc.insert("ConsoleSize".into(), json!([0, 0]));
    if let Some(annotations) = non_empty(key_values(&strings(parsed, "annotation"))) {
        hc.insert("Annotations".into(), annotations);
    }
    hc.insert("CapAdd".into(), caps("cap-add"));
    hc.insert("CapDrop".into(), caps("cap-drop"));
    hc.insert("CgroupnsMode".into(), json!(text(parsed, "cgroupns")));
    hc.insert("Dns".into(), json!(strings(parsed, "dns")));
    hc.insert("DnsOptions".into(), json!(strings(parsed, "dns-option")));
    hc.insert("DnsSearch".into(), json!(strings(parsed, "dns-search")));
    hc.insert(
        "ExtraHosts".into(),
        list_or_null(strings(parsed, "add-host")),
    );
    hc.insert(
        "GroupAdd".into(),
        list_or_null(strings(parsed, "group-add")),
    );
    hc.insert("IpcMode".into(), json!(text(parsed, "ipc")));
    hc.insert("Cgroup".into(), json!(""));
    hc.insert("Links".into(), list_or_null(links.clone()));
    hc.insert("OomScoreAdj".into(), json!(int(parsed, "oom-score-adj")));
    hc.insert("PidMode".into(), json!(text(parsed, "pid")));
    hc.insert("Privileged".into(), json!(parsed.is_true("privileged")));
    hc.insert(
        "PublishAllPorts".into(),
        json!(parsed.is_true("publish-all")),
    );
    hc.insert("ReadonlyRootfs".into(), json!(parsed.is_true("read-only")));
    hc.insert("SecurityOpt".into(), list_or_null(security.options));
    if let Some(storage) = non_empty(storage) {
        hc.insert("StorageOpt".into(), storage);
    }
    if let Some(tmpfs) = non_empty(tmpfs) {
        hc.insert("Tmpfs".into(), tmpfs);
    }
    hc.insert("UTSMode".into(), json!(text(parsed, "uts")));
    hc.insert("UsernsMode".into(), json!(text(parsed, "userns")));
    hc.insert("ShmSize".into(), json!(int(parsed, "shm-size")));
    let sysctls = key_values(&strings(parsed, "sysctl"));
    if let Some(sysctls) = non_empty(sysctls) {
        hc.insert("Sysctls".into(), sysctls);
    }
    if let Some(runtime) = parsed.value("runtime") {
        hc.insert("Runtime".into(), json!(runtime));
    }
    hc.insert("Isolation".into(), json!(text(parsed, "isolation")));
    hc.insert("CpuShares".into(), json!(int(parsed, "cpu-shares")));
    hc.insert("Memory".into(), json!(int(parsed, "memory")));
    hc.insert("NanoCpus".into(), json!(int(parsed, "cpus")));
    hc.insert("CgroupParent".into(), json!(text(parsed, "cgroup-parent")));
    hc.insert("BlkioWeight".into(), json!(int(parsed, "blkio-weight")));
    for key in [
        "BlkioWeightDevice",
        "BlkioDeviceReadBps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps",
    ] {
        hc.insert(key.into(), json!([]));
    }
    hc.insert("CpuPeriod".into(), json!(int(parsed, "cpu-period")));
    hc.insert("CpuQuota".into(), json!(int(parsed, "cpu-quota")));
    hc.insert(
        "CpuRealtimePeriod".into(),
        json!(int(parsed, "cpu-rt-period")),
    );
    hc.insert(
        "CpuRealtimeRuntime".into(),
        json!(int(parsed, "cpu-rt-runtime")),
    );
    hc.insert("CpusetCpus".into(), json!(text(parsed, "cpuset-cpus")));
    hc.insert("CpusetMems".into(), json!(text(parsed, "cpuset-mems")));
    hc.insert("Devices".into(), json!(devices));
    hc.insert(
        "DeviceCgroupRules".into(),
        list_or_null(strings(parsed, "device-cgroup-rule")),
    );
    hc.insert("DeviceRequests".into(), Json::Null);
    hc.insert(
        "MemoryReservation".into(),
        json!(int(parsed, "memory-reservation")),
    );
    hc.insert("MemorySwap".into(), json!(int(parsed, "memory-swap")));
    let swappiness = if parsed.is_set("memory-swappiness") {
        int(parsed, "memory-swappiness")
    } else {
        -1
    };
    hc.insert("MemorySwappiness".into(), json!(swappiness));
    hc.insert(
        "OomKillDisable".into(),
        json!(parsed.is_true("oom-kill-disable")),
    );
    hc.insert("PidsLimit".into(), json!(int(parsed, "pids-limit")));
    hc.insert("Ulimits".into(), json!(ulimits));
    hc.insert("CpuCount".into(), json!(int(parsed, "cpu-count")));
    hc.insert("CpuPercent".into(), json!(int(parsed, "cpu-percent")));
    hc.insert("IOMaximumIOps".into(), json!(int(parsed, "io-maxiops")));
    hc.insert(
        "IOMaximumBandwidth".into(),
        json!(int(parsed, "io-maxbandwidth")),
    );
    if !mount_list.is_empty() {
        hc.insert("Mounts".into(), json!(mount_list));
    }
    let (masked, readonly) = if security.unconfined_system_paths {
        (json!([]), json!([]))
    } else {
        (Json::Null, Json::Null)
    };
    hc.insert("MaskedPaths".into(), masked);
    hc.insert("ReadonlyPaths".into(), readonly);
    if parsed.is_set("init") {
        hc.insert("Init".into(), json!(parsed.is_true("init")));
    }

    let endpoint = endpoint(parsed, &aliases, &links)?;
    config.insert("HostConfig".into(), Json::Object(hc));
    config.insert(
        "NetworkingConfig".into(),
        json!({"EndpointsConfig": {network: endpoint}}),
    );

    Ok(CreateRequest {
        body: Json::Object(config),
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

fn non_empty(map: Map<String, Json>) -> Option<Json> {
    (!map.is_empty()).then_some(Json::Object(map))
}

/// `--health-*` and `--no-healthcheck` as Config.Healthcheck.
fn healthcheck(parsed: &Parsed) -> Result<Option<Json>, String> {
    let duration = |long: &str| -> i64 { int(parsed, long) };
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
        return Ok(Some(json!({"Test": ["NONE"]})));
    }
    if !any_health {
        return Ok(None);
    }
    for (long, name) in [
        ("health-interval", "--health-interval"),
        ("health-timeout", "--health-timeout"),
        ("health-start-period", "--health-start-period"),
        ("health-start-interval", "--health-start-interval"),
    ] {
        if duration(long) < 0 {
            return Err(format!("{name} cannot be negative"));
        }
    }
    if int(parsed, "health-retries") < 0 {
        return Err("--health-retries cannot be negative".into());
    }
    let mut check = Map::new();
    if let Some(cmd) = parsed.value("health-cmd").filter(|c| !c.is_empty()) {
        check.insert("Test".into(), json!(["CMD-SHELL", cmd]));
    }
    for (long, key) in [
        ("health-interval", "Interval"),
        ("health-timeout", "Timeout"),
        ("health-start-period", "StartPeriod"),
        ("health-start-interval", "StartInterval"),
    ] {
        if duration(long) != 0 {
            check.insert(key.into(), json!(duration(long)));
        }
    }
    if int(parsed, "health-retries") != 0 {
        check.insert("Retries".into(), json!(int(parsed, "health-retries")));
    }
    Ok(Some(Json::Object(check)))
}

/// The endpoint settings for the container's network.
fn endpoint(parsed: &Parsed, aliases: &[String], links: &[String]) -> Result<Json, String> {
    let mut ipam = Map::new();
    if let Some(ip) = parsed.value("ip").filter(|v| !v.is_empty()) {
        ipam.insert("IPv4Address".into(), json!(ip));
    }
    if let Some(ip) = parsed.value("ip6").filter(|v| !v.is_empty()) {
        ipam.insert("IPv6Address".into(), json!(ip));
    }
    let link_local = strings(parsed, "link-local-ip");
    if !link_local.is_empty() {
        ipam.insert("LinkLocalIPs".into(), json!(link_local));
    }
    let mac = text(parsed, "mac-address");
    Ok(json!({
        "IPAMConfig": non_empty(ipam).unwrap_or(Json::Null),
        "Links": list_or_null(links.to_vec()),
        "Aliases": list_or_null(aliases.to_vec()),
        "MacAddress": mac,
        "DriverOpts": Json::Null,
        "GwPriority": 0,
        "NetworkID": "",
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": Json::Null,
    }))
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
