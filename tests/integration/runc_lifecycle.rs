//! create -> start -> state -> kill -> delete, the state directory, pid
//! files, concurrent creates, list, and nothing left behind.

use crate::harness::{TempDir, report_skip, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, alive, output_via_files, reap};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn wait_for_status(runtime: &Runtime, id: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while runtime.status(id) != wanted {
        assert!(Instant::now() < deadline, "{id} never became {wanted}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The whole lifecycle on one runtime; returns the keys `state` printed.
fn lifecycle(runtime: &Runtime, bundle_dir: &Path) -> BTreeSet<String> {
    let id = "life";
    let _guard = runtime.guard(id);
    let pid_file = runtime.root.join("init.pid");
    let bundle = bundle_dir.to_str().unwrap();
    runtime.ok(&[
        "create",
        "--bundle",
        bundle,
        "--pid-file",
        pid_file.to_str().unwrap(),
        id,
    ]);
    let state = runtime.state(id);
    assert_eq!(state["status"], "created", "{}: {state}", runtime.name);
    assert_eq!(state["id"], id);
    let pid = state["pid"].as_i64().unwrap();
    assert!(pid > 0);
    let pid_text = std::fs::read_to_string(&pid_file).expect("pid file written by create");
    assert_eq!(pid_text.trim(), pid.to_string(), "{}", runtime.name);
    assert_eq!(state["bundle"], bundle);
    assert_eq!(
        state["rootfs"],
        bundle_dir.join("rootfs").to_str().unwrap(),
        "{}",
        runtime.name
    );

    runtime.ok(&["start", id]);
    assert_eq!(runtime.status(id), "running");
    let again = runtime.run(&["start", id]);
    assert!(!again.status.success());

    let delete = runtime.run(&["delete", id]);
    assert!(
        !delete.status.success(),
        "{}: delete of a running container",
        runtime.name
    );
    assert_eq!(runtime.status(id), "running");

    runtime.ok(&["kill", id, "KILL"]);
    wait_for_status(runtime, id, "stopped");
    let stopped = runtime.state(id);
    assert_eq!(stopped["pid"], 0, "{}: {stopped}", runtime.name);
    let kill = runtime.run(&["kill", id]);
    assert!(
        stderr_of(&kill).contains("container not running"),
        "{}: {}",
        runtime.name,
        stderr_of(&kill)
    );
    runtime.ok(&["delete", id]);
    let gone = runtime.run(&["state", id]);
    assert!(stderr_of(&gone).contains("container does not exist"));
    state.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn lifecycle_matches_runc() {
    let dir = TempDir::new("runc-life");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let ours = Runtime::ours();
    let our_keys = lifecycle(&ours, &bundle.dir);
    assert_eq!(
        our_keys,
        [
            "bundle",
            "created",
            "id",
            "ociVersion",
            "owner",
            "pid",
            "rootfs",
            "status"
        ]
        .iter()
        .map(|k| k.to_string())
        .collect()
    );
    match Runtime::debian() {
        Ok(runc) => assert_eq!(our_keys, lifecycle(&runc, &bundle.dir)),
        Err(reason) => report_skip("lifecycle_matches_runc (runc part)", &reason),
    }
}

#[test]
fn state_shows_annotations_and_stopped_before_delete() {
    let dir = TempDir::new("runc-annot");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| spec["annotations"] = serde_json::json!({"org.test": "yes"}));
    let ours = Runtime::ours();
    let _guard = ours.guard("a");
    ours.ok(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "a"]);
    wait_for_status(&ours, "a", "stopped");
    let state = ours.state("a");
    assert_eq!(state["annotations"]["org.test"], "yes");
    // Two-space indentation, as runc prints it.
    let text = ours.ok(&["state", "a"]);
    assert!(text.contains("\n  \"id\": \"a\""), "{text}");
    ours.ok(&["delete", "a"]);
}

#[test]
fn error_wording_matches_runc() {
    let dir = TempDir::new("runc-errors");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip("error_wording_matches_runc (runc part)", &reason),
    }
    for runtime in &runtimes {
        for args in [
            &["state", "nope"][..],
            &["kill", "nope", "9"],
            &["delete", "nope"],
            &["start", "nope"],
        ] {
            let output = runtime.run(args);
            assert!(!output.status.success());
            assert!(
                stderr_of(&output).contains("container does not exist"),
                "{} {args:?}: {}",
                runtime.name,
                stderr_of(&output)
            );
        }
        // delete --force of a missing container is quietly fine.
        assert!(runtime.run(&["delete", "-f", "nope"]).status.success());
        let _guard = runtime.guard("twice");
        let bundle_dir = bundle.dir.to_str().unwrap();
        runtime.ok(&["create", "-b", bundle_dir, "twice"]);
        let second = runtime.run(&["create", "-b", bundle_dir, "twice"]);
        // runc 1.1 says "container with given ID already exists"; runc's
        // older and our wording, which the issue asks for, "container with
        // id exists".
        let wording = if runtime.name == "runc" {
            "container with given ID already exists"
        } else {
            "container with id exists"
        };
        assert!(
            stderr_of(&second).contains(wording),
            "{}: {}",
            runtime.name,
            stderr_of(&second)
        );
        // The failed second create must not have hurt the first.
        assert_eq!(runtime.status("twice"), "created");
    }
}

#[test]
fn json_log_gets_one_error_line() {
    let dir = TempDir::new("runc-log");
    crate::require!(crate::harness::need_root());
    let ours = Runtime::ours();
    let log = dir.join("log.json");
    let output = ours.run(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "kill",
        "nope",
        "9",
    ]);
    assert!(!output.status.success());
    let text = std::fs::read_to_string(&log).expect("log written");
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "error");
    assert!(
        last["msg"].as_str().unwrap().contains("does not exist"),
        "{last}"
    );
    assert!(last["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn systemd_cgroup_is_refused_clearly() {
    let ours = Runtime::ours();
    let output = ours.run(&["--systemd-cgroup", "list"]);
    assert!(!output.status.success());
    assert!(stderr_of(&output).contains("--systemd-cgroup is not supported"));
}

#[test]
fn concurrent_creates_have_one_winner() {
    let dir = TempDir::new("runc-race");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let ours = Runtime::ours();
    let _guard = ours.guard("race");
    let bundle_dir = bundle.dir.to_str().unwrap();
    for _round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                let mut command = ours.command(&["create", "-b", bundle_dir, "race"]);
                std::thread::spawn(move || output_via_files(&mut command))
            })
            .collect();
        let outputs: Vec<_> = children.into_iter().map(|c| c.join().unwrap()).collect();
        let winners = outputs.iter().filter(|o| o.status.success()).count();
        assert_eq!(winners, 1, "{outputs:?}");
        for loser in outputs.iter().filter(|o| !o.status.success()) {
            // A loser must not have touched the winner's state.
            assert!(
                stderr_of(loser).contains("container with id exists"),
                "{loser:?}"
            );
        }
        assert_eq!(ours.status("race"), "created");
        ours.ok(&["delete", "--force", "race"]);
    }
}

#[test]
fn list_formats_match_runc() {
    let dir = TempDir::new("runc-list");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let mut runtimes = vec![Runtime::ours()];
    if let Ok(runc) = Runtime::debian() {
        runtimes.push(runc);
    } else {
        report_skip("list_formats_match_runc (runc part)", "no runc");
    }
    let mut tables = Vec::new();
    for runtime in &runtimes {
        assert_eq!(runtime.ok(&["list", "--format", "json"]).trim(), "null");
        let _one = runtime.guard("one");
        let _two = runtime.guard("two");
        runtime.ok(&["create", "-b", bundle.dir.to_str().unwrap(), "two"]);
        runtime.ok(&["create", "-b", bundle.dir.to_str().unwrap(), "one"]);
        assert_eq!(runtime.ok(&["list", "-q"]), "one\ntwo\n");
        let json: serde_json::Value =
            serde_json::from_str(&runtime.ok(&["list", "--format=json"])).unwrap();
        let ids: Vec<_> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].clone())
            .collect();
        assert_eq!(ids, ["one", "two"]);
        assert_eq!(json[0]["status"], "created");
        let table = runtime.ok(&["list"]);
        let shape: Vec<Vec<String>> = table
            .lines()
            .map(|line| {
                line.split_whitespace()
                    .enumerate()
                    .map(|(i, cell)| {
                        if i == 1 && cell != "PID" {
                            "N".into()
                        } else {
                            cell.into()
                        }
                    })
                    .filter(|cell: &String| !cell.contains('T') || cell == "STATUS")
                    .collect()
            })
            .collect();
        tables.push(shape);
    }
    if tables.len() == 2 {
        assert_eq!(tables[0], tables[1]);
    }
}

/// Mount points and state-root entries before and after run + delete.
#[test]
fn run_and_delete_leave_nothing_behind() {
    let dir = TempDir::new("runc-clean");
    let bundle = runc_bundle!(dir, &["true"]);
    let ours = Runtime::ours();
    // Other work on the machine mounts things too: look at the lines that
    // name our bundle or state root, plus the total of the rest.
    let ours_only = || {
        let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let lines: Vec<String> = text
            .lines()
            .filter(|line| {
                line.contains(dir.path().to_str().unwrap())
                    || line.contains(ours.root.path().to_str().unwrap())
            })
            .map(str::to_string)
            .collect();
        lines
    };
    let mounts_before = ours_only();
    let root_before: Vec<_> = std::fs::read_dir(ours.root.path()).unwrap().collect();
    let bundle_dir = bundle.dir.to_str().unwrap();
    // Foreground run removes the container itself.
    ours.ok(&["run", "-b", bundle_dir, "fg"]);
    // Detached run + delete, and create + delete --force.
    ours.ok(&["run", "-d", "-b", bundle_dir, "bg"]);
    wait_for_status(&ours, "bg", "stopped");
    ours.ok(&["delete", "bg"]);
    bundle.edit_config(|spec| spec["process"]["args"] = serde_json::json!(["sleep", "100"]));
    ours.ok(&["create", "-b", bundle_dir, "cr"]);
    let pid = ours.state("cr")["pid"].as_i64().unwrap();
    ours.ok(&["start", "cr"]);
    ours.ok(&["delete", "--force", "cr"]);
    assert!(!alive(pid as i32), "init {pid} survived delete --force");
    reap(pid as i32);
    let mounts_after = ours_only();
    assert_eq!(mounts_before, mounts_after);
    let root_after: Vec<_> = std::fs::read_dir(ours.root.path()).unwrap().collect();
    assert_eq!(root_before.len(), root_after.len(), "{root_after:?}");
    assert_eq!(stdout_of(&ours.run(&["list", "-q"])), "");
}

/// A state directory without a state file is a container still being
/// created (or whose create died): `state` says so, `list` leaves it out,
/// plain `delete` refuses and `delete --force` clears it.
#[test]
fn creating_state_is_reported_and_cleared() {
    crate::require!(crate::harness::need_root());
    let ours = Runtime::ours();
    std::fs::create_dir_all(ours.root.join("half")).unwrap();
    let state = ours.state("half");
    assert_eq!(state["status"], "creating");
    assert_eq!(state["pid"], 0);
    assert_eq!(ours.ok(&["list", "-q"]), "");
    assert!(!ours.run(&["delete", "half"]).status.success());
    ours.ok(&["delete", "--force", "half"]);
    assert!(!ours.root.join("half").exists());
}
