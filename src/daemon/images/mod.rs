//! The image endpoints: the daemon's side of the image library. The
//! library keeps content and drivers; here live the records (which images
//! exist, which tags name them, when they were last tagged), their
//! consistency with the files, and moby's rules for tagging, untagging and
//! deleting, each logging its events as moby does.

mod catalog;
mod download;
mod filters;
mod list;
mod remove;
mod transfer;

#[allow(unused_imports)] // For container create and other parts.
pub use catalog::{Catalog, StoredImage, resolve};

use super::Daemon;
use super::errors::store_error;
use super::route::Route;
use crate::api::{ApiError, Router};
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
    ) -> Result<ImageService, super::DaemonError> {
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
            super::log::info(&format!("removed image {id}, which no record names"));
        }
        for id in &collected.layers {
            super::log::info(&format!("removed layer {id}, which no image uses"));
        }
        for id in &collected.containers {
            super::log::info(&format!(
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

pub fn routes(router: &mut Router<Route>) {
    router
        .add("GET", "/images/json", list::list_images)
        .add("POST", "/images/load", transfer::load)
        .add("GET", "/images/get", transfer::save)
        .add("POST", "/images/create", transfer::create)
        .add("POST", "/images/prune", remove::prune)
        .add("GET", "/images/{name*}/get", transfer::save)
        .add("GET", "/images/{name*}/json", list::inspect)
        .add("GET", "/images/{name*}/history", list::history)
        .add("POST", "/images/{name*}/tag", remove::tag)
        .add("DELETE", "/images/{name*}", remove::delete);
}

/// The number of images, for `/info`.
pub fn count(daemon: &Daemon) -> Result<u64, ApiError> {
    daemon.store().count(Table::Images).map_err(store_error)
}

pub use list::disk_usage;
