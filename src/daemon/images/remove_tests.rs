//! moby's untag-or-delete rules over hand-made catalogs, containers
//! included (their records come from the container endpoints).

use super::*;
use crate::daemon::image_service::StoredImage;
use crate::image::{ImageConfig, ImageRecord};
use std::collections::BTreeMap;

struct Fixture {
    dir: std::path::PathBuf,
    service: ImageService,
}

impl Fixture {
    fn new(label: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("dockbox-unit-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = crate::store::Store::open(&dir.join("db")).unwrap();
        let service = ImageService::open(&dir, Some("vfs"), &store).unwrap();
        Fixture { dir, service }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn digest(seed: &str) -> Digest {
    Digest::of_bytes(seed.as_bytes())
}

fn image(seed: &str, layers: &[&str]) -> StoredImage {
    let diff_ids: Vec<Digest> = layers.iter().map(|l| digest(l)).collect();
    StoredImage {
        record: ImageRecord {
            id: digest(seed),
            config_raw: b"{}".to_vec(),
            config: ImageConfig::default(),
            chain_ids: crate::image::digest::chain_ids(&diff_ids),
            layer_sizes: vec![10; diff_ids.len()],
            size: 10 * diff_ids.len() as u64,
            diff_ids,
            repo_tags: Vec::new(),
        },
        parent: None,
        last_tag_time: None,
    }
}

fn reference(text: &str) -> Reference {
    Reference::parse_with_default_tag(text).unwrap()
}

fn catalog(
    images: &[StoredImage],
    tags: &[(&str, &str)],
    containers: &[(&str, &str, bool)],
) -> Catalog {
    Catalog {
        images: images
            .iter()
            .map(|i| (i.record.id.clone(), i.clone()))
            .collect::<BTreeMap<_, _>>(),
        tags: tags
            .iter()
            .map(|(r, seed)| (reference(r), digest(seed)))
            .collect(),
        containers: containers
            .iter()
            .map(|(id, seed, running)| ContainerUse {
                id: id.to_string(),
                image: Some(digest(seed)),
                running: *running,
            })
            .collect(),
    }
}

const CONTAINER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn short(seed: &str) -> String {
    digest(seed).short().to_string()
}

#[test]
fn untag_only_while_other_tags_remain() {
    let fixture = Fixture::new("rmi-untag");
    let catalog = catalog(
        &[image("a", &["l1"])],
        &[("busybox", "a"), ("mine:v1", "a")],
        &[],
    );
    let plan = plan_delete(&catalog, &fixture.service, "busybox", false).unwrap();
    assert_eq!(plan.items, [DeleteItem::Untagged("busybox:latest".into())]);
    assert!(plan.delete_image.is_none());
}

#[test]
fn by_id_with_several_repositories_must_be_forced() {
    let fixture = Fixture::new("rmi-multi");
    let catalog = catalog(
        &[image("a", &["l1"])],
        &[("busybox", "a"), ("mine:v1", "a")],
        &[],
    );
    let error = plan_delete(&catalog, &fixture.service, &short("a"), false).unwrap_err();
    assert_eq!(error.status(), 409);
    assert_eq!(
        error.message,
        format!(
            "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
            short("a")
        )
    );
    let plan = plan_delete(&catalog, &fixture.service, &short("a"), true).unwrap();
    assert_eq!(plan.items.len(), 4, "{:?}", plan.items);
    assert_eq!(plan.items[2], DeleteItem::Deleted(digest("a").to_string()));
    assert_eq!(plan.files, Some((digest("a"), vec![digest("l1")])));
}

#[test]
fn a_running_container_blocks_even_force() {
    let fixture = Fixture::new("rmi-running");
    let catalog = catalog(
        &[image("a", &["l1"])],
        &[("busybox", "a")],
        &[(CONTAINER, "a", true)],
    );
    let error = plan_delete(&catalog, &fixture.service, &short("a"), true).unwrap_err();
    assert_eq!(
        error.message,
        format!(
            "conflict: unable to delete {} (cannot be forced) - image is being used by running container 0123456789ab",
            short("a")
        )
    );
}

#[test]
fn a_stopped_container_needs_force_and_keeps_the_files() {
    let fixture = Fixture::new("rmi-stopped");
    let catalog = catalog(
        &[image("a", &["l1"])],
        &[("busybox", "a")],
        &[(CONTAINER, "a", false)],
    );
    let error = plan_delete(&catalog, &fixture.service, "busybox", false).unwrap_err();
    assert_eq!(error.status(), 409);
    assert_eq!(
        error.message,
        format!(
            "conflict: unable to remove repository reference \"busybox\" (must force) - container 0123456789ab is using its referenced image {}",
            short("a")
        )
    );
    let error = plan_delete(&catalog, &fixture.service, &short("a"), false).unwrap_err();
    assert!(
        error
            .message
            .ends_with("(must be forced) - image is being used by stopped container 0123456789ab"),
        "{}",
        error.message
    );
    let plan = plan_delete(&catalog, &fixture.service, "busybox", true).unwrap();
    assert_eq!(
        plan.items,
        [
            DeleteItem::Untagged("busybox:latest".into()),
            DeleteItem::Deleted(digest("a").to_string())
        ]
    );
    assert!(plan.files.is_none());
}

#[test]
fn shared_layers_stay() {
    let fixture = Fixture::new("rmi-shared");
    let catalog = catalog(
        &[image("a", &["l1", "l2"]), image("b", &["l1"])],
        &[("a", "a"), ("b", "b")],
        &[],
    );
    let plan = plan_delete(&catalog, &fixture.service, "a", false).unwrap();
    let chains = crate::image::digest::chain_ids(&[digest("l1"), digest("l2")]);
    assert_eq!(
        plan.items,
        [
            DeleteItem::Untagged("a:latest".into()),
            DeleteItem::Deleted(digest("a").to_string()),
            DeleteItem::Deleted(chains[1].to_string()),
        ]
    );
    assert_eq!(plan.files, Some((digest("a"), vec![digest("l2")])));
    assert_eq!(plan.reclaimed, 10);
}
