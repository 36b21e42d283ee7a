//! Flag tables of docker commands, as data. Names, shorthands and types
//! are those `docker run --help` and friends list (Docker CLI 28); hidden
//! aliases (`--net`) are included because scripts use them.

use super::container_flags::{CONTAINER_FLAGS, check_int};
use super::{Check, CommandSpec, FlagSpec, FlagValue};

pub(super) fn check_filter(v: &str) -> Result<FlagValue, String> {
    if v.is_empty() {
        return Ok(FlagValue::Text(String::new()));
    }
    crate::applets::docker::parse::filters::parse_filter(v)
        .map(|(name, value)| FlagValue::Text(format!("{name}={value}")))
}

pub(super) const fn boolean(
    long: &'static str,
    short: Option<char>,
    usage: &'static str,
) -> FlagSpec {
    FlagSpec {
        long,
        short,
        value_type: None,
        usage,
        hidden: false,
        default: None,
        check: None,
    }
}

pub(super) const fn value(
    long: &'static str,
    short: Option<char>,
    value_type: &'static str,
    usage: &'static str,
) -> FlagSpec {
    FlagSpec {
        long,
        short,
        value_type: Some(value_type),
        usage,
        hidden: false,
        default: None,
        check: None,
    }
}

pub(super) const fn checked(
    long: &'static str,
    short: Option<char>,
    value_type: &'static str,
    check: Check,
    usage: &'static str,
) -> FlagSpec {
    FlagSpec {
        check: Some(check),
        ..value(long, short, value_type, usage)
    }
}

pub const RUN: CommandSpec = CommandSpec {
    name: "run",
    usage: "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
    short: "Create and run a new container from an image",
    aliases: "docker container run, docker run",
    flags: CONTAINER_FLAGS,
    exclude: &[],
    interspersed: false,
    min_args: 1,
    max_args: None,
};

pub const CREATE: CommandSpec = CommandSpec {
    name: "create",
    usage: "docker create [OPTIONS] IMAGE [COMMAND] [ARG...]",
    short: "Create a new container",
    aliases: "docker container create, docker create",
    flags: CONTAINER_FLAGS,
    exclude: &["detach", "detach-keys", "sig-proxy"],
    interspersed: false,
    min_args: 1,
    max_args: None,
};

const PS_FLAGS: &[FlagSpec] = &[
    boolean(
        "all",
        Some('a'),
        "Show all containers (default shows just running)",
    ),
    checked(
        "filter",
        Some('f'),
        "filter",
        check_filter,
        "Filter output based on conditions provided",
    ),
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    HELP,
    FlagSpec {
        default: Some("-1"),
        ..checked(
            "last",
            Some('n'),
            "int",
            check_int,
            "Show n last created containers (includes all states) (default -1)",
        )
    },
    boolean(
        "latest",
        Some('l'),
        "Show the latest created container (includes all states)",
    ),
    boolean("no-trunc", None, "Don't truncate output"),
    boolean("quiet", Some('q'), "Only display container IDs"),
    boolean("size", Some('s'), "Display total file sizes"),
];

pub const PS: CommandSpec = CommandSpec {
    name: "ps",
    usage: "docker ps [OPTIONS]",
    short: "List containers",
    aliases: "docker container ls, docker container list, docker container ps, docker ps",
    flags: PS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const GLOBAL_FLAGS: &[FlagSpec] = &[
    value(
        "config",
        None,
        "string",
        "Location of client config files (default \"$HOME/.docker\")",
    ),
    value(
        "context",
        Some('c'),
        "string",
        "Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with \"docker context use\")",
    ),
    boolean("debug", Some('D'), "Enable debug mode"),
    FlagSpec {
        hidden: true,
        ..boolean("help", Some('h'), "Print usage")
    },
    value("host", Some('H'), "list", "Daemon socket to connect to"),
    // A bad level is reported after parsing ("Unable to parse logging
    // level: x", exit 1), not as a flag error.
    FlagSpec {
        default: Some("info"),
        ..value(
            "log-level",
            Some('l'),
            "string",
            "Set the logging level (\"debug\", \"info\", \"warn\", \"error\", \"fatal\") (default \"info\")",
        )
    },
    boolean("tls", None, "Use TLS; implied by --tlsverify"),
    value(
        "tlscacert",
        None,
        "string",
        "Trust certs signed only by this CA (default \"$HOME/.docker/ca.pem\")",
    ),
    value(
        "tlscert",
        None,
        "string",
        "Path to TLS certificate file (default \"$HOME/.docker/cert.pem\")",
    ),
    value(
        "tlskey",
        None,
        "string",
        "Path to TLS key file (default \"$HOME/.docker/key.pem\")",
    ),
    boolean("tlsverify", None, "Use TLS and verify the remote"),
    boolean("version", Some('v'), "Print version information and quit"),
];

/// The options before the command name (`docker -H unix:///x ps`);
/// parsing stops at the command.
pub const GLOBAL: CommandSpec = CommandSpec {
    name: "",
    usage: "docker [OPTIONS] COMMAND [ARG...]",
    short: "A self-sufficient runtime for containers",
    aliases: "",
    flags: GLOBAL_FLAGS,
    exclude: &[],
    interspersed: false,
    min_args: 0,
    max_args: None,
};

/// The hidden `--help` of every command.
pub(super) const HELP: FlagSpec = FlagSpec {
    hidden: true,
    ..boolean("help", None, "Print usage")
};

/// The table of the commands that take no option but `--help`.
pub(super) const HELP_ONLY_FLAGS: &[FlagSpec] = &[HELP];

/// `--format` of the commands that print one object (`inspect`, `info`,
/// `version`): docker/cli gives them all the same help text.
pub(super) const INSPECT_FORMAT_USAGE: &str = "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/// The table of `info` and `version`, whose only option is `--format`.
pub(super) const FORMAT_ONLY_FLAGS: &[FlagSpec] = &[
    value("format", Some('f'), "string", INSPECT_FORMAT_USAGE),
    HELP,
];

const CONTAINER_INSPECT_FLAGS: &[FlagSpec] = &[
    value("format", Some('f'), "string", INSPECT_FORMAT_USAGE),
    HELP,
    boolean("size", Some('s'), "Display total file sizes"),
];

pub const CONTAINER_INSPECT: CommandSpec = CommandSpec {
    name: "container inspect",
    usage: "docker container inspect [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Display detailed information on one or more containers",
    aliases: "",
    flags: CONTAINER_INSPECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const IMAGE_INSPECT_FLAGS: &[FlagSpec] = &[
    value("format", Some('f'), "string", INSPECT_FORMAT_USAGE),
    HELP,
    value(
        "platform",
        None,
        "string",
        "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
    ),
];

pub const IMAGE_INSPECT: CommandSpec = CommandSpec {
    name: "image inspect",
    usage: "docker image inspect [OPTIONS] IMAGE [IMAGE...]",
    short: "Display detailed information on one or more images",
    aliases: "",
    flags: IMAGE_INSPECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

/// Subcommands of a group the client has no table for, with their
/// descriptions as `docker GROUP` lists them.
const UNTABLED_SUBCOMMANDS: &[(&str, &str)] =
    &[("image build", "Build an image from a Dockerfile")];

/// cobra's Short where a command's help shows a longer Long: the group
/// listing shows the Short.
const LISTED_SHORTS: &[(&str, &str)] = &[("volume rm", "Remove one or more volumes")];

/// The subcommands `docker GROUP` lists: name and one-line description,
/// sorted by name.
pub fn group_commands(group: &str) -> Vec<(String, &'static str)> {
    let prefix = format!("{group} ");
    let mut list: Vec<(String, &'static str)> = Vec::new();
    let mut add = |name: &str, short: &'static str| {
        if let Some(sub) = name.strip_prefix(&prefix)
            && !list.iter().any(|(known, _)| known == sub)
        {
            list.push((sub.to_string(), short));
        }
    };
    for (name, short) in LISTED_SHORTS {
        add(name, short);
    }
    for spec in super::commands::COMMANDS {
        let aliases = spec
            .aliases
            .split(", ")
            .filter_map(|a| a.strip_prefix("docker "));
        // The first alias under the group is the subcommand's own name.
        if let Some(name) = std::iter::once(spec.name)
            .chain(aliases)
            .find(|name| name.starts_with(&prefix))
        {
            add(name, spec.short);
        }
    }
    for (name, short) in UNTABLED_SUBCOMMANDS {
        add(name, short);
    }
    list.sort();
    list
}

/// The syntax of a command by any name `docker` knows it under
/// (`ps`, `container ls`, `image rm`, ...).
pub fn find_command(name: &str) -> Option<&'static CommandSpec> {
    super::commands::COMMANDS.iter().copied().find(|spec| {
        spec.name == name
            || spec
                .aliases
                .split(", ")
                .any(|alias| alias.strip_prefix("docker ") == Some(name))
    })
}
