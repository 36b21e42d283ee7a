//! The OCI runtime spec of a container, built as moby's
//! `daemon/oci_linux.go` builds it on `oci.DefaultLinuxSpec`: a pure
//! function of the record (whose Config already holds the image's
//! defaults), the daemon's settings and the container's rootfs (read only
//! for /etc/passwd and /etc/group). Seccomp is a hook the security module
//! fills; the builder never invents a profile.

use super::caps;
use super::record::ContainerRecord;
use super::spec_mounts::{rootfs_propagation, spec_mounts};
use super::user::{UserError, resolve_in_rootfs};
use crate::daemon::config::Ulimit;
use oci_spec::runtime::{LinuxSeccomp, Spec};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where moby puts the init binary in the container.
pub const INIT_PATH: &str = "/sbin/docker-init";
const DEFAULT_PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// moby's parent cgroup when none is configured.
const DEFAULT_CGROUP_PARENT: &str = "/docker";

pub const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

pub const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Turns a `SecurityOpt` seccomp value ("" for Docker's default profile,
/// or a profile's JSON) into the spec's filter; `None` leaves the
/// container unfiltered. The security module provides it.
pub type SeccompHook<'a> = dyn Fn(&str) -> Result<Option<LinuxSeccomp>, String> + 'a;

/// The daemon's side of the spec.
pub struct SpecContext<'a> {
    /// The container's root filesystem, mounted.
    pub rootfs: &'a Path,
    /// The daemon's data root, where the container's files are.
    pub data_root: &'a Path,
    /// `--default-ulimit`s; the container's Ulimits override them by name.
    pub default_ulimits: &'a [Ulimit],
    /// `--cgroup-parent` of the daemon, if given.
    pub cgroup_parent: Option<&'a str>,
    /// The daemon's own cgroup (`/proc/self/cgroup`), below which a
    /// relative parent is placed.
    pub own_cgroup: &'a str,
    /// The host file bind-mounted as /sbin/docker-init for `--init`.
    pub init_binary: &'a Path,
    /// The daemon's own bounding set: all `--privileged` can grant.
    pub bounding_caps: &'a [String],
    pub seccomp: Option<&'a SeccompHook<'a>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("error gathering device information while adding custom device {path:?}: {reason}")]
    Device { path: String, reason: String },
    #[error("invalid device cgroup rule format: '{0}'")]
    DeviceRule(String),
    #[error("seccomp profile: {0}")]
    Seccomp(String),
    #[error("assemble OCI spec: {0}")]
    Assemble(serde_json::Error),
}

/// The daemon's own cgroup path: the v2 entry on a unified host, else the
/// memory controller's (each v1 controller is its own hierarchy here).
pub fn own_cgroup_path() -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut unified = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("/"),
        );
        if controllers.split(',').any(|c| c == "memory") {
            return path.to_string();
        }
        if controllers.is_empty() {
            unified = Some(path.to_string());
        }
    }
    unified.unwrap_or_else(|| "/".to_string())
}

/// The daemon's binary as a host path, to bind-mount as docker-init.
pub fn own_binary() -> std::io::Result<PathBuf> {
    std::fs::read_link("/proc/self/exe")
}

/// `cgroupsPath`: the container's parent (its own, else the daemon's,
/// else /docker), relative parents below the daemon's cgroup, then the ID.
pub fn cgroups_path(record: &ContainerRecord, ctx: &SpecContext<'_>) -> String {
    let parent = Some(record.host_config.cgroup_parent.as_str())
        .filter(|p| !p.is_empty())
        .or(ctx.cgroup_parent.filter(|p| !p.is_empty()))
        .unwrap_or(DEFAULT_CGROUP_PARENT);
    let base = if parent.starts_with('/') {
        PathBuf::from(parent)
    } else {
        Path::new(ctx.own_cgroup).join(parent)
    };
    base.join(&record.id).display().to_string()
}

/// Docker's environment: PATH, HOSTNAME, TERM for a TTY, then Config.Env
/// replacing or adding by name; HOME from passwd unless set.
pub fn environment(record: &ContainerRecord, home: &str) -> Vec<String> {
    let mut env = vec![
        DEFAULT_PATH_ENV.to_string(),
        format!("HOSTNAME={}", record.config.hostname),
    ];
    if record.config.tty {
        env.push("TERM=xterm".into());
    }
    for var in record.config.env.iter().flatten() {
        let key = var.split('=').next().unwrap_or("");
        match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(slot) => *slot = var.clone(),
            None => env.push(var.clone()),
        }
    }
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={home}"));
    }
    env
}

/// Rlimits: the daemon's defaults, overridden by the container's.
pub fn rlimits(record: &ContainerRecord, defaults: &[Ulimit]) -> Vec<Value> {
    let mut limits: BTreeMap<String, (i64, i64)> = defaults
        .iter()
        .map(|u| (u.name.clone(), (u.soft, u.hard)))
        .collect();
    for ulimit in record.host_config.ulimits.iter().flatten() {
        limits.insert(ulimit.name.clone(), (ulimit.soft, ulimit.hard));
    }
    limits
        .into_iter()
        .map(|(name, (soft, hard))| {
            json!({"type": format!("RLIMIT_{}", name.to_ascii_uppercase()), "soft": soft, "hard": hard})
        })
        .collect()
}

fn namespaces(record: &ContainerRecord) -> Vec<Value> {
    let host = &record.host_config;
    let mut list = vec!["mount"];
    if host.network_mode != "host" {
        list.push("network");
    }
    if host.uts_mode != "host" {
        list.push("uts");
    }
    if host.pid_mode != "host" {
        list.push("pid");
    }
    if host.ipc_mode != "host" {
        list.push("ipc");
    }
    if host.cgroupns_mode == "private" {
        list.push("cgroup");
    }
    list.into_iter().map(|kind| json!({"type": kind})).collect()
}

fn device_rule(
    allow: bool,
    kind: &str,
    major: Option<i64>,
    minor: Option<i64>,
    access: &str,
) -> Value {
    let mut rule = Map::new();
    rule.insert("allow".into(), allow.into());
    if !kind.is_empty() {
        rule.insert("type".into(), kind.into());
    }
    if let Some(major) = major {
        rule.insert("major".into(), major.into());
    }
    if let Some(minor) = minor {
        rule.insert("minor".into(), minor.into());
    }
    rule.insert("access".into(), access.into());
    Value::Object(rule)
}

/// moby's default device cgroup rules: deny all, then the basic devices.
fn default_device_rules() -> Vec<Value> {
    let mut rules = vec![device_rule(false, "", None, None, "rwm")];
    for (major, minor) in [(1, 5), (1, 3), (1, 9), (1, 8), (5, 0), (5, 1)] {
        rules.push(device_rule(true, "c", Some(major), Some(minor), "rwm"));
    }
    rules.push(device_rule(false, "c", Some(10), Some(229), "rwm"));
    rules
}

/// A `DeviceCgroupRules` entry: `c 1:3 rwm`, `a *:* m`.
pub fn parse_device_cgroup_rule(text: &str) -> Result<Value, SpecError> {
    let bad = || SpecError::DeviceRule(text.to_string());
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [kind, numbers, access] = parts.as_slice() else {
        return Err(bad());
    };
    if !matches!(*kind, "a" | "b" | "c")
        || access.is_empty()
        || !access.chars().all(|c| "rwm".contains(c))
    {
        return Err(bad());
    }
    let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
    let number = |n: &str| -> Result<Option<i64>, SpecError> {
        if n == "*" {
            Ok(None)
        } else {
            n.parse().map(Some).map_err(|_| bad())
        }
    };
    Ok(device_rule(
        true,
        kind,
        number(major)?,
        number(minor)?,
        access,
    ))
}

/// A host device node as a spec device (`path` is where it goes).
fn host_device(host_path: &Path, container_path: &str) -> Result<Value, String> {
    let stat = nix::sys::stat::stat(host_path)
        .map_err(|e| format!("stat {}: {e}", host_path.display()))?;
    let kind = match stat.st_mode & libc::S_IFMT {
        libc::S_IFCHR => "c",
        libc::S_IFBLK => "b",
        _ => return Err(format!("{} is not a device node", host_path.display())),
    };
    Ok(json!({
        "path": container_path,
        "type": kind,
        "major": libc::major(stat.st_rdev) as i64,
        "minor": libc::minor(stat.st_rdev) as i64,
        "fileMode": stat.st_mode & 0o7777,
        "uid": stat.st_uid,
        "gid": stat.st_gid,
    }))
}

/// Every device node under the host's /dev, for `--privileged`, skipping
/// what the container gets its own of.
fn host_devices() -> Vec<Value> {
    fn walk(dir: &Path, found: &mut Vec<Value>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            if kind.is_dir() {
                if !matches!(
                    name.to_str(),
                    Some("pts" | "shm" | "fd" | "mqueue" | ".lxc" | ".lxd-mounts" | ".udev")
                ) {
                    walk(&path, found);
                }
            } else if path != Path::new("/dev/console")
                && let Ok(device) = host_device(&path, &path.display().to_string())
            {
                found.push(device);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new("/dev"), &mut found);
    found
}

pub(super) fn resources(record: &ContainerRecord, devices: Vec<Value>) -> Value {
    let host = &record.host_config;
    let mut memory = Map::new();
    if host.memory > 0 {
        memory.insert("limit".into(), host.memory.into());
    }
    if host.memory_reservation > 0 {
        memory.insert("reservation".into(), host.memory_reservation.into());
    }
    if host.memory_swap > 0 {
        memory.insert("swap".into(), host.memory_swap.into());
    }
    if let Some(swappiness) = host.memory_swappiness.filter(|s| *s >= 0) {
        memory.insert("swappiness".into(), swappiness.into());
    }
    if let Some(disable) = host.oom_kill_disable {
        memory.insert("disableOOMKiller".into(), disable.into());
    }
    let mut cpu = Map::new();
    if host.cpu_shares > 0 {
        cpu.insert("shares".into(), host.cpu_shares.into());
    }
    if !host.cpuset_cpus.is_empty() {
        cpu.insert("cpus".into(), host.cpuset_cpus.clone().into());
    }
    if !host.cpuset_mems.is_empty() {
        cpu.insert("mems".into(), host.cpuset_mems.clone().into());
    }
    if host.nano_cpus > 0 {
        const PERIOD: i64 = 100_000;
        cpu.insert("period".into(), PERIOD.into());
        cpu.insert(
            "quota".into(),
            (host.nano_cpus * PERIOD / 1_000_000_000).into(),
        );
    }
    if host.cpu_period != 0 {
        cpu.insert("period".into(), host.cpu_period.into());
    }
    if host.cpu_quota != 0 {
        cpu.insert("quota".into(), host.cpu_quota.into());
    }
    let mut resources = Map::new();
    resources.insert("devices".into(), devices.into());
    resources.insert("memory".into(), memory.into());
    resources.insert("cpu".into(), cpu.into());
    let weight = super::validate::blkio_weight(host);
    if weight > 0 {
        resources.insert("blockIO".into(), json!({ "weight": weight }));
    }
    if let Some(limit) = host.pids_limit {
        resources.insert(
            "pids".into(),
            json!({"limit": if limit <= 0 { -1 } else { limit }}),
        );
    }
    Value::Object(resources)
}

/// Builds the container's OCI spec.
pub fn build_spec(record: &ContainerRecord, ctx: &SpecContext<'_>) -> Result<Spec, SpecError> {
    let host = &record.host_config;
    let config = &record.config;
    let user = resolve_in_rootfs(
        ctx.rootfs,
        &config.user,
        host.group_add.as_deref().unwrap_or(&[]),
    )?;

    let mut args = vec![record.path.clone()];
    args.extend(record.args.iter().cloned());
    let init = host.init == Some(true);
    if init {
        args.splice(0..0, [INIT_PATH.to_string(), "--".to_string()]);
    }

    let capabilities = caps::effective(
        host.privileged,
        ctx.bounding_caps,
        host.cap_add.as_deref().unwrap_or(&[]),
        host.cap_drop.as_deref().unwrap_or(&[]),
    );
    let mut process = json!({
        "terminal": config.tty,
        "user": {"uid": user.uid, "gid": user.gid, "additionalGids": user.additional_gids},
        "args": args,
        "env": environment(record, &user.home),
        "cwd": if config.working_dir.is_empty() { "/" } else { &config.working_dir },
        "capabilities": {"bounding": capabilities, "effective": capabilities, "permitted": capabilities},
        "rlimits": rlimits(record, ctx.default_ulimits),
        "noNewPrivileges": record.no_new_privileges,
        "oomScoreAdj": host.oom_score_adj,
    });
    if config.tty && host.console_size != [0, 0] {
        process["consoleSize"] =
            json!({"height": host.console_size[0], "width": host.console_size[1]});
    }

    let mut devices = Vec::new();
    let mut rules = if host.privileged {
        devices = host_devices();
        vec![device_rule(true, "", None, None, "rwm")]
    } else {
        default_device_rules()
    };
    for mapping in host.devices.iter().flatten() {
        let inside = if mapping.path_in_container.is_empty() {
            &mapping.path_on_host
        } else {
            &mapping.path_in_container
        };
        let device = host_device(Path::new(&mapping.path_on_host), inside).map_err(|reason| {
            SpecError::Device {
                path: mapping.path_on_host.clone(),
                reason,
            }
        })?;
        let access = if mapping.cgroup_permissions.is_empty() {
            "rwm"
        } else {
            &mapping.cgroup_permissions
        };
        rules.push(device_rule(
            true,
            device["type"].as_str().unwrap_or("c"),
            device["major"].as_i64(),
            device["minor"].as_i64(),
            access,
        ));
        devices.push(device);
    }
    for rule in host.device_cgroup_rules.iter().flatten() {
        rules.push(parse_device_cgroup_rule(rule)?);
    }

    let mut linux = json!({
        "namespaces": namespaces(record),
        "resources": resources(record, rules),
        "cgroupsPath": cgroups_path(record, ctx),
        "devices": devices,
    });
    if let Some(sysctls) = host.sysctls.as_ref().filter(|s| !s.is_empty()) {
        linux["sysctl"] = json!(sysctls);
    }
    if !host.privileged {
        let list = |given: &Option<Vec<String>>, default: &[&str]| -> Vec<String> {
            given
                .clone()
                .unwrap_or_else(|| default.iter().map(|p| p.to_string()).collect())
        };
        linux["maskedPaths"] = json!(list(&host.masked_paths, MASKED_PATHS));
        linux["readonlyPaths"] = json!(list(&host.readonly_paths, READONLY_PATHS));
    }
    if let Some(propagation) = rootfs_propagation(record) {
        linux["rootfsPropagation"] = json!(propagation);
    }
    let wants_filter = !host.privileged && record.seccomp_profile != "unconfined";
    let filter = match ctx.seccomp {
        Some(hook) if wants_filter => hook(&record.seccomp_profile).map_err(SpecError::Seccomp)?,
        _ => None,
    };
    if let Some(filter) = filter {
        linux["seccomp"] = serde_json::to_value(filter).map_err(SpecError::Assemble)?;
    }

    let mut spec = json!({
        "ociVersion": "1.0.2",
        "root": {"path": ctx.rootfs.display().to_string(), "readonly": host.readonly_rootfs},
        "mounts": spec_mounts(record, ctx.data_root, init.then_some(ctx.init_binary)),
        "process": process,
        "linux": linux,
    });
    if host.uts_mode != "host" {
        spec["hostname"] = json!(config.hostname);
        if !config.domainname.is_empty() {
            spec["domainname"] = json!(config.domainname);
        }
    }
    serde_json::from_value(spec).map_err(SpecError::Assemble)
}
