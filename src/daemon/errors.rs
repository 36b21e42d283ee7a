//! The daemon's errors: why it could not start ([`DaemonError`]), and the
//! API errors its parts share: a store or image failure as the status
//! moby gives it, and the conflicts and misses several routes report in
//! the same words.

use crate::api::{ApiError, ErrorKind};
use crate::image::ImageError;
use crate::store::StoreError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{operation} {}: {source}", path.display())]
    Io {
        operation: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the data root {} is in use by another daemon ({holder}); stop it or choose another --data-root", data_root.display())]
    DataRootInUse { data_root: PathBuf, holder: String },
    #[error("pid file found, ensure docker is not running or delete {} (it names live pid {pid})", path.display())]
    PidFileInUse { path: PathBuf, pid: i32 },
    #[error("no sockets found via socket activation: make sure the service was started by systemd")]
    NoActivatedSockets,
    #[error("group {0:?} not found in /etc/group")]
    NoSuchGroup(String),
    #[error("cannot listen on {}: the path exists and is not a socket", .0.display())]
    SocketPathTaken(PathBuf),
    #[error("cannot listen on {}: another daemon is serving it", .0.display())]
    SocketInUse(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("open the image store: {0}")]
    Images(#[from] crate::image::ImageError),
    #[error("set up signal handling: {0}")]
    Signals(nix::errno::Errno),
}

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
