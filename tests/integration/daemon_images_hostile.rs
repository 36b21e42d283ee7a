//! Hostile and odd layer tars through the real CLI: whiteouts that name
//! the layer root or above, data after the end-of-archive marker, fifos
//! and device nodes as GNU tar writes them, and reference filters with
//! many stars.

use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{self, need_root, stderr_of, stdout_of};
use crate::require;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const WHITEOUT_REFUSED: &str = "whiteout must name an entry inside its directory";

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout_of(output),
        stderr_of(output)
    );
    stdout_of(output)
}

/// A tar with one empty regular file for each name, written raw (the tar
/// crate's setters refuse some hostile names).
fn tar_of_names(names: &[&str]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for name in names {
        let mut header = tar::Header::new_ustar();
        let field = &mut header.as_mut_bytes()[..100];
        field.fill(0);
        field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(0);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, std::io::empty()).unwrap();
    }
    builder.into_inner().unwrap()
}

/// `docker ARGS` with `input` on its stdin, written from another thread.
fn docker_with_stdin(daemon: &TestDaemon, args: &[&str], input: Vec<u8>) -> Output {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut child = Command::new(DOCKER_CLI)
        .args(args)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn diff_dirs(data_root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_root.join("overlay2/diff"))
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn hostile_whiteouts_are_refused_and_other_images_still_run() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-hostile-wh");
    let rootfs = daemon.dir.join("rootfs");
    if let Err(reason) = BusyboxRootfs::build(&rootfs) {
        return harness::report_skip("hostile_whiteouts_are_refused", &reason);
    }
    let archive = daemon.dir.join("busybox.tar");
    write_docker_archive(&rootfs, "busybox:latest", &archive).unwrap();
    ok(&daemon.docker(&["load", "-i", archive.to_str().unwrap()]));
    ok(&daemon.docker(&["run", "--rm", "busybox:latest", "true"]));
    let data_root = daemon.dir.join("data");
    let layers_before = diff_dirs(&data_root);

    for dir in ["", "a/", "a/b/"] {
        for whiteout in [".wh.", ".wh..", ".wh..."] {
            let name = format!("{dir}{whiteout}");
            let tar = daemon.dir.join("hostile.tar");
            std::fs::write(&tar, tar_of_names(&[&name])).unwrap();
            let import = daemon.docker(&["import", tar.to_str().unwrap(), "hostile:1"]);
            assert!(!import.status.success(), "{name}: {}", stdout_of(&import));
            let stderr = stderr_of(&import);
            assert!(stderr.contains(WHITEOUT_REFUSED), "{name}: {stderr}");
            assert_eq!(diff_dirs(&data_root), layers_before, "{name}");
        }
    }

    // The same through docker load: a layer with a file named `.wh..`.
    let hostile_rootfs = daemon.dir.join("hostile-rootfs");
    std::fs::create_dir_all(hostile_rootfs.join("a")).unwrap();
    std::fs::write(hostile_rootfs.join("a/.wh..."), b"").unwrap();
    let hostile_archive = daemon.dir.join("hostile-archive.tar");
    write_docker_archive(&hostile_rootfs, "hostile:2", &hostile_archive).unwrap();
    let load = daemon.docker(&["load", "-i", hostile_archive.to_str().unwrap()]);
    let said = format!("{}{}", stdout_of(&load), stderr_of(&load));
    assert!(!load.status.success(), "{said}");
    assert!(said.contains(WHITEOUT_REFUSED), "{said}");

    assert_eq!(diff_dirs(&data_root), layers_before);
    ok(&daemon.docker(&["run", "--rm", "busybox:latest", "true"]));
    let images = ok(&daemon.docker(&["images", "--format", "{{.Repository}}"]));
    assert_eq!(images, "busybox\n");

    // The opaque marker and ordinary whiteouts stay valid.
    let tar = daemon.dir.join("opaque.tar");
    std::fs::write(&tar, tar_of_names(&["a/.wh..wh..opq", "a/.wh.gone", "a/f"])).unwrap();
    ok(&daemon.docker(&["import", tar.to_str().unwrap(), "opaque:1"]));
}

#[test]
fn trailing_data_after_an_imported_tar_is_not_stored() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-trailing");
    let mut small = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_path("f").unwrap();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_cksum();
    small.append(&header, &b"abc"[..]).unwrap();
    let small = small.into_inner().unwrap();
    let diff_id = format!("sha256:{}", sha256_hex(&small));

    let zeros = vec![0u8; 4 << 20];
    let garbage: Vec<u8> = (0u32..4 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for (tag, trailing) in [("zeros:1", zeros), ("garbage:1", garbage)] {
        let mut input = small.clone();
        input.extend_from_slice(&trailing);
        let imported = docker_with_stdin(&daemon, &["import", "-", tag], input);
        let id = ok(&imported);
        assert!(id.trim().starts_with("sha256:"), "{id}");
        let inspect = ok(&daemon.docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Size}} {{json .RootFS.Layers}}",
            tag,
        ]));
        assert_eq!(inspect, format!("3 [\"{diff_id}\"]\n"), "{tag}");
    }
    let layers = daemon.dir.join("data/image/layers");
    let layer = layers.join(format!("{}.tar", &diff_id[7..]));
    assert_eq!(std::fs::read(&layer).unwrap(), small);
    let stored: u64 = std::fs::read_dir(&layers)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(stored < 64 << 10, "the layers hold {stored} bytes");
    let spooled = std::fs::read_dir(daemon.dir.join("data/image/tmp"))
        .unwrap()
        .count();
    assert_eq!(spooled, 0);
    ok(&daemon.docker(&["version"]));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn fifos_and_devices_of_a_gnu_tar_layer_are_created() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-fifo");
    let rootfs = daemon.dir.join("rootfs");
    if let Err(reason) = BusyboxRootfs::build(&rootfs) {
        return harness::report_skip("fifos_and_devices_of_a_gnu_tar_layer", &reason);
    }
    let fifo = std::ffi::CString::new(rootfs.join("ff").to_str().unwrap()).unwrap();
    let cdev = std::ffi::CString::new(rootfs.join("cdev").to_str().unwrap()).unwrap();
    // SAFETY: both paths are NUL-terminated.
    unsafe {
        assert_eq!(libc::mkfifo(fifo.as_ptr(), 0o644), 0);
        assert_eq!(
            libc::mknod(cdev.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)),
            0
        );
    }
    // GNU tar, as in the report: its fifo header leaves the device fields blank.
    let tar = daemon.dir.join("fifo.tar");
    let tarred = harness::run(
        Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tar)
            .arg("."),
    );
    ok(&tarred);
    ok(&daemon.docker(&["import", tar.to_str().unwrap(), "fifo:1"]));
    ok(&daemon.docker(&[
        "run",
        "--rm",
        "fifo:1",
        "sh",
        "-c",
        "test -p /ff && test -c /cdev",
    ]));
}

/// The reference filter with many `*?` pairs took exponential time.
#[test]
fn reference_filters_with_many_stars_answer_at_once() {
    require!(need_root());
    let daemon = TestDaemon::start("images-filter-stars");
    let name = "a".repeat(50);
    let tar = daemon.dir.join("one.tar");
    std::fs::write(&tar, tar_of_names(&["f"])).unwrap();
    ok(&daemon.docker(&["import", tar.to_str().unwrap(), &name]));

    let query = |pattern: &str| {
        let filters = serde_json::json!({ "reference": [pattern] }).to_string();
        let encoded: String = filters
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let started = Instant::now();
        let response = daemon
            .connect()
            .get(&format!("/images/json?filters={encoded}"));
        (response, started.elapsed())
    };
    let (none, elapsed) = query(&format!("{}Z", "*?".repeat(50)));
    assert_eq!(none.status, 200, "{}", none.body_text());
    assert_eq!(none.json(), serde_json::json!([]));
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    let (found, elapsed) = query(&format!("{}a:latest", "*?".repeat(24)));
    assert_eq!(found.status, 200, "{}", found.body_text());
    assert_eq!(found.json()[0]["RepoTags"][0], format!("{name}:latest"));
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    let (bad, _) = query("a[");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["message"], "syntax error in pattern");
}
