//! `docker diff`, `docker commit` and `docker export` through the real
//! Docker CLI 28, against our daemon and against Debian's dockerd 20.10,
//! with the answers compared after normalising IDs and times.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::harness::engine::{Engine, need_engine};
use crate::require;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;

type Docker<'a> = &'a dyn Fn(&[&str]) -> Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

/// 64-hex IDs (with or without `sha256:`) and their 12-hex short forms
/// become `<id>`; `tag` becomes `TAG`.
fn normalise(line: &str, tag: &str) -> String {
    let replaced = line.replace(tag, "TAG");
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && (word.len() == 64 || word.len() == 12) {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in replaced.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
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
             && rm /etc/group && touch /tmp/t && rm -r /usr/sbin",
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
    let exported = export_names(docker, &name);
    seen.push(format!("{exported:?}"));
    must(docker, &["rm", &name]);
    must(docker, &["rmi", &image]);
    seen
}

/// The names `tar t` lists for `docker export -o` of a stopped container.
fn export_names(docker: Docker<'_>, name: &str) -> BTreeSet<String> {
    let dir = crate::harness::TempDir::new("commit-export");
    let file = dir.join("out.tar");
    must(docker, &["export", "-o", file.to_str().unwrap(), name]);
    let listed = std::process::Command::new("tar")
        .arg("tf")
        .arg(&file)
        .output()
        .expect("run tar");
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    text(&listed.stdout)
        .lines()
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
    must(docker, &["rm", "-f", &name]);
    must(docker, &["rmi", &image]);
    seen
}

#[test]
fn commit_diff_and_export_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let theirs = scenario(&|args| engine.docker(args), "dockerd");
    eprintln!("THEIRS {theirs:#?}");
    let theirs_running = running_scenario(&|args| engine.docker(args), "dockerd");
    eprintln!("THEIRS {theirs_running:#?}");
    let daemon = daemon_with_busybox("commit");
    let ours = scenario(&|args| daemon.docker(args), "ours");
    assert_eq!(ours, theirs, "daemon log:\n{}", daemon.log());
    let ours_running = running_scenario(&|args| daemon.docker(args), "ours");
    assert_eq!(
        ours_running,
        theirs_running,
        "daemon log:\n{}",
        daemon.log()
    );
}
