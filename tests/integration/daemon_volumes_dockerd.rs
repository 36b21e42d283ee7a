//! The volume scenarios of `daemon_volumes` run through the real Docker
//! CLI 28 against our daemon and against Debian's dockerd 20.10, with the
//! outputs compared after normalising times, data roots and anonymous
//! volume names: `volume ls`, `volume inspect` and inspect's `Mounts`.

use crate::daemon_run::{daemon_with_busybox, ok, skip_unless_ready};
use crate::harness::engine::{Engine, need_engine};
use crate::require;
use serde_json::Value;
use std::process::Output;

/// Times become `<time>`, paths keep what follows `/volumes/`, 64-hex
/// anonymous names become `<anonymous>`.
fn normalise(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key == "CreatedAt" {
                    *field = Value::String("<time>".into());
                } else {
                    normalise(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::String(text) => *text = normalise_text(text),
        _ => {}
    }
}

fn normalise_text(text: &str) -> String {
    let tail = match text.find("/volumes/") {
        Some(at) => format!("<root>{}", &text[at..]),
        None => text.to_string(),
    };
    tail.split('/')
        .map(|part| {
            let anonymous = part.len() == 64 && part.bytes().all(|b| b.is_ascii_hexdigit());
            if anonymous { "<anonymous>" } else { part }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One side of the comparison: a CLI runner and what it answered.
fn scenario(docker: &dyn Fn(&[&str]) -> Output, tag: &str) -> Vec<String> {
    let named = format!("vol17-{tag}-named");
    let plain = format!("vol17-{tag}-plain");
    let user = format!("vol17-{tag}-user");
    let must = |args: &[&str]| {
        let output = docker(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let mut seen = Vec::new();
    must(&["volume", "create", "--label", "tier=db", &named]);
    must(&["volume", "create", &plain]);
    let filter = format!("name=vol17-{tag}-");
    seen.push(must(&["volume", "ls", "--filter", &filter]).replace(tag, "TAG"));
    let mut volumes: Value = serde_json::from_str(&must(&["volume", "inspect", &named, &plain]))
        .expect("volume inspect JSON");
    normalise(&mut volumes);
    seen.push(volumes.to_string().replace(tag, "TAG"));
    let named_bind = format!("{named}:/named:ro");
    let mount = format!("type=volume,src={plain},dst=/mounted");
    must(&[
        "create",
        "--name",
        &user,
        "-v",
        &named_bind,
        "-v",
        "/anon",
        "--mount",
        &mount,
        "busybox",
    ]);
    let mounts = must(&["inspect", "--format", "{{json .Mounts}}", &user]);
    let mut mounts: Value = serde_json::from_str(&mounts).expect("Mounts JSON");
    if let Value::Array(items) = &mut mounts {
        items.sort_by_key(|m| m["Destination"].as_str().unwrap_or("").to_string());
    }
    normalise(&mut mounts);
    seen.push(mounts.to_string().replace(tag, "TAG"));
    let sharer = format!("vol17-{tag}-sharer");
    let from = format!("{user}:ro");
    must(&[
        "create",
        "--name",
        &sharer,
        "--volumes-from",
        &from,
        "busybox",
    ]);
    let mounts = must(&["inspect", "--format", "{{json .Mounts}}", &sharer]);
    let mut mounts: Value = serde_json::from_str(&mounts).expect("Mounts JSON");
    if let Value::Array(items) = &mut mounts {
        items.sort_by_key(|m| m["Destination"].as_str().unwrap_or("").to_string());
    }
    normalise(&mut mounts);
    seen.push(mounts.to_string().replace(tag, "TAG"));
    must(&["rm", &sharer]);
    let in_use = docker(&["volume", "rm", &named]);
    seen.push(format!("in use: exit {:?}", in_use.status.code()));
    must(&["rm", "-v", &user]);
    must(&["volume", "rm", &named, &plain]);
    seen.push(must(&["volume", "ls", "-q", "--filter", &filter]));
    seen
}

#[test]
fn volume_ls_inspect_and_mounts_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let reference = scenario(&|args| engine.docker(args), "ref");
    let daemon = daemon_with_busybox("volumes-control");
    let ours = scenario(&|args| daemon.docker(args), "ours");
    for (mine, theirs) in ours.iter().zip(&reference) {
        assert_eq!(mine, theirs, "\ndaemon log:\n{}", daemon.log());
    }
    ok(&daemon, &daemon.docker(&["volume", "ls"]));
}
