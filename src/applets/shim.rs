//! The `dockbox-shim` applet: one process per container, started by dockerd
//! as `dockbox-shim BUNDLE` with its ready pipe as fd 3.

use crate::version;
use std::ffi::OsString;
use std::path::PathBuf;

const USAGE: &str = "Usage: dockbox-shim BUNDLE\n\nStarted by dockerd; owns one container's stdio, logs and exit status.";

pub fn main(args: Vec<OsString>) -> i32 {
    let rest: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match rest.first().map(String::as_str) {
        Some("--version" | "-v") => {
            println!(
                "dockbox-shim version {} (commit {})",
                version::VERSION,
                version::COMMIT
            );
            return 0;
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return 0;
        }
        Some(bundle) if rest.len() == 1 && !bundle.starts_with('-') => {}
        _ => {
            eprintln!("dockbox-shim: expected one bundle directory\n{USAGE}");
            return 2;
        }
    }
    // The container's processes must never reach our executable.
    if let Err(error) = crate::runtime::selfexe::reexec_sealed() {
        eprintln!("dockbox-shim: {error}");
        return 1;
    }
    // Started from a descriptor (/proc/self/fd/N), the kernel named us
    // after its number; ps and the tests know shims by this name.
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"dockbox-shim".as_ptr()) };
    let bundle = PathBuf::from(&rest[0]);
    match crate::shim::serve::main_with(&bundle) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("dockbox-shim: {error}");
            1
        }
    }
}
