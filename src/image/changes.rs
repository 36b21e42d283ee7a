//! What a container changed in its root filesystem (`docker diff`, and
//! the layer `docker commit` makes), judged as moby's naive diff judges
//! it: a path is added when nothing was there below, deleted when it was
//! and is gone, and modified when its mode, owner, device, size or mtime
//! differ (for directories: mode, owner or anything changed inside).
//!
//! The container's side is its overlay upper directory (whiteouts are
//! deletions, an opaque directory hides what lies below) or, for vfs, its
//! whole copy. Every lookup is an *at(2) call on a directory descriptor
//! with O_NOFOLLOW: a symlink the container made is never followed on the
//! host.

use super::at;
use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Deeper trees than this are refused rather than walked: each level
/// holds descriptors open.
const MAX_DEPTH: usize = 1024;

/// What moby's init layer, between the image and each container's own
/// layer, holds: the mount points for what the daemon binds in. dockbox
/// makes no such layer, so what the runtime creates for these mounts is
/// no change of the container's, and `docker export` shows them as moby's
/// export does.
pub const INIT_LAYER: &[(&str, InitEntry)] = &[
    ("/.dockerenv", InitEntry::File),
    ("/dev", InitEntry::Dir),
    ("/dev/console", InitEntry::File),
    ("/dev/pts", InitEntry::Dir),
    ("/dev/shm", InitEntry::Dir),
    ("/etc", InitEntry::Dir),
    ("/etc/hostname", InitEntry::File),
    ("/etc/hosts", InitEntry::File),
    ("/etc/mtab", InitEntry::Link("/proc/mounts")),
    ("/etc/resolv.conf", InitEntry::File),
    ("/proc", InitEntry::Dir),
    ("/sys", InitEntry::Dir),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitEntry {
    File,
    Dir,
    Link(&'static str),
}

fn in_init_layer(path: &Path) -> bool {
    INIT_LAYER.iter().any(|(init, _)| Path::new(init) == path)
}

/// moby's `archive.ChangeType`, numbered as the API sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Modify = 0,
    Add = 1,
    Delete = 2,
}

/// One changed path, absolute inside the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    pub kind: ChangeKind,
}

/// How the two trees relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// The newer tree is an overlay upper directory: what it lacks is
    /// unchanged, unless a whiteout or an opaque directory says otherwise.
    Overlay,
    /// The newer tree is complete: what it lacks was deleted.
    Full,
}

fn open_dir(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<OwnedFd> {
    at::open(dir, name, libc::O_RDONLY | libc::O_DIRECTORY, 0)
}

/// Opens a host directory the daemon owns (a layer or upper directory).
pub fn open_root(path: &Path) -> io::Result<OwnedFd> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    open_dir(
        // SAFETY: AT_FDCWD is a valid directory argument for openat.
        unsafe { BorrowedFd::borrow_raw(libc::AT_FDCWD) },
        &c_path,
    )
}

fn is_whiteout(stat: &libc::stat) -> bool {
    stat.st_mode & libc::S_IFMT == libc::S_IFCHR && stat.st_rdev == 0
}

/// A directory overlayfs renamed in place (redirect_dir): its content is
/// elsewhere below, which an upper-directory walk cannot follow. The
/// driver mounts with redirects off; one made before is refused rather
/// than committed as an empty directory.
fn check_no_redirect(dir: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let mut value = [0u8; 1];
    // SAFETY: the key is NUL-terminated and value is writable for its size.
    let length = unsafe {
        libc::fgetxattr(
            dir.as_raw_fd(),
            c"trusted.overlay.redirect".as_ptr(),
            value.as_mut_ptr().cast(),
            0,
        )
    };
    if length >= 0 {
        return Err(io::Error::other(format!(
            "{} was renamed by overlayfs with redirect_dir, which dockbox cannot diff",
            path.display()
        )));
    }
    Ok(())
}

fn is_opaque(dir: BorrowedFd<'_>) -> bool {
    let mut value = [0u8; 4];
    // SAFETY: the key is NUL-terminated and value is writable for its size.
    let length = unsafe {
        libc::fgetxattr(
            dir.as_raw_fd(),
            c"trusted.overlay.opaque".as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    length == 1 && value[0] == b'y'
}

/// moby's sameFsTimeSpec: a zero nanosecond part on either side (a
/// filesystem or tar without them) matches any.
fn same_time(old: &libc::stat, new: &libc::stat) -> bool {
    old.st_mtime == new.st_mtime
        && (old.st_mtime_nsec == new.st_mtime_nsec
            || old.st_mtime_nsec == 0
            || new.st_mtime_nsec == 0)
}

/// moby's statDifferent: size and mtime do not count for directories.
pub fn stat_differs(old: &libc::stat, new: &libc::stat) -> bool {
    old.st_mode != new.st_mode
        || old.st_uid != new.st_uid
        || old.st_gid != new.st_gid
        || old.st_rdev != new.st_rdev
        || (!at::is_dir(old) && (!same_time(old, new) || old.st_size != new.st_size))
}

/// The directories at one path in each older layer that still show
/// through, top first.
struct Lowers(Vec<OwnedFd>);

impl Lowers {
    /// What `name` is in the older tree: the topmost entry, unless a
    /// whiteout hides it.
    fn lookup(&self, name: &CStr) -> io::Result<Option<libc::stat>> {
        for dir in &self.0 {
            if let Some(stat) = at::lstat(dir.as_fd(), name)? {
                return Ok((!is_whiteout(&stat)).then_some(stat));
            }
        }
        Ok(None)
    }

    /// The directories `name` is in each layer, down to the first that
    /// is no directory or is opaque.
    fn child(&self, name: &CStr) -> io::Result<Lowers> {
        let mut dirs = Vec::new();
        for dir in &self.0 {
            match at::lstat(dir.as_fd(), name)? {
                None => continue,
                Some(stat) if !at::is_dir(&stat) => break,
                Some(_) => {
                    let child = open_dir(dir.as_fd(), name)?;
                    let opaque = is_opaque(child.as_fd());
                    dirs.push(child);
                    if opaque {
                        break;
                    }
                }
            }
        }
        Ok(Lowers(dirs))
    }

    /// Every name visible in the older tree here.
    fn names(&self) -> io::Result<Vec<CString>> {
        let mut names = std::collections::BTreeSet::new();
        for dir in &self.0 {
            names.extend(at::list(dir.as_fd())?);
        }
        let mut visible = Vec::new();
        for name in names {
            if self.lookup(&name)?.is_some() {
                visible.push(name);
            }
        }
        Ok(visible)
    }
}

struct Walk {
    compare: Compare,
    changes: Vec<Change>,
}

fn child_path(path: &Path, name: &CStr) -> PathBuf {
    path.join(OsStr::from_bytes(name.to_bytes()))
}

impl Walk {
    fn push(&mut self, path: PathBuf, kind: ChangeKind) {
        self.changes.push(Change { path, kind });
    }

    /// A directory changed by what it holds goes before its contents.
    fn insert_modify(&mut self, at: usize, path: PathBuf) {
        let kind = ChangeKind::Modify;
        self.changes.insert(at, Change { path, kind });
    }

    /// Compares the directory `new` (at `path`) with the older tree's
    /// directories `lowers` at the same path.
    fn dir(
        &mut self,
        new: BorrowedFd<'_>,
        lowers: &Lowers,
        path: &Path,
        depth: usize,
    ) -> io::Result<()> {
        if depth > MAX_DEPTH {
            return Err(io::Error::other(format!(
                "{} is nested too deeply",
                path.display()
            )));
        }
        if self.compare == Compare::Overlay {
            check_no_redirect(new, path)?;
        }
        let mut names = at::list(new)?;
        names.sort();
        let hides_lowers = self.compare == Compare::Full || is_opaque(new);
        if hides_lowers {
            for name in lowers.names()? {
                if names.binary_search(&name).is_err() {
                    self.push(child_path(path, &name), ChangeKind::Delete);
                }
            }
        }
        for name in &names {
            let Some(stat) = at::lstat(new, name)? else {
                continue;
            };
            let path = child_path(path, name);
            let old = lowers.lookup(name)?;
            if self.compare == Compare::Overlay && is_whiteout(&stat) {
                if old.is_some() {
                    self.push(path, ChangeKind::Delete);
                }
                continue;
            }
            let Some(old) = old else {
                if in_init_layer(&path) {
                    // Below the container's layer in moby: unchanged, and
                    // a directory only changed by what it holds.
                    if at::is_dir(&stat) {
                        let mark = self.changes.len();
                        let child = open_dir(new, name)?;
                        self.dir(child.as_fd(), &Lowers(Vec::new()), &path, depth + 1)?;
                        if self.changes.len() > mark {
                            self.insert_modify(mark, path);
                        }
                    }
                    continue;
                }
                self.push(path.clone(), ChangeKind::Add);
                if at::is_dir(&stat) {
                    self.added(open_dir(new, name)?.as_fd(), &path, depth + 1)?;
                }
                continue;
            };
            if at::is_dir(&stat) && at::is_dir(&old) {
                let mark = self.changes.len();
                let child = open_dir(new, name)?;
                self.dir(child.as_fd(), &lowers.child(name)?, &path, depth + 1)?;
                if self.changes.len() > mark || stat_differs(&old, &stat) {
                    self.insert_modify(mark, path);
                }
            } else if stat_differs(&old, &stat) {
                self.push(path.clone(), ChangeKind::Modify);
                if at::is_dir(&stat) {
                    self.added(open_dir(new, name)?.as_fd(), &path, depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// Everything below a directory that is new.
    fn added(&mut self, dir: BorrowedFd<'_>, path: &Path, depth: usize) -> io::Result<()> {
        if depth > MAX_DEPTH {
            return Err(io::Error::other(format!(
                "{} is nested too deeply",
                path.display()
            )));
        }
        if self.compare == Compare::Overlay {
            check_no_redirect(dir, path)?;
        }
        let mut names = at::list(dir)?;
        names.sort();
        for name in &names {
            let Some(stat) = at::lstat(dir, name)? else {
                continue;
            };
            if self.compare == Compare::Overlay && is_whiteout(&stat) {
                continue;
            }
            let path = child_path(path, name);
            self.push(path.clone(), ChangeKind::Add);
            if at::is_dir(&stat) {
                self.added(open_dir(dir, name)?.as_fd(), &path, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// The changes of `new` (an upper directory, or a complete tree) over
/// `older` (the layers below, top first), sorted by path.
pub fn changes(new: &Path, older: &[PathBuf], compare: Compare) -> io::Result<Vec<Change>> {
    let root = open_root(new)?;
    let lowers = Lowers(
        older
            .iter()
            .map(|p| open_root(p))
            .collect::<io::Result<_>>()?,
    );
    let mut walk = Walk {
        compare,
        changes: Vec::new(),
    };
    walk.dir(root.as_fd(), &lowers, Path::new("/"), 0)?;
    walk.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(walk.changes)
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
