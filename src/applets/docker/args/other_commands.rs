//! Flag tables and argument counts of the image and system commands, written by hand
//! from their `--help` output and argument errors (Docker CLI 28); the tests
//! check each `--help` against the captured text.

use super::tables::{
    FORMAT_ONLY_FLAGS, HELP, HELP_ONLY_FLAGS, INSPECT_FORMAT_USAGE, boolean, check_filter, checked,
    value,
};
use super::{CommandSpec, FlagSpec};

const EVENTS_FLAGS: &[FlagSpec] = &[
    checked(
        "filter",
        Some('f'),
        "filter",
        check_filter,
        "Filter output based on conditions provided",
    ),
    value("format", None, "string", INSPECT_FORMAT_USAGE),
    value(
        "since",
        None,
        "string",
        "Show all events created since timestamp",
    ),
    value(
        "until",
        None,
        "string",
        "Stream events until this timestamp",
    ),
    HELP,
];
pub const EVENTS: CommandSpec = CommandSpec {
    name: "events",
    usage: "docker events [OPTIONS]",
    short: "Get real time events from the server",
    aliases: "docker system events, docker events",
    flags: EVENTS_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const HISTORY_FLAGS: &[FlagSpec] = &[
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "human",
            Some('H'),
            "Print sizes and dates in human readable format (default true)",
        )
    },
    boolean("no-trunc", None, "Don't truncate output"),
    value(
        "platform",
        None,
        "string",
        "Show history for the given platform. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")",
    ),
    boolean("quiet", Some('q'), "Only show image IDs"),
    HELP,
];
pub const HISTORY: CommandSpec = CommandSpec {
    name: "history",
    usage: "docker history [OPTIONS] IMAGE",
    short: "Show the history of an image",
    aliases: "docker image history, docker history",
    flags: HISTORY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const IMAGE_PRUNE_FLAGS: &[FlagSpec] = &[
    boolean(
        "all",
        Some('a'),
        "Remove all unused images, not just dangling ones",
    ),
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
pub const IMAGE_PRUNE: CommandSpec = CommandSpec {
    name: "image prune",
    usage: "docker image prune [OPTIONS]",
    short: "Remove unused images",
    aliases: "",
    flags: IMAGE_PRUNE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const IMAGES_FLAGS: &[FlagSpec] = &[
    FlagSpec {
        default: Some("hides intermediate images"),
        ..boolean(
            "all",
            Some('a'),
            "Show all images (default hides intermediate images)",
        )
    },
    boolean("digests", None, "Show digests"),
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
    boolean("no-trunc", None, "Don't truncate output"),
    boolean("quiet", Some('q'), "Only show image IDs"),
    boolean(
        "tree",
        None,
        "List multi-platform images as a tree (EXPERIMENTAL)",
    ),
    HELP,
];
pub const IMAGES: CommandSpec = CommandSpec {
    name: "images",
    usage: "docker images [OPTIONS] [REPOSITORY[:TAG]]",
    short: "List images",
    aliases: "docker image ls, docker image list, docker images",
    flags: IMAGES_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(1),
};

const IMPORT_FLAGS: &[FlagSpec] = &[
    value(
        "change",
        Some('c'),
        "list",
        "Apply Dockerfile instruction to the created image",
    ),
    value(
        "message",
        Some('m'),
        "string",
        "Set commit message for imported image",
    ),
    value(
        "platform",
        None,
        "string",
        "Set platform if server is multi-platform capable",
    ),
    HELP,
];
pub const IMPORT: CommandSpec = CommandSpec {
    name: "import",
    usage: "docker import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    short: "Import the contents from a tarball to create a filesystem image",
    aliases: "docker image import, docker import",
    flags: IMPORT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

pub const INFO: CommandSpec = CommandSpec {
    name: "info",
    usage: "docker info [OPTIONS]",
    short: "Display system-wide information",
    aliases: "docker system info, docker info",
    flags: FORMAT_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const INSPECT_FLAGS: &[FlagSpec] = &[
    value("format", Some('f'), "string", INSPECT_FORMAT_USAGE),
    boolean(
        "size",
        Some('s'),
        "Display total file sizes if the type is container",
    ),
    value(
        "type",
        None,
        "string",
        "Only inspect objects of the given type",
    ),
    HELP,
];
pub const INSPECT: CommandSpec = CommandSpec {
    name: "inspect",
    usage: "docker inspect [OPTIONS] NAME|ID [NAME|ID...]",
    short: "Return low-level information on Docker objects",
    aliases: "",
    flags: INSPECT_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const LOAD_FLAGS: &[FlagSpec] = &[
    value(
        "input",
        Some('i'),
        "string",
        "Read from tar archive file, instead of STDIN",
    ),
    value(
        "platform",
        None,
        "string",
        "Load only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")",
    ),
    boolean("quiet", Some('q'), "Suppress the load output"),
    HELP,
];
pub const LOAD: CommandSpec = CommandSpec {
    name: "load",
    usage: "docker load [OPTIONS]",
    short: "Load an image from a tar archive or STDIN",
    aliases: "docker image load, docker load",
    flags: LOAD_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const PULL_FLAGS: &[FlagSpec] = &[
    boolean(
        "all-tags",
        Some('a'),
        "Download all tagged images in the repository",
    ),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "disable-content-trust",
            None,
            "Skip image verification (default true)",
        )
    },
    value(
        "platform",
        None,
        "string",
        "Set platform if server is multi-platform capable",
    ),
    boolean("quiet", Some('q'), "Suppress verbose output"),
    HELP,
];
pub const PULL: CommandSpec = CommandSpec {
    name: "pull",
    usage: "docker pull [OPTIONS] NAME[:TAG|@DIGEST]",
    short: "Download an image from a registry",
    aliases: "docker image pull, docker pull",
    flags: PULL_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const PUSH_FLAGS: &[FlagSpec] = &[
    boolean(
        "all-tags",
        Some('a'),
        "Push all tags of an image to the repository",
    ),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "disable-content-trust",
            None,
            "Skip image signing (default true)",
        )
    },
    value(
        "platform",
        None,
        "string",
        "Push a platform-specific manifest as a single-platform image to the registry. Image index won't be pushed, meaning that other manifests, including attestations won't be preserved. 'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
    ),
    boolean("quiet", Some('q'), "Suppress verbose output"),
    HELP,
];
pub const PUSH: CommandSpec = CommandSpec {
    name: "push",
    usage: "docker push [OPTIONS] NAME[:TAG]",
    short: "Upload an image to a registry",
    aliases: "docker image push, docker push",
    flags: PUSH_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};

const RMI_FLAGS: &[FlagSpec] = &[
    boolean("force", Some('f'), "Force removal of the image"),
    boolean("no-prune", None, "Do not delete untagged parents"),
    value(
        "platform",
        None,
        "strings",
        "Remove only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")",
    ),
    HELP,
];
pub const RMI: CommandSpec = CommandSpec {
    name: "rmi",
    usage: "docker rmi [OPTIONS] IMAGE [IMAGE...]",
    short: "Remove one or more images",
    aliases: "docker image rm, docker image remove, docker rmi",
    flags: RMI_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const SAVE_FLAGS: &[FlagSpec] = &[
    value(
        "output",
        Some('o'),
        "string",
        "Write to a file, instead of STDOUT",
    ),
    value(
        "platform",
        None,
        "string",
        "Save only the given platform variant. Formatted as \"os[/arch[/variant]]\" (e.g., \"linux/amd64\")",
    ),
    HELP,
];
pub const SAVE: CommandSpec = CommandSpec {
    name: "save",
    usage: "docker save [OPTIONS] IMAGE [IMAGE...]",
    short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
    aliases: "docker image save, docker save",
    flags: SAVE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: None,
};

const SYSTEM_DF_FLAGS: &[FlagSpec] = &[
    value(
        "format",
        None,
        "string",
        "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
    ),
    boolean(
        "verbose",
        Some('v'),
        "Show detailed information on space usage",
    ),
    HELP,
];
pub const SYSTEM_DF: CommandSpec = CommandSpec {
    name: "system df",
    usage: "docker system df [OPTIONS]",
    short: "Show docker disk usage",
    aliases: "",
    flags: SYSTEM_DF_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const SYSTEM_PRUNE_FLAGS: &[FlagSpec] = &[
    boolean(
        "all",
        Some('a'),
        "Remove all unused images not just dangling ones",
    ),
    checked(
        "filter",
        None,
        "filter",
        check_filter,
        "Provide filter values (e.g. \"label=<key>=<value>\")",
    ),
    boolean("force", Some('f'), "Do not prompt for confirmation"),
    boolean("volumes", None, "Prune anonymous volumes"),
    HELP,
];
pub const SYSTEM_PRUNE: CommandSpec = CommandSpec {
    name: "system prune",
    usage: "docker system prune [OPTIONS]",
    short: "Remove unused data",
    aliases: "",
    flags: SYSTEM_PRUNE_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

pub const TAG: CommandSpec = CommandSpec {
    name: "tag",
    usage: "docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    aliases: "docker image tag, docker tag",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 2,
    max_args: Some(2),
};

pub const VERSION: CommandSpec = CommandSpec {
    name: "version",
    usage: "docker version [OPTIONS]",
    short: "Show the Docker version information",
    aliases: "",
    flags: FORMAT_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(0),
};

const LOGIN_FLAGS: &[FlagSpec] = &[
    value(
        "password",
        Some('p'),
        "string",
        "Password or Personal Access Token (PAT)",
    ),
    boolean(
        "password-stdin",
        None,
        "Take the Password or Personal Access Token (PAT) from stdin",
    ),
    value("username", Some('u'), "string", "Username"),
    HELP,
];
pub const LOGIN: CommandSpec = CommandSpec {
    name: "login",
    usage: "docker login [OPTIONS] [SERVER]",
    short: "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
    aliases: "",
    flags: LOGIN_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(1),
};

pub const LOGOUT: CommandSpec = CommandSpec {
    name: "logout",
    usage: "docker logout [SERVER]",
    short: "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
    aliases: "",
    flags: HELP_ONLY_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 0,
    max_args: Some(1),
};

const BUILD_FLAGS: &[FlagSpec] = &[
    value(
        "add-host",
        None,
        "list",
        "Add a custom host-to-IP mapping (\"host:ip\")",
    ),
    value("build-arg", None, "list", "Set build-time variables"),
    value(
        "cache-from",
        None,
        "strings",
        "Images to consider as cache sources",
    ),
    value(
        "cgroup-parent",
        None,
        "string",
        "Set the parent cgroup for the \"RUN\" instructions during build",
    ),
    boolean("compress", None, "Compress the build context using gzip"),
    value(
        "cpu-period",
        None,
        "int",
        "Limit the CPU CFS (Completely Fair Scheduler) period",
    ),
    value(
        "cpu-quota",
        None,
        "int",
        "Limit the CPU CFS (Completely Fair Scheduler) quota",
    ),
    value(
        "cpu-shares",
        Some('c'),
        "int",
        "CPU shares (relative weight)",
    ),
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
        "disable-content-trust",
        None,
        "Skip image verification (default true)",
    ),
    value(
        "file",
        Some('f'),
        "string",
        "Name of the Dockerfile (Default is \"PATH/Dockerfile\")",
    ),
    boolean("force-rm", None, "Always remove intermediate containers"),
    value("iidfile", None, "string", "Write the image ID to the file"),
    value(
        "isolation",
        None,
        "string",
        "Container isolation technology",
    ),
    value("label", None, "list", "Set metadata for an image"),
    value("memory", Some('m'), "bytes", "Memory limit"),
    value(
        "memory-swap",
        None,
        "bytes",
        "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
    ),
    FlagSpec {
        default: Some("default"),
        ..value(
            "network",
            None,
            "string",
            "Set the networking mode for the RUN instructions during build (default \"default\")",
        )
    },
    boolean("no-cache", None, "Do not use cache when building the image"),
    value(
        "platform",
        None,
        "string",
        "Set platform if server is multi-platform capable",
    ),
    boolean(
        "pull",
        None,
        "Always attempt to pull a newer version of the image",
    ),
    boolean(
        "quiet",
        Some('q'),
        "Suppress the build output and print image ID on success",
    ),
    FlagSpec {
        default: Some("true"),
        ..boolean(
            "rm",
            None,
            "Remove intermediate containers after a successful build (default true)",
        )
    },
    value("security-opt", None, "strings", "Security options"),
    value("shm-size", None, "bytes", "Size of \"/dev/shm\""),
    boolean(
        "squash",
        None,
        "Squash newly built layers into a single new layer",
    ),
    value(
        "tag",
        Some('t'),
        "list",
        "Name and optionally a tag in the \"name:tag\" format",
    ),
    value(
        "target",
        None,
        "string",
        "Set the target build stage to build.",
    ),
    value("ulimit", None, "ulimit", "Ulimit options (default [])"),
    HELP,
];
pub const BUILD: CommandSpec = CommandSpec {
    name: "build",
    usage: "docker build [OPTIONS] PATH | URL | -",
    short: "Build an image from a Dockerfile",
    aliases: "docker image build, docker build, docker builder build",
    flags: BUILD_FLAGS,
    exclude: &[],
    interspersed: true,
    min_args: 1,
    max_args: Some(1),
};
