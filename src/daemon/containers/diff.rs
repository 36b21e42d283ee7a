//! `GET /containers/{id}/changes` (`docker diff`) and
//! `GET /containers/{id}/export` (`docker export`): a container's root
//! filesystem seen from outside, read through descriptors below the
//! daemon's own directories (see `image::changes` and `image::export`).

use super::record::{ContainerRecord, Status};
use crate::api::ApiError;
use crate::api::container_view::FilesystemChange;
use crate::daemon::errors::image_error;
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::image::Digest;
use std::io::{self, Write};

fn image_of(record: &ContainerRecord) -> Result<Digest, ApiError> {
    Digest::parse(&record.image_id)
        .map_err(|e| ApiError::internal(format!("container {} has no image: {e}", record.id)))
}

pub fn changes_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let image = image_of(&record)?;
    let found = daemon
        .images()
        .container_changes(&record.id, &image)
        .map_err(image_error)?;
    let changes: Vec<FilesystemChange> = found
        .into_iter()
        .map(|change| FilesystemChange {
            path: change.path.to_string_lossy().into_owned(),
            kind: change.kind as u8,
        })
        .collect();
    // moby 20.10 sends null when nothing changed.
    if changes.is_empty() {
        return Reply::json(200, &serde_json::Value::Null);
    }
    Reply::json(200, &changes)
}

/// The whole root filesystem as a tar; made (and mounted) first for a
/// container that never started, as moby's exists from create on.
pub fn export_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    match record.state.status {
        Status::Dead => {
            return Err(ApiError::conflict(format!(
                "You cannot export container {} which is Dead",
                record.id
            )));
        }
        Status::Removing => {
            return Err(ApiError::conflict(format!(
                "You cannot export container {} which is being removed",
                record.id
            )));
        }
        _ => {}
    }
    let image = image_of(&record)?;
    let rootfs = {
        let _changes = daemon.images().lock();
        daemon
            .images()
            .ready_rootfs(&record.id, &image)
            .map_err(image_error)?
    };
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/x-tar");
    let writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start export stream: {e}")))?;
    daemon.log_container_event(&record, "export", &[]);
    let mut out = io::BufWriter::with_capacity(64 << 10, writer);
    match crate::image::export_tree(&rootfs, &mut out) {
        Ok(()) => {
            let finished = out
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|writer| writer.finish().map(drop));
            if let Err(error) = finished {
                log::warn(&format!("export {}: {error}", record.id));
            }
        }
        // Dropping the writer unfinished cuts the stream short, so the
        // client sees an incomplete answer rather than a complete bad tar.
        Err(error) => {
            let _ = out.flush();
            log::error(&format!("export {}: {error}", record.id));
        }
    }
    Ok(Reply::Done)
}
