//! dockbox: the Docker client, daemon, shim and an OCI runtime in one static
//! executable that acts by the name it is called with.

#[allow(dead_code)] // Parts serve the `docker` applet later.
mod api;
mod applets;
#[allow(dead_code)] // Route plumbing that the container endpoints use.
mod daemon;
mod gofmt;
#[allow(dead_code)] // The client half serves the `docker` applet later.
mod http;
#[allow(dead_code)] // Wired to the daemon's image endpoints later.
mod image;
#[allow(dead_code)] // Used by the runtime and the image store.
mod inroot;
#[allow(dead_code)] // Filled by the runtime issues.
mod runtime;
mod shim;
#[allow(dead_code)] // Parts serve the container and image endpoints later.
mod store;
mod version;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    std::process::exit(applets::dispatch(args));
}
