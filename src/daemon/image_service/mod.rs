//! The daemon's side of the image library, below every route that needs
//! images: the library keeps content and drivers; here live the records
//! (which images exist, which tags name them, when they were last tagged),
//! their consistency with the files, the lock that orders changes, and
//! what images take on disk.

mod catalog;
mod usage;

pub use catalog::{Catalog, ContainerUse, StoredImage, resolve};
pub use usage::{count, disk_usage, shared_sizes, summary};

use crate::daemon::errors::DaemonError;
use crate::daemon::log;
use crate::image::{DriverKind, ImageError, ImageStore};
use crate::store::{Store, Table};
use std::sync::{Mutex, MutexGuard};

/// The image store and the lock that orders every change to images and
/// tags, so a load never races a delete over a shared layer.
pub struct ImageService {
    store: ImageStore,
    changes: Mutex<()>,
}

impl std::ops::Deref for ImageService {
    type Target = ImageStore;

    fn deref(&self) -> &ImageStore {
        &self.store
    }
}

impl ImageService {
    /// Opens the image store below `data_root` with the configured driver
    /// (None: overlay2 where it mounts, vfs elsewhere), then removes what a
    /// crash left behind that no record names.
    pub fn open(
        data_root: &std::path::Path,
        driver: Option<&str>,
        records: &Store,
    ) -> Result<ImageService, DaemonError> {
        let driver = driver
            .map(DriverKind::parse)
            .transpose()
            .map_err(ImageError::from)?;
        let store = ImageStore::open(data_root, driver)?;
        let (images, containers) = records.read(|tx| {
            let mut images: Vec<crate::image::Digest> = tx
                .list_raw(Table::Images)?
                .into_iter()
                .filter_map(|(id, _)| crate::image::Digest::parse(&id).ok())
                .collect();
            let uses = catalog::container_uses(&tx.list_raw(Table::Containers)?);
            images.extend(uses.iter().filter_map(|u| u.image.clone()));
            let containers = uses.into_iter().map(|u| u.id).collect::<Vec<_>>();
            Ok((images, containers))
        })?;
        let collected = store.collect_garbage(&images, &containers)?;
        for id in &collected.images {
            log::info(&format!("removed image {id}, which no record names"));
        }
        for id in &collected.layers {
            log::info(&format!("removed layer {id}, which no image uses"));
        }
        for id in &collected.containers {
            log::info(&format!(
                "removed the root filesystem of unknown container {id}"
            ));
        }
        Ok(ImageService {
            store,
            changes: Mutex::new(()),
        })
    }

    /// Held across every change of image records, tags and files, and of
    /// container root filesystems (image removal checks which are in use).
    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.changes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// moby's RepoTagReference: `repo` with `tag`, or `:latest`; None when
/// both are empty.
pub fn repo_tag_reference(
    repo: &str,
    tag: &str,
) -> Result<Option<crate::image::Reference>, crate::api::ApiError> {
    if repo.is_empty() && tag.is_empty() {
        return Ok(None);
    }
    let named = crate::image::Reference::parse_normalized(repo)
        .map_err(|e| crate::api::ApiError::invalid(e.to_string()))?;
    if named.digest().is_some() {
        return Err(crate::api::ApiError::invalid(
            "cannot import digest reference",
        ));
    }
    let with_tag = if !tag.is_empty() {
        named.with_tag(tag)
    } else if named.tag().is_none() {
        named.with_tag("latest")
    } else {
        Ok(named)
    };
    with_tag
        .map(Some)
        .map_err(|_| crate::api::ApiError::invalid("invalid tag format"))
}
