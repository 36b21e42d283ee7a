//! COPY and ADD: sources resolved inside their root (the context, or
//! another stage's filesystem for `COPY --from`), written inside the
//! container's root, both through `inroot` so no symlink on either side
//! leads out. Directory trees are walked entry by entry without following
//! their symlinks; ADD unpacks a local tar archive (gzip, bzip2 or xz).
//! The content is hashed on the way for the step's `file:`/`dir:` key.

use crate::inroot::{Root, fd_path};
use sha2::{Digest as _, Sha256};
use std::ffi::CString;
use std::io::{Read, Seek};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One COPY/ADD as it runs.
pub struct CopyRequest<'a> {
    pub sources: &'a [String],
    /// Absolute in the container (WORKDIR applied).
    pub dest: String,
    pub owner: (u32, u32),
    /// ADD: unpack local archives.
    pub extract: bool,
}

/// What was copied: the key moby's history shows (`file:<hash>`,
/// `dir:<hash>` or `multi:<hash>`).
pub fn copy(from: &Root, to: &Root, request: &CopyRequest<'_>) -> Result<String, String> {
    let mut hasher = Sha256::new();
    let many = request.sources.len() > 1;
    let dest_is_dir = request.dest.ends_with('/') || many || is_dir(to, &request.dest);
    let mut kind = "file";
    for source in request.sources {
        let fd = from
            .open_at(Path::new(source), libc::O_RDONLY, 0)
            .map_err(|_| format!("COPY failed: file not found in build context or excluded by .dockerignore: stat {source}: file does not exist"))?;
        let file = std::fs::File::from(fd);
        let meta = file.metadata().map_err(|e| e.to_string())?;
        if meta.is_dir() {
            kind = "dir";
            let dir = to
                .mkdir_all(Path::new(&request.dest), 0o755)
                .map_err(|e| e.to_string())?;
            chown_fd(&dir, request.owner);
            copy_tree(
                &file,
                to,
                Path::new(&request.dest),
                request.owner,
                &mut hasher,
            )?;
            continue;
        }
        let name = Path::new(source).file_name().unwrap_or_default();
        if request.extract && is_archive(&file) {
            let dir = to
                .mkdir_all(Path::new(&request.dest), 0o755)
                .map_err(|e| e.to_string())?;
            let mut file = file;
            file.rewind().map_err(|e| e.to_string())?;
            hash_reader(&mut file, &mut hasher)?;
            file.rewind().map_err(|e| e.to_string())?;
            let reader = crate::image::store::decompressed(std::io::BufReader::new(file))
                .map_err(|e| e.to_string())?;
            crate::image::layer::apply_layer(
                &fd_path(dir.as_fd()),
                reader,
                crate::image::layer::Whiteouts::Ignore,
            )
            .map_err(|e| e.to_string())?;
            continue;
        }
        let target = if dest_is_dir {
            Path::new(&request.dest).join(name)
        } else {
            PathBuf::from(&request.dest)
        };
        copy_file(file, &meta, to, &target, request.owner, &mut hasher)?;
    }
    let hash = hex(&hasher.finalize());
    Ok(if many {
        format!("multi:{hash}")
    } else {
        format!("{kind}:{hash}")
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_dir(root: &Root, path: &str) -> bool {
    root.open_at(Path::new(path), libc::O_PATH | libc::O_DIRECTORY, 0)
        .is_ok()
}

/// A tar, or a compressed file that holds one.
fn is_archive(file: &std::fs::File) -> bool {
    let mut probe = file;
    if probe.rewind().is_err() {
        return false;
    }
    let Ok(mut reader) = crate::image::store::decompressed(std::io::BufReader::new(probe)) else {
        return false;
    };
    let mut header = [0u8; 512];
    let mut filled = 0;
    while filled < header.len() {
        match reader.read(&mut header[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled == 512 && &header[257..262] == b"ustar"
}

fn hash_reader(reader: &mut impl Read, hasher: &mut Sha256) -> Result<(), String> {
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..n]);
    }
}

fn chown_fd(fd: &OwnedFd, (uid, gid): (u32, u32)) {
    // An O_PATH descriptor is changed through its /proc path.
    let path = CString::new(fd_path(fd.as_fd()).as_os_str().as_bytes()).unwrap_or_default();
    // SAFETY: path is NUL-terminated.
    unsafe { libc::chown(path.as_ptr(), uid, gid) };
}

fn copy_file(
    mut file: std::fs::File,
    meta: &std::fs::Metadata,
    to: &Root,
    target: &Path,
    owner: (u32, u32),
    hasher: &mut Sha256,
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("copy to {}: {e}", target.display());
    to.mkdir_all(target.parent().unwrap_or(Path::new("/")), 0o755)
        .map_err(|e| fail(&e))?;
    let mode = meta.mode() & 0o7777;
    let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC | libc::O_NOFOLLOW;
    let out = to.open_at(target, flags, mode).map_err(|e| fail(&e))?;
    let mut out = std::fs::File::from(out);
    hasher.update(target.as_os_str().as_bytes());
    hasher.update(mode.to_le_bytes());
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let n = file.read(&mut buffer).map_err(|e| fail(&e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        std::io::Write::write_all(&mut out, &buffer[..n]).map_err(|e| fail(&e))?;
    }
    // SAFETY: out is an open regular file.
    unsafe {
        libc::fchown(out.as_raw_fd(), owner.0, owner.1);
        libc::fchmod(out.as_raw_fd(), mode);
    }
    super::context::set_mtime(&out, meta.mtime());
    Ok(())
}

/// Copies the entries of the open directory `dir` into `target`,
/// recursively; symlinks are copied as links, never followed.
fn copy_tree(
    dir: &std::fs::File,
    to: &Root,
    target: &Path,
    owner: (u32, u32),
    hasher: &mut Sha256,
) -> Result<(), String> {
    let base = fd_path(dir.as_fd());
    let mut names: Vec<_> = std::fs::read_dir(&base)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    names.sort();
    for name in names {
        let source = base.join(&name);
        let meta = std::fs::symlink_metadata(&source).map_err(|e| e.to_string())?;
        let inner = target.join(&name);
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&source).map_err(|e| e.to_string())?;
            hasher.update(inner.as_os_str().as_bytes());
            hasher.update(link.as_os_str().as_bytes());
            make_symlink(to, &inner, &link, owner)?;
        } else if kind.is_dir() {
            let child = open_nofollow(&source, libc::O_RDONLY | libc::O_DIRECTORY)?;
            let made = to.mkdir_all(&inner, 0o755).map_err(|e| e.to_string())?;
            chown_fd(&made, owner);
            let mode = CString::new(fd_path(made.as_fd()).as_os_str().as_bytes())
                .map_err(|e| e.to_string())?;
            // SAFETY: NUL-terminated path of a directory we hold open.
            unsafe { libc::chmod(mode.as_ptr(), meta.mode() & 0o7777) };
            copy_tree(&child, to, &inner, owner, hasher)?;
        } else if kind.is_file() {
            let file = open_nofollow(&source, libc::O_RDONLY)?;
            copy_file(file, &meta, to, &inner, owner, hasher)?;
        }
    }
    Ok(())
}

fn open_nofollow(path: &Path, flags: i32) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((flags & !libc::O_RDONLY) | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| format!("open {}: {e}", path.display()))
}

fn make_symlink(to: &Root, inner: &Path, link: &Path, owner: (u32, u32)) -> Result<(), String> {
    let dir = to
        .mkdir_all(inner.parent().unwrap_or(Path::new("/")), 0o755)
        .map_err(|e| e.to_string())?;
    let name = CString::new(inner.file_name().unwrap_or_default().as_bytes())
        .map_err(|e| e.to_string())?;
    let target = CString::new(link.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: NUL-terminated strings; dir is an open directory.
    unsafe {
        libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0);
        if libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) != 0 {
            return Err(format!(
                "symlink {}: {}",
                inner.display(),
                std::io::Error::last_os_error()
            ));
        }
        libc::fchownat(
            dir.as_raw_fd(),
            name.as_ptr(),
            owner.0,
            owner.1,
            libc::AT_SYMLINK_NOFOLLOW,
        );
    }
    Ok(())
}
