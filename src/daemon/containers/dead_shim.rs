//! A shim that died without reporting its container's exit (SIGKILL, the
//! OOM killer). The shim alone owns a running container, so nobody else
//! would end it: its processes would run on unsupervised and the
//! launcher's state would make every later start fail ("container with id
//! exists"). The daemon kills what is left and deletes that state through
//! the runtime, as containerd does after a dead shim.
//!
//! This is the one place where the daemon loads the runtime's state and
//! acts on a container itself. Every other operation on a running
//! container is a request to its shim (`shim_requests`); here there is no
//! shim left to ask, and the functions below are only called once the
//! shim is known to be gone: its monitor connection ended without an
//! exit, it did not answer at a live restore, or it had exited before the
//! container's removal.

use super::files::runtime_root;
use crate::daemon::log;
use crate::daemon::state::Daemon;
use crate::gofmt::time::now_nanos;
use crate::runtime::container::Container;
use crate::shim::ShimState;

/// What Docker records as the exit code: containerd's cleanup after a
/// dead runc shim kills the container and reports 128 + SIGKILL, which
/// dockerd 20.10 keeps in `State.ExitCode` (with an empty `State.Error`).
const EXIT_CODE: i32 = 128 + libc::SIGKILL;

/// The `exitCode` of dockerd 20.10's `die` event for such a container:
/// it takes that attribute from its own delete of the containerd task,
/// which a dead shim answers with containerd's "unknown" status, 255.
pub const DIE_EVENT_CODE: i64 = 255;

/// Ends the container of the dead shim of `id` and returns the exit to
/// record for it.
pub fn end_container(daemon: &Daemon, id: &str) -> ShimState {
    log::warn(&format!(
        "the shim of container {id} died without reporting an exit: killing what is left of the container"
    ));
    delete_runtime_state(daemon, id);
    ShimState {
        exited: true,
        exit_code: EXIT_CODE,
        finished_at: now_nanos(),
        ..ShimState::default()
    }
}

/// Kills every process left in the container and deletes the launcher's
/// state and cgroups. Nothing to do when the shim deleted them itself.
pub fn delete_runtime_state(daemon: &Daemon, id: &str) {
    let Ok(container) = Container::load(&runtime_root(daemon), id) else {
        return;
    };
    // Every process of its pid namespace, not just the init: a paused
    // container takes the signals once `delete` thaws it. A container
    // that has stopped already answers NotRunning, which is fine.
    let _ = container.kill(libc::SIGKILL, true);
    if let Err(error) = container.delete(true) {
        log::warn(&format!("delete the runtime state of {id}: {error}"));
    }
}
