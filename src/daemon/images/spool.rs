//! A layer tar on its way in (the request body of `docker import -` or a
//! download of `docker import URL`): spooled to a file first, then
//! imported under the image lock and recorded with moby's events.

use crate::api::ApiError;
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::StoredImage;
use crate::daemon::route::Call;
use crate::daemon::state::Daemon;
use crate::image::{ImageRecord, ImportOptions};
use crate::store::Table;
use std::io;

/// The request body (or a download) in a file of the content store's
/// tmp/, removed on drop. Spooling first keeps a slow client from holding
/// the image lock.
pub(super) struct Upload {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl Upload {
    /// An empty spool file and a second handle to write it through.
    pub(super) fn create(daemon: &Daemon) -> Result<(Upload, std::fs::File), ApiError> {
        let path = daemon.images().content().temp_path("upload");
        let created = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path);
        let file =
            created.map_err(|e| ApiError::internal(format!("create {}: {e}", path.display())))?;
        let upload = Upload {
            path: path.clone(),
            file: file
                .try_clone()
                .map_err(|e| ApiError::internal(format!("dup upload file: {e}")))?,
        };
        Ok((upload, file))
    }

    /// Spools the request body's tar archive (gzipped or not) and stops
    /// reading at its end: what a client sends after it is not stored.
    /// The caller drains the rest before answering.
    pub(super) fn receive(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Upload, ApiError> {
        let (upload, file) = Upload::create(daemon)?;
        let writer = io::BufWriter::with_capacity(256 << 10, file);
        // A client that breaks off or sends no tar is at fault (400), a
        // full disk is ours (500).
        crate::image::store::copy_archive(call.exchange.body(), writer, &upload.path)
            .map_err(|error| image_error(error.into()))?;
        Ok(upload)
    }

    /// A reader from the start of the upload.
    pub(super) fn reader(&self) -> Result<impl io::Read + '_, ApiError> {
        use std::io::Seek;
        let mut file = &self.file;
        file.rewind()
            .map_err(|e| ApiError::internal(format!("rewind {}: {e}", self.path.display())))?;
        Ok(io::BufReader::with_capacity(256 << 10, file))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Imports a spooled layer tar under the image lock, records it and its
/// tags, and logs moby's events.
pub(super) fn import_spooled(
    daemon: &Daemon,
    upload: &Upload,
    options: &ImportOptions,
) -> Result<ImageRecord, ApiError> {
    let _guard = daemon.images().lock();
    let record = daemon
        .images()
        .import(upload.reader()?, options)
        .map_err(image_error)?;
    commit_imported(daemon, &record)?;
    let id = record.id.to_string();
    for tag in &record.repo_tags {
        daemon.log_image_event(&id, &tag.familiar(), "tag");
    }
    daemon.log_image_event(&id, &id, "import");
    Ok(record)
}

fn commit_imported(daemon: &Daemon, record: &ImageRecord) -> Result<(), ApiError> {
    let id = record.id.to_string();
    let stored = StoredImage {
        record: ImageRecord {
            repo_tags: Vec::new(),
            ..record.clone()
        },
        // Import tags the image the way `docker tag` does.
        parent: None,
        last_tag_time: (!record.repo_tags.is_empty())
            .then(|| crate::gofmt::time::rfc3339_nano(std::time::SystemTime::now())),
    };
    daemon
        .store()
        .write(|tx| {
            tx.put(Table::Images, &id, &stored)?;
            for tag in &record.repo_tags {
                tx.put_raw(Table::Tags, &tag.to_string(), id.as_bytes())?;
            }
            Ok(())
        })
        .map_err(store_error)
}
