use super::*;
use crate::image::test_util::require_root;
use crate::image::test_util::{
    LayerTar, TestDir, busybox_rootfs, config_for, gzip, tar_of_dir, tar_of_files,
};
use crate::image::{Collected, DriverKind};
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn open_store(dir: &TestDir, name: &str) -> ImageStore {
    ImageStore::open(&dir.join(name), Some(DriverKind::Vfs)).unwrap()
}

/// The format the harness's write_docker_archive produces.
fn docker_archive(layers: &[Vec<u8>], cmd: &str, tag: &str) -> (Vec<u8>, Digest) {
    let diff_ids: Vec<Digest> = layers.iter().map(|l| Digest::of_bytes(l)).collect();
    let config = config_for(&diff_ids, cmd);
    let id = Digest::of_bytes(&config);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut layer_names = Vec::new();
    for (layer, diff_id) in layers.iter().zip(&diff_ids) {
        files.push((format!("{}/layer.tar", diff_id.hex()), layer.clone()));
        layer_names.push(format!("{}/layer.tar", diff_id.hex()));
    }
    files.push((format!("{}.json", id.hex()), config));
    let manifest =
        json!([{"Config": format!("{}.json", id.hex()), "RepoTags": [tag], "Layers": layer_names}]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    (tar_of_files(&borrowed, &[]), id)
}

fn busybox_layer(test: &str, dir: &TestDir) -> Option<Vec<u8>> {
    let rootfs = dir.join("rootfs");
    busybox_rootfs(test, &rootfs)?;
    Some(tar_of_dir(&rootfs))
}

#[test]
fn loads_a_docker_archive_and_runs_its_rootfs() {
    require_root!();
    let dir = TestDir::new("archive-docker");
    let Some(layer) = busybox_layer("loads_a_docker_archive_and_runs_its_rootfs", &dir) else {
        return;
    };
    let (archive, id) = docker_archive(std::slice::from_ref(&layer), "sh", "busybox:latest");
    let store = open_store(&dir, "data");
    let records = store.load(&archive[..]).unwrap();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.id, id);
    assert_eq!(Digest::of_bytes(&record.config_raw), id);
    assert_eq!(
        record.repo_tags[0].to_string(),
        "docker.io/library/busybox:latest"
    );
    assert_eq!(record.diff_ids, vec![Digest::of_bytes(&layer)]);
    assert_eq!(record.chain_ids, record.diff_ids);
    let busybox_size = fs::metadata(dir.join("rootfs/bin/busybox")).unwrap().len();
    assert!(record.size >= busybox_size, "size {}", record.size);
    assert_eq!(
        record.config.config.as_ref().unwrap().cmd.as_ref().unwrap(),
        &["sh"]
    );
    assert_eq!(
        store.record(&id, Vec::new()).unwrap().config_raw,
        record.config_raw
    );

    let rootfs = store.create_rootfs("c1", &id).unwrap();
    let busybox = fs::metadata(rootfs.join("bin/busybox")).unwrap();
    assert_eq!(busybox.nlink(), 5, "hard-linked applets stay hard links");
    assert_eq!(busybox.permissions().mode() & 0o777, 0o755);
    let output = std::process::Command::new("chroot")
        .arg(&rootfs)
        .args([
            "/bin/sh",
            "-c",
            "echo hi from $(cat /etc/passwd | cut -c1-4)",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hi from root\n",
        "{output:?}"
    );
    store.remove_rootfs("c1").unwrap();
    assert!(!rootfs.exists());
    assert_eq!(fs::read_dir(dir.join("data/image/tmp")).unwrap().count(), 0);
}

#[test]
fn loads_docker25_archives_with_symlinked_layers_gzipped_whole() {
    require_root!();
    let dir = TestDir::new("archive-docker25");
    let layer = LayerTar::new().file("hello", b"world", 0o644).finish();
    let diff_id = Digest::of_bytes(&layer);
    let config = config_for(std::slice::from_ref(&diff_id), "true");
    let id = Digest::of_bytes(&config);
    let manifest = serde_json::to_vec(&json!([{
        "Config": format!("blobs/sha256/{}", id.hex()),
        "RepoTags": ["example.com/team/app:v1", "app:v2"],
        "Layers": [format!("{}/layer.tar", "legacy")],
    }]))
    .unwrap();
    let blob = format!("blobs/sha256/{}", diff_id.hex());
    let config_path = format!("blobs/sha256/{}", id.hex());
    let archive = tar_of_files(
        &[
            (&blob, &layer),
            (&config_path, &config),
            ("manifest.json", &manifest),
        ],
        &[("legacy/layer.tar", &format!("../{blob}"))],
    );
    let store = open_store(&dir, "data");
    let records = store.load(&gzip(&archive)[..]).unwrap();
    let tags: Vec<String> = records[0].repo_tags.iter().map(|r| r.familiar()).collect();
    assert_eq!(tags, ["example.com/team/app:v1", "app:v2"]);
    assert_eq!(records[0].id, id);
    assert_eq!(records[0].size, 5);
}

fn oci_layout(layer: &[u8], gzipped: bool, annotations: Value, nested: bool) -> (Vec<u8>, Digest) {
    let diff_id = Digest::of_bytes(layer);
    let config = config_for(std::slice::from_ref(&diff_id), "sh");
    let id = Digest::of_bytes(&config);
    let blob = if gzipped { gzip(layer) } else { layer.to_vec() };
    let blob_digest = Digest::of_bytes(&blob);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": id, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob_digest, "size": blob.len()}],
    }))
    .unwrap();
    let manifest_digest = Digest::of_bytes(&manifest);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (blob_path(&id), config),
        (blob_path(&blob_digest), blob),
        (blob_path(&manifest_digest), manifest.clone()),
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
    ];
    let top = if nested {
        let inner = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": Digest::of_bytes(b"missing"), "size": 1,
                 "platform": {"os": "linux", "architecture": "s390x"}},
                {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(),
                 "platform": {"os": "linux", "architecture": host_architecture()}},
            ],
        }))
        .unwrap();
        let inner_digest = Digest::of_bytes(&inner);
        files.push((blob_path(&inner_digest), inner.clone()));
        json!({"mediaType": OCI_INDEX, "digest": inner_digest, "size": inner.len(), "annotations": annotations})
    } else {
        json!({"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(), "annotations": annotations})
    };
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [top]})).unwrap();
    files.push(("index.json".into(), index));
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    (tar_of_files(&borrowed, &[]), id)
}

#[test]
fn loads_oci_layouts_with_gzipped_layers_and_nested_indexes() {
    require_root!();
    let dir = TestDir::new("archive-oci");
    let store = open_store(&dir, "data");
    let layer = LayerTar::new().file("etc/os", b"oci", 0o644).finish();

    let (archive, id) = oci_layout(
        &layer,
        true,
        json!({CONTAINERD_NAME: "docker.io/library/ocitest:1"}),
        false,
    );
    let records = store.load(&archive[..]).unwrap();
    assert_eq!(records[0].id, id);
    assert_eq!(records[0].repo_tags[0].familiar(), "ocitest:1");
    assert_eq!(records[0].diff_ids, vec![Digest::of_bytes(&layer)]);

    let (archive, _) = oci_layout(&layer, false, json!({OCI_REF_NAME: "quay.io/x/y:2"}), true);
    let records = store.load(&archive[..]).unwrap();
    assert_eq!(records[0].repo_tags[0].to_string(), "quay.io/x/y:2");

    // A bare tag names no repository: the image loads untagged.
    let (archive, _) = oci_layout(&layer, true, json!({OCI_REF_NAME: "latest"}), false);
    assert!(store.load(&archive[..]).unwrap()[0].repo_tags.is_empty());
}

#[test]
fn refuses_inconsistent_archives() {
    require_root!();
    let dir = TestDir::new("archive-bad");
    let store = open_store(&dir, "data");
    let layer = LayerTar::new().file("a", b"a", 0o644).finish();
    let other = LayerTar::new().file("b", b"b", 0o644).finish();

    // The config promises one layer, the archive carries another.
    let (good, _) = docker_archive(std::slice::from_ref(&layer), "sh", "x:1");
    let config = config_for(&[Digest::of_bytes(&other)], "sh");
    let manifest = serde_json::to_vec(
        &json!([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l.tar"]}]),
    )
    .unwrap();
    let archive = tar_of_files(
        &[
            ("c.json", &config),
            ("l.tar", &layer),
            ("manifest.json", &manifest),
        ],
        &[],
    );
    let error = store.load(&archive[..]).unwrap_err().to_string();
    assert!(
        error.starts_with("invalid diffID for layer 0: expected"),
        "{error}"
    );

    let manifest = serde_json::to_vec(&json!([{"Config": "c.json", "Layers": []}])).unwrap();
    let archive = tar_of_files(&[("c.json", &config), ("manifest.json", &manifest)], &[]);
    assert_eq!(
        store.load(&archive[..]).unwrap_err().to_string(),
        "invalid manifest, layers length mismatch: expected 1, got 0"
    );

    // Paths in the manifest stay inside the archive.
    let manifest =
        serde_json::to_vec(&json!([{"Config": "../../../../../../etc/passwd", "Layers": []}]))
            .unwrap();
    let archive = tar_of_files(&[("manifest.json", &manifest)], &[]);
    let error = store.load(&archive[..]).unwrap_err();
    assert!(error.is_bad_input(), "{error}");

    let manifest =
        serde_json::to_vec(&json!([{"Config": "c.json", "RepoTags": ["Bad:tag"], "Layers": []}]))
            .unwrap();
    let archive = tar_of_files(&[("manifest.json", &manifest)], &[]);
    assert!(
        store
            .load(&archive[..])
            .unwrap_err()
            .to_string()
            .contains("must be lowercase")
    );

    let archive = tar_of_files(&[("hello", b"x")], &[]);
    assert!(store.load(&archive[..]).unwrap_err().is_bad_input());
    assert!(store.load(&good[..good.len() / 3]).is_err());

    // A corrupted OCI blob fails its digest check.
    let (archive, _) = oci_layout(&layer, false, json!({}), false);
    let mut corrupted = archive.clone();
    let at = corrupted.windows(3).position(|w| w == b"\"sh").unwrap();
    corrupted[at + 1] = b'z';
    let error = store.load(&corrupted[..]).unwrap_err().to_string();
    assert!(error.contains("does not match its digest"), "{error}");
    assert_eq!(fs::read_dir(dir.join("data/image/tmp")).unwrap().count(), 0);
    assert_eq!(store.content().config_ids().unwrap().len(), 0);
}

fn read_archive(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        files.insert(name, data);
    }
    files
}

#[test]
fn saves_several_images_that_load_again() {
    require_root!();
    let dir = TestDir::new("archive-save");
    let store = open_store(&dir, "data");
    let base = LayerTar::new().file("base", b"base", 0o644).finish();
    let top = LayerTar::new()
        .file("top", b"top", 0o644)
        .file(".wh.base", b"", 0o644)
        .finish();
    let (one, one_id) = docker_archive(std::slice::from_ref(&base), "one", "one:latest");
    let (two, two_id) = docker_archive(&[base.clone(), top.clone()], "two", "two:latest");
    store.load(&one[..]).unwrap();
    store.load(&two[..]).unwrap();

    let tags = |names: &[&str]| -> Vec<Reference> {
        names
            .iter()
            .map(|n| Reference::parse_with_default_tag(n).unwrap())
            .collect()
    };
    // `docker save one localhost:5000/one:x <id of two>`: the two names of
    // the first image become one entry.
    let images = [
        SaveImage {
            id: one_id.clone(),
            repo_tags: tags(&["one"]),
        },
        SaveImage {
            id: two_id.clone(),
            repo_tags: Vec::new(),
        },
        SaveImage {
            id: one_id.clone(),
            repo_tags: tags(&["localhost:5000/one:x", "one"]),
        },
    ];
    let mut saved = Vec::new();
    store.save(&images, &mut saved).unwrap();

    let files = read_archive(&saved);
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        json!(["one:latest", "localhost:5000/one:x"])
    );
    assert_eq!(
        manifest[0]["Config"],
        json!(format!("blobs/sha256/{}", one_id.hex()))
    );
    assert_eq!(manifest[1]["RepoTags"], Value::Null);
    assert_eq!(manifest[1]["Layers"].as_array().unwrap().len(), 2);
    let index: Value = serde_json::from_slice(&files["index.json"]).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 3);
    assert_eq!(
        index["manifests"][0]["annotations"][CONTAINERD_NAME],
        "docker.io/library/one:latest"
    );
    assert_eq!(index["manifests"][0]["annotations"][OCI_REF_NAME], "latest");
    assert!(files.contains_key("oci-layout"));
    // The shared base layer is written once, the blobs match their names.
    let blobs: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("blobs/sha256/") && k.len() > 13)
        .collect();
    assert_eq!(blobs.len(), 2 + 2 + 2); // configs, layers, OCI manifests
    for name in blobs {
        assert_eq!(Digest::of_bytes(&files[name]).hex(), &name[13..]);
    }

    // Our own output loads back, through manifest.json ...
    let again = open_store(&dir, "again");
    let records = again.load(&saved[..]).unwrap();
    assert_eq!(
        records.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        [one_id.clone(), two_id.clone()]
    );
    assert_eq!(records[0].repo_tags, tags(&["one", "localhost:5000/one:x"]));
    // ... and as a pure OCI layout.
    let without_manifest: Vec<(&str, &[u8])> = files
        .iter()
        .filter(|(name, _)| name.as_str() != "manifest.json" && !name.ends_with('/'))
        .map(|(name, bytes)| (name.as_str(), &bytes[..]))
        .collect();
    let oci = tar_of_files(&without_manifest, &[]);
    let records = open_store(&dir, "oci").load(&oci[..]).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].repo_tags, tags(&["one", "localhost:5000/one:x"]));

    let rootfs = again.create_rootfs("c", &two_id).unwrap();
    assert!(rootfs.join("top").is_file());
    assert!(!rootfs.join("base").exists());
    again.remove_rootfs("c").unwrap();

    let missing = [SaveImage {
        id: Digest::of_bytes(b"nope"),
        repo_tags: Vec::new(),
    }];
    assert!(store.save(&missing, &mut Vec::new()).is_err());
}

#[test]
fn garbage_collection_keeps_what_records_name() {
    require_root!();
    let dir = TestDir::new("archive-gc");
    let store = open_store(&dir, "data");
    let shared = LayerTar::new().file("shared", b"s", 0o644).finish();
    let own = LayerTar::new().file("own", b"o", 0o644).finish();
    let (kept, kept_id) = docker_archive(std::slice::from_ref(&shared), "kept", "kept:1");
    let (lost, lost_id) = docker_archive(&[shared.clone(), own.clone()], "lost", "lost:1");
    store.load(&kept[..]).unwrap();
    store.load(&lost[..]).unwrap();
    store.create_rootfs("running", &kept_id).unwrap();
    store.create_rootfs("forgotten", &lost_id).unwrap();
    // A layer stored by a load that never finished.
    let orphan = store
        .content()
        .put_layer(
            &LayerTar::new().file("x", b"x", 0o644).finish()[..],
            LayerExtent::WholeStream,
        )
        .unwrap();

    let collected = store
        .collect_garbage(std::slice::from_ref(&kept_id), &["running".to_string()])
        .unwrap();
    assert_eq!(collected.images, vec![lost_id]);
    let mut expected_layers = vec![Digest::of_bytes(&own), orphan.diff_id];
    expected_layers.sort();
    assert_eq!(collected.layers, expected_layers);
    assert_eq!(collected.containers, vec!["forgotten".to_string()]);
    assert_eq!(
        store.content().layer_ids().unwrap(),
        vec![Digest::of_bytes(&shared)]
    );
    assert!(store.record(&kept_id, Vec::new()).is_ok());
    assert!(dir.join("data/vfs/containers/running").is_dir());
    store.remove_rootfs("running").unwrap();
    assert_eq!(
        store
            .collect_garbage(std::slice::from_ref(&kept_id), &[])
            .unwrap(),
        Collected::default()
    );
}

#[test]
fn loads_into_overlay2_by_default_and_runs() {
    const TEST: &str = "loads_into_overlay2_by_default_and_runs";
    let dir = TestDir::new("archive-overlay");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return crate::image::test_util::skip(TEST, "needs root to mount overlayfs");
    }
    let Some(layer) = busybox_layer(TEST, &dir) else {
        return;
    };
    let store = ImageStore::open(&dir.join("data"), None).unwrap();
    if store.driver_kind() != DriverKind::Overlay {
        return crate::image::test_util::skip(TEST, "overlayfs cannot mount here");
    }
    let upper = LayerTar::new()
        .file("etc/.wh.passwd", b"", 0o644)
        .file("etc/motd", b"hi", 0o644)
        .finish();
    let (archive, id) = docker_archive(&[layer, upper], "sh", "busybox:latest");
    store.load(&archive[..]).unwrap();
    let rootfs = store.create_rootfs("c1", &id).unwrap();
    let output = std::process::Command::new("chroot")
        .arg(&rootfs)
        .args(["/bin/sh", "-c", "cat /etc/motd; ls /etc; echo x > /tmp/new"])
        .output()
        .unwrap();
    let removed = store.remove_rootfs("c1");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "himotd\n",
        "{output:?}"
    );
    removed.unwrap();
    assert!(!rootfs.exists());
}
