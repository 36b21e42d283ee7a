//! The multi-call front end: dispatch on argv[0], --list, --install, and the
//! static build.

use crate::harness::{self, TempDir, run, run_dockbox, stderr_of, stdout_of};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

const APPLETS: &[&str] = &["dockbox-shim", "docker", "docker-init", "dockerd", "runc"];

#[test]
fn list_prints_every_applet_sorted() {
    let output = run_dockbox(&["--list"]);
    assert!(output.status.success());
    let listed: Vec<String> = stdout_of(&output).lines().map(str::to_string).collect();
    assert_eq!(listed, APPLETS);
}

#[test]
fn every_applet_answers_version_through_a_symlink() {
    let dir = TempDir::new("argv0");
    for name in APPLETS {
        let link = dir.join(name);
        std::os::unix::fs::symlink(harness::dockbox(), &link).unwrap();
        let output = run(Command::new(&link).arg("--version"));
        assert!(output.status.success(), "{name} --version: {output:?}");
        assert!(
            !stdout_of(&output).trim().is_empty(),
            "{name} --version printed nothing"
        );
        let help = run(Command::new(&link).arg("--help"));
        assert!(help.status.success(), "{name} --help: {help:?}");
    }
}

#[test]
fn runc_version_has_runcs_three_line_format() {
    for output in [
        run_dockbox(&["runc", "--version"]),
        run(Command::new(harness::dockbox())
            .arg0("/some/where/runc")
            .arg("--version")),
    ] {
        assert!(output.status.success(), "{output:?}");
        let text = stdout_of(&output);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        let version = lines[0]
            .strip_prefix("runc version ")
            .expect("runc version X.Y.Z");
        assert_eq!(version.split('.').count(), 3, "{version}");
        assert!(lines[1].starts_with("commit: "), "{text}");
        let spec = lines[2].strip_prefix("spec: ").expect("spec: 1.x.y");
        assert!(spec.starts_with("1."), "{spec}");
    }
}

#[test]
fn unknown_applet_exits_127() {
    let output = run_dockbox(&["nope"]);
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(stderr_of(&output).trim(), "dockbox: applet not found: nope");

    let dir = TempDir::new("unknown");
    let link = dir.join("nope");
    std::os::unix::fs::symlink(harness::dockbox(), &link).unwrap();
    let output = run(&mut Command::new(&link));
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(stderr_of(&output).trim(), "dockbox: applet not found: nope");
}

#[test]
fn docker_init_runs_its_program_and_keeps_the_exit_code() {
    let output = run_dockbox(&["docker-init", "--", "/bin/sh", "-c", "echo child; exit 7"]);
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    assert_eq!(stdout_of(&output), "child\n");
    // A signal the init gets reaches the program.
    let killed = run_dockbox(&[
        "docker-init",
        "-s",
        "--",
        "/bin/sh",
        "-c",
        "trap 'exit 3' TERM; kill -TERM $PPID; sleep 5 & wait",
    ]);
    assert_eq!(killed.status.code(), Some(3), "{killed:?}");
    let missing = run_dockbox(&["docker-init", "--", "/nonexistent"]);
    assert_eq!(missing.status.code(), Some(127));
}

#[test]
fn dockbox_shim_wants_a_bundle() {
    let output = run_dockbox(&["dockbox-shim"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("expected one bundle directory"));
}

#[test]
fn binary_is_static_pie() {
    let binary = harness::dockbox();
    assert_eq!(
        harness::elf_interpreter(&binary),
        Ok(None),
        "dockbox asks for a dynamic loader"
    );
    assert_eq!(
        harness::elf_type(&binary),
        Ok(3),
        "expected a position-independent executable"
    );
}

#[test]
fn install_creates_hard_links_or_symlinks() {
    for symbolic in [false, true] {
        let dir = TempDir::new("links");
        let mut args = vec!["--install"];
        if symbolic {
            args.push("-s");
        }
        let dir_arg = dir.path().to_str().unwrap();
        args.push(dir_arg);
        let output = run_dockbox(&args);
        assert!(output.status.success(), "{output:?}");
        let exe_inode = std::fs::metadata(harness::dockbox()).unwrap().ino();
        for name in APPLETS {
            let link = dir.join(name);
            let meta = std::fs::symlink_metadata(&link).unwrap();
            assert_eq!(meta.file_type().is_symlink(), symbolic, "{name}");
            assert_eq!(std::fs::metadata(&link).unwrap().ino(), exe_inode, "{name}");
        }
        // Running it again replaces its own links without complaint.
        assert!(run_dockbox(&args).status.success());
    }
}

#[test]
fn install_keeps_a_foreign_file_without_force() {
    let dir = TempDir::new("foreign");
    let foreign = dir.join("docker");
    std::fs::write(&foreign, "#!/bin/sh\necho real docker\n").unwrap();
    let output = run_dockbox(&["--install", dir.path().to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("not a dockbox link"),
        "{output:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "#!/bin/sh\necho real docker\n"
    );
    assert!(
        dir.join("runc").exists(),
        "the other applets are still installed"
    );

    let output = run_dockbox(&["--install", "--force", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let exe_inode = std::fs::metadata(harness::dockbox()).unwrap().ino();
    assert_eq!(std::fs::metadata(&foreign).unwrap().ino(), exe_inode);
}
