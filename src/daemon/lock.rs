//! The data-root lock that keeps a second daemon away, and the pidfile.

use super::errors::DaemonError;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "dockbox.lock";

/// An exclusive flock on `DATA_ROOT/dockbox.lock`, held for the daemon's
/// life (the kernel drops it when the process ends, however it ends).
pub struct DataRootLock {
    _lock: Flock<File>,
}

impl DataRootLock {
    pub fn acquire(data_root: &Path) -> Result<DataRootLock, DaemonError> {
        let path = data_root.join(LOCK_FILE);
        let io_error = |operation: &'static str| {
            let path = path.clone();
            move |source| DaemonError::Io {
                operation,
                path,
                source,
            }
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(io_error("open lock file"))?;
        let mut lock = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(DaemonError::DataRootInUse {
                    data_root: data_root.to_path_buf(),
                    holder: if holder.is_empty() {
                        "another process".to_string()
                    } else {
                        format!("pid {holder}")
                    },
                });
            }
            Err((_, errno)) => return Err(io_error("flock")(std::io::Error::from(errno))),
        };
        // Record who holds it, for the next daemon's error message.
        lock.set_len(0).map_err(io_error("truncate lock file"))?;
        lock.rewind().map_err(io_error("rewind lock file"))?;
        writeln!(lock, "{}", std::process::id()).map_err(io_error("write lock file"))?;
        Ok(DataRootLock { _lock: lock })
    }
}

/// The pidfile, removed again on drop.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes our pid to `path`, refusing when it names a live process
    /// (dockerd's check).
    pub fn create(path: &Path) -> Result<PidFile, DaemonError> {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse::<i32>()
            && pid > 0
            && pid != std::process::id() as i32
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            return Err(DaemonError::PidFileInUse {
                path: path.to_path_buf(),
                pid,
            });
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DaemonError::Io {
                operation: "create pidfile directory",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(path, format!("{}", std::process::id())).map_err(|source| {
            DaemonError::Io {
                operation: "write pidfile",
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(PidFile {
            path: path.to_path_buf(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
