//! The image records as one consistent snapshot: images by ID, the tags
//! that name them, and which containers use which image. Lookups of
//! user-given names go through here.

use crate::api::ApiError;
use crate::daemon::errors::store_error;
use crate::image::{Digest, ImageRecord, LookupError, Reference, lookup_image};
use crate::store::{ReadTx, Store, StoreError, Table};
use std::collections::BTreeMap;

/// An image as the store keeps it: the library's record (its `repo_tags`
/// left empty, the tags table is the truth) and the time it was last
/// tagged. Readers that want only the record may decode an `ImageRecord`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredImage {
    #[serde(flatten)]
    pub record: ImageRecord,
    #[serde(
        rename = "LastTagTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_tag_time: Option<String>,
    /// The image a commit made this one from (moby keeps it beside the
    /// config, not in it): inspect's `Parent` and history's IDs.
    #[serde(rename = "Parent", default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
}

/// A container's claim on an image, read from the container records
/// (`ImageID`, and `State.Status`: paused and restarting containers count
/// as running, as in moby).
#[derive(Clone, Debug)]
pub struct ContainerUse {
    pub id: String,
    pub image: Option<Digest>,
    pub running: bool,
}

pub fn container_uses(records: &[(String, Vec<u8>)]) -> Vec<ContainerUse> {
    records
        .iter()
        .map(|(id, bytes)| {
            let record: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
            ContainerUse {
                id: id.clone(),
                image: record["ImageID"]
                    .as_str()
                    .and_then(|text| Digest::parse(text).ok()),
                running: matches!(
                    record["State"]["Status"].as_str(),
                    Some("running" | "paused" | "restarting")
                ),
            }
        })
        .collect()
}

/// Everything about images at one instant.
pub struct Catalog {
    pub images: BTreeMap<Digest, StoredImage>,
    /// Every reference and the image it names, in reference order.
    pub tags: Vec<(Reference, Digest)>,
    pub containers: Vec<ContainerUse>,
}

fn corrupt(table: Table, key: &str, why: String) -> StoreError {
    StoreError::Missing {
        table: table.name(),
        key: format!("{key} ({why})"),
    }
}

impl Catalog {
    pub fn read(store: &Store) -> Result<Catalog, ApiError> {
        store.read(Catalog::from_read).map_err(store_error)
    }

    fn from_read(tx: &ReadTx) -> Result<Catalog, StoreError> {
        Catalog::build(
            tx.list(Table::Images)?,
            tx.list_raw(Table::Tags)?,
            tx.list_raw(Table::Containers)?,
        )
    }

    fn build(
        images: Vec<(String, StoredImage)>,
        tags: Vec<(String, Vec<u8>)>,
        containers: Vec<(String, Vec<u8>)>,
    ) -> Result<Catalog, StoreError> {
        let images = images
            .into_iter()
            .map(|(_, image)| (image.record.id.clone(), image))
            .collect();
        let tags = tags
            .into_iter()
            .map(|(key, id)| {
                let reference = Reference::parse_normalized(&key)
                    .map_err(|e| corrupt(Table::Tags, &key, e.to_string()))?;
                let id = std::str::from_utf8(&id)
                    .ok()
                    .and_then(|text| Digest::parse(text).ok())
                    .ok_or_else(|| corrupt(Table::Tags, &key, "bad image id".into()))?;
                Ok((reference, id))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Catalog {
            images,
            tags,
            containers: container_uses(&containers),
        })
    }

    /// Every reference to `id`, tags and digests.
    pub fn references(&self, id: &Digest) -> Vec<&Reference> {
        self.tags
            .iter()
            .filter(|(_, target)| target == id)
            .map(|(reference, _)| reference)
            .collect()
    }

    /// Whether a commit made another image from `id` (moby's Children).
    pub fn has_children(&self, id: &Digest) -> bool {
        self.images
            .values()
            .any(|image| image.parent.as_ref() == Some(id))
    }

    /// `RepoTags` and `RepoDigests` in their familiar forms.
    pub fn repo_tags_and_digests(&self, id: &Digest) -> (Vec<String>, Vec<String>) {
        let mut tags = Vec::new();
        let mut digests = Vec::new();
        for reference in self.references(id) {
            if reference.digest().is_some() {
                digests.push(reference.familiar());
            }
            if reference.tag().is_some() {
                tags.push(reference.familiar());
            }
        }
        (tags, digests)
    }

    /// The image `name` stands for, in moby's order: full ID, tag, then
    /// a unique ID prefix.
    pub fn find(&self, name: &str) -> Result<&StoredImage, ApiError> {
        let tagged = |reference: &Reference| {
            self.tags
                .iter()
                .find(|(known, _)| known == reference)
                .map(|(_, id)| id.clone())
        };
        let id = lookup_image(name, tagged, self.images.keys()).map_err(|error| match error {
            LookupError::Invalid(invalid) => ApiError::invalid(invalid.to_string()),
            LookupError::NotFound(_) => ApiError::not_found(error.to_string()),
        })?;
        self.images
            .get(&id)
            .ok_or_else(|| ApiError::not_found(format!("No such image: {name}")))
    }

    /// The record with its tags filled in from the tags table.
    pub fn full_record(&self, image: &StoredImage) -> ImageRecord {
        let mut record = image.record.clone();
        record.repo_tags = self
            .references(&record.id)
            .into_iter()
            .filter(|reference| reference.tag().is_some())
            .cloned()
            .collect();
        record
    }
}

/// The image `name` names (an ID, a unique ID prefix, or a reference,
/// normalised as Docker does), with its current tags; 404 `No such
/// image: ...` when there is none, 400 for a malformed reference. For
/// container create and anything else that takes an image name.
pub fn resolve(store: &Store, name: &str) -> Result<ImageRecord, ApiError> {
    let catalog = Catalog::read(store)?;
    let image = catalog.find(name)?;
    Ok(catalog.full_record(image))
}
