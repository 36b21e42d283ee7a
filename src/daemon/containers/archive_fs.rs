//! A container's filesystem as its processes see it (root filesystem,
//! volumes and bind mounts), for `docker cp`. A running container's is
//! its init's root, reached through /proc; a stopped one's is put
//! together in a mount namespace of a thread of its own, so that nothing
//! is mounted on the host and everything goes when the thread ends.
//!
//! Either way the result is a [`Root`]: every lookup in it is confined by
//! openat2(RESOLVE_IN_ROOT), so a container that swaps a directory for a
//! symlink to `/` mid-copy (CVE-2018-15664) only ever leads back into its
//! own root.

use super::record::ContainerRecord;
use crate::api::ApiError;
use crate::daemon::state::Daemon;
use crate::inroot::{Root, fd_path};
use nix::mount::MsFlags;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// Runs `work` with the container's filesystem as a [`Root`].
pub fn with_container_fs<T: Send>(
    daemon: &Daemon,
    record: &ContainerRecord,
    work: impl FnOnce(&Root) -> Result<T, ApiError> + Send,
) -> Result<T, ApiError> {
    if record.is_running()
        && let Ok(rootfs) = super::shims::rootfs(daemon, record)
        && let Some(root) = running_root(record, &rootfs)
    {
        return work(&root);
    }
    let mounts = bind_mounts(record)?;
    // A start waits until the copy is done, as moby's container lock
    // makes it: its mounts would otherwise meet ours on the same layers.
    let _operation = daemon.hold_operation(&record.id);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                private_mount_namespace()?;
                // Mounted (if it was not) in this thread's namespace only,
                // so it is unmounted when the thread ends.
                let rootfs = super::shims::rootfs(daemon, record).map_err(|e| {
                    ApiError::internal(format!("mount the container's filesystem: {e}"))
                })?;
                let root = Root::open(&rootfs).map_err(|e| ApiError::internal(e.to_string()))?;
                for mount in &mounts {
                    mount.attach(&root)?;
                }
                work(&root)
            })
            .join()
            .unwrap_or_else(|_| Err(ApiError::internal("copy thread panicked")))
    })
}

/// The root of the container's init, if it still is the container's: the
/// pid may have exited and been reused since the record was read, so the
/// root opened must be the container's root filesystem itself.
fn running_root(record: &ContainerRecord, rootfs: &Path) -> Option<Root> {
    let proc_root = PathBuf::from(format!("/proc/{}/root", record.state.pid));
    let root = Root::open(&proc_root).ok()?;
    let opened = std::fs::metadata(fd_path(root.fd())).ok()?;
    let expected = std::fs::metadata(rootfs).ok()?;
    (opened.dev() == expected.dev() && opened.ino() == expected.ino()).then_some(root)
}

/// Makes the calling thread's mounts its own, so that what it mounts is
/// seen by nobody else and goes away with it.
fn private_mount_namespace() -> Result<(), ApiError> {
    use nix::sched::{CloneFlags, unshare};
    unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
        .map_err(|e| ApiError::internal(format!("unshare mount namespace: {e}")))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| ApiError::internal(format!("make mounts private: {e}")))
}

/// A volume or bind of the container, as moby mounts them for a copy
/// from a stopped container (not the tmpfs mounts, nor /etc/hosts and
/// the other files the daemon writes).
struct BindMount {
    destination: PathBuf,
    source: PathBuf,
    read_only: bool,
}

fn bind_mounts(record: &ContainerRecord) -> Result<Vec<BindMount>, ApiError> {
    let mut mounts: Vec<BindMount> = super::spec_mounts::user_mounts(record)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_iter()
        .filter(|m| m.typ().as_deref() == Some("bind"))
        .filter_map(|m| {
            let options = m.options().clone().unwrap_or_default();
            Some(BindMount {
                destination: m.destination().clone(),
                source: m.source().clone()?,
                read_only: options.iter().any(|o| o == "ro"),
            })
        })
        .collect();
    // Parents first, so that a mount inside another lands on top of it.
    mounts.sort_by_key(|m| m.destination.components().count());
    Ok(mounts)
}

impl BindMount {
    fn attach(&self, root: &Root) -> Result<(), ApiError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            ApiError::internal(format!(
                "mount {} at {}: {what}: {e}",
                self.source.display(),
                self.destination.display()
            ))
        };
        let source = match std::fs::metadata(&self.source) {
            Ok(meta) => meta,
            // A bind whose source is gone: the copy sees the directory below.
            Err(_) => return Ok(()),
        };
        let target = if source.is_dir() {
            root.mkdir_all(&self.destination, 0o755)
        } else {
            root.create_file(&self.destination, 0o644)
        }
        .map_err(|e| failed("mount point", &e))?;
        let target_path = fd_path(target.as_fd());
        nix::mount::mount(
            Some(&self.source),
            &target_path,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(|e| failed("bind", &e))?;
        if self.read_only {
            // The new mount is on top of the path now: look it up again.
            let mounted = root
                .open_path(&self.destination)
                .map_err(|e| failed("reopen", &e))?;
            nix::mount::mount(
                None::<&str>,
                &fd_path(mounted.as_fd()),
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| failed("read-only", &e))?;
        }
        Ok(())
    }
}

/// Where `path` leads inside the root with every symlink followed, as a
/// path from the root (Go's FollowSymlinkInScope): for the `linkTarget`
/// of a stat and for which mount a destination is in. The links are only
/// read; nothing is opened through the result.
pub fn resolve_in_scope(root: &Root, path: &Path) -> Result<PathBuf, ApiError> {
    const MAX_LINKS: u32 = 255;
    let mut resolved = PathBuf::from("/");
    let mut pending: Vec<PathBuf> = path.components().rev().map(component_path).collect();
    let mut links = 0;
    while let Some(next) = pending.pop() {
        let name = next.as_os_str();
        if name.is_empty() || name == "/" || name == "." {
            continue;
        }
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(name);
        let Some(target) = read_link_in(root, &candidate) else {
            resolved = candidate;
            continue;
        };
        links += 1;
        if links > MAX_LINKS {
            return Err(ApiError::invalid(format!(
                "too many links in {}",
                path.display()
            )));
        }
        if target.is_absolute() {
            resolved = PathBuf::from("/");
        }
        pending.extend(target.components().rev().map(component_path));
    }
    Ok(resolved)
}

fn component_path(component: Component<'_>) -> PathBuf {
    PathBuf::from(component.as_os_str())
}

/// The target of `inner` if it is a symlink; its parent is opened inside
/// the root.
fn read_link_in(root: &Root, inner: &Path) -> Option<PathBuf> {
    let fd = root
        .open_at(inner, libc::O_PATH | libc::O_NOFOLLOW, 0)
        .ok()?;
    // readlink on an O_PATH descriptor of the link itself (empty name).
    let mut buffer = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: buffer is writable for its length; the name is empty and
    // NUL-terminated, which names the descriptor's own file.
    let length = unsafe {
        libc::readlinkat(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            c"".as_ptr(),
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
