//! Extracting what `docker cp` brought out of a container into a local
//! directory, as the CLI's untar does (no ownership, no overwriting a
//! directory with a non-directory or the reverse), with every name
//! resolved inside the destination: the archive comes from a container,
//! which must not be able to write elsewhere on this host through `..`,
//! absolute names, symlinks or hard links.

use super::super::client::Failure;
use super::cp_paths::rebase_entry;
use crate::inroot::{InRootError, Root, fd_path};
use std::ffi::{CString, OsStr};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

fn failure(message: impl Into<String>) -> Failure {
    Failure::new(1, message)
}

fn check(result: libc::c_int, what: &str, path: &Path) -> Result<(), Failure> {
    if result < 0 {
        let error = io::Error::last_os_error();
        return Err(failure(format!("{what} {}: {error}", path.display())));
    }
    Ok(())
}

/// Extracts `reader` into the directory `dest`, renaming the top entry
/// by each of `rebases` (old base, new base) in turn.
pub fn extract(reader: impl Read, dest: &str, rebases: &[(String, String)]) -> Result<(), Failure> {
    let root = Root::open(Path::new(dest)).map_err(|e| failure(e.to_string()))?;
    let mut directories: Vec<(PathBuf, i64)> = Vec::new();
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| failure(format!("read archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| failure(format!("read archive: {e}")))?;
        let mut name = entry.path_bytes().into_owned();
        let mut link = entry.link_name_bytes().map(|l| l.into_owned());
        for (old, new) in rebases {
            name = rebase_entry(&name, old, new);
            if entry.header().entry_type() == tar::EntryType::Link {
                link = link.map(|l| rebase_entry(&l, old, new));
            }
        }
        let Some(path) = inside(&name, dest)? else {
            continue; // the destination itself
        };
        let mtime = entry.header().mtime().unwrap_or(0) as i64;
        if put(&root, &mut entry, &path, link.as_deref(), dest)? {
            directories.push((path, mtime));
        }
    }
    // Directory times last, deepest first: writing in one changes it.
    directories.sort_by_key(|(path, _)| std::cmp::Reverse(path.components().count()));
    for (path, mtime) in directories {
        if let Ok(dir) = root.open_at(
            &path,
            libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        ) {
            // Through /proc: the descriptor itself, not a name in it.
            if let Ok(path) = CString::new(fd_path(dir.as_fd()).as_os_str().as_bytes()) {
                let at_cwd = unsafe { BorrowedFd::borrow_raw(libc::AT_FDCWD) };
                set_mtime(at_cwd, &path, mtime, 0);
            }
        }
    }
    Ok(())
}

/// The entry's path below the destination; None for the destination
/// itself; an error for a name that climbs out of it.
fn inside(name: &[u8], dest: &str) -> Result<Option<PathBuf>, Failure> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() {
                    return Err(failure(format!(
                        "{:?} is outside of {dest:?}",
                        String::from_utf8_lossy(name)
                    )));
                }
            }
            part => parts.push(part),
        }
    }
    if name.contains(&0) {
        return Err(failure("NUL in an archive name"));
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(parts.iter().map(|p| OsStr::from_bytes(p)).collect()))
}

/// Writes one entry; true for a directory (its time is set at the end).
fn put<R: Read>(
    root: &Root,
    entry: &mut tar::Entry<'_, R>,
    path: &Path,
    link: Option<&[u8]>,
    dest: &str,
) -> Result<bool, Failure> {
    let kind = entry.header().entry_type();
    let mode = entry.header().mode().unwrap_or(0o644) & 0o7777;
    let mtime = entry.header().mtime().unwrap_or(0) as i64;
    let parent_path = path.parent().unwrap_or(Path::new(""));
    let shown = Path::new(dest).join(path);
    let parent = root
        .mkdir_all(parent_path, 0o755)
        .map_err(|e| failure(e.to_string()))?;
    let dir = parent.as_fd();
    let name = CString::new(path.file_name().unwrap_or_default().as_bytes())
        .map_err(|_| failure("NUL in an archive name"))?;
    make_room(dir, &name, kind.is_dir(), &shown, dest)?;
    match kind {
        tar::EntryType::Directory => {
            if existing_kind(dir, &name).is_none() {
                // SAFETY: name is NUL-terminated; mkdirat never follows it.
                check(
                    unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o700) },
                    "mkdir",
                    &shown,
                )?;
            }
            chmod(dir, &name, mode, &shown)?;
            return Ok(true);
        }
        tar::EntryType::Regular | tar::EntryType::Continuous => {
            write_file(dir, &name, entry, &shown)?;
            chmod(dir, &name, mode, &shown)?;
        }
        tar::EntryType::Symlink => {
            let target = CString::new(link.unwrap_or_default())
                .map_err(|_| failure("NUL in a symlink target"))?;
            // SAFETY: both strings are NUL-terminated.
            check(
                unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) },
                "symlink",
                &shown,
            )?;
        }
        tar::EntryType::Link => {
            hard_link(root, dir, &name, link.unwrap_or_default(), &shown, dest)?;
            return Ok(false);
        }
        // Devices, fifos and the rest: not made by an unprivileged copy.
        _ => return Ok(false),
    }
    set_mtime(dir, &name, mtime, libc::AT_SYMLINK_NOFOLLOW);
    Ok(false)
}

fn write_file(
    dir: BorrowedFd<'_>,
    name: &CString,
    content: &mut impl Read,
    shown: &Path,
) -> Result<(), Failure> {
    // SAFETY: name is NUL-terminated; the fd is checked below.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0o600,
        )
    };
    check(fd, "create", shown)?;
    // SAFETY: fd is a fresh descriptor that we own.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    io::copy(content, &mut file)
        .map(drop)
        .map_err(|e| failure(format!("write {}: {e}", shown.display())))
}

/// A hard link to an entry already extracted: the target is resolved
/// inside the destination, so it cannot name a file elsewhere.
fn hard_link(
    root: &Root,
    dir: BorrowedFd<'_>,
    name: &CString,
    link: &[u8],
    shown: &Path,
    dest: &str,
) -> Result<(), Failure> {
    let target =
        inside(link, dest)?.ok_or_else(|| failure("hard link to the destination itself"))?;
    let source = root
        .open_at(&target, libc::O_PATH | libc::O_NOFOLLOW, 0)
        .map_err(|e: InRootError| failure(format!("invalid hardlink: {e}")))?;
    let source_path = CString::new(fd_path(source.as_fd()).as_os_str().as_bytes())
        .map_err(|_| failure("NUL in a path"))?;
    // SAFETY: both names are NUL-terminated; the source is the fd
    // resolved inside the destination, followed through /proc.
    check(
        unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                source_path.as_ptr(),
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        },
        "link",
        shown,
    )
}

/// Clears the way for a new entry as the CLI's untar does: a directory
/// stays (a new directory merges into it), any other existing entry is
/// replaced, and one kind never replaces the other.
fn make_room(
    dir: BorrowedFd<'_>,
    name: &CString,
    new_dir: bool,
    shown: &Path,
    dest: &str,
) -> Result<(), Failure> {
    let Some(existing_dir) = existing_kind(dir, name) else {
        return Ok(());
    };
    match (existing_dir, new_dir) {
        (true, true) => Ok(()),
        (true, false) => Err(failure(format!(
            "cannot overwrite directory {shown:?} with non-directory {dest:?}"
        ))),
        (false, true) => Err(failure(format!(
            "cannot overwrite non-directory {shown:?} with directory {dest:?}"
        ))),
        // SAFETY: name is NUL-terminated; unlinkat never follows it.
        (false, false) => check(
            unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) },
            "remove",
            shown,
        ),
    }
}

/// Whether `name` in `dir` is a directory; None if nothing is there.
fn existing_kind(dir: BorrowedFd<'_>, name: &CString) -> Option<bool> {
    // SAFETY: stat is plain data, filled by the kernel on success.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: name is NUL-terminated and stat is writable.
    let found = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut stat,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    (found == 0).then_some(stat.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

fn chmod(dir: BorrowedFd<'_>, name: &CString, mode: u32, shown: &Path) -> Result<(), Failure> {
    // SAFETY: name is NUL-terminated; fchmodat follows no symlink here
    // since the entry was just made as a file or directory.
    check(
        unsafe { libc::fchmodat(dir.as_raw_fd(), name.as_ptr(), mode, 0) },
        "chmod",
        shown,
    )
}

/// Sets access and modification times; a failure leaves the copy's time.
fn set_mtime(dir: BorrowedFd<'_>, name: &std::ffi::CStr, mtime: i64, flags: i32) {
    let time = libc::timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    let times = [time, time];
    // SAFETY: name is NUL-terminated and times holds two timespecs.
    unsafe {
        libc::utimensat(dir.as_raw_fd(), name.as_ptr(), times.as_ptr(), flags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dockbox-cp-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A tar entry with its names written as given.
    fn raw(builder: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, link: &str) {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(0o644);
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"x"
        } else {
            b""
        };
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }

    #[test]
    fn hostile_names_stay_in_the_destination() {
        let outside = temp("outside");
        std::fs::write(outside.join("secret"), "s").unwrap();
        let dest = temp("dest");
        let out = outside.display().to_string();
        let cases: Vec<Vec<(String, tar::EntryType, String)>> = vec![
            vec![(
                "../../../../../../../..".to_string() + &out + "/dotdot",
                tar::EntryType::Regular,
                String::new(),
            )],
            vec![
                ("esc".into(), tar::EntryType::Symlink, out.clone()),
                ("esc/through".into(), tar::EntryType::Regular, String::new()),
            ],
            vec![(
                "hard".into(),
                tar::EntryType::Link,
                format!("../../../../../../..{out}/secret"),
            )],
            vec![(
                "hard2".into(),
                tar::EntryType::Link,
                format!("{out}/secret"),
            )],
            vec![(
                format!("{out}/absolute"),
                tar::EntryType::Regular,
                String::new(),
            )],
        ];
        for case in cases {
            let mut builder = tar::Builder::new(Vec::new());
            for (name, kind, link) in &case {
                raw(&mut builder, name, *kind, link);
            }
            let bytes = builder.into_inner().unwrap();
            let _ = extract(&bytes[..], &dest.display().to_string(), &[]);
            let names: Vec<_> = std::fs::read_dir(&outside)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["secret"], "{case:?}");
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                std::fs::metadata(outside.join("secret")).unwrap().nlink(),
                1,
                "{case:?}"
            );
        }
        // The absolute name and the symlinked one landed inside.
        assert!(
            dest.join(out.trim_start_matches('/'))
                .join("absolute")
                .is_file()
        );
        assert!(
            dest.join(out.trim_start_matches('/'))
                .join("through")
                .is_file()
        );
        std::fs::remove_dir_all(&outside).unwrap();
        std::fs::remove_dir_all(&dest).unwrap();
    }

    #[test]
    fn rebases_and_keeps_modes() {
        let dest = temp("rebase");
        let mut builder = tar::Builder::new(Vec::new());
        raw(&mut builder, "src/", tar::EntryType::Directory, "");
        raw(&mut builder, "src/f", tar::EntryType::Regular, "");
        raw(&mut builder, "src/l", tar::EntryType::Link, "src/f");
        let bytes = builder.into_inner().unwrap();
        let rebases = [("src".to_string(), "new".to_string())];
        extract(&bytes[..], &dest.display().to_string(), &rebases).unwrap();
        use std::os::unix::fs::MetadataExt;
        let file = std::fs::metadata(dest.join("new/f")).unwrap();
        assert_eq!((file.mode() & 0o7777, file.nlink()), (0o644, 2));
        std::fs::remove_dir_all(&dest).unwrap();
    }
}
