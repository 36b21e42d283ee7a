//! cgroupfs file access whose errors name the operation and the path.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::CgroupError;

pub fn io_error(operation: &'static str, path: &Path, source: std::io::Error) -> CgroupError {
    CgroupError::Io {
        operation,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `value` to `dir/file` in one write(2), as cgroupfs expects.
pub fn write(dir: &Path, file: &str, value: impl std::fmt::Display) -> Result<(), CgroupError> {
    let path = dir.join(file);
    std::fs::write(&path, value.to_string()).map_err(|e| io_error("write", &path, e))
}

pub fn read(dir: &Path, file: &str) -> Result<String, CgroupError> {
    let path = dir.join(file);
    std::fs::read_to_string(&path).map_err(|e| io_error("read", &path, e))
}

/// Reads a file that may be absent (a controller feature the kernel lacks).
pub fn read_optional(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

/// A single number; `max` reads as u64::MAX.
pub fn read_u64(dir: &Path, file: &str) -> Result<u64, CgroupError> {
    let text = read(dir, file)?;
    parse_u64(text.trim()).ok_or_else(|| {
        CgroupError::Invalid(format!(
            "{}: unexpected content {:?}",
            dir.join(file).display(),
            text.trim()
        ))
    })
}

pub fn read_u64_optional(dir: &Path, file: &str) -> u64 {
    read_optional(dir, file)
        .and_then(|text| parse_u64(text.trim()))
        .unwrap_or(0)
}

fn parse_u64(text: &str) -> Option<u64> {
    if text == "max" {
        return Some(u64::MAX);
    }
    text.parse().ok()
}

pub fn exists(dir: &Path, file: &str) -> bool {
    dir.join(file).exists()
}

/// A directory opened read-only (clone3's `cgroup` field refuses O_PATH).
pub fn open_dir(dir: &Path) -> Option<std::os::fd::OwnedFd> {
    std::fs::File::open(dir)
        .ok()
        .filter(|file| file.metadata().is_ok_and(|m| m.is_dir()))
        .map(std::os::fd::OwnedFd::from)
}

pub fn create_dir_all(dir: &Path) -> Result<(), CgroupError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error("mkdir", dir, e))
}

/// Every pid in `dir`'s cgroup.procs and below.
pub fn pids_recursive(dir: &Path, pids: &mut Vec<i32>) -> Result<(), CgroupError> {
    let procs = read(dir, "cgroup.procs")?;
    pids.extend(procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    for child in subdirectories(dir) {
        pids_recursive(&child, pids)?;
    }
    Ok(())
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes `dir` and the cgroups below it, deepest first. A cgroup whose
/// last process has just exited can still be busy for a moment, so EBUSY
/// is retried briefly. A missing directory is not an error.
pub fn remove_tree(dir: &Path) -> Result<(), CgroupError> {
    for child in subdirectories(dir) {
        remove_tree(&child)?;
    }
    let mut attempts = 0;
    loop {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && attempts < 50 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(10 * attempts.min(10)));
            }
            Err(e) => return Err(io_error("rmdir", dir, e)),
        }
    }
}

/// Polls `done` until it holds, for up to about two seconds.
pub fn wait_until(
    mut done: impl FnMut() -> Result<bool, CgroupError>,
) -> Result<bool, CgroupError> {
    for attempt in 0..200u64 {
        if done()? {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(1 + attempt.min(20)));
    }
    Ok(false)
}
