//! `docker system df`: the summary table of images, containers, volumes
//! and build cache, from `GET /system/df`.

use super::{Session, print};
use crate::api::types::{ContainerUsage, DiskUsage, VolumeUsage};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::template::Value;

/// A row of the summary as its templates see it (and its header).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct UsageRow {
    #[serde(rename = "Type")]
    kind: String,
    total_count: String,
    active: String,
    size: String,
    reclaimable: String,
}

impl UsageRow {
    fn value(&self) -> Value {
        Value::Data(serde_json::to_value(self).expect("strings encode"))
    }
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
    let df: DiskUsage = session.client.get("/system/df")?;
    let images = df.images.unwrap_or_default();
    let containers = df.containers.unwrap_or_default();
    let volumes = df.volumes.unwrap_or_default();
    let cache = df.build_cache.unwrap_or_default();
    let size = |n: i64| crate::gofmt::size::human_size(n as f64);
    let reclaim = |reclaimable: i64, total: i64| {
        if total > 0 {
            format!("{} ({}%)", size(reclaimable), reclaimable * 100 / total)
        } else {
            size(reclaimable)
        }
    };
    let layers = df.layers_size;
    let active_images = images.iter().filter(|i| i.containers > 0).count();
    let image_reclaim: i64 = layers
        - images
            .iter()
            .filter(|i| i.containers > 0)
            .map(|i| i.size - i.shared_size.max(0))
            .sum::<i64>();
    let live =
        |c: &&ContainerUsage| matches!(c.state.as_str(), "running" | "paused" | "restarting");
    let running = containers.iter().filter(live).count();
    let container_size: i64 = containers.iter().map(|c| c.size_rw).sum();
    let container_reclaim: i64 = containers
        .iter()
        .filter(|c| !live(c))
        .map(|c| c.size_rw)
        .sum();
    let usage = |v: &VolumeUsage| v.usage_data.clone().unwrap_or_default();
    let volume_size: i64 = volumes.iter().map(|v| usage(v).size.max(0)).sum();
    let active_volumes = volumes.iter().filter(|v| usage(v).ref_count > 0).count();
    let volume_reclaim: i64 = volumes
        .iter()
        .filter(|v| usage(v).ref_count == 0)
        .map(|v| usage(v).size.max(0))
        .sum();
    let cache_size: i64 = cache.iter().map(|c| c.size).sum();
    let active_cache = cache.iter().filter(|c| c.in_use).count();
    let cache_reclaim: i64 = cache
        .iter()
        .filter(|c| !c.in_use && !c.shared)
        .map(|c| c.size)
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
    let header = UsageRow {
        kind: "TYPE".into(),
        total_count: "TOTAL".into(),
        active: "ACTIVE".into(),
        size: "SIZE".into(),
        reclaimable: "RECLAIMABLE".into(),
    }
    .value();
    let values: Vec<Value> = rows
        .iter()
        .map(|(kind, total, active, size, reclaimable)| {
            UsageRow {
                kind: kind.to_string(),
                total_count: total.to_string(),
                active: active.to_string(),
                size: size.clone(),
                reclaimable: reclaimable.clone(),
            }
            .value()
        })
        .collect();
    let out = crate::applets::docker::format::render(format, &header, &values)
        .map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}
