//! The `dockbox-shim` applet: one process per container, started by dockerd.

use crate::version;
use std::ffi::OsString;

pub fn main(args: Vec<OsString>) -> i32 {
    let version = format!(
        "dockbox-shim version {} (commit {})",
        version::VERSION,
        version::COMMIT
    );
    super::not_implemented(
        "dockbox-shim",
        &args,
        "Usage: dockbox-shim [OPTIONS]\n\nStarted by dockerd; owns one container's stdio, logs and exit status.",
        &version,
    )
}
