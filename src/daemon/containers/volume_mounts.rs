//! The volumes a new container mounts, settled at create: named volumes
//! of `Binds` (`name:/path`), `Mounts` of type volume, and an anonymous
//! volume for each `Config.Volumes` path (`-v /path`, the image's
//! `VOLUME`) that nothing else mounts. Missing volumes are created here.

use super::validate::parse_bind;
use crate::api::ApiError;
use crate::api::container::{ContainerConfig, HostConfig};
use crate::daemon::volume_local_mounts::LocalMount;
use crate::daemon::volume_service::{self as service, VolumeMount, VolumeRecord};
use crate::store::Store;
use std::path::Path;

fn clean(destination: &str) -> &str {
    match destination.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Finds the volume, or prepares a new one (its directory; the record
/// goes to `made`, stored with the container in one transaction), and
/// answers its `_data` path.
fn attach(
    store: &Store,
    data_root: &Path,
    wanted: VolumeRecord,
    made: &mut Vec<VolumeRecord>,
) -> Result<String, ApiError> {
    if !made.iter().any(|m| m.name == wanted.name) {
        let (record, new) = service::prepare_volume(store, data_root, wanted.clone())?;
        if new {
            made.push(record);
        }
    }
    Ok(service::mountpoint(data_root, &wanted.name)
        .display()
        .to_string())
}

/// Every volume mount of the container, in the order Binds, Mounts,
/// Config.Volumes, and the records of the volumes it makes, for the
/// caller to store with the container. On error, the directories of the
/// volumes already prepared are removed again.
pub fn settle_volume_mounts(
    store: &Store,
    data_root: &Path,
    config: &ContainerConfig,
    host: &HostConfig,
) -> Result<(Vec<VolumeMount>, Vec<VolumeRecord>), ApiError> {
    let mut made = Vec::new();
    match settle(store, data_root, config, host, &mut made) {
        Ok(mounts) => Ok((mounts, made)),
        Err(error) => {
            drop_unrecorded(store, data_root, &made);
            Err(error)
        }
    }
}

/// Removes the directories of volumes prepared for a container that was
/// not recorded.
pub fn drop_unrecorded(store: &Store, data_root: &Path, made: &[VolumeRecord]) {
    let names: Vec<String> = made.iter().map(|v| v.name.clone()).collect();
    service::drop_unrecorded(store, data_root, &names);
}

fn settle(
    store: &Store,
    data_root: &Path,
    config: &ContainerConfig,
    host: &HostConfig,
    made: &mut Vec<VolumeRecord>,
) -> Result<Vec<VolumeMount>, ApiError> {
    let mut mounts = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for bind in host.binds.iter().flatten() {
        let bind = parse_bind(bind)?;
        taken.push(clean(&bind.destination).to_string());
        if !bind.is_volume() {
            continue;
        }
        let wanted = VolumeRecord {
            name: bind.source.clone(),
            ..VolumeRecord::default()
        };
        let source = attach(store, data_root, wanted, made)?;
        mounts.push(VolumeMount {
            name: bind.source,
            destination: bind.destination,
            source,
            read_only: bind.read_only,
            mode: if bind.mode.is_empty() {
                "z".into()
            } else {
                bind.mode
            },
            no_copy: bind.no_copy,
            anonymous: false,
        });
    }
    for spec in host.mounts.iter().flatten() {
        taken.push(clean(&spec.target).to_string());
        if spec.kind != "volume" {
            continue;
        }
        let options = spec.volume_options.as_ref();
        let anonymous = spec.source.is_empty();
        let mut wanted = if anonymous {
            VolumeRecord::anonymous()?
        } else {
            VolumeRecord {
                name: spec.source.clone(),
                ..VolumeRecord::default()
            }
        };
        if let Some(labels) = options.and_then(|o| o.labels.clone()) {
            wanted.labels.get_or_insert_default().extend(labels);
        }
        // `volume-opt=k=v`: the options a volume made here gets.
        wanted.options = options
            .and_then(|o| o.driver_config.as_ref())
            .and_then(|d| d.options.clone());
        let name = wanted.name.clone();
        let source = attach(store, data_root, wanted, made)?;
        mounts.push(VolumeMount {
            name,
            destination: spec.target.clone(),
            source,
            read_only: spec.read_only,
            mode: "z".into(),
            no_copy: options.and_then(|o| o.no_copy).unwrap_or(false),
            anonymous,
        });
    }
    taken.extend(
        host.tmpfs
            .iter()
            .flat_map(|t| t.keys())
            .map(|d| clean(d).to_string()),
    );
    for from in host.volumes_from.iter().flatten() {
        for shared in volumes_from(store, from)? {
            if taken.iter().any(|t| t == clean(&shared.destination)) {
                continue;
            }
            taken.push(clean(&shared.destination).to_string());
            mounts.push(shared);
        }
    }
    for destination in config.volumes.iter().flat_map(|v| v.keys()) {
        if taken.iter().any(|t| t == clean(destination)) {
            continue;
        }
        if !destination.starts_with('/') {
            return Err(ApiError::invalid(format!(
                "invalid mount config for type \"volume\": invalid mount path: '{destination}' mount path must be absolute"
            )));
        }
        taken.push(clean(destination).to_string());
        let wanted = VolumeRecord::anonymous()?;
        let name = wanted.name.clone();
        let source = attach(store, data_root, wanted, made)?;
        mounts.push(VolumeMount {
            name,
            destination: destination.clone(),
            source,
            read_only: false,
            mode: String::new(),
            no_copy: false,
            anonymous: true,
        });
    }
    Ok(mounts)
}

/// The volume mounts `--volumes-from NAME[:ro|:rw]` takes from another
/// container, as moby copies them: read-only when theirs is or `ro` is
/// asked (`rw` cannot lift theirs), no mode text, never filled from the
/// image again. Its bind mounts are not shared yet: refused rather than
/// left out.
fn volumes_from(store: &Store, spec: &str) -> Result<Vec<VolumeMount>, ApiError> {
    let (name, mode) = match spec.split_once(':') {
        Some((name, mode)) => (name, mode),
        None => (spec, ""),
    };
    let read_only = match mode {
        "" | "rw" => false,
        "ro" => true,
        other => return Err(ApiError::invalid(format!("invalid mode: {other}"))),
    };
    let source = super::lookup::find_container(store, name)?;
    let host = &source.host_config;
    let binds = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| parse_bind(b).ok())
        .any(|b| !b.is_volume());
    let bind_mounts = host.mounts.iter().flatten().any(|m| m.kind == "bind");
    if binds || bind_mounts {
        return Err(ApiError::invalid(format!(
            "--volumes-from {name}: sharing bind mounts is not supported by dockbox yet"
        )));
    }
    Ok(source
        .volume_mounts
        .into_iter()
        .map(|mount| VolumeMount {
            read_only: read_only || mount.read_only,
            mode: String::new(),
            no_copy: true,
            ..mount
        })
        .collect())
}

/// The volumes of `record` that mount a device on their `_data` (local
/// driver options), with what they mount.
pub fn local_mounts(
    store: &Store,
    record: &super::record::ContainerRecord,
) -> Vec<(String, LocalMount)> {
    record
        .volume_mounts
        .iter()
        .filter_map(|mount| {
            let volume = service::get_volume(store, &mount.name).ok().flatten()?;
            let local = LocalMount::from_options(volume.options.as_ref())?;
            Some((mount.name.clone(), local))
        })
        .collect()
}

/// Mounts the container's device volumes before it starts (moby mounts a
/// volume when a container using it starts, counting its users).
pub fn acquire_devices(
    daemon: &crate::daemon::state::Daemon,
    record: &super::record::ContainerRecord,
) -> Result<(), String> {
    let volumes = local_mounts(daemon.store(), record);
    if volumes.is_empty() {
        return Ok(());
    }
    let dir = service::volumes_dir(&daemon.config().data_root);
    daemon.volume_holders().acquire(&dir, &record.id, &volumes)
}

/// The container stopped (or never started): its device volumes nobody
/// else uses are unmounted.
pub fn release_devices(
    daemon: &crate::daemon::state::Daemon,
    record: &super::record::ContainerRecord,
) {
    let names: Vec<String> = local_mounts(daemon.store(), record)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    if names.is_empty() {
        return;
    }
    let dir = service::volumes_dir(&daemon.config().data_root);
    daemon.volume_holders().release(&dir, &record.id, &names);
}

/// After the restore: device volumes no running container holds are
/// unmounted, as moby's local driver does when it starts.
pub fn unmount_unheld(daemon: &crate::daemon::state::Daemon) {
    let Ok(volumes) = service::list_volumes(daemon.store()) else {
        return;
    };
    let dir = service::volumes_dir(&daemon.config().data_root);
    for volume in volumes {
        if LocalMount::from_options(volume.options.as_ref()).is_some() {
            daemon
                .volume_holders()
                .unmount_if_unheld(&dir, &volume.name);
        }
    }
}

/// On a container's first start, fills each of its empty volumes from
/// what the image holds at the mount's destination, as moby does once
/// per container: contents, ownership and modes, and the image
/// directory's own owner and mode on the volume's root. `nocopy` and a
/// destination that is no directory in the image leave the volume as it
/// is. The image path is resolved inside the rootfs (openat2 with
/// RESOLVE_IN_ROOT), so an image symlink cannot point the copy at the
/// host.
pub fn populate_from_image(rootfs: &Path, mounts: &[VolumeMount]) -> Result<(), String> {
    use crate::inroot::{Root, fd_path};
    use std::os::fd::AsFd;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let root = Root::open(rootfs).map_err(|e| e.to_string())?;
    for volume in mounts.iter().filter(|m| !m.no_copy) {
        let data = Path::new(&volume.source);
        let empty = std::fs::read_dir(data)
            .map_err(|e| format!("read volume {}: {e}", data.display()))?
            .next()
            .is_none();
        if !empty {
            continue;
        }
        let flags = libc::O_RDONLY | libc::O_DIRECTORY;
        let Ok(image_dir) = root.open_at(Path::new(&volume.destination), flags, 0) else {
            continue;
        };
        let image_path = fd_path(image_dir.as_fd());
        crate::runtime::mounts::copy_up::copy_tree(&image_path, data).map_err(|e| {
            format!(
                "copy {} of the image into volume {}: {e}",
                volume.destination, volume.name
            )
        })?;
        let meta = std::fs::metadata(&image_path)
            .map_err(|e| format!("stat {} in the image: {e}", volume.destination))?;
        std::os::unix::fs::chown(data, Some(meta.uid()), Some(meta.gid()))
            .and_then(|()| {
                std::fs::set_permissions(
                    data,
                    std::fs::Permissions::from_mode(meta.mode() & 0o7777),
                )
            })
            .map_err(|e| format!("set owner and mode of {}: {e}", data.display()))?;
    }
    Ok(())
}
