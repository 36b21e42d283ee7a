//! Graph drivers: how a container's root filesystem is made from the image
//! layers. `overlay2` unpacks each layer once into its own diff directory
//! (whiteouts in overlayfs's form) and mounts them read-only under a
//! per-container upper directory. `vfs` is the fallback where overlayfs
//! cannot mount (for example when the data root itself is on overlayfs):
//! each container gets its own copy, built by applying the layer tars in
//! order with whiteouts deleting from what lies below.
//!
//! ```text
//! overlay2/diff/<hex>/                  unpacked layer, by diff ID
//! overlay2/l/<short>  -> ../diff/<hex>  short names for long lowerdir lists
//! overlay2/containers/<id>/{upper,work,merged}
//! vfs/containers/<id>/rootfs/
//! ```

use super::digest::Digest;
use super::layer::{self, LayerError, Whiteouts};
use super::store::{ContentStore, StoreError};
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The most a mount(2) option string may hold: one page, NUL included.
const MOUNT_DATA_MAX: usize = 4095;
const SHORT_NAME_LENGTH: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no root filesystem for container {0}")]
    NoRootfs(String),
    #[error("invalid container ID {0:?}")]
    InvalidId(String),
    #[error("storage driver overlay2 is not supported here: {0}")]
    OverlayUnsupported(String),
    #[error("unknown storage driver {0:?} (supported: overlay2, vfs)")]
    UnknownDriver(String),
}

type Result<T> = std::result::Result<T, DriverError>;

fn io_error<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> DriverError + 'a {
    move |source| DriverError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverKind {
    Overlay,
    Vfs,
}

impl DriverKind {
    /// The name `docker info` shows and `--storage-driver` takes.
    pub fn name(self) -> &'static str {
        match self {
            DriverKind::Overlay => "overlay2",
            DriverKind::Vfs => "vfs",
        }
    }

    pub fn parse(name: &str) -> Result<DriverKind> {
        match name {
            "overlay2" | "overlay" => Ok(DriverKind::Overlay),
            "vfs" => Ok(DriverKind::Vfs),
            other => Err(DriverError::UnknownDriver(other.to_string())),
        }
    }
}

/// The directories of a container's root filesystem.
#[derive(Debug)]
pub enum RootfsLayout {
    /// overlay2: the container's upper directory over the unpacked
    /// layers, top first.
    Overlay {
        upper: PathBuf,
        lowers: Vec<PathBuf>,
    },
    /// vfs: the container's own complete copy.
    Copy { rootfs: PathBuf },
}

#[derive(Debug)]
pub struct GraphDriver {
    kind: DriverKind,
    root: PathBuf,
}

impl GraphDriver {
    /// Opens the driver's directory below `data_root`. With no driver
    /// requested, overlay2 is used when a trial mount works, vfs otherwise;
    /// an explicit overlay2 that cannot mount is an error.
    pub fn open(data_root: &Path, requested: Option<DriverKind>) -> Result<GraphDriver> {
        let kind = match requested {
            Some(DriverKind::Vfs) => DriverKind::Vfs,
            Some(DriverKind::Overlay) => {
                overlay_supported(data_root).map_err(DriverError::OverlayUnsupported)?;
                DriverKind::Overlay
            }
            None => match overlay_supported(data_root) {
                Ok(()) => DriverKind::Overlay,
                Err(_) => DriverKind::Vfs,
            },
        };
        let root = data_root.join(kind.name());
        for dir in ["containers", "diff", "l"] {
            if kind == DriverKind::Vfs && dir != "containers" {
                continue;
            }
            let path = root.join(dir);
            fs::create_dir_all(&path).map_err(io_error("mkdir", &path))?;
        }
        Ok(GraphDriver { kind, root })
    }

    pub fn kind(&self) -> DriverKind {
        self.kind
    }

    /// Makes the layer ready for containers: overlay2 unpacks it now, so a
    /// bad layer fails its load rather than a later run. Idempotent.
    pub fn prepare_layer(&self, store: &ContentStore, diff_id: &Digest) -> Result<()> {
        if self.kind == DriverKind::Vfs {
            return Ok(());
        }
        let diff = self.diff_path(diff_id);
        if !diff.is_dir() {
            static UNIQUE: AtomicU64 = AtomicU64::new(0);
            let temp = self.root.join("diff").join(format!(
                ".tmp-{}-{}-{}",
                diff_id.hex(),
                std::process::id(),
                UNIQUE.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&temp);
            fs::create_dir(&temp).map_err(io_error("mkdir", &temp))?;
            let applied = store
                .open_layer(diff_id)
                .map_err(DriverError::from)
                .and_then(|tar| Ok(layer::apply_layer(&temp, tar, Whiteouts::Overlay)?));
            if let Err(error) = applied {
                let _ = fs::remove_dir_all(&temp);
                return Err(error);
            }
            if let Err(error) = fs::rename(&temp, &diff) {
                let _ = fs::remove_dir_all(&temp);
                // Another load unpacked the same layer meanwhile: use theirs.
                if !diff.is_dir() {
                    return Err(io_error("rename", &diff)(error));
                }
            }
        }
        let link = self.short_link(diff_id);
        if fs::symlink_metadata(&link).is_err() {
            let target = Path::new("../diff").join(diff_id.hex());
            match std::os::unix::fs::symlink(&target, &link) {
                Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(io_error("symlink", &link)(error));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Drops the driver's copy of a layer that no image uses any more.
    pub fn remove_layer(&self, diff_id: &Digest) -> Result<()> {
        if self.kind == DriverKind::Vfs {
            return Ok(());
        }
        let link = self.short_link(diff_id);
        if let Err(error) = fs::remove_file(&link)
            && error.kind() != io::ErrorKind::NotFound
        {
            return Err(io_error("remove", &link)(error));
        }
        let diff = self.diff_path(diff_id);
        match fs::remove_dir_all(&diff) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(io_error("remove", &diff)(error))
            }
            _ => Ok(()),
        }
    }

    /// Layers the driver holds a copy of, and leftovers of interrupted
    /// unpacks (removed here: nothing can be using them).
    pub fn layer_ids(&self) -> Result<Vec<Digest>> {
        if self.kind == DriverKind::Vfs {
            return Ok(Vec::new());
        }
        let dir = self.root.join("diff");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error("read dir", &dir))? {
            let entry = entry.map_err(io_error("read dir", &dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = Digest::from_hex(&name) {
                ids.push(id);
            } else if name.starts_with(".tmp-") {
                let path = entry.path();
                fs::remove_dir_all(&path).map_err(io_error("remove", &path))?;
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Containers that have a root filesystem here.
    pub fn container_ids(&self) -> Result<Vec<String>> {
        let dir = self.root.join("containers");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error("read dir", &dir))? {
            let entry = entry.map_err(io_error("read dir", &dir))?;
            ids.push(entry.file_name().to_string_lossy().into_owned());
        }
        ids.sort();
        Ok(ids)
    }

    /// `Driver Status` of `docker info`, as overlay2 reports it.
    pub fn status(&self) -> Vec<(String, String)> {
        match self.kind {
            DriverKind::Vfs => Vec::new(),
            DriverKind::Overlay => vec![
                (
                    "Backing Filesystem".into(),
                    backing_filesystem(&self.root).into(),
                ),
                ("Supports d_type".into(), "true".into()),
                ("Native Overlay Diff".into(), "true".into()),
                ("userxattr".into(), "false".into()),
            ],
        }
    }

    /// `GraphDriver.Data` of `docker inspect`: the directories of an image
    /// (`container_id` None) or of a container's root filesystem.
    pub fn inspect_data(
        &self,
        container_id: Option<&str>,
        diff_ids: &[Digest],
    ) -> Result<Vec<(String, String)>> {
        let show = |path: &Path| path.display().to_string();
        let mut data = Vec::new();
        match (self.kind, container_id) {
            (DriverKind::Vfs, Some(id)) => {
                data.push(("Dir".into(), show(&self.container_dir(id)?.join("rootfs"))));
            }
            (DriverKind::Vfs, None) => {}
            (DriverKind::Overlay, Some(id)) => {
                let dir = self.container_dir(id)?;
                let lowers: Vec<String> = diff_ids
                    .iter()
                    .rev()
                    .map(|d| show(&self.diff_path(d)))
                    .collect();
                if !lowers.is_empty() {
                    data.push(("LowerDir".into(), lowers.join(":")));
                }
                data.push(("MergedDir".into(), show(&dir.join("merged"))));
                data.push(("UpperDir".into(), show(&dir.join("upper"))));
                data.push(("WorkDir".into(), show(&dir.join("work"))));
            }
            (DriverKind::Overlay, None) => {
                if let Some((top, below)) = diff_ids.split_last() {
                    let lowers: Vec<String> = below
                        .iter()
                        .rev()
                        .map(|d| show(&self.diff_path(d)))
                        .collect();
                    if !lowers.is_empty() {
                        data.push(("LowerDir".into(), lowers.join(":")));
                    }
                    data.push(("UpperDir".into(), show(&self.diff_path(top))));
                }
            }
        }
        Ok(data)
    }

    fn diff_path(&self, diff_id: &Digest) -> PathBuf {
        self.root.join("diff").join(diff_id.hex())
    }

    fn short_link(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("l")
            .join(&diff_id.hex()[..SHORT_NAME_LENGTH])
    }

    fn container_dir(&self, container_id: &str) -> Result<PathBuf> {
        let valid = !container_id.is_empty()
            && container_id.len() <= 128
            && container_id != "."
            && container_id != ".."
            && container_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid {
            return Err(DriverError::InvalidId(container_id.to_string()));
        }
        Ok(self.root.join("containers").join(container_id))
    }

    /// Creates the root filesystem for `container_id` from `diff_ids`
    /// (bottom layer first) and returns its path.
    pub fn create_rootfs(
        &self,
        store: &ContentStore,
        container_id: &str,
        diff_ids: &[Digest],
    ) -> Result<PathBuf> {
        let dir = self.container_dir(container_id)?;
        fs::create_dir(&dir).map_err(io_error("mkdir", &dir))?;
        let made = match self.kind {
            DriverKind::Overlay => self.mount_overlay(store, &dir, diff_ids),
            DriverKind::Vfs => self.copy_layers(store, &dir, diff_ids),
        };
        if made.is_err() {
            let _ = self.remove_rootfs(container_id);
        }
        made
    }

    fn copy_layers(
        &self,
        store: &ContentStore,
        dir: &Path,
        diff_ids: &[Digest],
    ) -> Result<PathBuf> {
        let rootfs = dir.join("rootfs");
        fs::create_dir(&rootfs).map_err(io_error("mkdir", &rootfs))?;
        for diff_id in diff_ids {
            let tar = store.open_layer(diff_id)?;
            layer::apply_layer(&rootfs, tar, Whiteouts::Apply)?;
        }
        Ok(rootfs)
    }

    fn mount_overlay(
        &self,
        store: &ContentStore,
        dir: &Path,
        diff_ids: &[Digest],
    ) -> Result<PathBuf> {
        for diff_id in diff_ids {
            self.prepare_layer(store, diff_id)?;
        }
        let mut lowers: Vec<PathBuf> = diff_ids
            .iter()
            .rev()
            .map(|diff_id| self.short_link(diff_id))
            .collect();
        let mut dirs = vec![dir.join("upper"), dir.join("work"), dir.join("merged")];
        if lowers.is_empty() {
            // overlayfs wants at least one lower directory.
            lowers.push(dir.join("empty"));
            dirs.push(dir.join("empty"));
        }
        // Already there when a container's rootfs is mounted again.
        for path in &dirs {
            if let Err(error) = fs::create_dir(path)
                && error.kind() != io::ErrorKind::AlreadyExists
            {
                return Err(io_error("mkdir", path)(error));
            }
        }
        let (upper, work, merged) = (&dirs[0], &dirs[1], &dirs[2]);
        let absolute = overlay_options(&lowers, upper, work);
        // Commas and colons separate overlay options and lower dirs; a data
        // root with them in its path can only be named relatively.
        let plain_root = !self.root.to_string_lossy().contains([',', ':', '\\']);
        if absolute.len() <= MOUNT_DATA_MAX && plain_root {
            mount_overlay_at(&absolute, merged)?;
        } else {
            // Too long as absolute paths: mount from inside the driver root
            // with relative names, as Docker's `l/` links are meant for.
            let relative: Vec<PathBuf> = lowers
                .iter()
                .map(|lower| {
                    lower
                        .strip_prefix(&self.root)
                        .unwrap_or(lower)
                        .to_path_buf()
                })
                .collect();
            let options = overlay_options(
                &relative,
                upper.strip_prefix(&self.root).unwrap_or(upper),
                work.strip_prefix(&self.root).unwrap_or(work),
            );
            mount_overlay_from(&self.root, &options, merged)?;
        }
        Ok(merged.clone())
    }

    /// The root filesystem of a container made earlier, mounted again if
    /// it is not (after a reboot, or a daemon restart that lost it), with
    /// the container's changes kept.
    pub fn mount_rootfs(
        &self,
        store: &ContentStore,
        container_id: &str,
        diff_ids: &[Digest],
    ) -> Result<PathBuf> {
        let dir = self.container_dir(container_id)?;
        if !dir.is_dir() {
            return Err(DriverError::NoRootfs(container_id.to_string()));
        }
        match self.kind {
            DriverKind::Vfs => Ok(dir.join("rootfs")),
            DriverKind::Overlay => {
                let merged = dir.join("merged");
                if is_mount_point(&merged) {
                    Ok(merged)
                } else {
                    self.mount_overlay(store, &dir, diff_ids)
                }
            }
        }
    }

    /// Bytes a container changed or added (`SizeRw`): its upper directory
    /// for overlay2; for vfs, as in Docker, its whole copy.
    pub fn changes_size(&self, container_id: &str) -> Result<u64> {
        let dir = self.container_dir(container_id)?;
        let changes = match self.kind {
            DriverKind::Overlay => dir.join("upper"),
            DriverKind::Vfs => dir.join("rootfs"),
        };
        if !changes.is_dir() {
            return Err(DriverError::NoRootfs(container_id.to_string()));
        }
        let mut seen = std::collections::HashSet::new();
        dir_size(&changes, &mut seen).map_err(io_error("measure", &changes))
    }

    /// Where a container's changes live, for diff, commit and export;
    /// NoRootfs before its first start made it.
    pub fn layout(&self, container_id: &str, diff_ids: &[Digest]) -> Result<RootfsLayout> {
        let dir = self.container_dir(container_id)?;
        if !dir.is_dir() {
            return Err(DriverError::NoRootfs(container_id.to_string()));
        }
        Ok(match self.kind {
            DriverKind::Vfs => RootfsLayout::Copy {
                rootfs: dir.join("rootfs"),
            },
            DriverKind::Overlay => RootfsLayout::Overlay {
                upper: dir.join("upper"),
                lowers: diff_ids.iter().rev().map(|d| self.diff_path(d)).collect(),
            },
        })
    }

    /// Unmounts and deletes the container's root filesystem. Missing is
    /// fine, so a half-made rootfs can be cleaned with the same call.
    pub fn remove_rootfs(&self, container_id: &str) -> Result<()> {
        let dir = self.container_dir(container_id)?;
        // Whatever is mounted below the container's directory (the overlay,
        // or a bind mount left in this namespace) is detached first, so the
        // delete can only ever reach the container's own files.
        let mut mounts = mounts_under(&dir).map_err(io_error("read mountinfo for", &dir))?;
        mounts.sort_by_key(|mount| std::cmp::Reverse(mount.components().count()));
        for mount in &mounts {
            unmount(mount)?;
        }
        if let Some(still) = mounts_under(&dir)
            .map_err(io_error("read mountinfo for", &dir))?
            .first()
        {
            return Err(io_error("unmount", still)(io::Error::from_raw_os_error(
                libc::EBUSY,
            )));
        }
        match fs::remove_dir_all(&dir) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(io_error("remove", &dir)(error))
            }
            _ => Ok(()),
        }
    }
}

fn overlay_options(lowers: &[PathBuf], upper: &Path, work: &Path) -> String {
    let lowerdir: Vec<String> = lowers.iter().map(|p| p.display().to_string()).collect();
    let mut options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lowerdir.join(":"),
        upper.display(),
        work.display()
    );
    // With the index feature on, reusing lower directories across mounts
    // can fail with EBUSY; Docker turns it off the same way.
    if Path::new("/sys/module/overlay/parameters/index").exists() {
        options.push_str(",index=off");
    }
    // A renamed lower directory then copies up whole, as Docker's naive
    // diff assumes, so diff and commit see every change in the upper
    // directory (no redirects or metadata-only copies to follow).
    if Path::new("/sys/module/overlay/parameters/redirect_dir").exists() {
        options.push_str(",redirect_dir=off");
    }
    if Path::new("/sys/module/overlay/parameters/metacopy").exists() {
        options.push_str(",metacopy=off");
    }
    options
}

fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io_error("path with NUL byte", path)(io::Error::from_raw_os_error(libc::EINVAL))
    })
}

fn mount_overlay_at(options: &str, target: &Path) -> Result<()> {
    nix::mount::mount(
        Some("overlay"),
        target,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(options),
    )
    .map_err(|errno| io_error("mount overlay on", target)(errno.into()))
}

/// Mounts with `options` resolved relative to `base`: a forked child
/// changes directory and mounts, so the daemon's own working directory
/// (shared by all its threads) never moves.
fn mount_overlay_from(base: &Path, options: &str, target: &Path) -> Result<()> {
    let (c_base, c_target) = (c_path(base)?, c_path(target)?);
    let c_options = CString::new(options).expect("paths were checked for NUL");
    // SAFETY: the child only makes async-signal-safe calls (chdir, mount,
    // _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io_error("fork to mount", target)(io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: see above; the strings outlive the child.
        unsafe {
            if libc::chdir(c_base.as_ptr()) != 0 {
                libc::_exit(*libc::__errno_location());
            }
            let mounted = libc::mount(
                c"overlay".as_ptr(),
                c_target.as_ptr(),
                c"overlay".as_ptr(),
                0,
                c_options.as_ptr().cast(),
            );
            libc::_exit(if mounted == 0 {
                0
            } else {
                *libc::__errno_location()
            });
        }
    }
    let mut status = 0;
    // SAFETY: pid is our child; status is writable.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINTR) {
            return Err(io_error("wait for mount child", target)(error));
        }
    }
    match (libc::WIFEXITED(status), libc::WEXITSTATUS(status)) {
        (true, 0) => Ok(()),
        (true, errno) => Err(io_error("mount overlay on", target)(
            io::Error::from_raw_os_error(errno),
        )),
        _ => Err(io_error("mount overlay on", target)(io::Error::other(
            "mount child died",
        ))),
    }
}

/// Sizes of the files and symlinks below `dir`, hard links counted once
/// (Docker's directory.Size).
fn dir_size(dir: &Path, seen: &mut std::collections::HashSet<(u64, u64)>) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            total += dir_size(&entry.path(), seen)?;
        } else if seen.insert((meta.dev(), meta.ino())) {
            total += meta.size();
        }
    }
    Ok(total)
}

/// The filesystem under `path`, named as Docker's `docker info` does.
fn backing_filesystem(path: &Path) -> &'static str {
    let Ok(c_path) = c_path(path) else {
        return "<unknown>";
    };
    // SAFETY: statfs is plain data, filled by the kernel on success.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is NUL-terminated and stat is writable.
    if unsafe { libc::statfs(c_path.as_ptr(), &mut stat) } != 0 {
        return "<unknown>";
    }
    match stat.f_type as i64 {
        0xEF53 => "extfs",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x794C_7630 => "overlayfs",
        0x2FC1_2FC1 => "zfs",
        0x6969 => "nfs",
        0x5346_544E => "ntfs",
        0xF2F5_2010 => "f2fs",
        _ => "<unknown>",
    }
}

/// Mount points at or below `dir` in this mount namespace.
fn mounts_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")?;
    Ok(mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mountinfo(field)))
        .filter(|mount| mount.starts_with(dir))
        .collect())
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(field: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(digits) => {
                out.push(
                    digits
                        .iter()
                        .fold(0u8, |value, d| value.wrapping_mul(8) + (d - b'0')),
                );
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
}

/// Whether something is mounted at `path`: a mount point sits on another
/// device than its parent directory.
fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (
        fs::symlink_metadata(path),
        fs::symlink_metadata(path.join("..")),
    ) {
        (Ok(here), Ok(parent)) => here.dev() != parent.dev(),
        _ => false,
    }
}

fn unmount(target: &Path) -> Result<()> {
    match nix::mount::umount2(target, nix::mount::MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => Ok(()),
        Err(errno) => Err(io_error("unmount", target)(errno.into())),
    }
}

/// Whether overlayfs works on `data_root`: a trial mount of a lower with a
/// file under an upper layer whose whiteout must hide it.
pub fn overlay_supported(data_root: &Path) -> std::result::Result<(), String> {
    fs::create_dir_all(data_root).map_err(|e| format!("mkdir {}: {e}", data_root.display()))?;
    let trial = data_root.join(format!("overlay-check-{}", std::process::id()));
    let _ = fs::remove_dir_all(&trial);
    let outcome = trial_mount(&trial);
    let _ = unmount(&trial.join("merged"));
    let _ = fs::remove_dir_all(&trial);
    outcome
}

fn trial_mount(trial: &Path) -> std::result::Result<(), String> {
    let [lower, middle, upper, work, merged] =
        ["lower", "middle", "upper", "work", "merged"].map(|name| trial.join(name));
    for dir in [&lower, &middle, &upper, &work, &merged] {
        fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    }
    fs::write(lower.join("hidden"), b"").map_err(|e| format!("write: {e}"))?;
    let whiteout = c_path(&middle.join("hidden")).map_err(|e| e.to_string())?;
    // SAFETY: whiteout is NUL-terminated.
    if unsafe { libc::mknod(whiteout.as_ptr(), libc::S_IFCHR, libc::makedev(0, 0)) } != 0 {
        return Err(format!("mknod whiteout: {}", io::Error::last_os_error()));
    }
    // Relative names, so that a data root whose path overlayfs cannot
    // take as an option still counts as supported.
    let relative = |name: &str| PathBuf::from(name);
    let options = overlay_options(
        &[relative("middle"), relative("lower")],
        &relative("upper"),
        &relative("work"),
    );
    mount_overlay_from(trial, &options, &merged).map_err(|e| e.to_string())?;
    if merged.join("hidden").exists() {
        return Err("overlayfs ignores whiteouts here".to_string());
    }
    Ok(())
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
