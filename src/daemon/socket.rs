//! The API's unix sockets: mode 0660, group `docker` when it exists (or the
//! group the user named, which must exist), removed again on drop.

use super::DaemonError;
use super::host::group_id;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub struct ApiSocket {
    pub listener: UnixListener,
    path: PathBuf,
}

impl ApiSocket {
    pub fn bind(path: &Path, group: &str, group_explicit: bool) -> Result<ApiSocket, DaemonError> {
        let io_error = |operation: &'static str| {
            move |source| DaemonError::Io {
                operation,
                path: path.to_path_buf(),
                source,
            }
        };
        let gid = match group_id(group) {
            Some(gid) => Some(gid),
            None if group_explicit => {
                return Err(DaemonError::NoSuchGroup(group.to_string()));
            }
            None => None,
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(DaemonError::SocketPathTaken(path.to_path_buf()));
            }
            // A socket someone still answers on belongs to a live daemon.
            if UnixStream::connect(path).is_ok() {
                return Err(DaemonError::SocketInUse(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(io_error("remove stale socket"))?;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error("create socket directory"))?;
        }
        let listener = UnixListener::bind(path).map_err(io_error("bind socket"))?;
        let socket = ApiSocket {
            listener,
            path: path.to_path_buf(),
        };
        std::os::unix::fs::chown(path, Some(0), Some(gid.unwrap_or(0)))
            .map_err(io_error("chown socket"))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(io_error("chmod socket"))?;
        Ok(socket)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApiSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
