//! Images: references, the content-addressed store, the layer applier,
//! docker load/save/import, the graph drivers that turn layers into a
//! container's root filesystem, and the way back: a container's changes
//! (diff), the image a commit makes of them, and its export. No HTTP and no database here: the daemon
//! persists the records this module returns (tags, which image uses which
//! layers) and tells it what to delete.

mod archive;
mod at;
pub mod blobs;
pub mod changes;
mod commit;
pub mod config;
pub mod digest;
pub mod driver;
mod export;
mod import;
pub mod layer;
pub mod reference;
pub mod store;
mod zstd;

#[cfg(test)]
mod test_util;

// The daemon's vocabulary.
pub use archive::SaveImage;
pub use commit::ChildConfig;
pub use config::ImageConfig;
pub use digest::Digest;
pub use driver::DriverKind;
pub use export::export_tree;
pub use import::{ImportOptions, apply_changes};
pub use reference::{ImageName, LookupError, Reference, lookup_image};

use driver::{DriverError, GraphDriver};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use store::{ContentStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error(transparent)]
    Layer(#[from] layer::LayerError),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Reference(#[from] reference::ReferenceError),
    /// The input is not a loadable archive or import: a client error.
    #[error("{0}")]
    Invalid(String),
    #[error("write archive: {0}")]
    Write(std::io::Error),
}

impl ImageError {
    /// Whether the request was at fault (HTTP 400) rather than the daemon.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ImageError::Invalid(_)
                | ImageError::Reference(_)
                | ImageError::Config(_)
                | ImageError::Layer(
                    layer::LayerError::Breakout { .. }
                        | layer::LayerError::InvalidEntry { .. }
                        | layer::LayerError::Tar(_)
                )
                | ImageError::Store(
                    StoreError::NotTar(_)
                        | StoreError::NotArchive(_)
                        | StoreError::InvalidLayer(_)
                        | StoreError::Compression(_)
                        | StoreError::Read(_)
                )
                | ImageError::Driver(DriverError::Layer(
                    layer::LayerError::Breakout { .. } | layer::LayerError::InvalidEntry { .. }
                ))
        )
    }
}

pub type Result<T> = std::result::Result<T, ImageError>;

/// What the daemon persists about an image. It serialises (for the
/// daemon's store) with the config as JSON text, byte for byte.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageRecord {
    /// sha256 of `config_raw`.
    pub id: Digest,
    /// The config exactly as loaded or created; serve these bytes as is.
    #[serde(with = "raw_text")]
    pub config_raw: Vec<u8>,
    pub config: ImageConfig,
    /// Bottom layer first.
    pub diff_ids: Vec<Digest>,
    pub chain_ids: Vec<Digest>,
    /// Content size of each layer, in `diff_ids` order.
    pub layer_sizes: Vec<u64>,
    /// The sum of the layer sizes: the image's `Size`.
    pub size: u64,
    /// Tags the input named (load's RepoTags, import's repository).
    pub repo_tags: Vec<Reference>,
}

/// The image store below the daemon's data root: content in `image/`, the
/// driver's directories in `overlay2/` or `vfs/`.
#[derive(Debug)]
pub struct ImageStore {
    content: ContentStore,
    driver: GraphDriver,
}

impl ImageStore {
    pub fn open(data_root: &Path, driver: Option<DriverKind>) -> Result<ImageStore> {
        Ok(ImageStore {
            content: ContentStore::open(&data_root.join("image"))?,
            driver: GraphDriver::open(data_root, driver)?,
        })
    }

    pub fn driver_kind(&self) -> DriverKind {
        self.driver.kind()
    }

    pub fn content(&self) -> &ContentStore {
        &self.content
    }

    /// Rebuilds an image's record from disk, for `repo_tags` the daemon
    /// keeps.
    pub fn record(&self, id: &Digest, repo_tags: Vec<Reference>) -> Result<ImageRecord> {
        let raw = self.content.config(id)?;
        let config = ImageConfig::parse(&raw)?;
        let sizes = config
            .rootfs
            .diff_ids
            .iter()
            .map(|diff_id| Ok(self.content.layer(diff_id)?.size))
            .collect::<Result<Vec<u64>>>()?;
        Ok(build_record(raw, config, sizes, repo_tags))
    }

    /// Stores a config whose layers are all stored, and makes the layers
    /// ready in the driver.
    fn commit(&self, raw: Vec<u8>, repo_tags: Vec<Reference>) -> Result<ImageRecord> {
        let config = ImageConfig::parse(&raw)?;
        let mut sizes = Vec::with_capacity(config.rootfs.diff_ids.len());
        for diff_id in &config.rootfs.diff_ids {
            sizes.push(self.content.layer(diff_id)?.size);
            self.driver.prepare_layer(&self.content, diff_id)?;
        }
        self.content.put_config(&raw)?;
        Ok(build_record(raw, config, sizes, repo_tags))
    }

    /// A pulled image: `raw` is its verified config, whose layers the
    /// caller stored (each checked against its diff ID) beforehand.
    pub fn commit_pulled(&self, raw: Vec<u8>) -> Result<ImageRecord> {
        self.commit(raw, Vec::new())
    }

    /// `docker load`: a docker-archive or an OCI image layout, gzipped or
    /// not. Returns one record per image, with the tags the archive gives.
    pub fn load(&self, reader: impl Read) -> Result<Vec<ImageRecord>> {
        archive::load(self, reader)
    }

    /// `docker save`: writes a docker-archive (with the OCI layout files
    /// Docker 25 adds) of `images` to `out`.
    pub fn save(&self, images: &[SaveImage], out: impl Write) -> Result<()> {
        archive::save(self, images, out)
    }

    /// `docker import`: a one-layer image from a root filesystem tar.
    pub fn import(&self, reader: impl Read, options: &ImportOptions) -> Result<ImageRecord> {
        import::import(self, reader, options)
    }

    /// The root filesystem for a container of `image`, ready to run.
    pub fn create_rootfs(&self, container_id: &str, image: &Digest) -> Result<PathBuf> {
        let config = ImageConfig::parse(&self.content.config(image)?)?;
        Ok(self
            .driver
            .create_rootfs(&self.content, container_id, &config.rootfs.diff_ids)?)
    }

    /// An empty root filesystem under `id`, as a container's would be:
    /// what a `FROM scratch` build step copies into before its commit.
    pub fn create_empty_rootfs(&self, id: &str) -> Result<PathBuf> {
        Ok(self.driver.create_rootfs(&self.content, id, &[])?)
    }

    /// The root filesystem of an existing container, mounted again if it
    /// is not: for the daemon's start-up after a reboot.
    pub fn mount_rootfs(&self, container_id: &str, image: &Digest) -> Result<PathBuf> {
        let config = ImageConfig::parse(&self.content.config(image)?)?;
        Ok(self
            .driver
            .mount_rootfs(&self.content, container_id, &config.rootfs.diff_ids)?)
    }

    /// `Driver Status` lines of `docker info`.
    pub fn driver_status(&self) -> Vec<(String, String)> {
        self.driver.status()
    }

    /// `GraphDriver.Data` of `docker inspect` for an image, or for a
    /// container's root filesystem made from `image`.
    pub fn graph_driver_data(
        &self,
        container_id: Option<&str>,
        image: &Digest,
    ) -> Result<Vec<(String, String)>> {
        let config = ImageConfig::parse(&self.content.config(image)?)?;
        Ok(self
            .driver
            .inspect_data(container_id, &config.rootfs.diff_ids)?)
    }

    /// Bytes the container changed (`SizeRw` of `docker ps -s`).
    pub fn rootfs_changes_size(&self, container_id: &str) -> Result<u64> {
        Ok(self.driver.changes_size(container_id)?)
    }

    /// Unmounts and deletes a container's root filesystem.
    pub fn remove_rootfs(&self, container_id: &str) -> Result<()> {
        Ok(self.driver.remove_rootfs(container_id)?)
    }

    /// Deletes an image's config and the layers the daemon found unused by
    /// any other image.
    pub fn remove_image(&self, id: &Digest, unused_layers: &[Digest]) -> Result<()> {
        self.content.remove_config(id)?;
        for diff_id in unused_layers {
            self.driver.remove_layer(diff_id)?;
            self.content.remove_layer(diff_id)?;
        }
        Ok(())
    }
}

/// Config bytes as a JSON string: they are UTF-8 (they parsed as JSON),
/// and a string keeps every byte, where re-embedding the JSON would not.
mod raw_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(raw: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        let text = std::str::from_utf8(raw).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(deserializer)?.into_bytes())
    }
}

/// What [`ImageStore::collect_garbage`] removed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Collected {
    pub images: Vec<Digest>,
    pub layers: Vec<Digest>,
    pub containers: Vec<String>,
}

impl ImageStore {
    /// Removes what the daemon's records do not name: configs of images
    /// not in `images`, layers none of the kept images uses, and root
    /// filesystems of containers not in `containers`. This is the repair
    /// after a crash between writing files and committing the records;
    /// call it at start-up, before any load or import can be half done.
    pub fn collect_garbage(&self, images: &[Digest], containers: &[String]) -> Result<Collected> {
        let mut collected = Collected::default();
        let mut used_layers = std::collections::HashSet::new();
        for id in self.content.config_ids()? {
            if images.contains(&id) {
                let config = ImageConfig::parse(&self.content.config(&id)?)?;
                used_layers.extend(config.rootfs.diff_ids);
            } else {
                self.content.remove_config(&id)?;
                collected.images.push(id);
            }
        }
        let mut stored = self.content.layer_ids()?;
        stored.extend(self.driver.layer_ids()?);
        stored.sort();
        stored.dedup();
        for diff_id in stored {
            if !used_layers.contains(&diff_id) {
                self.driver.remove_layer(&diff_id)?;
                self.content.remove_layer(&diff_id)?;
                collected.layers.push(diff_id);
            }
        }
        self.content.collect_unlinked()?;
        for container in self.driver.container_ids()? {
            if !containers.contains(&container) {
                self.driver.remove_rootfs(&container)?;
                collected.containers.push(container);
            }
        }
        Ok(collected)
    }
}

fn build_record(
    raw: Vec<u8>,
    config: ImageConfig,
    layer_sizes: Vec<u64>,
    repo_tags: Vec<Reference>,
) -> ImageRecord {
    let diff_ids = config.rootfs.diff_ids.clone();
    ImageRecord {
        id: Digest::of_bytes(&raw),
        config_raw: raw,
        chain_ids: digest::chain_ids(&diff_ids),
        diff_ids,
        size: layer_sizes.iter().sum(),
        layer_sizes,
        config,
        repo_tags,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn records_round_trip_through_json_byte_for_byte() {
        let raw =
            b"{\"rootfs\": {\"type\": \"layers\", \"diff_ids\": []},\n  \"os\":\"linux\"}".to_vec();
        let config = super::ImageConfig::parse(&raw).unwrap();
        let tags = vec![super::Reference::parse_with_default_tag("busybox").unwrap()];
        let record = super::build_record(raw.clone(), config, Vec::new(), tags);
        let json = serde_json::to_string(&record).unwrap();
        assert!(
            json.contains("\"docker.io/library/busybox:latest\""),
            "{json}"
        );
        let back: super::ImageRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
        assert_eq!(back.config_raw, raw);
        assert_eq!(back.id, super::Digest::of_bytes(&raw));
    }

    /// The daemon serves each connection on its own thread.
    #[test]
    fn the_store_is_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::ImageStore>();
        shareable::<super::ImageRecord>();
    }
}
