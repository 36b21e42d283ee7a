//! zstd-compressed layers (`application/vnd.oci.image.layer.v1.tar+zstd`
//! and containerd's Docker name for it), put into the local registry
//! through the distribution API and pulled, verified and run by us. The
//! layer is compressed by the `zstd` CLI, with several frames so the
//! decoder has to chain them.

use crate::daemon_registry::{ADDRESS, Registry};
use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, sha256_hex, write_rootfs_tar};
use crate::harness::{TempDir, need_root, stderr_of, stdout_of};
use std::path::Path;
use std::process::Command;

const ZSTD: &str = "/usr/bin/zstd";

/// `bytes` compressed by the zstd CLI: in two runs whose frames are
/// concatenated, as the format allows and multi-threaded zstd writes.
fn zstd_of(bytes: &[u8], dir: &TempDir) -> Vec<u8> {
    let half = bytes.len() / 2;
    let mut out = Vec::new();
    for (n, part) in [&bytes[..half], &bytes[half..]].into_iter().enumerate() {
        let input = dir.join(&format!("part-{n}"));
        std::fs::write(&input, part).unwrap();
        let compressed =
            crate::harness::run(Command::new(ZSTD).args(["-q", "-c", "-3"]).arg(&input));
        assert!(compressed.status.success(), "{}", stderr_of(&compressed));
        out.extend_from_slice(&compressed.stdout);
    }
    out
}

/// Pushes a one-layer busybox image whose layer is zstd, under
/// `repository:1` with a manifest of `manifest_type`; returns its digest
/// and the image ID.
fn push_zstd_busybox(
    registry: &Registry,
    repository: &str,
    rootfs: &Path,
    dir: &TempDir,
    (manifest_type, config_type, layer_type): (&str, &str, &str),
) -> (String, String) {
    let mut tar = Vec::new();
    write_rootfs_tar(rootfs, &mut tar).unwrap();
    let blob = zstd_of(&tar, dir);
    assert_eq!(&blob[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(&tar))]},
    })
    .to_string();
    let layer_digest = registry.put_blob(repository, &blob);
    let config_digest = registry.put_blob(repository, config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": {"mediaType": config_type, "size": config.len(), "digest": config_digest},
        "layers": [{"mediaType": layer_type, "size": blob.len(), "digest": layer_digest}],
    })
    .to_string();
    let (digest, _) = registry.put_manifest(repository, "1", manifest_type, &manifest);
    (digest, config_digest)
}

#[test]
fn zstd_layers_are_pulled_verified_and_run() {
    let context = "zstd_layers_are_pulled_verified_and_run";
    if let Err(reason) = need_root().and_then(|()| need_docker_cli()) {
        return crate::harness::report_skip(context, &reason);
    }
    if !Path::new(ZSTD).exists() {
        return crate::harness::report_skip(context, &format!("{ZSTD} is not installed"));
    }
    let mut daemon = TestDaemon::start("registry-zstd");
    let dir = TempDir::new("registry-zstd");
    let registry = match Registry::start_in(daemon.child().id(), &dir, "") {
        Ok(registry) => registry,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return crate::harness::report_skip(context, &reason),
    };
    let kinds = [
        (
            "oci-zstd",
            (
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar+zstd",
            ),
        ),
        (
            "docker-zstd",
            (
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.zstd",
            ),
        ),
    ];
    for (repository, types) in kinds {
        let (digest, id) = push_zstd_busybox(&registry, repository, &rootfs.path, &dir, types);
        let name = format!("{ADDRESS}/{repository}:1");
        let pull = daemon.docker(&["pull", &name]);
        assert!(
            pull.status.success(),
            "{}{}\n{}",
            stdout_of(&pull),
            stderr_of(&pull),
            daemon.log()
        );
        assert!(
            stdout_of(&pull).contains(&format!("Digest: {digest}")),
            "{}",
            stdout_of(&pull)
        );
        let inspect = daemon.docker(&["image", "inspect", "--format", "{{.Id}}", &name]);
        assert_eq!(stdout_of(&inspect).trim(), id);
        let run = daemon.docker(&["run", "--rm", &name, "echo", "from zstd"]);
        assert_eq!(stdout_of(&run), "from zstd\n", "{}", stderr_of(&run));
    }

    // A pulled zstd image pushes (its layer gzipped, as a schema2
    // manifest says) and pulls back as the same image.
    let copy = format!("{ADDRESS}/zstd-copy:1");
    assert!(
        daemon
            .docker(&["tag", &format!("{ADDRESS}/oci-zstd:1"), &copy])
            .status
            .success()
    );
    let push = daemon.docker(&["push", &copy]);
    assert!(
        push.status.success(),
        "{}{}",
        stdout_of(&push),
        stderr_of(&push)
    );
    let id = stdout_of(&daemon.docker(&["image", "inspect", "--format", "{{.Id}}", &copy]));
    let rmi = daemon.docker(&["rmi", &copy, &format!("{ADDRESS}/oci-zstd:1")]);
    assert!(rmi.status.success(), "{}", stderr_of(&rmi));
    let pull = daemon.docker(&["pull", &copy]);
    assert!(pull.status.success(), "{}", stderr_of(&pull));
    let again = stdout_of(&daemon.docker(&["image", "inspect", "--format", "{{.Id}}", &copy]));
    assert_eq!(again, id);
}
