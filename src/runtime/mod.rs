//! The synchronous container launcher shared by the `runc` applet and the
//! shim: one file per kernel concern. It knows nothing of the daemon, the
//! Engine API or the store.

pub mod console;
pub mod container;
pub mod control;
mod init;
pub mod namespaces;
pub mod process;
pub mod rootfs;
pub mod selfexe;
pub mod state;
pub mod sync;
pub mod timefmt;

pub use container::{Container, CreateOptions, Launched, RuntimeError};
