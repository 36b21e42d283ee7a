//! Volumes of the `local` driver, below both the volume routes and the
//! container services: a record per volume in the store (one transaction
//! per change) and a directory `volumes/NAME/_data` under the data root.
//! A volume is in use while a container record names it, which the
//! removal checks in the same transaction that deletes the record. The
//! volumes a container create makes are stored in the transaction that
//! records the container. Volumes with driver options (`type`, `device`,
//! `o`) are mounted on `_data` while containers use them: see
//! [`super::volume_local_mounts`].

use crate::api::volume::Volume;
use crate::api::{ApiError, Filters};
use crate::daemon::containers::record::ContainerRecord;
use crate::daemon::errors::store_error;
use crate::store::{Store, StoreError, Table, WriteTx};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const LOCAL_DRIVER: &str = "local";
/// The label moby puts on the volumes it names itself.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// What the store keeps of a volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeRecord {
    pub name: String,
    pub labels: Option<BTreeMap<String, String>>,
    pub options: Option<BTreeMap<String, String>>,
    /// RFC 3339 with seconds.
    pub created_at: String,
}

impl VolumeRecord {
    /// An anonymous volume: a fresh 64-hex name and moby's label, which a
    /// plain prune (API 1.42 and up) looks for.
    pub fn anonymous() -> Result<VolumeRecord, ApiError> {
        Ok(VolumeRecord {
            name: anonymous_name()?,
            labels: Some(BTreeMap::from([(
                ANONYMOUS_LABEL.to_string(),
                String::new(),
            )])),
            ..VolumeRecord::default()
        })
    }

    pub fn is_anonymous(&self) -> bool {
        self.labels
            .as_ref()
            .is_some_and(|labels| labels.contains_key(ANONYMOUS_LABEL))
    }
}

/// Where a container mounts a volume, fixed when the container is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeMount {
    pub name: String,
    pub destination: String,
    /// The volume's `_data` directory on the host.
    pub source: String,
    pub read_only: bool,
    /// The mode as inspect shows it (`z` for a named volume by default,
    /// empty for an anonymous one from `Config.Volumes`).
    pub mode: String,
    /// `nocopy` / `volume-nocopy`: do not fill it from the image.
    pub no_copy: bool,
    pub anonymous: bool,
}

pub fn volumes_dir(data_root: &Path) -> PathBuf {
    data_root.join("volumes")
}

pub fn mountpoint(data_root: &Path, name: &str) -> PathBuf {
    volumes_dir(data_root).join(name).join("_data")
}

/// moby's local driver name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn check_volume_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok && name.len() >= 2 {
        return Ok(());
    }
    if name.len() < 2 && first_ok {
        return Err(ApiError::invalid(format!(
            "create {name}: volume name is too short, names should be at least two alphanumeric characters"
        )));
    }
    Err(ApiError::invalid(format!(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    )))
}

/// A fresh anonymous volume name: 64 hex digits, as moby's.
fn anonymous_name() -> Result<String, ApiError> {
    crate::daemon::containers::names::new_id()
        .map_err(|e| ApiError::internal(format!("generate volume name: {e}")))
}

pub fn view(data_root: &Path, record: &VolumeRecord) -> Volume {
    Volume {
        created_at: record.created_at.clone(),
        driver: LOCAL_DRIVER.into(),
        labels: record.labels.clone(),
        mountpoint: mountpoint(data_root, &record.name).display().to_string(),
        name: record.name.clone(),
        options: record.options.clone(),
        scope: "local".into(),
        usage_data: None,
    }
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("get {name}: no such volume"))
}

/// Checks `wanted` and, when no volume of its name exists, makes its
/// directory: the new record (with its creation time) is for the caller
/// to store, with whatever needs it, in one transaction. Answers the
/// existing record, or the new one and `true`.
pub fn prepare_volume(
    store: &Store,
    data_root: &Path,
    wanted: VolumeRecord,
) -> Result<(VolumeRecord, bool), ApiError> {
    check_volume_name(&wanted.name)?;
    if let Some(options) = &wanted.options {
        crate::daemon::volume_local_mounts::check_driver_opts(options)
            .map_err(|e| ApiError::invalid(format!("create {}: {e}", wanted.name)))?;
    }
    if let Some(existing) = get_volume(store, &wanted.name)? {
        return Ok((existing, false));
    }
    make_volume_dir(data_root, &wanted.name)?;
    let record = VolumeRecord {
        created_at: crate::gofmt::time::rfc3339(std::time::SystemTime::now()),
        ..wanted
    };
    Ok((record, true))
}

/// Stores `record` unless a volume of its name is stored already (moby's
/// create is idempotent), and answers the stored one.
pub fn put_volume_once(
    tx: &mut WriteTx,
    record: &VolumeRecord,
) -> Result<VolumeRecord, StoreError> {
    match tx.get::<VolumeRecord>(Table::Volumes, &record.name)? {
        Some(existing) => Ok(existing),
        None => {
            tx.put(Table::Volumes, &record.name, record)?;
            Ok(record.clone())
        }
    }
}

/// Removes the directories of volumes prepared for something that was
/// never recorded, unless a volume of that name got recorded meanwhile.
pub fn drop_unrecorded(store: &Store, data_root: &Path, names: &[String]) {
    for name in names {
        if let Ok(None) = get_volume(store, name) {
            let _ = std::fs::remove_dir_all(volumes_dir(data_root).join(name));
        }
    }
}

/// Creates volume `name` unless it exists, and answers its record (the
/// existing one when it does, as moby's create is idempotent).
pub fn create_volume(
    store: &Store,
    data_root: &Path,
    wanted: VolumeRecord,
) -> Result<VolumeRecord, ApiError> {
    let (record, new) = prepare_volume(store, data_root, wanted)?;
    if !new {
        return Ok(record);
    }
    store
        .write(|tx| put_volume_once(tx, &record))
        .map_err(store_error)
}

fn make_volume_dir(data_root: &Path, name: &str) -> Result<(), ApiError> {
    use std::os::unix::fs::DirBuilderExt;
    let base = volumes_dir(data_root);
    let data = mountpoint(data_root, name);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o701)
        .create(&base)
        .and_then(|()| {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(&data)
        })
        .map_err(|e| ApiError::internal(format!("create volume directory {}: {e}", data.display())))
}

pub fn get_volume(store: &Store, name: &str) -> Result<Option<VolumeRecord>, ApiError> {
    store
        .read(|tx| tx.get(Table::Volumes, name))
        .map_err(store_error)
}

pub fn find_volume(store: &Store, name: &str) -> Result<VolumeRecord, ApiError> {
    get_volume(store, name)?.ok_or_else(|| not_found(name))
}

pub fn list_volumes(store: &Store) -> Result<Vec<VolumeRecord>, ApiError> {
    let records = store
        .read(|tx| tx.list::<VolumeRecord>(Table::Volumes))
        .map_err(store_error)?;
    Ok(records.into_iter().map(|(_, record)| record).collect())
}

/// The names of the volumes some container mounts.
fn names_in_use(containers: &[ContainerRecord]) -> BTreeSet<String> {
    containers
        .iter()
        .flat_map(|c| c.volume_mounts.iter().map(|m| m.name.clone()))
        .collect()
}

fn containers_in(tx: &WriteTx) -> Result<Vec<ContainerRecord>, StoreError> {
    let mut records = Vec::new();
    for (key, bytes) in tx.list_raw(Table::Containers)? {
        let record = serde_json::from_slice(&bytes).map_err(|source| StoreError::Record {
            table: Table::Containers.name(),
            key,
            action: "decoded",
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

pub fn volumes_in_use(store: &Store) -> Result<BTreeSet<String>, ApiError> {
    let containers = store
        .read(|tx| tx.list::<ContainerRecord>(Table::Containers))
        .map_err(store_error)?;
    let records: Vec<ContainerRecord> = containers.into_iter().map(|(_, c)| c).collect();
    Ok(names_in_use(&records))
}

/// Why a removal did not happen.
enum Refusal {
    Store(StoreError),
    Missing,
    InUse(Vec<String>),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        Refusal::Store(error)
    }
}

/// Deletes volume `name` when no container uses it, checked in the
/// transaction that deletes the record; then its directory. With `force`
/// a missing volume is no error (moby's `force`).
pub fn remove_volume(
    store: &Store,
    data_root: &Path,
    name: &str,
    force: bool,
) -> Result<bool, ApiError> {
    let removed = store.write(|tx| {
        if tx.get::<VolumeRecord>(Table::Volumes, name)?.is_none() {
            return Err(Refusal::Missing);
        }
        let users: Vec<String> = containers_in(tx)?
            .into_iter()
            .filter(|c| c.volume_mounts.iter().any(|m| m.name == name))
            .map(|c| c.id)
            .collect();
        if !users.is_empty() {
            return Err(Refusal::InUse(users));
        }
        tx.delete(Table::Volumes, name)?;
        Ok(())
    });
    match removed {
        Ok(()) => {}
        Err(Refusal::Missing) if force => return Ok(false),
        Err(Refusal::Missing) => return Err(not_found(name)),
        Err(Refusal::InUse(users)) => {
            return Err(ApiError::conflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        Err(Refusal::Store(error)) => return Err(store_error(error)),
    }
    // Nothing may stay mounted on `_data` (a bound host directory, say)
    // when the directory goes.
    crate::daemon::volume_local_mounts::unmount_volume(&volumes_dir(data_root), name)
        .map_err(ApiError::internal)?;
    let dir = volumes_dir(data_root).join(name);
    std::fs::remove_dir_all(&dir)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(e),
        })
        .map_err(|e| {
            ApiError::internal(format!("remove volume directory {}: {e}", dir.display()))
        })?;
    Ok(true)
}

/// Bytes under `path`, not following symlinks, counting each inode once.
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = BTreeSet::new();
    let mut total = 0;
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if seen.insert((meta.dev(), meta.ino())) {
                total += meta.len();
            }
        }
    }
    total
}

/// The `label` / `label!` filters on a volume's labels.
pub fn labels_pass(filters: &Filters, labels: &BTreeMap<String, String>) -> bool {
    let has = |wanted: &String| match wanted.split_once('=') {
        Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
        None => labels.contains_key(wanted.as_str()),
    };
    filters.get("label").iter().all(has) && !filters.get("label!").iter().any(has)
}

/// A volume event as moby logs it: the name as actor, the driver as its
/// attribute.
pub fn log_volume_event(daemon: &crate::daemon::state::Daemon, name: &str, action: &str) {
    let actor = crate::api::events::Actor {
        id: name.to_string(),
        attributes: BTreeMap::from([("driver".to_string(), LOCAL_DRIVER.to_string())]),
    };
    daemon
        .events()
        .publish(crate::api::events::VOLUME, action, actor);
}

/// The volumes of `system df`: each volume without driver options, with
/// `UsageData`, its size on disk and the number of containers that mount
/// it.
pub fn disk_usage_views(daemon: &crate::daemon::state::Daemon) -> Result<Vec<Volume>, ApiError> {
    let store = daemon.store();
    let data_root = &daemon.config().data_root;
    let containers: Vec<ContainerRecord> = store
        .read(|tx| tx.list::<ContainerRecord>(Table::Containers))
        .map_err(store_error)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    let mut views = Vec::new();
    // As moby: only volumes without driver options (a mounted device's
    // size is not the volume's).
    let plain = list_volumes(store)?
        .into_iter()
        .filter(|v| v.options.as_ref().is_none_or(|o| o.is_empty()));
    for record in plain {
        let users = containers
            .iter()
            .filter(|c| c.volume_mounts.iter().any(|m| m.name == record.name))
            .count();
        let size = disk_usage(&mountpoint(data_root, &record.name));
        let mut view = view(data_root, &record);
        view.usage_data = Some(crate::api::volume::UsageData {
            ref_count: users as i64,
            size: size as i64,
        });
        views.push(view);
    }
    Ok(views)
}
