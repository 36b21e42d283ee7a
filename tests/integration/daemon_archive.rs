//! `docker cp` (HEAD/GET/PUT /containers/{id}/archive): the real CLI 28
//! against our daemon and against Debian's dockerd 20.10 in the same
//! scenario, comparing exit codes, messages and the files that result;
//! then hostile archives and the CVE-2018-15664 symlink-swap race against
//! our daemon, with a canary on the host that nothing may touch.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::daemon_support::{DOCKER_CLI, TestDaemon};
use crate::harness::TempDir;
use crate::harness::engine::{Engine, need_engine};
use crate::require;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// One daemon as the CLI reaches it.
struct Side {
    program: PathBuf,
    host: String,
    config: PathBuf,
}

impl Side {
    fn ours(daemon: &TestDaemon) -> Side {
        Side {
            program: PathBuf::from(DOCKER_CLI),
            host: daemon.host(),
            config: daemon.dir.join("cli-config"),
        }
    }

    /// Our client (dockbox as `docker`) against our daemon.
    fn our_client(daemon: &TestDaemon) -> Side {
        let bin = daemon.dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let docker = bin.join("docker");
        if !docker.exists() {
            std::os::unix::fs::symlink(crate::harness::dockbox(), &docker).unwrap();
        }
        Side {
            program: docker,
            host: daemon.host(),
            config: daemon.dir.join("ours-config"),
        }
    }

    fn reference(engine: &Engine) -> Side {
        Side {
            program: PathBuf::from(DOCKER_CLI),
            host: format!("unix://{}", engine.dir().join("docker.sock").display()),
            config: engine.dir().join("cli"),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = Command::new(&self.program)
            .args(args)
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_CONFIG", &self.config)
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run docker");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args, None);
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// Every file below `dir`: relative path, kind, mode, owner and content.
fn tree(dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let relative = path.strip_prefix(dir).unwrap().display().to_string();
        let what = if meta.is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            pending.extend(children.into_iter().rev());
            "dir".to_string()
        } else if meta.file_type().is_symlink() {
            format!("-> {}", std::fs::read_link(&path).unwrap().display())
        } else {
            format!("{:?}", std::fs::read_to_string(&path).unwrap_or_default())
        };
        let mode = if meta.file_type().is_symlink() {
            0
        } else {
            meta.mode() & 0o7777
        };
        lines.push(format!(
            "{relative} {what} {mode:o} {}:{}",
            meta.uid(),
            meta.gid()
        ));
    }
    lines
}

/// Entry names, kinds, owners and sizes of a tar.
fn tar_listing(bytes: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(bytes);
    let mut lines = Vec::new();
    for entry in archive.entries().expect("a tar") {
        let entry = entry.expect("a tar entry");
        let header = entry.header();
        lines.push(format!(
            "{} {:?} {}:{} {}",
            String::from_utf8_lossy(&entry.path_bytes()),
            header.entry_type(),
            header.uid().unwrap(),
            header.gid().unwrap(),
            header.size().unwrap()
        ));
    }
    lines
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o640);
        header.set_uid(1234);
        header.set_gid(4321);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Waits for the container's script to touch /ready.
fn wait_ready(side: &Side, container: &str) {
    for _ in 0..100 {
        if side
            .run(&["exec", container, "test", "-e", "/ready"], None)
            .status
            .success()
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{container} never became ready");
}

const SETUP: &str = "mkdir -p /d/sub /d/emptydir && echo hi > /d/sub/f && echo top > /d/t \
     && chmod 600 /d/t && ln -s /d/t /d/link && echo vol > /data/inv && touch /ready \
     && exec sleep 1000";

fn said(host: &Path, label: &str, output: Output) -> String {
    format!(
        "{label}: exit {:?} out {:?} err {:?}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        // The CLI's logrus lines about its own tar pipe are racy.
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| !line.starts_with("time="))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(&host.display().to_string(), "<host>")
    )
}

/// The scenario; `host` is a fresh directory of the test. Returns what
/// was seen, with `host` written as `<host>`.
fn scenario(side: &Side, host: &Path) -> Vec<String> {
    let h = |rest: &str| format!("{}/{rest}", host.display());
    std::fs::create_dir_all(h("src/inner")).unwrap();
    std::fs::write(h("src/inner/g"), "gee").unwrap();
    std::fs::write(h("src/top"), "local").unwrap();
    std::fs::create_dir_all(h("dotdir")).unwrap();
    std::os::unix::fs::symlink(h("src/top"), h("toplink")).unwrap();
    let mut seen = Vec::new();
    side.ok(&[
        "run",
        "-d",
        "--name",
        "cp17",
        "-v",
        "cp17vol:/data",
        "busybox",
        "sh",
        "-c",
        SETUP,
    ]);
    wait_ready(side, "cp17");
    seen.extend(running_copies(side, host));
    seen.extend(stopped_copies(side, host));
    seen.extend(ownership_copies(side, host));
    side.ok(&["rm", "-f", "cp17", "cp17u"]);
    side.ok(&["volume", "rm", "cp17vol"]);
    seen.push(
        tree(host)
            .join("\n")
            .replace(&host.display().to_string(), "<host>"),
    );
    seen
}

/// Copies out of and into the running container.
fn running_copies(side: &Side, host: &Path) -> Vec<String> {
    let h = |rest: &str| format!("{}/{rest}", host.display());
    let cp = |args: &[&str]| side.run(&[&["cp"], args].concat(), None);
    let mut seen = Vec::new();
    seen.push(said(host, "file out", cp(&["cp17:/d/t", &h("t-out")])));
    seen.push(said(host, "dir out", cp(&["cp17:/d", &h("d-out")])));
    seen.push(said(
        host,
        "dir slash out",
        cp(&["cp17:/d/", &h("dslash-out")]),
    ));
    seen.push(said(host, "dot out", cp(&["cp17:/d/.", &h("dotdir")])));
    seen.push(said(
        host,
        "link out",
        cp(&["cp17:/d/link", &h("link-out")]),
    ));
    seen.push(said(
        host,
        "link -L out",
        cp(&["-L", "cp17:/d/link", &h("linkL-out")]),
    ));
    seen.push(said(
        host,
        "volume out",
        cp(&["cp17:/data/inv", &h("inv-out")]),
    ));
    seen.push(said(host, "missing", cp(&["cp17:/nope", &h("x")])));
    seen.push(said(
        host,
        "missing parent",
        cp(&["cp17:/nope/deeper", &h("x")]),
    ));
    seen.push(said(host, "dir onto file", cp(&[&h("src"), "cp17:/d/t"])));
    seen.push(said(
        host,
        "file in",
        cp(&[&h("src/top"), "cp17:/d/newfile"]),
    ));
    seen.push(said(host, "dir in", cp(&[&h("src"), "cp17:/d/"])));
    seen.push(said(
        host,
        "dot in",
        cp(&[&format!("{}/.", h("src")), "cp17:/d/fresh"]),
    ));
    seen.push(said(host, "volume in", cp(&[&h("src/top"), "cp17:/data/"])));
    seen.push(said(
        host,
        "into missing dir",
        cp(&[&h("src/top"), "cp17:/nope/x/"]),
    ));
    seen.push(said(host, "missing source", cp(&[&h("nope"), "cp17:/d/"])));
    seen.push(said(host, "link in", cp(&[&h("toplink"), "cp17:/d/"])));
    seen.push(said(
        host,
        "link -L in",
        cp(&["-L", &h("toplink"), "cp17:/d/viaL"]),
    ));
    seen.push(said(
        host,
        "container listing",
        side.run(
            &[
                "exec",
                "cp17",
                "sh",
                "-c",
                "cd / && find d data | sort && cat d/newfile data/top",
            ],
            None,
        ),
    ));
    let out = side.run(&["cp", "cp17:/d/sub", "-"], None);
    seen.push(format!("tar out: {:?}", tar_listing(&out.stdout)));
    let input = tar_of(&[("piped/a", b"from stdin"), ("b", b"bee")]);
    seen.push(said(
        host,
        "tar in",
        side.run(&["cp", "-", "cp17:/d"], Some(&input)),
    ));
    seen.push(said(
        host,
        "tar in file dest",
        side.run(&["cp", "-", "cp17:/d/t"], Some(&input)),
    ));
    seen.push(said(
        host,
        "tar in result",
        side.run(
            &[
                "exec",
                "cp17",
                "sh",
                "-c",
                "ls -ln /d/piped /d/b; cat /d/piped/a",
            ],
            None,
        ),
    ));
    seen
}

/// The same container stopped.
fn stopped_copies(side: &Side, host: &Path) -> Vec<String> {
    let h = |rest: &str| format!("{}/{rest}", host.display());
    let cp = |args: &[&str]| side.run(&[&["cp"], args].concat(), None);
    let mut seen = Vec::new();
    // A stopped container: its root filesystem and volume still copy.
    side.ok(&["kill", "cp17"]);
    side.run(&["wait", "cp17"], None);
    seen.push(said(
        host,
        "stopped out",
        cp(&["cp17:/data/inv", &h("stopped-inv")]),
    ));
    seen.push(said(
        host,
        "stopped in",
        cp(&[&h("src/top"), "cp17:/d/after-stop"]),
    ));
    seen.push(said(
        host,
        "stopped in volume",
        cp(&[&h("src/top"), "cp17:/data/after-stop"]),
    ));
    let out = side.run(&["cp", "cp17:/d/after-stop", "-"], None);
    seen.push(format!("stopped tar: {:?}", tar_listing(&out.stdout)));
    let out = side.run(&["cp", "cp17:/data/after-stop", "-"], None);
    seen.push(format!(
        "stopped volume tar: {:?}",
        tar_listing(&out.stdout)
    ));
    seen
}

/// Ownership with and without -a.
fn ownership_copies(side: &Side, host: &Path) -> Vec<String> {
    let mut seen = Vec::new();
    // -a: ownership from the container's user, read from its /etc/passwd.
    side.ok(&[
        "create",
        "--name",
        "cp17u",
        "-u",
        "nobody",
        "busybox",
        "cat",
        "/owned",
        "/tmp/owned",
    ]);
    let input = tar_of(&[("owned", b"x")]);
    seen.push(said(
        host,
        "archive in",
        side.run(&["cp", "-a", "-", "cp17u:/tmp"], Some(&input)),
    ));
    seen.push(said(
        host,
        "plain in",
        side.run(&["cp", "-", "cp17u:/"], Some(&input)),
    ));
    let out = side.run(&["cp", "cp17u:/tmp/owned", "-"], None);
    seen.push(format!("archive owner: {:?}", tar_listing(&out.stdout)));
    let out = side.run(&["cp", "cp17u:/owned", "-"], None);
    seen.push(format!("plain owner: {:?}", tar_listing(&out.stdout)));
    // What the copies put in a container never started is there at start.
    seen.push(said(
        host,
        "start after cp",
        side.run(&["start", "-a", "cp17u"], None),
    ));
    seen
}

fn differences(ours: &[String], reference: &[String]) -> Vec<String> {
    let mut found: Vec<String> = ours
        .iter()
        .zip(reference)
        .filter(|(mine, theirs)| mine != theirs)
        .map(|(mine, theirs)| format!("ours:      {mine}\ndockerd:   {theirs}"))
        .collect();
    if ours.len() != reference.len() {
        found.push(format!(
            "{} results, dockerd {}",
            ours.len(),
            reference.len()
        ));
    }
    found
}

/// The scenario three times: the CLI 28 against dockerd 20.10 (the
/// reference), the CLI 28 against our daemon, and our client against our
/// daemon.
#[test]
fn cp_matches_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let reference_dir = TempDir::new("cp-ref");
    let reference = scenario(&Side::reference(&engine), reference_dir.path());
    let daemon = daemon_with_busybox("cp-compare");
    let ours_dir = TempDir::new("cp-ours");
    let ours = scenario(&Side::ours(&daemon), ours_dir.path());
    let client_dir = TempDir::new("cp-client");
    let client = scenario(&Side::our_client(&daemon), client_dir.path());
    let mut found = differences(&ours, &reference);
    found.extend(
        differences(&client, &reference)
            .into_iter()
            .map(|line| format!("(our client) {line}")),
    );
    assert!(
        found.is_empty(),
        "{}\ndaemon log:\n{}",
        found.join("\n"),
        daemon.log()
    );
}

/// `text` without terminal escapes (`ESC [ ... letter`, `ESC 7`, `ESC 8`)
/// and carriage returns.
fn without_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for next in chars.by_ref() {
                        if next.is_ascii_alphabetic() {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// On a terminal the CLI ends with "Successfully copied SIZE to DEST"
/// (the tar stream's size); our client prints the same line.
#[test]
fn cp_on_a_terminal_says_what_it_copied() {
    require!(skip_unless_ready());
    require!(crate::harness::need_command("script").map(drop));
    let daemon = daemon_with_busybox("cp-terminal");
    let host = TempDir::new("cp-terminal-host");
    std::fs::write(host.path().join("up"), "up").unwrap();
    let created = daemon.docker(&["create", "--name", "cpt", "busybox"]);
    assert!(created.status.success());
    let on_terminal = |side: &Side, args: &str| {
        let command = format!("{} {args}", side.program.display());
        let output = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("DOCKER_HOST", &side.host)
            .env("DOCKER_CONFIG", &side.config)
            .env_remove("DOCKER_API_VERSION")
            .output()
            .unwrap();
        // The progress line is erased by escapes: what stays is the summary.
        let text = without_escapes(&String::from_utf8_lossy(&output.stdout));
        let summary = text
            .rfind("Successfully copied")
            .map_or("", |at| &text[at..]);
        let line = summary.lines().next().unwrap_or("");
        line.replace(&host.path().display().to_string(), "<host>")
    };
    let h = host.path().display();
    let cases = [
        format!("cp cpt:/etc/passwd {h}/passwd-NAME"),
        format!("cp {h}/up cpt:/tmp/up-NAME"),
    ];
    for case in cases {
        let theirs = on_terminal(&Side::ours(&daemon), &case.replace("NAME", "cli"));
        let ours = on_terminal(&Side::our_client(&daemon), &case.replace("NAME", "ours"));
        assert!(theirs.starts_with("Successfully copied "), "{theirs:?}");
        assert_eq!(ours, theirs.replace("-cli", "-ours"), "{case}");
    }
    assert!(daemon.docker(&["rm", "cpt"]).status.success());
}
