//! The OCI runtime spec of a container, built as moby's
//! `daemon/oci_linux.go` builds it on `oci.DefaultLinuxSpec`: a pure
//! function of the record (whose Config already holds the image's
//! defaults), the daemon's settings and the container's rootfs (read only
//! for /etc/passwd and /etc/group). Seccomp is a hook the security module
//! fills; the builder never invents a profile.

use super::caps;
use super::record::ContainerRecord;
pub use super::spec_error::SpecError;
use super::spec_mounts::{rootfs_propagation, spec_mounts};
use super::user::{ExecUser, resolve_in_rootfs};
use crate::daemon::config::Ulimit;
use oci_spec::runtime::{
    BoxBuilder, Capabilities, Capability, Linux, LinuxBlockIoBuilder, LinuxBuilder,
    LinuxCapabilities, LinuxCapabilitiesBuilder, LinuxCpu, LinuxDevice, LinuxDeviceBuilder,
    LinuxDeviceCgroup, LinuxDeviceType, LinuxMemory, LinuxNamespace, LinuxNamespaceBuilder,
    LinuxNamespaceType, LinuxPidsBuilder, LinuxResources, LinuxSeccomp, PosixRlimit,
    PosixRlimitBuilder, PosixRlimitType, Process, ProcessBuilder, RootBuilder, Spec, SpecBuilder,
    UserBuilder,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
pub fn rlimits(
    record: &ContainerRecord,
    defaults: &[Ulimit],
) -> Result<Vec<PosixRlimit>, SpecError> {
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
            let kind = format!("RLIMIT_{}", name.to_ascii_uppercase());
            let typ = PosixRlimitType::from_str(&kind)
                .map_err(|_| SpecError::Assemble(format!("unknown rlimit {name:?}")))?;
            // As moby's uint64() of the signed numbers: -1 is RLIM_INFINITY
            // (`--ulimit memlock=-1:-1`).
            Ok(PosixRlimitBuilder::default()
                .typ(typ)
                .soft(soft as u64)
                .hard(hard as u64)
                .build()?)
        })
        .collect()
}

fn namespaces(record: &ContainerRecord) -> Result<Vec<LinuxNamespace>, SpecError> {
    let host = &record.host_config;
    let mut list = vec![LinuxNamespaceType::Mount];
    if host.network_mode != "host" {
        list.push(LinuxNamespaceType::Network);
    }
    if host.uts_mode != "host" {
        list.push(LinuxNamespaceType::Uts);
    }
    if host.pid_mode != "host" {
        list.push(LinuxNamespaceType::Pid);
    }
    if host.ipc_mode != "host" {
        list.push(LinuxNamespaceType::Ipc);
    }
    if host.cgroupns_mode == "private" {
        list.push(LinuxNamespaceType::Cgroup);
    }
    list.into_iter()
        .map(|typ| Ok(LinuxNamespaceBuilder::default().typ(typ).build()?))
        .collect()
}

/// A device cgroup rule; `None` for a type or number means all.
fn device_rule(
    allow: bool,
    kind: Option<LinuxDeviceType>,
    major: Option<i64>,
    minor: Option<i64>,
    access: &str,
) -> LinuxDeviceCgroup {
    let mut rule = LinuxDeviceCgroup::default();
    rule.set_allow(allow);
    rule.set_typ(kind);
    rule.set_major(major);
    rule.set_minor(minor);
    rule.set_access(Some(access.to_string()));
    rule
}

/// moby's default device cgroup rules: deny all, then the basic devices.
fn default_device_rules() -> Vec<LinuxDeviceCgroup> {
    let char_device = Some(LinuxDeviceType::C);
    let mut rules = vec![device_rule(false, None, None, None, "rwm")];
    for (major, minor) in [(1, 5), (1, 3), (1, 9), (1, 8), (5, 0), (5, 1)] {
        rules.push(device_rule(
            true,
            char_device,
            Some(major),
            Some(minor),
            "rwm",
        ));
    }
    rules.push(device_rule(false, char_device, Some(10), Some(229), "rwm"));
    rules
}

/// A `DeviceCgroupRules` entry: `c 1:3 rwm`, `a *:* m`.
pub fn parse_device_cgroup_rule(text: &str) -> Result<LinuxDeviceCgroup, SpecError> {
    let bad = || SpecError::DeviceRule(text.to_string());
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [kind, numbers, access] = parts.as_slice() else {
        return Err(bad());
    };
    let kind = match *kind {
        "a" => LinuxDeviceType::A,
        "b" => LinuxDeviceType::B,
        "c" => LinuxDeviceType::C,
        _ => return Err(bad()),
    };
    if access.is_empty() || !access.chars().all(|c| "rwm".contains(c)) {
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
        Some(kind),
        number(major)?,
        number(minor)?,
        access,
    ))
}

/// A host device node as a spec device (`path` is where it goes).
fn host_device(host_path: &Path, container_path: &str) -> Result<LinuxDevice, String> {
    let stat = nix::sys::stat::stat(host_path)
        .map_err(|e| format!("stat {}: {e}", host_path.display()))?;
    let kind = match stat.st_mode & libc::S_IFMT {
        libc::S_IFCHR => LinuxDeviceType::C,
        libc::S_IFBLK => LinuxDeviceType::B,
        _ => return Err(format!("{} is not a device node", host_path.display())),
    };
    LinuxDeviceBuilder::default()
        .path(container_path)
        .typ(kind)
        .major(libc::major(stat.st_rdev) as i64)
        .minor(libc::minor(stat.st_rdev) as i64)
        .file_mode(stat.st_mode & 0o7777)
        .uid(stat.st_uid)
        .gid(stat.st_gid)
        .build()
        .map_err(|e| format!("describe {}: {e}", host_path.display()))
}

/// Every device node under the host's /dev, for `--privileged`, skipping
/// what the container gets its own of.
fn host_devices() -> Vec<LinuxDevice> {
    fn walk(dir: &Path, found: &mut Vec<LinuxDevice>) {
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

/// A limit the HostConfig holds as a signed number where the spec wants
/// an unsigned one; create and update refuse the negative ones first.
fn unsigned<T: TryFrom<i64>>(what: &str, value: i64) -> Result<T, SpecError> {
    T::try_from(value).map_err(|_| SpecError::Assemble(format!("{what} {value} is out of range")))
}

fn memory(record: &ContainerRecord) -> Result<LinuxMemory, SpecError> {
    let host = &record.host_config;
    let mut memory = LinuxMemory::default();
    memory.set_limit(Some(host.memory).filter(|bytes| *bytes > 0));
    memory.set_reservation(Some(host.memory_reservation).filter(|bytes| *bytes > 0));
    memory.set_swap(Some(host.memory_swap).filter(|bytes| *bytes > 0));
    let swappiness = host.memory_swappiness.filter(|s| *s >= 0);
    memory.set_swappiness(
        swappiness
            .map(|s| unsigned("memory swappiness", s))
            .transpose()?,
    );
    memory.set_disable_oom_killer(host.oom_kill_disable);
    Ok(memory)
}

fn cpu(record: &ContainerRecord) -> Result<LinuxCpu, SpecError> {
    // The period moby pairs with NanoCPUs.
    const NANO_CPUS_PERIOD: i64 = 100_000;
    let host = &record.host_config;
    let mut cpu = LinuxCpu::default();
    if host.cpu_shares > 0 {
        cpu.set_shares(Some(unsigned("CPU shares", host.cpu_shares)?));
    }
    cpu.set_cpus(Some(host.cpuset_cpus.clone()).filter(|c| !c.is_empty()));
    cpu.set_mems(Some(host.cpuset_mems.clone()).filter(|m| !m.is_empty()));
    let (mut period, mut quota) = (None, None);
    if host.nano_cpus > 0 {
        period = Some(NANO_CPUS_PERIOD);
        quota = Some(host.nano_cpus * NANO_CPUS_PERIOD / 1_000_000_000);
    }
    if host.cpu_period != 0 {
        period = Some(host.cpu_period);
    }
    if host.cpu_quota != 0 {
        quota = Some(host.cpu_quota);
    }
    cpu.set_period(period.map(|p| unsigned("CPU period", p)).transpose()?);
    cpu.set_quota(quota);
    Ok(cpu)
}

/// The container's cgroup limits, without device rules: the spec adds
/// its own, an update leaves those the container started with.
pub(super) fn resources(record: &ContainerRecord) -> Result<LinuxResources, SpecError> {
    let host = &record.host_config;
    let mut resources = LinuxResources::default();
    resources.set_memory(Some(memory(record)?));
    resources.set_cpu(Some(cpu(record)?));
    let weight = super::validate::blkio_weight(host);
    if weight > 0 {
        let weight = u16::try_from(weight).map_err(|_| {
            SpecError::Assemble(format!("block I/O weight {weight} is out of range"))
        })?;
        resources.set_block_io(Some(LinuxBlockIoBuilder::default().weight(weight).build()?));
    }
    if let Some(limit) = host.pids_limit {
        let limit = if limit <= 0 { -1 } else { limit };
        resources.set_pids(Some(LinuxPidsBuilder::default().limit(limit).build()?));
    }
    Ok(resources)
}

fn capabilities(
    record: &ContainerRecord,
    ctx: &SpecContext<'_>,
) -> Result<LinuxCapabilities, SpecError> {
    let host = &record.host_config;
    let names = caps::effective(
        host.privileged,
        ctx.bounding_caps,
        host.cap_add.as_deref().unwrap_or(&[]),
        host.cap_drop.as_deref().unwrap_or(&[]),
    );
    let set: Capabilities = names
        .iter()
        .map(|name| {
            name.strip_prefix("CAP_")
                .and_then(|short| Capability::from_str(short).ok())
                .ok_or_else(|| SpecError::Assemble(format!("unknown capability {name}")))
        })
        .collect::<Result<_, _>>()?;
    let mut capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .build()?;
    // Docker leaves these two sets empty; the builder would fill them.
    capabilities.set_inheritable(None);
    capabilities.set_ambient(None);
    Ok(capabilities)
}

fn process(
    record: &ContainerRecord,
    ctx: &SpecContext<'_>,
    user: &ExecUser,
) -> Result<Process, SpecError> {
    let host = &record.host_config;
    let config = &record.config;
    let mut args = vec![record.path.clone()];
    args.extend(record.args.iter().cloned());
    if host.init == Some(true) {
        args.splice(0..0, [INIT_PATH.to_string(), "--".to_string()]);
    }
    let cwd = if config.working_dir.is_empty() {
        "/"
    } else {
        &config.working_dir
    };
    let oom_score_adj = i32::try_from(host.oom_score_adj).map_err(|_| {
        SpecError::Assemble(format!(
            "OOM score adjustment {} is out of range",
            host.oom_score_adj
        ))
    })?;
    let mut process = ProcessBuilder::default()
        .terminal(config.tty)
        .user(
            UserBuilder::default()
                .uid(user.uid)
                .gid(user.gid)
                .additional_gids(user.additional_gids.clone())
                .build()?,
        )
        .args(args)
        .env(environment(record, &user.home))
        .cwd(cwd)
        .capabilities(capabilities(record, ctx)?)
        .rlimits(rlimits(record, ctx.default_ulimits)?)
        .no_new_privileges(record.no_new_privileges)
        .oom_score_adj(oom_score_adj)
        .build()?;
    let [height, width] = host.console_size;
    let console = config.tty && host.console_size != [0, 0];
    process.set_console_size(if console {
        Some(BoxBuilder::default().height(height).width(width).build()?)
    } else {
        None
    });
    Ok(process)
}

/// The spec's devices and the cgroup rules that let the container use
/// them: all of the host's for `--privileged`, else moby's defaults, then
/// Devices and DeviceCgroupRules.
fn devices(
    record: &ContainerRecord,
) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>), SpecError> {
    let host = &record.host_config;
    let mut devices = Vec::new();
    let mut rules = if host.privileged {
        devices = host_devices();
        vec![device_rule(true, None, None, None, "rwm")]
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
            Some(device.typ()),
            Some(device.major()),
            Some(device.minor()),
            access,
        ));
        devices.push(device);
    }
    for rule in host.device_cgroup_rules.iter().flatten() {
        rules.push(parse_device_cgroup_rule(rule)?);
    }
    Ok((devices, rules))
}

fn linux(record: &ContainerRecord, ctx: &SpecContext<'_>) -> Result<Linux, SpecError> {
    let host = &record.host_config;
    let (devices, rules) = devices(record)?;
    let mut resources = resources(record)?;
    resources.set_devices(Some(rules));
    let mut linux = LinuxBuilder::default()
        .namespaces(namespaces(record)?)
        .resources(resources)
        .cgroups_path(cgroups_path(record, ctx))
        .devices(devices)
        .build()?;
    linux.set_sysctl(
        host.sysctls
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
    );
    let list = |given: &Option<Vec<String>>, default: &[&str]| -> Option<Vec<String>> {
        if host.privileged {
            return None;
        }
        Some(
            given
                .clone()
                .unwrap_or_else(|| default.iter().map(|p| p.to_string()).collect()),
        )
    };
    linux.set_masked_paths(list(&host.masked_paths, MASKED_PATHS));
    linux.set_readonly_paths(list(&host.readonly_paths, READONLY_PATHS));
    linux.set_rootfs_propagation(rootfs_propagation(record).map(str::to_string));
    let wants_filter = !host.privileged && record.seccomp_profile != "unconfined";
    let filter = match ctx.seccomp {
        Some(hook) if wants_filter => hook(&record.seccomp_profile).map_err(SpecError::Seccomp)?,
        _ => None,
    };
    linux.set_seccomp(filter);
    Ok(linux)
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
    let init = host.init == Some(true);
    let mut spec = SpecBuilder::default()
        .version("1.0.2")
        .root(
            RootBuilder::default()
                .path(ctx.rootfs)
                .readonly(host.readonly_rootfs)
                .build()?,
        )
        .mounts(spec_mounts(
            record,
            ctx.data_root,
            init.then_some(ctx.init_binary),
        )?)
        .process(process(record, ctx, &user)?)
        .linux(linux(record, ctx)?)
        .build()?;
    // The builder starts from oci-spec's sample spec; these stay unset
    // unless the container asks for them.
    spec.set_annotations(None);
    let own_uts = host.uts_mode != "host";
    spec.set_hostname(Some(config.hostname.clone()).filter(|_| own_uts));
    spec.set_domainname(Some(config.domainname.clone()).filter(|d| own_uts && !d.is_empty()));
    Ok(spec)
}
