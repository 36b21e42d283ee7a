//! The `runc` applet: an OCI runtime with runc's command line.

use crate::version;
use std::ffi::OsString;

/// Exactly three lines: dockerd and containerd parse `runc version` and `commit:`.
pub fn version_text() -> String {
    format!(
        "runc version {}\ncommit: dockbox-{}\nspec: {}",
        version::VERSION,
        version::COMMIT,
        version::OCI_SPEC_VERSION
    )
}

pub fn main(args: Vec<OsString>) -> i32 {
    super::not_implemented(
        "runc",
        &args,
        "Usage: runc [global options] command [command options] [arguments...]\n\n\
         An OCI runtime with runc's command line (dockbox).",
        &version_text(),
    )
}
