//! The runc commands for a living container: exec, pause, resume, ps,
//! events, update and features.

use super::args::{Events, Exec, Ps, Update};
use crate::runtime::cgroups::SubCgroups;
use crate::runtime::container::{exit_code, reap};
use crate::runtime::exec::ExecOptions;
use crate::runtime::{Container, console, selfexe};
use anyhow::{Context, bail};
use oci_spec::runtime::{Capability, LinuxCpu, LinuxMemory, LinuxPids, LinuxResources, Process};
use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// An error of `exec` past its argument checks: runc reports it as
/// `exec failed: ...` and exits 255, so that a caller can tell it from the
/// exec'd process's own exit status.
#[derive(Debug)]
pub struct ExecFailed(pub anyhow::Error);

impl std::fmt::Display for ExecFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{:#}", self.0);
        // The process side words its own errors already.
        match text.strip_prefix("exec failed: ") {
            Some(rest) => write!(f, "exec failed: {rest}"),
            None => write!(f, "exec failed: {text}"),
        }
    }
}

impl std::error::Error for ExecFailed {}

pub fn exec(root: &Path, exec: Exec) -> anyhow::Result<i32> {
    let Some((id, args)) = exec.rest.split_first() else {
        bail!("runc: \"exec\" requires a minimum of 1 argument(s)");
    };
    selfexe::reexec_sealed()?;
    exec_in(root, id, args, &exec).map_err(|error| ExecFailed(error).into())
}

fn exec_in(root: &Path, id: &str, args: &[String], exec: &Exec) -> anyhow::Result<i32> {
    let sub_cgroups = SubCgroups::parse(&exec.cgroup)?;
    let container = Container::load(root, id)?;
    let process = exec_process(&container, exec, args)?;
    let own_terminal =
        process.terminal().unwrap_or(false) && exec.console_socket.is_none() && !exec.detach;
    let options = ExecOptions {
        process,
        console_socket: exec.console_socket.clone(),
        pid_file: exec.pid_file.clone(),
        preserve_fds: exec.preserve_fds,
        own_terminal,
        ignore_paused: exec.ignore_paused,
        sub_cgroups,
    };
    let executed = container.exec(&options)?;
    if exec.detach {
        return Ok(0);
    }
    if let Some(master) = executed.console {
        console::relay(&master, &AtomicBool::new(false));
    }
    let status = reap(executed.pid).context("wait for the exec'd process")?;
    Ok(exit_code(status))
}

/// The process to run: `--process FILE` as it is, or the container's own
/// process with the command line's arguments and overrides.
fn exec_process(container: &Container, exec: &Exec, args: &[String]) -> anyhow::Result<Process> {
    if let Some(path) = &exec.process {
        let bytes =
            std::fs::read(path).with_context(|| format!("read process {}", path.display()))?;
        let mut value: serde_json::Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("parse process {}", path.display()))?;
        // runc's Process.User is a plain struct: a missing `user` is uid 0,
        // gid 0, where oci-spec's type requires the field.
        if let Some(fields) = value.as_object_mut() {
            fields
                .entry("user")
                .or_insert_with(|| serde_json::json!({"uid": 0, "gid": 0}));
        }
        let unknown = crate::runtime::caps::take_unknown_names(&mut value);
        if !unknown.is_empty() {
            crate::runtime::warn_unknown(&unknown);
        }
        return serde_json::from_value(value)
            .with_context(|| format!("parse process {}", path.display()));
    }
    if args.is_empty() {
        bail!("args must not be empty");
    }
    let state = container
        .state
        .as_ref()
        .context("container is being created")?;
    let config = state.bundle.join("config.json");
    let spec = crate::runtime::load_spec(&config)?;
    let mut process = spec
        .process()
        .clone()
        .context("config.json has no process")?;
    process.set_args(Some(args.to_vec()));
    process.set_terminal(Some(exec.tty));
    process.set_console_size(None);
    let mut env = process.env().clone().unwrap_or_default();
    env.extend(exec.env.iter().cloned());
    process.set_env(Some(env));
    if let Some(cwd) = &exec.cwd {
        process.set_cwd(cwd.into());
    }
    if exec.no_new_privs {
        process.set_no_new_privileges(Some(true));
    }
    if let Some(profile) = &exec.apparmor {
        process.set_apparmor_profile(Some(profile.clone()));
    }
    if let Some(label) = &exec.process_label {
        process.set_selinux_label(Some(label.clone()));
    }
    let mut user = process.user().clone();
    if let Some(spec) = &exec.user {
        let (uid, gid) = match spec.split_once(':') {
            Some((uid, gid)) => (uid, Some(gid)),
            None => (spec.as_str(), None),
        };
        user.set_uid(
            uid.parse()
                .with_context(|| format!("parsing {uid} as int for uid"))?,
        );
        if let Some(gid) = gid {
            user.set_gid(
                gid.parse()
                    .with_context(|| format!("parsing {gid} as int for gid"))?,
            );
        }
    }
    if !exec.additional_gids.is_empty() {
        let gids = exec
            .additional_gids
            .iter()
            .map(|gid| {
                gid.parse()
                    .with_context(|| format!("parsing {gid} as int for gid"))
            })
            .collect::<anyhow::Result<Vec<u32>>>()?;
        user.set_additional_gids(Some(gids));
    }
    process.set_user(user);
    if !exec.cap.is_empty() {
        let mut capabilities = process.capabilities().clone().unwrap_or_default();
        for name in &exec.cap {
            let cap = parse_capability(name)?;
            let add = |set: Option<oci_spec::runtime::Capabilities>| {
                let mut set = set.unwrap_or_default();
                set.insert(cap);
                Some(set)
            };
            let bounding = add(capabilities.bounding().clone());
            let effective = add(capabilities.effective().clone());
            let permitted = add(capabilities.permitted().clone());
            capabilities.set_bounding(bounding);
            capabilities.set_effective(effective);
            capabilities.set_permitted(permitted);
        }
        process.set_capabilities(Some(capabilities));
    }
    Ok(process)
}

/// `--cap CAP_SYS_ADMIN`, as runc and the spec's JSON spell it; the bare
/// `SYS_ADMIN` is accepted too.
fn parse_capability(name: &str) -> anyhow::Result<Capability> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .or_else(|_| Capability::from_str(name))
        .map_err(|_| anyhow::anyhow!("unknown capability {name:?}"))
}

pub fn pause(root: &Path, id: &str) -> anyhow::Result<i32> {
    Container::load(root, id)?.pause()?;
    Ok(0)
}

pub fn resume(root: &Path, id: &str) -> anyhow::Result<i32> {
    Container::load(root, id)?.resume()?;
    Ok(0)
}

pub fn ps(root: &Path, ps: &Ps) -> anyhow::Result<i32> {
    let Some((id, ps_args)) = ps.rest.split_first() else {
        bail!("container id cannot be empty");
    };
    let pids = Container::load(root, id)?.pids()?;
    match ps.format.as_str() {
        "json" => {
            // runc encodes Go's nil slice: `null` when the cgroup is empty.
            let pids = Some(pids).filter(|pids| !pids.is_empty());
            println!("{}", serde_json::to_string(&pids)?);
            Ok(0)
        }
        "table" => {
            let args: Vec<&str> = if ps_args.is_empty() {
                vec!["-ef"]
            } else {
                ps_args.iter().map(String::as_str).collect()
            };
            let output = std::process::Command::new("ps")
                .args(&args)
                .output()
                .context("exec ps")?;
            if !output.status.success() {
                bail!(
                    "{}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim_end()
                );
            }
            let text = String::from_utf8_lossy(&output.stdout);
            let mut lines = text.lines();
            let header = lines.next().unwrap_or_default();
            let pid_column = header
                .split_whitespace()
                .position(|field| field == "PID")
                .context("couldn't find PID field in ps output")?;
            println!("{header}");
            for line in lines {
                let pid = line
                    .split_whitespace()
                    .nth(pid_column)
                    .and_then(|field| field.parse::<i32>().ok());
                if pid.is_some_and(|pid| pids.contains(&pid)) {
                    println!("{line}");
                }
            }
            Ok(0)
        }
        other => bail!("invalid format option {other:?}"),
    }
}

/// `--interval`: a Go duration (`5s`, `1m30s`, `100µs`) above zero.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    match crate::gofmt::duration::parse_duration(text) {
        Ok(nanos) if nanos > 0 => Ok(Duration::from_nanos(nanos as u64)),
        Ok(_) => bail!("duration must be greater than 0: {text:?}"),
        Err(error) => bail!("invalid value {text:?} for flag -interval: {error}"),
    }
}

pub fn events(root: &Path, events: &Events) -> anyhow::Result<i32> {
    let interval = parse_duration(&events.interval)?;
    let container = Container::load(root, &events.id)?;
    if events.stats {
        println!("{}", serde_json::to_string(&container.stats_event()?)?);
        return Ok(0);
    }
    let mut ooms = container.oom_kill_count()?;
    let tick = Duration::from_millis(100).min(interval);
    let mut since_stats = interval;
    loop {
        if since_stats >= interval {
            match container.stats_event() {
                Ok(event) => println!("{}", serde_json::to_string(&event)?),
                Err(_) => break,
            }
            since_stats = Duration::ZERO;
        }
        match container.oom_kill_count() {
            Ok(count) if count > ooms => {
                ooms = count;
                println!("{}", serde_json::to_string(&container.oom_event())?);
            }
            Ok(_) => {}
            Err(_) => break,
        }
        std::thread::sleep(tick);
        since_stats += tick;
    }
    Ok(0)
}

/// A byte count as runc's flags take it: a number with an optional
/// binary unit (`64m`, `1g`, `512k`, `1024b`), or -1.
fn parse_bytes(text: &str) -> anyhow::Result<i64> {
    // -1 is "unlimited"; anything else is go-units' RAMInBytes, as runc reads it.
    if text == "-1" {
        return Ok(-1);
    }
    crate::gofmt::size::ram_in_bytes(text)
        .map_err(|error| anyhow::anyhow!("invalid value for memory: {error}"))
}

pub fn update(root: &Path, update: &Update) -> anyhow::Result<i32> {
    if update.l3_cache_schema.is_some() || update.mem_bw_schema.is_some() {
        bail!("Intel RDT is not supported");
    }
    let container = Container::load(root, &update.id)?;
    let mut resources: LinuxResources = match update.resources.as_deref() {
        Some(source) => {
            let mut bytes = Vec::new();
            if source == "-" {
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .context("read stdin")?;
            } else {
                bytes = std::fs::read(source).with_context(|| format!("read {source}"))?;
            }
            serde_json::from_slice(&bytes).context("decode resources")?
        }
        None => LinuxResources::default(),
    };
    let mut memory: LinuxMemory = resources.memory().unwrap_or_default();
    let mut memory_set = resources.memory().is_some();
    for (flag, setter) in [
        (
            &update.memory,
            LinuxMemory::set_limit as fn(&mut LinuxMemory, Option<i64>) -> &mut LinuxMemory,
        ),
        (&update.memory_reservation, LinuxMemory::set_reservation),
        (&update.memory_swap, LinuxMemory::set_swap),
    ] {
        if let Some(text) = flag {
            setter(&mut memory, Some(parse_bytes(text)?));
            memory_set = true;
        }
    }
    if memory_set {
        resources.set_memory(Some(memory));
    }
    let mut cpu: LinuxCpu = resources.cpu().clone().unwrap_or_default();
    let mut cpu_set = resources.cpu().is_some();
    if let Some(shares) = update.cpu_share.or(update.cpu_shares) {
        cpu.set_shares(Some(shares));
        cpu_set = true;
    }
    if let Some(quota) = update.cpu_quota {
        cpu.set_quota(Some(quota));
        cpu_set = true;
    }
    if let Some(period) = update.cpu_period {
        cpu.set_period(Some(period));
        cpu_set = true;
    }
    if let Some(period) = update.cpu_rt_period {
        cpu.set_realtime_period(Some(period));
        cpu_set = true;
    }
    if let Some(runtime) = update.cpu_rt_runtime {
        cpu.set_realtime_runtime(Some(runtime));
        cpu_set = true;
    }
    if let Some(cpus) = &update.cpuset_cpus {
        cpu.set_cpus(Some(cpus.clone()));
        cpu_set = true;
    }
    if let Some(mems) = &update.cpuset_mems {
        cpu.set_mems(Some(mems.clone()));
        cpu_set = true;
    }
    if cpu_set {
        resources.set_cpu(Some(cpu));
    }
    if let Some(limit) = update.pids_limit {
        let mut pids = LinuxPids::default();
        pids.set_limit(limit);
        resources.set_pids(Some(pids));
    }
    if let Some(weight) = update.blkio_weight {
        let mut io = resources.block_io().clone().unwrap_or_default();
        io.set_weight(Some(weight));
        resources.set_block_io(Some(io));
    }
    // Devices are set at create only, as by runc's update.
    resources.set_devices(None);
    container.update(&resources)?;
    Ok(0)
}

pub fn features() -> anyhow::Result<i32> {
    use crate::runtime::features::{HostProbe, Implemented, features};
    let mount_options = crate::runtime::mount_options::option_names();
    let implemented = Implemented {
        mount_options: &mount_options,
        namespaces: &["cgroup", "ipc", "mount", "network", "pid", "user", "uts"],
        apparmor: false,
        selinux: false,
        idmap_mounts: false,
    };
    println!("{}", features(&implemented, &HostProbe::detect()).to_json());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse_like_runc() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("five").is_err());
        assert_eq!(parse_bytes("64m").unwrap(), 64 << 20);
        assert_eq!(parse_bytes("1024").unwrap(), 1024);
        assert_eq!(parse_bytes("-1").unwrap(), -1);
        assert_eq!(parse_bytes("2g").unwrap(), 2 << 30);
        assert!(parse_bytes("lots").is_err());
        // Go's forms that the hand-written parsers missed.
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("100\u{3bc}s").unwrap(),
            Duration::from_micros(100)
        );
        assert_eq!(parse_bytes("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_bytes("1.5 mb").unwrap(), 3 << 19);
    }
}
