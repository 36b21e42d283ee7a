//! runc's command line. runc (urfave/cli over Go's flag package) accepts
//! `--flag=value`, `-flag value`, `-flag=value`, combined short switches
//! (`-df`) and `--switch=false`; argh accepts only `--flag value`. The
//! normaliser rewrites the first forms into the second, per command, since
//! `-f` is `--format` for `list` but `--force` for `delete`.

use argh::FromArgs;
use std::path::PathBuf;

/// One flag a command knows, with its line in the help text (empty: a
/// flag accepted for compatibility and left out of the help, as runc
/// hides its own deprecated ones).
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
    pub help: &'static str,
}

const fn value(long: &'static str, short: Option<char>, help: &'static str) -> Flag {
    Flag {
        long,
        short,
        takes_value: true,
        help,
    }
}

const fn switch(long: &'static str, short: Option<char>, help: &'static str) -> Flag {
    Flag {
        long,
        short,
        takes_value: false,
        help,
    }
}

const HELP_SWITCH: Flag = switch("help", Some('h'), "");
const BUNDLE_HELP: &str =
    "path to the root of the bundle directory, defaults to the current directory";
const CONSOLE_HELP: &str = "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal";
const PID_FILE_HELP: &str = "specify the file to write the process id to";
const NO_PIVOT_HELP: &str = "do not use pivot root to jail process inside rootfs";
const NO_KEYRING_HELP: &str = "do not create a new session keyring for the container";
const PRESERVE_HELP: &str = "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)";

pub const GLOBAL_FLAGS: &[Flag] = &[
    switch("debug", None, "enable debug logging"),
    value(
        "log",
        None,
        "set the log file to write runc logs to (default is '/dev/stderr')",
    ),
    value(
        "log-format",
        None,
        "set the log format ('text' (default), or 'json') (default: \"text\")",
    ),
    value(
        "root",
        None,
        "root directory for storage of container state (this should be located in tmpfs) (default: \"/run/runc\")",
    ),
    // Accepted so that it is refused with a clear message.
    switch("systemd-cgroup", None, ""),
    value(
        "rootless",
        None,
        "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")",
    ),
    switch("help", Some('h'), "show help"),
    switch("version", Some('v'), "print the version"),
];

const CREATE_FLAGS: &[Flag] = &[
    value("bundle", Some('b'), BUNDLE_HELP),
    value("console-socket", None, CONSOLE_HELP),
    value("pid-file", None, PID_FILE_HELP),
    switch("no-pivot", None, NO_PIVOT_HELP),
    switch("no-new-keyring", None, NO_KEYRING_HELP),
    value("preserve-fds", None, PRESERVE_HELP),
    // containerd passes it; create always detaches.
    switch("detach", Some('d'), ""),
    HELP_SWITCH,
];

const RUN_FLAGS: &[Flag] = &[
    value("bundle", Some('b'), BUNDLE_HELP),
    value("console-socket", None, CONSOLE_HELP),
    switch("detach", Some('d'), "detach from the container's process"),
    switch("keep", None, "do not delete the container after it exits"),
    value("pid-file", None, PID_FILE_HELP),
    switch("no-pivot", None, NO_PIVOT_HELP),
    switch("no-new-keyring", None, NO_KEYRING_HELP),
    value("preserve-fds", None, PRESERVE_HELP),
    HELP_SWITCH,
];

const EXEC_FLAGS: &[Flag] = &[
    value("console-socket", None, CONSOLE_HELP),
    value("cwd", None, "current working directory in the container"),
    value("env", Some('e'), "set environment variables"),
    switch("tty", Some('t'), "allocate a pseudo-TTY"),
    value("user", Some('u'), "UID (format: <uid>[:<gid>])"),
    value("additional-gids", Some('g'), "additional gids"),
    value("process", Some('p'), "path to the process.json"),
    switch("detach", Some('d'), "detach from the container's process"),
    value("pid-file", None, PID_FILE_HELP),
    value(
        "process-label",
        None,
        "set the asm process label for the process commonly used with selinux",
    ),
    value("apparmor", None, "set the apparmor profile for the process"),
    switch(
        "no-new-privs",
        None,
        "set the no new privileges value for the process",
    ),
    value(
        "cap",
        Some('c'),
        "add a capability to the bounding set for the process",
    ),
    value("preserve-fds", None, PRESERVE_HELP),
    value(
        "cgroup",
        None,
        "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
    ),
    switch("ignore-paused", None, "allow exec in a paused container"),
    HELP_SWITCH,
];

const UPDATE_FLAGS: &[Flag] = &[
    value(
        "resources",
        Some('r'),
        "path to the file containing the resources to update or '-' to read from the standard input (JSON: an OCI LinuxResources object; other options are then ignored)",
    ),
    value(
        "blkio-weight",
        None,
        "specifies per cgroup weight, range is from 10 to 1000 (default: 0)",
    ),
    value(
        "cpu-period",
        None,
        "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
    ),
    value(
        "cpu-quota",
        None,
        "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period",
    ),
    value(
        "cpu-share",
        None,
        "CPU shares (relative weight vs. other containers)",
    ),
    value("cpu-shares", None, ""),
    value(
        "cpu-rt-period",
        None,
        "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
    ),
    value(
        "cpu-rt-runtime",
        None,
        "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period",
    ),
    value("cpuset-cpus", None, "CPU(s) to use"),
    value("cpuset-mems", None, "memory node(s) to use"),
    value("memory", None, "memory limit (in bytes)"),
    value(
        "memory-reservation",
        None,
        "memory reservation or soft_limit (in bytes)",
    ),
    value(
        "memory-swap",
        None,
        "total memory usage (memory + swap); set '-1' to enable unlimited swap",
    ),
    value(
        "pids-limit",
        None,
        "maximum number of pids allowed in the container (default: 0)",
    ),
    // Ignored, as by runc 1.1.5, which hides them too.
    value("kernel-memory", None, ""),
    value("kernel-memory-tcp", None, ""),
    // Refused: dockbox has no Intel RDT support.
    value("l3-cache-schema", None, ""),
    value("mem-bw-schema", None, ""),
    HELP_SWITCH,
];

/// The flags `command` accepts (only --help for an unknown one).
pub fn command_flags(command: &str) -> &'static [Flag] {
    const HELP: &[Flag] = &[HELP_SWITCH];
    const LIST: &[Flag] = &[
        value(
            "format",
            Some('f'),
            "select one of: table or json (default: \"table\")",
        ),
        switch("quiet", Some('q'), "display only container IDs"),
        HELP_SWITCH,
    ];
    const KILL: &[Flag] = &[
        switch(
            "all",
            Some('a'),
            "send the specified signal to all processes inside the container",
        ),
        HELP_SWITCH,
    ];
    const DELETE: &[Flag] = &[
        switch(
            "force",
            Some('f'),
            "forcibly deletes the container if it is still running (uses SIGKILL)",
        ),
        HELP_SWITCH,
    ];
    const SPEC: &[Flag] = &[
        value(
            "bundle",
            Some('b'),
            "path to the root of the bundle directory",
        ),
        switch(
            "rootless",
            None,
            "generate a configuration for a rootless container",
        ),
        HELP_SWITCH,
    ];
    const PS: &[Flag] = &[
        value(
            "format",
            Some('f'),
            "select one of: table or json (default: \"table\")",
        ),
        HELP_SWITCH,
    ];
    const EVENTS: &[Flag] = &[
        value(
            "interval",
            None,
            "set the stats collection interval (default: 5s)",
        ),
        switch("stats", None, "display the container's stats then exit"),
        HELP_SWITCH,
    ];
    match command {
        "create" => CREATE_FLAGS,
        "run" => RUN_FLAGS,
        "exec" => EXEC_FLAGS,
        "ps" => PS,
        "events" => EVENTS,
        "update" => UPDATE_FLAGS,
        "list" => LIST,
        "kill" => KILL,
        "delete" => DELETE,
        "spec" => SPEC,
        _ => HELP,
    }
}

/// Rewrites runc-style arguments (`argv[0]` excluded) into argh's syntax.
pub fn normalise(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut index = 0;
    let mut flags = GLOBAL_FLAGS;
    let mut in_command = false;
    let mut command = "";
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        if arg == "--" {
            out.extend(args[index..].iter().cloned());
            break;
        }
        let is_flag = arg.len() > 1 && arg.starts_with('-') && arg.parse::<i64>().is_err();
        if !is_flag {
            if in_command && matches!(command, "exec" | "ps") {
                // The id, then the process's own arguments: flags no more.
                out.push("--".to_string());
                out.push(arg.clone());
                out.extend(args[index..].iter().cloned());
                break;
            }
            out.push(arg.clone());
            if !in_command {
                in_command = true;
                command = arg.as_str();
                flags = command_flags(arg);
            }
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let bare = name.trim_start_matches('-');
        let long_match = flags.iter().find(|flag| flag.long == bare);
        let double_dash = name.starts_with("--");
        let found = if double_dash || bare.chars().count() > 1 && long_match.is_some() {
            long_match.map(|flag| vec![flag])
        } else {
            // Combined short switches; only the last may take a value.
            bare.chars()
                .map(|c| flags.iter().find(|flag| flag.short == Some(c)))
                .collect::<Option<Vec<_>>>()
        };
        let Some(found) = found else {
            out.push(arg.clone());
            continue;
        };
        let last = found.len() - 1;
        for (position, flag) in found.into_iter().enumerate() {
            if flag.takes_value && position == last {
                out.push(format!("--{}", flag.long));
                match &inline {
                    Some(value) => out.push(value.clone()),
                    None => {
                        if let Some(next) = args.get(index) {
                            out.push(next.clone());
                            index += 1;
                        }
                    }
                }
            } else if !flag.takes_value {
                let off =
                    position == last && matches!(inline.as_deref(), Some("false") | Some("0"));
                if !off {
                    out.push(format!("--{}", flag.long));
                }
            } else {
                // A value flag in the middle of combined switches.
                out.push(arg.clone());
                break;
            }
        }
    }
    out
}

/// Where the command word is in normalised arguments: the first one
/// that is neither a global flag nor a global flag's value.
pub fn command_position(normalised: &[String]) -> Option<usize> {
    let mut index = 0;
    while index < normalised.len() {
        let arg = &normalised[index];
        let Some(name) = arg.strip_prefix("--") else {
            return Some(index);
        };
        let takes_value = GLOBAL_FLAGS
            .iter()
            .any(|flag| flag.long == name && flag.takes_value);
        index += if takes_value { 2 } else { 1 };
    }
    None
}

/// runc's default state root: /run/runc, or $XDG_RUNTIME_DIR/runc for a
/// caller without root (who cannot write /run/runc).
fn default_root() -> PathBuf {
    let xdg = std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty());
    match xdg {
        Some(dir) if !nix::unistd::geteuid().is_root() => PathBuf::from(dir).join("runc"),
        _ => PathBuf::from("/run/runc"),
    }
}

#[derive(FromArgs, Debug)]
/// Open Container Initiative runtime (dockbox)
pub struct Runc {
    /// root directory for storage of container state
    #[argh(option, default = "default_root()")]
    pub root: PathBuf,
    /// set the log file to write runc logs to (default is stderr)
    #[argh(option)]
    pub log: Option<PathBuf>,
    /// set the log format ('text' (default), or 'json')
    #[argh(option, default = "String::from(\"text\")")]
    pub log_format: String,
    /// enable debug logging
    #[argh(switch)]
    pub debug: bool,
    /// enable systemd cgroup support (unsupported by dockbox)
    #[argh(switch)]
    pub systemd_cgroup: bool,
    /// ignore cgroup permission errors ('true', 'false', or 'auto')
    #[argh(option, default = "String::from(\"auto\")")]
    pub rootless: String,
    #[argh(subcommand)]
    pub command: Command,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
pub enum Command {
    Create(Create),
    Delete(Delete),
    Events(Events),
    Exec(Exec),
    Features(Features),
    Kill(Kill),
    List(List),
    Pause(Pause),
    Ps(Ps),
    Resume(Resume),
    Run(Run),
    Spec(SpecCommand),
    Start(Start),
    State(StateCommand),
    Update(Update),
}

#[derive(FromArgs, Debug)]
/// execute new process inside the container
#[argh(subcommand, name = "exec")]
pub struct Exec {
    /// path to the process.json
    #[argh(option)]
    pub process: Option<PathBuf>,
    /// path to an AF_UNIX socket which will receive the pty master
    #[argh(option)]
    pub console_socket: Option<PathBuf>,
    /// specify the file to write the process id to
    #[argh(option)]
    pub pid_file: Option<PathBuf>,
    /// current working directory in the container
    #[argh(option)]
    pub cwd: Option<String>,
    /// set environment variables
    #[argh(option)]
    pub env: Vec<String>,
    /// UID (format: <uid>[:<gid>])
    #[argh(option)]
    pub user: Option<String>,
    /// add a capability to the bounding set for the process
    #[argh(option)]
    pub cap: Vec<String>,
    /// additional gids
    #[argh(option)]
    pub additional_gids: Vec<String>,
    /// pass N additional file descriptors to the container
    #[argh(option, default = "0")]
    pub preserve_fds: u32,
    /// set the asm process label for the process commonly used with selinux
    #[argh(option)]
    pub process_label: Option<String>,
    /// set the apparmor profile for the process
    #[argh(option)]
    pub apparmor: Option<String>,
    /// run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.
    #[argh(option)]
    pub cgroup: Vec<String>,
    /// allocate a pseudo-TTY
    #[argh(switch)]
    pub tty: bool,
    /// detach from the container's process
    #[argh(switch)]
    pub detach: bool,
    /// set the no new privileges value for the process
    #[argh(switch)]
    pub no_new_privs: bool,
    /// allow exec in a paused container
    #[argh(switch)]
    pub ignore_paused: bool,
    /// container id, then the command and its arguments
    #[argh(positional, greedy)]
    pub rest: Vec<String>,
}

#[derive(FromArgs, Debug)]
/// pause suspends all processes inside the container
#[argh(subcommand, name = "pause")]
pub struct Pause {
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// resumes all processes that have been previously paused
#[argh(subcommand, name = "resume")]
pub struct Resume {
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// ps displays the processes running inside a container
#[argh(subcommand, name = "ps")]
pub struct Ps {
    /// select one of: table or json (default: "table")
    #[argh(option, default = "String::from(\"table\")")]
    pub format: String,
    /// container id, then arguments for ps(1)
    #[argh(positional, greedy)]
    pub rest: Vec<String>,
}

#[derive(FromArgs, Debug)]
/// display container events such as OOM notifications, cpu, memory, and IO usage statistics
#[argh(subcommand, name = "events")]
pub struct Events {
    /// set the stats collection interval (default: 5s)
    #[argh(option, default = "String::from(\"5s\")")]
    pub interval: String,
    /// display the container's stats then exit
    #[argh(switch)]
    pub stats: bool,
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// update container resource constraints
#[argh(subcommand, name = "update")]
pub struct Update {
    /// path to a file containing the resources to update or '-' to read from the standard input
    #[argh(option)]
    pub resources: Option<String>,
    /// memory limit (in bytes)
    #[argh(option)]
    pub memory: Option<String>,
    /// memory reservation or soft_limit (in bytes)
    #[argh(option)]
    pub memory_reservation: Option<String>,
    /// total memory usage (memory + swap); set '-1' to enable unlimited swap
    #[argh(option)]
    pub memory_swap: Option<String>,
    /// kernel memory limit (ignored, as by runc)
    #[argh(option, long = "kernel-memory")]
    pub _kernel_memory: Option<String>,
    /// kernel memory limit for tcp (ignored, as by runc)
    #[argh(option, long = "kernel-memory-tcp")]
    pub _kernel_memory_tcp: Option<String>,
    /// CPU shares (relative weight vs. other containers)
    #[argh(option)]
    pub cpu_share: Option<u64>,
    /// the same as --cpu-share (runc's flag is singular)
    #[argh(option)]
    pub cpu_shares: Option<u64>,
    /// CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period
    #[argh(option)]
    pub cpu_quota: Option<i64>,
    /// CPU CFS period to be used for hardcapping (in usecs)
    #[argh(option)]
    pub cpu_period: Option<u64>,
    /// CPU realtime period to be used for hardcapping (in usecs)
    #[argh(option)]
    pub cpu_rt_period: Option<u64>,
    /// CPU realtime hardcap limit (in usecs)
    #[argh(option)]
    pub cpu_rt_runtime: Option<i64>,
    /// CPU(s) to use
    #[argh(option)]
    pub cpuset_cpus: Option<String>,
    /// memory node(s) to use
    #[argh(option)]
    pub cpuset_mems: Option<String>,
    /// specifies per cgroup weight, range is from 10 to 1000
    #[argh(option)]
    pub blkio_weight: Option<u16>,
    /// maximum number of pids allowed in the container
    #[argh(option)]
    pub pids_limit: Option<i64>,
    /// the string of Intel RDT/CAT L3 cache schema (unsupported)
    #[argh(option)]
    pub l3_cache_schema: Option<String>,
    /// the string of Intel RDT/MBA memory bandwidth schema (unsupported)
    #[argh(option)]
    pub mem_bw_schema: Option<String>,
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// show the enabled features
#[argh(subcommand, name = "features")]
pub struct Features {}

#[derive(FromArgs, Debug)]
/// create a container
#[argh(subcommand, name = "create")]
pub struct Create {
    /// path to the root of the bundle directory, defaults to the current directory
    #[argh(option, default = "PathBuf::from(\".\")")]
    pub bundle: PathBuf,
    /// specify the file to write the process id to
    #[argh(option)]
    pub pid_file: Option<PathBuf>,
    /// path to an AF_UNIX socket which will receive the pty master
    #[argh(option)]
    pub console_socket: Option<PathBuf>,
    /// do not use pivot root to jail process inside rootfs
    #[argh(switch)]
    pub no_pivot: bool,
    /// do not create a new session keyring for the container
    #[argh(switch)]
    pub no_new_keyring: bool,
    /// pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)
    #[argh(option, default = "0")]
    pub preserve_fds: u32,
    /// accepted for compatibility: create always detaches
    #[argh(switch, long = "detach")]
    pub _detach: bool,
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// create and run a container
#[argh(subcommand, name = "run")]
pub struct Run {
    /// path to the root of the bundle directory, defaults to the current directory
    #[argh(option, default = "PathBuf::from(\".\")")]
    pub bundle: PathBuf,
    /// specify the file to write the process id to
    #[argh(option)]
    pub pid_file: Option<PathBuf>,
    /// path to an AF_UNIX socket which will receive the pty master
    #[argh(option)]
    pub console_socket: Option<PathBuf>,
    /// do not use pivot root to jail process inside rootfs
    #[argh(switch)]
    pub no_pivot: bool,
    /// do not create a new session keyring for the container
    #[argh(switch)]
    pub no_new_keyring: bool,
    /// pass N additional file descriptors to the container
    #[argh(option, default = "0")]
    pub preserve_fds: u32,
    /// detach from the container's process
    #[argh(switch)]
    pub detach: bool,
    /// do not delete the container after it exits
    #[argh(switch)]
    pub keep: bool,
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// executes the user defined process in a created container
#[argh(subcommand, name = "start")]
pub struct Start {
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// output the state of a container
#[argh(subcommand, name = "state")]
pub struct StateCommand {
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// lists containers started by runc with the given root
#[argh(subcommand, name = "list")]
pub struct List {
    /// select one of: table or json (default: "table")
    #[argh(option, default = "String::from(\"table\")")]
    pub format: String,
    /// display only container IDs
    #[argh(switch)]
    pub quiet: bool,
}

#[derive(FromArgs, Debug)]
/// kill sends the specified signal (default: SIGTERM) to the container's init process
#[argh(subcommand, name = "kill")]
pub struct Kill {
    /// send the specified signal to all processes inside the container
    #[argh(switch)]
    pub all: bool,
    /// container id
    #[argh(positional)]
    pub id: String,
    /// signal: a number, KILL or SIGKILL
    #[argh(positional)]
    pub signal: Option<String>,
}

#[derive(FromArgs, Debug)]
/// delete any resources held by the container
#[argh(subcommand, name = "delete")]
pub struct Delete {
    /// forcibly deletes the container if it is still running (uses SIGKILL)
    #[argh(switch)]
    pub force: bool,
    /// container id
    #[argh(positional)]
    pub id: String,
}

#[derive(FromArgs, Debug)]
/// create a new specification file
#[argh(subcommand, name = "spec")]
pub struct SpecCommand {
    /// path to the root of the bundle directory
    #[argh(option, default = "PathBuf::from(\".\")")]
    pub bundle: PathBuf,
    /// generate a configuration for a rootless container
    #[argh(switch)]
    pub rootless: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(line: &str) -> String {
        let args: Vec<String> = line.split(' ').map(str::to_string).collect();
        normalise(&args).join(" ")
    }

    #[test]
    fn runc_syntax_becomes_argh_syntax() {
        assert_eq!(
            norm("--root=/r --log-format=json create -b /b --pid-file=/p id"),
            "--root /r --log-format json create --bundle /b --pid-file /p id"
        );
        assert_eq!(norm("-root /r run -d id"), "--root /r run --detach id");
        assert_eq!(norm("run id -d"), "run id --detach");
        assert_eq!(norm("kill -a id 9"), "kill --all id 9");
        assert_eq!(norm("delete -f id"), "delete --force id");
        assert_eq!(norm("list -f json -q"), "list --format json --quiet");
        assert_eq!(norm("list -qf json"), "list --quiet --format json");
        assert_eq!(norm("run --detach=false id"), "run id");
        assert_eq!(norm("--rootless=true state id"), "--rootless true state id");
        assert_eq!(
            norm("exec -t --env=A=1 id sh -c true"),
            "exec --tty --env A=1 -- id sh -c true"
        );
        assert_eq!(
            norm("ps --format=table id -e -o pid"),
            "ps --format table -- id -e -o pid"
        );
    }
}
