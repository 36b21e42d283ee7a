//! The `docker` applet: the Docker-compatible client.

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
