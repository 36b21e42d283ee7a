//! The content store on disk, under a directory the daemon gives it:
//!
//! ```text
//! configs/<hex>        image config, the exact bytes whose sha256 is the ID
//! layers/<hex>.tar     layer as an uncompressed tar, named by its diff ID
//! layers/<hex>.size    its content size (bytes of regular files), decimal
//! tmp/                 half-written files, renamed into place when complete
//! blobs/<hex>          a layer as a registry served it (or as we compressed
//!                      it once for a push), named by its digest
//! layers/<hex>.blob    the digest of that blob, for the layer <hex>
//! manifests/<hex>      the manifest a pulled image came with, by image ID
//! ```
//!
//! Files appear by rename only, so a crash leaves either nothing or a whole
//! file; tmp/ is emptied on open.
//!
//! A tar stream ends at its end-of-archive marker (two zero blocks); what
//! a client sends after it is neither stored nor, for a layer, read.

use super::digest::{Digest, HashingWriter};
use super::layer::{LayerError, Whiteout, clean_entry_path};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
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
    #[error("not a valid tar archive: {0}")]
    NotArchive(io::Error),
    #[error(transparent)]
    InvalidLayer(LayerError),
}

type Result<T> = std::result::Result<T, StoreError>;

pub(super) fn io_error<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// How much of a layer stream is the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerExtent {
    /// The tar up to and with its end-of-archive marker; nothing after it
    /// is read (`docker import`, whose input may go on after the tar).
    Archive,
    /// Every byte: a docker-archive names its layer files by the digest of
    /// all their bytes, the padding after the marker included.
    WholeStream,
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
        for dir in ["configs", "layers", "tmp", "blobs", "manifests"] {
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

    /// A fresh path in tmp/, on the same filesystem as the store.
    pub fn temp_path(&self, label: &str) -> PathBuf {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        self.root
            .join("tmp")
            .join(format!("{label}-{}-{n}", std::process::id()))
    }

    /// The store's directory, for the registry blobs kept beside it.
    pub(super) fn root(&self) -> &Path {
        &self.root
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
            let mut file = File::create(&temp).map_err(io_error("create", &temp))?;
            file.write_all(raw)
                .and_then(|()| file.sync_all())
                .map_err(io_error("write", &temp))?;
            fs::rename(&temp, &path).map_err(io_error("rename", &path))?;
            sync_parent(&path)?;
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
        remove_if_present(&self.manifest_path(id))?;
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
    /// bytes), under the sha256 of its uncompressed bytes as far as
    /// `extent` says. Entries are checked on the way: a whiteout that
    /// names its own directory or a parent makes the layer invalid.
    pub fn put_layer(&self, reader: impl Read, extent: LayerExtent) -> Result<StoredLayer> {
        let temp = self.temp_path("layer");
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_error("create", &temp))?;
        let (diff_id, size) = match write_layer(reader, extent, file, &temp) {
            Ok(written) => written,
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
        sync_parent(&path)?;
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
        self.forget_compressed(diff_id)?;
        remove_if_present(&self.layer_path(diff_id))?;
        remove_if_present(&self.layer_size_path(diff_id))
    }
}

/// Syncs the directory of `path`, so a rename into it survives a crash.
fn sync_parent(path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("fsync", dir))
}

pub(super) fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("remove", path)(error)),
    }
}

/// Writes the layer to `file` (at `path`, for messages) and returns its
/// diff ID and content size.
fn write_layer(
    reader: impl Read,
    extent: LayerExtent,
    file: File,
    path: &Path,
) -> Result<(Digest, u64)> {
    let mut tee = TeeReader::new(
        decompressed(reader)?,
        HashingWriter::new(BufWriter::new(file)),
    );
    let mut size = read_archive(&mut tee, Entries::Layer);
    if size.is_ok()
        && extent == LayerExtent::WholeStream
        && let Err(error) = io::copy(&mut tee, &mut io::sink())
    {
        size = Err(StoreError::Read(error));
    }
    if let Some(error) = tee.write_error.take() {
        return Err(io_error("write", path)(error));
    }
    let size = size?;
    let (buffered, diff_id, _) = tee.copy.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| io_error("write", path)(e.into_error()))?;
    file.sync_all().map_err(io_error("fsync", path))?;
    Ok((diff_id, size))
}

/// Copies a tar stream (gzipped or not) from `reader` to `out` (at
/// `out_path`, for messages) and stops reading where the tar ends; for a
/// gzipped stream that is where the decoder's read-ahead stopped, a few
/// kilobytes on at most. Spooling a request body this way keeps whatever
/// the client sends after the archive out of storage.
pub fn copy_archive(reader: impl Read, out: impl Write, out_path: &Path) -> Result<()> {
    let mut tee = TeeReader::new(reader, out);
    let walked = decompressed(&mut tee).and_then(|tar| read_archive(tar, Entries::Any));
    if let Some(error) = tee.write_error.take() {
        return Err(io_error("write", out_path)(error));
    }
    walked.map(drop)?;
    tee.copy.flush().map_err(io_error("write", out_path))
}

/// What `read_archive` checks of each entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entries {
    /// A layer's: whiteouts must name something inside their directory.
    Layer,
    /// Any tar (a docker-archive, say): names are only data here.
    Any,
}

/// Reads a tar through its end-of-archive marker, and not a byte further,
/// and returns the bytes of its regular files: Docker's layer size.
fn read_archive(mut reader: impl Read, entries: Entries) -> Result<u64> {
    let not_tar = match entries {
        Entries::Layer => StoreError::NotTar,
        Entries::Any => StoreError::NotArchive,
    };
    let mut size = 0;
    // The archive borrows the reader only for the entries.
    {
        let mut archive = tar::Archive::new(&mut reader);
        for entry in archive.entries().map_err(not_tar)? {
            let entry = entry.map_err(not_tar)?;
            if entries == Entries::Layer {
                check_layer_entry(&entry.path_bytes())?;
            }
            if entry.header().entry_type().is_file() {
                size += entry.size();
            }
        }
    }
    // The tar crate stops after the marker's first zero block, or at the
    // end of the stream. The second block is the marker's too; anything
    // else there is a broken archive, as Go's archive/tar reads it.
    let mut block = [0u8; 512];
    let mut filled = 0;
    while filled < block.len() {
        match reader.read(&mut block[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(not_tar(error)),
        }
    }
    if filled != 0 && (filled < block.len() || block.iter().any(|&b| b != 0)) {
        return Err(not_tar(io::Error::new(
            io::ErrorKind::InvalidData,
            "a zero block not followed by another one (the end-of-archive marker) or the end",
        )));
    }
    Ok(size)
}

fn check_layer_entry(raw_path: &[u8]) -> Result<()> {
    let path = clean_entry_path(raw_path).map_err(StoreError::InvalidLayer)?;
    if let Some(name) = path.file_name() {
        Whiteout::parse(name, raw_path).map_err(StoreError::InvalidLayer)?;
    }
    Ok(())
}

/// A reader that copies what it reads into `copy`. A failed write is kept
/// aside, so that it is reported as the store's own failure, not as a bad
/// archive.
struct TeeReader<R, W> {
    inner: R,
    copy: W,
    write_error: Option<io::Error>,
}

impl<R, W> TeeReader<R, W> {
    fn new(inner: R, copy: W) -> Self {
        TeeReader {
            inner,
            copy,
            write_error: None,
        }
    }
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        if let Err(error) = self.copy.write_all(&buffer[..n]) {
            let message = error.to_string();
            self.write_error = Some(error);
            return Err(io::Error::other(format!("copy: {message}")));
        }
        Ok(n)
    }
}

/// `reader`, gunzipped or zstd-decoded when it starts with their magic
/// bytes. Other compressions get a clear error instead of a confusing tar
/// failure.
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
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd"),
        _ => None,
    };
    let whole = io::Cursor::new(magic).chain(reader);
    Ok(match compression {
        Some("gzip") => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Some(_) => Box::new(super::zstd::ZstdReader::new(whole)),
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
        let stored = store.put_layer(&tar[..], LayerExtent::WholeStream).unwrap();
        assert_eq!(stored.diff_id, Digest::of_bytes(&tar));
        assert_eq!(stored.size, 11);

        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped.write_all(&tar).unwrap();
        let gzipped = gzipped.finish().unwrap();
        assert_eq!(
            store
                .put_layer(&gzipped[..], LayerExtent::WholeStream)
                .unwrap(),
            stored
        );
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
        // zstd's magic and a broken frame header.
        assert!(
            store
                .put_layer(
                    &[0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff][..],
                    LayerExtent::WholeStream
                )
                .is_err()
        );
        assert!(matches!(
            store.put_layer(
                &[0xfd, b'7', b'z', b'X', b'Z', 0][..],
                LayerExtent::WholeStream
            ),
            Err(StoreError::Compression("xz"))
        ));
        assert!(matches!(
            store.put_layer(&[7u8; 1024][..], LayerExtent::WholeStream),
            Err(StoreError::NotTar(_))
        ));
        // A truncated gzip stream.
        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped
            .write_all(&LayerTar::new().file("a", &[1; 5000], 0o644).finish())
            .unwrap();
        let gzipped = gzipped.finish().unwrap();
        assert!(
            store
                .put_layer(&gzipped[..gzipped.len() / 2], LayerExtent::WholeStream)
                .is_err()
        );
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.join("layers")).unwrap().count(), 0);
    }

    /// A source of `byte` that counts what is read of it (a few MB of it
    /// follow the tar: an importer that reads on fails, and does not hang).
    struct Trailing {
        byte: u8,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl Read for Trailing {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            buffer.fill(self.byte);
            self.read.set(self.read.get() + buffer.len() as u64);
            Ok(buffer.len())
        }
    }

    fn with_trailing(tar: &[u8], byte: u8) -> (impl Read + '_, std::rc::Rc<std::cell::Cell<u64>>) {
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let trailing = Trailing {
            byte,
            read: read.clone(),
        };
        (tar.chain(trailing.take(4 << 20)), read)
    }

    #[test]
    fn imported_layers_end_at_the_end_of_archive_marker() {
        let dir = TestDir::new("store-trailing");
        let store = ContentStore::open(dir.path()).unwrap();
        let tar = LayerTar::new().file("f", b"abc", 0o644).finish();
        for byte in [0u8, 0x5a] {
            // Zeros or garbage after the tar: the layer stops at the marker
            // and nothing after it is read.
            let (reader, read_after) = with_trailing(&tar, byte);
            let stored = store.put_layer(reader, LayerExtent::Archive).unwrap();
            assert_eq!(read_after.get(), 0, "read past the marker");
            assert_eq!(stored.size, 3);
            assert_eq!(stored.diff_id, Digest::of_bytes(&tar));
            assert_eq!(fs::read(store.layer_path(&stored.diff_id)).unwrap(), tar);
        }
        // GNU tar's record padding after the marker is not the layer either.
        let mut padded = tar.clone();
        padded.resize(10240, 0);
        let stored = store.put_layer(&padded[..], LayerExtent::Archive).unwrap();
        assert_eq!(stored.diff_id, Digest::of_bytes(&tar));
        // A docker-archive's layer file is taken whole: its digest is the
        // diff ID the image config names.
        let whole = store
            .put_layer(&padded[..], LayerExtent::WholeStream)
            .unwrap();
        assert_eq!(whole.diff_id, Digest::of_bytes(&padded));
        assert_eq!(whole.size, 3);
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn a_zero_block_must_be_followed_by_another_or_the_end() {
        let dir = TestDir::new("store-one-zero-block");
        let store = ContentStore::open(dir.path()).unwrap();
        let tar = LayerTar::new().file("f", b"abc", 0o644).finish();
        let single_zero_block = &tar[..tar.len() - 512];
        let stored = store
            .put_layer(single_zero_block, LayerExtent::Archive)
            .unwrap();
        assert_eq!(stored.size, 3);
        let mut broken = single_zero_block.to_vec();
        broken.extend_from_slice(&[7; 512]);
        assert!(matches!(
            store.put_layer(&broken[..], LayerExtent::Archive),
            Err(StoreError::NotTar(_))
        ));
    }

    #[test]
    fn copied_archives_stop_at_their_end() {
        let dir = TestDir::new("store-copy-archive");
        let tar = LayerTar::new().file("f", b"abc", 0o644).finish();
        let (reader, read_after) = with_trailing(&tar, 0);
        let mut copy = Vec::new();
        copy_archive(reader, &mut copy, dir.path()).unwrap();
        assert_eq!(copy, tar);
        assert_eq!(read_after.get(), 0);

        // Gzipped, the decoder reads ahead a little, never much.
        let gzipped = gzip_of(&tar);
        let (reader, read_after) = with_trailing(&gzipped, 0);
        let mut copy = Vec::new();
        copy_archive(reader, &mut copy, dir.path()).unwrap();
        assert!(read_after.get() <= 64 << 10, "{} bytes", read_after.get());
        assert_eq!(&copy[..gzipped.len()], &gzipped[..]);

        assert!(matches!(
            copy_archive(&[7u8; 1024][..], &mut Vec::new(), dir.path()),
            Err(StoreError::NotArchive(_))
        ));
    }

    #[test]
    fn layers_with_hostile_whiteouts_are_not_stored() {
        let dir = TestDir::new("store-hostile-whiteout");
        let store = ContentStore::open(dir.path()).unwrap();
        for name in [".wh.", ".wh..", ".wh...", "a/.wh..", "a/b/.wh..."] {
            let tar = LayerTar::new().file(name, b"", 0o644).finish();
            let error = store.put_layer(&tar[..], LayerExtent::Archive).unwrap_err();
            assert!(
                matches!(error, StoreError::InvalidLayer(_)),
                "{name}: {error}"
            );
        }
        let opaque = LayerTar::new()
            .file("a/.wh..wh..opq", b"", 0o644)
            .file("a/.wh.gone", b"", 0o644)
            .finish();
        store.put_layer(&opaque[..], LayerExtent::Archive).unwrap();
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(dir.join("layers")).unwrap().count(), 2);
    }

    #[test]
    fn zstd_layers_are_stored_under_their_uncompressed_digest() {
        let dir = TestDir::new("store-zstd");
        let store = ContentStore::open(dir.path()).unwrap();
        let tar = LayerTar::new().file("a", &[3; 300_000], 0o644).finish();
        let mut compressed = Vec::new();
        ruzstd::encoding::compress(
            &tar[..],
            &mut compressed,
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(compressed.len() < tar.len() / 10);
        let stored = store
            .put_layer(&compressed[..], LayerExtent::WholeStream)
            .unwrap();
        assert_eq!(stored.diff_id, Digest::of_bytes(&tar));
        assert_eq!(fs::read(store.layer_path(&stored.diff_id)).unwrap(), tar);
        // Cut short: an error, and nothing stored.
        let other = LayerTar::new().file("b", &[4; 300_000], 0o644).finish();
        let mut compressed = Vec::new();
        ruzstd::encoding::compress(
            &other[..],
            &mut compressed,
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(
            store
                .put_layer(
                    &compressed[..compressed.len() / 2],
                    LayerExtent::WholeStream
                )
                .is_err()
        );
        assert_eq!(store.layer_ids().unwrap(), vec![stored.diff_id]);
    }

    fn gzip_of(bytes: &[u8]) -> Vec<u8> {
        let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzipped.write_all(bytes).unwrap();
        gzipped.finish().unwrap()
    }
}
