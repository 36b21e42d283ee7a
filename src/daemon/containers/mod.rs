//! The container endpoints that need no running process (create, list,
//! inspect, delete, rename and prune) and the route table of every
//! container endpoint. The routes live here and in `attach`, `exec`,
//! `lifecycle`, `manage`, `stats` and `update`; the other files are the container
//! services below them (records and their changes, the shims, the OCI
//! spec, lookups, sizes), which no route module of another resource needs
//! to reach through a route.

pub mod attach;
pub mod caps;
pub mod change;
pub mod commit;
pub mod create;
pub mod dead_shim;
pub mod diff;
pub mod exec;
pub mod exec_store;
pub mod files;
pub mod lifecycle;
pub mod list;
pub mod lookup;
pub mod manage;
pub mod names;
pub mod record;
pub mod remove;
pub mod seccomp;
pub mod shim_requests;
pub mod shim_table;
pub mod shims;
pub mod signal;
pub mod spec;
pub mod spec_error;
pub mod spec_mounts;
pub mod spec_settings;
pub mod stats;
pub mod update;
pub mod usage;
pub mod user;

pub mod validate;
pub mod view;
pub mod volume_mounts;

use super::errors::store_error;
use super::route::{Call, Reply, Route};
use crate::api::container::CreateResponse;
use crate::api::{ApiError, Router};
use crate::daemon::state::Daemon;
use create::CreateContext;
use lookup::ImageLookup;
use record::ContainerRecord;
use serde_json::Value;
use usage::{image_sizes, sizes};

pub fn routes(router: &mut Router<Route>) {
    router
        .add("POST", "/containers/create", create_route)
        .add("GET", "/containers/json", list_route)
        .add("GET", "/containers/{id}/json", inspect_route)
        .add("DELETE", "/containers/{id}", delete_route)
        .add("POST", "/containers/{id}/rename", rename_route)
        .add("POST", "/containers/prune", prune_route)
        .add("POST", "/commit", commit::commit_route)
        .add("GET", "/containers/{id}/changes", diff::changes_route)
        .add("GET", "/containers/{id}/export", diff::export_route)
        .add("POST", "/containers/{id}/start", lifecycle::start_route)
        .add("POST", "/containers/{id}/stop", lifecycle::stop_route)
        .add("POST", "/containers/{id}/restart", lifecycle::restart_route)
        .add("POST", "/containers/{id}/kill", lifecycle::kill_route)
        .add("POST", "/containers/{id}/wait", lifecycle::wait_route)
        .add("POST", "/containers/{id}/resize", lifecycle::resize_route)
        .add("POST", "/containers/{id}/attach", attach::attach_route)
        .add("GET", "/containers/{id}/logs", attach::logs_route)
        .add("POST", "/containers/{id}/pause", manage::pause_route)
        .add("POST", "/containers/{id}/unpause", manage::unpause_route)
        .add("GET", "/containers/{id}/top", manage::top_route)
        .add("GET", "/containers/{id}/stats", stats::stats_route)
        .add("POST", "/containers/{id}/update", update::update_route)
        .add("POST", "/containers/{id}/exec", exec::create_route)
        .add("POST", "/exec/{id}/start", exec::start_route)
        .add("POST", "/exec/{id}/resize", exec::resize_route)
        .add("GET", "/exec/{id}/json", exec::inspect_route);
}

fn create_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let body: Option<Value> = call.read_json()?;
    let request = create::decode_create_body(body)?;
    let images = daemon.image_lookup();
    let ctx = CreateContext {
        store: daemon.store(),
        images: &images,
        data_root: &daemon.config().data_root,
        storage_driver: daemon.storage_driver(),
        facts: validate::HostFacts {
            ncpu: super::host::ncpu(),
            cgroup_v2: super::host::cgroup_facts().version == "2",
            blkio_weight: super::host::blkio_weight_supported(),
        },
        host_name: super::host::hostname(),
        log_driver: daemon.config().log_driver.clone(),
        log_opts: daemon.config().log_opts.clone(),
    };
    let name = call.query.get("name").unwrap_or("").to_string();
    let (record, warnings) = create::create_container(&ctx, &name, request)?;
    daemon.log_container_event(&record, "create", &[]);
    super::log::info(&format!(
        "container {} created as /{}",
        record.id, record.name
    ));
    Reply::json(
        201,
        &CreateResponse {
            id: record.id,
            warnings,
        },
    )
}

fn list_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let limit = call.query.int("limit")?;
    let images: &dyn ImageLookup = &daemon.image_lookup();
    let selection = list::Selection::new(
        daemon.store(),
        images,
        call.query.bool("all"),
        limit,
        filters,
    )?;
    let records: Vec<ContainerRecord> = daemon
        .store()
        .list_containers()
        .map_err(store_error)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    let now = crate::gofmt::time::now_nanos();
    let with_size = call.query.bool("size");
    let image_sizes = if with_size {
        image_sizes(daemon)
    } else {
        Default::default()
    };
    let summaries: Vec<_> = selection
        .apply(records)
        .iter()
        .map(|record| {
            let mut summary = view::summary(record, now);
            if with_size {
                let (rw, root) = sizes(daemon, record, &image_sizes);
                summary.size_rw = rw;
                summary.size_root_fs = root;
            }
            summary
        })
        .collect();
    Reply::json(200, &summaries)
}

fn inspect_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let mut shown = view::inspect(&record, &daemon.config().data_root);
    if call.query.bool("size") {
        let (rw, root) = sizes(daemon, &record, &image_sizes(daemon));
        shown.size_rw = Some(rw);
        shown.size_root_fs = Some(root);
    }
    Reply::json(200, &shown)
}

fn delete_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let force = call.query.strict_bool("force", false)?;
    let remove_volumes = call.query.strict_bool("v", false)?;
    let what = call.param("id")?;
    if call.query.strict_bool("link", false)? {
        return Err(remove::remove_link(what));
    }
    remove::remove_container(daemon, what, force, remove_volumes)?;
    Ok(Reply::Response(crate::http::Response::empty(204)))
}

fn rename_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let new_name = call.query.get("name").unwrap_or("").to_string();
    let record = daemon.find_container(call.param("id")?)?;
    let (old_name, renamed) = remove::rename_container(daemon.store(), &record.id, &new_name)?;
    daemon.log_container_event(&renamed, "rename", &[("oldName", format!("/{old_name}"))]);
    Ok(Reply::Response(crate::http::Response::empty(204)))
}

fn prune_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let report = remove::prune(daemon, &filters, crate::gofmt::time::now_nanos())?;
    daemon.log_prune_event(crate::api::events::CONTAINER, report.space_reclaimed);
    Reply::json(200, &report)
}

#[cfg(test)]
mod spec_tests;
#[cfg(test)]
mod tests;
