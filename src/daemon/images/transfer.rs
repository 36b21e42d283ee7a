//! Images in and out: `docker load`, `docker save`, `docker import` (from
//! a URL in `download`, both through `spool`), and the pull that
//! `POST /images/create?fromImage=` asks for (in `pull`).

use super::remove::repo_tag_reference;
use super::spool::{Upload, import_spooled};
use crate::api::ApiError;
use crate::api::image::ProgressMessage;
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::{Catalog, StoredImage};
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::image::{ImageName, ImageRecord, ImportOptions, Reference, SaveImage};
use crate::store::Table;
use std::io::{self, Write};

/// Sends `lines` as a chunked JSON progress stream with status 200.
fn send_progress(call: &mut Call<'_, '_>, lines: &[ProgressMessage]) -> Result<Reply, ApiError> {
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let sent = call.exchange.stream(200, &headers).and_then(|mut writer| {
        for line in lines {
            writer.write_all(&line.line())?;
        }
        writer.finish().map(drop)
    });
    if let Err(error) = sent {
        log::warn(&format!("send progress stream: {error}"));
    }
    Ok(Reply::Done)
}

/// Reads (and discards) what the client still sends, so it sees our
/// answer rather than a reset connection.
fn drain_body(call: &mut Call<'_, '_>) {
    let _ = io::copy(call.exchange.body(), &mut io::sink());
}

/// Records loaded images and their tags in one transaction; the lines
/// are moby's: a tag taken from another image is announced as a rename.
fn commit_loaded(
    daemon: &Daemon,
    records: Vec<ImageRecord>,
) -> Result<Vec<ProgressMessage>, ApiError> {
    let mut loaded = Vec::new();
    let lines = daemon
        .store()
        .write(|tx| {
            loaded.clear();
            let mut lines = Vec::new();
            let mut ids = String::new();
            let mut tags_of_last = 0;
            for record in records {
                let id = record.id.to_string();
                let existing: Option<StoredImage> = tx.get(Table::Images, &id)?;
                let tags = record.repo_tags.clone();
                let stored = StoredImage {
                    record: ImageRecord {
                        repo_tags: Vec::new(),
                        ..record
                    },
                    parent: None,
                    last_tag_time: existing.and_then(|e| e.last_tag_time),
                };
                tx.put(Table::Images, &id, &stored)?;
                loaded.push(id.clone());
                ids.push_str(&format!("Loaded image ID: {id}\n"));
                tags_of_last = 0;
                for tag in tags {
                    let key = tag.to_string();
                    if let Some(previous) = tx.get_raw(Table::Tags, &key)?
                        && previous != id.as_bytes()
                    {
                        lines.push(ProgressMessage::stream(format!(
                            "The image {} already exists, renaming the old one with ID {} to empty string\n",
                            tag.familiar(),
                            String::from_utf8_lossy(&previous)
                        )));
                    }
                    tx.put_raw(Table::Tags, &key, id.as_bytes())?;
                    lines.push(ProgressMessage::stream(format!(
                        "Loaded image: {}\n",
                        tag.familiar()
                    )));
                    tags_of_last += 1;
                }
            }
            // moby lists the IDs only when the last image had no tags.
            if tags_of_last == 0 && !ids.is_empty() {
                lines.push(ProgressMessage::stream(ids));
            }
            Ok(lines)
        })
        .map_err(store_error)?;
    for id in &loaded {
        daemon.log_image_event(id, id, "load");
    }
    Ok(lines)
}

/// `POST /images/load`. As in moby the answer is always a 200 stream;
/// a failure is its last message.
pub fn load(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    // Progress bars for layers are not sent; `quiet` changes nothing else.
    let _quiet = call
        .query
        .get("quiet")
        .is_none_or(|_| call.query.bool("quiet"));
    let outcome = Upload::receive(daemon, call).and_then(|upload| {
        let _guard = daemon.images().lock();
        let loaded = daemon.images().load(upload.reader()?);
        match loaded {
            Ok(records) => commit_loaded(daemon, records),
            Err(error) => Err(image_error(error)),
        }
    });
    drain_body(call);
    let lines = match outcome {
        Ok(lines) => lines,
        Err(error) => {
            log::warn(&format!("load: {}", error.message));
            vec![ProgressMessage::error(error.message)]
        }
    };
    send_progress(call, &lines)
}

/// What one name of `docker save` stands for, as moby reads it: an ID or
/// ID prefix saves the image without tags, a repository name every tag of
/// that repository, a tag just that tag.
fn save_targets(catalog: &Catalog, name: &str) -> Result<Vec<SaveImage>, ApiError> {
    let untagged = |name: &str| -> Result<Vec<SaveImage>, ApiError> {
        let image = catalog.find(name)?;
        Ok(vec![SaveImage {
            id: image.record.id.clone(),
            repo_tags: Vec::new(),
        }])
    };
    match ImageName::parse(name).map_err(|e| ApiError::invalid(e.to_string()))? {
        ImageName::Id(_) => return untagged(name),
        ImageName::Reference(reference) if reference.familiar_name() == "sha256" => {
            return untagged(name);
        }
        ImageName::Reference(_) => {}
    }
    let named = Reference::parse_normalized(name).map_err(|e| ApiError::invalid(e.to_string()))?;
    if named.tag().is_none() && named.digest().is_none() {
        let targets: Vec<SaveImage> = catalog
            .tags
            .iter()
            .filter(|(reference, _)| reference.name() == named.name() && reference.tag().is_some())
            .map(|(reference, id)| SaveImage {
                id: id.clone(),
                repo_tags: vec![reference.clone()],
            })
            .collect();
        if targets.is_empty() {
            return untagged(name);
        }
        return Ok(targets);
    }
    let (_, id) = catalog
        .tags
        .iter()
        .find(|(reference, _)| *reference == named)
        .ok_or_else(|| ApiError::not_found(format!("No such image: {}", named.familiar())))?;
    Ok(vec![SaveImage {
        id: id.clone(),
        repo_tags: if named.tag().is_some() {
            vec![named]
        } else {
            Vec::new()
        },
    }])
}

/// `GET /images/get?names=...` and `GET /images/{name}/get`: a tar that
/// `docker load` (ours or Docker's) reads. Unknown names fail before the
/// stream starts; a failure inside it cuts the stream short, so the
/// client sees an incomplete response rather than a complete bad tar.
pub fn save(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let names: Vec<String> = match call.params.get("name") {
        Some(name) => vec![name.to_string()],
        None => call
            .query
            .all("names")
            .into_iter()
            .map(String::from)
            .collect(),
    };
    let catalog = Catalog::read(daemon.store())?;
    let mut images = Vec::new();
    for name in &names {
        images.extend(save_targets(&catalog, name)?);
    }
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/x-tar");
    let writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start save stream: {e}")))?;
    // As moby, while the archive is put together: before it streams.
    let mut saved_ids = std::collections::BTreeSet::new();
    for image in &images {
        let id = image.id.to_string();
        if saved_ids.insert(id.clone()) {
            daemon.log_image_event(&id, &id, "save");
        }
    }
    let mut out = io::BufWriter::with_capacity(64 << 10, writer);
    let saved = daemon.images().save(&images, &mut out);
    match saved {
        Ok(()) => {
            let finished = out
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|writer| writer.finish().map(drop));
            if let Err(error) = finished {
                log::warn(&format!("save: {error}"));
            }
        }
        // Dropping the writer unfinished closes the stream without its
        // last chunk.
        Err(error) => log::error(&format!("save {names:?}: {error}")),
    }
    Ok(Reply::Done)
}

/// `POST /images/create`: import with `fromSrc`, pull with `fromImage`.
pub fn create(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let from_image = call.query.get("fromImage").unwrap_or("").to_string();
    let tag = call.query.get("tag").unwrap_or("").to_string();
    if !from_image.is_empty() {
        return super::pull::pull(daemon, call, &from_image, &tag);
    }
    let source = call.query.get("fromSrc").unwrap_or("").to_string();
    let repo = call.query.get("repo").unwrap_or("");
    let tag = repo_tag_reference(repo, &tag)?;
    if source.is_empty() {
        return Err(ApiError::invalid(
            "either fromSrc or fromImage must be given",
        ));
    }
    let options = ImportOptions {
        changes: call
            .query
            .all("changes")
            .into_iter()
            .map(String::from)
            .collect(),
        message: call.query.get("message").unwrap_or("").to_string(),
        source,
        tag,
    };
    if options.source != "-" {
        drain_body(call);
        return super::download::import_from_url(daemon, call, &options);
    }
    let uploaded = Upload::receive(daemon, call);
    drain_body(call);
    let upload = uploaded?;
    let record = import_spooled(daemon, &upload, &options)?;
    drop(upload);
    send_progress(call, &[ProgressMessage::status(record.id.to_string())])
}
