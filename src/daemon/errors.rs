//! The API errors the daemon's parts share: a store or image failure as
//! the status moby gives it, and the conflicts and misses several routes
//! report in the same words.

use crate::api::{ApiError, ErrorKind};
use crate::image::ImageError;
use crate::store::StoreError;

/// A store failure is the daemon's own fault: 500.
pub fn store_error(error: StoreError) -> ApiError {
    ApiError::new(ErrorKind::Internal, error.to_string())
}

/// Client faults are 400, the daemon's own 500.
pub fn image_error(error: ImageError) -> ApiError {
    if error.is_bad_input() {
        ApiError::invalid(error.to_string())
    } else {
        ApiError::internal(error.to_string())
    }
}

/// A name another container holds (409), in moby's words.
pub fn name_conflict(name: &str, holder: &str) -> ApiError {
    ApiError::conflict(format!(
        "Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name."
    ))
}

/// `No such container: <what>` (404).
pub fn no_such_container(what: &str) -> ApiError {
    ApiError::not_found(format!("No such container: {what}"))
}
