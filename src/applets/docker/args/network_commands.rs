//! Flag tables and argument counts of the `docker network` commands,
//! written by hand from Docker CLI 28's `--help` output and argument
//! errors; the tests check each `--help` against the captured text.

use super::container_commands::CONTAINER_PRUNE_FLAGS;
use super::container_flags::{check_int, check_label};
use super::tables::{HELP, INSPECT_FORMAT_USAGE, boolean, check_filter, checked, value};
use super::{CommandSpec, FlagSpec};

const NETWORK_CREATE_FLAGS: &[FlagSpec] = &[
    boolean("attachable", None, "Enable manual container attachment"),
    value(
        "aux-address",
        None,
        "map",
        "Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])",
    ),
    value(
        "config-from",
        None,
        "string",
        "The network from which to copy the configuration",
    ),
    boolean("config-only", None, "Create a configuration only network"),
    FlagSpec {
        default: Some("bridge"),
        ..value(
            "driver",
            Some('d'),
            "string",
            "Driver to manage the Network (default \"bridge\")",
        )
    },
    value(
        "gateway",
        None,
        "strings",
        "IPv4 or IPv6 Gateway for the master subnet",
    ),
    boolean("ingress", None, "Create swarm routing-mesh network"),
    boolean("internal", None, "Restrict external access to the network"),
    value(
        "ip-range",
        None,
        "strings",
        "Allocate container ip from a sub-range",
    ),
    FlagSpec {
        default: Some("default"),
        ..value(
            "ipam-driver",
            None,
            "string",
            "IP Address Management Driver (default \"default\")",
        )
    },
    value(
        "ipam-opt",
        None,
        "map",
        "Set IPAM driver specific options (default map[])",
    ),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "ipv4",
            None,
            "Enable or disable IPv4 address assignment (default true)",
        )
    },
    boolean("ipv6", None, "Enable or disable IPv6 address assignment"),
    checked(
        "label",
        None,
        "list",
        check_label,
        "Set metadata on a network",
    ),
    value(
        "opt",
        Some('o'),
        "map",
        "Set driver specific options (default map[])",
    ),
    value("scope", None, "string", "Control the network's scope"),
    value(
        "subnet",
        None,
        "strings",
        "Subnet in CIDR format that represents a network segment",
    ),
    HELP,
];
pub const NETWORK_CREATE: CommandSpec = CommandSpec {
    name: "network create",
    usage: "docker network create [OPTIONS] NETWORK",
    short: "Create a network",
    aliases: "",
    flags: NETWORK_CREATE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const NETWORK_LS_FLAGS: &[FlagSpec] = &[
    checked(
        "filter",
        Some('f'),
        "filter",
        check_filter,
        "Provide filter values (e.g. \"driver=bridge\")",
    ),
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    boolean("no-trunc", None, "Do not truncate the output"),
    boolean("quiet", Some('q'), "Only display network IDs"),
    HELP,
];
pub const NETWORK_LS: CommandSpec = CommandSpec {
    name: "network ls",
    usage: "docker network ls [OPTIONS]",
    short: "List networks",
    aliases: "docker network ls, docker network list",
    flags: NETWORK_LS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const NETWORK_INSPECT_FLAGS: &[FlagSpec] = &[
    value("format", Some('f'), "string", INSPECT_FORMAT_USAGE),
    HELP,
    boolean("verbose", Some('v'), "Verbose output for diagnostics"),
];
pub const NETWORK_INSPECT: CommandSpec = CommandSpec {
    name: "network inspect",
    usage: "docker network inspect [OPTIONS] NETWORK [NETWORK...]",
    short: "Display detailed information on one or more networks",
    aliases: "",
    flags: NETWORK_INSPECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const NETWORK_RM_FLAGS: &[FlagSpec] = &[
    boolean(
        "force",
        Some('f'),
        "Do not error if the network does not exist",
    ),
    HELP,
];
pub const NETWORK_RM: CommandSpec = CommandSpec {
    name: "network rm",
    usage: "docker network rm NETWORK [NETWORK...]",
    short: "Remove one or more networks",
    aliases: "docker network rm, docker network remove",
    flags: NETWORK_RM_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const NETWORK_CONNECT_FLAGS: &[FlagSpec] = &[
    value(
        "alias",
        None,
        "strings",
        "Add network-scoped alias for the container",
    ),
    value(
        "driver-opt",
        None,
        "strings",
        "driver options for the network",
    ),
    checked(
        "gw-priority",
        None,
        "int",
        check_int,
        "Highest gw-priority provides the default gateway. Accepts positive and negative values.",
    ),
    value(
        "ip",
        None,
        "string",
        "IPv4 address (e.g., \"172.30.100.104\")",
    ),
    value(
        "ip6",
        None,
        "string",
        "IPv6 address (e.g., \"2001:db8::33\")",
    ),
    value("link", None, "list", "Add link to another container"),
    value(
        "link-local-ip",
        None,
        "strings",
        "Add a link-local address for the container",
    ),
    HELP,
];
pub const NETWORK_CONNECT: CommandSpec = CommandSpec {
    name: "network connect",
    usage: "docker network connect [OPTIONS] NETWORK CONTAINER",
    short: "Connect a container to a network",
    aliases: "",
    flags: NETWORK_CONNECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 2,
    max_args: Some(2),
};

const NETWORK_DISCONNECT_FLAGS: &[FlagSpec] = &[
    boolean(
        "force",
        Some('f'),
        "Force the container to disconnect from a network",
    ),
    HELP,
];
pub const NETWORK_DISCONNECT: CommandSpec = CommandSpec {
    name: "network disconnect",
    usage: "docker network disconnect [OPTIONS] NETWORK CONTAINER",
    short: "Disconnect a container from a network",
    aliases: "",
    flags: NETWORK_DISCONNECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 2,
    max_args: Some(2),
};

pub const NETWORK_PRUNE: CommandSpec = CommandSpec {
    name: "network prune",
    usage: "docker network prune [OPTIONS]",
    short: "Remove all unused networks",
    aliases: "",
    flags: CONTAINER_PRUNE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};
