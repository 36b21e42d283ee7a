//! Interoperability with Debian's `skopeo` (containers/image), a second
//! implementation of the distribution API: an image skopeo copied into
//! the local registry (schema2 with gzip, and OCI with zstd layers) is
//! pulled and run by our daemon, and an image our daemon pushed is
//! inspected and copied by skopeo, digests equal.

use crate::daemon_registry::{ADDRESS, Registry};
use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, sha256_hex, write_docker_archive};
use crate::harness::{TempDir, need_root, stderr_of, stdout_of};
use std::path::Path;
use std::process::{Command, Output};

const SKOPEO: &str = "/usr/bin/skopeo";

/// skopeo inside the daemon's network namespace, where the registry
/// listens; no signature policy file is needed for plain copies.
fn skopeo(pid: u32, dir: &TempDir, args: &[&str]) -> Output {
    crate::harness::run(
        Command::new("nsenter")
            .arg(format!("--net=/proc/{pid}/ns/net"))
            .arg(SKOPEO)
            .arg("--insecure-policy")
            .args(args)
            .env("HOME", dir.join("home"))
            .env("TMPDIR", dir.path()),
    )
}

fn setup(label: &str) -> Result<(TestDaemon, TempDir, Registry, BusyboxRootfs), String> {
    need_root()?;
    need_docker_cli()?;
    if !Path::new(SKOPEO).exists() {
        return Err(format!("{SKOPEO} is not installed"));
    }
    let mut daemon = TestDaemon::start(label);
    let dir = TempDir::new(label);
    let registry = Registry::start_in(daemon.child().id(), &dir, "")?;
    let rootfs = BusyboxRootfs::build(&dir.join("rootfs"))?;
    Ok((daemon, dir, registry, rootfs))
}

fn succeeded(output: &Output, what: &str, daemon: &TestDaemon) {
    assert!(
        output.status.success(),
        "{what}: {}{}\n{}",
        stdout_of(output),
        stderr_of(output),
        daemon.log()
    );
}

#[test]
fn skopeo_copies_in_we_pull_and_run_we_push_skopeo_inspects_and_copies_out() {
    let (mut daemon, dir, _registry, rootfs) = match setup("registry-skopeo") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "skopeo_copies_in_we_pull_and_run_we_push_skopeo_inspects_and_copies_out",
                &reason,
            );
        }
    };
    let pid = daemon.child().id();
    let archive = dir.join("busybox.tar");
    let id = write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();

    // As an OCI image with zstd layers (containers/image's encoder), of
    // a rootfs with one more file: skopeo would reuse a blob of the same
    // layer already in the registry, whatever its compression.
    let marked = BusyboxRootfs::build(&dir.join("rootfs-zstd")).unwrap();
    std::fs::write(marked.path.join("marker"), "zstd layer\n").unwrap();
    let zstd_archive = dir.join("busybox-zstd.tar");
    write_docker_archive(&marked.path, "busybox:zstd", &zstd_archive).unwrap();
    let zstd_name = format!("{ADDRESS}/from-skopeo-zstd:1");
    let copy_zstd = skopeo(
        pid,
        &dir,
        &[
            "copy",
            "--dest-tls-verify=false",
            "--format",
            "oci",
            "--dest-compress-format",
            "zstd",
            &format!("docker-archive:{}", zstd_archive.display()),
            &format!("docker://{zstd_name}"),
        ],
    );
    succeeded(&copy_zstd, "skopeo copy in (zstd)", &daemon);
    let raw = skopeo(
        pid,
        &dir,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{zstd_name}"),
        ],
    );
    succeeded(&raw, "skopeo inspect --raw", &daemon);
    assert!(
        stdout_of(&raw).contains("application/vnd.oci.image.layer.v1.tar+zstd"),
        "{}",
        stdout_of(&raw)
    );
    succeeded(
        &daemon.docker(&["pull", &zstd_name]),
        "pull (zstd)",
        &daemon,
    );
    let run = daemon.docker(&["run", "--rm", &zstd_name, "cat", "/marker"]);
    assert_eq!(stdout_of(&run), "zstd layer\n", "{}", stderr_of(&run));

    // skopeo → registry → us. skopeo compresses the layer itself and
    // writes a schema2 manifest whose digest it reports.
    let digest_file = dir.join("skopeo-digest");
    let copy_in = skopeo(
        pid,
        &dir,
        &[
            "copy",
            "--dest-tls-verify=false",
            "--digestfile",
            digest_file.to_str().unwrap(),
            &format!("docker-archive:{}", archive.display()),
            &format!("docker://{ADDRESS}/from-skopeo:1"),
        ],
    );
    succeeded(&copy_in, "skopeo copy in", &daemon);
    let skopeo_digest = std::fs::read_to_string(&digest_file).unwrap();
    let name = format!("{ADDRESS}/from-skopeo:1");
    let pull = daemon.docker(&["pull", &name]);
    succeeded(&pull, "pull", &daemon);
    assert!(
        stdout_of(&pull).contains(&format!("Digest: {}", skopeo_digest.trim())),
        "{}",
        stdout_of(&pull)
    );
    let inspect = daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoDigests}}",
        &name,
    ]);
    assert_eq!(
        stdout_of(&inspect).trim(),
        format!("{id} [\"{ADDRESS}/from-skopeo@{}\"]", skopeo_digest.trim())
    );
    let run = daemon.docker(&["run", "--rm", &name, "echo", "via skopeo"]);
    assert_eq!(stdout_of(&run), "via skopeo\n", "{}", stderr_of(&run));

    // us → registry → skopeo: a loaded image, pushed by our daemon.
    let pushed = format!("{ADDRESS}/from-us:v1");
    succeeded(
        &daemon.docker(&["load", "-i", archive.to_str().unwrap()]),
        "load",
        &daemon,
    );
    succeeded(&daemon.docker(&["tag", "busybox", &pushed]), "tag", &daemon);
    let push = daemon.docker(&["push", &pushed]);
    succeeded(&push, "push", &daemon);
    let out = stdout_of(&push);
    let digest = out
        .lines()
        .find_map(|l| l.strip_prefix("v1: digest: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();

    let inspect = skopeo(
        pid,
        &dir,
        &[
            "inspect",
            "--tls-verify=false",
            &format!("docker://{pushed}"),
        ],
    );
    succeeded(&inspect, "skopeo inspect", &daemon);
    let seen: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(seen["Digest"], digest.as_str(), "{seen}");
    assert_eq!(seen["Architecture"], "amd64", "{seen}");
    assert_eq!(seen["Layers"].as_array().map(Vec::len), Some(1), "{seen}");

    // skopeo verifies every blob it copies; dir: keeps the manifest as is.
    let copied = dir.join("copied");
    let copy_out = skopeo(
        pid,
        &dir,
        &[
            "copy",
            "--src-tls-verify=false",
            &format!("docker://{pushed}"),
            &format!("dir:{}", copied.display()),
        ],
    );
    succeeded(&copy_out, "skopeo copy out", &daemon);
    let manifest = std::fs::read(copied.join("manifest.json")).unwrap();
    assert_eq!(format!("sha256:{}", sha256_hex(&manifest)), digest);
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap();
    assert_eq!(
        config, id,
        "our push keeps the image ID as the config digest"
    );
    for blob in std::iter::once(config).chain(
        manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap()),
    ) {
        let bytes = std::fs::read(copied.join(blob.trim_start_matches("sha256:"))).unwrap();
        assert_eq!(format!("sha256:{}", sha256_hex(&bytes)), blob);
    }
}
