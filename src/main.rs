//! dockbox: the Docker client, daemon, shim and an OCI runtime in one static
//! executable that acts by the name it is called with.

mod api;
mod applets;
// The classic builder's parser, expander and ignore matcher, which the
// daemon's build route (to come) drives.
#[allow(dead_code)]
mod build;
mod daemon;
mod gofmt;
mod http;
mod image;
mod inroot;
mod network;
mod runtime;
mod shim;
mod store;
mod tarball;
#[cfg(test)]
mod test_skip;
mod version;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    std::process::exit(applets::dispatch(args));
}
