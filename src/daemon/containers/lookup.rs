//! Finding containers (full ID, name, unique ID prefix) and the image a
//! create names (behind `ImageLookup`, so the container code can be tested
//! without an image store).

use super::record::ContainerRecord;
use crate::api::ApiError;
use crate::api::container::ContainerConfig;
use crate::daemon::errors::{no_such_container, store_error};
use crate::daemon::state::Daemon;
use crate::store::{Commit, Store};

/// Finds a container as moby's `GetContainer` does: the full ID, then the
/// name (with or without `/`), then a unique ID prefix.
pub fn find_container(store: &Store, what: &str) -> Result<ContainerRecord, ApiError> {
    if what.is_empty() {
        return Err(no_such_container(what));
    }
    if let Some(record) = store.get_container(what).map_err(store_error)? {
        return Ok(record);
    }
    let name = what.strip_prefix('/').unwrap_or(what);
    if let Some(id) = store.container_id_by_name(name).map_err(store_error)?
        && let Some(record) = store.get_container(&id).map_err(store_error)?
    {
        return Ok(record);
    }
    if !what.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(no_such_container(what));
    }
    let mut found: Option<ContainerRecord> = None;
    for (id, record) in store
        .list_containers::<ContainerRecord>()
        .map_err(store_error)?
    {
        if id.starts_with(what) {
            if found.is_some() {
                return Err(ApiError::invalid(format!(
                    "multiple IDs found with provided prefix: {what}"
                )));
            }
            found = Some(record);
        }
    }
    found.ok_or_else(|| no_such_container(what))
}

/// What a create needs of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedImage {
    /// `sha256:<64 hex>`.
    pub id: String,
    /// The image's container defaults (`config` of the image config).
    pub config: ContainerConfig,
}

/// How the container endpoints find images.
pub trait ImageLookup {
    /// The image `name` refers to; 404 `No such image: ...` when none,
    /// 400 for a malformed reference.
    fn resolve(&self, name: &str) -> Result<ResolvedImage, ApiError>;
}

/// `ImageLookup` over the daemon's image records, through the image
/// module's own resolution (full ID, reference, unique ID prefix).
pub struct DaemonImages<'a>(pub &'a Daemon);

impl ImageLookup for DaemonImages<'_> {
    fn resolve(&self, name: &str) -> Result<ResolvedImage, ApiError> {
        let record = crate::daemon::image_service::resolve(self.0.store(), name)?;
        // The API's type reads the image's `config` as stored, so the
        // fields the image module's type leaves out (Healthcheck, Shell,
        // OnBuild, ArgsEscaped) reach the merge too.
        let config = serde_json::from_slice::<serde_json::Value>(&record.config_raw)
            .ok()
            .and_then(|mut raw| serde_json::from_value(raw.get_mut("config")?.take()).ok())
            .or_else(|| {
                let config = record.config.config.as_ref()?;
                serde_json::from_value(serde_json::to_value(config).ok()?).ok()
            })
            .unwrap_or_default();
        Ok(ResolvedImage {
            id: record.id.to_string(),
            config,
        })
    }
}

impl Daemon {
    /// The image lookup the container endpoints use.
    pub fn image_lookup(&self) -> DaemonImages<'_> {
        DaemonImages(self)
    }

    pub fn find_container(&self, what: &str) -> Result<ContainerRecord, ApiError> {
        find_container(self.store(), what)
    }

    /// Changes the current record of container `id` in one store
    /// transaction (see `change`): concurrent changes never lose each
    /// other's writes. Nothing is written when `change` fails.
    pub fn update_container<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.update_container_as(Commit::Durable, id, change)
    }

    /// [`Daemon::update_container`] with the given kind of commit.
    pub fn update_container_as<T>(
        &self,
        commit: Commit,
        id: &str,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        super::change::change_container(self.store(), commit, id, |_, record| Ok(change(record)?))
    }
}
