//! The applet table and the multi-call dispatch on argv[0].
//!
//! `APPLETS` is the single place that names the applets; it is kept sorted so
//! that lookup is a binary search and `dockbox --list` needs no sorting.

use std::ffi::{OsStr, OsString};
use std::path::Path;

mod docker;
mod docker_init;
mod dockerd;
mod multicall;
mod runc;
mod shim;

/// Exit status for a name that is no applet, as busybox and shells use it.
pub const EXIT_NOT_FOUND: i32 = 127;

/// One entry of the applet table. `main` receives the full argument vector,
/// argv[0] being the applet's own name.
pub struct Applet {
    pub name: &'static str,
    pub summary: &'static str,
    pub main: fn(Vec<OsString>) -> i32,
}

/// Every applet, sorted by name.
pub const APPLETS: &[Applet] = &[
    Applet {
        name: "dockbox-shim",
        summary: "per-container process that owns stdio, logs and the exit status",
        main: shim::main,
    },
    Applet {
        name: "docker",
        summary: "Docker-compatible command-line client",
        main: docker::main,
    },
    Applet {
        name: "docker-init",
        summary: "minimal init for containers started with --init",
        main: docker_init::main,
    },
    Applet {
        name: "dockerd",
        summary: "Docker Engine API daemon",
        main: dockerd::main,
    },
    Applet {
        name: "runc",
        summary: "OCI runtime with runc's command line",
        main: runc::main,
    },
];

/// The name under which the whole binary answers with its own options.
pub const MULTICALL_NAME: &str = "dockbox";

pub fn find(name: &str) -> Option<&'static Applet> {
    APPLETS
        .binary_search_by(|applet| applet.name.cmp(name))
        .ok()
        .map(|index| &APPLETS[index])
}

/// Runs the applet that argv[0] names, or the multi-call front end when the
/// binary is called as `dockbox`.
pub fn dispatch(args: Vec<OsString>) -> i32 {
    let name = args
        .first()
        .map(|arg0| applet_name(arg0))
        .unwrap_or_default();
    if name == MULTICALL_NAME {
        return multicall::main(args);
    }
    run_applet(&name, args)
}

/// Runs applet `name` with `args` (argv[0] included), or reports it missing.
pub fn run_applet(name: &str, mut args: Vec<OsString>) -> i32 {
    match find(name) {
        Some(applet) => {
            // Applets see their own name as argv[0], whatever path invoked them.
            if let Some(arg0) = args.first_mut() {
                *arg0 = OsString::from(applet.name);
            } else {
                args.push(OsString::from(applet.name));
            }
            (applet.main)(args)
        }
        None => {
            eprintln!("{MULTICALL_NAME}: applet not found: {name}");
            EXIT_NOT_FOUND
        }
    }
}

fn applet_name(arg0: &OsStr) -> String {
    Path::new(arg0)
        .file_name()
        .unwrap_or(arg0)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in APPLETS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} !< {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn find_by_name() {
        assert_eq!(find("runc").map(|a| a.name), Some("runc"));
        assert!(find("dockbox").is_none());
        assert!(find("nope").is_none());
    }

    #[test]
    fn name_is_basename() {
        assert_eq!(applet_name(OsStr::new("/usr/local/bin/docker")), "docker");
        assert_eq!(applet_name(OsStr::new("runc")), "runc");
    }
}
