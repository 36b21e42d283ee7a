//! The synchronous container launcher shared by the `runc` applet and the
//! shim: one file per kernel concern. It knows nothing of the daemon, the
//! Engine API or the store.

#[allow(dead_code)] // Used by the launcher (issue 4).
pub mod caps;
#[allow(dead_code)] // Used by the launcher (issue 4).
pub mod cgroups;
pub mod devices;
#[allow(dead_code)] // Wired into `runc features` with the launcher (issue 4).
pub mod features;
#[allow(dead_code)] // Used by the launcher (issue 4).
pub mod hooks;
pub mod mount_options;
pub mod mounts;
pub mod rootfs;
#[allow(dead_code, unused_imports)] // Used by the launcher (issue 4).
pub mod seccomp;
