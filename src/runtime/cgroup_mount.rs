//! A spec mount of type `cgroup`. On a cgroup v2 host it is one cgroup2
//! filesystem. On a v1 or hybrid host it is, as runc makes it, a tmpfs with
//! one directory per v1 hierarchy: the container's own cgroup bound from the
//! host (or, with a cgroup namespace, a fresh mount of the hierarchy), and a
//! symlink per controller of a combined hierarchy such as `cpu,cpuacct`.

use super::mountinfo::{MountEntry, MountInfo};
use super::{CGROUP_FLAGS, MountContext, bind, mount_raw, statfs_path};
use crate::inroot::{InRootError, fd_path};
use crate::runtime::mount_options::MountOptions;
use crate::runtime::rootfs::{Result, RootfsError, c_path};
use oci_spec::runtime::Mount;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

const CGROUP2_SUPER_MAGIC: libc::__fsword_t = 0x6367_7270;
const HOST_CGROUP_ROOT: &str = "/sys/fs/cgroup";

pub fn mount_cgroup(
    context: &MountContext,
    mount: &Mount,
    destination: &Path,
    options: &MountOptions,
) -> Result<()> {
    if statfs_path(Path::new(HOST_CGROUP_ROOT))? == CGROUP2_SUPER_MAGIC {
        mount_unified(context, mount, destination, options)
    } else {
        mount_v1(context, destination, options)
    }
}

fn mount_unified(
    context: &MountContext,
    mount: &Mount,
    destination: &Path,
    options: &MountOptions,
) -> Result<()> {
    let target = context.root.mkdir_all(destination, 0o755)?;
    let source = mount
        .source()
        .clone()
        .unwrap_or_else(|| PathBuf::from("cgroup"));
    let mounted = mount_raw(
        Some(&source),
        &fd_path(target.as_fd()),
        Some("cgroup2"),
        options.flags,
        Some(&options.data),
    );
    match mounted {
        Ok(()) => Ok(()),
        // In a user namespace without a cgroup namespace of its own, the
        // kernel refuses a new cgroup2 mount: bind the host's instead.
        Err(error) if matches!(error.raw_os_error(), Some(libc::EPERM | libc::EBUSY)) => {
            drop(target);
            let mut source = PathBuf::from(HOST_CGROUP_ROOT);
            // With a cgroup namespace, only the container's own subtree.
            let unified_own = if context.cgroup_namespace {
                own_cgroups()?
                    .into_iter()
                    .find(|c| c.controllers.is_empty())
            } else {
                None
            };
            if let Some(own) = unified_own {
                source = source.join(own.path.strip_prefix("/").unwrap_or(&own.path));
            }
            bind(
                context.root,
                &source,
                destination,
                libc::MS_BIND | options.flags,
                options,
            )
        }
        Err(error) => Err(RootfsError::os("mount cgroup2 onto", destination, error)),
    }
}

fn mount_v1(context: &MountContext, destination: &Path, options: &MountOptions) -> Result<()> {
    let own = own_cgroups()?;
    let table = MountInfo::read_own()?;
    // The host's mount of a hierarchy comes first in mountinfo; later ones
    // (such as those under a rootless spec's rbind of /sys into the rootfs,
    // about to be hidden by the tmpfs holder) would be bound a second time.
    let mut seen_options: Vec<&[String]> = Vec::new();
    let hierarchies: Vec<(&MountEntry, &OwnCgroup)> = table
        .entries
        .iter()
        .filter(|entry| entry.fs_type == "cgroup")
        .filter(|entry| {
            let first = !seen_options.contains(&entry.super_options.as_slice());
            seen_options.push(&entry.super_options);
            first
        })
        .filter_map(|entry| {
            own.iter()
                .find(|cgroup| {
                    cgroup
                        .controllers
                        .iter()
                        .any(|c| entry.super_options.contains(c))
                })
                .map(|cgroup| (entry, cgroup))
        })
        .collect();

    mount_tmpfs_holder(context, destination, options)?;
    let mut combined: Vec<String> = Vec::new();
    for (entry, cgroup) in hierarchies {
        let Some(name) = entry.mount_point.file_name() else {
            continue;
        };
        let name = name.to_string_lossy().into_owned();
        if name.contains(',') {
            combined.push(name.clone());
        }
        let subsystem_destination = destination.join(&name);
        if context.cgroup_namespace {
            let target = context.root.mkdir_all(&subsystem_destination, 0o755)?;
            let (source, data) = if name == "systemd" {
                ("systemd", "name=systemd".to_string())
            } else {
                ("cgroup", name.clone())
            };
            mount_raw(
                Some(Path::new(source)),
                &fd_path(target.as_fd()),
                Some("cgroup"),
                CGROUP_FLAGS | (options.flags & libc::MS_RDONLY),
                Some(&data),
            )
            .map_err(|e| RootfsError::os("mount cgroup onto", &subsystem_destination, e))?;
        } else {
            // The container sees its own cgroup as the hierarchy's root.
            let relative = cgroup
                .path
                .strip_prefix(&entry.root)
                .unwrap_or(Path::new(""));
            let source = entry.mount_point.join(relative);
            bind(
                context.root,
                &source,
                &subsystem_destination,
                libc::MS_BIND | libc::MS_REC | options.flags,
                options,
            )?;
        }
    }
    let holder = context.root.open_path(destination)?;
    for name in combined {
        for controller in name.split(',') {
            let link = c_path(Path::new(controller))?;
            let target = c_path(Path::new(&name))?;
            // SAFETY: both strings are NUL-terminated; holder is a directory.
            let made =
                unsafe { libc::symlinkat(target.as_ptr(), holder.as_raw_fd(), link.as_ptr()) };
            if made != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
                return Err(RootfsError::last_os(
                    "symlink",
                    destination.join(controller),
                ));
            }
        }
    }
    Ok(())
}

/// The writable tmpfs that holds the hierarchies (runc leaves it
/// writable; the binds below it carry the read-only flag).
fn mount_tmpfs_holder(
    context: &MountContext,
    destination: &Path,
    options: &MountOptions,
) -> Result<()> {
    let target = match context.root.open_path(destination) {
        Ok(fd) => fd,
        Err(InRootError::Io { source, .. }) if source.raw_os_error() == Some(libc::ENOENT) => {
            context.root.mkdir_all(destination, 0o755)?
        }
        Err(error) => return Err(error.into()),
    };
    mount_raw(
        Some(Path::new("tmpfs")),
        &fd_path(target.as_fd()),
        Some("tmpfs"),
        CGROUP_FLAGS,
        Some("mode=755"),
    )
    .map_err(|e| RootfsError::os("mount tmpfs for cgroups onto", destination, e))?;
    drop(target);
    if !options.propagation.is_empty() {
        let target = context.root.open_path(destination)?;
        for &flag in &options.propagation {
            mount_raw(None, &fd_path(target.as_fd()), None, flag, None)
                .map_err(|e| RootfsError::os("change mount propagation of", destination, e))?;
        }
    }
    Ok(())
}

/// One line of /proc/self/cgroup: `4:cpu,cpuacct:/user.slice`.
#[derive(Debug)]
struct OwnCgroup {
    controllers: Vec<String>,
    path: PathBuf,
}

fn own_cgroups() -> Result<Vec<OwnCgroup>> {
    let file = Path::new("/proc/self/cgroup");
    let text = std::fs::read_to_string(file).map_err(|e| RootfsError::os("read", file, e))?;
    Ok(parse_own_cgroups(&text))
}

fn parse_own_cgroups(text: &str) -> Vec<OwnCgroup> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let _id = fields.next()?;
            let controllers = fields.next()?;
            let path = fields.next()?;
            Some(OwnCgroup {
                controllers: controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path: PathBuf::from(path),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_own_cgroup_lines_parse() {
        let own = parse_own_cgroups("5:cpu,cpuacct:/a/b\n1:name=systemd:/s\n0::/u\n");
        assert_eq!(own.len(), 3);
        assert_eq!(own[0].controllers, vec!["cpu", "cpuacct"]);
        assert_eq!(own[0].path, Path::new("/a/b"));
        assert_eq!(own[1].controllers, vec!["name=systemd"]);
        assert!(own[2].controllers.is_empty());
    }
}
