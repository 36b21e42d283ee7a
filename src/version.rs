//! Version strings shared by every applet. Clients parse several of these
//! (`runc --version` by dockerd and containerd, the API version by the CLI),
//! so their shape is part of the interface.

/// dockbox's own release.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit the binary was built from, or `unknown`.
pub const COMMIT: &str = env!("DOCKBOX_COMMIT");
/// The OCI runtime-spec version that the `runc` applet implements.
pub const OCI_SPEC_VERSION: &str = "1.2.0";
/// The Docker release whose CLI and Engine API we follow.
pub const DOCKER_COMPAT_VERSION: &str = "28.2.2";
