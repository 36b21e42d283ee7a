//! The state directory `ROOT/ID/`: our private state file (written
//! atomically), the exec FIFO that separates create from start, and the
//! status derived from the init process.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub const STATE_FILE: &str = "state.json";
pub const EXEC_FIFO: &str = "exec.fifo";
/// The container's seccomp program, compiled once at create for `exec`.
pub const SECCOMP_FILE: &str = "seccomp.bpf";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("container with id exists: {0}")]
    Exists(String),
    #[error("container does not exist")]
    NotExist,
    #[error("invalid container id {0:?}: use letters, digits, '_', '-', '.' and '+'")]
    InvalidId(String),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parse {path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.to_path_buf();
    move |source| StateError::Io { op, path, source }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// What we remember of a container between invocations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: String,
    /// Host pid of the container's init.
    pub pid: i32,
    /// Field 22 of /proc/PID/stat at creation: tells a reused pid apart.
    pub start_time: u64,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    #[serde(default)]
    pub annotations: HashMap<String, String>,
    pub oci_version: String,
    /// Whether the container has a pid namespace of its own, so that
    /// `kill --all` may signal everything in it.
    pub own_pid_namespace: bool,
    /// Whether it runs in the host's pid namespace (neither made nor joined
    /// one): the init's death then takes nobody with it.
    #[serde(default)]
    pub host_pid_namespace: bool,
    /// The container's cgroup directories, resolved once at create: later
    /// commands run from other cgroups and must not resolve again.
    #[serde(default)]
    pub cgroup_paths: Option<crate::runtime::cgroups::CgroupPaths>,
}

/// runc's rule for ids: they name a directory, so no slashes or dots alone.
pub fn validate_id(id: &str) -> Result<(), StateError> {
    let fine = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 1024
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.+".contains(&b));
    if fine {
        Ok(())
    } else {
        Err(StateError::InvalidId(id.to_string()))
    }
}

/// `ROOT/ID/` of one container.
#[derive(Debug, Clone)]
pub struct StateDir {
    pub path: PathBuf,
}

impl StateDir {
    pub fn of(root: &Path, id: &str) -> Result<StateDir, StateError> {
        validate_id(id)?;
        Ok(StateDir {
            path: root.join(id),
        })
    }

    /// Creates the directory. mkdir is atomic, so of two concurrent
    /// creates of one id exactly one gets here.
    pub fn claim(root: &Path, id: &str) -> Result<StateDir, StateError> {
        let dir = StateDir::of(root, id)?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(root)
            .map_err(io("mkdir", root))?;
        match std::fs::DirBuilder::new().mode(0o711).create(&dir.path) {
            Ok(()) => Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(StateError::Exists(id.to_string()))
            }
            Err(e) => Err(io("mkdir", &dir.path)(e)),
        }
    }

    pub fn exists(&self) -> bool {
        self.path.is_dir()
    }

    pub fn fifo_path(&self) -> PathBuf {
        self.path.join(EXEC_FIFO)
    }

    pub fn seccomp_path(&self) -> PathBuf {
        self.path.join(SECCOMP_FILE)
    }

    /// The state file, or None while the container is still being created.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        let file = self.path.join(STATE_FILE);
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|source| StateError::Parse { path: file, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if self.exists() {
                    Ok(None)
                } else {
                    Err(StateError::NotExist)
                }
            }
            Err(e) => Err(io("read", &file)(e)),
        }
    }

    pub fn save(&self, state: &State) -> Result<(), StateError> {
        let bytes = serde_json::to_vec(state).expect("state serialises");
        write_atomically(&self.path.join(STATE_FILE), &bytes, 0o600)
    }

    pub fn remove(&self) -> Result<(), StateError> {
        match std::fs::remove_dir_all(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("remove", &self.path)(e)),
        }
    }
}

/// Writes `bytes` to a temp file beside `path` and renames it into place,
/// so a reader sees the old file or the new one, never a torn one.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StateError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temp)
        .map_err(io("create", &temp))?;
    file.write_all(bytes).map_err(io("write", &temp))?;
    drop(file);
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io("rename", path)(e)
    })
}

/// Field 22 (starttime) of /proc/PID/stat and whether the process is a
/// zombie, or None when there is no such process.
pub fn proc_stat(pid: i32) -> Option<(u64, bool)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: skip past the last ')'.
    let after = &text[text.rfind(')')? + 2..];
    let mut fields = after.split(' ');
    let zombie = matches!(fields.next(), Some("Z") | Some("X"));
    // `after` starts at field 3; starttime is field 22.
    let start_time = fields.nth(18)?.parse().ok()?;
    Some((start_time, zombie))
}

impl State {
    /// Whether the recorded init is still alive (not a zombie, pid not reused).
    pub fn init_alive(&self) -> bool {
        matches!(proc_stat(self.pid), Some((start, false)) if start == self.start_time)
    }
}

/// The status of the container in `dir` whose state file is `state`.
pub fn status_of(dir: &StateDir, state: Option<&State>) -> Status {
    match state {
        None => Status::Creating,
        Some(state) if !state.init_alive() => Status::Stopped,
        Some(_) if dir.fifo_path().exists() => Status::Created,
        Some(_) => Status::Running,
    }
}

/// The owner `list` shows: the name of the state directory's owner in the
/// host's /etc/passwd, or `#UID` as runc writes it when there is none.
pub fn owner_of(dir: &StateDir) -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(&dir.path) else {
        return String::new();
    };
    let uid = meta.uid().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("#{uid}"))
}

/// Every container id below `root`, sorted.
pub fn list_ids(root: &Path) -> Result<Vec<String>, StateError> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("read directory", root)(e)),
    };
    let mut ids: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|id| validate_id(id).is_ok())
        .collect();
    ids.sort();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(validate_id("abc-1.2_x+y").is_ok());
        for bad in ["", ".", "..", "a/b", "a b"] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn own_stat_is_readable() {
        let (start, zombie) = proc_stat(std::process::id() as i32).unwrap();
        assert!(start > 0);
        assert!(!zombie);
    }
}
