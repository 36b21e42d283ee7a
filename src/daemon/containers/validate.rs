//! The checks moby's create runs on HostConfig (`verifyContainerSettings`,
//! `verifyPlatformContainerResources`, `parseSecurityOpt`), with its
//! messages. Each returns the warnings to show, or a 400.

use super::caps;
use crate::api::ApiError;
use crate::api::container::{HostConfig, MountSpec};
use std::path::Path;

const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// What the host offers, so checks stay pure.
#[derive(Debug, Clone)]
pub struct HostFacts {
    pub ncpu: u64,
    /// A unified (v2-only) cgroup host, where containers get their own
    /// cgroup namespace by default.
    pub cgroup_v2: bool,
    /// Block I/O weights can be set (`blkio.weight` or BFQ's).
    pub blkio_weight: bool,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid(message)
}

/// Adjusts `host` as moby does (MemorySwappiness -1 means unset) and
/// checks every value; returns warnings.
pub fn check_host_config(
    host: &mut HostConfig,
    facts: &HostFacts,
) -> Result<Vec<String>, ApiError> {
    let mut warnings = Vec::new();
    if host.memory_swappiness == Some(-1) {
        host.memory_swappiness = None;
    }
    check_resources(host, facts)?;
    check_blkio_weight(host, facts, &mut warnings)?;
    check_modes(host, &mut warnings)?;
    check_restart_policy(host)?;
    if let Some(tmpfs) = &host.tmpfs {
        for destination in tmpfs.keys() {
            check_mount_destination("tmpfs", destination)?;
        }
    }
    check_mounts(host)?;
    check_port_bindings(host)?;
    for entry in host.extra_hosts.iter().flatten() {
        if super::files::extra_host_line(entry).is_none() {
            return Err(invalid(format!("bad format for add-host: {entry:?}")));
        }
    }
    for cap in host.cap_add.iter().chain(host.cap_drop.iter()).flatten() {
        if !cap.eq_ignore_ascii_case("ALL") && caps::normalize(cap).is_none() {
            return Err(invalid(format!("unknown capability: {cap:?}")));
        }
    }
    if let Some(ulimits) = &host.ulimits {
        for ulimit in ulimits {
            crate::gofmt::ulimit::check(&ulimit.name, ulimit.soft, ulimit.hard).map_err(invalid)?;
        }
    }
    Ok(warnings)
}

/// `BlkioWeight`: discarded
/// with a warning where the kernel has no weights, else 10 to 1000 (or
/// 0, none), as moby checks it.
pub(super) fn check_blkio_weight(
    host: &mut HostConfig,
    facts: &HostFacts,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let weight = blkio_weight(host);
    if weight > 0 && !facts.blkio_weight {
        warnings.push(
            "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
                .into(),
        );
        host.blkio_weight = Some(0);
        return Ok(());
    }
    if weight > 0 && !(10..=1000).contains(&weight) {
        return Err(invalid("Range of blkio weight is from 10 to 1000"));
    }
    Ok(())
}

/// The HostConfig's `BlkioWeight`, 0 when unset.
pub fn blkio_weight(host: &HostConfig) -> u64 {
    host.blkio_weight.map_or(0, u64::from)
}

pub(super) fn check_resources(host: &HostConfig, facts: &HostFacts) -> Result<(), ApiError> {
    if host.memory != 0 && host.memory < MIN_MEMORY {
        return Err(invalid("Minimum memory limit allowed is 6MB"));
    }
    if host.memory > 0 && host.memory_swap > 0 && host.memory_swap < host.memory {
        return Err(invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ));
    }
    if host.memory == 0 && host.memory_swap > 0 {
        return Err(invalid(
            "You should always set the Memory limit when using Memoryswap limit, see usage",
        ));
    }
    if let Some(swappiness) = host.memory_swappiness
        && !(0..=100).contains(&swappiness)
    {
        return Err(invalid(format!(
            "Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )));
    }
    if host.memory_reservation > 0 && host.memory_reservation < MIN_MEMORY {
        return Err(invalid("Minimum memory reservation allowed is 6MB"));
    }
    if host.memory > 0 && host.memory_reservation > 0 && host.memory < host.memory_reservation {
        return Err(invalid(
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ));
    }
    if host.nano_cpus > 0 && host.cpu_period > 0 {
        return Err(invalid(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ));
    }
    if host.nano_cpus > 0 && host.cpu_quota > 0 {
        return Err(invalid(
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
        ));
    }
    let ncpu = facts.ncpu.max(1);
    if host.nano_cpus < 0 || host.nano_cpus as u64 > ncpu * 1_000_000_000 {
        return Err(invalid(format!(
            "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"
        )));
    }
    if host.cpu_period != 0 && !(1000..=1_000_000).contains(&host.cpu_period) {
        return Err(invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ));
    }
    if host.cpu_quota > 0 && host.cpu_quota < 1000 {
        return Err(invalid(
            "CPU cfs quota can not be less than 1ms (i.e. 1000)",
        ));
    }
    if host.cpu_shares < 0 {
        return Err(invalid("shares: invalid argument"));
    }
    if !host.cpuset_cpus.is_empty() {
        let cpus = parse_cpu_list(&host.cpuset_cpus).ok_or_else(|| {
            invalid(format!(
                "Invalid value {} for cpuset cpus: invalid format: {}",
                host.cpuset_cpus, host.cpuset_cpus
            ))
        })?;
        if cpus.iter().any(|cpu| u64::from(*cpu) >= ncpu) {
            return Err(invalid(format!(
                "Requested CPUs are not available - requested {}, available: 0-{}",
                host.cpuset_cpus,
                ncpu - 1
            )));
        }
    }
    if host.shm_size < 0 {
        return Err(invalid("SHM size can not be less than 0"));
    }
    if !(-1000..=1000).contains(&host.oom_score_adj) {
        return Err(invalid(format!(
            "Invalid value {}, range for oom score adj is [-1000, 1000]",
            host.oom_score_adj
        )));
    }
    Ok(())
}

fn port_number(text: &str) -> bool {
    text.parse::<u16>().is_ok()
}

/// Container ports (`80/tcp`) must be single ports; host ports may be
/// empty, a port, or a range, as moby's `nat` package reads them.
fn check_port_bindings(host: &HostConfig) -> Result<(), ApiError> {
    for (port, bindings) in host.port_bindings.iter().flatten() {
        let number = port.split_once('/').map_or(port.as_str(), |(n, _)| n);
        if !number.is_empty() && !port_number(number) {
            return Err(invalid(format!("invalid port specification: {number:?}")));
        }
        for binding in bindings.iter().flatten() {
            let host_port = binding
                .host_port
                .split_once('/')
                .map_or(binding.host_port.as_str(), |(n, _)| n);
            let valid = match host_port.split_once('-') {
                _ if host_port.is_empty() => true,
                Some((low, high)) => match (low.parse::<u16>(), high.parse::<u16>()) {
                    (Ok(low), Ok(high)) => low <= high,
                    _ => false,
                },
                None => port_number(host_port),
            };
            if !valid {
                return Err(invalid(format!(
                    "invalid port specification: {:?}",
                    binding.host_port
                )));
            }
        }
    }
    Ok(())
}

/// `0-3,5` as a list of CPUs.
pub fn parse_cpu_list(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.split(',') {
        let (low, high) = part.split_once('-').unwrap_or((part, part));
        let (low, high): (u32, u32) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
        if low > high {
            return None;
        }
        cpus.extend(low..=high);
    }
    Some(cpus)
}

fn check_modes(host: &HostConfig, warnings: &mut Vec<String>) -> Result<(), ApiError> {
    let container_ref = |mode: &str| {
        mode.strip_prefix("container:")
            .is_some_and(|c| !c.is_empty())
    };
    if !matches!(
        host.ipc_mode.as_str(),
        "" | "none" | "private" | "shareable" | "host"
    ) && !container_ref(&host.ipc_mode)
    {
        return Err(invalid(format!("invalid IPC mode: {}", host.ipc_mode)));
    }
    if !matches!(host.pid_mode.as_str(), "" | "host") && !container_ref(&host.pid_mode) {
        return Err(invalid(format!("invalid PID mode: {}", host.pid_mode)));
    }
    if !matches!(host.uts_mode.as_str(), "" | "host") {
        return Err(invalid(format!("invalid UTS mode: {}", host.uts_mode)));
    }
    if container_ref(&host.ipc_mode) || container_ref(&host.pid_mode) {
        return Err(invalid(
            "sharing another container's namespaces is not supported by dockbox yet",
        ));
    }
    // Any other mode is a user network, which the create settles against
    // the records.
    if host.network_mode.starts_with("container:") {
        return Err(invalid(
            "sharing another container's network namespace is not supported by dockbox yet",
        ));
    }
    if host.network_mode == "host" && host.port_bindings.as_ref().is_some_and(|p| !p.is_empty()) {
        warnings.push("Published ports are discarded when using host network mode".to_string());
    }
    Ok(())
}

pub(super) fn check_restart_policy(host: &HostConfig) -> Result<(), ApiError> {
    let policy = &host.restart_policy;
    match policy.name.as_str() {
        "" | "no" | "always" | "unless-stopped" => {
            if policy.maximum_retry_count != 0 {
                return Err(invalid(
                    "invalid restart policy: maximum retry count can only be used with 'on-failure'",
                ));
            }
        }
        "on-failure" => {
            if policy.maximum_retry_count < 0 {
                return Err(invalid(
                    "invalid restart policy: maximum retry count cannot be negative",
                ));
            }
        }
        other => {
            return Err(invalid(format!(
                "invalid restart policy: unknown policy '{other}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
            )));
        }
    }
    if host.auto_remove && !matches!(policy.name.as_str(), "" | "no") {
        return Err(invalid(
            "can't create 'AutoRemove' container with restart policy",
        ));
    }
    Ok(())
}

fn check_mount_destination(kind: &str, destination: &str) -> Result<(), ApiError> {
    if destination == "/" {
        return Err(invalid(format!(
            "invalid mount config for type \"{kind}\": invalid specification: destination can't be '/'"
        )));
    }
    if !destination.starts_with('/') {
        return Err(invalid(format!(
            "invalid mount config for type \"{kind}\": invalid mount path: '{destination}' mount path must be absolute"
        )));
    }
    Ok(())
}

/// A `Binds` entry: `/host:/container[:opts]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    pub propagation: String,
    /// The mode text as given (`ro`, `rw,z`, ...), for inspect.
    pub mode: String,
    /// `nocopy`: a volume not filled from the image.
    pub no_copy: bool,
}

impl Bind {
    /// A named volume (`name:/path`) rather than a host path.
    pub fn is_volume(&self) -> bool {
        !self.source.starts_with('/')
    }
}

const PROPAGATIONS: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

pub fn parse_bind(spec: &str) -> Result<Bind, ApiError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, destination, mode) = match parts.as_slice() {
        [source, destination] => (*source, *destination, ""),
        [source, destination, mode] => (*source, *destination, *mode),
        _ => return Err(invalid(format!("invalid volume specification: '{spec}'"))),
    };
    if source.is_empty() || destination.is_empty() {
        return Err(invalid(format!("invalid volume specification: '{spec}'")));
    }
    let kind = if source.starts_with('/') {
        "bind"
    } else {
        "volume"
    };
    check_mount_destination(kind, destination)?;
    let mut bind = Bind {
        source: source.to_string(),
        destination: destination.to_string(),
        read_only: false,
        propagation: String::new(),
        mode: mode.to_string(),
        no_copy: false,
    };
    let mut seen_rw = false;
    for option in mode.split(',').filter(|o| !o.is_empty()) {
        match option {
            "ro" | "rw" if seen_rw => return Err(invalid(format!("invalid mode: {mode}"))),
            "ro" => (bind.read_only, seen_rw) = (true, true),
            "rw" => seen_rw = true,
            "z" | "Z" => {}
            "nocopy" => bind.no_copy = true,
            p if PROPAGATIONS.contains(&p) && bind.propagation.is_empty() => {
                bind.propagation = p.to_string();
            }
            _ => return Err(invalid(format!("invalid mode: {mode}"))),
        }
    }
    Ok(bind)
}

fn check_mount(mount: &MountSpec) -> Result<(), ApiError> {
    let kind = mount.kind.as_str();
    let error = |what: &str| invalid(format!("invalid mount config for type \"{kind}\": {what}"));
    match kind {
        "bind" | "tmpfs" | "volume" => {}
        "" => return Err(invalid("invalid mount config: mount type unknown")),
        "npipe" | "cluster" | "image" => {
            return Err(error("mount type not supported by dockbox yet"));
        }
        _ => return Err(error("mount type unknown")),
    }
    if mount.target.is_empty() {
        return Err(error("field Target must not be empty"));
    }
    check_mount_destination(kind, &mount.target)?;
    if kind == "bind" {
        if mount.source.is_empty() {
            return Err(error("field Source must not be empty"));
        }
        if mount.tmpfs_options.is_some() {
            return Err(error("field TmpfsOptions must not be specified"));
        }
        if !Path::new(&mount.source).exists() {
            return Err(error(&format!(
                "bind source path does not exist: {}",
                mount.source
            )));
        }
        if let Some(options) = &mount.bind_options
            && !options.propagation.is_empty()
            && !PROPAGATIONS.contains(&options.propagation.as_str())
        {
            return Err(error(&format!(
                "invalid propagation mode: {}",
                options.propagation
            )));
        }
    } else if kind == "volume" {
        if mount.bind_options.is_some() {
            return Err(error("field BindOptions must not be specified"));
        }
        if mount.tmpfs_options.is_some() {
            return Err(error("field TmpfsOptions must not be specified"));
        }
        if let Some(options) = &mount.volume_options {
            if options.subpath.as_deref().is_some_and(|p| !p.is_empty()) {
                return Err(error("volume subpath is not supported by dockbox yet"));
            }
            if options
                .driver_config
                .as_ref()
                .is_some_and(|d| !d.name.is_empty() && d.name != "local")
            {
                return Err(error(
                    "volume drivers other than local are not supported by dockbox yet",
                ));
            }
        }
    } else {
        if !mount.source.is_empty() {
            return Err(error("field Source must not be specified"));
        }
        if mount.bind_options.is_some() {
            return Err(error("field BindOptions must not be specified"));
        }
        if mount
            .tmpfs_options
            .as_ref()
            .is_some_and(|o| o.size_bytes < 0)
        {
            return Err(error("invalid tmpfs size: size must not be negative"));
        }
    }
    Ok(())
}

fn check_mounts(host: &HostConfig) -> Result<(), ApiError> {
    let mut destinations: Vec<String> = Vec::new();
    let mut claim = |destination: &str| -> Result<(), ApiError> {
        let clean = destination.trim_end_matches('/').to_string();
        if destinations.contains(&clean) {
            return Err(invalid(format!("Duplicate mount point: {destination}")));
        }
        destinations.push(clean);
        Ok(())
    };
    for spec in host.binds.iter().flatten() {
        claim(&parse_bind(spec)?.destination)?;
    }
    for mount in host.mounts.iter().flatten() {
        check_mount(mount)?;
        claim(&mount.target)?;
    }
    for destination in host.tmpfs.iter().flat_map(|t| t.keys()) {
        claim(destination)?;
    }
    Ok(())
}

/// What `SecurityOpt` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOptions {
    pub no_new_privileges: bool,
    /// "" for the default profile, `unconfined`, or a profile's JSON.
    pub seccomp_profile: String,
    pub apparmor_profile: String,
}

/// moby's `parseSecurityOpt`, with its messages.
pub fn parse_security_opts(options: &[String]) -> Result<SecurityOptions, ApiError> {
    let mut parsed = SecurityOptions::default();
    for option in options {
        if option == "no-new-privileges" {
            parsed.no_new_privileges = true;
            continue;
        }
        if option == "disable" {
            continue;
        }
        let split = option.split_once('=').or_else(|| option.split_once(':'));
        let Some((key, value)) = split else {
            return Err(invalid(format!("invalid --security-opt 1: {option:?}")));
        };
        match key {
            "label" => {}
            "apparmor" => parsed.apparmor_profile = value.to_string(),
            "seccomp" => parsed.seccomp_profile = value.to_string(),
            "no-new-privileges" => {
                parsed.no_new_privileges = match value {
                    "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
                    "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
                    _ => return Err(invalid(format!("invalid --security-opt 2: {option:?}"))),
                }
            }
            _ => return Err(invalid(format!("invalid --security-opt 2: {option:?}"))),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> HostFacts {
        HostFacts {
            ncpu: 2,
            cgroup_v2: false,
            blkio_weight: false,
        }
    }

    fn check(host: HostConfig) -> Result<Vec<String>, String> {
        let mut host = host;
        check_host_config(&mut host, &facts()).map_err(|e| {
            assert_eq!(e.status(), 400, "{e}");
            e.message
        })
    }

    #[test]
    fn resources_as_moby_checks_them() {
        let with = |f: fn(&mut HostConfig)| {
            let mut host = HostConfig {
                network_mode: "none".into(),
                ..HostConfig::default()
            };
            f(&mut host);
            check(host)
        };
        assert_eq!(
            with(|h| h.memory = -1).unwrap_err(),
            "Minimum memory limit allowed is 6MB"
        );
        assert_eq!(
            with(|h| h.memory = 1024).unwrap_err(),
            "Minimum memory limit allowed is 6MB"
        );
        assert!(with(|h| h.memory = 64 << 20).is_ok());
        assert!(
            with(|h| (h.memory, h.memory_swap) = (64 << 20, 32 << 20))
                .unwrap_err()
                .starts_with("Minimum memoryswap limit")
        );
        assert!(
            with(|h| h.memory_swap = 64 << 20)
                .unwrap_err()
                .starts_with("You should always set")
        );
        assert!(with(|h| h.memory_swappiness = Some(-1)).is_ok());
        assert_eq!(
            with(|h| h.memory_swappiness = Some(101)).unwrap_err(),
            "Invalid value: 101, valid memory swappiness range is 0-100"
        );
        assert_eq!(
            with(|h| h.nano_cpus = 3_000_000_000).unwrap_err(),
            "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"
        );
        assert!(
            with(|h| (h.nano_cpus, h.cpu_quota) = (1, 5000))
                .unwrap_err()
                .starts_with("Conflicting")
        );
        assert!(
            with(|h| h.cpu_period = 10)
                .unwrap_err()
                .starts_with("CPU cfs period")
        );
        assert!(with(|h| h.cpuset_cpus = "0-1".into()).is_ok());
        assert!(
            with(|h| h.cpuset_cpus = "5".into())
                .unwrap_err()
                .starts_with("Requested CPUs are not available")
        );
        assert!(
            with(|h| h.cpuset_cpus = "x".into())
                .unwrap_err()
                .starts_with("Invalid value x for cpuset cpus")
        );
        assert_eq!(
            with(|h| h.shm_size = -1).unwrap_err(),
            "SHM size can not be less than 0"
        );
        assert_eq!(
            with(|h| h.oom_score_adj = 1001).unwrap_err(),
            "Invalid value 1001, range for oom score adj is [-1000, 1000]"
        );
        assert_eq!(
            with(|h| h.ipc_mode = "bogus".into()).unwrap_err(),
            "invalid IPC mode: bogus"
        );
        assert_eq!(
            with(|h| h.pid_mode = "bogus".into()).unwrap_err(),
            "invalid PID mode: bogus"
        );
        assert_eq!(
            with(|h| h.uts_mode = "bogus".into()).unwrap_err(),
            "invalid UTS mode: bogus"
        );
        assert_eq!(
            with(|h| h.cap_add = Some(vec!["CAP_BOGUS".into()])).unwrap_err(),
            "unknown capability: \"CAP_BOGUS\""
        );
        assert!(with(|h| h.cap_drop = Some(vec!["all".into(), "net_raw".into()])).is_ok());
    }

    /// A HostConfig's ulimits are checked as given, not written out as a
    /// `name=soft:hard` flag and split again (which read the name
    /// `nofile=1` as nofile with a bad number).
    #[test]
    fn ulimits_are_checked_from_their_fields() {
        let ulimit = |name: &str, soft: i64, hard: i64| {
            check(HostConfig {
                network_mode: "none".into(),
                ulimits: Some(vec![crate::api::container::Ulimit {
                    name: name.into(),
                    soft,
                    hard,
                }]),
                ..HostConfig::default()
            })
        };
        assert!(ulimit("nofile", -1, -1).is_ok());
        assert_eq!(
            ulimit("nofile=1", 2, 3).unwrap_err(),
            "invalid ulimit type: nofile=1"
        );
        assert_eq!(
            ulimit("nproc", 5, 4).unwrap_err(),
            "ulimit soft limit must be less than or equal to hard limit: 5 > 4"
        );
    }

    #[test]
    fn network_modes_and_restart_policies() {
        let default = check(HostConfig {
            network_mode: "default".into(),
            ..HostConfig::default()
        })
        .unwrap();
        // The default bridge is real: no warning.
        assert!(default.is_empty(), "{default:?}");
        assert!(
            check(HostConfig {
                network_mode: "host".into(),
                ..HostConfig::default()
            })
            .unwrap()
            .is_empty()
        );
        // A user network is looked up when the create settles its
        // endpoints (containers::networking), not here.
        let mut host = HostConfig {
            network_mode: "mynet".into(),
            ..HostConfig::default()
        };
        assert!(check_host_config(&mut host, &facts()).is_ok());
        let policy = |name: &str, count: i64, auto_remove: bool| {
            let mut host = HostConfig {
                network_mode: "none".into(),
                auto_remove,
                ..HostConfig::default()
            };
            host.restart_policy.name = name.into();
            host.restart_policy.maximum_retry_count = count;
            check(host)
        };
        assert!(policy("on-failure", 3, false).is_ok());
        assert!(
            policy("always", 3, false)
                .unwrap_err()
                .contains("only be used with 'on-failure'")
        );
        assert!(
            policy("on-failure", -1, false)
                .unwrap_err()
                .contains("cannot be negative")
        );
        assert!(
            policy("sometimes", 0, false)
                .unwrap_err()
                .contains("unknown policy 'sometimes'")
        );
        assert_eq!(
            policy("always", 0, true).unwrap_err(),
            "can't create 'AutoRemove' container with restart policy"
        );
        assert!(policy("no", 0, true).is_ok());
    }

    #[test]
    fn binds_mounts_and_tmpfs() {
        assert_eq!(
            parse_bind("/src:/dst:ro,rshared").unwrap(),
            Bind {
                source: "/src".into(),
                destination: "/dst".into(),
                read_only: true,
                propagation: "rshared".into(),
                mode: "ro,rshared".into(),
                no_copy: false,
            }
        );
        assert!(parse_bind("/a:/b:ro,rw").is_err());
        assert!(
            parse_bind("/a:/b:bogus")
                .unwrap_err()
                .message
                .contains("invalid mode: bogus")
        );
        let named = parse_bind("vol:/b:nocopy").unwrap();
        assert!(named.is_volume() && named.no_copy);
        assert!(!parse_bind("/a:/b").unwrap().is_volume());
        assert!(parse_bind("/a").is_err());
        assert!(
            parse_bind("/a:rel")
                .unwrap_err()
                .message
                .contains("must be absolute")
        );
        let mut host = HostConfig {
            network_mode: "none".into(),
            ..HostConfig::default()
        };
        host.binds = Some(vec!["/tmp:/data".into()]);
        host.tmpfs = Some([("/data".to_string(), String::new())].into());
        assert_eq!(
            check(host.clone()).unwrap_err(),
            "Duplicate mount point: /data"
        );
        host.tmpfs = Some([("rel".to_string(), String::new())].into());
        assert!(
            check(host.clone())
                .unwrap_err()
                .contains("mount path must be absolute")
        );
        host.tmpfs = None;
        host.mounts = Some(vec![MountSpec {
            kind: "bind".into(),
            source: "/nonexistent-dockbox".into(),
            target: "/x".into(),
            ..MountSpec::default()
        }]);
        assert_eq!(
            check(host.clone()).unwrap_err(),
            "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-dockbox"
        );
        host.mounts = Some(vec![MountSpec {
            kind: "tmpfs".into(),
            source: "/tmp".into(),
            target: "/x".into(),
            ..MountSpec::default()
        }]);
        assert!(
            check(host.clone())
                .unwrap_err()
                .contains("field Source must not be specified")
        );
        host.mounts = Some(vec![MountSpec {
            kind: "tmpfs".into(),
            target: "/x".into(),
            ..MountSpec::default()
        }]);
        assert!(check(host).is_ok());
    }

    #[test]
    fn port_bindings() {
        let with = |port: &str, host_port: &str| {
            let binding = crate::api::container::PortBinding {
                host_ip: String::new(),
                host_port: host_port.into(),
            };
            let host = HostConfig {
                network_mode: "none".into(),
                port_bindings: Some([(port.to_string(), Some(vec![binding]))].into()),
                ..HostConfig::default()
            };
            check(host)
        };
        assert!(with("80/tcp", "8080").is_ok());
        assert!(with("80/udp", "").is_ok());
        assert!(with("80/tcp", "8000-8010").is_ok());
        assert_eq!(
            with("x/tcp", "1").unwrap_err(),
            "invalid port specification: \"x\""
        );
        assert_eq!(
            with("80/tcp", "99999").unwrap_err(),
            "invalid port specification: \"99999\""
        );
        assert!(with("80/tcp", "9-1").is_err());
    }

    #[test]
    fn security_options() {
        let opts = |list: &[&str]| {
            parse_security_opts(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        let parsed = opts(&["no-new-privileges", "seccomp=unconfined", "label=disable"]).unwrap();
        assert!(parsed.no_new_privileges);
        assert_eq!(parsed.seccomp_profile, "unconfined");
        assert!(
            !opts(&["no-new-privileges=false"])
                .unwrap()
                .no_new_privileges
        );
        assert_eq!(
            opts(&["bogus"]).unwrap_err().message,
            "invalid --security-opt 1: \"bogus\""
        );
        assert_eq!(
            opts(&["x=y"]).unwrap_err().message,
            "invalid --security-opt 2: \"x=y\""
        );
    }
}
