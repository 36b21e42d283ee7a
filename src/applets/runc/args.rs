//! runc's command line. runc (urfave/cli over Go's flag package) accepts
//! `--flag=value`, `-flag value`, `-flag=value`, combined short switches
//! (`-df`) and `--switch=false`; argh accepts only `--flag value`. The
//! normaliser rewrites the first forms into the second, per command, since
//! `-f` is `--format` for `list` but `--force` for `delete`.

use argh::FromArgs;
use std::path::PathBuf;

/// One flag a command knows.
struct Flag {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
}

const fn value(long: &'static str, short: Option<char>) -> Flag {
    Flag {
        long,
        short,
        takes_value: true,
    }
}

const fn switch(long: &'static str, short: Option<char>) -> Flag {
    Flag {
        long,
        short,
        takes_value: false,
    }
}

const GLOBAL_FLAGS: &[Flag] = &[
    value("root", None),
    value("log", None),
    value("log-format", None),
    value("rootless", None),
    switch("debug", None),
    switch("systemd-cgroup", None),
    switch("help", Some('h')),
    switch("version", Some('v')),
];

const CREATE_FLAGS: &[Flag] = &[
    value("bundle", Some('b')),
    value("pid-file", None),
    value("console-socket", None),
    value("preserve-fds", None),
    switch("no-pivot", None),
    switch("no-new-keyring", None),
    switch("detach", Some('d')),
    switch("keep", None),
    switch("help", Some('h')),
];

fn command_flags(command: &str) -> &'static [Flag] {
    const HELP: &[Flag] = &[switch("help", Some('h'))];
    const LIST: &[Flag] = &[
        value("format", Some('f')),
        switch("quiet", Some('q')),
        switch("help", Some('h')),
    ];
    const KILL: &[Flag] = &[switch("all", Some('a')), switch("help", Some('h'))];
    const DELETE: &[Flag] = &[switch("force", Some('f')), switch("help", Some('h'))];
    const SPEC: &[Flag] = &[
        value("bundle", Some('b')),
        switch("rootless", None),
        switch("help", Some('h')),
    ];
    const EXEC: &[Flag] = &[
        value("process", Some('p')),
        value("console-socket", None),
        value("pid-file", None),
        value("cwd", None),
        value("env", Some('e')),
        value("user", Some('u')),
        value("cap", Some('c')),
        value("additional-gids", Some('g')),
        value("preserve-fds", None),
        value("process-label", None),
        value("apparmor", None),
        value("cgroup", None),
        switch("tty", Some('t')),
        switch("detach", Some('d')),
        switch("no-new-privs", None),
        switch("ignore-paused", None),
        switch("help", Some('h')),
    ];
    const PS: &[Flag] = &[value("format", Some('f')), switch("help", Some('h'))];
    const EVENTS: &[Flag] = &[
        value("interval", None),
        switch("stats", None),
        switch("help", Some('h')),
    ];
    const UPDATE: &[Flag] = &[
        value("resources", Some('r')),
        value("memory", None),
        value("memory-reservation", None),
        value("memory-swap", None),
        value("kernel-memory", None),
        value("kernel-memory-tcp", None),
        value("cpu-shares", None),
        value("cpu-share", None),
        value("cpu-quota", None),
        value("cpu-period", None),
        value("cpu-rt-period", None),
        value("cpu-rt-runtime", None),
        value("cpuset-cpus", None),
        value("cpuset-mems", None),
        value("blkio-weight", None),
        value("pids-limit", None),
        value("l3-cache-schema", None),
        value("mem-bw-schema", None),
        switch("help", Some('h')),
    ];
    match command {
        "create" | "run" => CREATE_FLAGS,
        "exec" => EXEC,
        "ps" => PS,
        "events" => EVENTS,
        "update" => UPDATE,
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
    #[argh(option)]
    #[allow(dead_code)]
    pub kernel_memory: Option<String>,
    /// kernel memory limit for tcp (ignored, as by runc)
    #[argh(option)]
    #[allow(dead_code)]
    pub kernel_memory_tcp: Option<String>,
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
    #[argh(switch)]
    #[allow(dead_code)] // containerd passes it; create needs no action for it.
    pub detach: bool,
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
