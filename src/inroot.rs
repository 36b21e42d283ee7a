//! Path resolution confined to a root directory, for the runtime's mounts and
//! the image layer applier: a symlink such as `/etc -> /host-path` inside a
//! rootfs or a layer must never lead outside it.
//!
//! Every lookup goes through openat2(2) with RESOLVE_IN_ROOT, so `..` and
//! absolute symlinks are clamped to the root by the kernel. Results are file
//! descriptors; mount(2) takes them as `/proc/self/fd/N` (see [`fd_path`]),
//! so no path is resolved again after the check.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InRootError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, InRootError>;

fn io_error(op: &'static str, path: &Path) -> InRootError {
    InRootError::Io {
        op,
        path: path.to_path_buf(),
        source: std::io::Error::last_os_error(),
    }
}

/// An open directory that lookups are confined to.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

impl Root {
    /// Opens the host directory `path` as a root.
    pub fn open(path: &Path) -> Result<Root> {
        let c_path = c_string(path.as_os_str().as_bytes(), path)?;
        // SAFETY: c_path is NUL-terminated; the returned fd is checked.
        let fd = unsafe {
            libc::open(
                c_path.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io_error("open root", path));
        }
        Ok(Root {
            // SAFETY: fd is a fresh descriptor that we own.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: path.to_path_buf(),
        })
    }

    /// A root at a directory already open (O_PATH is enough); `path` is
    /// for messages only.
    pub fn from_fd(fd: OwnedFd, path: PathBuf) -> Root {
        Root { fd, path }
    }

    /// The host path the root was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Opens `inner` (absolute or relative, both taken from the root) with
    /// every symlink and `..` resolved inside the root. `flags` are open(2)
    /// flags; O_CLOEXEC is always added.
    pub fn open_at(&self, inner: &Path, flags: i32, mode: u32) -> Result<OwnedFd> {
        let relative = relative_bytes(inner);
        let c_path = c_string(&relative, inner)?;
        // SAFETY: open_how is plain data; all-zero is its documented default.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (flags | libc::O_CLOEXEC) as u64;
        if flags & (libc::O_CREAT | libc::O_TMPFILE) != 0 {
            how.mode = mode as u64;
        }
        how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
        // The kernel gives EAGAIN when a rename or mount anywhere raced a
        // `..` walk; the lookup is then simply repeated.
        const ATTEMPTS: u32 = 32;
        let mut fd = -1;
        for _ in 0..ATTEMPTS {
            // SAFETY: openat2 reads `how` (of the size passed) and the
            // NUL-terminated path; the returned fd is checked.
            fd = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    self.fd.as_raw_fd(),
                    c_path.as_ptr(),
                    &how as *const libc::open_how,
                    std::mem::size_of::<libc::open_how>(),
                )
            };
            if fd >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EAGAIN) {
                break;
            }
        }
        if fd < 0 {
            return Err(io_error(
                "openat2 in root",
                &self.path.join(&*inner_display(inner)),
            ));
        }
        // SAFETY: fd is a fresh descriptor that we own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }

    /// An O_PATH descriptor of `inner`, for mounting onto or reading links.
    pub fn open_path(&self, inner: &Path) -> Result<OwnedFd> {
        self.open_at(inner, libc::O_PATH, 0)
    }

    /// Creates the directory `inner` and its missing parents inside the root,
    /// like `mkdir -p`, and returns an O_PATH descriptor of it. A dangling
    /// symlink on the way is followed inside the root, as the kernel would.
    pub fn mkdir_all(&self, inner: &Path, mode: u32) -> Result<OwnedFd> {
        self.mkdir_all_following(inner, mode, 0)
    }

    fn mkdir_all_following(&self, inner: &Path, mode: u32, links_followed: u32) -> Result<OwnedFd> {
        const MAX_LINKS: u32 = 40;
        let directory = libc::O_PATH | libc::O_DIRECTORY;
        let mut current = PathBuf::from("/");
        let mut dir = self.open_at(&current, directory, 0)?;
        for component in inner.components() {
            let name = match component {
                Component::Normal(name) => name,
                Component::ParentDir => std::ffi::OsStr::new(".."),
                Component::RootDir | Component::CurDir | Component::Prefix(_) => continue,
            };
            let parent = current.clone();
            current.push(name);
            match self.open_at(&current, directory, 0) {
                Ok(next) => dir = next,
                Err(InRootError::Io { source, .. })
                    if source.raw_os_error() == Some(libc::ENOENT) =>
                {
                    let c_name = c_string(name.as_bytes(), &current)?;
                    if let Some(target) = read_link_at(dir.as_fd(), &c_name) {
                        if links_followed >= MAX_LINKS {
                            return Err(InRootError::Io {
                                op: "mkdir in root",
                                path: self.path.join(inner_display(inner)),
                                source: std::io::Error::from_raw_os_error(libc::ELOOP),
                            });
                        }
                        self.mkdir_all_following(&parent.join(target), mode, links_followed + 1)?;
                    } else {
                        // mkdirat never follows a symlink in its last
                        // component, and `dir` was resolved inside the root.
                        // SAFETY: dir is a valid fd; c_name is NUL-terminated.
                        let made = unsafe { libc::mkdirat(dir.as_raw_fd(), c_name.as_ptr(), mode) };
                        if made != 0
                            && std::io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST)
                        {
                            return Err(io_error(
                                "mkdir in root",
                                &self.path.join(inner_display(&current)),
                            ));
                        }
                    }
                    dir = self.open_at(&current, directory, 0)?;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(dir)
    }

    /// Creates the regular file `inner` (and its parent directories) if it
    /// is missing, and returns an O_PATH descriptor of whatever is there.
    pub fn create_file(&self, inner: &Path, mode: u32) -> Result<OwnedFd> {
        if let Some(parent) = inner.parent() {
            self.mkdir_all(parent, 0o755)?;
        }
        // A file that exists is used as it is, as runc does: opening it
        // for writing would need a write permission that a mapped root
        // lacks on the image's files (a bind onto /etc/hosts, say).
        match self.open_path(inner) {
            Err(InRootError::Io { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {}
            found => return found,
        }
        match self.open_at(
            inner,
            libc::O_CREAT | libc::O_WRONLY | libc::O_NOFOLLOW,
            mode,
        ) {
            Ok(_) => self.open_path(inner),
            // Already there as something we must not open for writing (a
            // directory, a device, a symlink): use it as it is.
            Err(InRootError::Io { source, .. })
                if matches!(
                    source.raw_os_error(),
                    Some(libc::EISDIR | libc::ELOOP | libc::ENXIO | libc::ETXTBSY)
                ) =>
            {
                self.open_path(inner)
            }
            Err(error) => Err(error),
        }
    }

    /// The host path that `inner` resolves to inside the root, for messages
    /// and for tools that need a path. Prefer the descriptors for any action.
    #[cfg(test)]
    pub fn resolve(&self, inner: &Path) -> Result<PathBuf> {
        let fd = self.open_path(inner)?;
        std::fs::read_link(fd_path(fd.as_fd())).map_err(|source| InRootError::Io {
            op: "readlink",
            path: fd_path(fd.as_fd()),
            source,
        })
    }
}

/// The target of the symlink `name` in `dir`, or None if it is no symlink.
/// A relative target is returned as is; joining it to the link's directory
/// is the caller's job, and an absolute one is later clamped to the root.
fn read_link_at(dir: BorrowedFd<'_>, name: &CString) -> Option<PathBuf> {
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
        return None;
    }
    buffer.truncate(length as usize);
    Some(PathBuf::from(std::ffi::OsString::from_vec(buffer)))
}

/// `/proc/self/fd/N`: a path that names exactly the open file, for syscalls
/// such as mount(2) that take paths only.
pub fn fd_path(fd: BorrowedFd<'_>) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// `inner` without its leading slashes: openat2 resolves it from the root fd.
fn relative_bytes(inner: &Path) -> Vec<u8> {
    let bytes = inner.as_os_str().as_bytes();
    let trimmed = bytes
        .iter()
        .position(|&b| b != b'/')
        .map_or(&b"."[..], |start| &bytes[start..]);
    trimmed.to_vec()
}

fn inner_display(inner: &Path) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(&relative_bytes(inner)))
}

fn c_string(bytes: &[u8], for_path: &Path) -> Result<CString> {
    CString::new(bytes).map_err(|_| InRootError::Io {
        op: "path with NUL byte",
        path: for_path.to_path_buf(),
        source: std::io::Error::from_raw_os_error(libc::EINVAL),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(label: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("dockbox-inroot-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn absolute_symlinks_stay_inside() {
        let outside = temp_root("outside");
        let rootfs = temp_root("rootfs");
        std::os::unix::fs::symlink(&outside, rootfs.join("etc")).unwrap();
        std::os::unix::fs::symlink("../../../../..", rootfs.join("up")).unwrap();
        let root = Root::open(&rootfs).unwrap();

        root.mkdir_all(Path::new("/etc/sub"), 0o755).unwrap();
        root.create_file(Path::new("/up/escape"), 0o644).unwrap();
        assert!(
            !outside.join("sub").exists(),
            "mkdir followed the symlink out"
        );
        // The absolute link target is resolved inside the root instead.
        assert!(
            rootfs
                .join(outside.strip_prefix("/").unwrap())
                .join("sub")
                .is_dir()
        );
        assert!(rootfs.join("escape").is_file());
        assert_eq!(
            root.resolve(Path::new("/up/escape")).unwrap(),
            std::fs::canonicalize(rootfs.join("escape")).unwrap()
        );
        std::fs::remove_dir_all(&outside).unwrap();
        std::fs::remove_dir_all(&rootfs).unwrap();
    }

    #[test]
    fn create_file_keeps_existing_directories() {
        let rootfs = temp_root("existing");
        std::fs::create_dir_all(rootfs.join("a/b")).unwrap();
        let root = Root::open(&rootfs).unwrap();
        root.create_file(Path::new("a/b"), 0o644).unwrap();
        assert!(rootfs.join("a/b").is_dir());
        root.create_file(Path::new("a/c"), 0o644).unwrap();
        assert!(rootfs.join("a/c").is_file());
        std::fs::remove_dir_all(&rootfs).unwrap();
    }
}
