//! HTTPS registries: Debian's real `registry` serves TLS with a CA the
//! openssl CLI makes here, on 10.213.7.1 (an address put on `lo` inside
//! each daemon's own network namespace: a loopback registry would be
//! insecure, and dockerd would skip verifying it). The CA and client
//! certificates go to `/etc/docker/certs.d/10.213.7.1:<port>/`, where both
//! dockbox and Debian's dockerd 20.10 read them, each test with its own
//! port. The same scenario runs against both daemons: the exit codes and
//! the cause of each failure must agree.

use crate::daemon_images_dockerd::RealDockerd;
use crate::daemon_support::{TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{self, ProcessGuard, TempDir, need_root, stderr_of};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const REGISTRY: &str = "/usr/bin/docker-registry";
const IP: &str = "10.213.7.1";
const CERTS_D: &str = "/etc/docker/certs.d";

/// A CA, a server certificate for `IP` and a client certificate, all
/// made by the openssl CLI in `dir`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make(dir: &Path) -> Result<Pki, String> {
        let openssl = harness::need_command("openssl")?;
        let run = |args: &[&str]| -> Result<(), String> {
            let output = harness::run(Command::new(&openssl).current_dir(dir).args(args));
            if output.status.success() {
                Ok(())
            } else {
                Err(format!("openssl {args:?}: {}", stderr_of(&output)))
            }
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        let mut ca = vec!["req", "-x509", "-nodes", "-days", "2"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=dockbox test CA",
        ]);
        ca.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        ca.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        run(&ca)?;
        for (name, usage, alt) in [
            ("server", "serverAuth", format!("subjectAltName=IP:{IP}\n")),
            ("client", "clientAuth", String::new()),
        ] {
            let extensions = format!("{name}.ext");
            std::fs::write(
                dir.join(&extensions),
                format!("{alt}basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n"),
            )
            .map_err(|e| e.to_string())?;
            let (key, csr, cert) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.cert"),
            );
            let mut request = vec!["req", "-nodes"];
            request.extend(ec);
            request.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=dockbox test"]);
            run(&request)?;
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &cert,
                "-extfile",
                &extensions,
            ])?;
        }
        Ok(Pki {
            dir: dir.to_path_buf(),
        })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `/etc/docker/certs.d/<IP:port>/`, removed on drop (and before use, in
/// case a killed run left it).
struct CertsDir {
    path: PathBuf,
}

impl CertsDir {
    fn new(port: u16) -> CertsDir {
        let path = Path::new(CERTS_D).join(format!("{IP}:{port}"));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        CertsDir { path }
    }

    fn put(&self, name: &str, from: &Path) {
        std::fs::copy(from, self.path.join(name)).unwrap();
    }

    fn remove(&self, name: &str) {
        std::fs::remove_file(self.path.join(name)).unwrap();
    }
}

impl Drop for CertsDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How a registry serves: TLS with the server certificate (and asking
/// for a client certificate of the CA, or not), or plain http.
#[derive(Clone, Copy)]
enum Serving<'p> {
    Tls { pki: &'p Pki, client_cas: bool },
    Plain,
}

/// A registry on `ip:port` in the network namespace of process `pid`;
/// killed on drop.
struct TlsRegistry {
    _guard: ProcessGuard,
}

impl TlsRegistry {
    fn start(pid: u32, dir: &Path, ip: &str, port: u16, serving: Serving) -> TlsRegistry {
        let netns = format!("/proc/{pid}/ns/net");
        // The namespace is the daemon's own, made by the test harness.
        let added = harness::run(Command::new("nsenter").arg(format!("--net={netns}")).args([
            "ip",
            "addr",
            "add",
            &format!("{ip}/32"),
            "dev",
            "lo",
        ]));
        assert!(added.status.success(), "{}", stderr_of(&added));
        let tls = match serving {
            Serving::Tls { pki, client_cas } => {
                let mut tls = format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    pki.file("server.cert").display(),
                    pki.file("server.key").display()
                );
                if client_cas {
                    tls.push_str(&format!(
                        "    clientcas:\n      - {}\n",
                        pki.file("ca.crt").display()
                    ));
                }
                tls
            }
            Serving::Plain => String::new(),
        };
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {ip}:{port}\n{tls}",
                dir.join("registry-data").display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new("nsenter")
            .arg(format!("--net={netns}"))
            .args([REGISTRY, "serve"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start registry");
        let registry = TlsRegistry {
            _guard: ProcessGuard::child(child),
        };
        let netns = std::fs::File::open(&netns).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !listening(&netns, &format!("{ip}:{port}")) {
            assert!(
                Instant::now() < deadline,
                "the registry did not listen within 20s: {}",
                std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }
}

/// Whether `address` accepts TCP connections inside `netns`.
fn listening(netns: &std::fs::File, address: &str) -> bool {
    let fd = netns.as_raw_fd();
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                // SAFETY: setns on this short-lived thread only, valid fd.
                let joined = unsafe { libc::setns(fd, libc::CLONE_NEWNET) } == 0;
                joined && TcpStream::connect(address).is_ok()
            })
            .join()
            .unwrap()
    })
}

/// What a scenario step gave: its exit code and stderr.
type Step = (Option<i32>, String);

fn step(output: Output) -> Step {
    (output.status.code(), stderr_of(&output))
}

/// Everything a test needs, or the reason it cannot run.
struct Setup {
    ours: TestDaemon,
    theirs: RealDockerd,
    dir: TempDir,
    pki: Pki,
    archive: PathBuf,
}

/// Both daemons, started with `flags`, and what the scenarios use.
fn setup(label: &str, flags: &[&str]) -> Result<Setup, String> {
    need_root()?;
    need_docker_cli()?;
    harness::need_command("ip")?;
    if !Path::new(REGISTRY).exists() {
        return Err(format!("{REGISTRY} is not installed"));
    }
    let dir = TempDir::new(label);
    std::fs::create_dir_all(dir.join("pki")).unwrap();
    let pki = Pki::make(&dir.join("pki"))?;
    let rootfs = BusyboxRootfs::build(&dir.join("rootfs"))?;
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).map_err(|e| e.to_string())?;
    let theirs = RealDockerd::start_with(flags)?;
    let ours = TestDaemon::start_customised(TempDir::new(label), |command| {
        command.args(flags);
    });
    Ok(Setup {
        ours,
        theirs,
        dir,
        pki,
        archive,
    })
}

/// Load, tag, push, remove, pull back and run: each step's result.
fn round_trip(docker: &dyn Fn(&[&str]) -> Output, archive: &Path, name: &str) -> Vec<Step> {
    vec![
        step(docker(&["load", "-i", archive.to_str().unwrap()])),
        step(docker(&["tag", "busybox:latest", name])),
        step(docker(&["push", name])),
        step(docker(&["rmi", "busybox:latest", name])),
        step(docker(&["pull", name])),
        step(docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            name,
            "echo",
            "over tls",
        ])),
    ]
}

/// Starts a registry on `ip:port` for each daemon, in its namespace.
fn registries(
    setup: &mut Setup,
    ip: &str,
    port: u16,
    tls: bool,
    client_cas: bool,
) -> Vec<TlsRegistry> {
    let ours_pid = setup.ours.child().id();
    let serving = if tls {
        Serving::Tls {
            pki: &setup.pki,
            client_cas,
        }
    } else {
        Serving::Plain
    };
    [("ours", ours_pid), ("theirs", setup.theirs.pid())]
        .into_iter()
        .map(|(side, pid)| {
            let dir = setup.dir.join(&format!("{side}-{port}"));
            std::fs::create_dir_all(&dir).unwrap();
            TlsRegistry::start(pid, &dir, ip, port, serving)
        })
        .collect()
}

fn codes(steps: &[Step]) -> Vec<Option<i32>> {
    steps.iter().map(|(code, _)| *code).collect()
}

/// The round trip of `image` through both daemons: every step of ours
/// succeeds and dockerd's exit codes are the same.
fn round_trips_alike(setup: &Setup, image: &str) {
    let ours = round_trip(&|args| setup.ours.docker(args), &setup.archive, image);
    let theirs = round_trip(&|args| setup.theirs.docker(args), &setup.archive, image);
    assert_eq!(
        codes(&ours),
        vec![Some(0); 6],
        "{image}: {ours:?}\n{}",
        setup.ours.log()
    );
    assert_eq!(codes(&theirs), codes(&ours), "{image}: {theirs:?}");
}

/// `docker pull image` through ours, then through dockerd.
fn pulls(setup: &Setup, image: &str) -> (Step, Step) {
    (
        step(setup.ours.docker(&["pull", image])),
        step(setup.theirs.docker(&["pull", image])),
    )
}

#[test]
fn with_the_ca_in_certs_d_push_pull_and_run_work_and_without_it_the_pull_fails() {
    let name = "with_the_ca_in_certs_d_push_pull_and_run_work_and_without_it_the_pull_fails";
    let mut setup = match setup("registry-tls-ca", &[]) {
        Ok(setup) => setup,
        Err(reason) => return harness::report_skip(name, &reason),
    };
    let port = 5443;
    let certs = CertsDir::new(port);
    certs.put("ca.crt", &setup.pki.file("ca.crt"));
    let _registries = registries(&mut setup, IP, port, true, false);
    let image = format!("{IP}:{port}/busybox:tls");

    round_trips_alike(&setup, &image);

    // Without the CA: the registry's certificate is not trusted.
    certs.remove("ca.crt");
    let (ours_pull, theirs_pull) = pulls(&setup, &image);
    assert_eq!(ours_pull.0, Some(1), "{ours_pull:?}");
    assert!(
        theirs_pull
            .1
            .contains("x509: certificate signed by unknown authority"),
        "{theirs_pull:?}"
    );
    assert_eq!(ours_pull, theirs_pull);

    // A plain-http registry off loopback is secure, so https only: fails.
    let _plain = registries(&mut setup, "10.213.8.1", port, false, false);
    let plain = format!("10.213.8.1:{port}/busybox:tls");
    let (ours_pull, theirs_pull) = pulls(&setup, &plain);
    assert_eq!(ours_pull.0, Some(1), "{ours_pull:?}");
    assert!(theirs_pull.1.contains("HTTP response"), "{theirs_pull:?}");
    assert_eq!(ours_pull, theirs_pull);
}

#[test]
fn a_registry_asking_for_a_client_certificate_gets_the_one_in_certs_d() {
    let name = "a_registry_asking_for_a_client_certificate_gets_the_one_in_certs_d";
    let mut setup = match setup("registry-tls-client", &[]) {
        Ok(setup) => setup,
        Err(reason) => return harness::report_skip(name, &reason),
    };
    let port = 5444;
    let certs = CertsDir::new(port);
    certs.put("ca.crt", &setup.pki.file("ca.crt"));
    certs.put("client.cert", &setup.pki.file("client.cert"));
    certs.put("client.key", &setup.pki.file("client.key"));
    let _registries = registries(&mut setup, IP, port, true, true);
    let image = format!("{IP}:{port}/busybox:client");

    round_trips_alike(&setup, &image);

    // A .cert without its .key is moby's error, before any connection.
    certs.remove("client.key");
    let (ours_pull, theirs_pull) = pulls(&setup, &image);
    let missing = "missing key client.key for client certificate client.cert";
    assert!(theirs_pull.1.contains(missing), "{theirs_pull:?}");
    assert_eq!(ours_pull, theirs_pull);

    // No client certificate at all: the registry refuses the handshake.
    certs.remove("client.cert");
    let (ours_pull, theirs_pull) = pulls(&setup, &image);
    assert_eq!(ours_pull.0, Some(1), "{ours_pull:?}");
    assert!(
        theirs_pull.1.contains("remote error: tls: "),
        "{theirs_pull:?}"
    );
    assert_eq!(ours_pull, theirs_pull);
}

/// The lines under "Insecure Registries:" in `docker info`.
fn insecure_registries(info: &Output) -> Vec<String> {
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .skip_while(|line| line.trim() != "Insecure Registries:")
        .skip(1)
        .take_while(|line| line.starts_with("  ") && !line.trim().ends_with(':'))
        .map(|line| line.trim().to_string())
        .collect()
}

#[test]
fn insecure_registries_are_reached_unverified_over_https_or_over_http_and_shown_in_info() {
    let name =
        "insecure_registries_are_reached_unverified_over_https_or_over_http_and_shown_in_info";
    let tls_port = 5445;
    let plain_ip = "10.213.8.1";
    let plain_port = 5446;
    let by_name = format!("{IP}:{tls_port}");
    let flags = [
        "--insecure-registry",
        &by_name,
        "--insecure-registry",
        "10.213.8.0/24",
    ];
    let mut setup = match setup("registry-tls-insecure", &flags) {
        Ok(setup) => setup,
        Err(reason) => return harness::report_skip(name, &reason),
    };
    // No CA anywhere: an insecure registry's certificate is not checked.
    let _certs = CertsDir::new(tls_port);
    let _tls = registries(&mut setup, IP, tls_port, true, false);
    let _plain = registries(&mut setup, plain_ip, plain_port, false, false);

    let info_ours = setup.ours.docker(&["info"]);
    let info_theirs = setup.theirs.docker(&["info"]);
    let shown = insecure_registries(&info_theirs);
    assert!(shown.contains(&by_name), "{shown:?}");
    assert_eq!(insecure_registries(&info_ours), shown);

    for image in [
        format!("{by_name}/busybox:unverified"),
        format!("{plain_ip}:{plain_port}/busybox:plain"),
    ] {
        round_trips_alike(&setup, &image);
    }
}
