//! PLACEHOLDER rootfs setup, replaced at merge by the rootfs helper's
//! module with the same API. Enough for lifecycle tests: private
//! propagation, spec mounts (no cgroup), default /dev nodes as binds,
//! pivot_root or move+chroot, masked/readonly paths, read-only root.

use crate::inroot::{Root, fd_path};
use oci_spec::runtime::Spec;
use std::ffi::CString;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("{op} {path}: {source}")]
    Os {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    InRoot(#[from] crate::inroot::InRootError),
}

pub struct RootfsSetup<'a> {
    pub spec: &'a Spec,
    pub rootfs: &'a Path,
    pub no_pivot: bool,
    pub console: Option<&'a Path>,
}

fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<(), RootfsError> {
    let c = |bytes: &[u8]| CString::new(bytes).unwrap_or_default();
    let source_c = source.map(|s| c(s.as_os_str().as_bytes()));
    let target_c = c(target.as_os_str().as_bytes());
    let fstype_c = fstype.map(|t| c(t.as_bytes()));
    let data_c = data.map(|d| c(d.as_bytes()));
    let ptr = |v: &Option<CString>| v.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: all pointers are NUL-terminated strings or null.
    let rc = unsafe {
        libc::mount(
            ptr(&source_c),
            target_c.as_ptr(),
            ptr(&fstype_c),
            flags,
            ptr(&data_c).cast(),
        )
    };
    if rc != 0 {
        return Err(RootfsError::Os {
            op: "mount",
            path: target.to_path_buf(),
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

fn parse_options(options: &[String]) -> (libc::c_ulong, Vec<String>) {
    let mut flags = 0;
    let mut data = Vec::new();
    for option in options {
        match option.as_str() {
            "ro" => flags |= libc::MS_RDONLY,
            "nosuid" => flags |= libc::MS_NOSUID,
            "nodev" => flags |= libc::MS_NODEV,
            "noexec" => flags |= libc::MS_NOEXEC,
            "relatime" => flags |= libc::MS_RELATIME,
            "strictatime" => flags |= libc::MS_STRICTATIME,
            "bind" => flags |= libc::MS_BIND,
            "rbind" => flags |= libc::MS_BIND | libc::MS_REC,
            "rw" | "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared" => {}
            other => data.push(other.to_string()),
        }
    }
    (flags, data)
}

pub fn setup_rootfs(setup: &RootfsSetup) -> Result<(), RootfsError> {
    let _ = setup.console;
    mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    mount(
        Some(setup.rootfs),
        setup.rootfs,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )?;
    let root = Root::open(setup.rootfs)?;
    let mut dev_is_tmpfs = false;
    for spec_mount in setup.spec.mounts().iter().flatten() {
        let kind = spec_mount.typ().as_deref().unwrap_or("");
        if kind == "cgroup" || kind == "cgroup2" {
            continue;
        }
        let (flags, data) = parse_options(spec_mount.options().as_deref().unwrap_or(&[]));
        let destination = spec_mount.destination();
        let source = spec_mount.source().clone().unwrap_or_default();
        let target = if flags & libc::MS_BIND != 0 && source.is_file() {
            root.create_file(destination, 0o644)?
        } else {
            root.mkdir_all(destination, 0o755)?
        };
        let target = fd_path(target.as_fd());
        if destination == Path::new("/dev") && kind == "tmpfs" {
            dev_is_tmpfs = true;
        }
        let data = data.join(",");
        let bind = flags & libc::MS_BIND != 0;
        mount(
            Some(&source),
            &target,
            (!bind).then_some(kind),
            flags,
            (!data.is_empty()).then_some(data.as_str()),
        )?;
        if bind && flags & libc::MS_RDONLY != 0 {
            mount(
                None,
                &target,
                None,
                flags | libc::MS_REMOUNT | libc::MS_BIND,
                None,
            )?;
        }
    }
    if dev_is_tmpfs {
        for name in ["null", "zero", "full", "random", "urandom", "tty"] {
            let target = root.create_file(&Path::new("/dev").join(name), 0o666)?;
            mount(
                Some(&Path::new("/dev").join(name)),
                &fd_path(target.as_fd()),
                None,
                libc::MS_BIND,
                None,
            )?;
        }
        for (link, to) in [
            ("ptmx", "pts/ptmx"),
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            let _ = std::os::unix::fs::symlink(to, setup.rootfs.join("dev").join(link));
        }
    }
    std::env::set_current_dir(setup.rootfs).map_err(|source| RootfsError::Os {
        op: "chdir",
        path: setup.rootfs.to_path_buf(),
        source,
    })?;
    if setup.no_pivot {
        mount(
            Some(setup.rootfs),
            Path::new("/"),
            None,
            libc::MS_MOVE,
            None,
        )?;
        // SAFETY: NUL-terminated path.
        if unsafe { libc::chroot(c".".as_ptr()) } != 0 {
            return Err(os_error("chroot", setup.rootfs));
        }
    } else {
        // SAFETY: NUL-terminated paths.
        if unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) } != 0 {
            return Err(os_error("pivot_root", setup.rootfs));
        }
        // SAFETY: NUL-terminated path.
        if unsafe { libc::umount2(c".".as_ptr(), libc::MNT_DETACH) } != 0 {
            return Err(os_error("unmount old root", setup.rootfs));
        }
    }
    std::env::set_current_dir("/").map_err(|source| RootfsError::Os {
        op: "chdir",
        path: "/".into(),
        source,
    })
}

fn os_error(op: &'static str, path: &Path) -> RootfsError {
    RootfsError::Os {
        op,
        path: path.to_path_buf(),
        source: std::io::Error::last_os_error(),
    }
}

pub fn finish_rootfs(spec: &Spec) -> Result<(), RootfsError> {
    let linux = spec.linux().as_ref();
    for path in linux
        .and_then(|l| l.masked_paths().as_ref())
        .into_iter()
        .flatten()
    {
        let path = Path::new(path);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => mount(
                Some(Path::new("tmpfs")),
                path,
                Some("tmpfs"),
                libc::MS_RDONLY,
                None,
            )?,
            Ok(_) => mount(
                Some(Path::new("/dev/null")),
                path,
                None,
                libc::MS_BIND,
                None,
            )?,
            Err(_) => {}
        }
    }
    for path in linux
        .and_then(|l| l.readonly_paths().as_ref())
        .into_iter()
        .flatten()
    {
        let path = Path::new(path);
        if path.exists() {
            mount(Some(path), path, None, libc::MS_BIND | libc::MS_REC, None)?;
            mount(
                None,
                path,
                None,
                libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                None,
            )?;
        }
    }
    if spec.root().as_ref().and_then(|r| r.readonly()) == Some(true) {
        mount(
            None,
            Path::new("/"),
            None,
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
            None,
        )?;
    }
    Ok(())
}
