//! Reading images: `GET /images/json`, inspect and history.

use super::filters::{glob_match, match_labels, parse_timestamp};
use crate::api::image::{GraphDriverData, HistoryItem, ImageInspect, ImageMetadata, ImageRootFs};
use crate::api::{ApiError, ApiVersion};
use crate::daemon::errors::image_error;
use crate::daemon::image_service::{Catalog, StoredImage, shared_sizes, summary};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::image::Digest;

const LIST_FILTERS: &[&str] = &["before", "dangling", "label", "reference", "since", "until"];

/// Go's zero time, moby's LastTagTime of an image never tagged.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn version_below(version: &ApiVersion, minor: u32) -> bool {
    *version < ApiVersion::new(1, minor)
}

fn created_seconds(image: &StoredImage) -> Option<f64> {
    image
        .record
        .config
        .created
        .as_deref()
        .and_then(crate::gofmt::time::parse_rfc3339)
        .map(|time| time.seconds)
        .map(|seconds| seconds as f64)
}

/// moby's `dangling` filter value: true, false, or a 400.
pub fn dangling_filter(filters: &crate::api::Filters, default: bool) -> Result<bool, ApiError> {
    let values = filters.get("dangling");
    if values.is_empty() {
        return Ok(default);
    }
    let parse = |value: &str| match value.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    };
    let parsed: Vec<Option<bool>> = values.iter().map(|v| parse(v)).collect();
    match parsed.first() {
        Some(Some(first)) if parsed.iter().all(|p| *p == Some(*first)) => Ok(*first),
        _ => Err(ApiError::invalid(format!(
            "invalid filter 'dangling=[{}]'",
            values.join(" ")
        ))),
    }
}

/// Whether `reference` passes the `reference` filter patterns, matched
/// against its familiar and full forms with and without the tag.
fn reference_matches(
    patterns: &[String],
    reference: &crate::image::Reference,
) -> Result<bool, ApiError> {
    let with_tag = match reference.tag() {
        Some(_) => reference.clone(),
        None => reference
            .with_tag("latest")
            .unwrap_or_else(|_| reference.clone()),
    };
    let targets = [
        reference.familiar(),
        reference.familiar_name(),
        with_tag.to_string(),
        reference.name(),
    ];
    for pattern in patterns {
        for target in &targets {
            if glob_match(pattern, target)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

pub fn list_images(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    filters.validate(LIST_FILTERS)?;
    let all = call.query.bool("all");
    let catalog = Catalog::read(daemon.store())?;
    let dangling_only = dangling_filter(&filters, false)?;

    let mut before: Option<f64> = None;
    for name in filters.get("before") {
        if let Some(created) = created_seconds(catalog.find(name)?) {
            before = Some(before.map_or(created, |b: f64| b.min(created)));
        }
    }
    let now = std::time::SystemTime::now();
    for value in filters.get("until") {
        let until = parse_timestamp(value, now)?;
        before = Some(before.map_or(until, |b| b.min(until)));
    }
    let mut since: Option<f64> = None;
    for name in filters.get("since") {
        if let Some(created) = created_seconds(catalog.find(name)?) {
            since = Some(since.map_or(created, |s: f64| s.max(created)));
        }
    }

    let patterns = filters.get("reference");
    let with_virtual_size = version_below(&call.version, 44);
    let legacy_none = version_below(&call.version, 43);
    let mut summaries = Vec::new();
    for image in catalog.images.values() {
        let created = created_seconds(image);
        if before.is_some_and(|b| created.is_none_or(|c| c >= b)) {
            continue;
        }
        if since.is_some_and(|s| created.is_none_or(|c| c <= s)) {
            continue;
        }
        if filters.contains("label") {
            let labels = image
                .record
                .config
                .config
                .as_ref()
                .and_then(|c| c.labels.as_ref());
            if !match_labels(&filters, "label", labels) {
                continue;
            }
        }
        let mut entry = summary(image, &catalog, with_virtual_size);
        if !patterns.is_empty() {
            entry.repo_tags.clear();
            entry.repo_digests.clear();
            for reference in catalog.references(&image.record.id) {
                if !reference_matches(patterns, reference)? {
                    continue;
                }
                if reference.digest().is_some() {
                    entry.repo_digests.push(reference.familiar());
                }
                if reference.tag().is_some() {
                    entry.repo_tags.push(reference.familiar());
                }
            }
        }
        let untagged = entry.repo_tags.is_empty() && entry.repo_digests.is_empty();
        if untagged {
            // Untagged parents of committed images show only with `all`.
            if !all && catalog.has_children(&image.record.id) {
                continue;
            }
            if (filters.contains("dangling") && !dangling_only) || !patterns.is_empty() {
                continue;
            }
            if legacy_none {
                entry.repo_tags = vec!["<none>:<none>".to_string()];
                entry.repo_digests = vec!["<none>@<none>".to_string()];
            }
        } else if dangling_only && !entry.repo_tags.is_empty() {
            continue;
        }
        summaries.push(entry);
    }
    // `shared-size` arrived with API 1.42.
    if !version_below(&call.version, 42) && call.query.bool("shared-size") {
        let shared = shared_sizes(&catalog);
        for entry in &mut summaries {
            entry.shared_size = shared.get(&entry.id).copied().unwrap_or(0);
        }
    }
    // Newest first, as moby sorts them.
    summaries.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
    if legacy_none {
        // Before 1.43 moby left an empty list of a tagged image nil.
        let mut values = serde_json::to_value(&summaries)
            .map_err(|e| ApiError::internal(format!("encode response: {e}")))?;
        for value in values.as_array_mut().into_iter().flatten() {
            for key in ["RepoTags", "RepoDigests"] {
                if value[key].as_array().is_some_and(Vec::is_empty) {
                    value[key] = serde_json::Value::Null;
                }
            }
        }
        return Reply::json(200, &values);
    }
    Reply::json(200, &summaries)
}

/// The image's `config` object as moby's inspect shows it at `version`:
/// the image's own fields, plus the fields older APIs always sent.
fn inspect_config(raw: &[u8], version: &ApiVersion) -> serde_json::Value {
    let document: serde_json::Value = serde_json::from_slice(raw).unwrap_or_default();
    let mut config = match document.get("config") {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    const IMAGE_FIELDS: &[&str] = &[
        "User",
        "ExposedPorts",
        "Env",
        "Entrypoint",
        "Cmd",
        "Volumes",
        "WorkingDir",
        "Labels",
        "StopSignal",
        "ArgsEscaped",
        "Healthcheck",
        "OnBuild",
        "Shell",
    ];
    let null = serde_json::Value::Null;
    let empty = || serde_json::Value::String(String::new());
    let legacy: Vec<(&str, serde_json::Value)> = if version_below(version, 50) {
        vec![
            ("AttachStderr", false.into()),
            ("AttachStdin", false.into()),
            ("AttachStdout", false.into()),
            ("Cmd", null.clone()),
            ("Domainname", empty()),
            ("Entrypoint", null.clone()),
            ("Env", null.clone()),
            ("Hostname", empty()),
            ("Image", empty()),
            ("Labels", null.clone()),
            ("OnBuild", null.clone()),
            ("OpenStdin", false.into()),
            ("StdinOnce", false.into()),
            ("Tty", false.into()),
            ("User", empty()),
            ("Volumes", null.clone()),
            ("WorkingDir", empty()),
        ]
    } else {
        config.retain(|key, _| IMAGE_FIELDS.contains(&key.as_str()));
        vec![
            ("Cmd", null.clone()),
            ("Entrypoint", null.clone()),
            ("Env", null.clone()),
            ("Labels", null.clone()),
            ("OnBuild", null.clone()),
            ("User", empty()),
            ("Volumes", null),
            ("WorkingDir", empty()),
        ]
    };
    for (key, value) in legacy {
        config.entry(key.to_string()).or_insert(value);
    }
    serde_json::Value::Object(config)
}

pub fn inspect(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let name = call.param("name")?.to_string();
    let catalog = Catalog::read(daemon.store())?;
    let image = catalog.find(&name)?;
    let record = &image.record;
    let config = &record.config;
    let (repo_tags, repo_digests) = catalog.repo_tags_and_digests(&record.id);
    let comment = if config.comment.is_empty() {
        config
            .history
            .last()
            .map(|h| h.comment.clone())
            .unwrap_or_default()
    } else {
        config.comment.clone()
    };
    let data = daemon
        .images()
        .graph_driver_data(None, &record.id)
        .map_err(image_error)?
        .into_iter()
        .collect();
    let size = record.size as i64;
    let body = ImageInspect {
        id: record.id.to_string(),
        repo_tags,
        repo_digests,
        parent: image
            .parent
            .as_ref()
            .map(Digest::to_string)
            .unwrap_or_default(),
        comment,
        created: config.created.clone(),
        docker_version: config.docker_version.clone(),
        author: config.author.clone(),
        config: inspect_config(&record.config_raw, &call.version),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
        os: if config.os.is_empty() {
            "linux".to_string()
        } else {
            config.os.clone()
        },
        size,
        virtual_size: version_below(&call.version, 44).then_some(size),
        graph_driver: GraphDriverData {
            name: daemon.images().driver_kind().name().to_string(),
            data,
        },
        root_fs: ImageRootFs {
            kind: "layers".to_string(),
            layers: record.diff_ids.iter().map(Digest::to_string).collect(),
        },
        metadata: ImageMetadata {
            last_tag_time: image
                .last_tag_time
                .clone()
                .unwrap_or_else(|| ZERO_TIME.to_string()),
        },
    };
    if version_below(&call.version, 45) {
        let mut value = serde_json::to_value(&body)
            .map_err(|e| ApiError::internal(format!("encode response: {e}")))?;
        let document: serde_json::Value =
            serde_json::from_slice(&record.config_raw).unwrap_or_default();
        value["Container"] = document.get("container").cloned().unwrap_or("".into());
        value["ContainerConfig"] = document
            .get("container_config")
            .cloned()
            .unwrap_or_else(|| inspect_config(b"{}", &call.version));
        if value.get("Created").is_none() {
            value["Created"] = ZERO_TIME.into();
        }
        return Reply::json(200, &value);
    }
    Reply::json(200, &body)
}

pub fn history(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let name = call.param("name")?.to_string();
    let catalog = Catalog::read(daemon.store())?;
    let image = catalog.find(&name)?;
    let record = &image.record;
    let mut items = Vec::new();
    let mut layer = 0;
    for entry in &record.config.history {
        let mut size = 0;
        if !entry.empty_layer {
            size =
                *record.layer_sizes.get(layer).ok_or_else(|| {
                    ApiError::internal("too many non-empty layers in History section")
                })? as i64;
            layer += 1;
        }
        items.push(HistoryItem {
            id: "<missing>".to_string(),
            created: entry
                .created
                .as_deref()
                .and_then(crate::gofmt::time::parse_rfc3339)
                .map(|time| time.seconds)
                .unwrap_or(0),
            created_by: entry.created_by.clone(),
            tags: None,
            size,
            comment: entry.comment.clone(),
        });
    }
    items.reverse();
    // As moby: the newest entry is this image, each older one its parent
    // (a commit's) while the chain lasts; the rest are history whose
    // images this daemon never had.
    let mut current = Some(image);
    for item in items.iter_mut() {
        let Some(shown) = current else {
            break;
        };
        item.id = shown.record.id.to_string();
        let (tags, _) = catalog.repo_tags_and_digests(&shown.record.id);
        item.tags = (!tags.is_empty()).then_some(tags);
        current = shown.parent.as_ref().and_then(|id| catalog.images.get(id));
    }
    Reply::json(200, &items)
}
