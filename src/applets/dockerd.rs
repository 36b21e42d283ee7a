//! The `dockerd` applet: the Engine API daemon.

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
        "dockerd",
        &args,
        "Usage: dockerd [OPTIONS]\n\nA self-sufficient runtime for containers (dockbox daemon)",
        &version,
    )
}
