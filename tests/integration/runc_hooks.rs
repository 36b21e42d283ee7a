//! When the runtime-side hooks run and what their failures do, with
//! Debian's runc 1.1.5 as the reference: its `create` runs poststart (the
//! state reads `created`) and a failure there destroys the container, poststop
//! included; a failing poststop is logged and `delete` still succeeds.
//! Either reads `error running hook #N: error running hook: ...`.

use crate::harness::{TempDir, report_skip, stderr_of};
use crate::runc_bundle;
use crate::runc_lifecycle::wait_for_status;
use crate::runc_support::Runtime;
use serde_json::json;
use std::path::Path;

fn runtimes(test: &str) -> Vec<Runtime> {
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    runtimes
}

/// A hook that appends `stage` to `log/order` (and keeps its state in
/// `log/<stage>.json`), then exits with `exit_code` after a line on stderr.
fn logging_hook(log: &Path, stage: &str, exit_code: i32) -> serde_json::Value {
    let log = log.display();
    json!({"path": "/bin/sh", "args": ["sh", "-c", format!(
        "cat > {log}/{stage}.json; echo {stage} >> {log}/order; \
         echo {stage}-says-no >&2; exit {exit_code}")]})
}

fn order(log: &Path) -> String {
    std::fs::read_to_string(log.join("order")).unwrap_or_default()
}

#[test]
fn poststart_runs_at_create_and_a_failing_poststop_is_only_logged() {
    let dir = TempDir::new("runc-poststart");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let log = dir.join("log");
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({
            "poststart": [logging_hook(&log, "poststart", 0)],
            "poststop": [logging_hook(&log, "poststop", 4), logging_hook(&log, "after", 0)],
        });
    });
    for runtime in runtimes("poststart_runs_at_create_and_a_failing_poststop_is_only_logged") {
        let name = runtime.name;
        let _ = std::fs::remove_dir_all(&log);
        std::fs::create_dir(&log).unwrap();
        let _guard = runtime.guard("poststart");
        runtime.ok(&["create", "-b", bundle.dir.to_str().unwrap(), "poststart"]);
        assert_eq!(order(&log), "poststart\n", "{name}: after create");
        let state: serde_json::Value =
            serde_json::from_slice(&std::fs::read(log.join("poststart.json")).unwrap()).unwrap();
        assert_eq!(state["status"], "created", "{name}: {state}");
        runtime.ok(&["start", "poststart"]);
        assert_eq!(order(&log), "poststart\n", "{name}: start ran hooks");
        runtime.ok(&["kill", "poststart", "KILL"]);
        wait_for_status(&runtime, "poststart", "stopped");
        let output = runtime.run(&["delete", "poststart"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
        assert!(
            stderr.contains("level=error")
                && stderr.contains("error running hook #0")
                && stderr.contains(
                    "error running hook: exit status 4, stdout: , stderr: poststop-says-no"
                ),
            "{name}: {stderr}"
        );
        // The first failure ends the stage; the container is gone anyway.
        assert_eq!(order(&log), "poststart\npoststop\n", "{name}");
        assert!(!runtime.root.join("poststart").exists(), "{name}");
    }
}

#[test]
fn a_failing_poststart_fails_create_and_destroys_the_container() {
    let dir = TempDir::new("runc-poststartfail");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let log = dir.join("log");
    bundle.edit_config(|spec| {
        spec["hooks"] = json!({
            "poststart": [logging_hook(&log, "poststart", 5)],
            "poststop": [logging_hook(&log, "poststop", 0)],
        });
    });
    for runtime in runtimes("a_failing_poststart_fails_create_and_destroys_the_container") {
        let name = runtime.name;
        let _ = std::fs::remove_dir_all(&log);
        std::fs::create_dir(&log).unwrap();
        let _guard = runtime.guard("poststartfail");
        let output = runtime.run(&[
            "create",
            "-b",
            bundle.dir.to_str().unwrap(),
            "poststartfail",
        ]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("error running hook #0")
                && stderr.contains(
                    "error running hook: exit status 5, stdout: , stderr: poststart-says-no"
                ),
            "{name}: {stderr}"
        );
        assert_eq!(order(&log), "poststart\npoststop\n", "{name}");
        assert!(!runtime.root.join("poststartfail").exists(), "{name}");
        let state = runtime.run(&["state", "poststartfail"]);
        assert!(
            !state.status.success(),
            "{name}: the container is still there"
        );
    }
}
