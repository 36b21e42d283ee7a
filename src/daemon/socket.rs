//! The API's unix sockets: mode 0660, group `docker` when it exists (or the
//! group the user named, which must exist), removed again on drop. With
//! `-H fd://` also the sockets systemd made (docker.socket), which stay.

use super::errors::DaemonError;
use super::host::group_id;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

pub struct ApiSocket {
    pub listener: UnixListener,
    path: PathBuf,
    /// Whether the socket file is ours to remove (systemd's are not).
    owned: bool,
}

/// The first descriptor systemd passes (sd_listen_fds).
const LISTEN_FDS_START: i32 = 3;

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
            owned: true,
        };
        std::os::unix::fs::chown(path, Some(0), Some(gid.unwrap_or(0)))
            .map_err(io_error("chown socket"))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(io_error("chmod socket"))?;
        Ok(socket)
    }

    /// The listening unix sockets systemd passed to this process
    /// (`LISTEN_PID` is ours, `LISTEN_FDS` counts them from fd 3).
    pub fn from_systemd() -> Result<Vec<ApiSocket>, DaemonError> {
        let ours = std::env::var("LISTEN_PID")
            .ok()
            .and_then(|pid| pid.parse::<u32>().ok())
            == Some(std::process::id());
        let count = std::env::var("LISTEN_FDS")
            .ok()
            .and_then(|count| count.parse::<i32>().ok())
            .filter(|count| ours && *count > 0)
            .ok_or(DaemonError::NoActivatedSockets)?;
        (LISTEN_FDS_START..LISTEN_FDS_START + count)
            .map(ApiSocket::inherited)
            .collect()
    }

    fn inherited(fd: i32) -> Result<ApiSocket, DaemonError> {
        let fd_path = PathBuf::from(format!("/proc/self/fd/{fd}"));
        let io_error = |operation: &'static str| {
            let path = fd_path.clone();
            move |source| DaemonError::Io {
                operation,
                path,
                source,
            }
        };
        // SAFETY: systemd hands fds LISTEN_FDS_START.. to this process and
        // nothing else here owns them; fcntl checks that each one is open.
        if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return Err(io_error("take activated socket")(
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: as above, the descriptor is open and ours alone from here.
        let listener = unsafe { <UnixListener as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let address = listener
            .local_addr()
            .map_err(io_error("read activated socket's address"))?;
        let path = address
            .as_pathname()
            .map(Path::to_path_buf)
            .unwrap_or(fd_path);
        Ok(ApiSocket {
            listener,
            path,
            owned: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApiSocket {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
