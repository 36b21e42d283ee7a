//! Round trips through Debian's real dockerd 20.10: what we save it loads
//! and runs, and what it saves we load to the same image IDs. dockerd runs
//! in its own network namespace with temp roots and a temp socket.

use super::*;
use crate::image::test_util::{TestDir, busybox_rootfs, skip, tar_of_dir};
use crate::image::{DriverKind, ImportOptions};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOCKERD: &str = "/usr/sbin/dockerd";
const DOCKER: &str = "/usr/local/bin/docker";

struct RealDockerd {
    child: Child,
    socket: String,
    dir: PathBuf,
    /// Container cgroups go below this test's own cgroup, never dockerd's
    /// default `/docker`.
    cgroup_parent: String,
}

/// A cgroup path below the deepest of this process's own cgroups (this
/// hybrid host nests them: `/` everywhere but memory).
fn cgroup_parent_below_own() -> std::result::Result<String, String> {
    let text = fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
    let own: Vec<&str> = text
        .lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .collect();
    let deepest = own
        .iter()
        .max_by_key(|path| path.len())
        .copied()
        .unwrap_or("/");
    if !own.iter().all(|path| Path::new(deepest).starts_with(path)) {
        return Err(format!("own cgroups are not nested: {own:?}"));
    }
    Ok(Path::new(deepest)
        .join(format!("dockbox-image-dockerd-{}", std::process::id()))
        .display()
        .to_string())
}

/// Removes `relative` (and what is below it) from every mounted hierarchy.
fn remove_cgroup_everywhere(relative: &str) {
    fn remove_tree(dir: &Path) {
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    remove_tree(&entry.path());
                }
            }
        }
        let _ = fs::remove_dir(dir);
    }
    if let Ok(hierarchies) = fs::read_dir("/sys/fs/cgroup") {
        for hierarchy in hierarchies.flatten() {
            let dir = hierarchy.path().join(relative.trim_start_matches('/'));
            if dir.is_dir() {
                remove_tree(&dir);
            }
        }
    }
}

impl RealDockerd {
    fn start(dir: &Path) -> std::result::Result<RealDockerd, String> {
        let socket = format!("unix://{}", dir.join("sock").display());
        let log = File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
        let cgroup_parent = cgroup_parent_below_own()?;
        let child = Command::new("/usr/bin/unshare")
            .arg("--net")
            .arg(DOCKERD)
            .args([
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                "-H",
                &socket,
                "--cgroup-parent",
                &cgroup_parent,
            ])
            .arg("--data-root")
            .arg(dir.join("data"))
            .arg("--exec-root")
            .arg(dir.join("exec"))
            .arg("--pidfile")
            .arg(dir.join("dockerd.pid"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("start dockerd: {e}"))?;
        let dockerd = RealDockerd {
            child,
            socket,
            dir: dir.to_path_buf(),
            cgroup_parent,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if dockerd.docker(&["version"]).is_ok() {
                return Ok(dockerd);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!(
            "dockerd did not come up: {}",
            fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default()
        ))
    }

    fn docker(&self, args: &[&str]) -> std::result::Result<String, String> {
        let output = Command::new(DOCKER)
            .env("DOCKER_HOST", &self.socket)
            .args(args)
            .output()
            .map_err(|e| format!("docker {args:?}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "docker {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for RealDockerd {
    fn drop(&mut self) {
        // unshare execs dockerd, so the child's pid is dockerd's.
        // SAFETY: kill with a pid we spawned and have not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        remove_cgroup_everywhere(&self.cgroup_parent);
        // Whatever dockerd left mounted below our dir goes too.
        let needle = self.dir.display().to_string();
        if let Ok(mountinfo) = fs::read_to_string("/proc/self/mountinfo") {
            for line in mountinfo.lines().rev() {
                if let Some(target) = line.split(' ').nth(4).filter(|t| t.starts_with(&needle)) {
                    let _ = nix::mount::umount2(target, nix::mount::MntFlags::MNT_DETACH);
                }
            }
        }
    }
}

#[test]
fn real_dockerd_loads_and_runs_what_we_save_and_we_load_what_it_saves() {
    const TEST: &str = "real_dockerd_loads_and_runs_what_we_save_and_we_load_what_it_saves";
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip(TEST, "needs root to run dockerd");
    }
    for tool in [DOCKERD, DOCKER, "/usr/bin/unshare"] {
        if !Path::new(tool).exists() {
            return skip(TEST, &format!("{tool} is not installed"));
        }
    }
    let dir = TestDir::new("real-dockerd");
    let Some(()) = busybox_rootfs(TEST, &dir.join("rootfs")) else {
        return;
    };
    let store = ImageStore::open(&dir.join("ours"), Some(DriverKind::Vfs)).unwrap();
    let imported = store
        .import(
            &tar_of_dir(&dir.join("rootfs"))[..],
            &ImportOptions {
                changes: vec![
                    "CMD [\"/bin/echo\", \"hi from dockbox\"]".into(),
                    "ENV A=1".into(),
                ],
                ..ImportOptions::default()
            },
        )
        .unwrap();
    let tag = |name: &str| Reference::parse_with_default_tag(name).unwrap();
    let saved = dir.join("ours.tar");
    let images = [SaveImage {
        id: imported.id.clone(),
        repo_tags: vec![tag("dockbox-test"), tag("localhost:5000/dockbox/test:v1")],
    }];
    store.save(&images, File::create(&saved).unwrap()).unwrap();

    let dockerd = match RealDockerd::start(dir.path()) {
        Ok(dockerd) => dockerd,
        Err(reason) => return skip(TEST, &reason),
    };
    let loaded = dockerd
        .docker(&["load", "-i", saved.to_str().unwrap()])
        .unwrap();
    assert!(
        loaded.contains("Loaded image: dockbox-test:latest"),
        "{loaded}"
    );
    assert!(
        loaded.contains("Loaded image: localhost:5000/dockbox/test:v1"),
        "{loaded}"
    );
    let id = dockerd
        .docker(&["image", "inspect", "--format", "{{.Id}}", "dockbox-test"])
        .unwrap();
    assert_eq!(id.trim(), imported.id.to_string());
    let ran = dockerd
        .docker(&["run", "--rm", "--network", "none", "dockbox-test"])
        .unwrap();
    assert_eq!(ran, "hi from dockbox\n");

    // And back: dockerd's own save format (legacy layer dirs) loads here.
    dockerd
        .docker(&["tag", "dockbox-test", "second:tag"])
        .unwrap();
    let theirs = dir.join("theirs.tar");
    dockerd
        .docker(&[
            "save",
            "-o",
            theirs.to_str().unwrap(),
            "dockbox-test",
            "second:tag",
        ])
        .unwrap();
    drop(dockerd);
    let fresh = ImageStore::open(&dir.join("fresh"), Some(DriverKind::Vfs)).unwrap();
    let records = fresh.load(File::open(&theirs).unwrap()).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, imported.id);
    let mut tags: Vec<String> = records[0].repo_tags.iter().map(|r| r.familiar()).collect();
    tags.sort();
    assert_eq!(tags, ["dockbox-test:latest", "second:tag"]);
}
