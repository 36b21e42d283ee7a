//! runc's command-line syntax as clients write it: `--flag=value`,
//! single-dash long flags, flags after the id, combined short switches,
//! signal names and numbers, and `spec`.

use crate::harness::{TempDir, report_skip, stderr_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, alive, reap};
use std::time::{Duration, Instant};

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn runc_syntax_variants_are_understood() {
    let dir = TempDir::new("runc-syntax");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let ours = Runtime::ours();
    let root = format!("--root={}", ours.root.path().display());
    let bundle_flag = format!("--bundle={}", bundle.dir.display());
    let pid_file = dir.join("pid");
    let pid_flag = format!("-pid-file={}", pid_file.display());
    let _guard = ours.guard("syntax");
    let mut create = std::process::Command::new(&ours.exe);
    // Global flag with `=`, command flags after the id, single-dash long flag.
    create.args([&root, "create", "syntax", &bundle_flag, &pid_flag]);
    let output = crate::runc_support::output_via_files(&mut create);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(pid_file.exists());
    assert_eq!(ours.status("syntax"), "created");
    ours.ok(&["start", "syntax"]);
    let pid = ours.state("syntax")["pid"].as_i64().unwrap() as i32;
    // Signal by number, after the id, with a combined flag.
    ours.ok(&["kill", "-a", "syntax", "9"]);
    wait_until("stopped", || ours.status("syntax") == "stopped");
    reap(pid);
    ours.ok(&["delete", "syntax"]);
}

#[test]
fn kill_takes_numbers_and_names() {
    let dir = TempDir::new("runc-kill");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let ours = Runtime::ours();
    let bundle_dir = bundle.dir.to_str().unwrap();
    for (signal, id) in [("KILL", "k1"), ("SIGKILL", "k2"), ("9", "k3"), ("", "k4")] {
        let _guard = ours.guard(id);
        ours.ok(&["run", "-d", "-b", bundle_dir, id]);
        let pid = ours.state(id)["pid"].as_i64().unwrap() as i32;
        if signal.is_empty() {
            // SIGTERM by default; a pid-namespace init without a handler
            // ignores it, as under runc.
            ours.ok(&["kill", id]);
            std::thread::sleep(Duration::from_millis(50));
            assert!(alive(pid));
            ours.ok(&["kill", id, "KILL"]);
        } else {
            ours.ok(&["kill", id, signal]);
        }
        wait_until("stopped", || ours.status(id) == "stopped");
        reap(pid);
        let again = ours.run(&["kill", id, "9"]);
        assert!(stderr_of(&again).contains("container not running"));
        ours.ok(&["delete", id]);
    }
    let bad = ours.run(&["kill", "k1", "NOPE"]);
    assert!(!bad.status.success());
}

#[test]
fn kill_all_reaches_every_process() {
    let dir = TempDir::new("runc-killall");
    let bundle = runc_bundle!(
        dir,
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; sleep 100 & sleep 100 & wait"
        ]
    );
    let ours = Runtime::ours();
    let _guard = ours.guard("all");
    ours.ok(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), "all"]);
    let pid = ours.state("all")["pid"].as_i64().unwrap() as i32;
    let namespace = std::fs::read_link(format!("/proc/{pid}/ns/pid")).unwrap();
    let in_namespace = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| alive(*p))
            .filter(|p| {
                std::fs::read_link(format!("/proc/{p}/ns/pid"))
                    .ok()
                    .as_ref()
                    == Some(&namespace)
            })
            .count()
    };
    wait_until("three processes", || in_namespace() == 3);
    ours.ok(&["kill", "--all", "all", "TERM"]);
    wait_until("all gone", || in_namespace() == 0);
    reap(pid);
    assert_eq!(ours.status("all"), "stopped");
}

#[test]
fn delete_of_a_created_container_kills_its_init() {
    let dir = TempDir::new("runc-delcreated");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let ours = Runtime::ours();
    let _guard = ours.guard("c");
    ours.ok(&["create", "-b", bundle.dir.to_str().unwrap(), "c"]);
    let pid = ours.state("c")["pid"].as_i64().unwrap() as i32;
    ours.ok(&["delete", "c"]);
    assert!(!alive(pid));
    reap(pid);
}

#[test]
fn spec_writes_runcs_default_config() {
    crate::require!(crate::harness::need_root());
    let dir = TempDir::new("runc-spec");
    let ours = Runtime::ours();
    let mine = dir.join("ours");
    std::fs::create_dir_all(&mine).unwrap();
    ours.ok(&["spec", "--bundle", mine.to_str().unwrap()]);
    let written = std::fs::read_to_string(mine.join("config.json")).unwrap();
    assert!(
        written.starts_with("{\n\t\"ociVersion\""),
        "tab-indented like runc"
    );
    let again = ours.run(&["spec", "-b", mine.to_str().unwrap()]);
    assert!(stderr_of(&again).contains("File config.json exists. Remove it first"));
    let rootless = dir.join("rootless");
    std::fs::create_dir_all(&rootless).unwrap();
    ours.ok(&["spec", "--rootless", "--bundle", rootless.to_str().unwrap()]);
    let ours_json: serde_json::Value = serde_json::from_str(&written).unwrap();
    let ours_rootless: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rootless.join("config.json")).unwrap()).unwrap();
    assert!(ours_rootless["linux"]["uidMappings"].is_array());
    match Runtime::debian() {
        Ok(runc) => {
            for (flags, ours_value) in
                [(&[][..], &ours_json), (&["--rootless"][..], &ours_rootless)]
            {
                let theirs = dir.join(&format!("runc{}", flags.len()));
                std::fs::create_dir_all(&theirs).unwrap();
                let mut args = vec!["spec", "--bundle", theirs.to_str().unwrap()];
                args.extend_from_slice(flags);
                runc.ok(&args);
                let theirs: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(theirs.join("config.json")).unwrap())
                        .unwrap();
                assert_eq!(*ours_value, theirs, "spec {flags:?} differs from runc's");
            }
        }
        Err(reason) => report_skip("spec_writes_runcs_default_config (runc part)", &reason),
    }
}

#[test]
fn unknown_capabilities_are_ignored_with_runcs_warning() {
    let dir = TempDir::new("runc-capunknown");
    let bundle = runc_bundle!(dir, &["sh", "-c", "grep CapBnd /proc/self/status"]);
    bundle.edit_config(|spec| {
        let bounding = spec["process"]["capabilities"]["bounding"]
            .as_array_mut()
            .unwrap();
        bounding.push("CAP_TEST".into());
    });
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip("unknown_capabilities (runc part)", &reason),
    }
    let mut outputs = Vec::new();
    for runtime in &runtimes {
        let _guard = runtime.guard("captest");
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), "captest"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        let warning =
            "level=warning msg=\"ignoring unknown or unavailable capabilities: [CAP_TEST]\"";
        assert!(
            stderr_of(&output).contains(warning),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        outputs.push(crate::harness::stdout_of(&output));
    }
    if let [ours, theirs] = &outputs[..] {
        assert_eq!(ours, theirs, "ours, then runc's");
    }
}

#[test]
fn version_after_global_flags_and_checkpoint_refusal() {
    crate::require!(crate::harness::need_root());
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip("version_after_global_flags (runc part)", &reason),
    }
    for runtime in &runtimes {
        for args in [
            &["-v"][..],
            &["--version"][..],
            &["--log-format", "json", "-v"][..],
        ] {
            // `command` puts `--root ROOT` first: the flag comes after a global.
            let output = runtime.run(args);
            assert!(output.status.success(), "{} {args:?}", runtime.name);
            let text = crate::harness::stdout_of(&output);
            let prefixes: Vec<&str> = text
                .lines()
                .take(3)
                .map(|line| line.split_once(' ').map_or(line, |(first, _)| first))
                .collect();
            assert_eq!(
                prefixes,
                ["runc", "commit:", "spec:"],
                "{}: {text}",
                runtime.name
            );
            assert!(
                text.starts_with("runc version "),
                "{}: {text}",
                runtime.name
            );
        }
        for command in ["checkpoint", "restore"] {
            let output = runtime.run(&[command, "nosuch"]);
            assert_eq!(output.status.code(), Some(1), "{} {command}", runtime.name);
        }
    }
    let refused = runtimes[0].run(&["checkpoint", "nosuch"]);
    assert!(
        stderr_of(&refused).contains("checkpoint is not supported"),
        "{}",
        stderr_of(&refused)
    );
}

/// The `level=debug` lines of a logrus text log.
fn debug_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains("level=debug"))
        .collect()
}

/// `--debug` logs the stages of create (runc 1.1.5: its nsexec and init
/// lines) and, ours, of start, to --log or else stderr; without it, none.
/// The wording is each runtime's own; the test asks for more than the
/// command line itself.
#[test]
fn debug_logs_the_stages_of_create_and_start() {
    let dir = TempDir::new("runc-debug");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    let mut runtimes = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => runtimes.push(runc),
        Err(reason) => report_skip("runc_cli", &reason),
    }
    let bundle_dir = bundle.dir.to_str().unwrap();
    for runtime in &runtimes {
        let log = dir.join(&format!("{}.log", runtime.name));
        let log_flag = log.to_str().unwrap();
        let _guard = runtime.guard("debug");
        runtime.ok(&[
            "--debug", "--log", log_flag, "create", "-b", bundle_dir, "debug",
        ]);
        let create_log = std::fs::read_to_string(&log).unwrap();
        let create_lines = debug_lines(&create_log).len();
        assert!(create_lines >= 3, "{} create:\n{create_log}", runtime.name);
        runtime.ok(&["--debug", "--log", log_flag, "start", "debug"]);
        let start_log = std::fs::read_to_string(&log).unwrap();
        let start_lines = debug_lines(&start_log).len() - create_lines;
        // runc 1.1.5 logs nothing of start (its init only reads the
        // fifo); ours names opening the fifo and the init's release.
        if runtime.name == "dockbox" {
            assert!(start_lines >= 2, "{} start:\n{start_log}", runtime.name);
        }
        let pid = runtime.state("debug")["pid"].as_i64().unwrap() as i32;
        // Without --debug: no debug line; without --log: on stderr.
        runtime.ok(&["--log", log_flag, "kill", "debug", "KILL"]);
        assert_eq!(
            debug_lines(&std::fs::read_to_string(&log).unwrap()).len(),
            create_lines + start_lines,
            "{}",
            runtime.name
        );
        wait_until("stopped", || runtime.status("debug") == "stopped");
        reap(pid);
        let deleted = runtime.run(&["--debug", "delete", "debug"]);
        assert!(deleted.status.success(), "{}", stderr_of(&deleted));
        let created = runtime.run(&["--debug", "create", "-b", bundle_dir, "debug"]);
        assert!(created.status.success(), "{}", stderr_of(&created));
        let stderr = stderr_of(&created);
        assert!(
            debug_lines(&stderr).len() >= 3,
            "{} create on stderr:\n{stderr}",
            runtime.name
        );
    }
}
