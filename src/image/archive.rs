//! `docker load` and `docker save`. Load reads a docker-archive
//! (manifest.json naming config and layer files) or an OCI image layout
//! (index.json -> manifest -> config and layer blobs). Save writes both
//! views into one tar, as Docker 25 does: manifest.json for older loaders,
//! oci-layout and index.json for OCI tools, all pointing at blobs/sha256/.

use super::digest::{Digest, HashingReader};
use super::layer::{self, Whiteouts};
use super::reference::Reference;
use super::store::{LayerExtent, StoreError, decompressed};
use super::{ImageError, ImageRecord, ImageStore, Result};
use crate::inroot::Root;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const CONTAINERD_NAME: &str = "io.containerd.image.name";
const OCI_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The most JSON (manifest, index, config) read from an archive.
const JSON_MAX: u64 = 32 << 20;

fn invalid(message: impl Into<String>) -> ImageError {
    ImageError::Invalid(message.into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
}

#[derive(Deserialize, Serialize, Clone, Debug)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

/// An OCI index or manifest (or Docker's equivalents): whichever fields the
/// blob has.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OciDocument {
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// The unpacked archive, in a temp dir removed on drop.
struct Spool {
    root: Root,
    path: PathBuf,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

impl Spool {
    /// Opens `name` inside the spool; symlinks (Docker 25 links the legacy
    /// layer paths to blobs/) resolve inside it.
    fn open(&self, name: &str) -> Result<File> {
        let fd = self
            .root
            .open_at(Path::new(name), libc::O_RDONLY, 0)
            .map_err(|e| invalid(format!("archive file {name}: {e}")))?;
        Ok(File::from(fd))
    }

    fn exists(&self, name: &str) -> bool {
        self.root.open_path(Path::new(name)).is_ok()
    }

    fn read_json(&self, name: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open(name)?
            .take(JSON_MAX)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("read {name}: {e}")))?;
        Ok(bytes)
    }

    /// A blob of the OCI layout, checked against its digest.
    fn read_blob(&self, descriptor: &Descriptor) -> Result<Vec<u8>> {
        let digest = parse_digest(&descriptor.digest)?;
        let bytes = self.read_json(&blob_path(&digest))?;
        if Digest::of_bytes(&bytes) != digest {
            return Err(invalid(format!("blob {digest} does not match its digest")));
        }
        Ok(bytes)
    }
}

fn parse_digest(text: &str) -> Result<Digest> {
    Digest::parse(text).map_err(|e| invalid(e.to_string()))
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

pub fn load(store: &ImageStore, reader: impl Read) -> Result<Vec<ImageRecord>> {
    let path = store.content().temp_path("load");
    fs::create_dir(&path).map_err(|source| StoreError::Io {
        op: "mkdir",
        path: path.clone(),
        source,
    })?;
    let root = match Root::open(&path) {
        Ok(root) => root,
        Err(error) => {
            let _ = fs::remove_dir(&path);
            return Err(layer::LayerError::from(error).into());
        }
    };
    let spool = Spool { root, path };
    layer::apply_layer(&spool.path, decompressed(reader)?, Whiteouts::Ignore)?;
    if spool.exists("manifest.json") {
        load_docker_archive(store, &spool)
    } else if spool.exists("index.json") {
        load_oci_layout(store, &spool)
    } else {
        Err(invalid(
            "invalid archive: it has neither manifest.json (docker-archive) nor index.json (OCI image layout)",
        ))
    }
}

fn load_docker_archive(store: &ImageStore, spool: &Spool) -> Result<Vec<ImageRecord>> {
    let manifest: Vec<ManifestEntry> =
        serde_json::from_slice(&spool.read_json("manifest.json")?)
            .map_err(|e| invalid(format!("invalid manifest.json: {e}")))?;
    let mut records = Vec::new();
    for entry in manifest {
        let mut tags = Vec::new();
        for tag in entry.repo_tags.unwrap_or_default() {
            let reference = Reference::parse_normalized(&tag)?;
            if reference.tag().is_none() {
                return Err(invalid(format!("invalid tag {tag:?}")));
            }
            tags.push(reference);
        }
        let raw = spool.read_json(&entry.config)?;
        let config = super::ImageConfig::parse(&raw)?;
        let expected = &config.rootfs.diff_ids;
        if expected.len() != entry.layers.len() {
            return Err(invalid(format!(
                "invalid manifest, layers length mismatch: expected {}, got {}",
                expected.len(),
                entry.layers.len()
            )));
        }
        for (index, (name, expected)) in entry.layers.iter().zip(expected).enumerate() {
            let stored = store
                .content()
                .put_layer(spool.open(name)?, LayerExtent::WholeStream)?;
            if &stored.diff_id != expected {
                return Err(invalid(format!(
                    "invalid diffID for layer {index}: expected \"{expected}\", got \"{}\"",
                    stored.diff_id
                )));
            }
        }
        records.push(store.commit(raw, tags)?);
    }
    Ok(records)
}

fn load_oci_layout(store: &ImageStore, spool: &Spool) -> Result<Vec<ImageRecord>> {
    let index: OciDocument = serde_json::from_slice(&spool.read_json("index.json")?)
        .map_err(|e| invalid(format!("invalid index.json: {e}")))?;
    let mut records: Vec<ImageRecord> = Vec::new();
    for descriptor in index.manifests.unwrap_or_default() {
        let tags = oci_tags(&descriptor)?;
        let record = load_oci_descriptor(store, spool, &descriptor, 0)?;
        match records.iter_mut().find(|r| r.id == record.id) {
            Some(existing) => {
                for tag in tags {
                    if !existing.repo_tags.contains(&tag) {
                        existing.repo_tags.push(tag);
                    }
                }
            }
            None => records.push(ImageRecord {
                repo_tags: tags,
                ..record
            }),
        }
    }
    if records.is_empty() {
        return Err(invalid("invalid archive: index.json lists no images"));
    }
    Ok(records)
}

/// The name an index entry gives its image: containerd's full name, or an
/// OCI ref.name that is a whole reference. A bare tag names no repository.
fn oci_tags(descriptor: &Descriptor) -> Result<Vec<Reference>> {
    let name = descriptor
        .annotations
        .get(CONTAINERD_NAME)
        .or_else(|| descriptor.annotations.get(OCI_REF_NAME))
        .filter(|name| name.contains(['/', ':']) || name.contains('@'));
    match name {
        Some(name) => {
            let reference = Reference::parse_with_default_tag(name)?;
            Ok(reference
                .tag()
                .is_some()
                .then_some(reference)
                .into_iter()
                .collect())
        }
        None => Ok(Vec::new()),
    }
}

fn load_oci_descriptor(
    store: &ImageStore,
    spool: &Spool,
    descriptor: &Descriptor,
    depth: u32,
) -> Result<ImageRecord> {
    if depth > 4 {
        return Err(invalid("invalid archive: image indexes nested too deep"));
    }
    let document: OciDocument = serde_json::from_slice(&spool.read_blob(descriptor)?)
        .map_err(|e| invalid(format!("invalid manifest {}: {e}", descriptor.digest)))?;
    let media_type = if descriptor.media_type.is_empty() {
        document.media_type.as_str()
    } else {
        descriptor.media_type.as_str()
    };
    let is_index = matches!(media_type, OCI_INDEX | DOCKER_LIST)
        || (media_type.is_empty() && document.manifests.is_some());
    if is_index {
        let manifests = document.manifests.unwrap_or_default();
        let chosen = manifests
            .iter()
            .find(|m| m.platform.as_ref().is_some_and(is_host_platform))
            .or_else(|| manifests.iter().find(|m| m.platform.is_none()))
            .ok_or_else(|| {
                invalid(format!(
                    "no image for linux/{} in index {}",
                    host_architecture(),
                    descriptor.digest
                ))
            })?;
        return load_oci_descriptor(store, spool, chosen, depth + 1);
    }
    if !matches!(media_type, OCI_MANIFEST | DOCKER_MANIFEST | "") {
        return Err(invalid(format!(
            "unsupported manifest media type {media_type:?}"
        )));
    }
    let config = document
        .config
        .ok_or_else(|| invalid(format!("manifest {} has no config", descriptor.digest)))?;
    let raw = spool.read_blob(&config)?;
    let parsed = super::ImageConfig::parse(&raw)?;
    let layers = document.layers.unwrap_or_default();
    if parsed.rootfs.diff_ids.len() != layers.len() {
        return Err(invalid(format!(
            "invalid manifest, layers length mismatch: expected {}, got {}",
            parsed.rootfs.diff_ids.len(),
            layers.len()
        )));
    }
    for (index, (layer, expected)) in layers.iter().zip(&parsed.rootfs.diff_ids).enumerate() {
        let digest = parse_digest(&layer.digest)?;
        let mut reader = HashingReader::new(spool.open(&blob_path(&digest))?);
        let stored = store
            .content()
            .put_layer(&mut reader, LayerExtent::WholeStream)?;
        io::copy(&mut reader, &mut io::sink()).map_err(|e| invalid(format!("read layer: {e}")))?;
        if reader.finish().0 != digest {
            return Err(invalid(format!(
                "layer blob {digest} does not match its digest"
            )));
        }
        if &stored.diff_id != expected {
            return Err(invalid(format!(
                "invalid diffID for layer {index}: expected \"{expected}\", got \"{}\"",
                stored.diff_id
            )));
        }
    }
    store.commit(raw, Vec::new())
}

fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

fn is_host_platform(platform: &Platform) -> bool {
    platform.os == "linux" && platform.architecture == host_architecture()
}

/// One image to save, with the tags to record for it.
#[derive(Clone, Debug)]
pub struct SaveImage {
    pub id: Digest,
    pub repo_tags: Vec<Reference>,
}

pub fn save(store: &ImageStore, images: &[SaveImage], out: impl Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    let write = ImageError::Write;
    for dir in ["blobs/", "blobs/sha256/"] {
        let mut header = header(tar::EntryType::Directory, 0, 0o755);
        builder
            .append_data(&mut header, dir, io::empty())
            .map_err(write)?;
    }
    let mut written: HashSet<Digest> = HashSet::new();
    let mut manifest = Vec::new();
    let mut index = Vec::new();
    // One entry per image, however many of its names were asked for.
    let mut merged: Vec<SaveImage> = Vec::new();
    for image in images {
        match merged.iter_mut().find(|m| m.id == image.id) {
            Some(existing) => {
                for tag in &image.repo_tags {
                    if !existing.repo_tags.contains(tag) {
                        existing.repo_tags.push(tag.clone());
                    }
                }
            }
            None => merged.push(image.clone()),
        }
    }
    for image in &merged {
        let record = store.record(&image.id, Vec::new())?;
        let (config_digest, config_size) =
            add_blob(&mut builder, &mut written, &record.config_raw)?;
        let mut layer_descriptors = Vec::new();
        for diff_id in &record.diff_ids {
            let path = store.content().layer_path(diff_id);
            let size = fs::metadata(&path)
                .map_err(|e| invalid(format!("layer {diff_id}: {e}")))?
                .len();
            if written.insert(diff_id.clone()) {
                let mut header = header(tar::EntryType::Regular, size, 0o644);
                let file = store.content().open_layer(diff_id)?;
                builder
                    .append_data(&mut header, blob_path(diff_id), file)
                    .map_err(write)?;
            }
            layer_descriptors
                .push(json!({"mediaType": OCI_LAYER, "digest": diff_id, "size": size}));
        }
        let oci_manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
            "layers": layer_descriptors,
        }))
        .expect("JSON values serialise");
        let (manifest_digest, manifest_size) = add_blob(&mut builder, &mut written, &oci_manifest)?;

        let tags: Vec<&Reference> = image
            .repo_tags
            .iter()
            .filter(|r| r.tag().is_some())
            .collect();
        let entry = |annotations: serde_json::Value| {
            json!({
                "mediaType": OCI_MANIFEST,
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": annotations,
            })
        };
        if tags.is_empty() {
            index.push(entry(json!({})));
        }
        for tag in &tags {
            index.push(entry(json!({
                CONTAINERD_NAME: tag.to_string(),
                OCI_REF_NAME: tag.tag().unwrap_or_default(),
            })));
        }
        let familiar: Vec<String> = tags.iter().map(|r| r.familiar()).collect();
        manifest.push(json!({
            "Config": blob_path(&config_digest),
            "RepoTags": if familiar.is_empty() { serde_json::Value::Null } else { json!(familiar) },
            "Layers": record.diff_ids.iter().map(blob_path).collect::<Vec<_>>(),
        }));
    }
    let files = [
        ("oci-layout", json!({"imageLayoutVersion": "1.0.0"})),
        (
            "index.json",
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index}),
        ),
        ("manifest.json", json!(manifest)),
    ];
    for (name, value) in files {
        let bytes = serde_json::to_vec(&value).expect("JSON values serialise");
        let mut header = header(tar::EntryType::Regular, bytes.len() as u64, 0o644);
        builder
            .append_data(&mut header, name, &bytes[..])
            .map_err(write)?;
    }
    builder.into_inner().map_err(write)?.flush().map_err(write)
}

/// Writes a blob once, however many images share it.
fn add_blob<W: Write>(
    builder: &mut tar::Builder<W>,
    written: &mut HashSet<Digest>,
    bytes: &[u8],
) -> Result<(Digest, usize)> {
    let digest = Digest::of_bytes(bytes);
    if written.insert(digest.clone()) {
        let mut header = header(tar::EntryType::Regular, bytes.len() as u64, 0o644);
        builder
            .append_data(&mut header, blob_path(&digest), bytes)
            .map_err(ImageError::Write)?;
    }
    Ok((digest, bytes.len()))
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

#[cfg(test)]
#[path = "archive_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "dockerd_tests.rs"]
mod dockerd_tests;
