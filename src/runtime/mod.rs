//! The synchronous container launcher shared by the `runc` applet and the
//! shim: one file per kernel concern. It knows nothing of the daemon, the
//! Engine API or the store.
//!
//! How a container comes to life (`Container::create` / `Container::run`):
//! 1. The caller re-executes itself from a sealed memfd first
//!    ([`selfexe::reexec_sealed`]), so no process that a container can see
//!    ever runs the host binary.
//! 2. The parent parses the spec and prepares everything ([`process`],
//!    [`namespaces`]), claims `ROOT/ID/` with an atomic mkdir ([`state`]),
//!    and clones the init with the CLONE_NEW* flags of the new namespaces.
//!    Namespaces given by path are joined first by a short-lived helper
//!    that clones the init with CLONE_PARENT.
//! 3. The init, a clone that inherited every fd of the runtime and of its
//!    caller, first closes all but stdio, the passed ones and its own few
//!    sockets (`fds.rs`), so that no directory of the host can serve as
//!    its cwd; it enters the cwd before any seccomp filter and refuses one
//!    outside its root. Parent and init talk over one SOCK_SEQPACKET
//!    socketpair ([`sync`]): when the parent has work for the init
//!    (user-namespace id maps; cgroup placement), the init waits for its
//!    `Proceed`. Under a new user namespace the parent first sends O_PATH
//!    fds of the bind sources, which the mapped root may not reach
//!    ([`mount_sources`]); the init binds from them and closes them before
//!    it resolves its cwd. The init sets up the rootfs ([`rootfs`]), hostname, sysctls, terminal ([`console`]),
//!    limits and user, and either reports `Ready` and blocks on
//!    `exec.fifo` until `start` (create), or execs at once (run: the
//!    close-on-exec socket's end-of-file tells the parent it worked).
//! 4. The parent records `state.json` and the pid file; status is derived
//!    from the init's /proc entry and the FIFO ([`state::status_of`]).

pub mod caps;
pub mod cgroups;
pub(crate) mod clone;
pub mod console;
pub mod container;
pub mod control;
pub mod devices;
pub mod exec;
mod fds;
pub mod features;
pub mod hooks;
mod init;
pub mod manage;
pub mod mount_options;
pub mod mount_sources;
pub mod mounts;
pub mod namespaces;
mod prepare;
pub mod process;
mod procfs;
pub mod rootfs;
mod scm;
pub mod seccomp;
pub mod selfexe;
pub mod state;
pub mod sync;

pub use container::{Container, CreateOptions, Launched, RuntimeError, load_spec};

static WARNING_SINK: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Where the launcher's warnings go (the `runc` applet: its log, as
/// logrus lines); stderr until one is set.
pub fn set_warning_sink(sink: fn(&str)) {
    let _ = WARNING_SINK.set(sink);
}

static ERROR_SINK: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Where the launcher's errors that do not fail the command go (a
/// poststop hook's failure: runc's delete logs it and succeeds); stderr
/// until one is set.
pub fn set_error_sink(sink: fn(&str)) {
    let _ = ERROR_SINK.set(sink);
}

pub(crate) fn log_error(message: &str) {
    match ERROR_SINK.get() {
        Some(sink) => sink(message),
        None => eprintln!("{message}"),
    }
}

static DEBUG_SINK: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

/// Where the launcher names its main stages (`runc --debug`). Without a
/// sink nothing is formatted: each stage costs one load.
pub fn set_debug_sink(sink: fn(&str)) {
    let _ = DEBUG_SINK.set(sink);
}

/// One stage of the launcher, for --debug; `message` runs only then.
pub(crate) fn debug(message: impl FnOnce() -> String) {
    if let Some(sink) = DEBUG_SINK.get() {
        sink(&message());
    }
}

/// runc's warning for capability names it ignores.
pub fn warn_unknown(names: &[String]) {
    warn(&caps::unknown_names_warning(names));
}

pub(crate) fn warn(message: &str) {
    match WARNING_SINK.get() {
        Some(sink) => sink(message),
        None => eprintln!("{message}"),
    }
}
