//! Hooks run as real busybox shell scripts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oci_spec::runtime::{
    ContainerState, Hook, HookBuilder, Hooks, HooksBuilder, State, StateBuilder,
};

use super::*;

const BUSYBOX: &str = "/bin/busybox";

/// Skips (loudly) when the static busybox is missing.
macro_rules! need_busybox {
    () => {
        if !Path::new(BUSYBOX).is_file() {
            crate::test_skip::report(&format!("{BUSYBOX} is not installed"));
            return;
        }
    };
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("dockbox-hooks-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `busybox sh -c SCRIPT` as a hook.
fn sh(script: &str) -> Hook {
    HookBuilder::default()
        .path(BUSYBOX)
        .args(vec!["sh".to_string(), "-c".to_string(), script.to_string()])
        .build()
        .unwrap()
}

fn with_timeout(hook: Hook, seconds: i64) -> Hook {
    let mut hook = hook;
    hook.set_timeout(Some(seconds));
    hook
}

fn state() -> State {
    StateBuilder::default()
        .version("1.0.2")
        .id("hooked")
        .status(ContainerState::Created)
        .pid(4242)
        .bundle("/var/lib/bundles/hooked")
        .annotations(HashMap::from([(
            "org.example.key".to_string(),
            "value".to_string(),
        )]))
        .build()
        .unwrap()
}

fn only(stage: HookStage, list: Vec<Hook>) -> Hooks {
    let builder = HooksBuilder::default();
    let builder = match stage {
        HookStage::Prestart => builder.prestart(list),
        HookStage::CreateRuntime => builder.create_runtime(list),
        HookStage::CreateContainer => builder.create_container(list),
        HookStage::StartContainer => builder.start_container(list),
        HookStage::Poststart => builder.poststart(list),
        HookStage::Poststop => builder.poststop(list),
    };
    builder.build().unwrap()
}

fn no_warning(error: &HookError) {
    panic!("unexpected warning: {error}");
}

#[test]
fn stages_follow_the_spec_namespaces_and_failure_rules() {
    let names: Vec<&str> = HookStage::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"
        ]
    );
    for stage in HookStage::ALL {
        let expected_policy = if stage == HookStage::Poststop {
            FailurePolicy::Log
        } else {
            FailurePolicy::Fatal
        };
        assert_eq!(stage.failure_policy(), expected_policy, "{stage}");
    }
}

#[test]
fn hooks_of_a_stage_run_in_order_and_only_that_stage() {
    need_busybox!();
    let scratch = Scratch::new("order");
    let log = scratch.file("log");
    let append = |word: &str| sh(&format!("echo {word} >> {}", log.display()));
    let mut hooks = only(
        HookStage::CreateRuntime,
        vec![append("one"), append("two"), append("three")],
    );
    hooks.set_poststop(Some(vec![append("poststop")]));
    run_stage(HookStage::CreateRuntime, Some(&hooks), &state(), no_warning).unwrap();
    assert_eq!(scratch.read("log"), "one\ntwo\nthree\n");
    run_stage(HookStage::Poststop, Some(&hooks), &state(), no_warning).unwrap();
    assert_eq!(scratch.read("log"), "one\ntwo\nthree\npoststop\n");
    // Absent hooks are no work at all.
    run_stage(HookStage::Prestart, None, &state(), no_warning).unwrap();
    run_stage(HookStage::Prestart, Some(&hooks), &state(), no_warning).unwrap();
    assert_eq!(scratch.read("log").lines().count(), 4);
}

#[test]
fn the_state_json_arrives_on_stdin() {
    need_busybox!();
    let scratch = Scratch::new("stdin");
    let hook = sh(&format!("cat > {}", scratch.file("state").display()));
    run_stage(
        HookStage::Prestart,
        Some(&only(HookStage::Prestart, vec![hook])),
        &state(),
        no_warning,
    )
    .unwrap();
    let got: serde_json::Value = serde_json::from_str(&scratch.read("state")).unwrap();
    assert_eq!(
        got,
        serde_json::json!({
            "ociVersion": "1.0.2",
            "id": "hooked",
            "status": "created",
            "pid": 4242,
            "bundle": "/var/lib/bundles/hooked",
            "annotations": {"org.example.key": "value"}
        })
    );
}

#[test]
fn a_hook_that_ignores_a_large_stdin_still_succeeds() {
    need_busybox!();
    let mut big = state();
    big.set_annotations(Some(HashMap::from([(
        "big".to_string(),
        "x".repeat(512 * 1024),
    )])));
    run_stage(
        HookStage::Prestart,
        Some(&only(HookStage::Prestart, vec![sh("exit 0")])),
        &big,
        no_warning,
    )
    .unwrap();
}

#[test]
fn env_is_exactly_the_hooks_and_args0_is_argv0() {
    need_busybox!();
    let scratch = Scratch::new("env");
    let mut hook = sh(&format!(
        // Not the last command, so the shell forks for tr and $$ stays sh.
        "tr '\\0' ' ' < /proc/$$/cmdline > {out}/argv; env > {out}/env",
        out = scratch.0.display()
    ));
    hook.set_env(Some(vec![
        "HOOK_GREETING=hello world".into(),
        "EMPTY=".into(),
    ]));
    run_hook(HookStage::Poststart, 0, &hook, b"{}").unwrap();
    let env = scratch.read("env");
    assert!(
        env.lines().any(|l| l == "HOOK_GREETING=hello world"),
        "{env}"
    );
    assert!(env.lines().any(|l| l == "EMPTY="), "{env}");
    // Nothing of the runtime's own environment (cargo sets CARGO_* for us).
    assert!(!env.contains("CARGO"), "{env}");
    // busybox sees "sh" as argv[0], not the path.
    assert!(
        scratch.read("argv").starts_with("sh -c "),
        "{}",
        scratch.read("argv")
    );
}

#[test]
fn a_failing_hook_reports_its_status_and_stderr() {
    need_busybox!();
    let hook = sh("echo some output; echo boom from the hook >&2; exit 3");
    let error = run_hook(HookStage::CreateRuntime, 2, &hook, b"{}").unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, HookError::Failed { .. }), "{text}");
    assert_eq!(
        text,
        "error running hook #2 (createRuntime, /bin/busybox): error running hook: exit status 3, stdout: some output, stderr: boom from the hook"
    );
}

#[test]
fn a_hook_killed_by_a_signal_says_so() {
    need_busybox!();
    let error = run_hook(HookStage::Prestart, 0, &sh("kill -9 $$"), b"{}").unwrap_err();
    assert!(error.to_string().contains(": signal: killed,"), "{error}");
}

#[test]
fn a_fatal_stage_stops_at_the_first_failure() {
    need_busybox!();
    let scratch = Scratch::new("fatal");
    let marker = scratch.file("second-ran");
    let hooks = only(
        HookStage::StartContainer,
        vec![
            sh("echo nope >&2; exit 1"),
            sh(&format!("touch {}", marker.display())),
        ],
    );
    let error = run_stage(
        HookStage::StartContainer,
        Some(&hooks),
        &state(),
        no_warning,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("hook #0 (startContainer, "),
        "{error}"
    );
    assert!(error.to_string().contains("stderr: nope"), "{error}");
    assert!(!marker.exists(), "the hook after the failing one ran");
}

/// runc 1.1.5 runs a stage's hooks up to the first failure; a poststop
/// failure is only logged, and the hooks after it do not run.
#[test]
fn a_poststop_failure_is_logged_and_ends_the_stage() {
    need_busybox!();
    let scratch = Scratch::new("log");
    let marker = scratch.file("second-ran");
    let hooks = only(
        HookStage::Poststop,
        vec![
            sh("echo first failed >&2; exit 9"),
            sh(&format!("touch {}", marker.display())),
        ],
    );
    let mut logged = Vec::new();
    run_stage(HookStage::Poststop, Some(&hooks), &state(), |e| {
        logged.push(e.to_string())
    })
    .unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].contains("exit status 9") && logged[0].contains("first failed"));
    assert!(!marker.exists(), "the hook after the failing one ran");
}

#[test]
fn a_hook_past_its_timeout_is_killed_with_its_children() {
    need_busybox!();
    let scratch = Scratch::new("timeout");
    let pid_file = scratch.file("child");
    let hook = with_timeout(
        sh(&format!(
            "echo started >&2; sleep 30 & echo $! > {}; wait",
            pid_file.display()
        )),
        1,
    );
    let started = Instant::now();
    let error = run_hook(HookStage::CreateContainer, 0, &hook, b"{}").unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, HookError::Timeout { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("hook ran past specified timeout of 1.0s"),
        "{error}"
    );
    assert!(error.to_string().contains("stderr: started"), "{error}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The background sleep went with the hook's process group.
    let child: i32 = scratch.read("child").trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| !stat.contains(") Z "))
            .unwrap_or(false)
    };
    while alive(child) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(child),
        "the hook's child {child} survived the timeout"
    );
}

#[test]
fn a_hook_within_its_timeout_succeeds_and_leftovers_do_not_block() {
    // i64::MAX seconds also checks that a huge timeout does not overflow.
    need_busybox!();
    // The hook exits at once but leaves a process holding its stdout.
    let hook = with_timeout(sh("sleep 5 & echo done"), i64::MAX);
    let started = Instant::now();
    run_hook(HookStage::Poststart, 0, &hook, b"{}").unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn invalid_hooks_are_rejected_before_running() {
    let relative = HookBuilder::default().path("bin/true").build().unwrap();
    let error = validate(&only(HookStage::Poststop, vec![relative])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid poststop hook #0: path bin/true is not absolute"
    );
    let zero = with_timeout(HookBuilder::default().path("/bin/true").build().unwrap(), 0);
    let error = validate(&only(HookStage::Prestart, vec![zero.clone()])).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("timeout must be greater than zero, got 0"),
        "{error}"
    );
    assert!(matches!(
        run_hook(HookStage::Prestart, 0, &zero, b"{}"),
        Err(HookError::BadTimeout { .. })
    ));
    let missing = HookBuilder::default()
        .path("/nonexistent/hook")
        .build()
        .unwrap();
    let error = run_hook(HookStage::CreateRuntime, 1, &missing, b"{}").unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("error running hook #1 (createRuntime, /nonexistent/hook): spawn: "),
        "{error}"
    );
}

#[test]
fn container_state_serializes_as_the_spec_shows() {
    let state = container_state(
        "c1",
        ContainerState::Running,
        Some(77),
        Path::new("/b"),
        Some(&HashMap::new()),
    );
    let json: serde_json::Value = serde_json::from_slice(&state_json(&state).unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "ociVersion": crate::version::OCI_SPEC_VERSION,
            "id": "c1",
            "status": "running",
            "pid": 77,
            "bundle": "/b"
        })
    );
    let stopped = container_state("c1", ContainerState::Stopped, None, Path::new("/b"), None);
    let json: serde_json::Value = serde_json::from_slice(&state_json(&stopped).unwrap()).unwrap();
    assert_eq!(json["status"], "stopped");
    assert!(json.get("pid").is_none(), "{json}");
}

#[test]
fn hook_killed_by_seccomp_reads_as_go_words_it() {
    use std::os::unix::process::ExitStatusExt;
    let by_signal = |signal| super::describe(std::process::ExitStatus::from_raw(signal));
    assert_eq!(by_signal(libc::SIGSYS), "signal: bad system call");
    assert_eq!(by_signal(libc::SIGKILL), "signal: killed");
    assert_eq!(
        super::describe(std::process::ExitStatus::from_raw(3 << 8)),
        "exit status 3"
    );
}
