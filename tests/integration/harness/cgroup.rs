//! The test process's own cgroups. Tests create cgroups only below these and
//! never move a process out of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where this process sits in each hierarchy, as host paths.
#[derive(Debug, Default)]
pub struct OwnCgroup {
    /// v1 controller (`memory`, `cpu`, `pids`, ...) to directory.
    pub v1: BTreeMap<String, PathBuf>,
    /// The unified (v2) directory, when a cgroup2 hierarchy is mounted.
    pub v2: Option<PathBuf>,
    /// The path as `/proc/self/cgroup` gives it for the unified hierarchy.
    pub v2_relative: Option<String>,
}

impl OwnCgroup {
    pub fn read() -> OwnCgroup {
        let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mounts = cgroup_mounts(&mountinfo);
        let mut own = OwnCgroup::default();
        for line in membership.lines() {
            let mut fields = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if controllers.is_empty() {
                if let Some(mount) = mounts.iter().find(|m| m.unified) {
                    own.v2 = Some(mount.host_path(path));
                    own.v2_relative = Some(path.to_string());
                }
                continue;
            }
            for controller in controllers.split(',') {
                if let Some(mount) = mounts
                    .iter()
                    .find(|m| m.controllers.iter().any(|c| c == controller))
                {
                    own.v1.insert(controller.to_string(), mount.host_path(path));
                }
            }
        }
        own
    }

    /// True when the host has controllers in v1 (legacy or hybrid layout).
    pub fn is_v1(&self) -> bool {
        self.v1.contains_key("memory") || self.v1.contains_key("pids")
    }

    /// The directory of `controller`: its v1 hierarchy, or the unified one.
    pub fn controller_dir(&self, controller: &str) -> Option<PathBuf> {
        self.v1.get(controller).cloned().or_else(|| {
            let v2 = self.v2.clone()?;
            let available = std::fs::read_to_string(v2.join("cgroup.controllers")).ok()?;
            available
                .split_whitespace()
                .any(|c| c == controller)
                .then_some(v2)
        })
    }
}

struct CgroupMount {
    mount_point: PathBuf,
    root: String,
    controllers: Vec<String>,
    unified: bool,
}

impl CgroupMount {
    fn host_path(&self, cgroup_path: &str) -> PathBuf {
        let relative = cgroup_path
            .strip_prefix(self.root.as_str())
            .unwrap_or(cgroup_path);
        self.mount_point.join(relative.trim_start_matches('/'))
    }
}

fn cgroup_mounts(mountinfo: &str) -> Vec<CgroupMount> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split(' ').collect();
            let mut tail = after.split(' ');
            let fstype = tail.next()?;
            let super_options = tail.nth(1).unwrap_or("");
            let unified = fstype == "cgroup2";
            if fstype != "cgroup" && !unified {
                return None;
            }
            let controllers = super_options
                .split(',')
                .filter(|o| !matches!(*o, "rw" | "ro") && !o.contains('='))
                .map(str::to_string)
                .collect();
            Some(CgroupMount {
                mount_point: PathBuf::from(super::cleanup::unescape_mountinfo(fields.get(4)?)),
                root: fields.get(3)?.to_string(),
                controllers,
                unified,
            })
        })
        .collect()
}

/// A cgroup directory that the test created below its own; removed on drop.
pub struct CgroupGuard {
    dirs: Vec<PathBuf>,
}

impl CgroupGuard {
    /// Creates `name` below the test's own cgroup in every hierarchy listed.
    pub fn create(
        own: &OwnCgroup,
        controllers: &[&str],
        name: &str,
    ) -> std::io::Result<CgroupGuard> {
        let mut guard = CgroupGuard { dirs: Vec::new() };
        for controller in controllers {
            if let Some(parent) = own.controller_dir(controller) {
                let dir = parent.join(name);
                if !guard.dirs.contains(&dir) {
                    std::fs::create_dir_all(&dir)?;
                    guard.dirs.push(dir);
                }
            }
        }
        Ok(guard)
    }

    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_tree(dir);
        }
    }
}

/// Removes a cgroup directory and its children, deepest first. cgroupfs
/// allows only rmdir, and only once the group is empty.
pub fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&entry.path());
            }
        }
    }
    for _ in 0..50 {
        match std::fs::remove_dir(dir) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => return,
        }
    }
}

#[test]
fn own_cgroup_is_found() {
    let own = OwnCgroup::read();
    assert!(
        own.is_v1() || own.v2.is_some(),
        "no cgroup hierarchy found: {own:?}"
    );
    for dir in own.v1.values().chain(own.v2.iter()) {
        assert!(dir.is_dir(), "{} is not a directory", dir.display());
    }
}
