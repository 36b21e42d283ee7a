//! The one way a stored container record changes: read it, change it and
//! write it back in one store write transaction. Writers take turns, so a
//! change never overwrites what another made meanwhile (an exit recorded
//! while a rename was under way, say). Never hold one across a shim
//! round-trip or a wait: every other container change waits for it.

use super::create::name_conflict;
use super::lookup::no_such_container;
use super::record::{ContainerRecord, StateError};
use crate::api::ApiError;
use crate::daemon::system::store_error;
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
