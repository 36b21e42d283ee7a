//! The `docker-init` applet: a minimal init for `docker run --init`.

use crate::version;
use std::ffi::OsString;

pub fn main(args: Vec<OsString>) -> i32 {
    // dockerd reads this line for `docker info`; it expects tini's shape.
    let version = format!("tini version 0.19.0 - git.dockbox-{}", version::COMMIT);
    super::not_implemented(
        "docker-init",
        &args,
        "Usage: docker-init [OPTIONS] PROGRAM -- [ARGS]\n\nReaps zombies and forwards signals to PROGRAM.",
        &version,
    )
}
