//! The local driver's mounted volumes: `DriverOpts` `type`, `device` and
//! `o` as moby 20.10's local driver takes them. Such a volume's `_data`
//! directory gets `device` mounted on it (in the daemon's mount namespace)
//! when the first container using it starts, and unmounted when the last
//! one stops; containers then bind `_data` as for any volume.

use crate::runtime::mount_options::MountOptions;
use crate::runtime::mounts::mount_raw;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The keys the local driver knows (`size` is a quota, which needs xfs
/// project quotas this driver does not set up).
const KNOWN_KEYS: &[&str] = &["type", "o", "device", "size"];

/// Each key and the keys it cannot go without, in the order checked.
const REQUIRED_WITH: &[(&str, &[&str])] = &[
    ("device", &["type"]),
    ("type", &["device"]),
    ("o", &["device", "type"]),
];

/// Checks `DriverOpts` as the local driver of Debian's dockerd 20.10 does
/// at create: known keys, the keys each needs, and a size quota it
/// cannot give.
pub fn check_driver_opts(options: &BTreeMap<String, String>) -> Result<(), String> {
    let quote = crate::gofmt::quote::go_quote;
    if let Some(key) = options
        .keys()
        .find(|key| !KNOWN_KEYS.contains(&key.as_str()))
    {
        return Err(format!("invalid option: {}", quote(key)));
    }
    for (key, needed) in REQUIRED_WITH {
        if !options.contains_key(*key) {
            continue;
        }
        if let Some(missing) = needed.iter().find(|n| !options.contains_key(**n)) {
            return Err(format!("missing required option: {}", quote(missing)));
        }
    }
    if let Some(size) = options.get("size")
        && crate::gofmt::size::ram_in_bytes(size)? > 0
    {
        return Err("quota size requested but no quota support".into());
    }
    Ok(())
}

/// What a volume with options mounts on its `_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMount {
    pub fs_type: String,
    pub device: String,
    /// `o`: mount flags and filesystem data, comma-separated.
    pub options: String,
}

impl LocalMount {
    /// None for a plain directory volume: one is mounted when it has a
    /// `type` or a `device`, as moby's `needsMount`.
    pub fn from_options(options: Option<&BTreeMap<String, String>>) -> Option<LocalMount> {
        let options = options?;
        let get = |key: &str| options.get(key).cloned().unwrap_or_default();
        if get("type").is_empty() && get("device").is_empty() {
            return None;
        }
        Some(LocalMount {
            fs_type: get("type"),
            device: get("device"),
            options: get("o"),
        })
    }

    /// mount(2) on `target` (a `/proc/self/fd/N`), shown as `shown`, the
    /// way moby's mount package does it: flags and data at once, then each
    /// propagation change, then a read-only remount of a read-only bind.
    fn mount(&self, target: &Path, shown: &Path) -> Result<(), String> {
        if self.device.is_empty() {
            return Err("missing device in volume options".into());
        }
        let words: Vec<&str> = self.options.split(',').collect();
        let parsed = MountOptions::parse(&words);
        let flags = parsed.flags;
        let fail = |source: &str, flags: libc::c_ulong, data: &str, e: std::io::Error| {
            let mut text = match source {
                "" => format!("mount {}", shown.display()),
                source => format!("mount {source}:{}", shown.display()),
            };
            if flags != 0 {
                text.push_str(&format!(", flags: 0x{flags:x}"));
            }
            if !data.is_empty() {
                text.push_str(&format!(", data: {data}"));
            }
            format!("{text}: {}", go_errno_text(&e))
        };
        if flags & libc::MS_REMOUNT == 0 || !parsed.data.is_empty() {
            let fs_type = Some(self.fs_type.as_str()).filter(|t| !t.is_empty());
            let device = Path::new(&self.device);
            mount_raw(Some(device), target, fs_type, flags, Some(&parsed.data))
                .map_err(|e| fail(&self.device, flags, &parsed.data, e))?;
        }
        for propagation in &parsed.propagation {
            mount_raw(None, target, None, *propagation, None)
                .map_err(|e| fail("", *propagation, "", e))?;
        }
        let read_only_bind = libc::MS_BIND | libc::MS_RDONLY;
        if flags & read_only_bind == read_only_bind {
            let remount = flags | libc::MS_REMOUNT;
            mount_raw(None, target, None, remount, None).map_err(|e| fail("", remount, "", e))?;
        }
        Ok(())
    }
}

/// The errno's text as Go prints it.
fn go_errno_text(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(errno) => nix::errno::Errno::from_raw(errno).desc().to_lowercase(),
        None => error.to_string(),
    }
}

fn open_no_follow(dir: Option<&OwnedFd>, name: &Path) -> std::io::Result<OwnedFd> {
    let name = CString::new(name.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let at = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: name is NUL-terminated; the result is checked.
    let fd = unsafe { libc::openat(at, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a descriptor just opened and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `_data` of volume `name`, opened without following a symlink at any
/// step below the volumes directory, so a planted link cannot send a
/// mount elsewhere on the host.
fn open_data_dir(volumes_dir: &Path, name: &str) -> std::io::Result<OwnedFd> {
    let volumes = open_no_follow(None, volumes_dir)?;
    let volume = open_no_follow(Some(&volumes), Path::new(name))?;
    open_no_follow(Some(&volume), Path::new("_data"))
}

fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

fn data_path(volumes_dir: &Path, name: &str) -> PathBuf {
    volumes_dir.join(name).join("_data")
}

/// Whether something is mounted on `path`, compared as mountinfo writes
/// it: with the symlinks of the data root's own path resolved.
fn is_mounted(path: &Path) -> bool {
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    crate::runtime::mounts::MountInfo::read_own()
        .is_ok_and(|info| info.entries.iter().any(|e| e.mount_point == real))
}

/// Mounts volume `name`'s device on its `_data`, with moby's wrapping of
/// a failure.
fn mount_volume(volumes_dir: &Path, name: &str, local: &LocalMount) -> Result<(), String> {
    let shown = data_path(volumes_dir, name);
    let wrap = |e: String| {
        format!(
            "error while mounting volume '{}': failed to mount local volume: {e}",
            shown.display()
        )
    };
    let fd = open_data_dir(volumes_dir, name).map_err(|e| wrap(go_errno_text(&e)))?;
    local.mount(&fd_path(&fd), &shown).map_err(wrap)
}

/// Unmounts whatever is mounted on volume `name`'s `_data` (lazily, as
/// containers may still hold it), until nothing is: afterwards removing
/// the directory cannot reach a bound host directory.
pub fn unmount_volume(volumes_dir: &Path, name: &str) -> Result<(), String> {
    let shown = data_path(volumes_dir, name);
    for _ in 0..16 {
        let fd = match open_data_dir(volumes_dir, name) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
            Err(e) => return Err(format!("open {}: {e}", shown.display())),
        };
        let target = CString::new(fd_path(&fd).as_os_str().as_bytes())
            .map_err(|_| "mount path with a NUL byte".to_string())?;
        // SAFETY: target is NUL-terminated.
        if unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) } != 0 {
            let error = std::io::Error::last_os_error();
            // EINVAL: not a mount point any more.
            if error.raw_os_error() == Some(libc::EINVAL) {
                return Ok(());
            }
            return Err(format!(
                "error while unmounting volume path '{}': {}",
                shown.display(),
                go_errno_text(&error)
            ));
        }
    }
    Err(format!(
        "error while unmounting volume path '{}': still mounted",
        shown.display()
    ))
}

/// Which containers hold each mounted volume: the first start mounts, the
/// last stop unmounts, as moby's reference count.
#[derive(Default)]
pub struct VolumeHolders {
    held: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

impl VolumeHolders {
    /// Container `id` takes `volumes`, each mounted unless it is already.
    /// On failure the ones taken are given back.
    pub fn acquire(
        &self,
        volumes_dir: &Path,
        id: &str,
        volumes: &[(String, LocalMount)],
    ) -> Result<(), String> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for (index, (name, local)) in volumes.iter().enumerate() {
            if !is_mounted(&data_path(volumes_dir, name))
                && let Err(error) = mount_volume(volumes_dir, name, local)
            {
                for (taken, _) in &volumes[..index] {
                    release_one(&mut held, volumes_dir, id, taken);
                }
                return Err(error);
            }
            held.entry(name.clone()).or_default().insert(id.to_string());
        }
        Ok(())
    }

    /// Container `id` (stopped) gives back `names`; a volume nobody holds
    /// any more is unmounted.
    pub fn release(&self, volumes_dir: &Path, id: &str, names: &[String]) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for name in names {
            release_one(&mut held, volumes_dir, id, name);
        }
    }

    /// After a daemon restart: volume `name` stays mounted only when a
    /// running container holds it (a dead daemon may have left it).
    pub fn unmount_if_unheld(&self, volumes_dir: &Path, name: &str) {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.get(name).is_none_or(|holders| holders.is_empty())
            && is_mounted(&data_path(volumes_dir, name))
            && let Err(error) = unmount_volume(volumes_dir, name)
        {
            crate::daemon::log::warn(&error);
        }
    }

    /// After a daemon restart: a container still running holds its
    /// volumes again (mounted since its start).
    pub fn adopt(&self, id: &str, names: &[String]) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for name in names {
            held.entry(name.clone()).or_default().insert(id.to_string());
        }
    }
}

fn release_one(
    held: &mut BTreeMap<String, BTreeSet<String>>,
    volumes_dir: &Path,
    id: &str,
    name: &str,
) {
    let holders = held.entry(name.to_string()).or_default();
    holders.remove(id);
    if holders.is_empty() {
        held.remove(name);
        if let Err(error) = unmount_volume(volumes_dir, name) {
            crate::daemon::log::warn(&error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn driver_opts_are_checked_as_the_local_driver_does() {
        assert!(check_driver_opts(&opts(&[])).is_ok());
        let tmpfs = opts(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=1m")]);
        assert!(check_driver_opts(&tmpfs).is_ok());
        assert!(check_driver_opts(&opts(&[("size", "0")])).is_ok());
        let refused = |pairs: &[(&str, &str)]| check_driver_opts(&opts(pairs)).unwrap_err();
        assert_eq!(
            refused(&[("type", "none"), ("foo", "bar")]),
            "invalid option: \"foo\""
        );
        assert_eq!(
            refused(&[("type", "tmpfs")]),
            "missing required option: \"device\""
        );
        assert_eq!(
            refused(&[("device", "/srv")]),
            "missing required option: \"type\""
        );
        assert_eq!(
            refused(&[("size", "1m")]),
            "quota size requested but no quota support"
        );
        assert!(refused(&[("size", "lots")]).contains("lots"));
    }

    #[test]
    fn a_type_or_a_device_makes_a_volume_to_mount() {
        assert_eq!(LocalMount::from_options(None), None);
        assert_eq!(LocalMount::from_options(Some(&opts(&[]))), None);
        assert_eq!(
            LocalMount::from_options(Some(&opts(&[("size", "0")]))),
            None
        );
        let bind = opts(&[("type", "none"), ("o", "bind"), ("device", "/srv")]);
        assert_eq!(
            LocalMount::from_options(Some(&bind)),
            Some(LocalMount {
                fs_type: "none".into(),
                device: "/srv".into(),
                options: "bind".into(),
            })
        );
        let no_device = LocalMount::from_options(Some(&opts(&[("type", "tmpfs")]))).unwrap();
        assert_eq!(
            no_device.mount(Path::new("/nonexistent"), Path::new("/v/_data")),
            Err("missing device in volume options".to_string())
        );
    }

    #[test]
    fn mount_errors_read_as_mobys_mount_package_writes_them() {
        let local = LocalMount {
            fs_type: "none".into(),
            device: "/dockbox-test-missing-device".into(),
            options: "bind,size=1".into(),
        };
        let missing = Path::new("/dockbox-test-missing-target");
        assert_eq!(
            local.mount(missing, Path::new("/v/_data")).unwrap_err(),
            "mount /dockbox-test-missing-device:/v/_data, flags: 0x1000, data: size=1: no such file or directory"
        );
    }
}
