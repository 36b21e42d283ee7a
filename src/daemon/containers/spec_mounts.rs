//! The mounts of a container's OCI spec, as moby's `WithMounts` and
//! `oci.DefaultLinuxSpec` lay them out: the default filesystems, then the
//! network files, Binds, Mounts and Tmpfs, parents before children.

use super::record::ContainerRecord;
use super::spec_error::SpecError;
use super::validate::parse_bind;
use oci_spec::runtime::{Mount, MountBuilder};
use std::path::Path;

fn mount(
    destination: &str,
    kind: &str,
    source: &str,
    options: &[&str],
) -> Result<Mount, SpecError> {
    Ok(MountBuilder::default()
        .destination(destination)
        .typ(kind)
        .source(source)
        .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
        .build()?)
}

/// The filesystems every container gets.
fn default_mounts(record: &ContainerRecord) -> Result<Vec<Mount>, SpecError> {
    let host = &record.host_config;
    // Privileged containers get a writable /sys unless the rootfs is read-only.
    let sys_ro = !host.privileged || host.readonly_rootfs;
    let sys_options: &[&str] = if sys_ro {
        &["ro", "nosuid", "noexec", "nodev"]
    } else {
        &["rw", "nosuid", "noexec", "nodev"]
    };
    let shm = if host.ipc_mode == "host" {
        mount("/dev/shm", "bind", "/dev/shm", &["rbind", "rprivate"])?
    } else {
        let size = format!("size={}k", (host.shm_size.max(0) as u64).div_ceil(1024));
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["rw", "nosuid", "noexec", "nodev", "mode=1777", &size],
        )?
    };
    Ok(vec![
        mount(
            "/proc",
            "proc",
            "proc",
            &["rw", "nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["rw", "nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "rw",
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount("/sys", "sysfs", "sysfs", sys_options)?,
        mount("/sys/fs/cgroup", "cgroup", "cgroup", sys_options)?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["rw", "nosuid", "noexec", "nodev"],
        )?,
        shm,
    ])
}

/// Tmpfs options: moby's defaults (`noexec,nosuid,nodev`) with the
/// user's options overriding their opposites.
pub fn tmpfs_options(given: &[String]) -> Vec<String> {
    let mut options: Vec<String> = vec!["noexec".into(), "nosuid".into(), "nodev".into()];
    for option in given.iter().filter(|o| !o.is_empty()) {
        let opposite = match option.as_str() {
            "exec" => Some("noexec"),
            "noexec" => Some("exec"),
            "suid" => Some("nosuid"),
            "nosuid" => Some("suid"),
            "dev" => Some("nodev"),
            "nodev" => Some("dev"),
            "ro" => Some("rw"),
            "rw" => Some("ro"),
            _ => None,
        };
        if let Some(opposite) = opposite {
            options.retain(|o| o != opposite);
        }
        let key = option.split('=').next().unwrap_or("");
        if option.contains('=') {
            options.retain(|o| o.split('=').next() != Some(key));
        }
        if !options.contains(option) {
            options.push(option.clone());
        }
    }
    options
}

/// `size=` as moby's `ConvertTmpfsOptions` writes it: the largest of
/// k, m, g that divides the byte count.
pub fn tmpfs_size_option(bytes: i64) -> String {
    let (mut size, mut suffix) = (bytes, "");
    for next in ["k", "m", "g"] {
        if size % 1024 != 0 {
            break;
        }
        size /= 1024;
        suffix = next;
    }
    format!("size={size}{suffix}")
}

/// Creates the missing host directories of `Binds` (`-v /host:/ctr`), as
/// Docker does at start; `Mounts` of type bind must exist already (create
/// refuses them otherwise).
pub fn create_bind_sources(record: &ContainerRecord) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    for bind in record
        .host_config
        .binds
        .iter()
        .flatten()
        .filter_map(|b| parse_bind(b).ok())
        .filter(|b| !b.is_volume())
    {
        let source = std::path::Path::new(&bind.source);
        if !source.is_absolute() || source.symlink_metadata().is_ok() {
            continue;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(source)
            .map_err(|e| {
                format!(
                    "error while creating mount source path '{}': mkdir {}: {e}",
                    bind.source, bind.source
                )
            })?;
    }
    Ok(())
}

/// Each bind's source and the propagation the user asked for (empty for
/// none), from Binds and bind Mounts.
fn bind_propagations(record: &ContainerRecord) -> Vec<(String, String)> {
    let host = &record.host_config;
    let mut binds: Vec<(String, String)> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| parse_bind(b).ok())
        .filter(|b| !b.is_volume())
        .map(|b| (b.source, b.propagation))
        .collect();
    binds.extend(
        host.mounts
            .iter()
            .flatten()
            .filter(|m| m.kind == "bind")
            .map(|m| {
                let propagation = m.bind_options.as_ref().map(|o| o.propagation.clone());
                (m.source.clone(), propagation.unwrap_or_default())
            }),
    );
    binds
}

/// Refuses, as moby does at start, a shared bind whose source is not on a
/// shared mount and a slave bind whose source is on neither a shared nor a
/// slave mount: propagation from the host could never reach the container,
/// so accepting it would pretend.
pub fn check_bind_propagation(
    record: &ContainerRecord,
    mounts: &crate::runtime::mounts::MountInfo,
) -> Result<(), String> {
    for (source, propagation) in bind_propagations(record) {
        let (wanted, kinds): (&[&str], &str) = match propagation.as_str() {
            "shared" | "rshared" => (&["shared:"], "a shared"),
            "slave" | "rslave" => (&["shared:", "master:"], "a shared or slave"),
            _ => continue,
        };
        let resolved = std::fs::canonicalize(&source)
            .map_err(|e| format!("resolve the bind source {source}: {e}"))?;
        let Some(holder) = mounts.containing(&resolved) else {
            return Err(format!("Can't find mount point of {source}"));
        };
        let propagates = holder
            .optional
            .iter()
            .any(|field| wanted.iter().any(|tag| field.starts_with(tag)));
        if !propagates {
            return Err(format!(
                "path {source} is mounted on {} but it is not {kinds} mount",
                holder.mount_point.display()
            ));
        }
    }
    Ok(())
}

/// The user's mounts: Binds, Mounts (bind, tmpfs) and Tmpfs.
pub fn user_mounts(record: &ContainerRecord) -> Result<Vec<Mount>, SpecError> {
    let host = &record.host_config;
    let mut mounts = Vec::new();
    for bind in host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| parse_bind(b).ok())
        .filter(|b| !b.is_volume())
    {
        let propagation = if bind.propagation.is_empty() {
            "rprivate"
        } else {
            &bind.propagation
        };
        let mode = if bind.read_only { "ro" } else { "rw" };
        mounts.push(mount(
            &bind.destination,
            "bind",
            &bind.source,
            &["rbind", mode, propagation],
        )?);
    }
    for spec in host.mounts.iter().flatten() {
        match spec.kind.as_str() {
            "bind" => {
                let propagation = spec
                    .bind_options
                    .as_ref()
                    .map(|o| o.propagation.as_str())
                    .filter(|p| !p.is_empty())
                    .unwrap_or("rprivate");
                let mode = if spec.read_only { "ro" } else { "rw" };
                mounts.push(mount(
                    &spec.target,
                    "bind",
                    &spec.source,
                    &["rbind", mode, propagation],
                )?);
            }
            "tmpfs" => {
                let mut given = Vec::new();
                if let Some(options) = &spec.tmpfs_options {
                    if options.size_bytes > 0 {
                        given.push(tmpfs_size_option(options.size_bytes));
                    }
                    if options.mode != 0 {
                        given.push(format!("mode={:o}", options.mode));
                    }
                }
                if spec.read_only {
                    given.push("ro".into());
                }
                let options = tmpfs_options(&given);
                let options: Vec<&str> = options.iter().map(String::as_str).collect();
                mounts.push(mount(&spec.target, "tmpfs", "tmpfs", &options)?);
            }
            _ => {}
        }
    }
    for volume in &record.volume_mounts {
        let mode = if volume.read_only { "ro" } else { "rw" };
        mounts.push(mount(
            &volume.destination,
            "bind",
            &volume.source,
            &["rbind", mode, "rprivate"],
        )?);
    }
    for (destination, data) in host.tmpfs.iter().flatten() {
        let given: Vec<String> = data.split(',').map(str::to_string).collect();
        let options = tmpfs_options(&given);
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        mounts.push(mount(destination, "tmpfs", "tmpfs", &options)?);
    }
    Ok(mounts)
}

/// Whether `mount` goes at `place`, compared as the texts given (as moby
/// compares destinations), not as cleaned paths.
fn at(mount: &Mount, place: &str) -> bool {
    mount.destination().as_os_str() == place
}

fn depth(path: &Path) -> usize {
    path.components().count()
}

/// Every mount of the spec. User mounts replace defaults at the same
/// place (a user /dev also drops the defaults below it); the network
/// files are skipped where the user mounts over them.
pub fn spec_mounts(
    record: &ContainerRecord,
    data_root: &Path,
    init_binary: Option<&Path>,
) -> Result<Vec<Mount>, SpecError> {
    let mut user = user_mounts(record)?;
    let host = &record.host_config;
    let file_mode = if host.readonly_rootfs { "ro" } else { "rw" };
    let network_files = [
        ("/etc/resolv.conf", record.resolv_conf_path(data_root)),
        ("/etc/hostname", record.hostname_path(data_root)),
        ("/etc/hosts", record.hosts_path(data_root)),
    ];
    let mut files = Vec::new();
    for (target, source) in network_files {
        if !user.iter().any(|m| at(m, target)) {
            files.push(mount(
                target,
                "bind",
                &source.display().to_string(),
                &["rbind", "rprivate", file_mode],
            )?);
        }
    }
    if let Some(init) = init_binary {
        files.push(mount(
            "/sbin/docker-init",
            "bind",
            &init.display().to_string(),
            &["bind", "ro"],
        )?);
    }
    let user_dev = user.iter().any(|m| at(m, "/dev"));
    let mut mounts: Vec<Mount> = default_mounts(record)?
        .into_iter()
        .filter(|d| {
            let place = d.destination().to_str().unwrap_or("");
            let replaced = user.iter().any(|m| at(m, place));
            let under_user_dev = user_dev && place.starts_with("/dev/");
            !replaced && !under_user_dev
        })
        .collect();
    // Parents first, as moby sorts by the number of path parts.
    user.extend(files);
    user.sort_by_key(|m| depth(m.destination()));
    mounts.extend(user);
    Ok(mounts)
}

/// The rootfs propagation a shared or slave bind needs.
pub fn rootfs_propagation(record: &ContainerRecord) -> Option<&'static str> {
    let propagations: Vec<String> = bind_propagations(record)
        .into_iter()
        .map(|(_, propagation)| propagation)
        .collect();
    if propagations.iter().any(|p| p == "shared" || p == "rshared") {
        Some("rshared")
    } else if propagations.iter().any(|p| p == "slave" || p == "rslave") {
        Some("rslave")
    } else {
        None
    }
}
