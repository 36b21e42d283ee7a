//! A container's root filesystem seen from outside: its changes over its
//! image (`docker diff`), the image a commit makes of them, and the whole
//! tree (`docker export`).

use super::changes::{self, Change, Compare};
use super::config::{History, ImageConfig};
use super::driver::{DriverError, RootfsLayout};
use super::layer::{self, Whiteouts};
use super::store::LayerExtent;
use super::{Digest, ImageError, ImageRecord, ImageStore, Result};
use serde_json::{Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a commit adds to the parent image (moby's ChildConfig).
#[derive(Clone, Debug, Default)]
pub struct ChildConfig {
    pub container_id: String,
    pub author: String,
    pub comment: String,
    /// The new image's `config`: the container's config with the changes
    /// applied.
    pub config: Value,
    /// The container's config as it ran: `container_config`.
    pub container_config: Value,
    /// Its `Cmd`, which history shows as `created_by`.
    pub created_by: String,
    pub docker_version: String,
}

fn io_error<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ImageError + 'a {
    move |source| {
        ImageError::Driver(DriverError::Io {
            op,
            path: path.to_path_buf(),
            source,
        })
    }
}

/// A directory in the store's tmp/, removed on drop.
struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl ImageStore {
    fn layers_of(&self, image: &Digest) -> Result<Vec<Digest>> {
        Ok(ImageConfig::parse(&self.content.config(image)?)?
            .rootfs
            .diff_ids)
    }

    /// The container's changes and the tree that holds their content;
    /// nothing before its first start made a root filesystem.
    fn rootfs_changes(
        &self,
        container_id: &str,
        diff_ids: &[Digest],
    ) -> Result<Option<(Vec<Change>, PathBuf)>> {
        let layout = match self.driver.layout(container_id, diff_ids) {
            Ok(layout) => layout,
            Err(DriverError::NoRootfs(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        match layout {
            RootfsLayout::Overlay { upper, lowers } => {
                let found = changes::changes(&upper, &lowers, Compare::Overlay)
                    .map_err(io_error("compare", &upper))?;
                Ok(Some((found, upper)))
            }
            RootfsLayout::Copy { rootfs } => {
                // vfs keeps no copy of the image alone: unpack one to
                // compare with.
                let base = TempTree(self.content.temp_path("diff-base"));
                std::fs::create_dir(&base.0).map_err(io_error("mkdir", &base.0))?;
                for diff_id in diff_ids {
                    let tar = self.content.open_layer(diff_id)?;
                    layer::apply_layer(&base.0, tar, Whiteouts::Apply)?;
                }
                let found = changes::changes(&rootfs, std::slice::from_ref(&base.0), Compare::Full)
                    .map_err(io_error("compare", &rootfs))?;
                Ok(Some((found, rootfs)))
            }
        }
    }

    /// `docker diff`: what the container changed over `image`, by path.
    pub fn container_changes(&self, container_id: &str, image: &Digest) -> Result<Vec<Change>> {
        let diff_ids = self.layers_of(image)?;
        Ok(self
            .rootfs_changes(container_id, &diff_ids)?
            .map(|(found, _)| found)
            .unwrap_or_default())
    }

    /// `docker commit`: a child image of `parent` (None: of nothing) with
    /// the container's changes as one more layer, or as an empty-layer
    /// history entry when it changed nothing.
    pub fn commit_container(
        &self,
        parent: Option<&Digest>,
        child: &ChildConfig,
    ) -> Result<ImageRecord> {
        let parent_raw = parent.map(|id| self.content.config(id)).transpose()?;
        let diff_ids = match parent {
            Some(id) => self.layers_of(id)?,
            None => Vec::new(),
        };
        // No container (the builder's metadata steps on `FROM scratch`):
        // a config-only image, as moby commits one.
        let changes = match child.container_id.as_str() {
            "" => None,
            container => self.rootfs_changes(container, &diff_ids)?,
        };
        let layer = match changes {
            Some((found, root)) if !found.is_empty() => Some(self.store_changes(&root, &found)?),
            _ => None,
        };
        let created = crate::gofmt::time::rfc3339_nano(std::time::SystemTime::now());
        let raw = child_config(parent_raw.as_deref(), child, layer, &created)?;
        self.commit(raw, Vec::new())
    }

    /// Writes the changes as a layer tar to tmp/, then stores it.
    fn store_changes(&self, root: &Path, found: &[Change]) -> Result<Digest> {
        let temp = self.content.temp_path("commit");
        let written = std::fs::File::create(&temp)
            .and_then(|file| {
                let mut out = std::io::BufWriter::with_capacity(256 << 10, file);
                super::export::export_changes(root, found, &mut out)?;
                out.flush()
            })
            .map_err(io_error("write layer", &temp));
        let stored = written.and_then(|()| {
            let file = std::fs::File::open(&temp).map_err(io_error("open", &temp))?;
            Ok(self.content.put_layer(file, LayerExtent::Archive)?)
        });
        let _ = std::fs::remove_file(&temp);
        Ok(stored?.diff_id)
    }

    /// The container's root filesystem, mounted if it is not (a stopped
    /// container's) and made if it never was (one never started), for
    /// `docker export`.
    pub fn ready_rootfs(&self, container_id: &str, image: &Digest) -> Result<PathBuf> {
        match self.mount_rootfs(container_id, image) {
            Err(ImageError::Driver(DriverError::NoRootfs(_))) => {
                self.create_rootfs(container_id, image)
            }
            other => other,
        }
    }
}

/// The new image's config JSON, keys sorted as moby writes them: the
/// parent's platform, history and layers, then what the child adds.
fn child_config(
    parent: Option<&[u8]>,
    child: &ChildConfig,
    layer: Option<Digest>,
    created: &str,
) -> Result<Vec<u8>> {
    let parent: Map<String, Value> = match parent {
        Some(raw) => serde_json::from_slice(raw).map_err(super::config::ConfigError::from)?,
        None => Map::new(),
    };
    let mut image = Map::new();
    let architecture = parent
        .get("architecture")
        .and_then(Value::as_str)
        .filter(|arch| !arch.is_empty())
        .map_or_else(
            || super::import::host_architecture().to_string(),
            str::to_string,
        );
    image.insert("architecture".into(), architecture.into());
    for key in ["variant", "os.version", "os.features"] {
        if let Some(value) = parent.get(key).filter(|v| !v.is_null()) {
            image.insert(key.into(), value.clone());
        }
    }
    if !child.author.is_empty() {
        image.insert("author".into(), child.author.clone().into());
    }
    image.insert("config".into(), child.config.clone());
    image.insert("container".into(), child.container_id.clone().into());
    image.insert("container_config".into(), child.container_config.clone());
    image.insert("created".into(), created.into());
    image.insert("docker_version".into(), child.docker_version.clone().into());
    image.insert("os".into(), "linux".into());
    let mut history: Vec<Value> = parent
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let entry = History {
        created: Some(created.to_string()),
        created_by: child.created_by.clone(),
        author: child.author.clone(),
        comment: child.comment.clone(),
        empty_layer: layer.is_none(),
    };
    history.push(serde_json::to_value(entry).expect("history serialises"));
    image.insert("history".into(), history.into());
    let mut diff_ids: Vec<Value> = parent
        .get("rootfs")
        .and_then(|rootfs| rootfs.get("diff_ids"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(layer) = layer {
        diff_ids.push(layer.to_string().into());
    }
    image.insert(
        "rootfs".into(),
        serde_json::json!({"type": "layers", "diff_ids": diff_ids}),
    );
    Ok(serde_json::to_vec(&image).expect("image config serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_keeps_the_parents_history_and_layers_and_adds_its_own() {
        let parent = br#"{"architecture":"arm64","variant":"v8","os":"linux",
            "history":[{"created":"2020-01-01T00:00:00Z","created_by":"base"}],
            "rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}"#;
        let child = ChildConfig {
            container_id: "abc".into(),
            author: "me".into(),
            comment: "msg".into(),
            config: serde_json::json!({"Cmd": ["x"]}),
            container_config: serde_json::json!({"Cmd": ["sh"]}),
            created_by: "sh".into(),
            docker_version: "28.2.2".into(),
        };
        let layer = Digest::of_bytes(b"layer");
        let raw = child_config(
            Some(parent),
            &child,
            Some(layer.clone()),
            "2026-01-01T00:00:00Z",
        )
        .unwrap();
        let config = ImageConfig::parse(&raw).unwrap();
        assert_eq!(config.architecture, "arm64");
        assert_eq!(config.variant, "v8");
        assert_eq!(config.author, "me");
        assert_eq!(config.comment, "", "moby leaves the image comment empty");
        assert_eq!(config.rootfs.diff_ids.len(), 2);
        assert_eq!(config.rootfs.diff_ids[1], layer);
        assert_eq!(config.history.len(), 2);
        assert_eq!(config.history[1].created_by, "sh");
        assert_eq!(config.history[1].comment, "msg");
        assert!(!config.history[1].empty_layer);
        let value: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(value["container"], "abc");
        assert_eq!(value["container_config"]["Cmd"][0], "sh");
        assert_eq!(value["config"]["Cmd"][0], "x");

        let empty = child_config(None, &child, None, "2026-01-01T00:00:00Z").unwrap();
        let config = ImageConfig::parse(&empty).unwrap();
        assert!(config.rootfs.diff_ids.is_empty());
        assert!(config.history[0].empty_layer);
    }
}
