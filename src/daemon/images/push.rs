//! `POST /images/{name}/push?tag=`: each layer's blob is sent unless the
//! registry has it (HEAD), then the config and the manifest, in moby's
//! order and words. A pulled image goes back with the blobs and the
//! manifest it came with, byte for byte, so its digest stays; a loaded or
//! imported one gets its layers gzipped once (kept for the next push) and
//! a schema2 manifest.

use crate::api::ApiError;
use crate::api::image::{ProgressDetail, ProgressMessage};
use crate::daemon::distribution::manifest::{self, PushedLayer};
use crate::daemon::distribution::{Access, Credentials, Repository};
use crate::daemon::image_service::Catalog;
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::image::blobs::CompressedLayer;
use crate::image::{Digest, Reference};
use std::io::{self, Write};

/// The tags to push: `tag`, or every tag of the repository when none.
fn targets(catalog: &Catalog, name: &str, tag: &str) -> Result<Vec<(Reference, Digest)>, ApiError> {
    let named = Reference::parse_normalized(name).map_err(|e| ApiError::invalid(e.to_string()))?;
    let wanted = if tag.is_empty() {
        named.tag().map(str::to_string)
    } else {
        Some(tag.to_string())
    };
    let found: Vec<(Reference, Digest)> = catalog
        .tags
        .iter()
        .filter(|(reference, _)| {
            reference.name() == named.name()
                && reference.tag().is_some()
                && (wanted.is_none() || reference.tag() == wanted.as_deref())
        })
        .cloned()
        .collect();
    if found.is_empty() {
        let shown = match &wanted {
            Some(tag) => format!("{}:{tag}", named.familiar_name()),
            None => named.familiar_name(),
        };
        return Err(ApiError::not_found(format!(
            "An image does not exist locally with the tag: {shown}"
        )));
    }
    Ok(found)
}

pub fn push(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let name = call.params.get("name").unwrap_or("").to_string();
    let tag = call.query.get("tag").unwrap_or("").to_string();
    let _ = io::copy(call.exchange.body(), &mut io::sink());
    let catalog = Catalog::read(daemon.store())?;
    let targets = targets(&catalog, &name, &tag)?;
    let credentials = Credentials::from_header(call.exchange.header("X-Registry-Auth"));
    let mut repository = Repository::of(
        &targets[0].0,
        credentials,
        Access::Push,
        &daemon.config().registries,
    )?;
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start push stream: {e}")))?;
    let mut send = |message: ProgressMessage| writer.write_all(&message.line());
    let outcome = push_all(daemon, &mut repository, &targets, &mut send);
    if let Err(message) = outcome {
        log::warn(&format!("push {name}: {message}"));
        let _ = send(ProgressMessage::error(message));
    }
    if let Err(error) = writer.finish() {
        log::warn(&format!("send push stream: {error}"));
    }
    Ok(Reply::Done)
}

type Send<'a> = dyn FnMut(ProgressMessage) -> io::Result<()> + 'a;

fn sent(result: io::Result<()>) -> Result<(), String> {
    result.map_err(|e| format!("send progress: {e}"))
}

fn layer_message(status: &str, diff_id: &Digest) -> ProgressMessage {
    ProgressMessage {
        id: Some(diff_id.hex()[..12].to_string()),
        ..ProgressMessage::status(status)
    }
}

fn push_all(
    daemon: &Daemon,
    repository: &mut Repository,
    targets: &[(Reference, Digest)],
    send: &mut Send<'_>,
) -> Result<(), String> {
    // moby names the repository in full: docker.io/library/busybox.
    sent(send(ProgressMessage::status(format!(
        "The push refers to repository [{}]",
        targets[0].0.name()
    ))))?;
    repository.ping().map_err(|e| e.message)?;
    for (reference, id) in targets {
        let tag = reference.tag().unwrap_or("latest");
        let (digest, size) = push_image(daemon, repository, id, tag, send)?;
        sent(send(ProgressMessage::status(format!(
            "{tag}: digest: {digest} size: {size}"
        ))))?;
        sent(send(ProgressMessage {
            progress_detail: Some(Default::default()),
            aux: Some(serde_json::json!({"Tag": tag, "Digest": digest.to_string(), "Size": size})),
            ..ProgressMessage::default()
        }))?;
    }
    Ok(())
}

/// Pushes one image under `tag`; returns its manifest's digest and size.
fn push_image(
    daemon: &Daemon,
    repository: &Repository,
    id: &Digest,
    tag: &str,
    send: &mut Send<'_>,
) -> Result<(Digest, usize), String> {
    let content = daemon.images().content();
    let config = content.config(id).map_err(|e| e.to_string())?;
    let diff_ids = crate::image::ImageConfig::parse(&config)
        .map_err(|e| e.to_string())?
        .rootfs
        .diff_ids;
    // Top layer first, as moby lists them.
    for diff_id in diff_ids.iter().rev() {
        sent(send(layer_message("Preparing", diff_id)))?;
    }
    let mut blobs: Vec<CompressedLayer> = Vec::new();
    for diff_id in &diff_ids {
        blobs.push(
            content
                .compressed_layer(diff_id)
                .map_err(|e| e.to_string())?,
        );
    }
    for (diff_id, blob) in diff_ids.iter().zip(&blobs).rev() {
        if repository.has_blob(&blob.digest).map_err(|e| e.message)? {
            sent(send(layer_message("Layer already exists", diff_id)))?;
            continue;
        }
        let bytes =
            std::fs::read(&blob.path).map_err(|e| format!("read {}: {e}", blob.path.display()))?;
        // moby's "Pushing" carries a bar, which the CLI draws only on a
        // terminal; the upload is one request, so one bar at its end.
        let total = bytes.len() as u64;
        sent(send(ProgressMessage {
            progress_detail: Some(ProgressDetail {
                current: total as i64,
                total: total as i64,
            }),
            progress: Some(super::download::progress_bar(total, total)),
            ..layer_message("Pushing", diff_id)
        }))?;
        repository
            .upload_blob(&blob.digest, &bytes)
            .map_err(|e| e.message)?;
        sent(send(layer_message("Pushed", diff_id)))?;
    }
    if !repository.has_blob(id).map_err(|e| e.message)? {
        repository.upload_blob(id, &config).map_err(|e| e.message)?;
    }
    let manifest = kept_manifest(daemon, id, &blobs)?.unwrap_or_else(|| {
        let layers: Vec<PushedLayer> = blobs
            .iter()
            .map(|blob| PushedLayer {
                digest: blob.digest.clone(),
                size: blob.size,
                gzip: blob.gzip,
            })
            .collect();
        manifest::schema2(id, config.len() as u64, &layers)
    });
    let media_type = manifest::media_type_of(&manifest);
    repository
        .put_manifest(tag, &media_type, &manifest)
        .map_err(|e| e.message)?;
    Ok((Digest::of_bytes(&manifest), manifest.len()))
}

/// The manifest the image was pulled with, when it names exactly the
/// blobs about to be pushed (else a new one is written).
fn kept_manifest(
    daemon: &Daemon,
    id: &Digest,
    blobs: &[CompressedLayer],
) -> Result<Option<Vec<u8>>, String> {
    let Some(bytes) = daemon
        .images()
        .content()
        .manifest(id)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let media_type = manifest::media_type_of(&bytes);
    match manifest::parse(&bytes, &media_type, "") {
        Ok(manifest::Manifest::Image(image))
            if &image.config == id
                && image.layers.len() == blobs.len()
                && image
                    .layers
                    .iter()
                    .zip(blobs)
                    .all(|(l, b)| l.digest == b.digest) =>
        {
            Ok(Some(bytes))
        }
        _ => Ok(None),
    }
}
