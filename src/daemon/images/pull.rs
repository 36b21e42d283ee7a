//! `POST /images/create?fromImage=`: a pull from a registry, in moby's
//! order. The registry is pinged and the manifest fetched before the
//! answer starts, so a missing tag or an unreachable registry is the
//! request's status; then a 200 progress stream as the Go CLI draws it.
//! Every digest is checked (manifest, config, each blob) and every layer
//! against its diff ID; one store transaction publishes the image, its
//! tag and its repository digest, so a crash leaves no half image.

use super::download::progress_bar;
use crate::api::ApiError;
use crate::api::image::{ProgressDetail, ProgressMessage};
use crate::daemon::distribution::manifest::{self, ImageManifest, Manifest, Platform};
use crate::daemon::distribution::{Credentials, Repository};
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::StoredImage;
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::image::store::LayerExtent;
use crate::image::{Digest, ImageConfig, ImageRecord, Reference};
use crate::store::Table;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::Path;

const BUFFER: usize = 256 << 10;

/// The reference `fromImage` and `tag` name together, as moby reads them:
/// a tag that is a digest pulls by digest; no tag pulls `latest`.
pub fn pull_reference(image: &str, tag: &str) -> Result<Reference, ApiError> {
    let name = image.strip_suffix(':').unwrap_or(image);
    let reference =
        Reference::parse_normalized(name).map_err(|e| ApiError::invalid(e.to_string()))?;
    if tag.is_empty() {
        if reference.tag().is_none() && reference.digest().is_none() {
            return reference
                .with_tag("latest")
                .map_err(|e| ApiError::invalid(e.to_string()));
        }
        return Ok(reference);
    }
    if let Ok(digest) = Digest::parse(tag) {
        return Reference::parse_normalized(&format!("{}@{digest}", reference.name()))
            .map_err(|e| ApiError::invalid(e.to_string()));
    }
    reference
        .with_tag(tag)
        .map_err(|_| ApiError::invalid("invalid tag format"))
}

/// Checks manifest bytes against `expected` (the digest asked for) or
/// else the registry's `Docker-Content-Digest`, and returns their digest.
fn verify_manifest(
    fetched: &crate::daemon::distribution::FetchedManifest,
    expected: Option<&Digest>,
) -> Result<Digest, String> {
    let actual = Digest::of_bytes(&fetched.bytes);
    let claimed = match expected {
        Some(digest) => Some(digest.to_string()),
        None => fetched.digest_header.clone(),
    };
    match claimed {
        Some(claimed) if claimed != actual.to_string() => Err(format!(
            "manifest verification failed for digest {claimed}: its content has digest {actual}"
        )),
        _ => Ok(actual),
    }
}

/// What the stream needs once the top manifest is known.
struct PullPlan {
    reference: Reference,
    repository: Repository,
    platform: Platform,
    top: Manifest,
    top_bytes: Vec<u8>,
    /// The digest of the top manifest (an index's, for a multi-arch
    /// image): the repository digest, as moby records it.
    top_digest: Digest,
}

pub fn pull(
    daemon: &Daemon,
    call: &mut Call<'_, '_>,
    image: &str,
    tag: &str,
) -> Result<Reply, ApiError> {
    let reference = pull_reference(image, tag)?;
    let platform = match call.query.get("platform").filter(|p| !p.is_empty()) {
        Some(text) => Platform::parse(text).map_err(ApiError::invalid)?,
        None => Platform::host(),
    };
    let _ = io::copy(call.exchange.body(), &mut io::sink());
    let credentials = Credentials::from_header(call.exchange.header("X-Registry-Auth"));
    let mut repository = Repository::of(&reference, credentials)?;
    repository.ping()?;
    let familiar = reference.familiar();
    let target = match (reference.digest(), reference.tag()) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.to_string(),
        (None, None) => "latest".to_string(),
    };
    let fetched = repository.manifest(&target, &familiar)?;
    let top_digest = verify_manifest(&fetched, reference.digest()).map_err(ApiError::internal)?;
    let top = manifest::parse(&fetched.bytes, &fetched.content_type, &familiar)
        .map_err(ApiError::internal)?;
    let plan = PullPlan {
        reference,
        repository,
        platform,
        top,
        top_bytes: fetched.bytes,
        top_digest,
    };
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start pull stream: {e}")))?;
    let mut send = |message: ProgressMessage| writer.write_all(&message.line());
    let status = ProgressMessage {
        id: Some(target.clone()),
        ..ProgressMessage::status(format!("Pulling from {}", plan.repository.path()))
    };
    let outcome = send(status)
        .map_err(|e| format!("send progress: {e}"))
        .and_then(|()| run_pull(daemon, &plan, &mut send));
    let last = match outcome {
        Ok(lines) => lines,
        Err(message) => {
            log::warn(&format!("pull {familiar}: {message}"));
            vec![ProgressMessage::error(message)]
        }
    };
    let sent = last
        .iter()
        .try_for_each(|line| writer.write_all(&line.line()))
        .and_then(|()| writer.finish().map(drop));
    if let Err(error) = sent {
        log::warn(&format!("send pull stream: {error}"));
    }
    Ok(Reply::Done)
}

type Send<'a> = dyn FnMut(ProgressMessage) -> io::Result<()> + 'a;

fn layer_message(status: &str, digest: &Digest) -> ProgressMessage {
    ProgressMessage {
        id: Some(digest.hex()[..12].to_string()),
        ..ProgressMessage::status(status)
    }
}

fn sent(result: io::Result<()>) -> Result<(), String> {
    result.map_err(|e| format!("send progress: {e}"))
}

/// The image manifest for the plan's platform, parsed and as served.
fn image_manifest(plan: &PullPlan) -> Result<(ImageManifest, Vec<u8>), String> {
    match &plan.top {
        Manifest::Image(image) => Ok((image.clone(), plan.top_bytes.clone())),
        Manifest::List(entries) => {
            let digest = manifest::choose(entries, &plan.platform)?;
            let familiar = plan.reference.familiar();
            let fetched = plan
                .repository
                .manifest(&digest.to_string(), &familiar)
                .map_err(|e| e.message)?;
            verify_manifest(&fetched, Some(&digest))?;
            match manifest::parse(&fetched.bytes, &fetched.content_type, &familiar)? {
                Manifest::Image(image) => Ok((image, fetched.bytes)),
                Manifest::List(_) => Err(format!("manifest {digest} is a list inside a list")),
            }
        }
    }
}

/// Downloads, verifies and stores; returns the closing lines.
fn run_pull(
    daemon: &Daemon,
    plan: &PullPlan,
    send: &mut Send<'_>,
) -> Result<Vec<ProgressMessage>, String> {
    let (image, manifest_bytes) = image_manifest(plan)?;
    let config_raw = read_blob(plan, &image.config, 8 << 20)?;
    let config = ImageConfig::parse(&config_raw).map_err(|e| e.to_string())?;
    let diff_ids = config.rootfs.diff_ids.clone();
    if diff_ids.len() != image.layers.len() {
        return Err(format!(
            "invalid manifest: {} layers for {} diff IDs in the config",
            image.layers.len(),
            diff_ids.len()
        ));
    }
    let image_id = Digest::of_bytes(&config_raw);
    let was_present = daemon
        .store()
        .read(|tx| tx.get_raw(Table::Images, &image_id.to_string()))
        .map_err(|e| e.to_string())?
        .is_some();
    let content = daemon.images().content();
    let mut missing = Vec::new();
    for (layer, diff_id) in image.layers.iter().zip(&diff_ids) {
        if content.layer(diff_id).is_ok() {
            sent(send(layer_message("Already exists", &layer.digest)))?;
        } else {
            sent(send(layer_message("Pulling fs layer", &layer.digest)))?;
            missing.push((layer, diff_id));
        }
    }
    for (layer, diff_id) in missing {
        let temp = content.temp_path("blob");
        let stored = download_layer(plan, layer, &temp, send).and_then(|file| {
            let _guard = daemon.images().lock();
            extract_layer(daemon, file, layer, diff_id, send)?;
            // Kept, so that a push sends these very bytes.
            content
                .keep_blob(diff_id, &temp, &layer.digest)
                .map_err(|e| e.to_string())
        });
        let _ = fs::remove_file(&temp);
        stored?;
    }
    let record = {
        let _guard = daemon.images().lock();
        let record = daemon
            .images()
            .commit_pulled(config_raw)
            .map_err(|e| image_error(e).message)?;
        content
            .put_manifest(&record.id, &manifest_bytes)
            .map_err(|e| e.to_string())?;
        publish(daemon, plan, record).map_err(|e| e.message)?
    };
    let familiar = plan.reference.familiar();
    daemon.log_image_event(&record.id.to_string(), &familiar, "pull");
    let status = if was_present {
        format!("Status: Image is up to date for {familiar}")
    } else {
        format!("Status: Downloaded newer image for {familiar}")
    };
    Ok(vec![
        ProgressMessage::status(format!("Digest: {}", plan.top_digest)),
        ProgressMessage::status(status),
    ])
}

/// A small blob (the config) read whole and verified.
fn read_blob(plan: &PullPlan, digest: &Digest, limit: u64) -> Result<Vec<u8>, String> {
    let mut fetched = plan.repository.blob(digest).map_err(|e| e.message)?;
    let mut bytes = Vec::new();
    (&mut fetched.response.body)
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read blob {digest}: {e}"))?;
    let actual = Digest::of_bytes(&bytes);
    if &actual != digest {
        return Err(format!(
            "digest mismatch for blob {digest}: its content has digest {actual}"
        ));
    }
    Ok(bytes)
}

fn downloading(digest: &Digest, current: u64, total: u64) -> ProgressMessage {
    ProgressMessage {
        progress_detail: Some(ProgressDetail {
            current: current as i64,
            total: total as i64,
        }),
        progress: Some(progress_bar(current, total)),
        ..layer_message("Downloading", digest)
    }
}

/// Streams a layer blob into a new temp file while hashing it, syncs it
/// and checks its digest and size; the file is returned at its start.
fn download_layer(
    plan: &PullPlan,
    layer: &manifest::Layer,
    temp: &Path,
    send: &mut Send<'_>,
) -> Result<File, String> {
    let mut fetched = plan.repository.blob(&layer.digest).map_err(|e| e.message)?;
    let total = fetched.content_length().unwrap_or(layer.size);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|e| format!("create {}: {e}", temp.display()))?;
    let mut hashing = crate::image::digest::HashingWriter::new(file);
    let mut buffer = vec![0u8; BUFFER];
    let mut current = 0u64;
    let mut last_sent = std::time::Instant::now();
    loop {
        let n = match fetched.response.body.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("read blob {}: {e}", layer.digest)),
        };
        hashing
            .write_all(&buffer[..n])
            .map_err(|e| format!("write {}: {e}", temp.display()))?;
        current += n as u64;
        if last_sent.elapsed() >= std::time::Duration::from_millis(100) || current == total {
            sent(send(downloading(&layer.digest, current, total)))?;
            last_sent = std::time::Instant::now();
        }
    }
    sent(send(layer_message("Verifying Checksum", &layer.digest)))?;
    let (mut file, actual, size) = hashing.finish();
    if actual != layer.digest || (layer.size != 0 && size != layer.size) {
        return Err(format!(
            "filesystem layer verification failed for digest {}: got {actual} ({size} bytes)",
            layer.digest
        ));
    }
    file.sync_all()
        .and_then(|()| file.rewind())
        .map_err(|e| format!("fsync {}: {e}", temp.display()))?;
    sent(send(layer_message("Download complete", &layer.digest)))?;
    Ok(file)
}

/// Stores the layer (the store checks and syncs it) and checks its diff ID.
fn extract_layer(
    daemon: &Daemon,
    file: File,
    layer: &manifest::Layer,
    diff_id: &Digest,
    send: &mut Send<'_>,
) -> Result<(), String> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    sent(send(ProgressMessage {
        progress_detail: Some(ProgressDetail {
            current: size as i64,
            total: size as i64,
        }),
        progress: Some(progress_bar(size, size)),
        ..layer_message("Extracting", &layer.digest)
    }))?;
    let stored = daemon
        .images()
        .content()
        .put_layer(
            io::BufReader::with_capacity(BUFFER, file),
            LayerExtent::WholeStream,
        )
        .map_err(|e| format!("extract layer {}: {e}", layer.digest))?;
    if &stored.diff_id != diff_id {
        let _ = daemon.images().content().remove_layer(&stored.diff_id);
        return Err(format!(
            "layers from manifest don't match image configuration: layer {} has diff ID {}, the config says {diff_id}",
            layer.digest, stored.diff_id
        ));
    }
    sent(send(layer_message("Pull complete", &layer.digest)))
}

/// One transaction: the image record, its tag (when pulled by tag) and
/// its repository digest.
fn publish(daemon: &Daemon, plan: &PullPlan, record: ImageRecord) -> Result<ImageRecord, ApiError> {
    let id = record.id.to_string();
    let by_digest =
        Reference::parse_normalized(&format!("{}@{}", plan.reference.name(), plan.top_digest))
            .map_err(|e| ApiError::internal(e.to_string()))?;
    daemon
        .store()
        .write(|tx| {
            let existing: Option<StoredImage> = tx.get(Table::Images, &id)?;
            let stored = StoredImage {
                record: record.clone(),
                parent: None,
                last_tag_time: existing.and_then(|e| e.last_tag_time),
            };
            tx.put(Table::Images, &id, &stored)?;
            if plan.reference.tag().is_some() {
                tx.put_raw(Table::Tags, &plan.reference.to_string(), id.as_bytes())?;
            }
            tx.put_raw(Table::Tags, &by_digest.to_string(), id.as_bytes())?;
            Ok(())
        })
        .map_err(store_error)?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_references_as_moby_reads_from_image_and_tag() {
        let text = |image: &str, tag: &str| pull_reference(image, tag).map(|r| r.to_string());
        assert_eq!(
            text("busybox", "").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            text("busybox", "1.36").unwrap(),
            "docker.io/library/busybox:1.36"
        );
        assert_eq!(
            text("localhost:5000/x", "v1").unwrap(),
            "localhost:5000/x:v1"
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            text("busybox", &digest).unwrap(),
            format!("docker.io/library/busybox@{digest}")
        );
        assert_eq!(
            pull_reference("busybox", "bad tag!").unwrap_err().message,
            "invalid tag format"
        );
        assert!(pull_reference("UPPER", "").is_err());
    }
}
