//! The `dockerd` applet: the Engine API daemon's command line.

use crate::daemon::config::{Config, Flags};
use crate::version;
use argh::FromArgs;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;

#[derive(FromArgs, Debug)]
/// A self-sufficient runtime for containers (dockbox daemon).
struct DockerdArgs {
    /// daemon socket to listen on, unix:///PATH (repeatable)
    #[argh(option, short = 'H')]
    host: Vec<String>,
    /// root directory of persistent state (default /var/lib/dockbox)
    #[argh(option)]
    data_root: Option<String>,
    /// root directory for execution state files (default /run/dockbox)
    #[argh(option)]
    exec_root: Option<String>,
    /// path to use for the daemon PID file (default /var/run/dockbox.pid)
    #[argh(option, short = 'p')]
    pidfile: Option<String>,
    /// log level: debug, info, warn, error or fatal (default info)
    #[argh(option, short = 'l')]
    log_level: Option<String>,
    /// enable debug mode
    #[argh(switch, short = 'D')]
    debug: bool,
    /// storage driver: overlay2 or vfs
    #[argh(option, short = 's')]
    storage_driver: Option<String>,
    /// keep containers running while the daemon is down
    #[argh(switch)]
    live_restore: bool,
    /// set the parent cgroup for all containers
    #[argh(option)]
    cgroup_parent: Option<String>,
    /// default ulimit for containers, NAME=SOFT[:HARD] (repeatable)
    #[argh(option)]
    default_ulimit: Vec<String>,
    /// default driver for container logs: json-file or none
    #[argh(option)]
    log_driver: Option<String>,
    /// default log driver option, KEY=VALUE (repeatable)
    #[argh(option)]
    log_opt: Vec<String>,
    /// registry reached without certificate checks, then over plain http:
    /// HOST[:PORT] or a CIDR (repeatable)
    #[argh(option)]
    insecure_registry: Vec<String>,
    /// group for the unix socket (default docker, if it exists)
    #[argh(option, short = 'G')]
    group: Option<String>,
    /// daemon configuration file (default /etc/docker/daemon.json)
    #[argh(option)]
    config_file: Option<String>,
    /// print version information and quit
    #[argh(switch, short = 'v')]
    version: bool,
}

/// Options that take a value, long and short spellings.
const VALUE_OPTIONS: &[(&str, Option<char>)] = &[
    ("host", Some('H')),
    ("data-root", None),
    ("exec-root", None),
    ("pidfile", Some('p')),
    ("log-level", Some('l')),
    ("storage-driver", Some('s')),
    ("cgroup-parent", None),
    ("default-ulimit", None),
    ("log-driver", None),
    ("log-opt", None),
    ("insecure-registry", None),
    ("group", Some('G')),
    ("config-file", None),
];
/// Options that may appear once; dockerd lets the last one win.
const REPEATABLE: &[&str] = &["host", "default-ulimit", "log-opt", "insecure-registry"];
const SWITCHES: &[&str] = &["debug", "live-restore", "version", "help"];

/// What argh gets, plus what argh cannot express (an explicit
/// `--live-restore=false`).
struct Normalised {
    args: Vec<String>,
    live_restore: Option<bool>,
}

/// Rewrites the forms dockerd accepts and argh does not: `--flag=value`,
/// `-Hvalue`, `-H=value`, `--switch=true|false`, and a repeated
/// single-valued option (the last wins).
fn normalise(args: &[String]) -> Result<Normalised, String> {
    let mut options: Vec<(String, Option<String>)> = Vec::new();
    let mut live_restore = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let letter = chars.next().unwrap_or_default();
            let rest: String = chars.collect();
            let name = match (
                letter,
                VALUE_OPTIONS.iter().find(|(_, s)| *s == Some(letter)),
            ) {
                (_, Some((long, _))) => long.to_string(),
                ('D', _) => "debug".to_string(),
                ('v', _) => "version".to_string(),
                ('h', _) => "help".to_string(),
                _ => return Err(format!("unknown shorthand flag: '{letter}' in {arg}")),
            };
            let rest = rest.strip_prefix('=').map(str::to_string).unwrap_or(rest);
            (name, (!rest.is_empty()).then_some(rest))
        } else {
            return Err(format!("dockerd takes no arguments: {arg:?}"));
        };
        if SWITCHES.contains(&name.as_str()) {
            let on = match inline.as_deref() {
                None | Some("true" | "1" | "t" | "T" | "TRUE" | "True") => true,
                Some("false" | "0" | "f" | "F" | "FALSE" | "False") => false,
                Some(other) => {
                    return Err(format!("invalid boolean value {other:?} for --{name}"));
                }
            };
            if name == "live-restore" {
                live_restore = Some(on);
            }
            if on {
                options.retain(|(existing, _)| *existing != name);
                options.push((name, None));
            } else {
                options.retain(|(existing, _)| *existing != name);
            }
            continue;
        }
        if !VALUE_OPTIONS.iter().any(|(long, _)| *long == name) {
            return Err(format!("unknown flag: --{name}"));
        }
        let value = match inline {
            Some(value) => value,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| format!("flag needs an argument: --{name}"))?,
        };
        if !REPEATABLE.contains(&name.as_str()) {
            options.retain(|(existing, _)| *existing != name);
        }
        options.push((name, Some(value)));
    }
    let mut out = Vec::new();
    for (name, value) in options {
        out.push(format!("--{name}"));
        out.extend(value);
    }
    Ok(Normalised {
        args: out,
        live_restore,
    })
}

fn version_line() -> String {
    format!(
        "Docker version {}, build {} (dockbox {})",
        version::DOCKER_COMPAT_VERSION,
        version::COMMIT,
        version::VERSION
    )
}

/// Set by the test harness on every daemon it starts in a namespace of its
/// own: a daemon that would make bridges, veths and iptables rules in the
/// host's network namespace is a harness bug, so it refuses to start.
const TEST_NETNS_VARIABLE: &str = "DOCKBOX_TEST_NETNS";

/// With `DOCKBOX_TEST_NETNS=1`, an error unless this process's network
/// namespace differs from the host's: pid 1's, or when that cannot be read
/// (no ptrace access to pid 1, as in some sandboxes) the parent's, which
/// under the harness is the test that runs in the host's. Not being able to
/// tell counts as being in the host's.
fn refuse_host_netns_under_test() -> Result<(), String> {
    if std::env::var(TEST_NETNS_VARIABLE).as_deref() != Ok("1") {
        return Ok(());
    }
    let identity = |pid: &str| {
        std::fs::metadata(format!("/proc/{pid}/ns/net")).map(|meta| (meta.dev(), meta.ino()))
    };
    let refuse = |why: String| {
        format!(
            "{TEST_NETNS_VARIABLE}=1 but {why}; refusing to start in the host's network namespace"
        )
    };
    let own = identity("self").map_err(|e| refuse(format!("/proc/self/ns/net: {e}")))?;
    let parent = std::os::unix::process::parent_id().to_string();
    let (whose, host) = match identity("1") {
        Ok(host) => ("pid 1's", host),
        Err(_) => match identity(&parent) {
            Ok(host) => ("its parent's", host),
            Err(e) => return Err(refuse(format!("/proc/{parent}/ns/net: {e}"))),
        },
    };
    if own == host {
        return Err(refuse(format!(
            "this daemon shares {whose} network namespace (net:[{}])",
            own.1
        )));
    }
    Ok(())
}

pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = match args
        .into_iter()
        .skip(1)
        .map(OsString::into_string)
        .collect()
    {
        Ok(args) => args,
        Err(arg) => {
            eprintln!("dockerd: argument is not UTF-8: {}", arg.to_string_lossy());
            return 125;
        }
    };
    let normalised = match normalise(&args) {
        Ok(normalised) => normalised,
        Err(message) => {
            eprintln!("{message}\nSee 'dockerd --help'.");
            return 125;
        }
    };
    let argv: Vec<&str> = normalised.args.iter().map(String::as_str).collect();
    let parsed = match DockerdArgs::from_args(&["dockerd"], &argv) {
        Ok(parsed) => parsed,
        Err(early) => {
            return match early.status {
                Ok(()) => {
                    println!("{}", early.output);
                    0
                }
                Err(()) => {
                    eprintln!("{}\nSee 'dockerd --help'.", early.output.trim_end());
                    125
                }
            };
        }
    };
    if parsed.version {
        println!("{}", version_line());
        return 0;
    }
    if let Err(message) = refuse_host_netns_under_test() {
        eprintln!("dockerd: {message}");
        return 1;
    }
    let flags = Flags {
        hosts: parsed.host,
        data_root: parsed.data_root,
        exec_root: parsed.exec_root,
        pidfile: parsed.pidfile,
        log_level: parsed.log_level,
        debug: parsed.debug,
        storage_driver: parsed.storage_driver,
        live_restore: normalised.live_restore,
        cgroup_parent: parsed.cgroup_parent,
        default_ulimits: parsed.default_ulimit,
        log_driver: parsed.log_driver,
        log_opts: parsed.log_opt,
        insecure_registries: parsed.insecure_registry,
        group: parsed.group,
        config_file: parsed.config_file,
    };
    debug_assert!(parsed.live_restore == normalised.live_restore.unwrap_or(false));
    let (config, warnings) = match Config::load(&flags) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("dockerd: {error}");
            return 1;
        }
    };
    match crate::daemon::run(flags, config, warnings) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("dockerd: failed to start daemon: {error}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Result<Vec<String>, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        normalise(&args).map(|n| n.args)
    }

    #[test]
    fn dockerd_forms_become_argh_forms() {
        assert_eq!(
            norm(&[
                "--data-root=/d",
                "-Hunix:///a",
                "-H",
                "unix:///b",
                "--host=unix:///c"
            ])
            .unwrap(),
            [
                "--data-root",
                "/d",
                "--host",
                "unix:///a",
                "--host",
                "unix:///b",
                "--host",
                "unix:///c"
            ]
        );
        assert_eq!(
            norm(&["--pidfile", "/a", "-p=/b", "--live-restore=false", "-D"]).unwrap(),
            ["--pidfile", "/b", "--debug"]
        );
        let live = normalise(&["--live-restore=false".to_string()]).unwrap();
        assert_eq!(live.live_restore, Some(false));
        assert!(norm(&["--nope"]).is_err());
        assert!(norm(&["--data-root"]).is_err());
        assert!(norm(&["--debug=maybe"]).is_err());
        assert!(norm(&["stray"]).is_err());
    }

    #[test]
    fn argh_accepts_normalised_args() {
        let args = norm(&["--log-opt=max-size=1m", "--log-opt", "max-file=2", "-s=vfs"]).unwrap();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let parsed = DockerdArgs::from_args(&["dockerd"], &argv).unwrap();
        assert_eq!(parsed.log_opt, ["max-size=1m", "max-file=2"]);
        assert_eq!(parsed.storage_driver.as_deref(), Some("vfs"));
    }
}
