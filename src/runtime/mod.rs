//! The synchronous container launcher shared by the `runc` applet and the
//! shim: one file per kernel concern. It knows nothing of the daemon, the
//! Engine API or the store.

pub mod devices;
pub mod mount_options;
pub mod mounts;
pub mod rootfs;
