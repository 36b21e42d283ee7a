//! `docker system df`: the summary table of images, containers, volumes
//! and build cache, from `GET /system/df`.

use super::{Session, print};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::template::Value;
use serde_json::{Value as Json, json};

fn text<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// `docker system df`: the summary table of images, containers, volumes
/// and build cache.
pub fn disk_usage(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.is_true("verbose") {
        return Err(Failure::new(
            1,
            "docker system df --verbose is not supported by dockbox's client yet",
        ));
    }
    let df = session.client.get_json("/system/df")?;
    let list = |key: &str| {
        df.get(key)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let images = list("Images");
    let containers = list("Containers");
    let volumes = list("Volumes");
    let cache = list("BuildCache");
    let int = |j: &Json, k: &str| j.get(k).and_then(Json::as_i64).unwrap_or_default();
    let size = |n: i64| crate::gofmt::size::human_size(n as f64);
    let reclaim = |reclaimable: i64, total: i64| {
        if total > 0 {
            format!("{} ({}%)", size(reclaimable), reclaimable * 100 / total)
        } else {
            size(reclaimable)
        }
    };
    let layers = int(&df, "LayersSize");
    let active_images = images.iter().filter(|i| int(i, "Containers") > 0).count();
    let image_reclaim: i64 = layers
        - images
            .iter()
            .filter(|i| int(i, "Containers") > 0)
            .map(|i| int(i, "Size") - int(i, "SharedSize").max(0))
            .sum::<i64>();
    let running = containers
        .iter()
        .filter(|c| matches!(text(c, "State"), "running" | "paused" | "restarting"))
        .count();
    let container_size: i64 = containers.iter().map(|c| int(c, "SizeRw")).sum();
    let container_reclaim: i64 = containers
        .iter()
        .filter(|c| !matches!(text(c, "State"), "running" | "paused" | "restarting"))
        .map(|c| int(c, "SizeRw"))
        .sum();
    let volume_size: i64 = volumes
        .iter()
        .map(|v| {
            v.get("UsageData")
                .map(|u| int(u, "Size"))
                .unwrap_or(0)
                .max(0)
        })
        .sum();
    let active_volumes = volumes
        .iter()
        .filter(|v| v.get("UsageData").map(|u| int(u, "RefCount")).unwrap_or(0) > 0)
        .count();
    let volume_reclaim: i64 = volumes
        .iter()
        .filter(|v| v.get("UsageData").map(|u| int(u, "RefCount")).unwrap_or(0) == 0)
        .map(|v| {
            v.get("UsageData")
                .map(|u| int(u, "Size"))
                .unwrap_or(0)
                .max(0)
        })
        .sum();
    let cache_size: i64 = cache.iter().map(|c| int(c, "Size")).sum();
    let active_cache = cache
        .iter()
        .filter(|c| c.get("InUse").and_then(Json::as_bool).unwrap_or(false))
        .count();
    let cache_reclaim: i64 = cache
        .iter()
        .filter(|c| !c.get("InUse").and_then(Json::as_bool).unwrap_or(false))
        .filter(|c| !c.get("Shared").and_then(Json::as_bool).unwrap_or(false))
        .map(|c| int(c, "Size"))
        .sum();
    let rows = [
        (
            "Images",
            images.len(),
            active_images,
            size(layers),
            reclaim(image_reclaim, layers),
        ),
        (
            "Containers",
            containers.len(),
            running,
            size(container_size),
            reclaim(container_reclaim, container_size),
        ),
        (
            "Local Volumes",
            volumes.len(),
            active_volumes,
            size(volume_size),
            reclaim(volume_reclaim, volume_size),
        ),
        (
            "Build Cache",
            cache.len(),
            active_cache,
            size(cache_size),
            size(cache_reclaim),
        ),
    ];
    let format = parsed.value("format").unwrap_or_default();
    let format = if format.is_empty() {
        "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
    } else {
        format
    };
    let header = Value::Data(json!({
        "Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE",
        "Size": "SIZE", "Reclaimable": "RECLAIMABLE",
    }));
    let values: Vec<Value> = rows
        .iter()
        .map(|(kind, total, active, size, reclaimable)| {
            Value::Data(json!({
                "Type": kind, "TotalCount": total.to_string(), "Active": active.to_string(),
                "Size": size, "Reclaimable": reclaimable,
            }))
        })
        .collect();
    let out = crate::applets::docker::format::render(format, &header, &values)
        .map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}
