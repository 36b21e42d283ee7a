//! The classic builder's cache: a step is a hit when an image exists
//! whose parent is the current image and whose container config (the
//! step's `Cmd`, with what else moby's `compare` checks) equals the one
//! the step would record. Cached images are the intermediate images
//! themselves; there is no separate store.

use crate::api::container::ContainerConfig;
use crate::daemon::image_service::Catalog;
use crate::daemon::state::Daemon;
use crate::image::Digest;
use serde_json::Value;

/// The fields moby's `image/cache/compare.go` compares.
const COMPARED: &[&str] = &[
    "Cmd",
    "Env",
    "Entrypoint",
    "ExposedPorts",
    "Volumes",
    "Labels",
    "OnBuild",
    "Shell",
    "User",
    "WorkingDir",
];

fn empty_as_null(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Array(a)) if a.is_empty() => Value::Null,
        Some(Value::Object(o)) if o.is_empty() => Value::Null,
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(other) => other.clone(),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    COMPARED
        .iter()
        .all(|key| empty_as_null(a.get(key)) == empty_as_null(b.get(key)))
}

/// The newest child of `parent` made by the same step, if any.
pub fn find(
    daemon: &Daemon,
    parent: &str,
    probe: &ContainerConfig,
    config: &ContainerConfig,
) -> Option<String> {
    let parent = Digest::parse(parent).ok()?;
    let probe = serde_json::to_value(probe).ok()?;
    let config = serde_json::to_value(config).ok()?;
    let catalog = Catalog::read(daemon.store()).ok()?;
    let mut best: Option<(String, String)> = None;
    for (id, image) in &catalog.images {
        if image.parent.as_ref() != Some(&parent) {
            continue;
        }
        let Ok(raw) = daemon.images().content().config(id) else {
            continue;
        };
        let Ok(stored) = serde_json::from_slice::<Value>(&raw) else {
            continue;
        };
        let (Some(container_config), Some(own)) =
            (stored.get("container_config"), stored.get("config"))
        else {
            continue;
        };
        if !same(container_config, &probe) || !same(own, &config) {
            continue;
        }
        let created = stored
            .get("created")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if best.as_ref().is_none_or(|(when, _)| created > *when) {
            best = Some((created, id.to_string()));
        }
    }
    best.map(|(_, id)| id)
}
