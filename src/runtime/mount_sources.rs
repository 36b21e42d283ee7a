//! Bind sources under a new user namespace. The init's root is a mapped id
//! (uid 100000 on the host, say), so a bind source below a directory only
//! the host's root may enter cannot be reached by its path from the init.
//! As runc 1.1.5 does, the runtime, still root on the host, opens each
//! bind source O_PATH in the init's mount namespace and hands the fds over
//! the sync socket; the init mounts from `/proc/self/fd/N` and closes them
//! once its rootfs is set up.

use super::clone::clone_child;
use super::container::{RuntimeError, reap};
use super::mount_options::MountOptions;
use super::sync::{MAX_FDS_PER_MESSAGE, Message, SyncSocket};
use oci_spec::runtime::Spec;
use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// A bind mount's source, absolute, and its index in the spec's mounts.
pub(crate) struct BindSource {
    index: usize,
    path: CString,
}

/// The spec's bind sources, made absolute from our cwd (the bundle, as
/// the init's), since the helper that opens them leaves it.
pub(crate) fn bind_sources(spec: &Spec) -> Result<Vec<BindSource>, RuntimeError> {
    let mut sources = Vec::new();
    for (index, mount) in spec.mounts().iter().flatten().enumerate() {
        let options = MountOptions::parse(mount.options().as_deref().unwrap_or_default());
        let is_bind = options.is_bind() || mount.typ().as_deref() == Some("bind");
        let Some(source) = mount.source().as_deref().filter(|_| is_bind) else {
            continue;
        };
        let absolute = std::path::absolute(source).map_err(|e| {
            RuntimeError::Failed(format!(
                "make bind source {} absolute: {e}",
                source.display()
            ))
        })?;
        let path = CString::new(absolute.as_os_str().as_bytes()).map_err(|_| {
            RuntimeError::Spec(format!("mount source {} has a NUL byte", source.display()))
        })?;
        sources.push(BindSource { index, path });
    }
    Ok(sources)
}

/// The bind sources to open for the init: runc's rule is a user and a
/// mount namespace, the user namespace new (its maps are what the init
/// waits for) and the runtime the host's root (a rootless runtime could
/// not enter the namespace, nor reach more than the init can).
pub(crate) fn to_send(
    new_user_namespace: bool,
    mount_namespace: bool,
    spec: &Spec,
) -> Result<Vec<BindSource>, RuntimeError> {
    // SAFETY: geteuid cannot fail.
    let real_root = unsafe { libc::geteuid() } == 0;
    if !(new_user_namespace && mount_namespace && real_root) {
        return Ok(Vec::new());
    }
    bind_sources(spec)
}

/// Opens every source O_PATH in the mount namespace of `pid` (a short-lived
/// helper enters it: setns would move our own root and cwd) and sends the
/// fds to the init over `sync`, in messages it reads before `Proceed`.
pub(crate) fn send_to_init(
    pid: i32,
    sources: &[BindSource],
    sync: &SyncSocket,
) -> Result<(), RuntimeError> {
    let opened = open_in_mount_namespace(pid, sources)?;
    for chunk in opened.chunks(MAX_FDS_PER_MESSAGE) {
        let indices = chunk.iter().map(|(index, _)| *index).collect();
        let fds: Vec<BorrowedFd<'_>> = chunk.iter().map(|(_, fd)| fd.as_fd()).collect();
        sync.send_with_fds(&Message::MountSources(indices), &fds)?;
    }
    Ok(())
}

fn open_in_mount_namespace(
    pid: i32,
    sources: &[BindSource],
) -> Result<Vec<(usize, OwnedFd)>, RuntimeError> {
    let namespace = CString::new(format!("/proc/{pid}/ns/mnt")).expect("no NUL");
    let (ours, helpers) = SyncSocket::pair()?;
    let helper = clone_child(0)?;
    if helper == 0 {
        let sent = match open_all(&namespace, sources) {
            Ok(opened) => send_back(&helpers, &opened),
            Err(text) => helpers.send(&Message::Failed(text)),
        };
        // SAFETY: leave the helper without running our atexit.
        unsafe { libc::_exit(i32::from(sent.is_err())) };
    }
    drop(helpers);
    let received = receive_all(&ours);
    reap(helper);
    received
}

/// In the helper: enter the init's mount namespace, open the sources.
fn open_all(namespace: &CString, sources: &[BindSource]) -> Result<Vec<(usize, OwnedFd)>, String> {
    let shown = |path: &CString| path.to_string_lossy().into_owned();
    let os_error = |op: &str, path: &CString| {
        format!("{op} {}: {}", shown(path), std::io::Error::last_os_error())
    };
    // SAFETY: the path is NUL-terminated; the fd is checked.
    let fd = unsafe { libc::open(namespace.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(os_error("open", namespace));
    }
    // SAFETY: fresh fd that we own.
    let namespace_fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: a plain syscall; the helper is single threaded.
    if unsafe {
        libc::setns(
            std::os::fd::AsRawFd::as_raw_fd(&namespace_fd),
            libc::CLONE_NEWNS,
        )
    } != 0
    {
        return Err(os_error("setns", namespace));
    }
    let mut opened = Vec::with_capacity(sources.len());
    for source in sources {
        // As runc: the host admin's path, symlinks followed as for any bind.
        // SAFETY: the path is NUL-terminated; the fd is checked.
        let fd = unsafe { libc::open(source.path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(os_error("open mount source", &source.path));
        }
        // SAFETY: fresh fd that we own.
        opened.push((source.index, unsafe { OwnedFd::from_raw_fd(fd) }));
    }
    Ok(opened)
}

fn send_back(
    socket: &SyncSocket,
    opened: &[(usize, OwnedFd)],
) -> Result<(), super::sync::SyncError> {
    for chunk in opened.chunks(MAX_FDS_PER_MESSAGE) {
        let indices = chunk.iter().map(|(index, _)| *index).collect();
        let fds: Vec<BorrowedFd<'_>> = chunk.iter().map(|(_, fd)| fd.as_fd()).collect();
        socket.send_with_fds(&Message::MountSources(indices), &fds)?;
    }
    Ok(())
}

/// The helper's fds until it closes its end, or its failure.
fn receive_all(socket: &SyncSocket) -> Result<Vec<(usize, OwnedFd)>, RuntimeError> {
    let mut received = BindSourceFds::default();
    loop {
        match socket.receive_with_fds()? {
            (None, _) => return Ok(received.fds),
            (Some(Message::MountSources(indices)), fds) => {
                received.add(indices, fds).map_err(RuntimeError::Failed)?
            }
            (Some(Message::Failed(text)), _) => return Err(RuntimeError::Failed(text)),
            (other, _) => {
                return Err(RuntimeError::Failed(format!(
                    "mount source helper: unexpected {other:?}"
                )));
            }
        }
    }
}

/// In the init: the fds received, by mount index. Dropping it closes them.
#[derive(Default)]
pub struct BindSourceFds {
    fds: Vec<(usize, OwnedFd)>,
}

impl BindSourceFds {
    /// One `MountSources` message and the fds that came with it.
    pub fn add(&mut self, indices: Vec<usize>, fds: Vec<OwnedFd>) -> Result<(), String> {
        if indices.len() != fds.len() {
            return Err(format!(
                "mount sources: {} fds for {} mounts",
                fds.len(),
                indices.len()
            ));
        }
        self.fds.extend(indices.into_iter().zip(fds));
        Ok(())
    }

    pub fn get(&self, index: usize) -> Option<BorrowedFd<'_>> {
        self.fds
            .iter()
            .find(|(at, _)| *at == index)
            .map(|(_, fd)| fd.as_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn fds_are_matched_to_their_mounts() {
        let mut fds = BindSourceFds::default();
        let file = || OwnedFd::from(std::fs::File::open("/").unwrap());
        assert!(fds.add(vec![1], vec![]).is_err());
        fds.add(vec![2, 4], vec![file(), file()]).unwrap();
        assert!(fds.get(2).is_some() && fds.get(4).is_some());
        assert!(fds.get(0).is_none() && fds.get(3).is_none());
    }

    #[test]
    fn only_binds_have_sources_and_relative_ones_become_absolute() {
        let spec: Spec = serde_json::from_str(
            r#"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"mounts":[
                {"destination":"/proc","type":"proc","source":"proc"},
                {"destination":"/a","type":"bind","source":"/srv/a"},
                {"destination":"/b","source":"data","options":["rbind"]}]}"#,
        )
        .unwrap();
        let sources = bind_sources(&spec).unwrap();
        let indices: Vec<usize> = sources.iter().map(|s| s.index).collect();
        assert_eq!(indices, [1, 2]);
        assert_eq!(sources[0].path.as_bytes(), b"/srv/a");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            Path::new(std::ffi::OsStr::from_bytes(sources[1].path.as_bytes())),
            cwd.join("data")
        );
    }
}
