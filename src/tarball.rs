//! The tar of a tree that `docker cp` sends both ways (the daemon's GET
//! /containers/{id}/archive and the client's upload): walked by descriptor (one name at a time, never
//! following a symlink), so that a container (or anyone) changing the
//! files while they are read cannot lead the walk outside the tree.
//! Entry names start with the name given (moby's rebase: `.` when the
//! path ended in `/.`), directories end in `/`, and files seen twice
//! through hard links are sent once.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Longest name written in a header before a GNU long-name entry.
const NAME_FIELD: usize = 100;

pub struct Tarballer<W: Write> {
    builder: tar::Builder<W>,
    /// The first entry name of each multiply linked file.
    linked: HashMap<(u64, u64), Vec<u8>>,
}

impl<W: Write> Tarballer<W> {
    pub fn new(out: W) -> Tarballer<W> {
        Tarballer {
            builder: tar::Builder::new(out),
            linked: HashMap::new(),
        }
    }

    /// Ends the archive and gives the writer back.
    pub fn finish(self) -> io::Result<W> {
        self.builder.into_inner()
    }

    /// Adds `name` in `dir` (or `dir` itself when `name` is empty) and,
    /// for a directory, everything below it, as `entry`.
    pub fn add(&mut self, dir: BorrowedFd<'_>, name: &CStr, entry: &[u8]) -> io::Result<()> {
        let stat = stat_at(dir, name)?;
        let mut header = tar::Header::new_gnu();
        header.set_mode(stat.st_mode & 0o7777);
        header.set_uid(u64::from(stat.st_uid));
        header.set_gid(u64::from(stat.st_gid));
        header.set_mtime(stat.st_mtime.max(0) as u64);
        header.set_size(0);
        match stat.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                header.set_entry_type(tar::EntryType::Directory);
                let mut dir_entry = entry.to_vec();
                if !dir_entry.ends_with(b"/") {
                    dir_entry.push(b'/');
                }
                self.append(&mut header, &dir_entry, None, io::empty())?;
                let opened = open_at(dir, name, libc::O_RDONLY | libc::O_DIRECTORY)?;
                self.add_children(&opened, entry)
            }
            libc::S_IFREG => self.add_file(dir, name, entry, &stat, header),
            libc::S_IFLNK => {
                header.set_entry_type(tar::EntryType::Symlink);
                let target = read_link_at(dir, name)?;
                self.append(&mut header, entry, Some(&target), io::empty())
            }
            kind @ (libc::S_IFCHR | libc::S_IFBLK | libc::S_IFIFO) => {
                header.set_entry_type(match kind {
                    libc::S_IFCHR => tar::EntryType::Char,
                    libc::S_IFBLK => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                if kind != libc::S_IFIFO {
                    header.set_device_major(libc::major(stat.st_rdev))?;
                    header.set_device_minor(libc::minor(stat.st_rdev))?;
                }
                self.append(&mut header, entry, None, io::empty())
            }
            // Sockets have no place in a tar, as in Go's archive/tar.
            _ => Ok(()),
        }
    }

    fn add_children(&mut self, dir: &OwnedFd, entry: &[u8]) -> io::Result<()> {
        let mut names = list(dir.as_fd())?;
        // Go's filepath.Walk order.
        names.sort_by(|a, b| a.to_bytes().cmp(b.to_bytes()));
        let base = entry.strip_suffix(b"/").unwrap_or(entry);
        for name in names {
            let mut child = base.to_vec();
            child.push(b'/');
            child.extend_from_slice(name.to_bytes());
            match self.add(dir.as_fd(), &name, &child) {
                // Removed while the walk went on: as if it never was there.
                Err(error) if error.raw_os_error() == Some(libc::ENOENT) => {}
                other => other?,
            }
        }
        Ok(())
    }

    fn add_file(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        entry: &[u8],
        stat: &libc::stat,
        mut header: tar::Header,
    ) -> io::Result<()> {
        if stat.st_nlink > 1 {
            let key = (stat.st_dev, stat.st_ino);
            if let Some(first) = self.linked.get(&key).cloned() {
                header.set_entry_type(tar::EntryType::Link);
                return self.append(&mut header, entry, Some(&first), io::empty());
            }
            self.linked.insert(key, entry.to_vec());
        }
        header.set_entry_type(tar::EntryType::Regular);
        let size = stat.st_size.max(0) as u64;
        header.set_size(size);
        // O_NONBLOCK: a file swapped for a fifo between the stat and the
        // open must not hang the copy (O_NOFOLLOW refuses a symlink).
        let file = std::fs::File::from(open_at(dir, name, libc::O_RDONLY | libc::O_NONBLOCK)?);
        // Exactly the size in the header, whatever the file does meanwhile.
        let data = file.take(size).chain(io::repeat(0)).take(size);
        self.append(&mut header, entry, None, data)
    }

    /// One entry; names too long for the header go first as GNU
    /// long-name entries, as GNU tar and Go's reader know them.
    fn append(
        &mut self,
        header: &mut tar::Header,
        name: &[u8],
        link: Option<&[u8]>,
        data: impl Read,
    ) -> io::Result<()> {
        if name.len() > NAME_FIELD {
            self.long_name(tar::EntryType::GNULongName, name)?;
        }
        if let Some(link) = link {
            if link.len() > NAME_FIELD {
                self.long_name(tar::EntryType::GNULongLink, link)?;
            }
            copy_field(&mut header.as_old_mut().linkname, link);
        }
        copy_field(&mut header.as_old_mut().name, name);
        header.set_cksum();
        self.builder.append(header, data)
    }

    fn long_name(&mut self, kind: tar::EntryType, name: &[u8]) -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        copy_field(&mut header.as_old_mut().name, b"././@LongLink");
        header.set_mode(0o644);
        header.set_entry_type(kind);
        let mut data = name.to_vec();
        data.push(0);
        header.set_size(data.len() as u64);
        header.set_cksum();
        self.builder.append(&header, &data[..])
    }
}

/// Copies `value` into a NUL-padded header field, cut at its length.
fn copy_field(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let length = value.len().min(field.len());
    field[..length].copy_from_slice(&value[..length]);
}

/// lstat of `name` in `dir`, or of `dir` itself for an empty name.
fn stat_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<libc::stat> {
    let mut flags = libc::AT_SYMLINK_NOFOLLOW;
    if name.is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    // SAFETY: stat is plain data, filled by the kernel on success.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: name is NUL-terminated and stat is writable.
    let result = unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut stat, flags) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat)
}

/// Opens `name` in `dir` without following a symlink; `dir` itself (its
/// `.`) for an empty name.
fn open_at(dir: BorrowedFd<'_>, name: &CStr, flags: i32) -> io::Result<OwnedFd> {
    let name = if name.is_empty() { c"." } else { name };
    // SAFETY: name is NUL-terminated; the returned fd is checked.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The names in the directory `dir`, without `.` and `..`.
pub(crate) fn list(dir: BorrowedFd<'_>) -> io::Result<Vec<CString>> {
    let fd = open_at(dir, c".", libc::O_RDONLY | libc::O_DIRECTORY)?;
    let mut listing = nix::dir::Dir::from_fd(fd).map_err(io::Error::from)?;
    let mut names = Vec::new();
    for entry in listing.iter() {
        let entry = entry.map_err(io::Error::from)?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// The target of the symlink `name` in `dir`, byte for byte.
pub(crate) fn read_link_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: buffer is writable for its length; name is NUL-terminated.
    let length = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
        )
    };
    if length < 0 {
        return Err(io::Error::last_os_error());
    }
    buffer.truncate(length as usize);
    Ok(buffer)
}
