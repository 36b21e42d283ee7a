//! `docker cp` against a hostile container or archive, on our daemon:
//! PUT archives whose names, symlinks and hard links try to leave the
//! destination, the API's refusals compared with dockerd 20.10, and the
//! CVE-2018-15664 race (a path component swapped between a directory and
//! a symlink to `/` while copies run). A canary directory on the host
//! must come out of all of it untouched.

use crate::daemon_run::{daemon_with_busybox, skip_unless_ready};
use crate::daemon_support::{RawConnection, RawResponse};
use crate::harness::TempDir;
use crate::harness::engine::{Engine, need_engine};
use crate::require;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One request with a binary body on a fresh connection.
pub fn api(socket: &Path, method: &str, path: &str, body: &[u8]) -> RawResponse {
    let mut connection = RawConnection::connect(socket);
    connection.send(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    connection.send(body);
    connection.read_response(method)
}

/// A tar entry written byte for byte: the name and link name go into the
/// header as given (`..` and absolute names included).
struct Raw<'a> {
    name: &'a str,
    kind: tar::EntryType,
    link: &'a str,
    data: &'a [u8],
}

fn raw_tar(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_old();
        let old = header.as_old_mut();
        old.name[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
        old.linkname[..entry.link.len()].copy_from_slice(entry.link.as_bytes());
        header.set_entry_type(entry.kind);
        header.set_mode(if entry.kind.is_dir() { 0o755 } else { 0o644 });
        header.set_size(entry.data.len() as u64);
        header.set_cksum();
        builder.append(&header, entry.data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name,
        kind: tar::EntryType::Regular,
        link: "",
        data,
    }
}

fn link<'a>(name: &'a str, kind: tar::EntryType, target: &'a str) -> Raw<'a> {
    Raw {
        name,
        kind,
        link: target,
        data: b"",
    }
}

/// A host directory with one secret file that no copy may reach.
struct Canary {
    dir: TempDir,
    token: String,
}

impl Canary {
    fn new(label: &str) -> Canary {
        let dir = TempDir::new(label);
        let token = format!("canary-{}-{label}", std::process::id());
        std::fs::write(dir.path().join("secret"), &token).unwrap();
        Canary { dir, token }
    }

    /// The canary's path without its leading `/`, to name it from inside
    /// a container root.
    fn relative(&self) -> String {
        self.dir.path().display().to_string()[1..].to_string()
    }

    fn assert_untouched(&self, context: &str) {
        let names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["secret"], "{context}: the canary dir changed");
        let secret = self.dir.path().join("secret");
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap(),
            self.token,
            "{context}"
        );
        assert_eq!(
            std::fs::metadata(&secret).unwrap().nlink(),
            1,
            "{context}: hard linked"
        );
    }
}

#[test]
fn hostile_put_archives_stay_in_the_container() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("cp-hostile");
    let canary = Canary::new("cp-hostile-canary");
    let rel = canary.relative();
    let up = format!("../../../../../../../../../../{rel}");
    let absolute = format!("/{rel}");
    let dotdot_file = format!("{up}/pwned-dotdot");
    let abs_file = format!("{absolute}/pwned-abs");
    let through_up = format!("up/{rel}/pwned-up");
    let through_root = format!("rootlink/{rel}/pwned-root");
    let hard_up = format!("{up}/secret");
    let hard_abs = format!("{absolute}/secret");
    let archives: Vec<(&str, Vec<u8>)> = vec![
        ("dotdot name", raw_tar(&[file(&dotdot_file, b"x")])),
        ("absolute name", raw_tar(&[file(&abs_file, b"x")])),
        (
            "symlink to the host dir, then a file through it",
            raw_tar(&[
                link("esc", tar::EntryType::Symlink, &absolute),
                file("esc/pwned-symlink", b"x"),
            ]),
        ),
        (
            "relative symlink upwards, then a file through it",
            raw_tar(&[
                link("up", tar::EntryType::Symlink, "../../../../../../../../.."),
                file(&through_up, b"x"),
            ]),
        ),
        (
            "symlink to /, then a file through it",
            raw_tar(&[
                link("rootlink", tar::EntryType::Symlink, "/"),
                file(&through_root, b"x"),
            ]),
        ),
        (
            "hard link upwards",
            raw_tar(&[link("hl", tar::EntryType::Link, &hard_up)]),
        ),
        (
            "hard link to an absolute host path",
            raw_tar(&[link("hl2", tar::EntryType::Link, &hard_abs)]),
        ),
    ];
    let run = daemon.docker(&["run", "-d", "--name", "hostile", "busybox", "sleep", "1000"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let created = daemon.docker(&["create", "--name", "hostile-stopped", "busybox"]);
    assert!(created.status.success());
    for container in ["hostile", "hostile-stopped"] {
        for (label, tar) in &archives {
            for dest in ["/", "/tmp"] {
                let path = format!("/containers/{container}/archive?path={dest}");
                let answer = api(&daemon.socket, "PUT", &path, tar);
                assert!(
                    answer.status == 200 || answer.status >= 400,
                    "{label}: {}",
                    answer.head
                );
                canary.assert_untouched(&format!("{container} {dest} {label}"));
            }
        }
        // The absolute name and the symlinks resolved inside the container.
        for inside in [
            format!("/{rel}/pwned-abs"),
            format!("/{rel}/pwned-symlink"),
            format!("/{rel}/pwned-root"),
        ] {
            let path = format!("/containers/{container}/archive?path={inside}");
            let answer = api(&daemon.socket, "HEAD", &path, b"");
            assert_eq!(
                answer.status, 200,
                "{container}: {inside} not in the container"
            );
        }
    }
    canary.assert_untouched("after all");
    let removed = daemon.docker(&["rm", "-f", "hostile", "hostile-stopped"]);
    assert!(removed.status.success());
}

/// What the API answers for the refusals, with the stat header decoded.
fn refusals(socket: &Path) -> Vec<String> {
    let mut seen = Vec::new();
    let mut ask = |label: &str, method: &str, path: &str, body: &[u8]| {
        let answer = api(socket, method, path, body);
        let stat = answer
            .header("X-Docker-Container-Path-Stat")
            .and_then(|value| dockbox_base64(&value))
            .map(|mut json: serde_json::Value| {
                json["mtime"] = "<time>".into();
                json.to_string()
            });
        seen.push(format!(
            "{label}: {} {:?} {}",
            answer.status,
            stat,
            String::from_utf8_lossy(&answer.body).trim()
        ));
    };
    let file_sub = raw_tar(&[file("sub", b"x")]);
    let dir_t = raw_tar(&[Raw {
        name: "t/",
        kind: tar::EntryType::Directory,
        link: "",
        data: b"",
    }]);
    ask("no path", "GET", "/containers/cpr/archive", b"");
    ask("empty path", "HEAD", "/containers/cpr/archive?path=", b"");
    ask(
        "no container",
        "HEAD",
        "/containers/cpr-none/archive?path=/",
        b"",
    );
    ask("stat dir", "HEAD", "/containers/cpr/archive?path=/d", b"");
    ask("stat dot", "HEAD", "/containers/cpr/archive?path=/d/.", b"");
    ask(
        "stat link",
        "HEAD",
        "/containers/cpr/archive?path=/d/link",
        b"",
    );
    ask(
        "stat dangling",
        "HEAD",
        "/containers/cpr/archive?path=/d/dangling",
        b"",
    );
    ask(
        "stat file",
        "HEAD",
        "/containers/cpr/archive?path=d/../d/t",
        b"",
    );
    ask(
        "put onto a file",
        "PUT",
        "/containers/cpr/archive?path=/d/t",
        &file_sub,
    );
    ask(
        "put missing",
        "PUT",
        "/containers/cpr/archive?path=/none",
        &file_sub,
    );
    let keep = "/containers/cpr/archive?path=/d&noOverwriteDirNonDir=1";
    ask("file over dir", "PUT", keep, &file_sub);
    ask("dir over file", "PUT", keep, &dir_t);
    ask(
        "file over dir allowed",
        "PUT",
        "/containers/cpr/archive?path=/d",
        &file_sub,
    );
    ask(
        "read-only rootfs",
        "PUT",
        "/containers/cpro/archive?path=/tmp",
        &file_sub,
    );
    ask(
        "read-only volume",
        "PUT",
        "/containers/cpro/archive?path=/ro",
        &file_sub,
    );
    ask(
        "rw volume",
        "PUT",
        "/containers/cpro/archive?path=/rw",
        &file_sub,
    );
    seen
}

fn dockbox_base64(value: &str) -> Option<serde_json::Value> {
    let output = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(value.as_bytes())?;
            child.wait_with_output()
        })
        .ok()?;
    serde_json::from_slice(&output.stdout).ok()
}

#[test]
fn archive_refusals_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let setup = "mkdir -p /d/sub && echo top > /d/t && ln -s /d/t /d/link \
                 && ln -s /nowhere /d/dangling";
    let prepare = |docker: &dyn Fn(&[&str]) -> std::process::Output| {
        for args in [
            &["create", "--name", "cpr", "busybox", "sh", "-c", setup][..],
            &["start", "-a", "cpr"][..],
            &[
                "create",
                "--name",
                "cpro",
                "--read-only",
                "-v",
                "cprovol:/ro:ro",
                "-v",
                "cprw:/rw",
                "busybox",
            ][..],
        ] {
            let output = docker(args);
            assert!(output.status.success(), "{args:?}: {output:?}");
        }
    };
    let cleanup = |docker: &dyn Fn(&[&str]) -> std::process::Output| {
        docker(&["rm", "-f", "cpr", "cpro"]);
        docker(&["volume", "rm", "cprovol", "cprw"]);
    };
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    prepare(&|args| engine.docker(args));
    let reference = refusals(&engine.dir().join("docker.sock"));
    cleanup(&|args| engine.docker(args));
    let daemon = daemon_with_busybox("cp-refusals");
    prepare(&|args| daemon.docker(args));
    let ours = refusals(&daemon.socket);
    cleanup(&|args| daemon.docker(args));
    let differences: Vec<String> = ours
        .iter()
        .zip(&reference)
        .filter(|(mine, theirs)| mine != theirs)
        .map(|(mine, theirs)| format!("ours:    {mine}\ndockerd: {theirs}"))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// CVE-2018-15664: the container swaps /w/real between a directory and
/// a symlink to `/` in a loop while 500 copies (GETs and PUTs through
/// /w/real) run. Resolved in the container's root, the symlink can only
/// ever lead to the container's own `/`: the host canary, at the same
/// path, must never be read nor written.
#[test]
fn cve_2018_15664_symlink_swap_race() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("cp-cve-2018-15664");
    let canary = Canary::new("cp-cve-canary");
    let rel = canary.relative();
    let script = format!(
        "mkdir -p /w/real/{rel} /{rel} && echo inside > /w/real/{rel}/secret && touch /ready \
         && while true; do mv /w/real /w/hold; ln -s / /w/real; rm /w/real; mv /w/hold /w/real; \
         done"
    );
    let run = daemon.docker(&[
        "run", "-d", "--name", "swapper", "busybox", "sh", "-c", &script,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let socket = daemon.socket.clone();
    let put = raw_tar(&[file("pwned", b"x")]);
    let reads = std::sync::atomic::AtomicU32::new(0);
    let misses = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let (socket, put, rel, reads, misses) = (&socket, &put, &rel, &reads, &misses);
            let token = canary.token.clone();
            scope.spawn(move || {
                for round in 0..125 {
                    if (round + worker) % 2 == 0 {
                        let path = format!("/containers/swapper/archive?path=/w/real/{rel}/secret");
                        let answer = api(socket, "GET", &path, b"");
                        let body = String::from_utf8_lossy(&answer.body);
                        assert!(
                            !body.contains(&token),
                            "read the host's canary: {}",
                            answer.head
                        );
                        let counter = if answer.status == 200 { reads } else { misses };
                        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    } else {
                        let path = format!("/containers/swapper/archive?path=/w/real/{rel}");
                        api(socket, "PUT", &path, put);
                    }
                }
            });
        }
    });
    canary.assert_untouched("after the race");
    // The copies did reach the container's own files meanwhile.
    assert!(
        reads.into_inner() > 0,
        "no GET succeeded: the race tested nothing"
    );
    let removed = daemon.docker(&["rm", "-f", "swapper"]);
    assert!(removed.status.success());
}

/// A bind mount is seen as the container sees it, running or stopped:
/// copies into it (also through a symlink in the container that names
/// it) land in the host directory, and copies out read it.
#[test]
fn binds_resolve_as_the_container_sees_them() {
    require!(skip_unless_ready());
    let mut daemon = daemon_with_busybox("cp-binds");
    let daemon_pid = daemon.child().id();
    let bound = TempDir::new("cp-bound");
    std::fs::write(bound.path().join("from-host"), "host").unwrap();
    let bind = format!("{}:/bind", bound.path().display());
    let run = daemon.docker(&[
        "run",
        "-d",
        "--name",
        "binder",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "ln -s /bind /lnk && touch /ready && exec sleep 1000",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for _ in 0..100 {
        let ready = api(
            &daemon.socket,
            "HEAD",
            "/containers/binder/archive?path=/ready",
            b"",
        );
        if ready.status == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let put = |name: &str, dest: &str| {
        let tar = raw_tar(&[file(name, b"in")]);
        let path = format!("/containers/binder/archive?path={dest}");
        let answer = api(&daemon.socket, "PUT", &path, &tar);
        assert_eq!(answer.status, 200, "{name}: {}", answer.head);
    };
    let read = |path: &str| {
        let path = format!("/containers/binder/archive?path={path}");
        let answer = api(&daemon.socket, "GET", &path, b"");
        assert_eq!(answer.status, 200, "{path}: {}", answer.head);
        let mut archive = tar::Archive::new(&answer.body[..]);
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        text
    };
    put("running", "/bind");
    put("running-link", "/lnk/");
    assert_eq!(read("/bind/from-host"), "host");
    let killed = daemon.docker(&["kill", "binder"]);
    assert!(killed.status.success());
    daemon.docker(&["wait", "binder"]);
    put("stopped", "/bind");
    put("stopped-link", "/lnk");
    assert_eq!(read("/lnk/from-host"), "host");
    for name in ["running", "running-link", "stopped", "stopped-link"] {
        let written = std::fs::read_to_string(bound.path().join(name));
        assert_eq!(
            written.ok().as_deref(),
            Some("in"),
            "{name} not in the bind"
        );
    }
    // The bind was mounted for the copy only: nothing stays in the
    // daemon's mount namespace.
    let mounts = std::fs::read_to_string(format!("/proc/{daemon_pid}/mountinfo")).unwrap();
    assert!(
        !mounts.contains(&bound.path().display().to_string()),
        "{mounts}"
    );
    assert!(daemon.docker(&["rm", "-f", "binder"]).status.success());
}
