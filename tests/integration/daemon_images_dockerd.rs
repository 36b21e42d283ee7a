//! Our image endpoints against Debian's real dockerd 20.10 with the same
//! data, through the same CLI: what `docker images`, `history`, `inspect`,
//! `tag`, `rmi` and `system df` print must match, and what we save the real
//! daemon loads to the same image ID.

use crate::daemon_support::{DOCKER_CLI, RawConnection, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{self, TempDir, need_root, netns, stderr_of, stdout_of};
use crate::require;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DOCKERD: &str = "/usr/sbin/dockerd";

/// Debian's dockerd in its own network namespace with temp roots; stopped
/// with SIGTERM (so it takes its containerd down) and reaped on drop.
pub(crate) struct RealDockerd {
    child: Child,
    socket: String,
    dir: TempDir,
}

impl RealDockerd {
    pub(crate) fn start() -> Result<RealDockerd, String> {
        RealDockerd::start_with(&[])
    }

    /// Starts it with `extra` flags (`--insecure-registry`, say).
    pub(crate) fn start_with(extra: &[&str]) -> Result<RealDockerd, String> {
        if !Path::new(DOCKERD).exists() {
            return Err(format!("{DOCKERD} is not installed"));
        }
        let dir = TempDir::new("real-dockerd");
        let socket = format!("unix://{}", dir.join("sock").display());
        let log = std::fs::File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
        let mut command = Command::new(DOCKERD);
        command
            .args(["--bridge=none", "--iptables=false", "--ip6tables=false"])
            .args(["-H", &socket])
            .args(extra)
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        netns::in_new_netns(&mut command);
        let child = command.spawn().map_err(|e| format!("start dockerd: {e}"))?;
        let dockerd = RealDockerd { child, socket, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if dockerd.docker(&["version"]).status.success() {
                return Ok(dockerd);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "dockerd did not come up: {}",
            std::fs::read_to_string(dockerd.dir.join("dockerd.log")).unwrap_or_default()
        ))
    }

    pub(crate) fn docker(&self, args: &[&str]) -> Output {
        cli(&self.socket, &self.dir.join("cli-config"), args, None)
    }

    /// The `DOCKER_HOST` of this engine.
    pub(crate) fn host(&self) -> &str {
        &self.socket
    }

    /// dockerd's pid, whose network namespace is the engine's.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RealDockerd {
    fn drop(&mut self) {
        // SAFETY: kill with the pid of our own unreaped child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(host: &str, config: &Path, args: &[&str], api: Option<&str>) -> Output {
    std::fs::create_dir_all(config).unwrap();
    let mut command = Command::new(DOCKER_CLI);
    command
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_API_VERSION");
    if let Some(version) = api {
        command.env("DOCKER_API_VERSION", version);
    }
    harness::run(&mut command)
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stdout_of(&output)
}

/// Both daemons through the same CLI.
struct Pair {
    real: RealDockerd,
    ours: TestDaemon,
}

impl Pair {
    fn real(&self, args: &[&str]) -> Output {
        self.real.docker(args)
    }

    fn ours(&self, args: &[&str]) -> Output {
        self.ours.docker(args)
    }

    /// Runs `args` on both and asserts the same outcome and output.
    fn same(&self, args: &[&str]) -> String {
        self.compare(args, |text| text)
    }

    /// The same, for output whose line order the CLI leaves to chance
    /// (it walks a Go map of an image's repositories).
    fn same_lines(&self, args: &[&str]) -> String {
        self.compare(args, |text| {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            lines.join("\n")
        })
    }

    fn compare(&self, args: &[&str], normal: impl Fn(String) -> String) -> String {
        let real = self.real(args);
        let ours = self.ours(args);
        assert_eq!(
            (
                normal(stdout_of(&ours)),
                stderr_of(&ours),
                ours.status.code()
            ),
            (
                normal(stdout_of(&real)),
                stderr_of(&real),
                real.status.code()
            ),
            "docker {args:?}: ours (left) and dockerd's (right) differ"
        );
        stdout_of(&ours)
    }

    /// `docker image inspect` as JSON at API `version` on both.
    fn inspect(&self, name: &str, version: &str) -> (serde_json::Value, serde_json::Value) {
        let args = ["image", "inspect", name];
        let parse = |text: String| -> serde_json::Value {
            let mut list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            list.remove(0)
        };
        let ours = parse(ok(cli(
            &self.ours.host(),
            &self.ours.dir.join("cli-config"),
            &args,
            Some(version),
        )));
        let real = parse(ok(cli(
            &self.real.socket,
            &self.real.dir.join("cli-config"),
            &args,
            Some(version),
        )));
        (ours, real)
    }
}

#[test]
fn cli_output_matches_real_dockerd_for_the_same_images() {
    require!(need_root());
    require!(need_docker_cli());
    let real = match RealDockerd::start() {
        Ok(real) => real,
        Err(reason) => {
            return harness::report_skip(
                "cli_output_matches_real_dockerd_for_the_same_images",
                &reason,
            );
        }
    };
    let pair = Pair {
        real,
        ours: TestDaemon::start("images-vs-dockerd"),
    };
    let rootfs = pair.ours.dir.join("rootfs");
    if let Err(reason) = BusyboxRootfs::build(&rootfs) {
        return harness::report_skip(
            "cli_output_matches_real_dockerd_for_the_same_images",
            &reason,
        );
    }
    let archive = pair.ours.dir.join("busybox.tar");
    let id = write_docker_archive(&rootfs, "busybox:latest", &archive).unwrap();
    let loaded = pair.same(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(loaded, "Loaded image: busybox:latest\n");

    pair.same(&["images"]);
    pair.same(&["images", "-a", "--digests", "--no-trunc"]);
    pair.same(&["history", "busybox"]);
    pair.same(&["history", "--no-trunc", "--format", "{{json .}}", "busybox"]);
    pair.same(&["system", "df"]);
    pair.same(&["system", "df", "-v"]);
    pair.same(&["inspect", "--format", "{{.Id}} {{.RepoTags}}", "busybox"]);
    // The raw JSON at the version both speak.
    for path in [
        "/v1.41/images/json",
        "/v1.41/images/json?all=1&shared-size=1",
        "/v1.41/images/json?filters=%7B%22reference%22%3A%5B%22busy%2A%22%5D%7D",
        "/v1.41/images/busybox/history",
    ] {
        let ours = pair.ours.connect().get(path);
        let real = RawConnection::connect(&pair.real.dir.join("sock")).get(path);
        assert_eq!(
            (ours.status, ours.json()),
            (real.status, real.json()),
            "GET {path}: ours (left), dockerd's (right)"
        );
    }

    // dockerd 20.10 speaks up to API 1.41: compare inspect there, where
    // the older fields (VirtualSize, Container, ContainerConfig) show.
    let (mut ours, mut real) = pair.inspect("busybox", "1.41");
    for value in [&mut ours, &mut real] {
        // Paths below each daemon's own data root.
        value["GraphDriver"]["Data"] = serde_json::Value::Null;
    }
    let driver = |v: &serde_json::Value| v["GraphDriver"]["Name"].as_str().map(String::from);
    if driver(&ours) != driver(&real) {
        ours["GraphDriver"]["Name"] = real["GraphDriver"]["Name"].clone();
    }
    assert_eq!(
        ours, real,
        "inspect at 1.41: ours (left), dockerd's (right)"
    );

    // An import with changes: the same config apart from times and the
    // daemon's version.
    let tar = pair.ours.dir.join("rootfs.tar");
    crate::harness::busybox::write_rootfs_tar(&rootfs, std::fs::File::create(&tar).unwrap())
        .unwrap();
    let import = [
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV A=1",
        "-c",
        "LABEL x=y",
        "-c",
        "WORKDIR /tmp",
        "-m",
        "msg",
        tar.to_str().unwrap(),
        "imp:v1",
    ];
    ok(pair.ours(&import));
    ok(pair.real(&import));
    let (mut ours, mut real) = pair.inspect("imp:v1", "1.41");
    for value in [&mut ours, &mut real] {
        for key in ["Id", "Created", "DockerVersion", "GraphDriver"] {
            value[key] = serde_json::Value::Null;
        }
        value["Metadata"]["LastTagTime"] = serde_json::Value::Null;
    }
    assert_eq!(ours, real, "import inspect: ours (left), dockerd's (right)");
    pair.same(&[
        "history",
        "--format",
        "{{.CreatedBy}}|{{.Size}}|{{.Comment}}",
        "imp:v1",
    ]);
    pair.same(&["images", "--format", "{{.Repository}}", "-f", "label=x=y"]);
    pair.same(&["images", "--format", "{{.Repository}}", "-f", "label=x=z"]);
    pair.same(&[
        "images",
        "--format",
        "{{.Repository}}",
        "-f",
        "reference=im*",
    ]);
    pair.same(&[
        "images",
        "--format",
        "{{.Repository}}",
        "-f",
        "reference=*:latest",
    ]);
    pair.same(&[
        "images",
        "--format",
        "{{.Repository}}",
        "-f",
        "since=busybox",
    ]);
    pair.same(&[
        "images",
        "--format",
        "{{.Repository}}",
        "-f",
        "before=imp:v1",
    ]);
    pair.same(&[
        "images",
        "--format",
        "{{.Repository}}",
        "-f",
        "dangling=false",
    ]);
    // moby 28 writes "invalid filter" where 20.10 wrote "Invalid filter".
    for filter in ["dangling=maybe", "bogus=1"] {
        let args = ["images", "-f", filter];
        let (ours, real) = (pair.ours(&args), pair.real(&args));
        assert_eq!(ours.status.code(), real.status.code());
        assert_eq!(
            stderr_of(&ours),
            stderr_of(&real).replace("Invalid filter", "invalid filter")
        );
    }
    pair.same(&["image", "prune", "-a", "-f", "--filter", "label=x=z"]);
    let id_of = |output: Output| ok(output).trim().to_string();
    let inspect_id = ["image", "inspect", "--format", "{{.Id}}", "imp:v1"];
    let (ours_id, real_id) = (id_of(pair.ours(&inspect_id)), id_of(pair.real(&inspect_id)));
    assert_eq!(
        ok(pair.ours(&["rmi", "imp:v1"])).replace(&ours_id, "<id>"),
        ok(pair.real(&["rmi", "imp:v1"])).replace(&real_id, "<id>")
    );

    pair.same(&["tag", "busybox", "localhost:5000/a/b:v1"]);
    pair.same(&[
        "image",
        "inspect",
        "--format",
        "{{.RepoTags}}",
        "localhost:5000/a/b:v1",
    ]);
    pair.same_lines(&["images", "--format", "{{.Repository}} {{.Tag}}"]);
    pair.same(&["rmi", "localhost:5000/a/b:v1"]);
    pair.same(&["tag", "busybox", "second:v1"]);
    pair.same_lines(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}",
    ]);
    pair.same_lines(&["images"]);
    let short = &id[7..19];
    pair.same(&["rmi", short]);
    pair.same(&["rmi", "busybox"]);
    pair.same(&["rmi", "nosuch"]);
    pair.same(&["image", "prune", "-f"]);
    pair.same(&["image", "inspect", "--format", "{{.RepoTags}}", "second:v1"]);

    // What we save, dockerd loads to the same image.
    let saved = pair.ours.dir.join("saved.tar");
    ok(pair.ours(&["save", "-o", saved.to_str().unwrap(), "second:v1"]));
    ok(pair.real(&["rmi", "second:v1"]));
    assert_eq!(
        ok(pair.real(&["load", "-i", saved.to_str().unwrap()])),
        "Loaded image: second:v1\n"
    );
    assert_eq!(
        ok(pair.real(&["image", "inspect", "--format", "{{.Id}}", "second:v1"])),
        format!("{id}\n")
    );
    pair.same(&["rmi", "second:v1"]);
    pair.same(&["images"]);
}
