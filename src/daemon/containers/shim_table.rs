//! The running containers' side the store does not hold: exits seen and
//! their codes, waiters on exits and starts, attachers waiting for a
//! start, and the executable shims are started from.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

/// Running-container state the store does not hold.
#[derive(Default)]
pub struct ShimTable {
    state: Mutex<TableState>,
    changed: Condvar,
    /// Set at shutdown: exits then are not restarts.
    shutting_down: std::sync::atomic::AtomicBool,
    /// Our executable on a detached read-only mount, made once: shims
    /// started from it are already safe from CVE-2019-5736 and skip the
    /// re-exec that costs each container start a second process image.
    executable: OnceLock<Option<OwnedFd>>,
}

#[derive(Default)]
struct TableState {
    /// Bumped on every change waiters may care about, so a waiter that
    /// checked before a change does not sleep through it.
    generation: u64,
    /// Exits seen per container.
    exits: HashMap<String, u64>,
    /// The last exit code per container, kept past its removal for
    /// `wait?condition=removed`.
    codes: HashMap<String, i64>,
    /// Attachers of created containers waiting for the start.
    pending: HashMap<String, Vec<Sender<UnixStream>>>,
    /// Containers whose start is under way, so a second start waits its
    /// turn instead of launching a second shim.
    starting: std::collections::HashSet<String>,
}

impl ShimTable {
    /// From now on exits are the daemon's stop, not restarts.
    pub fn begin_shutdown(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the daemon is stopping its containers.
    pub fn shutting_down(&self) -> bool {
        self.shutting_down.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn exits(&self, id: &str) -> u64 {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.exits.get(id).copied().unwrap_or(0)
    }

    pub fn last_code(&self, id: &str) -> Option<i64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.codes.get(id).copied()
    }

    pub fn note_exit(&self, id: &str, code: i64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.codes.insert(id.to_string(), code);
        *state.exits.entry(id.to_string()).or_default() += 1;
        state.generation += 1;
        self.changed.notify_all();
    }

    /// What to execute as a shim: the read-only view of our executable
    /// where one can be made, else `binary` (the shim then re-executes
    /// itself from a view of its own).
    pub fn shim_program(&self, binary: &Path) -> PathBuf {
        match self
            .executable
            .get_or_init(crate::runtime::selfexe::read_only_view)
        {
            Some(view) => PathBuf::from(format!("/proc/self/fd/{}", view.as_raw_fd())),
            None => binary.to_path_buf(),
        }
    }

    /// Wakes waiters that poll for something else (a removal).
    pub fn notify(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.generation += 1;
        self.changed.notify_all();
    }

    /// The current change count, to pass to `wait_change_since`.
    pub fn generation(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .generation
    }

    /// Waits until the exit count of `id` passes `seen`, or `timeout`;
    /// true when it did.
    pub fn wait_exit(&self, id: &str, seen: u64, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if state.exits.get(id).copied().unwrap_or(0) > seen {
                return true;
            }
            let slice = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    left.min(Duration::from_millis(500))
                }
                None => Duration::from_millis(500),
            };
            state = self
                .changed
                .wait_timeout(state, slice)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Sleeps until anything changes after `generation` was read, at most
    /// `slice`; at once when something already has.
    pub fn wait_change_since(&self, generation: u64, slice: Duration) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.generation == generation {
            let _ = self.changed.wait_timeout(state, slice);
        }
    }

    /// An attacher of a created container: it gets its shim connection
    /// when the container starts, registered before the start.
    pub fn await_start(&self, id: &str) -> Receiver<UnixStream> {
        let (sender, receiver) = channel();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .pending
            .entry(id.to_string())
            .or_default()
            .push(sender);
        receiver
    }

    /// Claims the start of `id`; false when another start holds it.
    pub fn claim_start(&self, id: &str) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.starting.insert(id.to_string())
    }

    pub fn release_start(&self, id: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.starting.remove(id);
        state.generation += 1;
        self.changed.notify_all();
    }

    /// Waits until no start of `id` is in progress: a short-lived container
    /// can exit before its start is recorded, and its exit must come after.
    pub fn wait_for_start(&self, id: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.starting.contains(id) {
            state = self
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn take_pending(&self, id: &str) -> Vec<Sender<UnixStream>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending.remove(id).unwrap_or_default()
    }
}
