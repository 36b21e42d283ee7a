//! Registry blobs kept beside the layers: the compressed blob a layer was
//! pulled as (so a push sends the same bytes and the digest stays), or
//! the gzip made once for a layer that was loaded or imported; and the
//! manifest a pulled image came with. Files appear by rename after an
//! fsync, then their directory is synced, so a crash leaves none or all.

use super::digest::{Digest, HashingWriter};
use super::store::{ContentStore, StoreError, io_error, remove_if_present};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, StoreError>;

/// A blob ready to push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompressedLayer {
    pub digest: Digest,
    pub size: u64,
    pub path: PathBuf,
    /// Whether the blob is gzip (else an uncompressed tar).
    pub gzip: bool,
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("fsync", dir))
}

/// Writes `bytes` to a synced temp file and renames it to `path`.
fn write_durably(store: &ContentStore, path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = store.temp_path("write");
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(io_error("create", &temp))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error("write", &temp))?;
    fs::rename(&temp, path).map_err(io_error("rename", path))?;
    sync_dir(path.parent().unwrap_or(Path::new("/")))
}

impl ContentStore {
    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root().join("blobs").join(digest.hex())
    }

    fn blob_link_path(&self, diff_id: &Digest) -> PathBuf {
        self.root()
            .join("layers")
            .join(format!("{}.blob", diff_id.hex()))
    }

    pub(super) fn manifest_path(&self, image: &Digest) -> PathBuf {
        self.root().join("manifests").join(image.hex())
    }

    /// Keeps `temp` (a synced, verified blob in tmp/) as the blob of the
    /// layer `diff_id`.
    pub fn keep_blob(&self, diff_id: &Digest, temp: &Path, digest: &Digest) -> Result<()> {
        let path = self.blob_path(digest);
        fs::rename(temp, &path).map_err(io_error("rename", &path))?;
        sync_dir(path.parent().unwrap_or(Path::new("/")))?;
        write_durably(
            self,
            &self.blob_link_path(diff_id),
            digest.to_string().as_bytes(),
        )
    }

    /// The blob to push for the layer `diff_id`: the one it was pulled as,
    /// or else its tar gzipped now and kept for the next push.
    pub fn compressed_layer(&self, diff_id: &Digest) -> Result<CompressedLayer> {
        if let Some(kept) = self.kept_blob(diff_id)? {
            return Ok(kept);
        }
        let mut source = self.open_layer(diff_id)?;
        let temp = self.temp_path("gzip");
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_error("create", &temp))?;
        let mut gzip = flate2::write::GzEncoder::new(
            HashingWriter::new(BufWriter::new(file)),
            flate2::Compression::default(),
        );
        let written = io::copy(&mut source, &mut gzip)
            .and_then(|_| gzip.finish())
            .and_then(|hashing| {
                let (buffered, digest, _) = hashing.finish();
                let file = buffered.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
                Ok(digest)
            });
        let digest = match written {
            Ok(digest) => digest,
            Err(error) => {
                let _ = fs::remove_file(&temp);
                return Err(io_error("compress", &temp)(error));
            }
        };
        self.keep_blob(diff_id, &temp, &digest)?;
        self.kept_blob(diff_id)?
            .ok_or_else(|| StoreError::NoLayer(diff_id.clone()))
    }

    fn kept_blob(&self, diff_id: &Digest) -> Result<Option<CompressedLayer>> {
        let link = self.blob_link_path(diff_id);
        let text = match fs::read_to_string(&link) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error("read", &link)(error)),
        };
        let Ok(digest) = Digest::parse(text.trim()) else {
            return Ok(None);
        };
        let path = self.blob_path(&digest);
        let mut magic = [0u8; 2];
        let opened = File::open(&path).and_then(|mut file| {
            let size = file.metadata()?.len();
            let gzip = size >= 2 && io::Read::read_exact(&mut file, &mut magic).is_ok();
            Ok((size, gzip && magic == [0x1f, 0x8b]))
        });
        match opened {
            Ok((size, gzip)) => Ok(Some(CompressedLayer {
                digest,
                size,
                path,
                gzip,
            })),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error("open", &path)(error)),
        }
    }

    /// Removes the blob kept for a layer, with the layer.
    pub(super) fn forget_compressed(&self, diff_id: &Digest) -> Result<()> {
        if let Some(kept) = self.kept_blob(diff_id)? {
            remove_if_present(&kept.path)?;
        }
        remove_if_present(&self.blob_link_path(diff_id))
    }

    /// Removes blobs no layer names (a crash between keeping a blob and
    /// writing its link) and manifests of images that are gone; returns
    /// how many files went.
    pub fn collect_unlinked(&self) -> Result<usize> {
        let mut linked = std::collections::HashSet::new();
        let layers = self.root().join("layers");
        for entry in fs::read_dir(&layers).map_err(io_error("read dir", &layers))? {
            let path = entry.map_err(io_error("read dir", &layers))?.path();
            if path.extension().is_some_and(|e| e == "blob")
                && let Ok(text) = fs::read_to_string(&path)
                && let Ok(digest) = Digest::parse(text.trim())
            {
                linked.insert(digest.hex().to_string());
            }
        }
        let mut removed = 0;
        let blobs = self.root().join("blobs");
        for entry in fs::read_dir(&blobs).map_err(io_error("read dir", &blobs))? {
            let entry = entry.map_err(io_error("read dir", &blobs))?;
            if !linked.contains(entry.file_name().to_string_lossy().as_ref()) {
                remove_if_present(&entry.path())?;
                removed += 1;
            }
        }
        let manifests = self.root().join("manifests");
        for entry in fs::read_dir(&manifests).map_err(io_error("read dir", &manifests))? {
            let entry = entry.map_err(io_error("read dir", &manifests))?;
            let name = entry.file_name();
            let config = self.root().join("configs").join(&name);
            if !config.exists() {
                remove_if_present(&entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Keeps the manifest a pulled image came with.
    pub fn put_manifest(&self, image: &Digest, manifest: &[u8]) -> Result<()> {
        write_durably(self, &self.manifest_path(image), manifest)
    }

    /// The manifest an image was pulled with, if it was.
    pub fn manifest(&self, image: &Digest) -> Result<Option<Vec<u8>>> {
        let path = self.manifest_path(image);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error("read", &path)(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::store::LayerExtent;

    #[test]
    fn a_layer_is_compressed_once_and_its_blob_goes_with_it() {
        let dir = std::env::temp_dir().join(format!("dockbox-blobs-{}", std::process::id()));
        let store = ContentStore::open(&dir).unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o644);
        tar.append_data(&mut header, "hello", &b"world"[..])
            .unwrap();
        let bytes = tar.into_inner().unwrap();
        let layer = store
            .put_layer(&bytes[..], LayerExtent::WholeStream)
            .unwrap();
        let first = store.compressed_layer(&layer.diff_id).unwrap();
        assert!(first.gzip);
        let blob = fs::read(&first.path).unwrap();
        assert_eq!(Digest::of_bytes(&blob), first.digest);
        assert_eq!(blob.len() as u64, first.size);
        // Cached: the same bytes, not a second compression.
        assert_eq!(store.compressed_layer(&layer.diff_id).unwrap(), first);
        // A blob no layer names (a crash before its link) goes at start-up.
        let stray = dir.join("blobs").join("ab".repeat(32));
        fs::write(&stray, b"x").unwrap();
        assert_eq!(store.collect_unlinked().unwrap(), 1);
        assert!(!stray.exists() && first.path.exists());
        store.remove_layer(&layer.diff_id).unwrap();
        assert!(!first.path.exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
