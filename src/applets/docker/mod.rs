//! The `docker` applet: the Docker-compatible client.
//!
//! The daemon does not serve containers yet, so only the parts that need no
//! daemon exist: Go templates (`template`), Docker's human output (`format`),
//! value parsers for `run`/`create` flags (`parse`) and the argv normaliser
//! (`args`). `main` answers `--help`/`--version` and otherwise says it is not
//! implemented, so no command pretends to work.

#[allow(dead_code)] // Wired to commands once the daemon serves containers.
mod args;
#[allow(dead_code)]
mod format;
#[allow(dead_code)]
mod parse;
#[allow(dead_code)]
mod queries;
#[allow(dead_code)]
mod request;
#[allow(dead_code)]
mod template;

use crate::version;
use std::ffi::OsString;

pub fn main(args: Vec<OsString>) -> i32 {
    let version = format!(
        "Docker version {}, build {} (dockbox {})",
        version::DOCKER_COMPAT_VERSION,
        version::COMMIT,
        version::VERSION
    );
    super::not_implemented(
        "docker",
        &args,
        "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers (dockbox client)",
        &version,
    )
}
