//! The content store on disk, under a directory the daemon gives it:
//!
//! ```text
//! configs/<hex>        image config, the exact bytes whose sha256 is the ID
//! layers/<hex>.tar     layer as an uncompressed tar, named by its diff ID
//! layers/<hex>.size    its content size (bytes of regular files), decimal
//! tmp/                 half-written files, renamed into place when complete
//! ```
//!
//! Files appear by rename only, so a crash leaves either nothing or a whole
//! file; tmp/ is emptied on open.

use super::digest::{Digest, HashingWriter};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("no such image config {0}")]
    NoConfig(Digest),
    #[error("no such layer {0}")]
    NoLayer(Digest),
    #[error("layer is not a valid tar archive: {0}")]
    NotTar(io::Error),
    #[error("unsupported compression: {0} (only gzip and uncompressed tar are supported)")]
    Compression(&'static str),
    #[error("read layer: {0}")]
    Read(io::Error),
}

type Result<T> = std::result::Result<T, StoreError>;

fn io_error<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// A layer as stored: its diff ID and content size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLayer {
    pub diff_id: Digest,
    pub size: u64,
}

#[derive(Debug)]
pub struct ContentStore {
    root: PathBuf,
    temp_counter: AtomicU64,
}

impl ContentStore {
    pub fn open(root: &Path) -> Result<ContentStore> {
        for dir in ["configs", "layers", "tmp"] {
            let path = root.join(dir);
            fs::create_dir_all(&path).map_err(io_error("mkdir", &path))?;
        }
        let tmp = root.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(io_error("read dir", &tmp))? {
            let path = entry.map_err(io_error("read dir", &tmp))?.path();
            let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
        }
        Ok(ContentStore {
            root: root.to_path_buf(),
            temp_counter: AtomicU64::new(0),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A fresh path in tmp/, on the same filesystem as the store.
    pub fn temp_path(&self, label: &str) -> PathBuf {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        self.root
            .join("tmp")
            .join(format!("{label}-{}-{n}", std::process::id()))
    }

    fn config_path(&self, id: &Digest) -> PathBuf {
        self.root.join("configs").join(id.hex())
    }

    /// Stores config bytes as they are and returns their digest, the image ID.
    pub fn put_config(&self, raw: &[u8]) -> Result<Digest> {
        let id = Digest::of_bytes(raw);
        let path = self.config_path(&id);
        if !path.exists() {
            let temp = self.temp_path("config");
            fs::write(&temp, raw).map_err(io_error("write", &temp))?;
            fs::rename(&temp, &path).map_err(io_error("rename", &path))?;
        }
        Ok(id)
    }

    pub fn config(&self, id: &Digest) -> Result<Vec<u8>> {
        let path = self.config_path(id);
        match fs::read(&path) {
            Ok(raw) => Ok(raw),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(StoreError::NoConfig(id.clone()))
            }
            Err(error) => Err(io_error("read", &path)(error)),
        }
    }

    pub fn has_config(&self, id: &Digest) -> bool {
        self.config_path(id).is_file()
    }

    /// Every stored image ID, for the daemon to check its records against.
    pub fn config_ids(&self) -> Result<Vec<Digest>> {
        let dir = self.root.join("configs");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error("read dir", &dir))? {
            let entry = entry.map_err(io_error("read dir", &dir))?;
            if let Some(id) = entry.file_name().to_str().and_then(Digest::from_hex) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn remove_config(&self, id: &Digest) -> Result<()> {
        let path = self.config_path(id);
        remove_if_present(&path)
    }

    /// Every stored layer's diff ID.
    pub fn layer_ids(&self) -> Result<Vec<Digest>> {
        let dir = self.root.join("layers");
        let mut ids = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error("read dir", &dir))? {
            let entry = entry.map_err(io_error("read dir", &dir))?;
            let name = entry.file_name();
            let hex = name.to_str().and_then(|n| n.strip_suffix(".tar"));
            if let Some(id) = hex.and_then(Digest::from_hex) {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn layer_path(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("layers")
            .join(format!("{}.tar", diff_id.hex()))
    }

    fn layer_size_path(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("layers")
            .join(format!("{}.size", diff_id.hex()))
    }

    /// Stores a layer tar, gzip-compressed or not (told apart by its first
    /// bytes), under the sha256 of its uncompressed bytes.
    pub fn put_layer(&self, reader: impl Read) -> Result<StoredLayer> {
        let mut reader = decompressed(reader)?;
        let temp = self.temp_path("layer");
        let file = File::create(&temp).map_err(io_error("create", &temp))?;
        let mut writer = HashingWriter::new(BufWriter::new(file));
        let copied = io::copy(&mut reader, &mut writer);
        let (buffered, diff_id, _) = writer.finish();
        let finished = copied
            .map_err(StoreError::Read)
            .and_then(|_| {
                buffered
                    .into_inner()
                    .map_err(|e| io_error("write", &temp)(e.into_error()))
            })
            .and_then(|file| file.sync_all().map_err(io_error("fsync", &temp)))
            .and_then(|_| content_size(&temp));
        let size = match finished {
            Ok(size) => size,
            Err(error) => {
                let _ = fs::remove_file(&temp);
                return Err(error);
            }
        };
        let path = self.layer_path(&diff_id);
        let size_path = self.layer_size_path(&diff_id);
        let size_temp = self.temp_path("size");
        fs::write(&size_temp, size.to_string()).map_err(io_error("write", &size_temp))?;
        // The size file first: a layer tar present means its size is too.
        fs::rename(&size_temp, &size_path).map_err(io_error("rename", &size_path))?;
        fs::rename(&temp, &path).map_err(io_error("rename", &path))?;
        Ok(StoredLayer { diff_id, size })
    }

    pub fn layer(&self, diff_id: &Digest) -> Result<StoredLayer> {
        if !self.layer_path(diff_id).is_file() {
            return Err(StoreError::NoLayer(diff_id.clone()));
        }
        let size_path = self.layer_size_path(diff_id);
        let text = fs::read_to_string(&size_path).map_err(io_error("read", &size_path))?;
        let size = text.trim().parse().map_err(|_| {
            io_error("parse", &size_path)(io::Error::from(io::ErrorKind::InvalidData))
        })?;
        Ok(StoredLayer {
            diff_id: diff_id.clone(),
            size,
        })
    }

    pub fn open_layer(&self, diff_id: &Digest) -> Result<File> {
        let path = self.layer_path(diff_id);
        File::open(&path).map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => StoreError::NoLayer(diff_id.clone()),
            _ => io_error("open", &path)(error),
        })
    }

    /// Removes a layer's tar; the daemon calls this once no image uses it.
    pub fn remove_layer(&self, diff_id: &Digest) -> Result<()> {
        remove_if_present(&self.layer_path(diff_id))?;
        remove_if_present(&self.layer_size_path(diff_id))
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("remove", path)(error)),
    }
}

/// The bytes of the regular files in a tar: Docker's layer size. Reading
/// every header also proves the file is a whole tar archive.
fn content_size(path: &Path) -> Result<u64> {
    let file = File::open(path).map_err(io_error("open", path))?;
    let mut archive = tar::Archive::new(file);
    let mut size = 0;
    for entry in archive.entries_with_seek().map_err(StoreError::NotTar)? {
        let entry = entry.map_err(StoreError::NotTar)?;
        if entry.header().entry_type().is_file() {
            size += entry.size();
        }
    }
    Ok(size)
}

/// `reader`, gunzipped if it starts with gzip's magic bytes. Other
/// compressions get a clear error instead of a confusing tar failure.
pub fn decompressed<'a>(reader: impl Read + 'a) -> Result<Box<dyn Read + 'a>> {
    let mut reader = reader;
    let mut magic = Vec::with_capacity(6);
    (&mut reader)
        .take(6)
        .read_to_end(&mut magic)
        .map_err(StoreError::Read)?;
    let compression = match magic.as_slice() {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [b'B', b'Z', b'h', ..] => return Err(StoreError::Compression("bzip2")),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00] => return Err(StoreError::Compression("xz")),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => return Err(StoreError::Compression("zstd")),
        _ => None,
    };
    let whole = io::Cursor::new(magic).chain(reader);
    Ok(match compression {
        Some(_) => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        None => Box::new(whole),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::test_util::{LayerTar, TestDir};
    use std::io::Write;

    #[test]
    fn configs_are_stored_byte_for_byte() {
        let dir = TestDir::new("store-config");
        let store = ContentStore::open(dir.path()).unwrap();
        let raw = br#"{"rootfs": {"type":"layers", "diff_ids":[]},   "Healthcheck":1}"#;
        let id = store.put_config(raw).unwrap();
        assert_eq!(id, Digest::of_bytes(raw));
        assert_eq!(store.config(&id).unwrap(), raw);
        assert_eq!(store.put_config(raw).unwrap(), id);
        assert_eq!(store.config_ids().unwrap(), vec![id.clone()]);
        store.remove_config(&id).unwrap();
        assert!(matches!(store.config(&id), Err(StoreError::NoConfig(_))));
    }

    #[test]
    fn layers_are_keyed_by_uncompressed_digest() {
        let dir = TestDir::new("store-layer");
        let store = ContentStore::open(dir.path()).unwrap();
        let mut layer = LayerTar::new();
        layer
            .file("a", b"hello", 0o644)
            .file("b/c", b"world!", 0o644)
            .dir("d", 0o755);
        let tar = layer.finish();
        let stored = store.put_layer(&tar[..]).unwrap();
        assert_eq!(stored.diff_id, Digest::of_bytes(&tar));
        assert_eq!(stored.size, 11);

        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped.write_all(&tar).unwrap();
        let gzipped = gzipped.finish().unwrap();
        assert_eq!(store.put_layer(&gzipped[..]).unwrap(), stored);
        assert_eq!(store.layer(&stored.diff_id).unwrap(), stored);
        assert_eq!(fs::read(store.layer_path(&stored.diff_id)).unwrap(), tar);
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);

        store.remove_layer(&stored.diff_id).unwrap();
        assert!(matches!(
            store.layer(&stored.diff_id),
            Err(StoreError::NoLayer(_))
        ));
    }

    #[test]
    fn bad_layers_leave_nothing_behind() {
        let dir = TestDir::new("store-bad");
        let store = ContentStore::open(dir.path()).unwrap();
        assert!(matches!(
            store.put_layer(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0][..]),
            Err(StoreError::Compression("zstd"))
        ));
        assert!(matches!(
            store.put_layer(&[7u8; 1024][..]),
            Err(StoreError::NotTar(_))
        ));
        // A truncated gzip stream.
        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped
            .write_all(&LayerTar::new().file("a", &[1; 5000], 0o644).finish())
            .unwrap();
        let gzipped = gzipped.finish().unwrap();
        assert!(store.put_layer(&gzipped[..gzipped.len() / 2]).is_err());
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.join("layers")).unwrap().count(), 0);
    }
}
