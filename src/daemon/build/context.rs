//! The build context: the request body's tar (gzipped or not) unpacked
//! into a temporary directory that every later lookup treats as a root
//! (`inroot`), so a symlink in the context cannot point a COPY outside
//! it. Entry names are taken relative to the context, `..` never
//! climbing above it.

use crate::inroot::Root;
use std::ffi::CString;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// An unpacked context, removed on drop.
pub struct Context {
    dir: PathBuf,
    pub root: Root,
}

impl Drop for Context {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A context entry's path made relative to the context, `..` stopping
/// at its top as it does at `/` (moby unpacks the context chrooted into
/// it, so `../../x` lands at `x`).
fn entry_path(raw: &[u8]) -> PathBuf {
    let mut parts = Vec::new();
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            part => parts.push(std::ffi::OsStr::from_bytes(part)),
        }
    }
    parts.iter().collect()
}

fn c_name(name: &std::ffi::OsStr) -> Result<CString, String> {
    CString::new(name.as_bytes()).map_err(|_| "invalid name in build context".to_string())
}

impl Context {
    /// Unpacks `reader` into a fresh directory `dir`.
    pub fn receive(reader: impl Read, dir: PathBuf) -> Result<Context, String> {
        std::fs::create_dir(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let root = Root::open(&dir).map_err(|e| e.to_string());
        let context = Context { root: root?, dir };
        let decompressed =
            crate::image::store::decompressed(reader).map_err(|e| format!("read context: {e}"))?;
        let mut archive = tar::Archive::new(decompressed);
        let entries = archive
            .entries()
            .map_err(|e| format!("Error processing tar file({e}): "))?;
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                // Docker CLI 28's `-f -` context ends right after its last
                // entry's data (no padding, no end blocks); moby's reader
                // takes that as the end, and so do we. A short entry is
                // caught by its copy below.
                Err(error)
                    if error.kind() == std::io::ErrorKind::UnexpectedEof
                        || error.to_string().starts_with("unexpected EOF") =>
                {
                    break;
                }
                Err(error) => return Err(format!("Error processing tar file({error}): ")),
            };
            context.add(entry)?;
        }
        Ok(context)
    }

    fn add(&self, mut entry: tar::Entry<'_, impl Read>) -> Result<(), String> {
        let raw = entry.path_bytes().into_owned();
        let path = entry_path(&raw);
        if path.as_os_str().is_empty() {
            return Ok(());
        }
        let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;
        let fail = |e: &dyn std::fmt::Display| format!("unpack {}: {e}", path.display());
        let parent = path.parent().unwrap_or(Path::new(""));
        let name = path.file_name().unwrap_or_default();
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                self.root.mkdir_all(&path, mode).map_err(|e| fail(&e))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                self.root.mkdir_all(parent, 0o755).map_err(|e| fail(&e))?;
                let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC | libc::O_NOFOLLOW;
                let fd = self
                    .root
                    .open_at(&path, flags, mode)
                    .map_err(|e| fail(&e))?;
                let mut file = std::fs::File::from(fd);
                let size = entry.header().size().unwrap_or(0);
                let copied = std::io::copy(&mut entry, &mut file).map_err(|e| fail(&e))?;
                if copied != size {
                    return Err("Error processing tar file(unexpected EOF): ".to_string());
                }
                let mtime = entry.header().mtime().unwrap_or(0) as i64;
                set_mtime(&file, mtime);
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let dir = self.root.mkdir_all(parent, 0o755).map_err(|e| fail(&e))?;
                let target = CString::new(target).map_err(|e| fail(&e))?;
                let name = c_name(name)?;
                // SAFETY: both strings are NUL-terminated; dir is open.
                if unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) } != 0
                {
                    return Err(fail(&std::io::Error::last_os_error()));
                }
            }
            tar::EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                let target = entry_path(&target);
                let source = self.root.open_path(&target).map_err(|e| fail(&e))?;
                let dir = self.root.mkdir_all(parent, 0o755).map_err(|e| fail(&e))?;
                let name = c_name(name)?;
                // SAFETY: an empty path with AT_EMPTY_PATH links the open
                // file itself, which lies inside the context.
                let linked = unsafe {
                    libc::linkat(
                        source.as_raw_fd(),
                        c"".as_ptr(),
                        dir.as_raw_fd(),
                        name.as_ptr(),
                        libc::AT_EMPTY_PATH,
                    )
                };
                if linked != 0 {
                    return Err(fail(&std::io::Error::last_os_error()));
                }
            }
            // Devices, fifos and the rest have nothing to copy.
            _ => {}
        }
        Ok(())
    }

    /// A file of the context (resolved inside it) read whole, at most
    /// `limit` bytes; None when it does not exist.
    pub fn read_file(&self, name: &str, limit: usize) -> Result<Option<Vec<u8>>, String> {
        let fd = match self.root.open_at(Path::new(name), libc::O_RDONLY, 0) {
            Ok(fd) => fd,
            Err(crate::inroot::InRootError::Io { source, .. })
                if source.raw_os_error() == Some(libc::ENOENT) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(error.to_string()),
        };
        let mut bytes = Vec::new();
        std::fs::File::from(fd)
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("read {name}: {e}"))?;
        Ok(Some(bytes))
    }

    /// Deletes a file of the context (the Dockerfile or .dockerignore
    /// when .dockerignore excludes them, as moby does).
    pub fn remove(&self, name: &str) {
        let path = entry_path(name.as_bytes());
        if !path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(self.dir.join(path));
        }
    }
}

pub fn set_mtime(file: &std::fs::File, seconds: i64) {
    let times = [
        libc::timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
    ];
    // SAFETY: the fd is open and times holds two timespecs.
    unsafe { libc::futimens(file.as_raw_fd(), times.as_ptr()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths_stay_inside_the_context() {
        assert_eq!(entry_path(b"./a/b"), PathBuf::from("a/b"));
        assert_eq!(entry_path(b"/etc/passwd"), PathBuf::from("etc/passwd"));
        assert_eq!(entry_path(b"a/../../x"), PathBuf::from("x"));
        assert_eq!(entry_path(b"../.."), PathBuf::new());
    }
}
