//! `docker import URL`: the daemon fetches the layer tar over HTTP from a
//! server in its own network namespace. Golden cases run both clients;
//! the end-to-end test runs an imported image.

use crate::client_golden::{Case, case, compare_clients_with};
use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::{self, ProcessGuard, TempDir, busybox, need_root};
use crate::require;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = include_str!("import_url_server.py");
const PORT: u16 = 8765;

/// Writes rootfs.tar.gz and a bzip2-looking file next to rootfs.tar, and
/// starts the file server in the daemon's network namespace.
fn serve(daemon: &mut TestDaemon, work: &Path) -> Vec<ProcessGuard> {
    let tar = std::fs::read(work.join("rootfs.tar")).expect("rootfs.tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    std::fs::write(work.join("rootfs.tar.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(work.join("rootfs.tar.bz2"), b"BZh91AY&SYnot really bzip2").unwrap();
    std::fs::write(work.join("junk.tar"), vec![b'x'; 3000]).unwrap();
    std::fs::write(work.join("server.py"), SERVER).unwrap();
    let pid = daemon.child().id();
    let child = Command::new("/usr/bin/nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args(["/usr/bin/python3", "-u"])
        .arg(work.join("server.py"))
        .arg(PORT.to_string())
        .arg(work)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the file server");
    let guard = ProcessGuard::child(child);
    let ready = work.join("server-ready");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "file server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    vec![guard]
}

const FIXTURE: &[&[&str]] = &[&["load", "-q", "-i", "busybox.tar"]];

const CASES: &[Case] = &[
    Case {
        cleanup: &[&["rmi", "url:plain"]],
        ..case(&["import", "http://127.0.0.1:8765/rootfs.tar", "url:plain"])
    },
    Case {
        cleanup: &[&["rmi", "url:gz"]],
        ..case(&[
            "import",
            "-c",
            "CMD [\"sh\"]",
            "-m",
            "from the web",
            "http://127.0.0.1:8765/rootfs.tar.gz",
            "url:gz",
        ])
    },
    Case {
        cleanup: &[&["image", "prune", "-f"]],
        ..case(&["import", "http://127.0.0.1:8765/redirect/3"])
    },
    Case {
        cleanup: &[&["rmi", "url:relative"]],
        ..case(&[
            "import",
            "http://127.0.0.1:8765/relative/hop",
            "url:relative",
        ])
    },
    Case {
        cleanup: &[&["rmi", "url:named"]],
        ..case(&["import", "http://localhost:8765/rootfs.tar", "url:named"])
    },
    case(&["import", "http://no-such-host.invalid/rootfs.tar"]),
    Case {
        cleanup: &[&["rmi", "url:chunked"]],
        ..case(&[
            "import",
            "http://127.0.0.1:8765/chunked/rootfs.tar",
            "url:chunked",
        ])
    },
    Case {
        cleanup: &[&["rmi", "url:unframed"]],
        ..case(&[
            "import",
            "http://127.0.0.1:8765/unframed/rootfs.tar",
            "url:unframed",
        ])
    },
    // Nine redirects are followed, the tenth is one too many, as in Go.
    Case {
        cleanup: &[&["image", "prune", "-f"]],
        ..case(&["import", "http://127.0.0.1:8765/redirect/8"])
    },
    case(&["import", "http://127.0.0.1:8765/redirect/9"]),
    case(&["import", "http://127.0.0.1:8765/loop"]),
    case(&["import", "http://127.0.0.1:8765/missing.tar"]),
    case(&["import", "http://127.0.0.1:8765/forbidden.tar"]),
    case(&["import", "http://127.0.0.1:8765/broken.tar"]),
    case(&["import", "http://127.0.0.1:1/rootfs.tar"]),
    case(&["import", "http://127.0.0.1:8765/rootfs.tar.bz2"]),
    case(&["import", "http://127.0.0.1:8765/junk.tar"]),
    case(&["import", "http://127.0.0.1:8765/truncated.tar"]),
    case(&["import", "https://127.0.0.1:8765/rootfs.tar"]),
    case(&["import", "http://127.0.0.1:8765/rootfs.tar", "Bad:Name"]),
    case(&[
        "import",
        "-c",
        "BOGUS x",
        "http://127.0.0.1:8765/rootfs.tar",
    ]),
];

#[test]
fn real_cli_and_ours_import_from_urls_alike() {
    compare_clients_with("client-import-url", FIXTURE, CASES, &serve);
}

/// Through the real CLI: an image imported from a URL runs, keeps its
/// `-c CMD`, and names its source in its history.
#[test]
fn image_imported_from_a_url_runs() {
    require!(need_root());
    require!(need_docker_cli());
    require!(busybox::host_busybox().map(|_| ()));
    let mut daemon = TestDaemon::start("import-url-run");
    let work = TempDir::new("import-url-run-work");
    let rootfs = busybox::BusyboxRootfs::build(&work.join("rootfs")).unwrap();
    let tar = std::fs::File::create(work.join("rootfs.tar")).unwrap();
    busybox::write_rootfs_tar(&rootfs.path, tar).unwrap();
    let _server = serve(&mut daemon, work.path());
    let ours = harness::dockbox();
    let imported = harness::run(
        Command::new(&ours)
            .arg("docker")
            .args([
                "import",
                "-c",
                "CMD [\"echo\", \"from-cmd\"]",
                "http://127.0.0.1:8765/rootfs.tar.gz",
                "web:gz",
            ])
            .env("DOCKER_HOST", daemon.host()),
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let stdout = String::from_utf8_lossy(&imported.stdout).to_string();
    assert!(
        stdout.starts_with("Downloading from http://127.0.0.1:8765/rootfs.tar.gz\nsha256:"),
        "{stdout}"
    );
    let run = daemon.docker(&["run", "--rm", "web:gz", "echo", "ok"]);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "ok\n",
        "{}\n{}",
        String::from_utf8_lossy(&run.stderr),
        daemon.log()
    );
    let run = daemon.docker(&["run", "--rm", "web:gz"]);
    assert_eq!(String::from_utf8_lossy(&run.stdout), "from-cmd\n");
    let history = daemon.docker(&["history", "--format", "{{.Comment}}", "web:gz"]);
    assert_eq!(
        String::from_utf8_lossy(&history.stdout),
        "Imported from http://127.0.0.1:8765/rootfs.tar.gz\n"
    );
}

/// The raw stream: the download line, "Importing" progress with moby's
/// detail, and the ID last.
#[test]
fn import_from_a_url_streams_progress() {
    require!(need_root());
    require!(busybox::host_busybox().map(|_| ()));
    let mut daemon = TestDaemon::start("import-url-stream");
    let work = TempDir::new("import-url-stream-work");
    let rootfs = busybox::BusyboxRootfs::build(&work.join("rootfs")).unwrap();
    let tar = std::fs::File::create(work.join("rootfs.tar")).unwrap();
    busybox::write_rootfs_tar(&rootfs.path, tar).unwrap();
    let size = std::fs::metadata(work.join("rootfs.tar")).unwrap().len();
    let _server = serve(&mut daemon, work.path());
    let mut connection = daemon.connect();
    connection.send(
        b"POST /v1.50/images/create?fromSrc=127.0.0.1:8765/rootfs.tar&repo=raw HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n",
    );
    let response = connection.read_response("POST");
    assert_eq!(response.status, 200, "{}", response.body_text());
    let text = response.body_text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines[0]["status"],
        "Downloading from http://127.0.0.1:8765/rootfs.tar"
    );
    let progress: Vec<&serde_json::Value> = lines[1..lines.len() - 1].iter().collect();
    assert!(!progress.is_empty(), "{text}");
    for message in &progress {
        assert_eq!(message["status"], "Importing", "{text}");
        assert_eq!(message["progressDetail"]["total"], size, "{text}");
        assert!(message["progress"].as_str().unwrap().starts_with('['));
    }
    assert_eq!(progress.last().unwrap()["progressDetail"]["current"], size);
    let last = lines.last().unwrap()["status"].as_str().unwrap();
    assert!(last.starts_with("sha256:"), "{text}");
    // A source without a scheme is fetched over http, as moby does.
    let history = daemon.docker(&["history", "--format", "{{.Comment}}", "raw"]);
    assert_eq!(
        String::from_utf8_lossy(&history.stdout),
        "Imported from 127.0.0.1:8765/rootfs.tar\n"
    );
}

/// Network, volume and build cache prune: moby's shapes for a daemon
/// with none of them, and moby's 400s for filters they refuse.
#[test]
fn network_volume_and_build_prune_answer_as_moby() {
    require!(need_root());
    let daemon = TestDaemon::start("prune-endpoints");
    let post = |path: &str| {
        let mut connection = daemon.connect();
        connection.send(
            format!("POST {path} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        );
        let response = connection.read_response("POST");
        (response.status, response.body_text())
    };
    assert_eq!(
        post("/networks/prune"),
        (200, "{\"NetworksDeleted\":null}\n".to_string())
    );
    assert_eq!(
        post("/v1.50/volumes/prune"),
        (
            200,
            "{\"VolumesDeleted\":[],\"SpaceReclaimed\":0}\n".to_string()
        )
    );
    assert_eq!(
        post("/build/prune?all=1"),
        (
            200,
            "{\"CachesDeleted\":null,\"SpaceReclaimed\":0}\n".to_string()
        )
    );
    let refused = [
        (
            "/networks/prune?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D",
            "invalid filter 'dangling'",
        ),
        (
            "/networks/prune?filters=%7B%22until%22%3A%5B%22soon%22%5D%7D",
            "failed to parse value as time or duration: \\\"soon\\\"",
        ),
        (
            "/volumes/prune?filters=%7B%22until%22%3A%5B%2224h%22%5D%7D",
            "invalid filter 'until'",
        ),
        (
            "/volumes/prune?filters=%7B%22all%22%3A%5B%22maybe%22%5D%7D",
            "invalid filter 'all': strconv.ParseBool: parsing \\\"maybe\\\": invalid syntax",
        ),
        (
            "/build/prune?filters=%7B%22mutable%22%3A%5B%22true%22%5D%7D",
            "failed to prune build cache: invalid filter 'mutable'",
        ),
        (
            "/build/prune?keep-storage=lots",
            "keep-storage is in bytes and expects an integer, got lots",
        ),
        ("/networks/prune?filters=notjson", "invalid filter"),
    ];
    for (path, message) in refused {
        let (status, body) = post(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(message), "{path}: {body}");
    }
}

/// Sources that cannot be fetched: the status and message Debian's
/// dockerd 20.10 gave for the same requests (checked by hand against it).
#[test]
fn unfetchable_sources_get_mobys_status_and_message() {
    require!(need_root());
    require!(busybox::host_busybox().map(|_| ()));
    let mut daemon = TestDaemon::start("import-url-errors");
    let work = TempDir::new("import-url-errors-work");
    std::fs::write(work.join("rootfs.tar"), b"").unwrap();
    let _server = serve(&mut daemon, work.path());
    let expected = [
        (
            "http://127.0.0.1:8765/missing.tar",
            404,
            "failed to GET http://127.0.0.1:8765/missing.tar with status 404 Not Found: not found: /missing.tar",
        ),
        (
            "http://127.0.0.1:8765/forbidden.tar",
            403,
            "failed to GET http://127.0.0.1:8765/forbidden.tar with status 403 Forbidden: no entry",
        ),
        (
            "http://127.0.0.1:1/x.tar",
            500,
            "Get \"http://127.0.0.1:1/x.tar\": dial tcp 127.0.0.1:1: connect: connection refused",
        ),
        (
            "http://127.0.0.1:8765/loop",
            500,
            "Get \"/loop\": stopped after 10 redirects",
        ),
        (
            "http://127.0.0.1:8765/redirect/9",
            500,
            "Get \"/rootfs.tar\": stopped after 10 redirects",
        ),
        (
            "ftp://h/x",
            500,
            "Get \"ftp://h/x\": unsupported protocol scheme \"ftp\"",
        ),
    ];
    for (source, status, message) in expected {
        let mut connection = daemon.connect();
        connection.send(
            format!(
                "POST /v1.41/images/create?fromSrc={source} HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n"
            )
            .as_bytes(),
        );
        let response = connection.read_response("POST");
        assert_eq!(
            response.status,
            status,
            "{source}: {}",
            response.body_text()
        );
        assert_eq!(response.json()["message"], message, "{source}");
    }
}
