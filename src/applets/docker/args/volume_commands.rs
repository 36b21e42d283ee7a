//! Flag tables and argument counts of the `docker volume` commands, written
//! by hand from Docker CLI 28's `--help` output and argument errors; the
//! tests check each `--help` against the captured text.

use super::container_flags::{check_bytes, check_label};
use super::tables::{FORMAT_ONLY_FLAGS, HELP, boolean, check_filter, checked, value};
use super::{CommandSpec, FlagSpec};

const VOLUME_CREATE_FLAGS: &[FlagSpec] = &[
    value(
        "availability",
        None,
        "string",
        "Cluster Volume availability (\"active\", \"pause\", \"drain\") (default \"active\")",
    ),
    FlagSpec {
        default: Some("local"),
        ..value(
            "driver",
            Some('d'),
            "string",
            "Specify volume driver name (default \"local\")",
        )
    },
    value(
        "group",
        None,
        "string",
        "Cluster Volume group (cluster volumes)",
    ),
    checked(
        "label",
        None,
        "list",
        check_label,
        "Set metadata for a volume",
    ),
    checked(
        "limit-bytes",
        None,
        "bytes",
        check_bytes,
        "Minimum size of the Cluster Volume in bytes",
    ),
    value(
        "opt",
        Some('o'),
        "map",
        "Set driver specific options (default map[])",
    ),
    checked(
        "required-bytes",
        None,
        "bytes",
        check_bytes,
        "Maximum size of the Cluster Volume in bytes",
    ),
    value(
        "scope",
        None,
        "string",
        "Cluster Volume access scope (\"single\", \"multi\") (default \"single\")",
    ),
    value(
        "secret",
        None,
        "map",
        "Cluster Volume secrets (default map[])",
    ),
    value(
        "sharing",
        None,
        "string",
        "Cluster Volume access sharing (\"none\", \"readonly\", \"onewriter\", \"all\") (default \"none\")",
    ),
    value(
        "topology-preferred",
        None,
        "list",
        "A topology that the Cluster Volume would be preferred in",
    ),
    value(
        "topology-required",
        None,
        "list",
        "A topology that the Cluster Volume must be accessible from",
    ),
    value(
        "type",
        None,
        "string",
        "Cluster Volume access type (\"mount\", \"block\") (default \"block\")",
    ),
    HELP,
];
pub const VOLUME_CREATE: CommandSpec = CommandSpec {
    name: "volume create",
    usage: "docker volume create [OPTIONS] [VOLUME]",
    short: "Create a volume",
    aliases: "",
    flags: VOLUME_CREATE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(1),
};

const VOLUME_LS_FLAGS: &[FlagSpec] = &[
    boolean(
        "cluster",
        None,
        "Display only cluster volumes, and use cluster volume list formatting",
    ),
    checked(
        "filter",
        Some('f'),
        "filter",
        check_filter,
        "Provide filter values (e.g. \"dangling=true\")",
    ),
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    boolean("quiet", Some('q'), "Only display volume names"),
    HELP,
];
pub const VOLUME_LS: CommandSpec = CommandSpec {
    name: "volume ls",
    usage: "docker volume ls [OPTIONS]",
    short: "List volumes",
    aliases: "docker volume ls, docker volume list",
    flags: VOLUME_LS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

pub const VOLUME_INSPECT: CommandSpec = CommandSpec {
    name: "volume inspect",
    usage: "docker volume inspect [OPTIONS] VOLUME [VOLUME...]",
    short: "Display detailed information on one or more volumes",
    aliases: "",
    flags: FORMAT_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const VOLUME_RM_FLAGS: &[FlagSpec] = &[
    boolean(
        "force",
        Some('f'),
        "Force the removal of one or more volumes",
    ),
    HELP,
];
pub const VOLUME_RM: CommandSpec = CommandSpec {
    name: "volume rm",
    usage: "docker volume rm [OPTIONS] VOLUME [VOLUME...]",
    short: "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
    aliases: "docker volume rm, docker volume remove",
    flags: VOLUME_RM_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const VOLUME_PRUNE_FLAGS: &[FlagSpec] = &[
    boolean(
        "all",
        Some('a'),
        "Remove all unused volumes, not just anonymous ones",
    ),
    checked(
        "filter",
        None,
        "filter",
        check_filter,
        "Provide filter values (e.g. \"label=<label>\")",
    ),
    boolean("force", Some('f'), "Do not prompt for confirmation"),
    HELP,
];
pub const VOLUME_PRUNE: CommandSpec = CommandSpec {
    name: "volume prune",
    usage: "docker volume prune [OPTIONS]",
    short: "Remove unused local volumes",
    aliases: "",
    flags: VOLUME_PRUNE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};
