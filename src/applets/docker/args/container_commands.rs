//! Flag tables and argument counts of the container commands, written by hand
//! from their `--help` output and argument errors (Docker CLI 28); the tests
//! check each `--help` against the captured text.

use super::container_flags::{
    check_bytes, check_cpus, check_env, check_int, check_memory_swap, check_uint16,
};
use super::tables::{HELP, HELP_ONLY_FLAGS, boolean, check_filter, checked, value};
use super::{CommandSpec, FlagSpec};

const ATTACH_FLAGS: &[FlagSpec] = &[
    value(
        "detach-keys",
        None,
        "string",
        "Override the key sequence for detaching a container",
    ),
    boolean("no-stdin", None, "Do not attach STDIN"),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "sig-proxy",
            None,
            "Proxy all received signals to the process (default true)",
        )
    },
    HELP,
];
pub const ATTACH: CommandSpec = CommandSpec {
    name: "attach",
    usage: "docker attach [OPTIONS] CONTAINER",
    short: "Attach local standard input, output, and error streams to a running container",
    aliases: "docker container attach, docker attach",
    flags: ATTACH_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const COMMIT_FLAGS: &[FlagSpec] = &[
    value(
        "author",
        Some('a'),
        "string",
        "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")",
    ),
    value(
        "change",
        Some('c'),
        "list",
        "Apply Dockerfile instruction to the created image",
    ),
    value("message", Some('m'), "string", "Commit message"),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "pause",
            Some('p'),
            "Pause container during commit (default true)",
        )
    },
    HELP,
];
pub const COMMIT: CommandSpec = CommandSpec {
    name: "commit",
    usage: "docker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
    short: "Create a new image from a container's changes",
    aliases: "docker container commit, docker commit",
    flags: COMMIT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(2),
};

/// Also `network prune`'s: the same two options.
pub(super) const CONTAINER_PRUNE_FLAGS: &[FlagSpec] = &[
    checked(
        "filter",
        None,
        "filter",
        check_filter,
        "Provide filter values (e.g. \"until=<timestamp>\")",
    ),
    boolean("force", Some('f'), "Do not prompt for confirmation"),
    HELP,
];
pub const CONTAINER_PRUNE: CommandSpec = CommandSpec {
    name: "container prune",
    usage: "docker container prune [OPTIONS]",
    short: "Remove all stopped containers",
    aliases: "",
    flags: CONTAINER_PRUNE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const CP_FLAGS: &[FlagSpec] = &[
    boolean(
        "archive",
        Some('a'),
        "Archive mode (copy all uid/gid information)",
    ),
    boolean(
        "follow-link",
        Some('L'),
        "Always follow symbol link in SRC_PATH",
    ),
    boolean(
        "quiet",
        Some('q'),
        "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached",
    ),
    HELP,
];
pub const CP: CommandSpec = CommandSpec {
    name: "cp",
    usage: "docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
    short: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
    aliases: "docker container cp, docker cp",
    flags: CP_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 2,
    max_args: Some(2),
};

pub const DIFF: CommandSpec = CommandSpec {
    name: "diff",
    usage: "docker diff CONTAINER",
    short: "Inspect changes to files or directories on a container's filesystem",
    aliases: "docker container diff, docker diff",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const EXEC_FLAGS: &[FlagSpec] = &[
    boolean(
        "detach",
        Some('d'),
        "Detached mode: run command in the background",
    ),
    value(
        "detach-keys",
        None,
        "string",
        "Override the key sequence for detaching a container",
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
    boolean(
        "interactive",
        Some('i'),
        "Keep STDIN open even if not attached",
    ),
    boolean(
        "privileged",
        None,
        "Give extended privileges to the command",
    ),
    boolean("tty", Some('t'), "Allocate a pseudo-TTY"),
    value(
        "user",
        Some('u'),
        "string",
        "Username or UID (format: \"<name|uid>[:<group|gid>]\")",
    ),
    value(
        "workdir",
        Some('w'),
        "string",
        "Working directory inside the container",
    ),
    HELP,
];
pub const EXEC: CommandSpec = CommandSpec {
    name: "exec",
    usage: "docker exec [OPTIONS] CONTAINER COMMAND [ARG...]",
    short: "Execute a command in a running container",
    aliases: "docker container exec, docker exec",
    flags: EXEC_FLAGS,
    exclude: &[],
    interspersed: false,
    min_args: 2,
    max_args: None,
};

const EXPORT_FLAGS: &[FlagSpec] = &[
    value(
        "output",
        Some('o'),
        "string",
        "Write to a file, instead of STDOUT",
    ),
    HELP,
];
pub const EXPORT: CommandSpec = CommandSpec {
    name: "export",
    usage: "docker export [OPTIONS] CONTAINER",
    short: "Export a container's filesystem as a tar archive",
    aliases: "docker container export, docker export",
    flags: EXPORT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const KILL_FLAGS: &[FlagSpec] = &[
    value(
        "signal",
        Some('s'),
        "string",
        "Signal to send to the container",
    ),
    HELP,
];
pub const KILL: CommandSpec = CommandSpec {
    name: "kill",
    usage: "docker kill [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Kill one or more running containers",
    aliases: "docker container kill, docker kill",
    flags: KILL_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const LOGS_FLAGS: &[FlagSpec] = &[
    boolean("details", None, "Show extra details provided to logs"),
    boolean("follow", Some('f'), "Follow log output"),
    value(
        "since",
        None,
        "string",
        "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
    ),
    FlagSpec {
        default: Some("all"),
        ..value(
            "tail",
            Some('n'),
            "string",
            "Number of lines to show from the end of the logs (default \"all\")",
        )
    },
    boolean("timestamps", Some('t'), "Show timestamps"),
    value(
        "until",
        None,
        "string",
        "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
    ),
    HELP,
];
pub const LOGS: CommandSpec = CommandSpec {
    name: "logs",
    usage: "docker logs [OPTIONS] CONTAINER",
    short: "Fetch the logs of a container",
    aliases: "docker container logs, docker logs",
    flags: LOGS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

pub const PAUSE: CommandSpec = CommandSpec {
    name: "pause",
    usage: "docker pause CONTAINER [CONTAINER...]",
    short: "Pause all processes within one or more containers",
    aliases: "docker container pause, docker pause",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

pub const PORT: CommandSpec = CommandSpec {
    name: "port",
    usage: "docker port CONTAINER [PRIVATE_PORT[/PROTO]]",
    short: "List port mappings or a specific mapping for the container",
    aliases: "docker container port, docker port",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(2),
};

pub const RENAME: CommandSpec = CommandSpec {
    name: "rename",
    usage: "docker rename CONTAINER NEW_NAME",
    short: "Rename a container",
    aliases: "docker container rename, docker rename",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 2,
    max_args: Some(2),
};

pub const RESTART: CommandSpec = CommandSpec {
    name: "restart",
    usage: "docker restart [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Restart one or more containers",
    aliases: "docker container restart, docker restart",
    flags: STOP_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const RM_FLAGS: &[FlagSpec] = &[
    boolean(
        "force",
        Some('f'),
        "Force the removal of a running container (uses SIGKILL)",
    ),
    boolean("link", Some('l'), "Remove the specified link"),
    boolean(
        "volumes",
        Some('v'),
        "Remove anonymous volumes associated with the container",
    ),
    HELP,
];
pub const RM: CommandSpec = CommandSpec {
    name: "rm",
    usage: "docker rm [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Remove one or more containers",
    aliases: "docker container rm, docker container remove, docker rm",
    flags: RM_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const START_FLAGS: &[FlagSpec] = &[
    boolean(
        "attach",
        Some('a'),
        "Attach STDOUT/STDERR and forward signals",
    ),
    value(
        "detach-keys",
        None,
        "string",
        "Override the key sequence for detaching a container",
    ),
    boolean("interactive", Some('i'), "Attach container's STDIN"),
    HELP,
];
pub const START: CommandSpec = CommandSpec {
    name: "start",
    usage: "docker start [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Start one or more stopped containers",
    aliases: "docker container start, docker start",
    flags: START_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const STATS_FLAGS: &[FlagSpec] = &[
    FlagSpec {
        default: Some("shows just running"),
        ..boolean(
            "all",
            Some('a'),
            "Show all containers (default shows just running)",
        )
    },
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    boolean(
        "no-stream",
        None,
        "Disable streaming stats and only pull the first result",
    ),
    boolean("no-trunc", None, "Do not truncate output"),
    HELP,
];
pub const STATS: CommandSpec = CommandSpec {
    name: "stats",
    usage: "docker stats [OPTIONS] [CONTAINER...]",
    short: "Display a live stream of container(s) resource usage statistics",
    aliases: "docker container stats, docker stats",
    flags: STATS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: None,
};

/// `stop` and `restart` take the same options.
const STOP_FLAGS: &[FlagSpec] = &[
    value(
        "signal",
        Some('s'),
        "string",
        "Signal to send to the container",
    ),
    checked(
        "timeout",
        Some('t'),
        "int",
        check_int,
        "Seconds to wait before killing the container",
    ),
    // Deprecated; `docker stop`/`restart` warn when it is used.
    FlagSpec {
        hidden: true,
        ..checked(
            "time",
            None,
            "int",
            check_int,
            "Seconds to wait before killing the container (deprecated: use --timeout)",
        )
    },
    HELP,
];
pub const STOP: CommandSpec = CommandSpec {
    name: "stop",
    usage: "docker stop [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Stop one or more running containers",
    aliases: "docker container stop, docker stop",
    flags: STOP_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

pub const TOP: CommandSpec = CommandSpec {
    name: "top",
    usage: "docker top CONTAINER [ps OPTIONS]",
    short: "Display the running processes of a container",
    aliases: "docker container top, docker top",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    // Everything after the container goes to ps.
    interspersed: false,
    min_args: 1,
    max_args: None,
};

pub const UNPAUSE: CommandSpec = CommandSpec {
    name: "unpause",
    usage: "docker unpause CONTAINER [CONTAINER...]",
    short: "Unpause all processes within one or more containers",
    aliases: "docker container unpause, docker unpause",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const UPDATE_FLAGS: &[FlagSpec] = &[
    checked(
        "blkio-weight",
        None,
        "uint16",
        check_uint16,
        "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
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
        "Limit the CPU real-time period in microseconds",
    ),
    checked(
        "cpu-rt-runtime",
        None,
        "int",
        check_int,
        "Limit the CPU real-time runtime in microseconds",
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
    checked("memory", Some('m'), "bytes", check_bytes, "Memory limit"),
    FlagSpec {
        hidden: true,
        ..checked(
            "kernel-memory",
            None,
            "bytes",
            check_bytes,
            "Kernel memory limit (deprecated)",
        )
    },
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
        "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
    ),
    checked(
        "pids-limit",
        None,
        "int",
        check_int,
        "Tune container pids limit (set -1 for unlimited)",
    ),
    value(
        "restart",
        None,
        "string",
        "Restart policy to apply when a container exits",
    ),
    HELP,
];
pub const UPDATE: CommandSpec = CommandSpec {
    name: "update",
    usage: "docker update [OPTIONS] CONTAINER [CONTAINER...]",
    short: "Update configuration of one or more containers",
    aliases: "docker container update, docker update",
    flags: UPDATE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

pub const WAIT: CommandSpec = CommandSpec {
    name: "wait",
    usage: "docker wait CONTAINER [CONTAINER...]",
    short: "Block until one or more containers stop, then print their exit codes",
    aliases: "docker container wait, docker wait",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};
