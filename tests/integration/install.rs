//! install.sh: installs into a PREFIX, keeps foreign files, and --uninstall
//! leaves the PREFIX as it was. Run under busybox's sh with only busybox on
//! PATH, as on an appliance image, when busybox is there.

use crate::daemon_support::CgroupParentCleanup;
use crate::harness::busybox::BusyboxRootfs;
use crate::harness::{self, ProcessGuard, TempDir, netns, run, stdout_of};
use crate::require;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn install_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("install.sh")
}

/// A minimal host: busybox's sh and tools on PATH, nothing else, when
/// busybox is installed; the system's sh otherwise.
struct Host {
    dir: TempDir,
    path_env: String,
    shell: PathBuf,
}

impl Host {
    fn new() -> Host {
        let dir = TempDir::new("host");
        match BusyboxRootfs::build(&dir.join("root")) {
            Ok(rootfs) => {
                let dirs = ["bin", "sbin", "usr/bin", "usr/sbin"]
                    .map(|d| rootfs.path.join(d).display().to_string());
                Host {
                    shell: rootfs.path.join("bin/sh"),
                    path_env: dirs.join(":"),
                    dir,
                }
            }
            Err(reason) => {
                harness::report_skip("install::Host", &format!("{reason}; using the system sh"));
                Host {
                    shell: PathBuf::from("/bin/sh"),
                    path_env: "/usr/bin:/bin".into(),
                    dir,
                }
            }
        }
    }

    /// Where install.sh puts service files (its SERVICE_ROOT), never
    /// this machine's /etc.
    fn service_root(&self) -> PathBuf {
        let root = self.dir.join("services");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        root
    }

    /// Makes the host look booted by systemd.
    fn boot_with_systemd(&self) {
        std::fs::create_dir_all(self.service_root().join("run/systemd/system")).unwrap();
    }

    fn install(&self, args: &[&str]) -> Output {
        run(Command::new(&self.shell)
            .arg(install_script())
            .args(args)
            .env_clear()
            .env("PATH", &self.path_env)
            .env("SERVICE_ROOT", self.service_root()))
    }
}

/// Every path below `root` with its kind, size and inode, to compare trees.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, u64, u64)> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            }
            entries.insert(entry.path(), (meta.mode(), meta.size(), meta.ino()));
        }
    }
    entries
}

#[test]
fn install_then_uninstall_leaves_prefix_as_it_was() {
    let host = Host::new();
    let prefix = TempDir::new("prefix");
    std::fs::create_dir_all(prefix.join("share/doc")).unwrap();
    std::fs::write(prefix.join("share/doc/keep"), "keep").unwrap();
    let before = snapshot(prefix.path());
    let services_before = snapshot(&host.service_root());
    let binary = harness::dockbox();
    let prefix_arg = prefix.path().to_str().unwrap();

    let output = host.install(&["--prefix", prefix_arg, "--binary", binary.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout_of(&output).contains(&format!("installed {prefix_arg}/bin/dockbox")),
        "{output:?}"
    );
    let installed = prefix.join("bin/dockbox");
    for name in ["docker", "dockerd", "runc", "dockbox-shim", "docker-init"] {
        let link = prefix.join("bin").join(name);
        assert_eq!(
            std::fs::metadata(&link).unwrap().ino(),
            std::fs::metadata(&installed).unwrap().ino(),
            "{name} is not a link to dockbox"
        );
    }
    let version = run(Command::new(prefix.join("bin/runc")).arg("--version"));
    assert!(stdout_of(&version).starts_with("runc version "));
    // No systemd: an init script, and no unit.
    let script = host.service_root().join("etc/init.d/docker");
    let text = std::fs::read_to_string(&script).expect("an init script");
    assert!(
        text.contains(&format!("dockerd={prefix_arg}/bin/dockbox")),
        "{text}"
    );
    assert_eq!(std::fs::metadata(&script).unwrap().mode() & 0o111, 0o111);
    assert!(!host.service_root().join("etc/systemd").exists());

    // A second install (an upgrade) is fine and still uninstalls cleanly.
    let output = host.install(&[
        "--prefix",
        prefix_arg,
        "--binary",
        binary.to_str().unwrap(),
        "-s",
    ]);
    assert!(output.status.success(), "{output:?}");

    let output = host.install(&["--prefix", prefix_arg, "--uninstall"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(snapshot(prefix.path()), before);
    assert_eq!(snapshot(&host.service_root()), services_before);
}

/// With systemd as the init: docker.service and docker.socket as Docker
/// ships them (socket activation, containers outlive a daemon restart),
/// no init script, and --uninstall takes them away again.
#[test]
fn systemd_units_are_installed_and_removed() {
    let host = Host::new();
    host.boot_with_systemd();
    let services_before = snapshot(&host.service_root());
    let prefix = TempDir::new("prefix-systemd");
    let prefix_arg = prefix.path().to_str().unwrap();
    let binary = harness::dockbox();

    let output = host.install(&["--prefix", prefix_arg, "--binary", binary.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let units = host.service_root().join("etc/systemd/system");
    let service = std::fs::read_to_string(units.join("docker.service")).unwrap();
    for line in [
        format!("ExecStart={prefix_arg}/bin/dockbox dockerd -H fd://"),
        "Requires=docker.socket".to_string(),
        "Delegate=yes".to_string(),
        "KillMode=process".to_string(),
        "LimitNOFILE=infinity".to_string(),
        "OOMScoreAdjust=-500".to_string(),
    ] {
        assert!(
            service.lines().any(|l| l == line),
            "no {line:?} in\n{service}"
        );
    }
    let socket = std::fs::read_to_string(units.join("docker.socket")).unwrap();
    assert!(
        socket.lines().any(|l| l == "ListenStream=/run/docker.sock"),
        "{socket}"
    );
    assert!(!host.service_root().join("etc/init.d").exists());

    let output = host.install(&["--prefix", prefix_arg, "--uninstall"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(snapshot(&host.service_root()), services_before);
}

/// --no-service writes nothing outside the prefix; a docker.service that is
/// not ours is kept, and survives --uninstall.
#[test]
fn service_files_are_skipped_on_request_and_foreign_ones_kept() {
    let host = Host::new();
    host.boot_with_systemd();
    let prefix = TempDir::new("prefix-no-service");
    let prefix_arg = prefix.path().to_str().unwrap();
    let binary = harness::dockbox();
    let before = snapshot(&host.service_root());
    let output = host.install(&[
        "--prefix",
        prefix_arg,
        "--binary",
        binary.to_str().unwrap(),
        "--no-service",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(snapshot(&host.service_root()), before);

    let units = host.service_root().join("etc/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(
        units.join("docker.service"),
        "[Service]\nExecStart=/usr/bin/dockerd\n",
    )
    .unwrap();
    let output = host.install(&["--prefix", prefix_arg, "--binary", binary.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout_of(&output).contains("docker.service: it is not dockbox's"),
        "{output:?}"
    );
    let output = host.install(&["--prefix", prefix_arg, "--uninstall"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(units.join("docker.service")).unwrap(),
        "[Service]\nExecStart=/usr/bin/dockerd\n"
    );
    assert!(!units.join("docker.socket").exists());
}

#[test]
fn foreign_docker_survives_without_force() {
    let host = Host::new();
    let prefix = TempDir::new("prefix-foreign");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    let foreign = prefix.join("bin/docker");
    std::fs::write(&foreign, "#!/bin/sh\necho the real docker\n").unwrap();
    let before = snapshot(prefix.path());
    let prefix_arg = prefix.path().to_str().unwrap();
    let binary = harness::dockbox();

    let output = host.install(&["--prefix", prefix_arg, "--binary", binary.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "#!/bin/sh\necho the real docker\n"
    );
    assert!(prefix.join("bin/dockerd").exists());

    let output = host.install(&["--prefix", prefix_arg, "--uninstall"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        snapshot(prefix.path()),
        before,
        "uninstall touched the foreign file"
    );

    // With --force it is replaced, and uninstall then removes our link.
    let output = host.install(&[
        "--prefix",
        prefix_arg,
        "--binary",
        binary.to_str().unwrap(),
        "--force",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        std::fs::metadata(&foreign).unwrap().ino(),
        std::fs::metadata(prefix.join("bin/dockbox")).unwrap().ino()
    );
}

#[test]
fn a_foreign_dockbox_file_is_refused() {
    let host = Host::new();
    let prefix = TempDir::new("prefix-refuse");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::write(prefix.join("bin/dockbox"), "not ours").unwrap();
    let output = host.install(&[
        "--prefix",
        prefix.path().to_str().unwrap(),
        "--binary",
        harness::dockbox().to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert_eq!(
        std::fs::read_to_string(prefix.join("bin/dockbox")).unwrap(),
        "not ours"
    );
}

fn setup_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/setup.sh")
}

/// A daemon setup.sh left running, found by its pidfile: stopped with
/// SIGTERM (then SIGKILL) on drop, before its cgroups and directory go.
struct SetupDaemon {
    pidfile: PathBuf,
    _cgroups: CgroupParentCleanup,
}

impl SetupDaemon {
    fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(&self.pidfile)
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }
}

impl Drop for SetupDaemon {
    fn drop(&mut self) {
        let Some(pid) = self.pid() else { return };
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        drop(ProcessGuard::pid(pid));
    }
}

/// The README's first command on a machine with no daemon and no registry
/// (a fresh network namespace): it installs, starts dockerd in the
/// background with its log where it says, makes busybox from the host's
/// busybox-static, and a container prints the greeting. Run again, it uses
/// the daemon that answers instead of starting a second one.
#[test]
fn setup_runs_a_container_offline_and_reuses_a_running_daemon() {
    require!(harness::need_root());
    require!(harness::need_command("busybox").map(|_| ()));
    let dir = TempDir::new("setup");
    let config = dir.join("daemon.json");
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let parent = serde_json::json!({ "cgroup-parent": format!("dockbox-test-{name}") });
    std::fs::write(&config, parent.to_string()).unwrap();
    let daemon = SetupDaemon {
        pidfile: dir.join("pid"),
        _cgroups: CgroupParentCleanup::for_config(config.clone()),
    };
    let log = dir.join("logs/dockerd.log");
    let setup = |dir: &TempDir| {
        let mut command = Command::new("sh");
        command
            .arg(setup_script())
            .args(["--prefix", dir.join("prefix").to_str().unwrap()])
            .args(["--binary", harness::dockbox().to_str().unwrap()])
            .env(
                "DOCKER_HOST",
                format!("unix://{}", dir.join("sock").display()),
            )
            .env("DOCKBOX_DAEMON_LOG", &log)
            .env("SERVICE_ROOT", dir.join("services"))
            .env(
                "DOCKERD_FLAGS",
                format!(
                    "--data-root {} --exec-root {} --pidfile {} --config-file {}",
                    dir.join("data").display(),
                    dir.join("exec").display(),
                    dir.join("pid").display(),
                    config.display()
                ),
            );
        netns::in_new_netns(&mut command);
        run(&mut command)
    };

    let output = setup(&dir);
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    assert!(stdout.ends_with("hello from dockbox\n"), "{stdout}");
    assert!(
        stdout.contains("made the busybox image from /bin/busybox"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("its log in {}", log.display())),
        "{stdout}"
    );
    let first = daemon.pid().expect("the started daemon wrote its pidfile");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("API listen on"),
        "the daemon's log is not where setup.sh said"
    );

    let output = setup(&dir);
    assert!(output.status.success(), "{output:?}");
    let stdout = stdout_of(&output);
    assert!(stdout.contains("a daemon already answers on"), "{stdout}");
    assert!(!stdout.contains("starting dockerd"), "{stdout}");
    assert!(stdout.ends_with("hello from dockbox\n"), "{stdout}");
    assert_eq!(daemon.pid(), Some(first), "a second daemon was started");
}
