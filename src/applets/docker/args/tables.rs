//! Flag tables of docker commands, as data. Names, shorthands and types
//! are those `docker run --help` and friends list (Docker CLI 28); hidden
//! aliases (`--net`) are included because scripts use them.

use super::{Check, CommandSpec, FlagSpec};
use crate::applets::docker::parse::{host, mounts, units};

const fn boolean(long: &'static str, short: Option<char>) -> FlagSpec {
    FlagSpec {
        long,
        short,
        value_type: None,
        hidden: false,
        default: None,
        check: None,
    }
}

const fn value(long: &'static str, short: Option<char>, value_type: &'static str) -> FlagSpec {
    FlagSpec {
        long,
        short,
        value_type: Some(value_type),
        hidden: false,
        default: None,
        check: None,
    }
}

const fn checked(
    long: &'static str,
    short: Option<char>,
    value_type: &'static str,
    check: Check,
) -> FlagSpec {
    FlagSpec {
        check: Some(check),
        ..value(long, short, value_type)
    }
}

fn check_bytes(v: &str) -> Result<String, String> {
    units::ram_in_bytes(v).map(|n| n.to_string())
}

fn check_memory_swap(v: &str) -> Result<String, String> {
    units::mem_swap_bytes(v).map(|n| n.to_string())
}

fn check_cpus(v: &str) -> Result<String, String> {
    units::nano_cpus(v).map(|n| n.to_string())
}

fn check_duration(v: &str) -> Result<String, String> {
    units::go_duration(v).map(|n| n.to_string())
}

fn check_int(v: &str) -> Result<String, String> {
    units::parse_int_auto(v, 64).map(|n| n.to_string())
}

fn check_uint(v: &str) -> Result<String, String> {
    units::parse_uint_auto(v, 64).map(|n| n.to_string())
}

fn check_uint16(v: &str) -> Result<String, String> {
    units::parse_uint_auto(v, 16).map(|n| n.to_string())
}

fn check_ulimit(v: &str) -> Result<String, String> {
    host::parse_ulimit(v).map(|_| v.to_string())
}

fn check_mount(v: &str) -> Result<String, String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    mounts::parse_mount(v, &cwd).map(|_| v.to_string())
}

fn check_extra_host(v: &str) -> Result<String, String> {
    host::validate_extra_host(v)
}

fn check_env(v: &str) -> Result<String, String> {
    crate::applets::docker::parse::kv::validate_env(v, &|name| std::env::var(name).ok())
}

fn check_label(v: &str) -> Result<String, String> {
    let name = v.split_once('=').map_or(v, |(name, _)| name);
    if name.is_empty() {
        return Err(format!("invalid label '{v}': empty name"));
    }
    Ok(v.to_string())
}

fn check_ip(v: &str) -> Result<String, String> {
    v.trim()
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.to_string())
        .map_err(|_| format!("IP address is not correctly formatted: {v}"))
}

fn check_sysctl(v: &str) -> Result<String, String> {
    host::validate_sysctl(v).map(|_| v.to_string())
}

/// The flags of `docker run`; `docker create` has all but the
/// attach-related ones.
const CONTAINER_FLAGS: &[FlagSpec] = &[
    checked("add-host", None, "list", check_extra_host),
    value("annotation", None, "map"),
    value("attach", Some('a'), "list"),
    checked("blkio-weight", None, "uint16", check_uint16),
    value("blkio-weight-device", None, "list"),
    value("cap-add", None, "list"),
    value("cap-drop", None, "list"),
    value("cgroup-parent", None, "string"),
    value("cgroupns", None, "string"),
    value("cidfile", None, "string"),
    checked("cpu-count", None, "int", check_int),
    checked("cpu-percent", None, "int", check_int),
    checked("cpu-period", None, "int", check_int),
    checked("cpu-quota", None, "int", check_int),
    checked("cpu-rt-period", None, "int", check_int),
    checked("cpu-rt-runtime", None, "int", check_int),
    checked("cpu-shares", Some('c'), "int", check_int),
    checked("cpus", None, "decimal", check_cpus),
    value("cpuset-cpus", None, "string"),
    value("cpuset-mems", None, "string"),
    boolean("detach", Some('d')),
    value("detach-keys", None, "string"),
    value("device", None, "list"),
    value("device-cgroup-rule", None, "list"),
    value("device-read-bps", None, "list"),
    value("device-read-iops", None, "list"),
    value("device-write-bps", None, "list"),
    value("device-write-iops", None, "list"),
    boolean("disable-content-trust", None),
    checked("dns", None, "list", check_ip),
    value("dns-option", None, "list"),
    value("dns-search", None, "list"),
    value("domainname", None, "string"),
    value("entrypoint", None, "string"),
    checked("env", Some('e'), "list", check_env),
    value("env-file", None, "list"),
    value("expose", None, "list"),
    value("gpus", None, "gpu-request"),
    value("group-add", None, "list"),
    value("health-cmd", None, "string"),
    checked("health-interval", None, "duration", check_duration),
    checked("health-retries", None, "int", check_int),
    checked("health-start-interval", None, "duration", check_duration),
    checked("health-start-period", None, "duration", check_duration),
    checked("health-timeout", None, "duration", check_duration),
    boolean("help", None),
    value("hostname", Some('h'), "string"),
    boolean("init", None),
    boolean("interactive", Some('i')),
    checked("io-maxbandwidth", None, "bytes", check_bytes),
    checked("io-maxiops", None, "uint", check_uint),
    value("ip", None, "string"),
    value("ip6", None, "string"),
    value("ipc", None, "string"),
    value("isolation", None, "string"),
    checked("kernel-memory", None, "bytes", check_bytes),
    checked("label", Some('l'), "list", check_label),
    value("label-file", None, "list"),
    value("link", None, "list"),
    value("link-local-ip", None, "list"),
    value("log-driver", None, "string"),
    value("log-opt", None, "list"),
    value("mac-address", None, "string"),
    checked("memory", Some('m'), "bytes", check_bytes),
    checked("memory-reservation", None, "bytes", check_bytes),
    checked("memory-swap", None, "bytes", check_memory_swap),
    checked("memory-swappiness", None, "int", check_int),
    checked("mount", None, "mount", check_mount),
    value("name", None, "string"),
    FlagSpec {
        hidden: true,
        ..value("net", None, "network")
    },
    FlagSpec {
        hidden: true,
        ..value("net-alias", None, "list")
    },
    FlagSpec {
        default: Some("default"),
        ..value("network", None, "network")
    },
    value("network-alias", None, "list"),
    boolean("no-healthcheck", None),
    boolean("oom-kill-disable", None),
    checked("oom-score-adj", None, "int", check_int),
    value("pid", None, "string"),
    checked("pids-limit", None, "int", check_int),
    value("platform", None, "string"),
    boolean("privileged", None),
    value("publish", Some('p'), "list"),
    boolean("publish-all", Some('P')),
    FlagSpec {
        default: Some("missing"),
        ..value("pull", None, "string")
    },
    boolean("quiet", Some('q')),
    boolean("read-only", None),
    FlagSpec {
        default: Some("no"),
        ..value("restart", None, "string")
    },
    boolean("rm", None),
    value("runtime", None, "string"),
    value("security-opt", None, "list"),
    checked("shm-size", None, "bytes", check_bytes),
    FlagSpec {
        default: Some("true"),
        ..boolean("sig-proxy", None)
    },
    value("stop-signal", None, "string"),
    checked("stop-timeout", None, "int", check_int),
    value("storage-opt", None, "list"),
    checked("sysctl", None, "map", check_sysctl),
    value("tmpfs", None, "list"),
    boolean("tty", Some('t')),
    checked("ulimit", None, "ulimit", check_ulimit),
    boolean("use-api-socket", None),
    value("user", Some('u'), "string"),
    value("userns", None, "string"),
    value("uts", None, "string"),
    value("volume", Some('v'), "list"),
    value("volume-driver", None, "string"),
    value("volumes-from", None, "list"),
    value("workdir", Some('w'), "string"),
];

pub const RUN: CommandSpec = CommandSpec {
    name: "run",
    usage: "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
    flags: CONTAINER_FLAGS,
    exclude: &[],
    interspersed: false,
    min_args: 1,
    max_args: None,
};

pub const CREATE: CommandSpec = CommandSpec {
    name: "create",
    usage: "docker create [OPTIONS] IMAGE [COMMAND] [ARG...]",
    flags: CONTAINER_FLAGS,
    exclude: &["detach", "detach-keys", "sig-proxy"],
    interspersed: false,
    min_args: 1,
    max_args: None,
};

const PS_FLAGS: &[FlagSpec] = &[
    boolean("all", Some('a')),
    value("filter", Some('f'), "filter"),
    value("format", None, "string"),
    boolean("help", None),
    FlagSpec {
        default: Some("-1"),
        ..checked("last", Some('n'), "int", check_int)
    },
    boolean("latest", Some('l')),
    boolean("no-trunc", None),
    boolean("quiet", Some('q')),
    boolean("size", Some('s')),
];

pub const PS: CommandSpec = CommandSpec {
    name: "ps",
    usage: "docker ps [OPTIONS]",
    flags: PS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const GLOBAL_FLAGS: &[FlagSpec] = &[
    value("config", None, "string"),
    value("context", Some('c'), "string"),
    boolean("debug", Some('D')),
    boolean("help", Some('h')),
    value("host", Some('H'), "list"),
    // A bad level is reported after parsing ("Unable to parse logging
    // level: x", exit 1), not as a flag error.
    FlagSpec {
        default: Some("info"),
        ..value("log-level", Some('l'), "string")
    },
    boolean("tls", None),
    value("tlscacert", None, "string"),
    value("tlscert", None, "string"),
    value("tlskey", None, "string"),
    boolean("tlsverify", None),
    boolean("version", Some('v')),
];

/// The options before the command name (`docker -H unix:///x ps`);
/// parsing stops at the command.
pub const GLOBAL: CommandSpec = CommandSpec {
    name: "",
    usage: "docker [OPTIONS] COMMAND [ARG...]",
    flags: GLOBAL_FLAGS,
    exclude: &[],
    interspersed: false,
    min_args: 0,
    max_args: None,
};

const COMMANDS: &[&CommandSpec] = &[&CREATE, &PS, &RUN];

/// The syntax of a command by the name `docker` knows it under.
pub fn find_command(name: &str) -> Option<&'static CommandSpec> {
    let name = match name {
        "container run" => "run",
        "container create" => "create",
        "container ls" | "container list" | "container ps" => "ps",
        other => other,
    };
    COMMANDS.iter().copied().find(|spec| spec.name == name)
}
