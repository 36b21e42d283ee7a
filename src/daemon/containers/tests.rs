//! Create, list, rename, remove and prune against a real store in a
//! temp dir, with an image record seeded the way the image module writes
//! them (tags -> id, id -> record).

use super::create::{CreateContext, create_container, decode_create_body};
use super::list::Selection;
use super::lookup::{DaemonImages, ImageLookup, find_container};
use super::record::{ContainerRecord, Status};
use super::remove;
use super::validate::HostFacts;
use crate::api::container::CreateRequest;
use crate::api::{ApiError, Filters};
use crate::daemon::config::{Config, LogLevel};
use crate::daemon::state::Daemon;
use crate::store::Store;
use serde_json::json;
use std::path::{Path, PathBuf};

const IMAGE_ID: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// An image record as the image module stores it, for `config`.
fn stored_image(id: &str, config: &serde_json::Value) -> crate::daemon::image_service::StoredImage {
    let raw = serde_json::to_vec(config).unwrap();
    crate::daemon::image_service::StoredImage {
        record: crate::image::ImageRecord {
            id: crate::image::Digest::parse(id).unwrap(),
            config: crate::image::ImageConfig::parse(&raw).unwrap(),
            config_raw: raw,
            diff_ids: Vec::new(),
            chain_ids: Vec::new(),
            layer_sizes: Vec::new(),
            size: 0,
            repo_tags: Vec::new(),
        },
        parent: None,
        last_tag_time: None,
    }
}

struct Fixture {
    dir: PathBuf,
    daemon: Daemon,
}

impl Fixture {
    fn new(label: &str) -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("dockbox-containers-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("dockbox.db")).unwrap();
        let image = json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin", "IMAGE=1"], "Cmd": ["sh"],
                       "Labels": {"from": "image", "both": "image"}, "WorkingDir": "/home",
                       "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGQUIT"},
            "rootfs": {"type": "layers", "diff_ids": []}
        });
        store
            .put_image(IMAGE_ID, &stored_image(IMAGE_ID, &image))
            .unwrap();
        store
            .set_tag("docker.io/library/busybox:latest", IMAGE_ID)
            .unwrap();
        let config = Config {
            sockets: Vec::new(),
            systemd_sockets: false,
            data_root: dir.clone(),
            exec_root: dir.join("exec"),
            pidfile: dir.join("pid"),
            log_level: LogLevel::Error,
            storage_driver: Some("vfs".into()),
            live_restore: false,
            cgroup_parent: None,
            labels: Vec::new(),
            default_ulimits: Vec::new(),
            log_driver: "json-file".into(),
            log_opts: Default::default(),
            group: "root".into(),
            group_explicit: false,
        };
        let images =
            crate::daemon::image_service::ImageService::open(&dir, Some("vfs"), &store).unwrap();
        Fixture {
            dir,
            daemon: Daemon::new(config, store, images, "test".into(), false),
        }
    }

    fn create(
        &self,
        name: &str,
        body: serde_json::Value,
    ) -> Result<(ContainerRecord, Vec<String>), ApiError> {
        let images = DaemonImages(&self.daemon);
        let ctx = CreateContext {
            store: self.daemon.store(),
            images: &images,
            data_root: &self.dir,
            storage_driver: "vfs".into(),
            facts: HostFacts {
                ncpu: 2,
                cgroup_v2: false,
                blkio_weight: false,
            },
            host_name: "thehost".into(),
            log_driver: "json-file".into(),
            log_opts: [("max-size".to_string(), "1m".to_string())].into(),
        };
        let request: CreateRequest = decode_create_body(Some(body))?;
        create_container(&ctx, name, request)
    }

    fn list(&self, all: bool, filters: &str) -> Result<Vec<String>, ApiError> {
        self.list_limited(all, None, filters)
    }

    fn list_limited(
        &self,
        all: bool,
        limit: Option<i64>,
        filters: &str,
    ) -> Result<Vec<String>, ApiError> {
        let images = DaemonImages(&self.daemon);
        let selection = Selection::new(
            self.daemon.store(),
            &images,
            all,
            limit,
            Filters::parse(filters)?,
        )?;
        let records = self
            .daemon
            .store()
            .list_containers::<ContainerRecord>()
            .unwrap();
        Ok(selection
            .apply(records.into_iter().map(|(_, r)| r).collect())
            .into_iter()
            .map(|r| r.name)
            .collect())
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn create_merges_the_image_config_and_writes_files() {
    let fx = Fixture::new("merge");
    let (record, warnings) = fx
        .create(
            "web",
            json!({"Image": "busybox", "Env": ["IMAGE=mine", "A=1"], "Labels": {"both": "mine"}}),
        )
        .unwrap();
    assert_eq!(record.name, "web");
    assert_eq!(record.id.len(), 64);
    assert_eq!(record.image_id, IMAGE_ID);
    assert_eq!((record.path.as_str(), record.args.len()), ("sh", 0));
    assert_eq!(
        record.config.env.as_deref().unwrap(),
        ["IMAGE=mine", "A=1", "PATH=/usr/bin:/bin"]
    );
    let labels = record.config.labels.clone().unwrap();
    assert_eq!(
        (labels["both"].as_str(), labels["from"].as_str()),
        ("mine", "image")
    );
    assert_eq!(record.config.working_dir, "/home");
    assert_eq!(record.config.stop_signal, "SIGQUIT");
    assert!(
        record
            .config
            .exposed_ports
            .as_ref()
            .unwrap()
            .contains_key("80/tcp")
    );
    assert_eq!(record.config.hostname, record.id[..12]);
    assert_eq!(record.host_config.network_mode, "default");
    assert_eq!(record.host_config.shm_size, 64 << 20);
    assert_eq!(record.host_config.cgroupns_mode, "host");
    assert_eq!(record.host_config.log_config.kind, "json-file");
    assert_eq!(record.host_config.log_config.config["max-size"], "1m");
    assert_eq!(record.host_config.oom_kill_disable, Some(false));
    assert!(
        record
            .host_config
            .masked_paths
            .as_ref()
            .unwrap()
            .contains(&"/proc/kcore".to_string())
    );
    assert_eq!(record.host_config.readonly_paths.as_ref().unwrap().len(), 5);
    assert!(warnings.is_empty(), "{warnings:?}");
    let hostname = std::fs::read_to_string(record.hostname_path(&fx.dir)).unwrap();
    assert_eq!(hostname, format!("{}\n", &record.id[..12]));
    assert!(record.hosts_path(&fx.dir).exists() && record.resolv_conf_path(&fx.dir).exists());
    // The stored record is what was returned.
    let stored: ContainerRecord = fx
        .daemon
        .store()
        .get_container(&record.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored, record);
}

#[test]
fn entrypoint_and_cmd_combine_as_mobys() {
    let fx = Fixture::new("entrypoint");
    let (record, _) = fx
        .create("", json!({"Image": "busybox", "Entrypoint": "/bin/echo", "HostConfig": {"NetworkMode": "host"}}))
        .unwrap();
    // A user entrypoint drops the image's Cmd.
    assert_eq!((record.path.as_str(), record.args.len()), ("/bin/echo", 0));
    assert_eq!(record.config.hostname, "thehost");
    assert!(super::names::is_valid_name(&record.name), "{}", record.name);
    let (record, _) = fx
        .create(
            "",
            json!({"Image": "busybox", "Cmd": ["echo", "a b"], "HostConfig": {"Memory": 8388608}}),
        )
        .unwrap();
    assert_eq!(
        (record.path.as_str(), record.args.as_slice()),
        ("echo", &["a b".to_string()][..])
    );
    assert_eq!(record.host_config.memory_swap, 16_777_216);
    // An emptied entrypoint still takes the image's Cmd.
    let (record, _) = fx
        .create(
            "",
            json!({"Image": "busybox", "Entrypoint": [""], "Cmd": []}),
        )
        .unwrap();
    assert_eq!(
        (record.path.as_str(), record.config.entrypoint.as_deref()),
        ("sh", Some(&[][..]))
    );
    let empty = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    fx.daemon
        .store()
        .put_image(
            empty,
            &stored_image(empty, &json!({"config": {}, "rootfs": {"type": "layers"}})),
        )
        .unwrap();
    fx.daemon
        .store()
        .set_tag("docker.io/library/empty:latest", empty)
        .unwrap();
    let error = fx.create("", json!({"Image": "empty"})).unwrap_err();
    assert_eq!(
        (error.status(), error.message.as_str()),
        (400, "No command specified")
    );
}

#[test]
fn create_errors_in_mobys_order_and_words() {
    let fx = Fixture::new("errors");
    let missing = fx.create("x1", json!({"Image": "alpine"})).unwrap_err();
    assert_eq!(
        (missing.status(), missing.message.as_str()),
        (404, "No such image: alpine:latest")
    );
    let bad_memory = fx
        .create(
            "x1",
            json!({"Image": "alpine", "HostConfig": {"Memory": -1}}),
        )
        .unwrap_err();
    assert_eq!(
        (bad_memory.status(), bad_memory.message.as_str()),
        (400, "Minimum memory limit allowed is 6MB")
    );
    let bad_name = fx.create("a b", json!({"Image": "busybox"})).unwrap_err();
    assert_eq!(bad_name.status(), 400);
    assert!(bad_name.message.starts_with("Invalid container name (a b)"));
    for (body, message) in [
        (
            json!({"Image": "busybox", "WorkingDir": "rel"}),
            "the working directory 'rel' is invalid, it needs to be an absolute path",
        ),
        (
            json!({"Image": "busybox", "StopSignal": "SIGFOO"}),
            "Invalid signal: SIGFOO",
        ),
        (
            json!({"Image": "busybox", "HostConfig": {"ExtraHosts": ["nohost"]}}),
            "bad format for add-host: \"nohost\"",
        ),
    ] {
        let error = fx.create("", body).unwrap_err();
        assert_eq!((error.status(), error.message.as_str()), (400, message));
    }
    let wrong_type = fx
        .create(
            "x",
            json!({"Image": "busybox", "HostConfig": {"Privileged": "yes"}}),
        )
        .unwrap_err();
    assert_eq!(
        wrong_type.message,
        "invalid JSON: json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Privileged of type bool"
    );
    assert_eq!(
        decode_create_body(None).unwrap_err().message,
        "config cannot be empty in order to create a container"
    );
    let (first, _) = fx.create("/dup", json!({"Image": "busybox"})).unwrap();
    let conflict = fx.create("dup", json!({"Image": "busybox"})).unwrap_err();
    assert_eq!(conflict.status(), 409);
    assert_eq!(
        conflict.message,
        format!(
            "Conflict. The container name \"/dup\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
            first.id
        )
    );
    // Nothing of the refused containers stays behind.
    assert_eq!(
        fx.daemon
            .store()
            .list_containers::<ContainerRecord>()
            .unwrap()
            .len(),
        1
    );
    let dirs = std::fs::read_dir(fx.dir.join("containers"))
        .unwrap()
        .count();
    assert_eq!(dirs, 1);
}

#[test]
fn images_resolve_by_reference_and_id() {
    let fx = Fixture::new("images");
    let images = DaemonImages(&fx.daemon);
    for name in [
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox",
        IMAGE_ID,
        &IMAGE_ID[7..],
        "sha256:1111",
        "11111111",
    ] {
        assert_eq!(images.resolve(name).unwrap().id, IMAGE_ID, "{name}");
    }
    assert_eq!(
        images.resolve("busybox:1").unwrap_err().message,
        "No such image: busybox:1"
    );
    assert_eq!(images.resolve("2222").unwrap_err().status(), 404);
}

#[test]
fn containers_are_found_by_id_name_and_prefix() {
    let fx = Fixture::new("find");
    let (a, _) = fx.create("alpha", json!({"Image": "busybox"})).unwrap();
    assert_eq!(find_container(fx.daemon.store(), &a.id).unwrap().id, a.id);
    assert_eq!(find_container(fx.daemon.store(), "alpha").unwrap().id, a.id);
    assert_eq!(
        find_container(fx.daemon.store(), "/alpha").unwrap().id,
        a.id
    );
    assert_eq!(
        find_container(fx.daemon.store(), &a.id[..5]).unwrap().id,
        a.id
    );
    let missing = find_container(fx.daemon.store(), "nosuch").unwrap_err();
    assert_eq!(
        (missing.status(), missing.message.as_str()),
        (404, "No such container: nosuch")
    );
}

#[test]
fn list_filters() {
    let fx = Fixture::new("list");
    let (one, _) = fx
        .create(
            "one",
            json!({"Image": "busybox", "Labels": {"tier": "web"}}),
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.create("two", json!({"Image": "busybox"})).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let (three, _) = fx.create("three", json!({"Image": "busybox"})).unwrap();
    fx.daemon
        .update_container(&three.id, |r| {
            r.mark_started(10, 1)?;
            Ok(r.mark_exited(3, false, 2)?)
        })
        .unwrap();
    assert!(fx.list(false, "").unwrap().is_empty());
    assert_eq!(fx.list(true, "").unwrap(), ["three", "two", "one"]);
    // A limit lists stopped containers too, newest first (`ps -n`, `ps -l`).
    assert_eq!(
        fx.list_limited(false, Some(2), "").unwrap(),
        ["three", "two"]
    );
    assert_eq!(
        fx.list_limited(false, Some(-1), "").unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        fx.list(false, r#"{"status":{"exited":true}}"#).unwrap(),
        ["three"]
    );
    assert_eq!(
        fx.list(true, r#"{"status":["created"]}"#).unwrap(),
        ["two", "one"]
    );
    assert_eq!(fx.list(true, r#"{"exited":["3"]}"#).unwrap(), ["three"]);
    assert!(fx.list(true, r#"{"exited":["0"]}"#).unwrap().is_empty());
    assert_eq!(fx.list(true, r#"{"label":["tier=web"]}"#).unwrap(), ["one"]);
    assert_eq!(
        fx.list(true, r#"{"name":["^/t"]}"#).unwrap(),
        ["three", "two"]
    );
    assert_eq!(
        fx.list(true, &format!(r#"{{"id":["{}"]}}"#, &one.id[..10]))
            .unwrap(),
        ["one"]
    );
    assert_eq!(fx.list(true, r#"{"before":["two"]}"#).unwrap(), ["one"]);
    assert_eq!(
        fx.list(true, r#"{"since":["one"]}"#).unwrap(),
        ["three", "two"]
    );
    assert_eq!(
        fx.list(true, r#"{"ancestor":["busybox"]}"#).unwrap().len(),
        3
    );
    assert!(
        fx.list(true, r#"{"ancestor":["alpine"]}"#)
            .unwrap()
            .is_empty()
    );
    for (bad, message) in [
        (
            r#"{"status":["sleeping"]}"#,
            "invalid filter 'status=sleeping'",
        ),
        (r#"{"exited":["x"]}"#, "invalid filter 'exited=x'"),
        (r#"{"colour":["red"]}"#, "invalid filter 'colour'"),
    ] {
        assert_eq!(fx.list(true, bad).unwrap_err().message, message);
    }
    assert_eq!(
        fx.list(true, r#"{"before":["nosuch"]}"#)
            .unwrap_err()
            .status(),
        404
    );
}

#[test]
fn rename_remove_and_prune() {
    let fx = Fixture::new("remove");
    let store = fx.daemon.store();
    let (a, _) = fx
        .create("a1", json!({"Image": "busybox", "Labels": {"keep": "yes"}}))
        .unwrap();
    let (b, _) = fx.create("b1", json!({"Image": "busybox"})).unwrap();
    let (old, renamed) = remove::rename_container(store, &a.id, "a2").unwrap();
    assert_eq!((old.as_str(), renamed.name.as_str()), ("a1", "a2"));
    assert_eq!(
        store.container_id_by_name("a2").unwrap().as_deref(),
        Some(a.id.as_str())
    );
    assert_eq!(store.container_id_by_name("a1").unwrap(), None);
    let a = find_container(store, "a2").unwrap();
    let conflict = remove::rename_container(store, &a.id, "b1").unwrap_err();
    assert_eq!(conflict.status(), 409);
    assert!(conflict.message.contains(&b.id));
    assert_eq!(
        remove::rename_container(store, &a.id, "a2")
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(
        remove::rename_container(store, &a.id, "")
            .unwrap_err()
            .message,
        "Neither old nor new names may be empty"
    );
    assert_eq!(
        remove::rename_container(store, &a.id, "-x")
            .unwrap_err()
            .status(),
        400
    );

    let running = fx
        .daemon
        .update_container(&b.id, |r| {
            r.mark_started(99, 1)?;
            Ok(r.clone())
        })
        .unwrap();
    let refused = remove::remove_container(&fx.daemon, &running.id, false, false).unwrap_err();
    assert_eq!(refused.status(), 409);
    assert_eq!(
        refused.message,
        "cannot remove container \"/b1\": container is running: stop the container before removing or force remove"
    );
    fx.daemon
        .update_container(&b.id, |r| Ok(r.mark_exited(0, false, 2)?))
        .unwrap();
    let report = remove::prune(
        &fx.daemon,
        &Filters::parse(r#"{"label!":["keep"]}"#).unwrap(),
        crate::gofmt::time::now_nanos(),
    )
    .unwrap();
    assert_eq!(report.containers_deleted, Some(vec![b.id.clone()]));
    assert!(!Path::new(&b.dir(&fx.dir)).exists());
    let none = remove::prune(
        &fx.daemon,
        &Filters::parse(r#"{"until":["1h"]}"#).unwrap(),
        crate::gofmt::time::now_nanos(),
    )
    .unwrap();
    assert_eq!(none.containers_deleted, None);
    assert_eq!(
        remove::prune(
            &fx.daemon,
            &Filters::parse(r#"{"until":["soon"]}"#).unwrap(),
            0
        )
        .unwrap_err()
        .status(),
        400
    );
    assert_eq!(remove::remove_link("a2").status(), 409);
    assert_eq!(remove::remove_link("/a2/db").status(), 404);
    remove::remove_container(&fx.daemon, &a.id, false, false).unwrap();
    assert!(
        store
            .list_containers::<ContainerRecord>()
            .unwrap()
            .is_empty()
    );
    assert!(!a.dir(&fx.dir).exists());
    assert_eq!(store.container_id_by_name("a2").unwrap(), None);
}

#[test]
fn state_changes_are_one_transaction_each() {
    let fx = Fixture::new("update");
    let (record, _) = fx.create("u1", json!({"Image": "busybox"})).unwrap();
    let pid = fx
        .daemon
        .update_container(&record.id, |r| {
            r.mark_started(1234, 5)?;
            Ok(r.state.pid)
        })
        .unwrap();
    assert_eq!(pid, 1234);
    let refused = fx
        .daemon
        .update_container(&record.id, |r| Ok(r.mark_started(1, 6)?))
        .unwrap_err();
    assert_eq!(refused.status(), 409);
    let stored = find_container(fx.daemon.store(), "u1").unwrap();
    assert_eq!((stored.state.pid, stored.state.started_at), (1234, 5));
    fx.daemon
        .update_container(&record.id, |r| Ok(r.mark_exited(2, false, 7)?))
        .unwrap();
    assert_eq!(
        find_container(fx.daemon.store(), "u1")
            .unwrap()
            .state
            .exit_code,
        2
    );
    assert_eq!(
        fx.daemon
            .update_container("nosuch", |_| Ok(()))
            .unwrap_err()
            .status(),
        404
    );
}

#[test]
fn the_daemon_builds_specs_with_its_settings() {
    let fx = Fixture::new("daemon-spec");
    let (record, _) = fx
        .create(
            "s1",
            json!({"Image": "busybox", "HostConfig": {"Init": true}}),
        )
        .unwrap();
    let settings = super::spec_settings::SpecSettings::detect().unwrap();
    assert!(settings.init_binary.is_absolute());
    assert!(!settings.bounding_caps.is_empty());
    let spec = fx
        .daemon
        .build_spec(&record, &fx.dir, &settings, None)
        .unwrap();
    let args = spec.process().as_ref().unwrap().args().clone().unwrap();
    assert_eq!(args, ["/sbin/docker-init", "--", "sh"]);
    let init = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new("/sbin/docker-init"))
        .unwrap();
    assert_eq!(
        init.source().as_deref(),
        Some(settings.init_binary.as_path())
    );
    let hosts = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new("/etc/hosts"))
        .unwrap();
    assert_eq!(
        hosts.source().as_deref(),
        Some(record.hosts_path(&fx.dir).as_path())
    );
}

#[test]
fn a_rename_keeps_an_exit_recorded_after_the_rename_was_asked_for() {
    let fx = Fixture::new("rename-race");
    let store = fx.daemon.store();
    let (record, _) = fx.create("r1", json!({"Image": "busybox"})).unwrap();
    fx.daemon
        .update_container(&record.id, |r| Ok(r.mark_started(42, 1)?))
        .unwrap();
    // What the rename route read: running. The exit lands before the
    // rename is stored; the rename must not bring "running" back.
    let seen_by_rename = find_container(store, "r1").unwrap();
    assert!(seen_by_rename.is_running());
    fx.daemon
        .update_container(&record.id, |r| Ok(r.mark_exited(0, false, 2)?))
        .unwrap();
    remove::rename_container(store, &seen_by_rename.id, "r2").unwrap();
    let stored = find_container(store, "r2").unwrap();
    assert_eq!(
        (stored.status(), stored.state.pid, stored.name.as_str()),
        (Status::Exited, 0, "r2")
    );
    // Removal frees the name the record has now.
    remove::remove_container(&fx.daemon, &seen_by_rename.id, false, false).unwrap();
    assert_eq!(store.container_id_by_name("r2").unwrap(), None);
    assert_eq!(store.container_id_by_name("r1").unwrap(), None);
}

#[test]
fn concurrent_updates_and_renames_lose_nothing() {
    let fx = Fixture::new("concurrent");
    let (record, _) = fx.create("c0", json!({"Image": "busybox"})).unwrap();
    let daemon = &fx.daemon;
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let id = record.id.clone();
            scope.spawn(move || {
                for round in 0..25 {
                    daemon
                        .update_container(&id, |r| {
                            r.restart_count += 1;
                            Ok(())
                        })
                        .unwrap();
                    remove::rename_container(daemon.store(), &id, &format!("c{worker}-{round}"))
                        .unwrap();
                }
            });
        }
    });
    let stored: ContainerRecord = daemon.store().get_container(&record.id).unwrap().unwrap();
    assert_eq!(stored.restart_count, 100);
    // Exactly one name, the record's own, points at the container.
    assert_eq!(
        daemon.store().container_id_by_name(&stored.name).unwrap(),
        Some(record.id.clone())
    );
    let names = daemon
        .store()
        .read(|tx| tx.list_raw(crate::store::Table::ContainerNames))
        .unwrap();
    assert_eq!(names.len(), 1, "{names:?}");
}
