//! Tar streams out of a container's root filesystem: the whole tree
//! (`docker export`, walked in name order as moby's filepath.Walk does)
//! and the changes a commit turns into a layer (moby's ExportChanges:
//! the changed paths in path order, each deletion as a `.wh.` file).
//! Files are read through descriptors opened with O_NOFOLLOW below a
//! directory descriptor, so a symlink in the tree is stored as a symlink
//! and never followed on the host.

use super::at;
use super::changes::{Change, ChangeKind, INIT_LAYER, InitEntry, open_root};
use std::collections::HashMap;
use std::ffi::{CStr, OsStr};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

const MAX_DEPTH: usize = 1024;

/// A tar being written, with the hard links seen so far: the second name
/// of a file becomes a link entry to the first, as moby writes them.
struct Writer<W: Write> {
    builder: tar::Builder<W>,
    links: HashMap<(u64, u64), Vec<u8>>,
}

/// Opens a file the lstat found regular, and checks that what opened is
/// one still: a container could swap in a device node meanwhile (the
/// device cgroup stops it opening one, not us), or a FIFO (O_NONBLOCK
/// keeps that from hanging the open).
fn open_regular(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<OwnedFd> {
    let file = at::open(dir, name, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
    // SAFETY: stat is plain data, filled by the kernel on success.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: file is an open descriptor and stat is writable.
    if unsafe { libc::fstat(file.as_raw_fd(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(io::Error::other(format!(
            "{} changed from a regular file while being read",
            String::from_utf8_lossy(name.to_bytes())
        )));
    }
    Ok(file)
}

fn header_for(stat: &libc::stat, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(stat.st_mode & 0o7777);
    header.set_uid(stat.st_uid as u64);
    header.set_gid(stat.st_gid as u64);
    header.set_mtime(stat.st_mtime.max(0) as u64);
    header.set_size(size);
    header
}

impl<W: Write> Writer<W> {
    fn new(out: W) -> Writer<W> {
        let mut builder = tar::Builder::new(out);
        builder.mode(tar::HeaderMode::Complete);
        Writer {
            builder,
            links: HashMap::new(),
        }
    }

    /// Adds `name` of `dir` (already lstat'ed) under the tar name `path`;
    /// a directory alone, without what it holds. Sockets are left out,
    /// as moby leaves them.
    fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        stat: &libc::stat,
        path: &[u8],
    ) -> io::Result<()> {
        let path = OsStr::from_bytes(path);
        match stat.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                let mut name = path.as_bytes().to_vec();
                name.push(b'/');
                let mut header = header_for(stat, tar::EntryType::Directory, 0);
                self.builder
                    .append_data(&mut header, OsStr::from_bytes(&name), io::empty())
            }
            libc::S_IFREG => {
                if stat.st_nlink > 1 {
                    let key = (stat.st_dev, stat.st_ino);
                    if let Some(first) = self.links.get(&key) {
                        let mut header = header_for(stat, tar::EntryType::Link, 0);
                        return self.builder.append_link(
                            &mut header,
                            path,
                            OsStr::from_bytes(first),
                        );
                    }
                    self.links.insert(key, path.as_bytes().to_vec());
                }
                let size = stat.st_size.max(0) as u64;
                let file = open_regular(dir, name)?;
                // A file that shrank meanwhile is padded with zeros, so the
                // archive stays well-formed.
                let content = std::fs::File::from(file)
                    .take(size)
                    .chain(io::repeat(0))
                    .take(size);
                let mut header = header_for(stat, tar::EntryType::Regular, size);
                self.builder.append_data(&mut header, path, content)
            }
            libc::S_IFLNK => {
                let target = crate::tarball::read_link_at(dir, name)?;
                let mut header = header_for(stat, tar::EntryType::Symlink, 0);
                self.symlink(&mut header, path, &target)
            }
            libc::S_IFCHR | libc::S_IFBLK | libc::S_IFIFO => {
                let kind = match stat.st_mode & libc::S_IFMT {
                    libc::S_IFCHR => tar::EntryType::Char,
                    libc::S_IFBLK => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                };
                let mut header = header_for(stat, kind, 0);
                header.set_device_major(libc::major(stat.st_rdev))?;
                header.set_device_minor(libc::minor(stat.st_rdev))?;
                self.builder.append_data(&mut header, path, io::empty())
            }
            _ => Ok(()),
        }
    }

    /// A symlink entry whose target is kept byte for byte (the tar
    /// crate's link helper would tidy it, `/` becoming `//`); a target
    /// longer than the header holds goes first in a GNU long-link entry.
    fn symlink(&mut self, header: &mut tar::Header, path: &OsStr, target: &[u8]) -> io::Result<()> {
        const LINKNAME: usize = 100;
        if target.len() > LINKNAME {
            let mut long = tar::Header::new_gnu();
            long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
            long.set_mode(0o644);
            long.set_mtime(0);
            long.set_entry_type(tar::EntryType::GNULongLink);
            long.set_size(target.len() as u64 + 1);
            long.set_cksum();
            self.builder.append(&long, target.chain(&[0u8][..]))?;
        }
        header.set_link_name_literal(&target[..target.len().min(LINKNAME)])?;
        self.builder.append_data(header, path, io::empty())
    }

    /// A whiteout for `path`: an empty file named `.wh.<name>`.
    fn whiteout(&mut self, path: &Path) -> io::Result<()> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(());
        };
        let mut marker = b".wh.".to_vec();
        marker.extend_from_slice(name.as_bytes());
        let relative = parent.strip_prefix("/").unwrap_or(parent);
        let full = relative.join(OsStr::from_bytes(&marker));
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(0);
        header.set_mode(0o600);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        header.set_mtime(now);
        self.builder.append_data(&mut header, full, io::empty())
    }

    /// An entry of moby's init layer that the tree lacks, and what the
    /// layer holds below it.
    fn init_entry(&mut self, path: &[u8], entry: InitEntry) -> io::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o755);
        header.set_mtime(now);
        header.set_size(0);
        let path = OsStr::from_bytes(path);
        match entry {
            InitEntry::File => {
                header.set_entry_type(tar::EntryType::Regular);
                self.builder.append_data(&mut header, path, io::empty())
            }
            InitEntry::Link(target) => {
                header.set_mode(0o777);
                header.set_entry_type(tar::EntryType::Symlink);
                self.symlink(&mut header, path, target.as_bytes())
            }
            InitEntry::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                let mut name = path.as_bytes().to_vec();
                name.push(b'/');
                self.builder
                    .append_data(&mut header, OsStr::from_bytes(&name), io::empty())?;
                for (child, entry) in init_children(path.as_bytes()) {
                    let mut child_path = path.as_bytes().to_vec();
                    child_path.push(b'/');
                    child_path.extend_from_slice(child);
                    self.init_entry(&child_path, entry)?;
                }
                Ok(())
            }
        }
    }

    fn tree(&mut self, dir: BorrowedFd<'_>, prefix: &[u8], depth: usize) -> io::Result<()> {
        if depth > MAX_DEPTH {
            return Err(io::Error::other("directory tree nested too deeply"));
        }
        let mut names: Vec<(Vec<u8>, Option<InitEntry>)> = at::list(dir)?
            .into_iter()
            .map(|name| (name.into_bytes(), None))
            .collect();
        for (child, entry) in init_children(prefix) {
            if !names.iter().any(|(name, _)| name == child) {
                names.push((child.to_vec(), Some(entry)));
            }
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, init) in &names {
            let mut path = prefix.to_vec();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            if let Some(entry) = init {
                self.init_entry(&path, *entry)?;
                continue;
            }
            let name = at::c_name(OsStr::from_bytes(name))?;
            let name = &name;
            let Some(stat) = at::lstat(dir, name)? else {
                continue;
            };
            self.entry(dir, name, &stat, &path)?;
            if at::is_dir(&stat) {
                let child = at::open(dir, name, libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
                self.tree(child.as_fd(), &path, depth + 1)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }
}

/// The entries of moby's init layer directly below `prefix` (relative,
/// "" for the root).
fn init_children(prefix: &[u8]) -> impl Iterator<Item = (&'static [u8], InitEntry)> + '_ {
    INIT_LAYER.iter().filter_map(move |(path, entry)| {
        let relative = path.strip_prefix('/')?.as_bytes();
        let (parent, name) = match relative.iter().rposition(|&b| b == b'/') {
            Some(at) => (&relative[..at], &relative[at + 1..]),
            None => (&b""[..], relative),
        };
        (parent == prefix).then_some((name, *entry))
    })
}

/// Writes the whole tree below `root` as a tar, names relative to it, with
/// the entries of moby's init layer it lacks.
pub fn export_tree(root: &Path, out: impl Write) -> io::Result<()> {
    let dir = open_root(root)?;
    let mut writer = Writer::new(out);
    writer.tree(dir.as_fd(), b"", 0)?;
    writer.finish()?.flush()
}

/// Opens the directory holding `path` (absolute inside `root`) one
/// component at a time, never following a symlink.
fn open_parent(root: &OwnedFd, path: &Path) -> io::Result<Option<OwnedFd>> {
    let mut dir = at::open(root.as_fd(), c".", libc::O_PATH | libc::O_DIRECTORY, 0)?;
    let Some(parent) = path.parent() else {
        return Ok(None);
    };
    for component in parent.components() {
        let Component::Normal(part) = component else {
            continue;
        };
        let name = at::c_name(part)?;
        match at::open(dir.as_fd(), &name, libc::O_PATH | libc::O_DIRECTORY, 0) {
            Ok(next) => dir = next,
            Err(error) if error.raw_os_error() == Some(libc::ENOENT) => return Ok(None),
            Err(error) => return Err(error),
        }
    }
    Ok(Some(dir))
}

/// Writes the layer tar of `changes` (sorted by path), the content read
/// from `root`, the tree that holds the container's version of each
/// added or modified path. Returns how many entries it wrote.
pub fn export_changes(root: &Path, changes: &[Change], out: impl Write) -> io::Result<usize> {
    let root = open_root(root)?;
    let mut writer = Writer::new(out);
    let mut written = 0;
    for change in changes {
        if change.kind == ChangeKind::Delete {
            writer.whiteout(&change.path)?;
            written += 1;
            continue;
        }
        let (Some(dir), Some(name)) = (open_parent(&root, &change.path)?, change.path.file_name())
        else {
            continue;
        };
        let name = at::c_name(name)?;
        let Some(stat) = at::lstat(dir.as_fd(), &name)? else {
            continue;
        };
        let relative = change.path.strip_prefix("/").unwrap_or(&change.path);
        writer.entry(dir.as_fd(), &name, &stat, relative.as_os_str().as_bytes())?;
        written += 1;
    }
    writer.finish()?.flush()?;
    Ok(written)
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
