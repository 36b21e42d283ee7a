//! Changing names and removing images: `docker tag`, `docker rmi` with
//! moby's untag-or-delete rules and conflicts, and `docker image prune`.
//! Each change is decided on one snapshot under the image lock, written in
//! one transaction, and only then are files removed (a crash in between
//! leaves files that the start-up collection removes).

use super::filters::{match_labels, parse_timestamp};
use super::list::dangling_filter;
use crate::api::image::{DeleteItem, ImagePruneReport};
use crate::api::{ApiError, ErrorKind};
use crate::daemon::errors::{image_error, store_error};
use crate::daemon::image_service::{Catalog, ContainerUse, ImageService};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::image::{Digest, Reference};
use crate::store::Table;
use std::collections::HashSet;

/// What one delete does, decided before anything changes.
#[derive(Debug, Default)]
struct Plan {
    items: Vec<DeleteItem>,
    untag: Vec<Reference>,
    delete_image: Option<Digest>,
    /// The image whose config goes, with the layers no one else uses;
    /// None while a container still needs its files.
    files: Option<(Digest, Vec<Digest>)>,
    reclaimed: u64,
}

fn short_container(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// `docker rmi NAME` names the image by ID when NAME is a prefix of it.
fn is_id_prefix(id: &Digest, name: &str) -> bool {
    !name.is_empty() && (id.to_string().starts_with(name) || id.hex().starts_with(name))
}

/// moby's isSingleReference: one tag, possibly with digests of the same
/// repository.
fn is_single_reference(references: &[Reference]) -> bool {
    if references.len() <= 1 {
        return references.len() == 1;
    }
    let mut single: Option<&Reference> = None;
    let mut canonical_names = HashSet::new();
    for reference in references {
        if reference.digest().is_some() {
            canonical_names.insert(reference.name());
        } else if single.is_none() {
            single = Some(reference);
        } else {
            return false;
        }
    }
    let single = single.unwrap_or(&references[0]);
    canonical_names.len() == 1 && canonical_names.contains(&single.name())
}

struct Conflict {
    hard: bool,
    used: bool,
    message: String,
}

const HARD: u8 = 1;
const ACTIVE_REFERENCE: u8 = 2;
const STOPPED_CONTAINER: u8 = 4;
const SOFT: u8 = ACTIVE_REFERENCE | STOPPED_CONTAINER;

/// moby's checkImageDeleteConflict; `has_children`: images committed
/// from this one exist.
fn check_conflict(
    users: &[&ContainerUse],
    references: &[Reference],
    has_children: bool,
    mask: u8,
) -> Option<Conflict> {
    if mask & HARD != 0 && has_children {
        return Some(Conflict {
            hard: true,
            used: false,
            message: "image has dependent child images".to_string(),
        });
    }
    if mask & HARD != 0
        && let Some(running) = users.iter().find(|c| c.running)
    {
        return Some(Conflict {
            hard: true,
            used: true,
            message: format!(
                "image is being used by running container {}",
                short_container(&running.id)
            ),
        });
    }
    if mask & ACTIVE_REFERENCE != 0 && !references.is_empty() {
        return Some(Conflict {
            hard: false,
            used: false,
            message: "image is referenced in multiple repositories".to_string(),
        });
    }
    if mask & STOPPED_CONTAINER != 0
        && let Some(stopped) = users.iter().find(|c| !c.running)
    {
        return Some(Conflict {
            hard: false,
            used: true,
            message: format!(
                "image is being used by stopped container {}",
                short_container(&stopped.id)
            ),
        });
    }
    None
}

fn conflict_error(id: &Digest, conflict: Conflict) -> ApiError {
    let force = if conflict.hard {
        "cannot be forced"
    } else {
        "must be forced"
    };
    ApiError::conflict(format!(
        "conflict: unable to delete {} ({force}) - {}",
        id.short(),
        conflict.message
    ))
}

/// moby's ImageDelete, as a plan over `catalog`.
fn plan_delete(
    catalog: &Catalog,
    images: &ImageService,
    name: &str,
    force: bool,
) -> Result<Plan, ApiError> {
    let image = catalog.find(name)?;
    let id = image.record.id.clone();
    let mut references: Vec<Reference> = catalog.references(&id).into_iter().cloned().collect();
    let users: Vec<&ContainerUse> = catalog
        .containers
        .iter()
        .filter(|c| c.image.as_ref() == Some(&id))
        .collect();
    let has_children = catalog.has_children(&id);
    let mut plan = Plan::default();
    let untag = |plan: &mut Plan, reference: Reference| {
        plan.items.push(DeleteItem::Untagged(reference.familiar()));
        plan.untag.push(reference);
    };
    let mut quiet = false;
    if !is_id_prefix(&id, name) {
        if !force
            && is_single_reference(&references)
            && let Some(user) = users.first()
        {
            return Err(ApiError::conflict(format!(
                "conflict: unable to remove repository reference \"{name}\" (must force) - container {} is using its referenced image {}",
                short_container(&user.id),
                id.short()
            )));
        }
        let named = Reference::parse_with_default_tag(name)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        references.retain(|reference| reference != &named);
        let by_tag = named.digest().is_none();
        let repository = named.name();
        untag(&mut plan, named);
        // The last tag of a repository takes its digests along.
        if by_tag
            && !references
                .iter()
                .any(|r| r.digest().is_none() && r.name() == repository)
        {
            let (digests, rest): (Vec<Reference>, Vec<Reference>) = references
                .into_iter()
                .partition(|r| r.digest().is_some() && r.name() == repository);
            for reference in digests {
                untag(&mut plan, reference);
            }
            references = rest;
        }
        if !references.is_empty() {
            return Ok(plan);
        }
        quiet = true;
    } else if is_single_reference(&references) {
        let mask = if force {
            HARD
        } else {
            HARD | STOPPED_CONTAINER
        };
        if let Some(conflict) = check_conflict(&users, &[], has_children, mask) {
            return Err(conflict_error(&id, conflict));
        }
        for reference in std::mem::take(&mut references) {
            untag(&mut plan, reference);
        }
    }

    let mask = if force { HARD } else { HARD | SOFT };
    if let Some(conflict) = check_conflict(&users, &references, has_children, mask) {
        // An untag that leaves an image still named, used or with
        // children keeps it quietly.
        if quiet && (!references.is_empty() || has_children || conflict.used) {
            return Ok(plan);
        }
        return Err(conflict_error(&id, conflict));
    }
    for reference in references {
        untag(&mut plan, reference);
    }
    plan.items.push(DeleteItem::Deleted(id.to_string()));
    plan.delete_image = Some(id.clone());
    if !users.is_empty() {
        // A stopped container still runs on these layers; the files go
        // at a later start-up, once no container names the image.
        return Ok(plan);
    }
    let mut kept_chains = HashSet::new();
    let mut kept_layers = HashSet::new();
    for (other, stored) in &catalog.images {
        if *other != id {
            kept_chains.extend(stored.record.chain_ids.iter().cloned());
            kept_layers.extend(stored.record.diff_ids.iter().cloned());
        }
    }
    // Images deleted by force while a container used them keep their files.
    for user in &catalog.containers {
        if let Some(other) = user.image.as_ref().filter(|other| **other != id)
            && !catalog.images.contains_key(other)
            && let Ok(record) = images.record(other, Vec::new())
        {
            kept_chains.extend(record.chain_ids);
            kept_layers.extend(record.diff_ids);
        }
    }
    let record = &image.record;
    for (chain, size) in record.chain_ids.iter().zip(&record.layer_sizes) {
        if kept_chains.insert(chain.clone()) {
            plan.items.push(DeleteItem::Deleted(chain.to_string()));
            plan.reclaimed += size;
        }
    }
    let mut unused = Vec::new();
    for diff_id in &record.diff_ids {
        if kept_layers.insert(diff_id.clone()) {
            unused.push(diff_id.clone());
        }
    }
    plan.files = Some((id, unused));
    Ok(plan)
}

/// Deletes with the image lock held; returns the report lines and the
/// bytes of the layers removed.
fn delete_locked(
    daemon: &Daemon,
    name: &str,
    force: bool,
) -> Result<(Vec<DeleteItem>, u64), ApiError> {
    let catalog = Catalog::read(daemon.store())?;
    let plan = plan_delete(&catalog, daemon.images(), name, force)?;
    // Before the write, while the image and its labels are still there:
    // moby names the image by ID in `untag` events, not by the tag.
    for reference in &plan.untag {
        if let Some((_, id)) = catalog.tags.iter().find(|(tag, _)| tag == reference) {
            let id = id.to_string();
            daemon.log_image_event(&id, &id, "untag");
        }
    }
    daemon
        .store()
        .write(|tx| {
            for reference in &plan.untag {
                tx.delete(Table::Tags, &reference.to_string())?;
            }
            if let Some(id) = &plan.delete_image {
                tx.delete(Table::Images, &id.to_string())?;
            }
            Ok(())
        })
        .map_err(store_error)?;
    if let Some(id) = &plan.delete_image {
        let id = id.to_string();
        daemon.log_image_event(&id, &id, "delete");
    }
    if let Some((id, layers)) = &plan.files {
        daemon
            .images()
            .remove_image(id, layers)
            .map_err(image_error)?;
    }
    Ok((plan.items, plan.reclaimed))
}

pub fn delete(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let name = call.param("name")?.to_string();
    if name.trim().is_empty() {
        return Err(ApiError::invalid("image name cannot be blank"));
    }
    let force = call.query.bool("force");
    let prune_parents = !call.query.bool("noprune");
    let _guard = daemon.images().lock();
    let parent = Catalog::read(daemon.store())?
        .find(&name)
        .ok()
        .and_then(|image| image.parent.clone());
    let (mut items, _) = delete_locked(daemon, &name, force)?;
    if prune_parents
        && items
            .iter()
            .any(|item| matches!(item, DeleteItem::Deleted(_)))
    {
        items.extend(delete_unused_parents(daemon, parent)?);
    }
    Reply::json(200, &items)
}

/// After a delete, moby also deletes the parents (of commits) that are
/// left with no name, no child and no container, nearest first.
fn delete_unused_parents(
    daemon: &Daemon,
    mut parent: Option<Digest>,
) -> Result<Vec<DeleteItem>, ApiError> {
    let mut items = Vec::new();
    while let Some(id) = parent.take() {
        let catalog = Catalog::read(daemon.store())?;
        let Some(image) = catalog.images.get(&id) else {
            break;
        };
        let used = catalog
            .containers
            .iter()
            .any(|c| c.image.as_ref() == Some(&id));
        if used || catalog.has_children(&id) || !catalog.references(&id).is_empty() {
            break;
        }
        parent = image.parent.clone();
        match delete_locked(daemon, id.hex(), false) {
            Ok((deleted, _)) => items.extend(deleted),
            Err(error) if error.status() == 409 => break,
            Err(error) => return Err(error),
        }
    }
    Ok(items)
}

pub use crate::daemon::image_service::repo_tag_reference;

pub fn tag(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let name = call.param("name")?.to_string();
    let repo = call.query.get("repo").unwrap_or("");
    let tag = call.query.get("tag").unwrap_or("");
    let reference = repo_tag_reference(repo, tag)?
        .ok_or_else(|| ApiError::invalid("repository name must have at least one component"))?;
    if reference.familiar_name() == "sha256" {
        return Err(ApiError::invalid(
            "refusing to create an ambiguous tag using digest algorithm as name",
        ));
    }
    let _guard = daemon.images().lock();
    let catalog = Catalog::read(daemon.store())?;
    let image = catalog
        .find(&name)
        .map_err(|e| ApiError::new(ErrorKind::NotFound, e.message))?;
    let mut stored = image.clone();
    stored.last_tag_time = Some(crate::gofmt::time::rfc3339_nano(
        std::time::SystemTime::now(),
    ));
    let id = stored.record.id.to_string();
    daemon
        .store()
        .write(|tx| {
            tx.put_raw(Table::Tags, &reference.to_string(), id.as_bytes())?;
            tx.put(Table::Images, &id, &stored)
        })
        .map_err(store_error)?;
    daemon.log_image_event(&id, &reference.familiar(), "tag");
    Ok(Reply::Response(crate::http::Response::empty(201)))
}

const PRUNE_FILTERS: &[&str] = &["dangling", "label", "label!", "until"];

pub fn prune(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    filters.validate(PRUNE_FILTERS)?;
    let dangling_only = dangling_filter(&filters, true)?;
    let until = match filters.get("until") {
        [] => None,
        [value] => Some(parse_timestamp(value, std::time::SystemTime::now())?),
        _ => return Err(ApiError::invalid("more than one until filter specified")),
    };
    let _guard = daemon.images().lock();
    let catalog = Catalog::read(daemon.store())?;
    let mut report = ImagePruneReport::default();
    let mut deleted = Vec::new();
    for (id, image) in &catalog.images {
        let config = &image.record.config;
        if let Some(until) = until {
            let created = config
                .created
                .as_deref()
                .and_then(crate::gofmt::time::parse_rfc3339)
                .map(|time| time.seconds);
            if created.is_none_or(|created| created as f64 > until) {
                continue;
            }
        }
        if let Some(container) = &config.config {
            let labels = container.labels.as_ref();
            if !match_labels(&filters, "label", labels)
                || (filters.contains("label!") && match_labels(&filters, "label!", labels))
            {
                continue;
            }
        }
        let references = catalog.references(id);
        let names: Vec<String> = if references.is_empty() {
            vec![id.hex().to_string()]
        } else if !dangling_only || references.iter().all(|r| r.tag().is_none()) {
            references.iter().map(|r| r.to_string()).collect()
        } else {
            continue;
        };
        for name in names {
            // Conflicts and images already gone are skipped, as moby does.
            match delete_locked(daemon, &name, false) {
                Ok((items, reclaimed)) => {
                    deleted.extend(items);
                    report.space_reclaimed += reclaimed;
                }
                Err(error) if error.status() == 409 || error.status() == 404 => {}
                Err(error) => {
                    crate::daemon::log::warn(&format!("failed to prune image {name}: {error}"))
                }
            }
        }
    }
    if !deleted.is_empty() {
        report.images_deleted = Some(deleted);
    }
    daemon.log_prune_event(crate::api::events::IMAGE, report.space_reclaimed);
    Reply::json(200, &report)
}

#[cfg(test)]
#[path = "remove_tests.rs"]
mod tests;
