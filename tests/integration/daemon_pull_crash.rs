//! Crash safety of a pull: the daemon is killed (SIGKILL) at a random
//! moment while it pulls a ~50 MB image from the local registry, then
//! restarted on the same data root. Each time: the image is listed whole
//! or not at all, redb's integrity check passes, every stored layer tar
//! re-hashes to its diff ID, and at the end a pull succeeds and runs.
//!
//! Rounds: `DOCKBOX_PULL_CRASH_ROUNDS` (default 5, to keep the suite
//! quick; `scripts/pull-crash.sh` runs the 30). Also: two pulls of
//! one image at once share its download and store each blob once.

use crate::daemon_registry::{ADDRESS, Registry};
use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, sha256_hex, write_rootfs_tar};
use crate::harness::{TempDir, need_root, stderr_of, stdout_of};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RANDOM_LAYER: usize = 50 << 20;

/// xorshift64*: enough randomness for an incompressible layer and for the
/// moments of the kills, seeded from the clock (printed, to replay).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// A tar of one file, `/random`, of `bytes`.
fn random_layer(bytes: &[u8]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::with_capacity(bytes.len() + 4096));
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "random", bytes).unwrap();
    tar.into_inner().unwrap()
}

/// Pushes busybox (gzipped) plus the random layer (an uncompressed OCI
/// layer) as `crash:1`; returns the image ID and the layers' diff IDs.
fn push_image(registry: &Registry, rootfs: &Path, random: &mut Random) -> (String, Vec<String>) {
    let mut busybox = Vec::new();
    write_rootfs_tar(rootfs, &mut busybox).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&busybox).unwrap();
    let busybox_blob = gzip.finish().unwrap();
    let big = random_layer(&random.bytes(RANDOM_LAYER));
    let diff_ids = vec![
        format!("sha256:{}", sha256_hex(&busybox)),
        format!("sha256:{}", sha256_hex(&big)),
    ];
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
    .to_string();
    let layers = [
        (
            registry.put_blob("crash", &busybox_blob),
            busybox_blob.len(),
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ),
        (
            registry.put_blob("crash", &big),
            big.len(),
            "application/vnd.oci.image.layer.v1.tar",
        ),
    ];
    let config_digest = registry.put_blob("crash", config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": config.len(), "digest": config_digest},
        "layers": layers.iter().map(|(digest, size, media_type)| serde_json::json!({
            "mediaType": media_type, "size": size, "digest": digest,
        })).collect::<Vec<_>>(),
    })
    .to_string();
    registry.put_manifest(
        "crash",
        "1",
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    (config_digest, diff_ids)
}

/// The real CLI's `docker pull`, running in the background.
fn spawn_pull(daemon: &TestDaemon, name: &str) -> std::process::Child {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    Command::new(DOCKER_CLI)
        .args(["pull", "-q", name])
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .env_remove("DOCKER_API_VERSION")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills the daemon with SIGKILL and starts a new one on its data root,
/// in the network namespace `netns` (where the registry listens) rather
/// than a fresh one.
fn crash_and_restart(mut daemon: TestDaemon, netns: &std::fs::File) -> TestDaemon {
    daemon.child().kill().unwrap();
    daemon.child().wait().unwrap();
    check_store(&daemon.dir.join("data"));
    let TestDaemon { guard, dir, .. } = daemon;
    drop(guard);
    let fd = netns.as_raw_fd();
    TestDaemon::start_customised(dir, move |command| {
        // SAFETY: setns is a raw syscall, async-signal-safe; it runs after
        // the harness's unshare, so the daemon joins the kept namespace.
        unsafe {
            command.pre_exec(move || {
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    })
}

/// What a dead daemon left: a database whose integrity check passes and
/// layer tars that hash to their names.
fn check_store(data: &Path) {
    let mut db = redb::Database::open(data.join("dockbox.db")).expect("redb opens");
    assert!(
        db.check_integrity().expect("integrity check runs"),
        "redb repaired itself"
    );
    drop(db);
    let layers = data.join("image").join("layers");
    for entry in std::fs::read_dir(&layers).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(hex) = name.strip_suffix(".tar") else {
            continue;
        };
        let mut file = std::fs::File::open(&path).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        assert_eq!(
            sha256_hex(&bytes),
            hex,
            "layer {name} does not hash to its name"
        );
    }
}

/// `docker images -q --no-trunc`: nothing, or the whole image.
fn listed(daemon: &TestDaemon) -> Vec<String> {
    let images = daemon.docker(&["images", "-q", "--no-trunc"]);
    assert!(images.status.success(), "{}", stderr_of(&images));
    stdout_of(&images).lines().map(str::to_string).collect()
}

fn rounds() -> u32 {
    std::env::var("DOCKBOX_PULL_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
}

#[test]
fn a_daemon_killed_during_a_pull_leaves_no_partial_image_and_pulls_again() {
    let context = "a_daemon_killed_during_a_pull_leaves_no_partial_image_and_pulls_again";
    if let Err(reason) = need_root().and_then(|()| need_docker_cli()) {
        return crate::harness::report_skip(context, &reason);
    }
    let mut daemon = TestDaemon::start("pull-crash");
    let dir = TempDir::new("pull-crash");
    let pid = daemon.child().id();
    let registry = match Registry::start_in(pid, &dir, "") {
        Ok(registry) => registry,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let netns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("pull-crash seed {seed}");
    let mut random = Random(seed);
    let (image_id, diff_ids) = push_image(&registry, &rootfs.path, &mut random);
    let name = format!("{ADDRESS}/crash:1");

    // One whole pull, timed: the kills fall within that time.
    let started = Instant::now();
    let pull = daemon.docker(&["pull", &name]);
    assert!(
        pull.status.success(),
        "{}\n{}",
        stderr_of(&pull),
        daemon.log()
    );
    let took = started.elapsed();
    assert_eq!(listed(&daemon), vec![image_id.clone()]);
    assert!(daemon.docker(&["rmi", &name]).status.success());

    let (mut whole, mut interrupted) = (0, 0);
    for round in 0..rounds() {
        let mut client = spawn_pull(&daemon, &name);
        let wait = took.as_micros() as u64 * 9 / 10;
        std::thread::sleep(Duration::from_micros(random.next() % wait.max(1)));
        daemon = crash_and_restart(daemon, &netns);
        if !client.wait().unwrap().success() {
            interrupted += 1;
        }
        let images = listed(&daemon);
        assert!(
            images.is_empty() || images == vec![image_id.clone()],
            "round {round}: {images:?}\n{}",
            daemon.log()
        );
        if !images.is_empty() {
            whole += 1;
            let ids = daemon.docker(&[
                "image",
                "inspect",
                "--format",
                "{{json .RootFS.Layers}}",
                &name,
            ]);
            assert_eq!(
                stdout_of(&ids).trim(),
                serde_json::to_string(&diff_ids).unwrap(),
                "round {round}"
            );
            let rmi = daemon.docker(&["rmi", &name]);
            assert!(rmi.status.success(), "round {round}: {}", stderr_of(&rmi));
        }
    }
    eprintln!(
        "pull-crash: {} rounds, {interrupted} pulls interrupted, {whole} ended with the whole image",
        rounds()
    );

    let pull = daemon.docker(&["pull", &name]);
    assert!(
        pull.status.success(),
        "{}\n{}",
        stderr_of(&pull),
        daemon.log()
    );
    assert_eq!(listed(&daemon), vec![image_id.clone()]);
    let run = daemon.docker(&["run", "--rm", &name, "sh", "-c", "wc -c < /random"]);
    assert_eq!(
        stdout_of(&run).trim(),
        RANDOM_LAYER.to_string(),
        "{}",
        stderr_of(&run)
    );
    // A blob no layer names (as a crash between its rename and its link
    // would leave) goes with `image prune`; the image's own blobs stay.
    let blobs = daemon.dir.join("data").join("image").join("blobs");
    let kept = names_in(&blobs);
    let stray = blobs.join("0".repeat(64));
    std::fs::write(&stray, b"stray").unwrap();
    let prune = daemon.docker(&["image", "prune", "-f"]);
    assert!(prune.status.success(), "{}", stderr_of(&prune));
    assert!(!stray.exists());
    assert_eq!(names_in(&blobs), kept);
    // redb locks its file: the store is checked once the daemon is gone.
    daemon.child().kill().unwrap();
    daemon.child().wait().unwrap();
    check_store(&daemon.dir.join("data"));
}

/// The files of a directory of the content store.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn two_pulls_of_one_image_at_once_share_the_download_and_store_each_blob_once() {
    let context = "two_pulls_of_one_image_at_once_share_the_download_and_store_each_blob_once";
    if let Err(reason) = need_root().and_then(|()| need_docker_cli()) {
        return crate::harness::report_skip(context, &reason);
    }
    let mut daemon = TestDaemon::start("pull-twice");
    let dir = TempDir::new("pull-twice");
    let registry = match Registry::start_in(daemon.child().id(), &dir, "") {
        Ok(registry) => registry,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let mut random = Random(0x5eed_1234_abcd_0001);
    let (image_id, diff_ids) = push_image(&registry, &rootfs.path, &mut random);
    let name = format!("{ADDRESS}/crash:1");

    let daemon = &daemon;
    let outputs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let pulls: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| daemon.docker(&["pull", &name])))
            .collect();
        pulls.into_iter().map(|pull| pull.join().unwrap()).collect()
    });
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}{}\n{}",
            stdout_of(output),
            stderr_of(output),
            daemon.log()
        );
    }
    // The big layer came over the wire once: one pull downloaded it,
    // the other waited for that download (or found the layer there).
    let big_layer = registry_layer_ids(&outputs);
    let downloads = outputs
        .iter()
        .filter(|output| {
            stdout_of(output)
                .lines()
                .any(|line| *line == format!("{big_layer}: Verifying Checksum"))
        })
        .count();
    assert!(
        downloads <= 1,
        "{}\n----\n{}",
        stdout_of(&outputs[0]),
        stdout_of(&outputs[1])
    );
    assert_eq!(listed(daemon), vec![image_id]);
    let store = daemon.dir.join("data").join("image");
    let tars: Vec<String> = diff_ids
        .iter()
        .map(|id| format!("{}.tar", id.trim_start_matches("sha256:")))
        .collect();
    let layers: Vec<String> = names_in(&store.join("layers"))
        .into_iter()
        .filter(|name| name.ends_with(".tar"))
        .collect();
    let mut expected = tars.clone();
    expected.sort();
    assert_eq!(layers, expected);
    assert_eq!(names_in(&store.join("blobs")).len(), 2);
    assert_eq!(names_in(&store.join("tmp")), Vec::<String>::new());
    let run = daemon.docker(&["run", "--rm", &name, "sh", "-c", "wc -c < /random"]);
    assert_eq!(
        stdout_of(&run).trim(),
        RANDOM_LAYER.to_string(),
        "{}",
        stderr_of(&run)
    );
}

/// The short ID the progress shows for the big (second, uncompressed)
/// layer, from the first lines of a pull, one per layer.
fn registry_layer_ids(outputs: &[std::process::Output]) -> String {
    let text = stdout_of(&outputs[0]);
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|line| {
            line.strip_suffix(": Pulling fs layer")
                .or_else(|| line.strip_suffix(": Already exists"))
        })
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    ids[1].to_string()
}
