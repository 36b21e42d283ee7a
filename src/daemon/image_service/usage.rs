//! What the images take: each image's summary as `GET /images/json` and
//! `/system/df` show it, the bytes images share, and the images part of
//! `/system/df`.

use super::catalog::{Catalog, StoredImage};
use crate::api::ApiError;
use crate::api::image::ImageSummary;
use crate::daemon::errors::store_error;
use crate::daemon::state::Daemon;
use crate::image::Digest;
use crate::store::Table;
use std::collections::HashMap;

/// An image as the listings show it; `Containers` and `SharedSize` are -1
/// (not computed) until the caller fills them.
pub fn summary(image: &StoredImage, catalog: &Catalog, with_virtual_size: bool) -> ImageSummary {
    let record = &image.record;
    let size = record.size as i64;
    let (repo_tags, repo_digests) = catalog.repo_tags_and_digests(&record.id);
    ImageSummary {
        containers: -1,
        created: record.config.created_unix(),
        id: record.id.to_string(),
        labels: record.config.config.as_ref().and_then(|c| c.labels.clone()),
        parent_id: image
            .parent
            .as_ref()
            .map(Digest::to_string)
            .unwrap_or_default(),
        repo_digests,
        repo_tags,
        shared_size: -1,
        size,
        virtual_size: with_virtual_size.then_some(size),
    }
}

/// Per image ID, the bytes of its layers that other images use too.
pub fn shared_sizes(catalog: &Catalog) -> HashMap<String, i64> {
    let mut users: HashMap<&Digest, usize> = HashMap::new();
    for image in catalog.images.values() {
        for chain in &image.record.chain_ids {
            *users.entry(chain).or_default() += 1;
        }
    }
    catalog
        .images
        .values()
        .map(|image| {
            let record = &image.record;
            let shared = record
                .chain_ids
                .iter()
                .zip(&record.layer_sizes)
                .filter(|(chain, _)| users.get(chain).is_some_and(|n| *n > 1))
                .map(|(_, size)| *size as i64)
                .sum();
            (record.id.to_string(), shared)
        })
        .collect()
}

/// The images part of `GET /system/df`: the total size of the stored
/// layers and every image with its shared size and container count.
pub fn disk_usage(daemon: &Daemon) -> Result<(i64, Vec<ImageSummary>), ApiError> {
    let catalog = Catalog::read(daemon.store())?;
    let mut layers: HashMap<&Digest, u64> = HashMap::new();
    for image in catalog.images.values() {
        for (chain, size) in image.record.chain_ids.iter().zip(&image.record.layer_sizes) {
            layers.insert(chain, *size);
        }
    }
    let layers_size = layers.values().map(|size| *size as i64).sum();
    let shared = shared_sizes(&catalog);
    let mut summaries = Vec::new();
    for image in catalog.images.values() {
        let mut entry = summary(image, &catalog, false);
        entry.shared_size = shared.get(&entry.id).copied().unwrap_or(0);
        entry.containers = catalog
            .containers
            .iter()
            .filter(|c| c.image.as_ref() == Some(&image.record.id))
            .count() as i64;
        summaries.push(entry);
    }
    summaries.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    Ok((layers_size, summaries))
}

/// The number of images, for `/info`.
pub fn count(daemon: &Daemon) -> Result<u64, ApiError> {
    daemon.store().count(Table::Images).map_err(store_error)
}
