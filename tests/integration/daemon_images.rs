//! The image endpoints through the real Docker CLI and docker-py: load,
//! images, inspect, tag, rmi, save, import, history, prune, and the pull
//! that `docker run` of a missing image asks for.

use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive, write_rootfs_tar};
use crate::harness::{self, need_root, stderr_of, stdout_of};
use crate::require;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A busybox docker-archive tagged `busybox:latest` in the daemon's dir,
/// and its image ID.
fn busybox_archive(daemon: &TestDaemon) -> Result<(PathBuf, String), String> {
    let rootfs = daemon.dir.join("rootfs");
    if !rootfs.exists() {
        BusyboxRootfs::build(&rootfs)?;
    }
    let archive = daemon.dir.join("busybox.tar");
    let id = write_docker_archive(&rootfs, "busybox:latest", &archive)
        .map_err(|e| format!("write docker archive: {e}"))?;
    Ok((archive, id))
}

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

fn failed(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "unexpected success: {}",
        stdout_of(output)
    );
    stderr_of(output)
}

fn load(daemon: &TestDaemon, archive: &Path) -> String {
    ok(&daemon.docker(&["load", "-i", archive.to_str().unwrap()]))
}

/// go-units' HumanSizeWithPrecision(size, 3), which `docker images` uses:
/// decimal units, three significant digits.
fn human_size(size: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = size as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{text}{}", units[unit])
}

/// The rows of `docker images`, split on runs of two or more spaces.
fn image_rows(daemon: &TestDaemon) -> Vec<Vec<String>> {
    let text = ok(&daemon.docker(&["images"]));
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert_eq!(
        split_columns(header),
        ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
        "{text}"
    );
    lines.map(split_columns).collect()
}

fn split_columns(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn cli_load_images_inspect_tag_and_rmi() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-cli");
    let (archive, id) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => return harness::report_skip("cli_load_images_inspect_tag_and_rmi", &reason),
    };
    let loaded = load(&daemon, &archive);
    assert_eq!(loaded, "Loaded image: busybox:latest\n");

    let short = &id["sha256:".len().."sha256:".len() + 12];
    let size: u64 = ok(&daemon.docker(&["image", "inspect", "--format", "{{.Size}}", "busybox"]))
        .trim()
        .parse()
        .unwrap();
    assert!(size > 100_000, "{size}");
    let rows = image_rows(&daemon);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][..3], ["busybox", "latest", short], "{rows:?}");
    assert!(rows[0][3].ends_with(" ago"), "{rows:?}");
    assert_eq!(rows[0][4], human_size(size), "{rows:?}");

    let inspect = daemon.docker(&["image", "inspect", "--format", "{{.Id}} {{.Os}}", "busybox"]);
    assert_eq!(ok(&inspect), format!("{id} linux\n"));
    // moby 28's shape at API 1.50: image config fields only, with the few
    // that 1.50 always sent.
    let json: serde_json::Value =
        serde_json::from_str(&ok(&daemon.docker(&["image", "inspect", "busybox"]))).unwrap();
    let json = &json[0];
    assert_eq!(
        json["Config"],
        serde_json::json!({
            "Cmd": ["sh"],
            "Entrypoint": null,
            "Env": [harness::busybox::DEFAULT_PATH_ENV],
            "Labels": null,
            "OnBuild": null,
            "User": "",
            "Volumes": null,
            "WorkingDir": ""
        })
    );
    assert_eq!(json["Created"], "2026-01-01T00:00:00Z");
    assert_eq!(json["Metadata"]["LastTagTime"], "0001-01-01T00:00:00Z");
    assert_eq!(json["RootFS"]["Type"], "layers");
    assert_eq!(json["RepoDigests"], serde_json::json!([]));
    assert!(json.get("VirtualSize").is_none() && json.get("ContainerConfig").is_none());
    assert!(json["GraphDriver"]["Data"].is_object(), "{json}");
    let by_prefix = daemon.docker(&["image", "inspect", "--format", "{{.RepoTags}}", short]);
    assert_eq!(ok(&by_prefix), "[busybox:latest]\n");
    let info = daemon.docker(&["info", "--format", "{{.Images}} {{.Driver}}"]);
    let info = ok(&info);
    assert!(info == "1 overlay2\n" || info == "1 vfs\n", "{info}");
    let df = daemon.docker(&["system", "df", "--format", "{{.Type}} {{.TotalCount}}"]);
    assert!(ok(&df).contains("Images 1\n"), "{}", stdout_of(&df));

    ok(&daemon.docker(&["tag", "busybox", "mine:v1"]));
    let mut names: Vec<String> = image_rows(&daemon)
        .into_iter()
        .map(|row| format!("{}:{} {}", row[0], row[1], row[2]))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("busybox:latest {short}"),
            format!("mine:v1 {short}")
        ]
    );
    let last_tag = ok(&daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Metadata.LastTagTime}}",
        "busybox",
    ]));
    assert!(!last_tag.starts_with("0001-01-01"), "{last_tag}");

    // By ID with two repositories: a conflict unless forced.
    let conflict = failed(&daemon.docker(&["rmi", short]));
    assert!(
        conflict.contains(&format!(
            "conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories"
        )),
        "{conflict}"
    );
    // By tag while another tag remains: only an untag.
    assert_eq!(
        ok(&daemon.docker(&["rmi", "busybox"])),
        "Untagged: busybox:latest\n"
    );
    // The last tag: untag and delete, layers included.
    let removed = ok(&daemon.docker(&["rmi", "mine:v1"]));
    let mut lines = removed.lines();
    assert_eq!(lines.next(), Some("Untagged: mine:v1"), "{removed}");
    assert_eq!(
        lines.next(),
        Some(format!("Deleted: {id}").as_str()),
        "{removed}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|l| l.starts_with("Deleted: sha256:")),
        "{removed}"
    );
    assert!(image_rows(&daemon).is_empty());
    assert_eq!(
        ok(&daemon.docker(&["info", "--format", "{{.Images}}"])),
        "0\n"
    );
    let missing = failed(&daemon.docker(&["rmi", "nosuch"]));
    assert!(
        missing.contains("No such image: nosuch:latest"),
        "{missing}"
    );

    // Forced removal by ID of an image with two tags.
    load(&daemon, &archive);
    ok(&daemon.docker(&["tag", "busybox", "other:tag"]));
    let forced = ok(&daemon.docker(&["rmi", "-f", short]));
    assert!(forced.contains("Untagged: busybox:latest\n"), "{forced}");
    assert!(forced.contains("Untagged: other:tag\n"), "{forced}");
    assert!(forced.contains(&format!("Deleted: {id}\n")), "{forced}");
    // The store is empty again: the layer files went too.
    let data = daemon.dir.join("data/image/layers");
    assert_eq!(std::fs::read_dir(&data).unwrap().count(), 0);
}

#[test]
fn cli_save_loads_into_a_fresh_daemon_with_the_same_id() {
    require!(need_root());
    require!(need_docker_cli());
    let first = TestDaemon::start("images-save");
    let (archive, id) = match busybox_archive(&first) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip(
                "cli_save_loads_into_a_fresh_daemon_with_the_same_id",
                &reason,
            );
        }
    };
    load(&first, &archive);
    ok(&first.docker(&["tag", "busybox", "saved:v2"]));
    let saved = first.dir.join("saved.tar");
    ok(&first.docker(&["save", "-o", saved.to_str().unwrap(), "busybox", "saved:v2"]));

    // Gzipped, as `docker save | gzip` writes it.
    let gzipped = first.dir.join("saved.tar.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gzipped).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::copy(&mut std::fs::File::open(&saved).unwrap(), &mut encoder).unwrap();
    encoder.finish().unwrap();
    let second = TestDaemon::start("images-save-2");
    let loaded = load(&second, &gzipped);
    assert!(
        loaded.contains("Loaded image: busybox:latest\n"),
        "{loaded}"
    );
    assert!(loaded.contains("Loaded image: saved:v2\n"), "{loaded}");
    for name in ["busybox", "saved:v2"] {
        let inspect = second.docker(&["image", "inspect", "--format", "{{.Id}}", name]);
        assert_eq!(ok(&inspect), format!("{id}\n"));
    }
    // An unknown name fails before any tar is sent.
    let nowhere = first.dir.join("nowhere.tar");
    let missing = failed(&first.docker(&["save", "-o", nowhere.to_str().unwrap(), "nosuch:tag"]));
    assert!(missing.contains("No such image: nosuch:tag"), "{missing}");
}

#[test]
fn cli_import_with_changes_and_history() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-import");
    let rootfs = daemon.dir.join("rootfs");
    if let Err(reason) = BusyboxRootfs::build(&rootfs) {
        return harness::report_skip("cli_import_with_changes_and_history", &reason);
    }
    let tar = daemon.dir.join("rootfs.tar");
    write_rootfs_tar(&rootfs, std::fs::File::create(&tar).unwrap()).unwrap();
    let imported = ok(&daemon.docker(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV A=1",
        "-m",
        "msg",
        tar.to_str().unwrap(),
        "imported:v1",
    ]));
    let id = imported.trim();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{imported}");
    let inspect = daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}} {{.Architecture}}",
        "imported:v1",
    ]);
    assert_eq!(ok(&inspect), format!("{id} [\"sh\"] [\"A=1\"] msg amd64\n"));
    let history = ok(&daemon.docker(&["history", "imported:v1"]));
    let mut lines = history.lines();
    assert_eq!(
        split_columns(lines.next().unwrap()),
        ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
        "{history}"
    );
    let row = split_columns(lines.next().expect("one history row"));
    assert_eq!(row[0], &id[7..19], "{history}");
    assert_eq!(row.last().map(String::as_str), Some("msg"), "{history}");
    assert!(lines.next().is_none(), "{history}");
    let tagged = daemon.docker(&[
        "history",
        "--format",
        "{{.ID}} {{.Comment}}",
        "--no-trunc",
        id,
    ]);
    assert_eq!(ok(&tagged), format!("{id} msg\n"));

    // A bad change is the client's fault.
    let bad = failed(&daemon.docker(&["import", "-c", "FROM x", tar.to_str().unwrap()]));
    assert!(bad.contains("Error response from daemon"), "{bad}");
}

#[test]
fn cli_prune_removes_the_image_a_load_renamed_away() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-prune");
    let (archive, id) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip(
                "cli_prune_removes_the_image_a_load_renamed_away",
                &reason,
            );
        }
    };
    // An import takes busybox:latest first; the load then moves the tag.
    let tar = daemon.dir.join("rootfs.tar");
    write_rootfs_tar(
        &daemon.dir.join("rootfs"),
        std::fs::File::create(&tar).unwrap(),
    )
    .unwrap();
    let imported = ok(&daemon.docker(&["import", tar.to_str().unwrap(), "busybox:latest"]));
    let imported = imported.trim().to_string();
    let loaded = load(&daemon, &archive);
    assert_eq!(
        loaded,
        format!(
            "The image busybox:latest already exists, renaming the old one with ID {imported} to empty string\nLoaded image: busybox:latest\n"
        )
    );
    let rows = image_rows(&daemon);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r[0] == "<none>" && r[1] == "<none>" && r[2] == imported[7..19]),
        "{rows:?}"
    );
    let dangling = ok(&daemon.docker(&["images", "-q", "--no-trunc", "-f", "dangling=true"]));
    assert_eq!(dangling, format!("{imported}\n"));
    let by_reference = ok(&daemon.docker(&["images", "-q", "--no-trunc", "-f", "reference=busy*"]));
    assert_eq!(by_reference, format!("{id}\n"));

    let pruned = ok(&daemon.docker(&["image", "prune", "-f"]));
    assert!(
        pruned.contains(&format!("deleted: {imported}\n")),
        "{pruned}"
    );
    assert!(pruned.contains("Total reclaimed space: "), "{pruned}");
    let rows = image_rows(&daemon);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0], "busybox");
    // Nothing dangling is left; the tagged image stays.
    let again = ok(&daemon.docker(&["image", "prune", "-f"]));
    assert_eq!(again, "Total reclaimed space: 0B\n");
}

#[test]
fn cli_run_of_a_missing_hub_image_tries_the_hub_over_https() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-pull");
    let output = daemon.docker(&["run", "--rm", "nosuchimage"]);
    let stderr = failed(&output);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(
        stderr.contains("Unable to find image 'nosuchimage:latest' locally"),
        "{stderr}"
    );
    // The daemon's namespace has no network: the Hub's name does not resolve.
    let hub = "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io";
    assert!(stderr.contains(hub), "{stderr}");
    let pull = failed(&daemon.docker(&["pull", "busybox"]));
    assert!(pull.contains(hub), "{pull}");
}

#[test]
fn bad_image_input_gets_mobys_errors_and_the_daemon_stays_up() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-bad");
    // A corrupt archive: moby answers 200 and ends the stream with the error.
    let garbage = vec![0x5au8; 4096];
    let mut connection = daemon.connect();
    let mut request = format!(
        "POST /v1.50/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
        garbage.len()
    )
    .into_bytes();
    request.extend_from_slice(&garbage);
    connection.send(&request);
    let response = connection.read_response("POST");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("Content-Type").as_deref(),
        Some("application/json")
    );
    let message = response.json();
    let error = message["errorDetail"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(!error.is_empty(), "{message}");
    assert_eq!(message["error"], message["errorDetail"]["message"]);

    let file = daemon.dir.join("garbage.tar");
    std::fs::write(&file, &garbage).unwrap();
    let cli = failed(&daemon.docker(&["load", "-i", file.to_str().unwrap()]));
    assert!(cli.contains(error), "{cli}");

    // An invalid tag name: 400 with Docker's wording.
    let (archive, _) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip(
                "bad_image_input_gets_mobys_errors_and_the_daemon_stays_up",
                &reason,
            );
        }
    };
    load(&daemon, &archive);
    let mut connection = daemon.connect();
    connection.send(
        b"POST /v1.50/images/busybox/tag?repo=Bad&tag=x HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n",
    );
    let response = connection.read_response("POST");
    assert_eq!(response.status, 400, "{}", response.body_text());
    assert_eq!(
        response.json()["message"],
        "invalid reference format: repository name (library/Bad) must be lowercase"
    );
    let response = connection.get("/v1.50/images/nosuch/json");
    assert_eq!(response.status, 404);
    assert_eq!(response.json()["message"], "No such image: nosuch:latest");
    let response =
        connection.get("/v1.50/images/json?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D");
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json()["message"],
        "invalid filter 'dangling=[maybe]'"
    );
    for (path, status, wording) in [
        (
            "/v1.50/images/create?fromImage=busybox&tag=latest",
            500,
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io",
        ),
        (
            "/v1.50/images/create?fromImage=Bad",
            400,
            "invalid reference format: repository name (library/Bad) must be lowercase",
        ),
        (
            "/v1.50/images/create?fromSrc=https://example.com/x.tar",
            500,
            "Get \"https://example.com/x.tar\": dial tcp: lookup example.com",
        ),
        (
            "/v1.50/images/create?fromSrc=-&repo=Bad",
            400,
            "invalid reference format: repository name (library/Bad) must be lowercase",
        ),
    ] {
        connection.send(
            format!("POST {path} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        );
        let response = connection.read_response("POST");
        assert_eq!(response.status, status, "{path}: {}", response.body_text());
        let message = response.json()["message"].as_str().unwrap().to_string();
        assert!(message.starts_with(wording), "{path}: {message}");
    }
    assert_eq!(connection.get("/_ping").body_text(), "OK");
}

#[test]
fn docker_py_loads_lists_tags_removes_and_saves() {
    require!(need_root());
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = TestDaemon::start("images-py");
    let (archive, id) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip("docker_py_loads_lists_tags_removes_and_saves", &reason);
        }
    };
    let rootfs_tar = daemon.dir.join("rootfs.tar");
    write_rootfs_tar(
        &daemon.dir.join("rootfs"),
        std::fs::File::create(&rootfs_tar).unwrap(),
    )
    .unwrap();
    let script = format!(
        "import docker, io, json, tarfile\n\
         c = docker.DockerClient(base_url='{host}')\n\
         images = c.images.load(open('{archive}', 'rb').read())\n\
         print([i.id for i in images], images[0].tags)\n\
         print(images[0].tag('py/img', 'v1'))\n\
         print(sorted(t for i in c.images.list() for t in i.tags))\n\
         c.images.remove('py/img:v1')\n\
         print(sorted(t for i in c.images.list() for t in i.tags))\n\
         chunks = list(c.images.get('busybox').save())\n\
         data = b''.join(chunks)\n\
         manifest = json.load(tarfile.open(fileobj=io.BytesIO(data)).extractfile('manifest.json'))\n\
         print(len(chunks) > 1, manifest[0]['Config'].split('/')[-1].split('.')[0])\n\
         out = c.api.import_image_from_data(open('{rootfs_tar}', 'rb').read(), repository='pyimp', tag='v1', changes=['CMD [\"sh\"]'])\n\
         print(json.loads(out)['status'] == c.images.get('pyimp:v1').id, c.images.get('pyimp:v1').attrs['Config']['Cmd'])\n\
         r = c.images.prune(filters={{'dangling': False}})\n\
         print(sorted(d['Untagged'] for d in r['ImagesDeleted'] if 'Untagged' in d), r['SpaceReclaimed'] > 0, c.images.list())\n",
        host = daemon.host(),
        archive = archive.display(),
        rootfs_tar = rootfs_tar.display(),
    );
    let output = harness::run(Command::new("python3").args(["-c", &script]));
    assert!(output.status.success(), "{}", stderr_of(&output));
    let hex = &id["sha256:".len()..];
    assert_eq!(
        stdout_of(&output),
        format!(
            "['{id}'] ['busybox:latest']\nTrue\n['busybox:latest', 'py/img:v1']\n['busybox:latest']\nTrue {hex}\nTrue ['sh']\n['busybox:latest', 'pyimp:v1'] True []\n"
        )
    );
}

#[test]
fn images_survive_kill_9_and_start_up_removes_files_no_record_names() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-restart");
    let (archive, id) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip(
                "images_survive_kill_9_and_start_up_removes_files_no_record_names",
                &reason,
            );
        }
    };
    load(&daemon, &archive);
    ok(&daemon.docker(&["tag", "busybox", "kept:v1"]));
    // What a crash between writing files and committing records leaves.
    let content = daemon.dir.join("data/image");
    let stray = "ab".repeat(32);
    std::fs::write(content.join("configs").join(&stray), b"{}").unwrap();
    std::fs::write(content.join(format!("layers/{stray}.tar")), [0u8; 1024]).unwrap();
    std::fs::write(content.join(format!("layers/{stray}.size")), b"0").unwrap();

    let daemon = TestDaemon::start_in(daemon);
    assert!(!content.join("configs").join(&stray).exists());
    assert!(!content.join(format!("layers/{stray}.tar")).exists());
    assert!(content.join("configs").join(&id[7..]).exists());
    let tags = ok(&daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{.RepoTags}}",
        "kept:v1",
    ]));
    assert_eq!(tags, format!("{id} [busybox:latest kept:v1]\n"));
    // The image still works as a whole: saved and loaded elsewhere.
    let saved = daemon.dir.join("after-restart.tar");
    ok(&daemon.docker(&["save", "-o", saved.to_str().unwrap(), "kept:v1"]));
    let other = TestDaemon::start("images-restart-2");
    assert_eq!(load(&other, &saved), "Loaded image: kept:v1\n");
}

#[test]
fn a_stalled_upload_does_not_hold_up_other_image_changes() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("images-stall");
    let (archive, _) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip(
                "a_stalled_upload_does_not_hold_up_other_image_changes",
                &reason,
            );
        }
    };
    load(&daemon, &archive);
    // A load whose body never finishes.
    let mut stalled = daemon.connect();
    stalled.send(
        b"POST /v1.50/images/load HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 1000000\r\n\r\npartial",
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    ok(&daemon.docker(&["tag", "busybox", "while:stalled"]));
    ok(&daemon.docker(&["rmi", "while:stalled"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // The half upload is thrown away once the client goes.
    drop(stalled);
    let tmp = daemon.dir.join("data/image/tmp");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::read_dir(&tmp).unwrap().count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "upload left in {}",
            tmp.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn storage_driver_vfs_is_used_when_configured() {
    require!(need_root());
    require!(need_docker_cli());
    let first = TestDaemon::start("images-vfs");
    std::fs::write(
        first.dir.join("daemon.json"),
        "{\"storage-driver\": \"vfs\"}\n",
    )
    .unwrap();
    let daemon = TestDaemon::start_in(first);
    let (archive, id) = match busybox_archive(&daemon) {
        Ok(found) => found,
        Err(reason) => {
            return harness::report_skip("storage_driver_vfs_is_used_when_configured", &reason);
        }
    };
    assert_eq!(
        ok(&daemon.docker(&["info", "--format", "{{.Driver}} {{len .DriverStatus}}"])),
        "vfs 0\n"
    );
    load(&daemon, &archive);
    let inspect = daemon.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{.GraphDriver.Name}}",
        "busybox",
    ]);
    assert_eq!(ok(&inspect), format!("{id} vfs\n"));
    ok(&daemon.docker(&["rmi", "busybox"]));
    assert_eq!(ok(&daemon.docker(&["images", "-q"])), "");
}
