use super::*;

fn container() -> ContainerConfig {
    serde_json::from_value(serde_json::json!({
        "Hostname": "abc",
        "Image": "busybox",
        "Env": ["PATH=/bin", "KEEP=1"],
        "Cmd": ["sh", "-c", "true"],
        "Labels": {"from": "container"},
        "WorkingDir": "/w",
    }))
    .unwrap()
}

fn changes(list: &[&str]) -> Vec<String> {
    list.iter().map(|c| c.to_string()).collect()
}

#[test]
fn changes_apply_as_dockerfile_instructions() {
    let config = commit_config(
        container(),
        &container(),
        &changes(&[
            r#"CMD ["x"]"#,
            "ENV A=b",
            "EXPOSE 80",
            "LABEL l=v",
            "USER nobody",
        ]),
    )
    .unwrap();
    assert_eq!(config.cmd.as_deref(), Some(&["x".to_string()][..]));
    assert_eq!(
        config.env.as_deref(),
        Some(&["PATH=/bin".to_string(), "KEEP=1".into(), "A=b".into()][..])
    );
    assert!(config.exposed_ports.unwrap().contains_key("80/tcp"));
    assert_eq!(config.labels.as_ref().unwrap()["l"], "v");
    assert_eq!(config.labels.as_ref().unwrap()["from"], "container");
    assert_eq!(config.user, "nobody");
    assert_eq!(config.hostname, "abc", "the rest of the config is kept");
    assert_eq!(config.image, "busybox");
}

#[test]
fn a_new_entrypoint_drops_the_inherited_cmd_but_not_a_new_one() {
    let config =
        commit_config(container(), &container(), &changes(&["ENTRYPOINT [\"e\"]"])).unwrap();
    assert_eq!(config.entrypoint.as_deref(), Some(&["e".to_string()][..]));
    assert_eq!(config.cmd, None);
    let config = commit_config(
        container(),
        &container(),
        &changes(&["CMD c", "ENTRYPOINT [\"e\"]"]),
    )
    .unwrap();
    assert_eq!(
        config.cmd.as_deref(),
        Some(&["/bin/sh".to_string(), "-c".into(), "c".into()][..])
    );
}

#[test]
fn only_moby_commit_instructions_are_accepted() {
    for bad in [
        "STOPSIGNAL SIGKILL",
        "FROM busybox",
        "RUN true",
        "ADD a b",
        "nonsense",
    ] {
        let error = commit_config(container(), &container(), &changes(&[bad])).unwrap_err();
        let word = bad.split_whitespace().next().unwrap().to_lowercase();
        assert_eq!(
            error.message,
            format!("{word} is not a valid change command")
        );
    }
    let error = commit_config(container(), &container(), &changes(&["ENV"])).unwrap_err();
    assert!(error.message.contains("ENV"), "{}", error.message);
}

#[test]
fn a_given_config_is_merged_over_the_containers() {
    let given: ContainerConfig = serde_json::from_value(serde_json::json!({
        "Env": ["A=1", "PATH=/usr/bin"],
        "Labels": {"own": "x"},
    }))
    .unwrap();
    let config = commit_config(given, &container(), &[]).unwrap();
    assert_eq!(
        config.env.as_deref(),
        Some(&["A=1".to_string(), "PATH=/usr/bin".into(), "KEEP=1".into()][..])
    );
    assert_eq!(
        config.cmd,
        container().cmd,
        "no Cmd or Entrypoint: the container's"
    );
    assert_eq!(config.working_dir, "/w");
    let labels = config.labels.unwrap();
    assert_eq!(
        (labels["own"].as_str(), labels["from"].as_str()),
        ("x", "container")
    );
}

#[test]
fn pause_defaults_to_true_and_reads_go_booleans() {
    let cases = [
        (None, true),
        (Some(""), true),
        (Some("0"), false),
        (Some("false"), false),
        (Some("no"), false),
        (Some("none"), false),
        (Some("1"), true),
        (Some("True"), true),
    ];
    for (value, wanted) in cases {
        assert_eq!(pause_wanted(value), wanted, "{value:?}");
    }
}
