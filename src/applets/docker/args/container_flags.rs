//! The flags of `docker run` and `docker create` (Docker CLI 28), with
//! the checks pflag runs while reading their values.

use super::tables::{boolean, checked, value};
use super::{Bytes, FlagSpec, FlagValue, NanoCpus, Nanoseconds};
use crate::applets::docker::parse::{host, mounts, units};

pub(super) fn check_bytes(v: &str) -> Result<FlagValue, String> {
    crate::gofmt::size::ram_in_bytes(v).map(|n| FlagValue::Bytes(Bytes(n)))
}

pub(super) fn check_memory_swap(v: &str) -> Result<FlagValue, String> {
    units::mem_swap_bytes(v).map(|n| FlagValue::Bytes(Bytes(n)))
}

pub(super) fn check_cpus(v: &str) -> Result<FlagValue, String> {
    units::nano_cpus(v).map(|n| FlagValue::NanoCpus(NanoCpus(n)))
}

pub(super) fn check_duration(v: &str) -> Result<FlagValue, String> {
    crate::gofmt::duration::parse_duration(v).map(|n| FlagValue::Duration(Nanoseconds(n)))
}

pub(super) fn check_int(v: &str) -> Result<FlagValue, String> {
    units::parse_int_auto(v, 64).map(FlagValue::Int)
}

pub(super) fn check_uint(v: &str) -> Result<FlagValue, String> {
    units::parse_uint_auto(v, 64).map(FlagValue::Uint)
}

/// `-a`: a stream name in any case, kept in lower case (opts.ValidateAttach).
fn check_attach(v: &str) -> Result<FlagValue, String> {
    let lower = v.to_lowercase();
    if matches!(lower.as_str(), "stdin" | "stdout" | "stderr") {
        Ok(FlagValue::Text(lower))
    } else {
        Err("valid streams are STDIN, STDOUT and STDERR".into())
    }
}

pub(super) fn check_uint16(v: &str) -> Result<FlagValue, String> {
    units::parse_uint_auto(v, 16).map(FlagValue::Uint)
}

pub(super) fn check_ulimit(v: &str) -> Result<FlagValue, String> {
    host::parse_ulimit(v).map(|_| FlagValue::Text(v.to_string()))
}

/// `--mount`: read once, here; a relative `source=./x` is made absolute
/// against the working directory the client runs in.
pub(super) fn check_mount(v: &str) -> Result<FlagValue, String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    mounts::parse_mount(v, &cwd).map(|mount| FlagValue::Mount(Box::new(mount)))
}

pub(super) fn check_extra_host(v: &str) -> Result<FlagValue, String> {
    host::validate_extra_host(v).map(FlagValue::Text)
}

pub(super) fn check_env(v: &str) -> Result<FlagValue, String> {
    crate::applets::docker::parse::kv::validate_env(v, &|name| std::env::var(name).ok())
        .map(FlagValue::Text)
}

pub(super) fn check_label(v: &str) -> Result<FlagValue, String> {
    let name = v.split_once('=').map_or(v, |(name, _)| name);
    if name.is_empty() {
        return Err(format!("invalid label '{v}': empty name"));
    }
    Ok(FlagValue::Text(v.to_string()))
}

pub(super) fn check_ip(v: &str) -> Result<FlagValue, String> {
    v.trim()
        .parse::<std::net::IpAddr>()
        .map(|ip| FlagValue::Text(ip.to_string()))
        .map_err(|_| format!("IP address is not correctly formatted: {v}"))
}

pub(super) fn check_sysctl(v: &str) -> Result<FlagValue, String> {
    host::validate_sysctl(v).map(|_| FlagValue::Text(v.to_string()))
}

/// The flags of `docker run`; `docker create` has all but the
/// attach-related ones.
pub(super) const CONTAINER_FLAGS: &[FlagSpec] = &[
    checked(
        "add-host",
        None,
        "list",
        check_extra_host,
        "Add a custom host-to-IP mapping (host:ip)",
    ),
    value(
        "annotation",
        None,
        "map",
        "Add an annotation to the container (passed through to the OCI runtime) (default map[])",
    ),
    checked(
        "attach",
        Some('a'),
        "list",
        check_attach,
        "Attach to STDIN, STDOUT or STDERR",
    ),
    checked(
        "blkio-weight",
        None,
        "uint16",
        check_uint16,
        "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
    ),
    value(
        "blkio-weight-device",
        None,
        "list",
        "Block IO weight (relative device weight) (default [])",
    ),
    value("cap-add", None, "list", "Add Linux capabilities"),
    value("cap-drop", None, "list", "Drop Linux capabilities"),
    value(
        "cgroup-parent",
        None,
        "string",
        "Optional parent cgroup for the container",
    ),
    value(
        "cgroupns",
        None,
        "string",
        "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
    ),
    value(
        "cidfile",
        None,
        "string",
        "Write the container ID to the file",
    ),
    checked(
        "cpu-count",
        None,
        "int",
        check_int,
        "CPU count (Windows only)",
    ),
    checked(
        "cpu-percent",
        None,
        "int",
        check_int,
        "CPU percent (Windows only)",
    ),
    checked(
        "cpu-period",
        None,
        "int",
        check_int,
        "Limit CPU CFS (Completely Fair Scheduler) period",
    ),
    checked(
        "cpu-quota",
        None,
        "int",
        check_int,
        "Limit CPU CFS (Completely Fair Scheduler) quota",
    ),
    checked(
        "cpu-rt-period",
        None,
        "int",
        check_int,
        "Limit CPU real-time period in microseconds",
    ),
    checked(
        "cpu-rt-runtime",
        None,
        "int",
        check_int,
        "Limit CPU real-time runtime in microseconds",
    ),
    checked(
        "cpu-shares",
        Some('c'),
        "int",
        check_int,
        "CPU shares (relative weight)",
    ),
    checked("cpus", None, "decimal", check_cpus, "Number of CPUs"),
    value(
        "cpuset-cpus",
        None,
        "string",
        "CPUs in which to allow execution (0-3, 0,1)",
    ),
    value(
        "cpuset-mems",
        None,
        "string",
        "MEMs in which to allow execution (0-3, 0,1)",
    ),
    boolean(
        "detach",
        Some('d'),
        "Run container in background and print container ID",
    ),
    value(
        "detach-keys",
        None,
        "string",
        "Override the key sequence for detaching a container",
    ),
    value("device", None, "list", "Add a host device to the container"),
    value(
        "device-cgroup-rule",
        None,
        "list",
        "Add a rule to the cgroup allowed devices list",
    ),
    value(
        "device-read-bps",
        None,
        "list",
        "Limit read rate (bytes per second) from a device (default [])",
    ),
    value(
        "device-read-iops",
        None,
        "list",
        "Limit read rate (IO per second) from a device (default [])",
    ),
    value(
        "device-write-bps",
        None,
        "list",
        "Limit write rate (bytes per second) to a device (default [])",
    ),
    value(
        "device-write-iops",
        None,
        "list",
        "Limit write rate (IO per second) to a device (default [])",
    ),
    boolean(
        "disable-content-trust",
        None,
        "Skip image verification (default true)",
    ),
    checked("dns", None, "list", check_ip, "Set custom DNS servers"),
    value("dns-option", None, "list", "Set DNS options"),
    value("dns-search", None, "list", "Set custom DNS search domains"),
    value("domainname", None, "string", "Container NIS domain name"),
    value(
        "entrypoint",
        None,
        "string",
        "Overwrite the default ENTRYPOINT of the image",
    ),
    checked(
        "env",
        Some('e'),
        "list",
        check_env,
        "Set environment variables",
    ),
    value(
        "env-file",
        None,
        "list",
        "Read in a file of environment variables",
    ),
    value("expose", None, "list", "Expose a port or a range of ports"),
    value(
        "gpus",
        None,
        "gpu-request",
        "GPU devices to add to the container ('all' to pass all GPUs)",
    ),
    value("group-add", None, "list", "Add additional groups to join"),
    value(
        "health-cmd",
        None,
        "string",
        "Command to run to check health",
    ),
    checked(
        "health-interval",
        None,
        "duration",
        check_duration,
        "Time between running the check (ms|s|m|h) (default 0s)",
    ),
    checked(
        "health-retries",
        None,
        "int",
        check_int,
        "Consecutive failures needed to report unhealthy",
    ),
    checked(
        "health-start-interval",
        None,
        "duration",
        check_duration,
        "Time between running the check during the start period (ms|s|m|h) (default 0s)",
    ),
    checked(
        "health-start-period",
        None,
        "duration",
        check_duration,
        "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)",
    ),
    checked(
        "health-timeout",
        None,
        "duration",
        check_duration,
        "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
    ),
    boolean("help", None, "Print usage"),
    value("hostname", Some('h'), "string", "Container host name"),
    boolean(
        "init",
        None,
        "Run an init inside the container that forwards signals and reaps processes",
    ),
    boolean(
        "interactive",
        Some('i'),
        "Keep STDIN open even if not attached",
    ),
    checked(
        "io-maxbandwidth",
        None,
        "bytes",
        check_bytes,
        "Maximum IO bandwidth limit for the system drive (Windows only)",
    ),
    checked(
        "io-maxiops",
        None,
        "uint",
        check_uint,
        "Maximum IOps limit for the system drive (Windows only)",
    ),
    value("ip", None, "string", "IPv4 address (e.g., 172.30.100.104)"),
    value("ip6", None, "string", "IPv6 address (e.g., 2001:db8::33)"),
    value("ipc", None, "string", "IPC mode to use"),
    value(
        "isolation",
        None,
        "string",
        "Container isolation technology",
    ),
    checked(
        "kernel-memory",
        None,
        "bytes",
        check_bytes,
        "Kernel memory limit",
    ),
    checked(
        "label",
        Some('l'),
        "list",
        check_label,
        "Set meta data on a container",
    ),
    value(
        "label-file",
        None,
        "list",
        "Read in a line delimited file of labels",
    ),
    value("link", None, "list", "Add link to another container"),
    value(
        "link-local-ip",
        None,
        "list",
        "Container IPv4/IPv6 link-local addresses",
    ),
    value(
        "log-driver",
        None,
        "string",
        "Logging driver for the container",
    ),
    value("log-opt", None, "list", "Log driver options"),
    value(
        "mac-address",
        None,
        "string",
        "Container MAC address (e.g., 92:d0:c6:0a:29:33)",
    ),
    checked("memory", Some('m'), "bytes", check_bytes, "Memory limit"),
    checked(
        "memory-reservation",
        None,
        "bytes",
        check_bytes,
        "Memory soft limit",
    ),
    checked(
        "memory-swap",
        None,
        "bytes",
        check_memory_swap,
        "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    ),
    checked(
        "memory-swappiness",
        None,
        "int",
        check_int,
        "Tune container memory swappiness (0 to 100) (default -1)",
    ),
    checked(
        "mount",
        None,
        "mount",
        check_mount,
        "Attach a filesystem mount to the container",
    ),
    value("name", None, "string", "Assign a name to the container"),
    FlagSpec {
        hidden: true,
        ..value("net", None, "network", "Connect a container to a network")
    },
    FlagSpec {
        hidden: true,
        ..value(
            "net-alias",
            None,
            "list",
            "Add network-scoped alias for the container",
        )
    },
    FlagSpec {
        default: Some("default"),
        ..value(
            "network",
            None,
            "network",
            "Connect a container to a network",
        )
    },
    value(
        "network-alias",
        None,
        "list",
        "Add network-scoped alias for the container",
    ),
    boolean(
        "no-healthcheck",
        None,
        "Disable any container-specified HEALTHCHECK",
    ),
    boolean("oom-kill-disable", None, "Disable OOM Killer"),
    checked(
        "oom-score-adj",
        None,
        "int",
        check_int,
        "Tune host's OOM preferences (-1000 to 1000)",
    ),
    value("pid", None, "string", "PID namespace to use"),
    checked(
        "pids-limit",
        None,
        "int",
        check_int,
        "Tune container pids limit (set -1 for unlimited)",
    ),
    value(
        "platform",
        None,
        "string",
        "Set platform if server is multi-platform capable",
    ),
    boolean(
        "privileged",
        None,
        "Give extended privileges to this container",
    ),
    value(
        "publish",
        Some('p'),
        "list",
        "Publish a container's port(s) to the host",
    ),
    boolean(
        "publish-all",
        Some('P'),
        "Publish all exposed ports to random ports",
    ),
    FlagSpec {
        default: Some("missing"),
        ..value(
            "pull",
            None,
            "string",
            "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")",
        )
    },
    boolean("quiet", Some('q'), "Suppress the pull output"),
    boolean(
        "read-only",
        None,
        "Mount the container's root filesystem as read only",
    ),
    FlagSpec {
        default: Some("no"),
        ..value(
            "restart",
            None,
            "string",
            "Restart policy to apply when a container exits (default \"no\")",
        )
    },
    boolean(
        "rm",
        None,
        "Automatically remove the container and its associated anonymous volumes when it exits",
    ),
    value(
        "runtime",
        None,
        "string",
        "Runtime to use for this container",
    ),
    value("security-opt", None, "list", "Security Options"),
    checked("shm-size", None, "bytes", check_bytes, "Size of /dev/shm"),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "sig-proxy",
            None,
            "Proxy received signals to the process (default true)",
        )
    },
    value(
        "stop-signal",
        None,
        "string",
        "Signal to stop the container",
    ),
    checked(
        "stop-timeout",
        None,
        "int",
        check_int,
        "Timeout (in seconds) to stop a container",
    ),
    value(
        "storage-opt",
        None,
        "list",
        "Storage driver options for the container",
    ),
    checked(
        "sysctl",
        None,
        "map",
        check_sysctl,
        "Sysctl options (default map[])",
    ),
    value("tmpfs", None, "list", "Mount a tmpfs directory"),
    boolean("tty", Some('t'), "Allocate a pseudo-TTY"),
    checked(
        "ulimit",
        None,
        "ulimit",
        check_ulimit,
        "Ulimit options (default [])",
    ),
    boolean(
        "use-api-socket",
        None,
        "Bind mount Docker API socket and required auth",
    ),
    value(
        "user",
        Some('u'),
        "string",
        "Username or UID (format: <name|uid>[:<group|gid>])",
    ),
    value("userns", None, "string", "User namespace to use"),
    value("uts", None, "string", "UTS namespace to use"),
    value("volume", Some('v'), "list", "Bind mount a volume"),
    value(
        "volume-driver",
        None,
        "string",
        "Optional volume driver for the container",
    ),
    value(
        "volumes-from",
        None,
        "list",
        "Mount volumes from the specified container(s)",
    ),
    value(
        "workdir",
        Some('w'),
        "string",
        "Working directory inside the container",
    ),
];
