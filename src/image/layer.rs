//! The layer applier: unpacks a layer tar into a directory with every path
//! resolved inside that directory (openat2 RESOLVE_IN_ROOT for parents, *at
//! calls without following for the final name), so no entry, symlink or
//! hard link can write outside it. Handles what image layers carry: device
//! nodes, ownership, setuid modes, mtimes, xattrs and OCI whiteouts.

use super::at;
use crate::inroot::{InRootError, Root};
use std::collections::HashSet;
use std::ffi::{CStr, CString, OsStr};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const WHITEOUT_PREFIX: &str = ".wh.";
const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
const WHITEOUT_OPAQUE_DIR: &str = ".wh..wh..opq";
const OVERLAY_OPAQUE_XATTR: &str = "trusted.overlay.opaque";
const PAX_XATTR_PREFIX: &str = "SCHILY.xattr.";

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("read layer tar: {0}")]
    Tar(#[source] io::Error),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(transparent)]
    InRoot(#[from] InRootError),
    #[error("invalid tar entry {entry:?}: {reason}")]
    Breakout { entry: String, reason: &'static str },
    #[error("invalid tar entry {entry:?}: {reason}")]
    InvalidEntry { entry: String, reason: &'static str },
    /// A copy that would replace a directory with a non-directory or the
    /// reverse (moby's `NoOverwriteDirNonDir`); `path` is from the root.
    #[error("cannot overwrite {path:?} (a directory: {directory}) with the other kind")]
    Overwrite { path: PathBuf, directory: bool },
}

type Result<T> = std::result::Result<T, LayerError>;

/// What the applier does with OCI whiteouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whiteouts {
    /// The target is an overlayfs diff directory: keep whiteouts in the
    /// form overlayfs reads (a 0/0 char device, an opaque xattr).
    Overlay,
    /// The target already holds the lower layers' content: delete from it.
    Apply,
    /// Plain archive extraction (docker load spooling): `.wh.` names are
    /// ordinary files, and device nodes and fifos are left out, since a
    /// hostile archive could otherwise make the loader read a host disk
    /// (or block on a fifo) by naming one as a layer.
    Ignore,
}

/// Applies the layer tar `reader` to `target` and returns the layer's
/// content size (the bytes of its regular files), as Docker counts it.
pub fn apply_layer(target: &Path, reader: impl Read, whiteouts: Whiteouts) -> Result<u64> {
    let root = Root::open(target)?;
    let applier = Applier {
        root: &root,
        whiteouts,
        copy: None,
        written: HashSet::new(),
        directories: Vec::new(),
        size: 0,
    };
    applier.run(reader)
}

/// How `docker cp` extracts into a directory (PUT /containers/{id}/archive).
#[derive(Clone, Copy, Debug, Default)]
pub struct CopyOptions {
    /// Every entry owned by this uid and gid instead of the archive's.
    pub chown: Option<(u32, u32)>,
    /// Refuse to replace a directory with a non-directory or the reverse.
    pub no_overwrite_dir_non_dir: bool,
}

/// Extracts the tar `reader` into `root` (the destination directory, which
/// every name, symlink and hard link stays inside) as moby's untar for
/// `docker cp` does: `.wh.` names are plain files, device nodes and fifos
/// are left out, and the destination's own entry (`.`) is left alone.
pub fn extract_copy(root: &Root, reader: impl Read, options: CopyOptions) -> Result<u64> {
    let applier = Applier {
        root,
        whiteouts: Whiteouts::Ignore,
        copy: Some(options),
        written: HashSet::new(),
        directories: Vec::new(),
        size: 0,
    };
    applier.run(reader)
}

impl Applier<'_> {
    fn run(mut self, reader: impl Read) -> Result<u64> {
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries().map_err(LayerError::Tar)? {
            let mut entry = entry.map_err(LayerError::Tar)?;
            self.entry(&mut entry)?;
        }
        self.finish_directories()?;
        Ok(self.size)
    }
}

struct Applier<'a> {
    root: &'a Root,
    whiteouts: Whiteouts,
    /// Set for `docker cp` extraction.
    copy: Option<CopyOptions>,
    /// Paths this layer created, which an opaque marker must keep.
    written: HashSet<PathBuf>,
    /// Directory mtimes, set after their contents are written.
    directories: Vec<(PathBuf, i64)>,
    size: u64,
}

impl Applier<'_> {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            return Ok(());
        }
        let raw = entry.path_bytes().into_owned();
        let path = clean_entry_path(&raw)?;
        let Some(name) = path.file_name().map(OsStr::to_os_string) else {
            // The layer's root itself: only its metadata applies (a copy
            // leaves its destination directory as it is, as moby does).
            if kind.is_dir() && self.copy.is_none() {
                let meta = EntryMeta::read(entry)?;
                self.directories.push((PathBuf::new(), meta.mtime));
                self.set_root_metadata(&meta)?;
            }
            return Ok(());
        };
        let parent_path = path.parent().unwrap_or(Path::new("")).to_path_buf();
        if self.whiteouts != Whiteouts::Ignore
            && let Some(whiteout) = Whiteout::parse(&name, &raw)?
        {
            return match whiteout {
                Whiteout::Opaque => self.opaque(&parent_path),
                Whiteout::AufsMeta => Ok(()), // aufs bookkeeping, meaningless here
                Whiteout::Hide(hidden) => self.whiteout(&parent_path, hidden),
            };
        }

        let is_special = matches!(
            kind,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo
        );
        if is_special && self.whiteouts == Whiteouts::Ignore {
            return Ok(());
        }
        let parent = self.root.mkdir_all(&parent_path, 0o755)?;
        let c_name = at::c_name(&name).map_err(|e| self.io("name", &path, e))?;
        let existing =
            at::lstat(parent.as_fd(), &c_name).map_err(|e| self.io("lstat", &path, e))?;
        if let Some(existing) = existing
            && !(kind.is_dir() && at::is_dir(&existing))
        {
            self.check_overwrite(&path, at::is_dir(&existing), kind.is_dir())?;
            at::remove_all(parent.as_fd(), &c_name).map_err(|e| self.io("remove", &path, e))?;
        }
        let header = entry.header().clone();
        let EntryMeta {
            mode,
            uid,
            gid,
            mtime,
            xattrs,
        } = EntryMeta::read(entry)?;
        let dir = parent.as_fd();

        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let file = at::open(
                    dir,
                    &c_name,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
                    0o600,
                )
                .map_err(|e| self.io("create", &path, e))?;
                // io::copy fills a BufWriter's buffer directly: 256 KiB
                // writes rather than 8 KiB ones.
                let mut writer = io::BufWriter::with_capacity(256 << 10, std::fs::File::from(file));
                self.size += io::copy(entry, &mut writer)
                    .and_then(|copied| writer.flush().map(|()| copied))
                    .map_err(|e| self.io("write", &path, e))?;
                self.metadata(dir, &c_name, &path, uid, gid, Some(mode), &xattrs)?;
                at::set_mtime(dir, &c_name, mtime).map_err(|e| self.io("utimensat", &path, e))?;
            }
            tar::EntryType::Directory => {
                if at::lstat(dir, &c_name)
                    .map_err(|e| self.io("lstat", &path, e))?
                    .is_none()
                {
                    at::mkdir(dir, &c_name, 0o700).map_err(|e| self.io("mkdir", &path, e))?;
                }
                self.metadata(dir, &c_name, &path, uid, gid, Some(mode), &xattrs)?;
                self.directories.push((path.clone(), mtime));
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid_entry(&raw, "symlink without a target"))?;
                let target = CString::new(target.into_owned())
                    .map_err(|_| invalid_entry(&raw, "NUL in symlink target"))?;
                at::symlink(&target, dir, &c_name).map_err(|e| self.io("symlink", &path, e))?;
                self.metadata(dir, &c_name, &path, uid, gid, None, &[])?;
                at::set_mtime(dir, &c_name, mtime).map_err(|e| self.io("utimensat", &path, e))?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid_entry(&raw, "hard link without a target"))?;
                let target_path = clean_entry_path(&target)?;
                let source =
                    match self
                        .root
                        .open_at(&target_path, libc::O_PATH | libc::O_NOFOLLOW, 0)
                    {
                        Ok(source) => source,
                        Err(InRootError::Io { source, .. })
                            if matches!(
                                source.raw_os_error(),
                                Some(libc::ENOENT | libc::ENOTDIR)
                            ) =>
                        {
                            return Err(invalid_entry(
                                &raw,
                                "hard link target is not in the layer",
                            ));
                        }
                        Err(error) => return Err(error.into()),
                    };
                at::link_fd(source.as_fd(), dir, &c_name).map_err(|e| self.io("link", &path, e))?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let file_type = match kind {
                    tar::EntryType::Char => libc::S_IFCHR,
                    tar::EntryType::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                let (major, minor) = device_numbers(&header)?;
                at::mknod(dir, &c_name, file_type | mode, libc::makedev(major, minor))
                    .map_err(|e| self.io("mknod", &path, e))?;
                self.metadata(dir, &c_name, &path, uid, gid, Some(mode), &xattrs)?;
                at::set_mtime(dir, &c_name, mtime).map_err(|e| self.io("utimensat", &path, e))?;
            }
            other => {
                return Err(LayerError::InvalidEntry {
                    entry: String::from_utf8_lossy(&raw).into_owned(),
                    reason: unsupported_type(other),
                });
            }
        }
        self.written.insert(path);
        Ok(())
    }

    /// moby's `NoOverwriteDirNonDir`: a directory stays a directory and
    /// a non-directory stays one.
    fn check_overwrite(&self, path: &Path, existing_dir: bool, new_dir: bool) -> Result<()> {
        if !self.copy.is_some_and(|copy| copy.no_overwrite_dir_non_dir) || existing_dir == new_dir {
            return Ok(());
        }
        Err(LayerError::Overwrite {
            path: path.to_path_buf(),
            directory: existing_dir,
        })
    }

    /// Ownership, then mode (chown clears setuid bits), then xattrs.
    #[allow(clippy::too_many_arguments)]
    fn metadata(
        &self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        path: &Path,
        uid: u32,
        gid: u32,
        mode: Option<u32>,
        xattrs: &[(String, Vec<u8>)],
    ) -> Result<()> {
        let (uid, gid) = self.copy.and_then(|copy| copy.chown).unwrap_or((uid, gid));
        at::lchown(dir, name, uid, gid).map_err(|e| self.io("lchown", path, e))?;
        if let Some(mode) = mode {
            at::chmod(dir, name, mode).map_err(|e| self.io("chmod", path, e))?;
        }
        for (key, value) in xattrs {
            match at::set_xattr(dir, name, key, value) {
                Ok(()) => {}
                // A filesystem without that namespace: the layer still works.
                Err(error) if error.raw_os_error() == Some(libc::ENOTSUP) => {}
                Err(error) => return Err(self.io("lsetxattr", path, error)),
            }
        }
        Ok(())
    }

    fn set_root_metadata(&self, meta: &EntryMeta) -> Result<()> {
        let root_path = self.root.path();
        at::lchown(self.root.fd(), c".", meta.uid, meta.gid)
            .map_err(|e| self.io("lchown", root_path, e))?;
        at::chmod(self.root.fd(), c".", meta.mode).map_err(|e| self.io("chmod", root_path, e))
    }

    /// `.wh.NAME`: NAME of the lower layers is gone.
    fn whiteout(&mut self, parent_path: &Path, hidden: &OsStr) -> Result<()> {
        let path = parent_path.join(hidden);
        let c_name = at::c_name(hidden).map_err(|e| self.io("name", &path, e))?;
        match self.whiteouts {
            Whiteouts::Overlay => {
                let parent = self.root.mkdir_all(parent_path, 0o755)?;
                at::remove_all(parent.as_fd(), &c_name).map_err(|e| self.io("remove", &path, e))?;
                at::mknod(parent.as_fd(), &c_name, libc::S_IFCHR, libc::makedev(0, 0))
                    .map_err(|e| self.io("mknod whiteout", &path, e))?;
                self.written.insert(path);
            }
            Whiteouts::Apply => {
                let parent = match self.open_existing_dir(parent_path)? {
                    Some(parent) => parent,
                    None => return Ok(()),
                };
                at::remove_all(parent.as_fd(), &c_name).map_err(|e| self.io("remove", &path, e))?;
            }
            Whiteouts::Ignore => unreachable!("whiteouts are not looked for"),
        }
        Ok(())
    }

    /// `.wh..wh..opq`: the directory hides everything below it in lower
    /// layers; what this layer itself put there stays.
    fn opaque(&mut self, dir_path: &Path) -> Result<()> {
        match self.whiteouts {
            Whiteouts::Overlay => {
                let dir = self.root.mkdir_all(dir_path, 0o755)?;
                at::set_xattr(dir.as_fd(), c".", OVERLAY_OPAQUE_XATTR, b"y")
                    .map_err(|e| self.io("set opaque xattr", dir_path, e))
            }
            Whiteouts::Apply => {
                if let Some(dir) = self.open_existing_dir(dir_path)? {
                    self.remove_unwritten(dir.as_fd(), dir_path)?;
                }
                Ok(())
            }
            Whiteouts::Ignore => unreachable!("whiteouts are not looked for"),
        }
    }

    fn remove_unwritten(&self, dir: BorrowedFd<'_>, dir_path: &Path) -> Result<()> {
        for name in at::list(dir).map_err(|e| self.io("list", dir_path, e))? {
            let child_path = dir_path.join(OsStr::from_bytes(name.to_bytes()));
            if !self.written.contains(&child_path) {
                at::remove_all(dir, &name).map_err(|e| self.io("remove", &child_path, e))?;
                continue;
            }
            let stat = at::lstat(dir, &name).map_err(|e| self.io("lstat", &child_path, e))?;
            if stat.is_some_and(|stat| at::is_dir(&stat)) {
                let child = at::open(dir, &name, libc::O_PATH | libc::O_DIRECTORY, 0)
                    .map_err(|e| self.io("open", &child_path, e))?;
                self.remove_unwritten(child.as_fd(), &child_path)?;
            }
        }
        Ok(())
    }

    /// The directory at `path` in the root if there is one; a whiteout for
    /// something under a missing directory has nothing to delete.
    fn open_existing_dir(&self, path: &Path) -> Result<Option<OwnedFd>> {
        match self.root.open_at(path, libc::O_PATH | libc::O_DIRECTORY, 0) {
            Ok(fd) => Ok(Some(fd)),
            Err(InRootError::Io { source, .. })
                if matches!(source.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) =>
            {
                Ok(None)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Directory mtimes last, deepest first, since writing into a
    /// directory changes its mtime.
    fn finish_directories(&mut self) -> Result<()> {
        let mut directories = std::mem::take(&mut self.directories);
        directories.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
        for (path, mtime) in directories {
            // A later entry may have replaced the directory: skip it then.
            let Ok(dir) = self.root.open_at(
                &path,
                libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            ) else {
                continue;
            };
            at::set_mtime(dir.as_fd(), c".", mtime).map_err(|e| self.io("utimensat", &path, e))?;
        }
        Ok(())
    }

    fn io(&self, op: &'static str, path: &Path, source: io::Error) -> LayerError {
        LayerError::Io {
            op,
            path: self.root.path().join(path),
            source,
        }
    }
}

/// The entry's path relative to the layer root, with `.` and empty parts
/// dropped and `..` resolved lexically. Absolute names count from the
/// root, as Docker's applier does; a `..` above the root is refused.
pub fn clean_entry_path(raw: &[u8]) -> Result<PathBuf> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() {
                    return Err(breakout(raw, "path leads outside the layer root"));
                }
            }
            _ => parts.push(part),
        }
    }
    if raw.contains(&0) {
        return Err(invalid_entry(raw, "NUL in name"));
    }
    Ok(parts.iter().map(|part| OsStr::from_bytes(part)).collect())
}

fn invalid_entry(raw: &[u8], reason: &'static str) -> LayerError {
    LayerError::InvalidEntry {
        entry: String::from_utf8_lossy(raw).into_owned(),
        reason,
    }
}

fn breakout(raw: &[u8], reason: &'static str) -> LayerError {
    LayerError::Breakout {
        entry: String::from_utf8_lossy(raw).into_owned(),
        reason,
    }
}

/// A numeric header field; one left blank (all NULs or spaces) is 0, as
/// Go's archive/tar reads it, so archives that Docker loads load here too.
fn numeric<T: Into<u64>>(parsed: std::io::Result<T>, raw: &[u8]) -> Result<u64> {
    match parsed {
        Ok(value) => Ok(value.into()),
        Err(_) if raw.iter().all(|b| matches!(b, 0 | b' ')) => Ok(0),
        Err(error) => Err(LayerError::Tar(error)),
    }
}

/// The device numbers of a char or block device entry. GNU tar leaves
/// both fields blank (NULs) for a fifo, which Go's archive/tar reads as 0.
fn device_numbers(header: &tar::Header) -> Result<(u32, u32)> {
    let (major_field, minor_field) = if let Some(ustar) = header.as_ustar() {
        (&ustar.dev_major[..], &ustar.dev_minor[..])
    } else if let Some(gnu) = header.as_gnu() {
        (&gnu.dev_major[..], &gnu.dev_minor[..])
    } else {
        return Ok((0, 0)); // a v7 header has no device fields
    };
    let major = numeric(
        header.device_major().map(Option::unwrap_or_default),
        major_field,
    )?;
    let minor = numeric(
        header.device_minor().map(Option::unwrap_or_default),
        minor_field,
    )?;
    let fits = |number: u64| {
        u32::try_from(number).map_err(|_| {
            LayerError::Tar(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("device number {number} out of range"),
            ))
        })
    };
    Ok((fits(major)?, fits(minor)?))
}

/// What a `.wh.` name in a layer means.
#[derive(Debug, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// `.wh..wh..opq`: the directory hides what lower layers put in it.
    Opaque,
    /// Other `.wh..wh.` names: aufs bookkeeping, meaningless here.
    AufsMeta,
    /// `.wh.NAME`: NAME of the lower layers is gone.
    Hide(&'a OsStr),
}

impl Whiteout<'_> {
    /// The whiteout that the final name `name` of the entry `raw` is, or
    /// None for an ordinary name. A whiteout must name an entry strictly
    /// inside its directory: `.wh.`, `.wh..` and `.wh...` would delete the
    /// directory itself or its parent (the layer root, or whatever holds
    /// it), so they are refused.
    pub fn parse<'n>(name: &'n OsStr, raw: &[u8]) -> Result<Option<Whiteout<'n>>> {
        let bytes = name.as_bytes();
        let Some(hidden) = bytes.strip_prefix(WHITEOUT_PREFIX.as_bytes()) else {
            return Ok(None);
        };
        if bytes == WHITEOUT_OPAQUE_DIR.as_bytes() {
            return Ok(Some(Whiteout::Opaque));
        }
        if bytes.starts_with(WHITEOUT_META_PREFIX.as_bytes()) {
            return Ok(Some(Whiteout::AufsMeta));
        }
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(invalid_entry(
                raw,
                "whiteout must name an entry inside its directory",
            ));
        }
        Ok(Some(Whiteout::Hide(OsStr::from_bytes(hidden))))
    }
}

/// What an entry says about its file: the header's fields, overridden by
/// its PAX records (large IDs, exact mtimes) and its xattrs.
struct EntryMeta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    xattrs: Vec<(String, Vec<u8>)>,
}

impl EntryMeta {
    fn read<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<EntryMeta> {
        let header = entry.header();
        let mut meta = EntryMeta {
            mode: numeric(header.mode(), &header.as_old().mode)? as u32 & 0o7777,
            uid: numeric(header.uid(), &header.as_old().uid)? as u32,
            gid: numeric(header.gid(), &header.as_old().gid)? as u32,
            mtime: header.mtime().unwrap_or(0) as i64,
            xattrs: Vec::new(),
        };
        let Some(extensions) = entry.pax_extensions().map_err(LayerError::Tar)? else {
            return Ok(meta);
        };
        for extension in extensions {
            let extension = extension.map_err(LayerError::Tar)?;
            let Ok(key) = extension.key() else { continue };
            let value = extension.value().unwrap_or("");
            match key {
                "uid" => meta.uid = value.parse().map_err(|_| bad_pax(key, value))?,
                "gid" => meta.gid = value.parse().map_err(|_| bad_pax(key, value))?,
                "mtime" => {
                    let seconds = value.split('.').next().unwrap_or("");
                    meta.mtime = seconds.parse().map_err(|_| bad_pax(key, value))?;
                }
                _ => {
                    if let Some(name) = key.strip_prefix(PAX_XATTR_PREFIX) {
                        meta.xattrs
                            .push((name.to_string(), extension.value_bytes().to_vec()));
                    }
                }
            }
        }
        Ok(meta)
    }
}

fn bad_pax(key: &str, value: &str) -> LayerError {
    LayerError::Tar(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("invalid PAX record {key}={value:?}"),
    ))
}

fn unsupported_type(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::GNULongName | tar::EntryType::GNULongLink => "stray GNU long name record",
        _ => "unsupported entry type",
    }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
