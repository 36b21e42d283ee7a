//! The per-container shim, the only owner of its running container: it
//! launches the container in-process, owns its stdio, writes its
//! json-file log, serves attachers over a unix socket in the container's
//! exec-root directory, carries out every operation on the container that
//! the daemon requests on that socket (signals, pause and resume, resource
//! updates, its processes, stats, the terminal size), and records the exit
//! status in a state file there, so the daemon can die and come back
//! without losing either the container or its exit code.
//!
//! The daemon side only needs [`ShimConfig`], [`ShimState`], the file
//! names and the [`protocol`]; it never acts on a running container with
//! the runtime itself (except to clean up after a shim that died).

pub mod exec;
pub mod jsonlog;
mod memory;
pub mod oom;
pub mod protocol;
pub mod serve;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the daemon writes to `shim.json` in the bundle before it starts the
/// shim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShimConfig {
    pub id: String,
    /// The launcher's state root.
    pub runtime_root: PathBuf,
    /// The json-file log, or none for the `none` driver.
    pub log_path: Option<PathBuf>,
    /// `max-size` in bytes; 0 for no rotation.
    pub log_max_size: u64,
    /// `max-file`: how many files, the live one included.
    pub log_max_file: u32,
    pub tty: bool,
    pub open_stdin: bool,
    /// MS_MOVE and chroot instead of pivot_root: the daemon decided it
    /// once (an initramfs host root, or `DOCKER_RAMDISK`).
    #[serde(default)]
    pub no_pivot: bool,
}

/// The shim's record of the container, readable while the daemon is down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShimState {
    pub pid: i32,
    pub running: bool,
    pub exited: bool,
    pub exit_code: i32,
    pub oom_killed: bool,
    /// Nanoseconds since the epoch.
    pub finished_at: i64,
}

pub const CONFIG_FILE: &str = "shim.json";
pub const STATE_FILE: &str = "state.json";
pub const SOCKET_FILE: &str = "shim.sock";
const CONSOLE_SOCKET_FILE: &str = "console.sock";

pub fn read_state(bundle: &Path) -> Option<ShimState> {
    let bytes = std::fs::read(bundle.join(STATE_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Replaces the state file atomically, so a reader never sees half of it.
pub fn write_state(bundle: &Path, state: &ShimState) -> std::io::Result<()> {
    let temp = bundle.join(".state.json.tmp");
    let bytes = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, bundle.join(STATE_FILE))
}
