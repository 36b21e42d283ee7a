//! `docker diff`, `docker commit` and `docker export` through the real
//! Docker CLI 28, against our daemon and against Debian's dockerd 20.10,
//! with the answers compared after normalising IDs and times.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::engine::{Engine, need_engine};
use crate::harness::{normalise, text};
use crate::require;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;

type Docker<'a> = &'a dyn Fn(&[&str]) -> Output;

fn must(docker: Docker<'_>, args: &[&str]) -> String {
    let output = docker(args);
    assert!(
        output.status.success(),
        "{args:?}: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// The image fields a commit sets, with IDs and times normalised.
fn committed_fields(docker: Docker<'_>, image: &str, tag: &str) -> String {
    let raw = must(docker, &["image", "inspect", image]);
    let inspect: Value = serde_json::from_str(&raw).expect("image inspect JSON");
    let image = &inspect[0];
    let mut shown = serde_json::json!({
        "Author": image["Author"],
        "Comment": image["Comment"],
        "Cmd": image["Config"]["Cmd"],
        "Env": image["Config"]["Env"],
        "Entrypoint": image["Config"]["Entrypoint"],
        "Labels": image["Config"]["Labels"],
        "Layers": image["RootFS"]["Layers"].as_array().map(Vec::len),
        "ParentSet": image["Parent"].as_str().is_some_and(|p| !p.is_empty()),
    });
    normalise(&shown.take().to_string(), tag)
}

/// One side of the comparison.
fn scenario(docker: Docker<'_>, tag: &str) -> Vec<String> {
    let name = format!("commit17-{tag}");
    let mut seen = Vec::new();
    must(
        docker,
        &[
            "run",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "mkdir -p /newdir/sub && echo hi > /newdir/sub/file && echo x >> /etc/passwd \
             && rm /etc/group && touch /tmp/t && rm -r /usr/sbin \
             && ln -s / /escape && ln -s /etc/shadow /tmp/shadowlink && cp -a /sbin /moved-sbin && rm -r /sbin",
        ],
    );
    // moby 20.10 lists changes in Go map order: compare them sorted.
    let mut changes: Vec<String> = must(docker, &["diff", &name])
        .lines()
        .map(str::to_string)
        .collect();
    changes.sort_by(|a, b| a[2..].cmp(&b[2..]));
    seen.push(changes.join("\n"));
    let image = format!("commit17-{tag}:v1");
    let id = must(
        docker,
        &[
            "commit",
            "-c",
            r#"CMD ["cat", "/newdir/sub/file"]"#,
            "-c",
            "ENV A=b",
            "-m",
            "msg",
            "-a",
            "me",
            &name,
            &image,
        ],
    );
    seen.push(normalise(&id, tag));
    seen.push(committed_fields(docker, &image, tag));
    seen.push(normalise(
        &must(
            docker,
            &[
                "history",
                "--no-trunc",
                "--format",
                "{{.ID}}|{{.CreatedBy}}|{{.Comment}}",
                &image,
            ],
        ),
        tag,
    ));
    seen.push(must(docker, &["run", "--rm", &image]));
    let env = must(docker, &["run", "--rm", &image, "sh", "-c", "echo $A"]);
    seen.push(env);
    // A directory copied whole keeps its files, hard links included.
    let moved = "ls /moved-sbin | wc -l; /moved-sbin/route --help >/dev/null 2>&1; echo $?";
    seen.push(must(docker, &["run", "--rm", &image, "sh", "-c", moved]));
    let exported = export_names(docker, &name);
    seen.push(format!("{exported:?}"));
    must(docker, &["rm", &name]);
    must(docker, &["rmi", &image]);
    seen.extend(never_started_scenario(docker, tag));
    seen
}

/// A container never started: no changes, an export of its image (with
/// the init layer's entries), and a commit that adds an empty layer.
fn never_started_scenario(docker: Docker<'_>, tag: &str) -> Vec<String> {
    let name = format!("commit17-created-{tag}");
    let image = format!("commit17-created-{tag}:v1");
    let mut seen = Vec::new();
    must(docker, &["create", "--name", &name, "busybox", "true"]);
    seen.push(must(docker, &["diff", &name]));
    seen.push(format!("{:?}", export_names(docker, &name)));
    must(docker, &["commit", &name, &image]);
    seen.push(must(
        docker,
        &["inspect", "-f", "{{len .RootFS.Layers}}", &image],
    ));
    seen.push(must(
        docker,
        &["history", "--format", "{{.CreatedBy}}|{{.Size}}", &image],
    ));
    let missing = docker(&["diff", "commit17-no-such-container"]);
    seen.push(format!(
        "{:?} {}",
        missing.status.code(),
        text(&missing.stderr)
    ));
    let bad = docker(&["commit", "-c", "STOPSIGNAL 9", &name]);
    seen.push(format!("{:?} {}", bad.status.code(), text(&bad.stderr)));
    must(docker, &["rm", &name]);
    must(docker, &["rmi", &image]);
    seen
}

/// What `tar tv` lists for `docker export -o` of a container: names,
/// symlink targets and hard links (not modes, owners, sizes or times).
fn export_names(docker: Docker<'_>, name: &str) -> BTreeSet<String> {
    let dir = crate::harness::TempDir::new("commit-export");
    let file = dir.join("out.tar");
    must(docker, &["export", "-o", file.to_str().unwrap(), name]);
    let listed = std::process::Command::new("tar")
        .arg("tvf")
        .arg(&file)
        .output()
        .expect("run tar");
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    text(&listed.stdout)
        .lines()
        .map(|line| {
            line.split_whitespace()
                .skip(5)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|line| !line.starts_with("bin/") && !line.starts_with("usr/bin/"))
        .map(|line| line.trim_end_matches('/').to_string())
        .collect()
}

/// A commit of a running container pauses it (by default) and leaves it
/// running; `--pause=false` commits without pausing; a paused container
/// stays paused.
fn running_scenario(docker: Docker<'_>, tag: &str) -> Vec<String> {
    let name = format!("commit17-run-{tag}");
    let mut seen = Vec::new();
    let since = unix_now().to_string();
    must(
        docker,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "echo up > /up; sleep 60",
        ],
    );
    for _ in 0..100 {
        if docker(&["exec", &name, "cat", "/up"]).status.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let image = format!("commit17-run-{tag}:v1");
    seen.push(format!("{:?}", export_names(docker, &name)));
    seen.push(must(docker, &["diff", &name]));
    seen.push(normalise(&must(docker, &["commit", &name, &image]), tag));
    let state = must(docker, &["inspect", "-f", "{{.State.Status}}", &name]);
    seen.push(state);
    seen.push(must(docker, &["run", "--rm", &image, "cat", "/up"]));
    seen.push(normalise(
        &must(
            docker,
            &["history", "--format", "{{.CreatedBy}}|{{.Comment}}", &image],
        ),
        tag,
    ));
    must(docker, &["commit", "--pause=false", &name, &image]);
    must(docker, &["pause", &name]);
    must(docker, &["commit", &name, &image]);
    seen.push(must(docker, &["inspect", "-f", "{{.State.Status}}", &name]));
    must(docker, &["unpause", &name]);
    let until = (unix_now() + 1).to_string();
    let filter = format!("container={name}");
    seen.push(normalise(
        &must(
            docker,
            &[
                "events",
                "--since",
                &since,
                "--until",
                &until,
                "--filter",
                &filter,
                "--filter",
                "event=commit",
                "--filter",
                "event=pause",
                "--filter",
                "event=unpause",
                "--format",
                "{{.Action}} {{.Actor.Attributes.imageRef}} {{.Actor.Attributes.comment}}",
            ],
        ),
        tag,
    ));
    must(docker, &["rm", "-f", &name]);
    must(docker, &["rmi", &image]);
    seen
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Our client, as `docker`, against `daemon`.
fn ours(daemon: &TestDaemon, args: &[&str]) -> Output {
    let config = daemon.dir.join("cli-config-ours");
    std::fs::create_dir_all(&config).unwrap();
    crate::harness::run(
        std::process::Command::new(crate::harness::dockbox())
            .arg("docker")
            .args(args)
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT"),
    )
}

/// What an old client (API 1.41, as dockerd 20.10 speaks) sees of a
/// committed image: the container it came from and its config.
fn legacy_inspect(daemon: &TestDaemon, image: &str) -> Value {
    let response = daemon.connect().get(&format!("/v1.41/images/{image}/json"));
    response.json()
}

/// Commits of commits: history walks the parents, a parent with children
/// cannot be deleted by ID, untagging it keeps it (hidden from `images`
/// without `-a`), and deleting the child deletes the unnamed parent too.
fn parent_scenario(docker: Docker<'_>, tag: &str) -> Vec<String> {
    let (first, second) = (format!("chain17-{tag}-1"), format!("chain17-{tag}-2"));
    let (parent, child) = (format!("chain17-{tag}-a:v1"), format!("chain17-{tag}-b:v1"));
    must(
        docker,
        &[
            "run",
            "--name",
            &first,
            "busybox",
            "sh",
            "-c",
            "echo 1 > /one",
        ],
    );
    must(docker, &["commit", &first, &parent]);
    must(
        docker,
        &[
            "run",
            "--name",
            &second,
            &parent,
            "sh",
            "-c",
            "echo 2 > /two",
        ],
    );
    must(docker, &["commit", &second, &child]);
    must(docker, &["rm", &first, &second]);
    let mut seen = Vec::new();
    seen.push(normalise(
        &must(
            docker,
            &["history", "--format", "{{.ID}} {{.Comment}}", &child],
        ),
        tag,
    ));
    seen.push(must(
        docker,
        &["run", "--rm", &child, "cat", "/one", "/two"],
    ));
    let parent_id = must(docker, &["inspect", "-f", "{{.Id}}", &parent]);
    let parent_id = parent_id.trim();
    let by_id = docker(&["rmi", parent_id]);
    seen.push(format!(
        "{:?} {}",
        by_id.status.code(),
        normalise(&text(&by_id.stderr), tag)
    ));
    seen.push(normalise(&must(docker, &["rmi", &parent]), tag));
    let listed = |all: bool| {
        let args: &[&str] = if all {
            &["images", "-aq", "--no-trunc"]
        } else {
            &["images", "-q", "--no-trunc"]
        };
        must(docker, args).contains(parent_id)
    };
    seen.push(format!("listed {} with -a {}", listed(false), listed(true)));
    seen.push(normalise(&must(docker, &["rmi", &child]), tag));
    seen.push(format!("parent left: {}", listed(true)));
    seen
}

#[test]
fn commit_diff_and_export_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let theirs = scenario(&|args| engine.docker(args), "dockerd");
    let theirs_running = running_scenario(&|args| engine.docker(args), "dockerd");
    let theirs_parents = parent_scenario(&|args| engine.docker(args), "dockerd");
    let daemon = daemon_with_busybox("commit");
    let mine = scenario(&|args| daemon.docker(args), "ours");
    assert_eq!(mine, theirs, "daemon log:\n{}", daemon.log());
    let mine_parents = parent_scenario(&|args| daemon.docker(args), "ours");
    assert_eq!(
        mine_parents,
        theirs_parents,
        "daemon log:\n{}",
        daemon.log()
    );
    let ours_running = running_scenario(&|args| daemon.docker(args), "ours");
    assert_eq!(
        ours_running,
        theirs_running,
        "daemon log:\n{}",
        daemon.log()
    );
}

/// Our client prints what the real CLI prints for diff, commit and
/// export, errors included, and what it commits is the same image.
#[test]
fn our_client_commits_diffs_and_exports_as_the_real_cli() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("commit-client");
    let real = |args: &[&str]| daemon.docker(args);
    let mine = |args: &[&str]| ours(&daemon, args);
    must(
        &real,
        &[
            "run",
            "--name",
            "changed",
            "busybox",
            "sh",
            "-c",
            "mkdir /made && echo x > /made/f && rm /etc/group && ln -s / /made/root",
        ],
    );
    let shown = |output: Output| {
        (
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr),
        )
    };
    for args in [
        &["diff", "changed"][..],
        &["container", "diff", "changed"],
        &["diff", "no-such-container"],
        &["commit", "-c", "STOPSIGNAL 9", "changed"],
        &["commit", "changed", "Bad:Name"],
        &["export", "-o", "/nonexistent-dir/out.tar", "changed"],
    ] {
        assert_eq!(shown(mine(args)), shown(real(args)), "docker {args:?}");
    }
    let id = must(
        &mine,
        &[
            "commit",
            "-c",
            r#"CMD ["cat", "/made/f"]"#,
            "-c",
            "ENV A=b",
            "-m",
            "msg",
            "-a",
            "me",
            "--pause=false",
            "changed",
            "committed:v1",
        ],
    );
    assert!(id.starts_with("sha256:") && id.trim().len() == 71, "{id:?}");
    assert_eq!(must(&real, &["run", "--rm", "committed:v1"]), "x\n");
    let fields = committed_fields(&real, "committed:v1", "ours");
    assert!(fields.contains(r#""Author":"me""#), "{fields}");
    assert!(fields.contains(r#""Comment":"msg""#), "{fields}");
    assert!(fields.contains(r#""A=b""#), "{fields}");
    check_legacy_fields(&daemon, "changed", "committed:v1");
    check_same_export(&daemon, "changed");
    must(&real, &["rm", "changed"]);
    must(&real, &["rmi", "committed:v1"]);
}

/// A daemon on the vfs driver, with the busybox fixture loaded.
fn vfs_daemon_with_busybox(label: &str) -> TestDaemon {
    use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
    let dir = crate::harness::TempDir::new(label);
    let rootfs = BusyboxRootfs::build(&dir.join("busybox-src")).unwrap();
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    std::fs::remove_dir_all(&rootfs.path).unwrap();
    let cgroup = format!("dockbox-run-test-{}-{label}", std::process::id());
    let config = serde_json::json!({"cgroup-parent": cgroup, "storage-driver": "vfs"});
    std::fs::write(dir.join("daemon.json"), config.to_string()).unwrap();
    let daemon = TestDaemon::start_customised(dir, |_| {});
    must(
        &|args| daemon.docker(args),
        &["load", "-q", "-i", &archive.to_string_lossy()],
    );
    daemon
}

/// On vfs the changes come from comparing the container's copy with the
/// image: the same answers as dockerd 20.10 on overlay2.
#[test]
fn vfs_diff_commit_and_export_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let theirs = scenario(&|args| engine.docker(args), "dockerd-vfs");
    let daemon = vfs_daemon_with_busybox("commit-vfs");
    let driver = must(&|args| daemon.docker(args), &["info", "-f", "{{.Driver}}"]);
    assert_eq!(driver, "vfs\n");
    let mine = scenario(&|args| daemon.docker(args), "ours-vfs");
    assert_eq!(mine, theirs, "daemon log:\n{}", daemon.log());
}

/// The fields API 1.41 shows of a committed image: the container, its
/// config, the new config and the parent.
fn check_legacy_fields(daemon: &TestDaemon, container: &str, image: &str) {
    let real = |args: &[&str]| daemon.docker(args);
    let legacy = legacy_inspect(daemon, image);
    let container_id = must(&real, &["inspect", "-f", "{{.Id}}", container]);
    assert_eq!(legacy["Container"], container_id.trim(), "{legacy}");
    assert_eq!(legacy["ContainerConfig"]["Cmd"][0], "sh", "{legacy}");
    assert_eq!(legacy["Config"]["Cmd"][0], "cat", "{legacy}");
    assert_eq!(
        legacy["Parent"],
        must(&real, &["inspect", "-f", "{{.Id}}", "busybox"]).trim(),
        "{legacy}"
    );
}

/// Our client's export of `container` holds what the real CLI's does
/// below /made, the symlink kept as one.
fn check_same_export(daemon: &TestDaemon, container: &str) {
    let real = |args: &[&str]| daemon.docker(args);
    let mine = |args: &[&str]| ours(daemon, args);
    let dir = crate::harness::TempDir::new("commit-client-export");
    let (mine_tar, real_tar) = (dir.join("mine.tar"), dir.join("real.tar"));
    must(
        &mine,
        &["export", "-o", mine_tar.to_str().unwrap(), container],
    );
    must(
        &real,
        &["export", "-o", real_tar.to_str().unwrap(), container],
    );
    let listing = |file: &std::path::Path| {
        let output = std::process::Command::new("tar")
            .arg("tvf")
            .arg(file)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout)
            .lines()
            .filter(|line| line.contains("made"))
            .map(|line| {
                line.split_whitespace()
                    .skip(5)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
    };
    let made = listing(&mine_tar);
    assert_eq!(made, listing(&real_tar));
    // Stored as the symlink it is, not followed to the host's root.
    assert!(
        made.iter().any(|l| l.starts_with("made/root -> /")),
        "{made:?}"
    );
    assert_eq!(made.len(), 3, "{made:?}");
}

/// Bad input to the new endpoints is the client's fault (4xx with a
/// message), and a refused commit leaves no image behind; a body config
/// replaces the container's, merged over it as moby merges.
#[test]
fn bad_commit_input_gets_4xx_and_a_body_config_is_merged() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("commit-bad-input");
    let real = |args: &[&str]| daemon.docker(args);
    must(
        &real,
        &[
            "create", "--name", "held", "-e", "KEEP=1", "busybox", "true",
        ],
    );
    let images_before = must(&real, &["images", "-aq"]);
    let mut raw = daemon.connect();
    for (method, path, status) in [
        ("POST", "/commit?container=held&repo=Bad", 400),
        ("POST", "/commit?container=held&repo=ok&tag=bad:tag", 400),
        ("POST", "/commit?container=held&changes=FROM%20x", 400),
        ("POST", "/commit?container=nope", 404),
        ("GET", "/containers/nope/changes", 404),
        ("GET", "/containers/nope/export", 404),
    ] {
        let response = raw.request(method, path, "");
        assert_eq!(
            response.status,
            status,
            "{method} {path}: {}",
            response.body_text()
        );
        assert!(response.json()["message"].is_string(), "{path}");
    }
    assert_eq!(must(&real, &["images", "-aq"]), images_before);
    let body = r#"{"Env":["A=1"],"Cmd":["echo","body"],"Labels":{"l":"v"}}"#;
    let response = raw.request("POST", "/commit?container=held&repo=merged", body);
    assert_eq!(response.status, 201, "{}", response.body_text());
    let inspect = must(
        &real,
        &["image", "inspect", "-f", "{{json .Config}}", "merged"],
    );
    let config: Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(config["Cmd"], serde_json::json!(["echo", "body"]));
    assert_eq!(config["Labels"]["l"], "v");
    let env = config["Env"].as_array().unwrap();
    assert!(
        env.contains(&"A=1".into()) && env.contains(&"KEEP=1".into()),
        "{config}"
    );
    assert_eq!(must(&real, &["run", "--rm", "merged"]), "body\n");
    must(&real, &["rm", "held"]);
    must(&real, &["rmi", "merged"]);
}
