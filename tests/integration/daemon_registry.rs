//! Pulls from Debian's real `docker-registry` (distribution 2.8), started
//! on 127.0.0.1 inside the test daemon's network namespace. The test puts
//! the image into the registry through the distribution API itself (from
//! a thread that joined that namespace), then pulls it with the real CLI.

use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, sha256_hex, write_docker_archive, write_rootfs_tar};
use crate::harness::{ProcessGuard, TempDir, need_root, stderr_of, stdout_of};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REGISTRY: &str = "/usr/bin/docker-registry";
pub(crate) const ADDRESS: &str = "127.0.0.1:5000";

/// The registry process, in the daemon's network namespace, killed on drop.
pub(crate) struct Registry {
    _guard: ProcessGuard,
    netns: std::fs::File,
}

impl Registry {
    fn start(daemon: &mut TestDaemon, dir: &TempDir) -> Result<Registry, String> {
        Registry::start_in(daemon.child().id(), dir, "")
    }

    /// Starts the registry in the network namespace of process `pid`,
    /// with `extra` configuration (an `auth:` section, say).
    pub(crate) fn start_in(pid: u32, dir: &TempDir, extra: &str) -> Result<Registry, String> {
        if !Path::new(REGISTRY).exists() {
            return Err(format!("{REGISTRY} is not installed"));
        }
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {ADDRESS}\n{extra}",
                dir.join("registry-data").display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let netns =
            std::fs::File::open(format!("/proc/{pid}/ns/net")).map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("registry.log")).map_err(|e| e.to_string())?;
        let child = Command::new("nsenter")
            .arg(format!("--net=/proc/{pid}/ns/net"))
            .arg(REGISTRY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("start registry: {e}"))?;
        let registry = Registry {
            _guard: ProcessGuard::child(child),
            netns,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        // 200, or 401 when it asks for credentials: it is serving.
        while !matches!(registry.request("GET", "/v2/", &[], b"").0, 200 | 401) {
            if Instant::now() > deadline {
                return Err("the registry did not answer within 20s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(registry)
    }

    /// One HTTP/1.0 exchange with the registry, from a thread inside its
    /// namespace: status, headers (lower-case names) and body.
    pub(crate) fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let fd = self.netns.as_raw_fd();
        let mut request = format!(
            "{method} {target} HTTP/1.0\r\nHost: {ADDRESS}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    // SAFETY: setns on this thread only, with a valid fd.
                    if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
                        return (0, Vec::new(), Vec::new());
                    }
                    let Ok(mut stream) = TcpStream::connect(ADDRESS) else {
                        return (0, Vec::new(), Vec::new());
                    };
                    stream.write_all(&bytes).unwrap();
                    let mut answer = Vec::new();
                    stream.read_to_end(&mut answer).unwrap();
                    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                    let head = String::from_utf8_lossy(&answer[..split]).to_string();
                    let mut lines = head.lines();
                    let status = lines
                        .next()
                        .unwrap()
                        .split(' ')
                        .nth(1)
                        .unwrap()
                        .parse()
                        .unwrap();
                    let headers = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string()))
                        .collect();
                    (status, headers, answer[split + 4..].to_vec())
                })
                .join()
                .unwrap()
        })
    }

    /// Monolithic blob upload: POST a session, PUT the bytes with their digest.
    pub(crate) fn put_blob(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = format!("sha256:{}", sha256_hex(bytes));
        let (status, headers, _) = self.request(
            "POST",
            &format!("/v2/{repository}/blobs/uploads/"),
            &[],
            b"",
        );
        assert_eq!(status, 202);
        let location = &headers.iter().find(|(n, _)| n == "location").unwrap().1;
        let target = location
            .strip_prefix(&format!("http://{ADDRESS}"))
            .unwrap_or(location);
        let separator = if target.contains('?') { '&' } else { '?' };
        let (status, _, body) = self.request(
            "PUT",
            &format!("{target}{separator}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        digest
    }

    /// Pushes a one-layer busybox image (the layer gzipped) as schema2 and
    /// returns the manifest's digest.
    fn push_busybox(&self, repository: &str, tag: &str, rootfs: &Path) -> String {
        let image = Image::busybox(rootfs, "amd64", Encoding::DockerGzip);
        self.push_image(repository, tag, &image).0
    }

    /// Pushes `image`'s blobs and its manifest under `reference` (a tag or
    /// a digest); returns the manifest's digest and size.
    fn push_image(&self, repository: &str, reference: &str, image: &Image) -> (String, usize) {
        let layer_digest = self.put_blob(repository, &image.layer_blob);
        let config_digest = self.put_blob(repository, image.config.as_bytes());
        let (manifest_type, config_type, layer_type) = match image.encoding {
            Encoding::DockerGzip => (
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            ),
            Encoding::OciUncompressed => (
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            ),
        };
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {"mediaType": config_type, "size": image.config.len(), "digest": config_digest},
            "layers": [{"mediaType": layer_type, "size": image.layer_blob.len(), "digest": layer_digest}],
        })
        .to_string();
        self.put_manifest(repository, reference, manifest_type, &manifest)
    }

    pub(crate) fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        manifest: &str,
    ) -> (String, usize) {
        let (status, _, body) = self.request(
            "PUT",
            &format!("/v2/{repository}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            manifest.as_bytes(),
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        (
            format!("sha256:{}", sha256_hex(manifest.as_bytes())),
            manifest.len(),
        )
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    /// Docker schema2 with a gzipped layer.
    DockerGzip,
    /// An OCI manifest with an uncompressed layer.
    OciUncompressed,
}

/// A one-layer image ready to push: its config and its layer blob.
struct Image {
    config: String,
    layer_blob: Vec<u8>,
    encoding: Encoding,
}

impl Image {
    fn busybox(rootfs: &Path, architecture: &str, encoding: Encoding) -> Image {
        let mut layer = Vec::new();
        write_rootfs_tar(rootfs, &mut layer).unwrap();
        Image::of_layer(layer, architecture, encoding)
    }

    /// An image of one file, `/note`, that says `text`.
    fn note(text: &str, encoding: Encoding) -> Image {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, "note", text.as_bytes())
            .unwrap();
        Image::of_layer(tar.into_inner().unwrap(), "amd64", encoding)
    }

    fn of_layer(layer: Vec<u8>, architecture: &str, encoding: Encoding) -> Image {
        let diff_id = format!("sha256:{}", sha256_hex(&layer));
        let layer_blob = match encoding {
            Encoding::DockerGzip => {
                let mut gzip =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gzip.write_all(&layer).unwrap();
                gzip.finish().unwrap()
            }
            Encoding::OciUncompressed => layer,
        };
        let config = serde_json::json!({
            "architecture": architecture, "os": "linux", "created": "2024-01-01T00:00:00Z",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        })
        .to_string();
        Image {
            config,
            layer_blob,
            encoding,
        }
    }

    fn id(&self) -> String {
        format!("sha256:{}", sha256_hex(self.config.as_bytes()))
    }
}

/// A daemon, a registry in its namespace and a busybox root filesystem,
/// or the reason the test cannot run.
fn setup(label: &str) -> Result<(TestDaemon, TempDir, Registry, BusyboxRootfs), String> {
    need_root()?;
    need_docker_cli()?;
    let mut daemon = TestDaemon::start(label);
    let dir = TempDir::new(label);
    let registry = Registry::start(&mut daemon, &dir)?;
    let rootfs = BusyboxRootfs::build(&dir.join("rootfs"))?;
    Ok((daemon, dir, registry, rootfs))
}

#[test]
fn cli_pulls_from_a_local_registry_and_runs_the_image() {
    let (daemon, _dir, registry, rootfs) = match setup("registry-pull") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "cli_pulls_from_a_local_registry_and_runs_the_image",
                &reason,
            );
        }
    };
    let digest = registry.push_busybox("busybox", "latest", &rootfs.path);

    let pull = daemon.docker(&["pull", &format!("{ADDRESS}/busybox")]);
    let out = stdout_of(&pull);
    assert!(
        pull.status.success(),
        "{out}{}\n{}",
        stderr_of(&pull),
        daemon.log()
    );
    assert!(out.contains("latest: Pulling from busybox"), "{out}");
    assert!(out.contains("Pull complete"), "{out}");
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    assert!(
        out.contains(&format!(
            "Status: Downloaded newer image for {ADDRESS}/busybox:latest"
        )),
        "{out}"
    );

    let inspect = daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}} {{json .RepoTags}}",
        &format!("{ADDRESS}/busybox"),
    ]);
    assert_eq!(
        stdout_of(&inspect).trim(),
        format!("[\"{ADDRESS}/busybox@{digest}\"] [\"{ADDRESS}/busybox:latest\"]")
    );
    let images = stdout_of(&daemon.docker(&[
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Tag}} {{.Digest}}",
    ]));
    assert_eq!(images.trim(), format!("{ADDRESS}/busybox latest {digest}"));

    let run = daemon.docker(&[
        "run",
        "--rm",
        &format!("{ADDRESS}/busybox"),
        "echo",
        "pulled",
    ]);
    assert_eq!(stdout_of(&run), "pulled\n", "{}", stderr_of(&run));

    // Again: nothing to download.
    let again = stdout_of(&daemon.docker(&["pull", &format!("{ADDRESS}/busybox:latest")]));
    assert!(again.contains("Already exists"), "{again}");
    assert!(
        again.contains(&format!(
            "Status: Image is up to date for {ADDRESS}/busybox:latest"
        )),
        "{again}"
    );

    // By digest, and a missing tag with the registry's words.
    let by_digest = daemon.docker(&["pull", &format!("{ADDRESS}/busybox@{digest}")]);
    assert!(by_digest.status.success(), "{}", stderr_of(&by_digest));
    let missing = daemon.docker(&["pull", &format!("{ADDRESS}/busybox:nope")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr_of(&missing).contains(&format!(
            "manifest for {ADDRESS}/busybox:nope not found: manifest unknown"
        )),
        "{}",
        stderr_of(&missing)
    );
}

#[test]
fn an_oci_index_gives_the_daemons_platform_or_the_one_asked_for() {
    let (daemon, _dir, registry, rootfs) = match setup("registry-index") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "an_oci_index_gives_the_daemons_platform_or_the_one_asked_for",
                &reason,
            );
        }
    };
    let amd64 = Image::busybox(&rootfs.path, "amd64", Encoding::DockerGzip);
    let arm64 = Image::busybox(&rootfs.path, "arm64", Encoding::OciUncompressed);
    let mut entries = Vec::new();
    for (image, architecture, media_type) in [
        (
            &arm64,
            "arm64",
            "application/vnd.oci.image.manifest.v1+json",
        ),
        (
            &amd64,
            "amd64",
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    ] {
        let (digest, size) = registry.push_image("multi", &format!("only-{architecture}"), image);
        entries.push(
            serde_json::json!({"mediaType": media_type, "digest": digest, "size": size,
            "platform": {"os": "linux", "architecture": architecture}}),
        );
    }
    let index = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries,
    })
    .to_string();
    let (index_digest, _) = registry.put_manifest(
        "multi",
        "1",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let name = format!("{ADDRESS}/multi:1");

    let pull = daemon.docker(&["pull", &name]);
    assert!(pull.status.success(), "{}", stderr_of(&pull));
    assert!(
        stdout_of(&pull).contains(&format!("Digest: {index_digest}")),
        "{}",
        stdout_of(&pull)
    );
    let id = |daemon: &TestDaemon| {
        stdout_of(&daemon.docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}} {{.Architecture}} {{json .RepoDigests}}",
            &name,
        ]))
    };
    assert_eq!(
        id(&daemon).trim(),
        format!("{} amd64 [\"{ADDRESS}/multi@{index_digest}\"]", amd64.id())
    );

    // The arm64 entry has an uncompressed OCI layer.
    let pull = daemon.docker(&["pull", "--platform", "linux/arm64", &name]);
    assert!(pull.status.success(), "{}", stderr_of(&pull));
    assert_eq!(
        id(&daemon).trim(),
        format!("{} arm64 [\"{ADDRESS}/multi@{index_digest}\"]", arm64.id())
    );

    let none = daemon.docker(&["pull", "--platform", "linux/s390x", &name]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        stderr_of(&none)
            .contains("no matching manifest for linux/s390x in the manifest list entries"),
        "{}",
        stderr_of(&none)
    );
}

#[test]
fn a_corrupt_blob_fails_the_pull_and_leaves_no_image() {
    let (daemon, dir, registry, rootfs) = match setup("registry-corrupt") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "a_corrupt_blob_fails_the_pull_and_leaves_no_image",
                &reason,
            );
        }
    };
    let image = Image::busybox(&rootfs.path, "amd64", Encoding::DockerGzip);
    registry.push_image("broken", "latest", &image);
    // The filesystem driver serves what is on disk without checking it.
    let hex = sha256_hex(&image.layer_blob);
    let data = dir.join(&format!(
        "registry-data/docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();

    let pull = daemon.docker(&["pull", &format!("{ADDRESS}/broken")]);
    assert_eq!(pull.status.code(), Some(1), "{}", stdout_of(&pull));
    assert!(
        stderr_of(&pull).contains(&format!(
            "filesystem layer verification failed for digest sha256:{hex}"
        )),
        "{}",
        stderr_of(&pull)
    );
    let images = stdout_of(&daemon.docker(&["images", "-q"]));
    assert_eq!(images, "");
    assert_eq!(
        stdout_of(&daemon.docker(&["version", "--format", "{{.Server.Os}}"])),
        "linux\n"
    );
}

/// The `aux` of a push's last message, read from the raw stream.
fn pushed_aux(daemon: &TestDaemon, name: &str, tag: &str) -> (String, serde_json::Value) {
    let mut connection = daemon.connect();
    connection.send(
        format!(
            "POST /v1.50/images/{name}/push?tag={tag} HTTP/1.1\r\nHost: docker\r\nX-Registry-Auth: e30=\r\nContent-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    );
    let response = connection.read_response("POST");
    assert_eq!(response.status, 200);
    let text = response.body_text();
    let aux = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|message| message.get("aux").cloned())
        .unwrap_or_else(|| panic!("no aux in {text}"));
    (text, aux)
}

#[test]
fn a_loaded_image_is_pushed_pulled_back_and_run_and_a_pulled_one_keeps_its_digest() {
    let (daemon, dir, registry, rootfs) = match setup("registry-push") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "a_loaded_image_is_pushed_pulled_back_and_run_and_a_pulled_one_keeps_its_digest",
                &reason,
            );
        }
    };
    let archive = dir.join("busybox.tar");
    let id = write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    let loaded = daemon.docker(&["load", "-i", archive.to_str().unwrap()]);
    assert!(loaded.status.success(), "{}", stderr_of(&loaded));
    let name = format!("{ADDRESS}/pushed");
    assert!(
        daemon
            .docker(&["tag", "busybox", &format!("{name}:v1")])
            .status
            .success()
    );

    let push = daemon.docker(&["push", &format!("{name}:v1")]);
    let out = stdout_of(&push);
    assert!(
        push.status.success(),
        "{out}{}\n{}",
        stderr_of(&push),
        daemon.log()
    );
    assert!(
        out.contains(&format!("The push refers to repository [{name}]")),
        "{out}"
    );
    assert!(out.contains("Pushed"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("v1: digest: sha256:"))
        .unwrap_or_else(|| panic!("{out}"));
    let digest = line.split(' ').nth(2).unwrap().to_string();
    // The registry serves the manifest under that digest, and it is ours.
    let (status, _, manifest) = registry.request(
        "GET",
        &format!("/v2/pushed/manifests/{digest}"),
        &[(
            "Accept",
            "application/vnd.docker.distribution.manifest.v2+json",
        )],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(format!("sha256:{}", sha256_hex(&manifest)), digest);

    // Again through the API: every layer exists, and aux has Tag, Digest, Size.
    let (text, aux) = pushed_aux(&daemon, &name, "v1");
    assert!(text.contains("Layer already exists"), "{text}");
    assert_eq!(aux["Tag"], "v1");
    assert_eq!(aux["Digest"], digest.as_str());
    assert_eq!(aux["Size"], manifest.len());

    // rmi, pull back, run: the same image, its digest recorded.
    assert!(
        daemon
            .docker(&["rmi", "busybox", &format!("{name}:v1")])
            .status
            .success()
    );
    assert_eq!(stdout_of(&daemon.docker(&["images", "-q"])), "");
    let pull = daemon.docker(&["pull", &format!("{name}:v1")]);
    assert!(pull.status.success(), "{}", stderr_of(&pull));
    let inspect = daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoDigests}}",
        &format!("{name}:v1"),
    ]);
    assert_eq!(
        stdout_of(&inspect).trim(),
        format!("{id} [\"{name}@{digest}\"]")
    );
    let run = daemon.docker(&["run", "--rm", &format!("{name}:v1"), "echo", "round trip"]);
    assert_eq!(stdout_of(&run), "round trip\n", "{}", stderr_of(&run));

    // A pulled image goes back byte for byte: an image with an uncompressed
    // OCI layer and an OCI manifest keeps its digest under another name.
    let image = Image::note("kept as pulled", Encoding::OciUncompressed);
    let (oci_digest, _) = registry.push_image("oci", "1", &image);
    assert!(
        daemon
            .docker(&["pull", &format!("{ADDRESS}/oci:1")])
            .status
            .success()
    );
    assert!(
        daemon
            .docker(&[
                "tag",
                &format!("{ADDRESS}/oci:1"),
                &format!("{ADDRESS}/copy:1")
            ])
            .status
            .success()
    );
    let (_, aux) = pushed_aux(&daemon, &format!("{ADDRESS}/copy"), "1");
    assert_eq!(aux["Digest"], oci_digest.as_str());

    // Nothing under that tag: moby's 404.
    let missing = daemon.docker(&["push", &format!("{name}:nope")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr_of(&missing).contains(&format!(
            "An image does not exist locally with the tag: {name}:nope"
        )),
        "{}",
        stderr_of(&missing)
    );
}

/// Our `docker` applet against the daemon.
fn ours(daemon: &TestDaemon, dir: &TempDir, args: &[&str]) -> std::process::Output {
    let docker = dir.join("docker");
    if !docker.exists() {
        std::os::unix::fs::symlink(crate::harness::dockbox(), &docker).unwrap();
    }
    crate::harness::run(
        Command::new(&docker)
            .args(args)
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", dir.join("ours-config"))
            .env_remove("DOCKER_API_VERSION"),
    )
}

#[test]
fn our_client_pushes_pulls_and_runs_a_missing_image_as_the_go_cli_prints() {
    let (daemon, dir, registry, rootfs) = match setup("registry-client") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "our_client_pushes_pulls_and_runs_a_missing_image_as_the_go_cli_prints",
                &reason,
            );
        }
    };
    let digest = registry.push_busybox("busybox", "latest", &rootfs.path);
    let name = format!("{ADDRESS}/busybox");

    let pull = ours(&daemon, &dir, &["pull", &name]);
    let out = stdout_of(&pull);
    assert!(pull.status.success(), "{out}{}", stderr_of(&pull));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Using default tag: latest", "{out}");
    assert_eq!(lines[1], "latest: Pulling from busybox", "{out}");
    assert!(out.contains("Pull complete"), "{out}");
    assert!(
        out.ends_with(&format!(
            "Digest: {digest}\nStatus: Downloaded newer image for {name}:latest\n{name}:latest\n"
        )),
        "{out}"
    );
    let quiet = ours(&daemon, &dir, &["pull", "-q", &name]);
    assert_eq!(
        stdout_of(&quiet),
        format!("{name}:latest\n"),
        "{}",
        stderr_of(&quiet)
    );

    assert!(
        ours(
            &daemon,
            &dir,
            &["tag", &name, &format!("{ADDRESS}/again:2")]
        )
        .status
        .success()
    );
    let push = ours(&daemon, &dir, &["push", &format!("{ADDRESS}/again:2")]);
    let out = stdout_of(&push);
    assert!(push.status.success(), "{out}{}", stderr_of(&push));
    assert!(
        out.starts_with(&format!(
            "The push refers to repository [{ADDRESS}/again]\n"
        )),
        "{out}"
    );
    assert!(
        out.ends_with(&format!(
            "2: digest: {digest} size: {}\n",
            registry_manifest_size(&registry, &digest)
        )),
        "{out}"
    );

    // run pulls what is missing, with the CLI's words on stderr.
    assert!(
        ours(
            &daemon,
            &dir,
            &["rmi", &name, &format!("{ADDRESS}/again:2")]
        )
        .status
        .success()
    );
    let run = ours(
        &daemon,
        &dir,
        &[
            "run",
            "--rm",
            &format!("{ADDRESS}/again:2"),
            "echo",
            "fetched",
        ],
    );
    assert_eq!(stdout_of(&run), "fetched\n", "{}", stderr_of(&run));
    assert!(
        stderr_of(&run).starts_with(&format!(
            "Unable to find image '{ADDRESS}/again:2' locally\n"
        )),
        "{}",
        stderr_of(&run)
    );
    let missing = ours(&daemon, &dir, &["pull", &format!("{name}:nope")]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr_of(&missing).contains("manifest unknown"),
        "{}",
        stderr_of(&missing)
    );
}

fn registry_manifest_size(registry: &Registry, digest: &str) -> usize {
    let (status, _, body) = registry.request(
        "GET",
        &format!("/v2/busybox/manifests/{digest}"),
        &[(
            "Accept",
            "application/vnd.docker.distribution.manifest.v2+json",
        )],
        b"",
    );
    assert_eq!(status, 200);
    body.len()
}

/// What one engine shows for: load busybox, tag, push, rmi, pull, run.
/// Digests of the pushed manifest are replaced by `<pushed>`.
fn round_trip(docker: &dyn Fn(&[&str]) -> std::process::Output, archive: &Path) -> Vec<String> {
    let ok = |args: &[&str]| {
        let output = docker(args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        stdout_of(&output)
    };
    ok(&["load", "-i", archive.to_str().unwrap()]);
    let name = format!("{ADDRESS}/bb:1");
    ok(&["tag", "busybox:latest", &name]);
    let push = ok(&["push", &name]);
    let line = push
        .lines()
        .find(|l| l.starts_with("1: digest: "))
        .unwrap_or_else(|| panic!("{push}"));
    let pushed = line.split(' ').nth(2).unwrap().to_string();
    ok(&["rmi", "busybox:latest", &name]);
    let pull = ok(&["pull", &name]);
    let inspect = ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoTags}} {{json .RepoDigests}}",
        &name,
    ]);
    let images = ok(&[
        "images",
        "--digests",
        "--format",
        "{{.Repository}} {{.Tag}} {{.Digest}}",
    ]);
    let run = ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        &name,
        "echo",
        "round trip",
    ]);
    // Layer lines name the layer by a short ID: compared by status only;
    // the manifest's size depends on the compressed layer's. moby's
    // transfer watchers see only the latest status of a layer when they
    // fall behind, so whether "Verifying Checksum" shows varies from run
    // to run there: left out of the comparison.
    let summary = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.ends_with(": Verifying Checksum"))
            .map(|l| match l.split_once(": ") {
                Some((id, status))
                    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    format!("<layer>: {status}")
                }
                _ => l.split(" size:").next().unwrap_or(l).to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let pull_summary = summary(&pull);
    let push_summary = summary(&push);
    [
        push_summary,
        pull_summary,
        inspect,
        images,
        run,
        line.replace(&pushed, "<pushed>")
            .split(" size:")
            .next()
            .unwrap()
            .to_string(),
    ]
    .into_iter()
    .map(|text| text.replace(&pushed, "<pushed>"))
    .collect()
}

#[test]
fn push_rmi_pull_and_run_show_what_dockerd_20_10_shows() {
    let (mut daemon, dir, _registry, rootfs) = match setup("registry-control") {
        Ok(set) => set,
        Err(reason) => {
            return crate::harness::report_skip(
                "push_rmi_pull_and_run_show_what_dockerd_20_10_shows",
                &reason,
            );
        }
    };
    let real = match crate::daemon_images_dockerd::RealDockerd::start() {
        Ok(real) => real,
        Err(reason) => {
            return crate::harness::report_skip(
                "push_rmi_pull_and_run_show_what_dockerd_20_10_shows",
                &reason,
            );
        }
    };
    let real_dir = TempDir::new("registry-control-real");
    let _real_registry = Registry::start_in(real.pid(), &real_dir, "").unwrap();
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    let _ = daemon.child();
    let ours = round_trip(&|args| daemon.docker(args), &archive);
    let theirs = round_trip(&|args| real.docker(args), &archive);
    assert_eq!(ours, theirs);
}

/// An htpasswd line for `user` (bcrypt, from Python's crypt module).
pub(crate) fn htpasswd_line(user: &str, password: &str) -> Result<String, String> {
    let output = crate::harness::run(Command::new("python3").args([
        "-W",
        "ignore",
        "-c",
        "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))",
        password,
    ]));
    let hash = stdout_of(&output).trim().to_string();
    if !output.status.success() || !hash.starts_with("$2") {
        return Err(format!(
            "no bcrypt from python3's crypt: {}",
            stderr_of(&output)
        ));
    }
    Ok(format!("{user}:{hash}\n"))
}

#[test]
fn basic_auth_from_the_cli_config_lets_pushes_and_pulls_in_and_none_fails() {
    let skip = crate::harness::skipper(
        "basic_auth_from_the_cli_config_lets_pushes_and_pulls_in_and_none_fails",
    );
    if let Err(reason) = need_root().and_then(|()| need_docker_cli()) {
        return skip(&reason);
    }
    let mut daemon = TestDaemon::start("registry-basic");
    let dir = TempDir::new("registry-basic");
    let line = match htpasswd_line("tester", "s3cret") {
        Ok(line) => line,
        Err(reason) => return skip(&reason),
    };
    std::fs::write(dir.join("htpasswd"), line).unwrap();
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: dockbox-test\n    path: {}\n",
        dir.join("htpasswd").display()
    );
    let _registry = match Registry::start_in(daemon.child().id(), &dir, &auth) {
        Ok(registry) => registry,
        Err(reason) => return skip(&reason),
    };
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return skip(&reason),
    };
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    assert!(
        daemon
            .docker(&["load", "-i", archive.to_str().unwrap()])
            .status
            .success()
    );
    let name = format!("{ADDRESS}/private:1");
    assert!(daemon.docker(&["tag", "busybox", &name]).status.success());

    let anonymous = daemon.docker(&["push", &name]);
    assert_eq!(anonymous.status.code(), Some(1));
    assert!(
        stderr_of(&anonymous).contains("no basic auth credentials"),
        "{}",
        stderr_of(&anonymous)
    );

    // The CLI sends what its config holds for the registry.
    let config = daemon.dir.join("cli-config").join("config.json");
    let write_auth = |pair: &str| {
        let auth = base64_of(pair.as_bytes());
        std::fs::write(
            &config,
            format!("{{\"auths\":{{\"{ADDRESS}\":{{\"auth\":\"{auth}\"}}}}}}"),
        )
        .unwrap();
    };
    write_auth("tester:wrong");
    let wrong = daemon.docker(&["push", &name]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr_of(&wrong).contains("unauthorized"),
        "{}",
        stderr_of(&wrong)
    );

    write_auth("tester:s3cret");
    let push = daemon.docker(&["push", &name]);
    assert!(push.status.success(), "{}", stderr_of(&push));
    assert!(daemon.docker(&["rmi", "busybox", &name]).status.success());
    let pull = daemon.docker(&["pull", &name]);
    assert!(pull.status.success(), "{}", stderr_of(&pull));
    let run = daemon.docker(&["run", "--rm", &name, "echo", "authorised"]);
    assert_eq!(stdout_of(&run), "authorised\n", "{}", stderr_of(&run));

    std::fs::remove_file(&config).unwrap();
    assert!(daemon.docker(&["rmi", &name]).status.success());
    let anonymous = daemon.docker(&["pull", &name]);
    assert_eq!(anonymous.status.code(), Some(1));
    assert!(
        stderr_of(&anonymous).contains("no basic auth credentials"),
        "{}",
        stderr_of(&anonymous)
    );
}

/// Standard base64, as config.json's `auth` holds `user:password`.
fn base64_of(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}
