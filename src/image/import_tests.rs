use super::*;
use crate::image::test_util::require_root;
use crate::image::test_util::{LayerTar, TestDir, busybox_rootfs, gzip, tar_of_dir};
use crate::image::{Digest, DriverKind};

fn changes(list: &[&str]) -> Result<ContainerConfig> {
    let mut config = ContainerConfig::default();
    apply_changes(
        &mut config,
        &list.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    )?;
    Ok(config)
}

#[test]
fn changes_follow_dockerfile_rules() {
    let config = changes(&[
        "CMD [\"echo\", \"hi\"]",
        "ENV PATH=/bin:/usr/bin GREETING=\"hello world\"",
        "env LEGACY a value with spaces",
        "ENV GREETING=$GREETING!",
        "WORKDIR /srv",
        "WORKDIR app/../data",
        "USER 1000:1000",
        "LABEL a=b \"with space\"='x y' c=${LEGACY}",
        "EXPOSE 80 53/udp 8000-8001",
        "VOLUME [\"/v1\", \"/v2\"]",
        "VOLUME /v3 /v4",
        "STOPSIGNAL SIGQUIT",
    ])
    .unwrap();
    assert_eq!(config.cmd.unwrap(), ["echo", "hi"]);
    assert_eq!(
        config.env.unwrap(),
        [
            "PATH=/bin:/usr/bin",
            "LEGACY=a value with spaces",
            "GREETING=hello world!"
        ]
    );
    assert_eq!(config.working_dir, "/srv/data");
    assert_eq!(config.user, "1000:1000");
    let labels = config.labels.unwrap();
    assert_eq!(labels["a"], "b");
    assert_eq!(labels["with space"], "x y");
    assert_eq!(labels["c"], "a value with spaces");
    let ports: Vec<&String> = config.exposed_ports.as_ref().unwrap().keys().collect();
    assert_eq!(ports, ["53/udp", "80/tcp", "8000/tcp", "8001/tcp"]);
    assert_eq!(config.volumes.unwrap().len(), 4);
    assert_eq!(config.stop_signal.as_deref(), Some("SIGQUIT"));

    let shell = changes(&["CMD echo $HOME", "ENTRYPOINT /bin/tool --flag"]).unwrap();
    assert_eq!(shell.cmd.unwrap(), ["/bin/sh", "-c", "echo $HOME"]);
    assert_eq!(
        shell.entrypoint.unwrap(),
        ["/bin/sh", "-c", "/bin/tool --flag"]
    );
    // ENTRYPOINT before CMD in the same changes drops nothing set later.
    let both = changes(&["ENTRYPOINT [\"a\"]", "CMD [\"b\"]"]).unwrap();
    assert_eq!(
        (both.entrypoint.unwrap(), both.cmd.unwrap()),
        (vec!["a".to_string()], vec!["b".to_string()])
    );
}

#[test]
fn bad_changes_are_refused() {
    let error = |list: &[&str]| changes(list).unwrap_err().to_string();
    assert_eq!(error(&["RUN make"]), "run is not a valid change command");
    assert_eq!(error(&["FROM x"]), "from is not a valid change command");
    assert_eq!(error(&["EXPOSE http"]), "Invalid containerPort: http");
    assert_eq!(error(&["EXPOSE 80/xyz"]), "Invalid proto: xyz");
    assert_eq!(error(&["STOPSIGNAL SIGNOPE"]), "Invalid signal: SIGNOPE");
    assert!(error(&["ENV"]).contains("requires at least one argument"));
    assert!(error(&["ENV ONLYKEY"]).contains("must have two arguments"));
    assert!(error(&["LABEL a=\"unterminated"]).contains("double-quote"));
    assert!(error(&["WORKDIR"]).contains("WORKDIR"));
}

#[test]
fn imports_a_rootfs_tar_with_changes() {
    require_root!();
    let dir = TestDir::new("import");
    let rootfs = dir.join("rootfs");
    let Some(()) = busybox_rootfs("imports_a_rootfs_tar_with_changes", &rootfs) else {
        return;
    };
    let store = ImageStore::open(&dir.join("data"), Some(DriverKind::Vfs)).unwrap();
    let tag = Reference::parse_with_default_tag("imported:v1").unwrap();
    let options = ImportOptions {
        changes: vec!["CMD [\"/bin/sh\"]".into(), "ENV A=1".into()],
        tag: Some(tag.clone()),
        ..ImportOptions::default()
    };
    let tar = tar_of_dir(&rootfs);
    let record = store.import(&gzip(&tar)[..], &options).unwrap();
    assert_eq!(record.id, Digest::of_bytes(&record.config_raw));
    assert_eq!(record.diff_ids, vec![Digest::of_bytes(&tar)]);
    assert_eq!(record.repo_tags, vec![tag]);
    assert_eq!(record.config.comment, "Imported from -");
    assert_eq!(record.config.os, "linux");
    let container = record.config.config.as_ref().unwrap();
    assert_eq!(container.cmd.as_ref().unwrap(), &["/bin/sh"]);
    assert_eq!(container.env.as_ref().unwrap(), &["A=1"]);
    assert_eq!(
        store.record(&record.id, Vec::new()).unwrap().config,
        record.config
    );

    let made = store.create_rootfs("imported", &record.id).unwrap();
    assert!(made.join("bin/busybox").is_file());
    store.remove_rootfs("imported").unwrap();

    // A bad change stores nothing.
    let bad = ImportOptions {
        changes: vec!["RUN x".into()],
        ..ImportOptions::default()
    };
    let layer = LayerTar::new().file("x", b"x", 0o644).finish();
    assert!(store.import(&layer[..], &bad).unwrap_err().is_bad_input());
    assert_eq!(
        store.content().config_ids().unwrap(),
        vec![record.id.clone()]
    );

    let with_message = ImportOptions {
        message: "base system".into(),
        ..ImportOptions::default()
    };
    let record = store.import(&layer[..], &with_message).unwrap();
    assert_eq!(record.config.history[0].comment, "base system");
}
