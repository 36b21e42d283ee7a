//! What containers take on disk: each container's writable layer and its
//! image, for `ps -s`, `inspect -s` and the containers part of
//! `/system/df`.

use super::record::ContainerRecord;
use super::view;
use crate::api::ApiError;
use crate::daemon::errors::store_error;
use crate::daemon::state::Daemon;
use std::collections::HashMap;

/// The containers part of `GET /system/df`: every container as `ps -a
/// -s` lists it, newest first.
pub fn disk_usage(
    daemon: &Daemon,
) -> Result<Vec<crate::api::container_view::ContainerSummary>, ApiError> {
    let mut records: Vec<ContainerRecord> = daemon
        .store()
        .list_containers()
        .map_err(store_error)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    records.sort_by_key(|record| std::cmp::Reverse(record.created));
    let now = crate::gofmt::time::now_nanos();
    let image_sizes = image_sizes(daemon);
    Ok(records
        .iter()
        .map(|record| {
            let mut summary = view::summary(record, now);
            (summary.size_rw, summary.size_root_fs) = sizes(daemon, record, &image_sizes);
            summary
        })
        .collect())
}

/// Each image's size by ID, read once for a listing with sizes.
pub fn image_sizes(daemon: &Daemon) -> HashMap<String, i64> {
    crate::daemon::image_service::Catalog::read(daemon.store())
        .map(|catalog| {
            catalog
                .images
                .iter()
                .map(|(id, image)| (id.to_string(), image.record.size as i64))
                .collect()
        })
        .unwrap_or_default()
}

/// SizeRw and SizeRootFs: the bytes the container's writable layer holds
/// (0 before its first start made it) and that plus its image's size.
pub fn sizes(
    daemon: &Daemon,
    record: &ContainerRecord,
    image_sizes: &HashMap<String, i64>,
) -> (i64, i64) {
    let rw = daemon
        .images()
        .rootfs_changes_size(&record.id)
        .map_or(0, |size| size as i64);
    let image = image_sizes.get(&record.image_id).copied().unwrap_or(0);
    (rw, rw + image)
}
