//! install.sh: installs into a PREFIX, keeps foreign files, and --uninstall
//! leaves the PREFIX as it was. Run under busybox's sh with only busybox on
//! PATH, as on an appliance image, when busybox is there.

use crate::harness::busybox::BusyboxRootfs;
use crate::harness::{self, TempDir, run, stdout_of};
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
    _dir: TempDir,
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
                    _dir: dir,
                }
            }
            Err(reason) => {
                harness::report_skip("install::Host", &format!("{reason}; using the system sh"));
                Host {
                    shell: PathBuf::from("/bin/sh"),
                    path_env: "/usr/bin:/bin".into(),
                    _dir: dir,
                }
            }
        }
    }

    fn install(&self, args: &[&str]) -> Output {
        run(Command::new(&self.shell)
            .arg(install_script())
            .args(args)
            .env_clear()
            .env("PATH", &self.path_env))
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
