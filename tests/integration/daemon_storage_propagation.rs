//! Settings our daemon cannot honour are refused as dockerd refuses them,
//! never stored and ignored: `--storage-opt` (no quota support: at create)
//! and shared or slave binds whose source mount does not propagate (at
//! start). The control runs the same CLI commands against Debian's
//! dockerd 20.10.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, ok, skip_unless_ready,
};
use crate::daemon_support::TestDaemon;
use crate::harness::engine::{Engine, EngineOptions, need_engine};
use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::require;
use nix::mount::{MsFlags, mount};
use std::process::Output;

/// A tmpfs at `dir/src`, private or shared as asked: a bind source whose
/// propagation the test controls. The TempDir unmounts it.
fn mounted_source(dir: &TempDir, shared: bool) -> String {
    let source = dir.join("src");
    std::fs::create_dir_all(&source).unwrap();
    mount(
        Some("tmpfs"),
        &source,
        Some("tmpfs"),
        MsFlags::empty(),
        Some("size=1m"),
    )
    .unwrap();
    let propagation = if shared {
        MsFlags::MS_SHARED
    } else {
        MsFlags::MS_PRIVATE
    };
    mount(
        None::<&str>,
        &source,
        None::<&str>,
        propagation,
        None::<&str>,
    )
    .unwrap();
    source.to_string_lossy().into_owned()
}

/// (exit code, stderr) of a CLI run.
fn outcome(output: &Output) -> (Option<i32>, String) {
    (output.status.code(), stderr_of(output))
}

fn storage_message(daemon: &TestDaemon) -> &'static str {
    let driver = ok(daemon, &daemon.docker(&["info", "-f", "{{.Driver}}"]));
    if driver.trim() == "vfs" {
        "Filesystem does not support, or has not enabled quotas"
    } else {
        "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"
    }
}

#[test]
fn storage_opts_are_refused_at_create() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("storage-opt");
    let _leftovers = Leftovers::of(&daemon);
    let message = storage_message(&daemon);
    let created = daemon.docker(&["create", "--storage-opt", "size=10M", "busybox"]);
    assert_eq!(
        outcome(&created),
        (Some(1), format!("Error response from daemon: {message}\n")),
        "{}",
        stdout_of(&created)
    );
    let run = daemon.docker(&["run", "--rm", "--storage-opt", "size=1G", "busybox", "true"]);
    assert_eq!(
        outcome(&run),
        (
            Some(125),
            format!(
                "docker: Error response from daemon: {message}\n\nRun 'docker run --help' for more information\n"
            )
        )
    );
    let raw = daemon.connect().request(
        "POST",
        "/containers/create",
        r#"{"Image":"busybox","HostConfig":{"StorageOpt":{"size":"1G"}}}"#,
    );
    assert_eq!(raw.status, 500, "{}", raw.body_text());
    // Nothing was recorded.
    assert_eq!(ok(&daemon, &daemon.docker(&["ps", "-a", "-q"])), "");
    assert_nothing_left(&daemon);
}

#[test]
fn binds_that_cannot_propagate_are_refused_at_start() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("propagation");
    let _leftovers = Leftovers::of(&daemon);
    let private = TempDir::new("propagation-private");
    let private = mounted_source(&private, false);
    let not_shared = format!("path {private} is mounted on {private} but it is not a shared mount");
    let run = daemon.docker(&[
        "run",
        "--network",
        "none",
        "--name",
        "rshared",
        "-v",
        &format!("{private}:/x:rshared"),
        "busybox",
        "true",
    ]);
    assert_eq!(
        outcome(&run),
        (
            Some(125),
            format!(
                "docker: Error response from daemon: {not_shared}\n\nRun 'docker run --help' for more information\n"
            )
        )
    );
    let state = ok(
        &daemon,
        &daemon.docker(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}",
            "rshared",
        ]),
    );
    assert_eq!(state, format!("created 128 {not_shared}\n"));
    let start = daemon.docker(&["start", "rshared"]);
    assert_eq!(
        outcome(&start),
        (
            Some(1),
            format!(
                "Error response from daemon: {not_shared}\nError: failed to start containers: rshared\n"
            )
        )
    );
    let slave = daemon.docker(&[
        "run",
        "--rm",
        "--mount",
        &format!("type=bind,src={private},dst=/x,bind-propagation=rslave"),
        "busybox",
        "true",
    ]);
    assert!(
        stderr_of(&slave).contains(&format!(
            "path {private} is mounted on {private} but it is not a shared or slave mount"
        )),
        "{}",
        stderr_of(&slave)
    );
    // On a shared mount both run.
    let shared_dir = TempDir::new("propagation-shared");
    let shared = mounted_source(&shared_dir, true);
    for mode in ["rshared", "rslave"] {
        ok(
            &daemon,
            &daemon.docker(&[
                "run",
                "--rm",
                "-v",
                &format!("{shared}:/x:{mode}"),
                "busybox",
                "true",
            ]),
        );
    }
    ok(&daemon, &daemon.docker(&["rm", "rshared"]));
    drop(shared_dir);
    assert_nothing_left(&daemon);
}

/// The same commands against Debian's dockerd print the same errors with
/// the same exit codes, and leave the container in the same state.
#[test]
fn storage_opt_and_propagation_refusals_match_debian_dockerd() {
    require!(skip_unless_ready());
    require!(need_engine());
    // Mounted before the engine starts, so its mount namespace has it too.
    let private_dir = TempDir::new("propagation-control");
    let private = mounted_source(&private_dir, false);
    let engine = match Engine::start("propagation-control", EngineOptions::default()) {
        Ok(engine) => engine,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    engine.load_busybox();
    let daemon = daemon_with_busybox("propagation-ours");
    let _leftovers = Leftovers::of(&daemon);
    let bind = format!("{private}:/x:rshared");
    let commands: Vec<Vec<&str>> = vec![
        vec!["create", "--storage-opt", "size=10M", "busybox"],
        vec![
            "run",
            "--rm",
            "--storage-opt",
            "size=10M",
            "busybox",
            "true",
        ],
        vec!["create", "--storage-opt", "foo=bar", "busybox"],
        vec![
            "run",
            "--network",
            "none",
            "--name",
            "control",
            "-v",
            &bind,
            "busybox",
            "true",
        ],
        vec![
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}",
            "control",
        ],
        vec!["start", "control"],
        vec!["rm", "control"],
    ];
    for args in &commands {
        let theirs = engine.docker(args);
        let ours = daemon.docker(args);
        assert_eq!(
            (outcome(&ours), stdout_of(&ours)),
            (outcome(&theirs), stdout_of(&theirs)),
            "docker {args:?}: ours first, Debian's dockerd second"
        );
    }
    assert_nothing_left(&daemon);
}
