//! Rootless mode: `spec --rootless`, then `run` as an unprivileged user in
//! a user namespace that maps container root to that user, with no cgroup
//! (the user cannot make one), and state kept where that user can write.

use crate::harness::{self, TempDir, stderr_of, stdout_of};
use crate::runc_support::{DEBIAN_RUNC, alive, cgroup_below_own, output_via_files, reap};
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `nobody`/`nogroup`: unprivileged, and present in the busybox rootfs too.
const USER: u32 = 65534;

/// Whether the kernel lets an unprivileged user make a user namespace.
fn need_unprivileged_userns() -> Result<(), String> {
    let setpriv = harness::need_command("setpriv")?;
    let unshare = harness::need_command("unshare")?;
    let output = Command::new(setpriv)
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(unshare)
        .args(["--user", "true"])
        .output()
        .map_err(|e| format!("cannot run setpriv: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "unprivileged user namespaces are unavailable: {}",
            stderr_of(&output).trim()
        ))
    }
}

/// Hands `path` and everything below it to the unprivileged user.
fn give_to_user(path: &Path) {
    let status = Command::new("/bin/chown")
        .arg("-R")
        .arg(format!("{USER}:{USER}"))
        .arg(path)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown -R {}", path.display());
}

/// A runtime binary run as the unprivileged user, with `--root` unless
/// `root` is None (then runc's default under $XDG_RUNTIME_DIR).
struct Rootless {
    exe: PathBuf,
    root: Option<PathBuf>,
    xdg_runtime_dir: PathBuf,
}

impl Rootless {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.exe);
        if let Some(root) = &self.root {
            command.arg("--root").arg(root);
        }
        command
            .args(args)
            .env("XDG_RUNTIME_DIR", &self.xdg_runtime_dir)
            .env("HOME", &self.xdg_runtime_dir);
        // SAFETY: only async-signal-safe syscalls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(USER) != 0
                    || libc::setuid(USER) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        output_via_files(&mut self.command(args))
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{} {args:?} failed: {}",
            self.exe.display(),
            stderr_of(&output)
        );
        stdout_of(&output)
    }
}

/// A bundle owned by the user, with `runc spec --rootless` adapted to the
/// user's ids, running `args`, a host directory (root's) bound at
/// /hostdir, a writable rootfs, and no cgroupsPath (as runc's rootless
/// spec): the default cgroup, our own plus the id, cannot be made by the
/// user and must never come to exist.
struct RootlessBundle {
    dir: TempDir,
    bundle: PathBuf,
    host_dir: PathBuf,
}

fn rootless_bundle(label: &str, args: &[&str]) -> Result<RootlessBundle, String> {
    harness::need_root()?;
    need_unprivileged_userns()?;
    let dir = TempDir::new(label);
    let bundle = crate::harness::busybox::Bundle::build(&dir.join("bundle"), &["true"])?;
    std::fs::remove_file(bundle.config_path()).unwrap();
    let spec_output = harness::run(
        Command::new(harness::dockbox())
            .args(["runc", "spec", "--rootless"])
            .current_dir(&bundle.dir),
    );
    assert!(spec_output.status.success(), "{}", stderr_of(&spec_output));
    let host_dir = dir.join("host");
    std::fs::create_dir(&host_dir).unwrap();
    bundle.edit_config(|spec| {
        assert_eq!(spec["linux"]["uidMappings"][0]["hostID"], json!(0));
        spec["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": USER, "size": 1}]);
        spec["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": USER, "size": 1}]);
        spec["process"]["terminal"] = json!(false);
        spec["process"]["args"] = json!(args);
        spec["root"]["readonly"] = json!(false);
        spec["mounts"].as_array_mut().unwrap().push(json!({
            "destination": "/hostdir", "type": "none", "source": host_dir,
            "options": ["rbind", "rw"]
        }));
    });
    give_to_user(&bundle.dir);
    // The host directory stays root's: container root is nobody there.
    std::fs::set_permissions(
        &host_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    Ok(RootlessBundle {
        bundle: bundle.dir.clone(),
        dir,
        host_dir,
    })
}

impl RootlessBundle {
    /// A state root and XDG_RUNTIME_DIR owned by the user.
    fn runtime(&self, name: &str, exe: &Path, explicit_root: bool) -> Rootless {
        let xdg = self.dir.join(&format!("{name}-xdg"));
        std::fs::create_dir(&xdg).unwrap();
        let root = self.dir.join(&format!("{name}-root"));
        std::fs::create_dir(&root).unwrap();
        give_to_user(&xdg);
        give_to_user(&root);
        Rootless {
            exe: exe.to_path_buf(),
            root: explicit_root.then_some(root),
            xdg_runtime_dir: xdg,
        }
    }

    /// Fails unless no hierarchy holds a cgroup named `id` below any of
    /// our own cgroups, nor the spec's cgroupsPath if it has one.
    fn assert_no_cgroup(&self, id: &str) {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let mut relatives: Vec<PathBuf> = own
            .lines()
            .filter_map(|line| line.splitn(3, ':').nth(2))
            .map(|path| Path::new(path.trim_start_matches('/')).join(id))
            .collect();
        let spec = std::fs::read_to_string(self.bundle.join("config.json")).unwrap();
        let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
        if let Some(path) = spec["linux"]["cgroupsPath"].as_str() {
            relatives.push(PathBuf::from(path.trim_start_matches('/')));
        }
        for entry in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
            for relative in &relatives {
                let path = entry.path().join(relative);
                assert!(!path.exists(), "{} was created", path.display());
            }
        }
    }

    fn edit_args(&self, args: &[&str]) {
        let path = self.bundle.join("config.json");
        let mut spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        spec["process"]["args"] = json!(args);
        std::fs::write(&path, spec.to_string()).unwrap();
    }
}

const SCRIPT: &str = "id; cat /proc/self/uid_map /proc/self/gid_map; \
    touch /in-rootfs && echo rootfs-writable; \
    touch /hostdir/escape 2>/dev/null || echo host-denied; exit 7";

/// What SCRIPT must print: root inside, nobody outside.
fn assert_rootless_output(name: &str, output: &Output, bundle: &RootlessBundle) {
    assert_eq!(
        output.status.code(),
        Some(7),
        "{name}: {}",
        stderr_of(output)
    );
    let stdout = stdout_of(output);
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(
        stdout.starts_with("uid=0(root) gid=0(root)"),
        "{name}: {stdout}"
    );
    assert_eq!(lines[1], ["0", "65534", "1"], "{name}: uid_map {stdout}");
    assert_eq!(lines[2], ["0", "65534", "1"], "{name}: gid_map {stdout}");
    assert_eq!(lines[3], ["rootfs-writable"], "{name}: {stdout}");
    assert_eq!(lines[4], ["host-denied"], "{name}: {stdout}");
    assert!(!bundle.host_dir.join("escape").exists(), "{name} escaped");
    // The rootfs file belongs to the user on the host.
    let made = std::fs::metadata(bundle.bundle.join("rootfs/in-rootfs")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&made), USER);
    std::fs::remove_file(bundle.bundle.join("rootfs/in-rootfs")).unwrap();
}

#[test]
fn rootless_run_maps_root_to_the_caller_without_a_cgroup() {
    let bundle = match rootless_bundle("runc-rootless", &["sh", "-c", SCRIPT]) {
        Ok(bundle) => bundle,
        Err(reason) => return harness::report_skip("runc_rootless", &reason),
    };
    let bundle_dir = bundle.bundle.to_str().unwrap();
    let ours = Rootless {
        exe: link_as_runc(&bundle.dir),
        ..bundle.runtime("ours", &harness::dockbox(), true)
    };
    let output = ours.run(&["run", "-b", bundle_dir, "rl"]);
    assert_rootless_output("dockbox", &output, &bundle);
    bundle.assert_no_cgroup("rl");
    let root = ours.root.as_ref().unwrap();
    assert_eq!(std::fs::read_dir(root).unwrap().count(), 0, "state left");
    assert!(ours.ok(&["list", "-q"]).trim().is_empty());

    match Rootless::debian(&bundle) {
        Err(reason) => harness::report_skip("runc_rootless (Debian's runc)", &reason),
        Ok(runc) => {
            let output = runc.run(&["run", "-b", bundle_dir, "rl"]);
            if output.status.code() != Some(7) {
                let _ = runc.run(&["delete", "--force", "rl"]);
                return harness::report_skip(
                    "runc_rootless (Debian's runc)",
                    &format!("{DEBIAN_RUNC} refuses: {}", stderr_of(&output).trim()),
                );
            }
            assert_rootless_output("runc", &output, &bundle);
            bundle.assert_no_cgroup("rl");
            let root = runc.root.as_ref().unwrap();
            assert_eq!(
                std::fs::read_dir(root).unwrap().count(),
                0,
                "runc left state"
            );
        }
    }
}

impl Rootless {
    fn debian(bundle: &RootlessBundle) -> Result<Rootless, String> {
        if !Path::new(DEBIAN_RUNC).is_file() {
            return Err(format!("{DEBIAN_RUNC} is not installed"));
        }
        Ok(bundle.runtime("debian", Path::new(DEBIAN_RUNC), true))
    }
}

/// dockbox as `runc`, through a symlink the user can follow.
fn link_as_runc(dir: &TempDir) -> PathBuf {
    let link = dir.join("runc");
    std::os::unix::fs::symlink(harness::dockbox(), &link).unwrap();
    link
}

#[test]
fn rootless_state_list_delete_work_for_the_caller() {
    let bundle = match rootless_bundle("runc-rootless-life", &["sleep", "100"]) {
        Ok(bundle) => bundle,
        Err(reason) => return harness::report_skip("runc_rootless", &reason),
    };
    bundle.edit_args(&["sleep", "100"]);
    // SAFETY: prctl with integer arguments: detached inits come back to us.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    // No --root: the state lives under $XDG_RUNTIME_DIR/runc, as runc's.
    let ours = Rootless {
        exe: link_as_runc(&bundle.dir),
        ..bundle.runtime("ours", &harness::dockbox(), false)
    };
    let bundle_dir = bundle.bundle.to_str().unwrap();
    let output = ours.run(&["run", "-d", "-b", bundle_dir, "life"]);
    let state_dir = ours.xdg_runtime_dir.join("runc").join("life");
    let cleanup = |pid: i32| {
        let _ = ours.run(&["delete", "--force", "life"]);
        reap(pid);
    };
    if !output.status.success() {
        cleanup(0);
        panic!("run -d: {}", stderr_of(&output));
    }
    let state: serde_json::Value = serde_json::from_str(&ours.ok(&["state", "life"])).unwrap();
    let pid = state["pid"].as_i64().unwrap_or(0) as i32;
    let checks = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_eq!(state["status"], "running", "{state}");
        assert!(state_dir.is_dir(), "no state in {}", state_dir.display());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
        assert_eq!(
            uid_line.split_whitespace().nth(1),
            Some("65534"),
            "{uid_line}"
        );
        // Still in the caller's cgroups: none was made for it.
        assert_eq!(
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap(),
            std::fs::read_to_string("/proc/self/cgroup").unwrap()
        );
        bundle.assert_no_cgroup("life");
        let listed = ours.ok(&["list"]);
        assert!(listed.lines().any(|l| l.starts_with("life ")), "{listed}");
        ours.ok(&["kill", "life", "KILL"]);
        for _ in 0..100 {
            if !alive(pid) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(!alive(pid), "init {pid} survived SIGKILL");
        let stopped: serde_json::Value =
            serde_json::from_str(&ours.ok(&["state", "life"])).unwrap();
        assert_eq!(stopped["status"], "stopped", "{stopped}");
        ours.ok(&["delete", "life"]);
        assert!(!ours.run(&["state", "life"]).status.success());
        assert!(!state_dir.exists(), "state left in {}", state_dir.display());
        assert!(ours.ok(&["list", "-q"]).trim().is_empty());
    }));
    cleanup(pid);
    if let Err(panic) = checks {
        std::panic::resume_unwind(panic);
    }
}

/// runc ignores a cgroup it may not make only when the spec named none: an
/// explicit cgroupsPath that is not delegated to the user is an error.
#[test]
fn rootless_run_refuses_an_undelegated_cgroups_path() {
    let bundle = match rootless_bundle("runc-rootless-cg", &["true"]) {
        Ok(bundle) => bundle,
        Err(reason) => return harness::report_skip("runc_rootless", &reason),
    };
    let cgroup = cgroup_below_own(&bundle.dir).unwrap();
    let config = bundle.bundle.join("config.json");
    let mut spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    spec["linux"]["cgroupsPath"] = json!(cgroup);
    std::fs::write(&config, spec.to_string()).unwrap();
    let bundle_dir = bundle.bundle.to_str().unwrap();
    let ours = Rootless {
        exe: link_as_runc(&bundle.dir),
        ..bundle.runtime("ours", &harness::dockbox(), true)
    };
    let debian = Rootless::debian(&bundle);
    let mut runtimes = vec![("dockbox", ours)];
    match debian {
        Ok(runc) => runtimes.push(("runc", runc)),
        Err(reason) => harness::report_skip("runc_rootless (Debian's runc)", &reason),
    }
    for (name, runtime) in &runtimes {
        let output = runtime.run(&["run", "-b", bundle_dir, "cg"]);
        let _ = runtime.run(&["delete", "--force", "cg"]);
        assert!(!output.status.success(), "{name} ran without its cgroup");
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("permission denied") || stderr.contains("Permission denied"),
            "{name}: {stderr}"
        );
        bundle.assert_no_cgroup("cg");
        let root = runtime.root.as_ref().unwrap();
        assert_eq!(
            std::fs::read_dir(root).unwrap().count(),
            0,
            "{name} left state"
        );
    }
}
