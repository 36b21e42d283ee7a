//! The one way a stored container record changes: read it, change it and
//! write it back in one store write transaction. Writers take turns, so a
//! change never overwrites what another made meanwhile (an exit recorded
//! while a rename was under way, say). Never hold one across a shim
//! round-trip or a wait: every other container change waits for it.

use super::record::{ContainerRecord, StateError};
use crate::api::ApiError;
use crate::daemon::errors::store_error;
use crate::daemon::errors::{name_conflict, no_such_container};
use crate::store::{Commit, Store, StoreError, WriteTx};

/// Why a change was not made; nothing was written then.
#[derive(Debug)]
pub enum ChangeError {
    Store(StoreError),
    Refused(ApiError),
}

impl From<StoreError> for ChangeError {
    fn from(error: StoreError) -> Self {
        ChangeError::Store(error)
    }
}

impl From<ApiError> for ChangeError {
    fn from(error: ApiError) -> Self {
        ChangeError::Refused(error)
    }
}

impl From<StateError> for ApiError {
    /// A state change the record's state does not allow (409).
    fn from(error: StateError) -> Self {
        ApiError::conflict(error.to_string())
    }
}

/// Applies `change` to the current record of container `id` (and, through
/// the transaction, to other tables) and stores the result. A missing
/// container is a 404, a name taken meanwhile moby's name conflict.
pub fn change_container<T>(
    store: &Store,
    commit: Commit,
    id: &str,
    change: impl FnOnce(&mut WriteTx, &mut ContainerRecord) -> Result<T, ChangeError>,
) -> Result<T, ApiError> {
    store
        .update_container(commit, id, change)
        .map_err(|error| match error {
            ChangeError::Refused(error) => error,
            ChangeError::Store(StoreError::Missing { .. }) => no_such_container(id),
            ChangeError::Store(StoreError::NameInUse { name, id }) => name_conflict(&name, &id),
            ChangeError::Store(other) => store_error(other),
        })
}

/// One holder at a time per container for what reads its record and then
/// acts on its process (start, signal, pause, unpause, the cgroup update):
/// the process acted on is then the one the record names, not the next
/// run's. Held only across quick runtime and shim requests, never while
/// waiting for an exit, and never across a store transaction that
/// another holder waits on.
#[derive(Default)]
pub struct OperationLocks {
    held: std::sync::Mutex<std::collections::HashSet<String>>,
    released: std::sync::Condvar,
}

/// Holds container `id` until dropped.
pub struct OperationGuard<'a> {
    locks: &'a OperationLocks,
    id: String,
}

impl OperationLocks {
    /// Waits until no one else holds container `id`, then holds it.
    pub fn hold(&self, id: &str) -> OperationGuard<'_> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        while held.contains(id) {
            held = self.released.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        held.insert(id.to_string());
        OperationGuard {
            locks: self,
            id: id.to_string(),
        }
    }
}

impl Drop for OperationGuard<'_> {
    fn drop(&mut self) {
        let mut held = self.locks.held.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.id);
        self.locks.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn one_holder_per_container_and_others_go_on() {
        let locks = OperationLocks::default();
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _guard = locks.hold("a");
                        // Another container is never held up by "a".
                        drop(locks.hold("b"));
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert!(locks.held.lock().unwrap().is_empty());
    }
}
