//! One cgroup path, valid in every mounted hierarchy, below the test's own
//! cgroup in each: what `dockerd --cgroup-parent` and `ctr run --cgroup`
//! need, since both pass a single absolute `linux.cgroupsPath` to the runtime
//! and the runtime creates it in every hierarchy (name=systemd included).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// Intermediate directories this test process created, with how many live
/// parents use each: concurrent engines share them, and the last one out
/// removes them.
static SHARED_ANCESTORS: Mutex<BTreeMap<PathBuf, usize>> = Mutex::new(BTreeMap::new());

/// A cgroup path created below our own cgroup in every hierarchy. On drop the
/// processes left in it are killed and every directory this guard or a
/// runtime created below it is removed, along with the intermediate
/// directories the guard itself had to create.
pub struct CgroupParent {
    /// `/a/b/dockbox-dropin-N`, absolute from each hierarchy's root.
    path: String,
    /// The leaf directory in each hierarchy.
    leaves: Vec<PathBuf>,
    /// Intermediate directories we created or share (see
    /// `SHARED_ANCESTORS`), outermost first.
    created: Vec<PathBuf>,
}

struct Hierarchy {
    mount_point: PathBuf,
    root: String,
    own: String,
}

impl CgroupParent {
    /// Picks our deepest own cgroup path. That is below our own cgroup in
    /// every hierarchy only when each other own path is a prefix of it
    /// (true on this host, where all but memory sit at `/`); otherwise
    /// there is no single safe path and the caller must skip.
    pub fn create(label: &str) -> Result<CgroupParent, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let hierarchies = hierarchies()?;
        let deepest = hierarchies
            .iter()
            .map(|h| h.own.as_str())
            .max_by_key(|own| own.len())
            .ok_or("no cgroup hierarchy is mounted")?
            .to_string();
        for hierarchy in &hierarchies {
            if !Path::new(&deepest).starts_with(&hierarchy.own) {
                return Err(format!(
                    "no single cgroup path is below our own cgroup in every hierarchy ({} in {} vs {deepest})",
                    hierarchy.own,
                    hierarchy.mount_point.display()
                ));
            }
        }
        let name = format!(
            "dockbox-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = format!("{}/{name}", deepest.trim_end_matches('/'));
        let mut parent = CgroupParent {
            path: path.clone(),
            leaves: Vec::new(),
            created: Vec::new(),
        };
        for hierarchy in &hierarchies {
            let Some(below_root) = Path::new(&path)
                .strip_prefix(&hierarchy.root)
                .ok()
                .map(Path::to_path_buf)
            else {
                return Err(format!(
                    "{path} is outside the cgroup mounted at {}",
                    hierarchy.mount_point.display()
                ));
            };
            let mut dir = hierarchy.mount_point.clone();
            let mut shared = SHARED_ANCESTORS.lock().unwrap_or_else(|p| p.into_inner());
            let count = below_root.components().count();
            for (index, component) in below_root.components().enumerate() {
                dir.push(component);
                if index + 1 == count {
                    std::fs::create_dir(&dir)
                        .map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
                } else if let Some(users) = shared.get_mut(&dir) {
                    *users += 1;
                    parent.created.push(dir.clone());
                } else if !dir.is_dir() {
                    std::fs::create_dir(&dir)
                        .map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
                    shared.insert(dir.clone(), 1);
                    parent.created.push(dir.clone());
                }
            }
            parent.leaves.push(dir);
        }
        Ok(parent)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The directory of [`CgroupParent::path`] in each hierarchy.
    pub fn leaves(&self) -> &[PathBuf] {
        &self.leaves
    }

    /// `path()/child`, for `ctr run --cgroup`.
    pub fn child(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Every process in the tree, in any hierarchy.
    pub fn pids(&self) -> Vec<i32> {
        let mut pids = Vec::new();
        for leaf in &self.leaves {
            collect_pids(leaf, &mut pids);
        }
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// SIGKILLs whatever is still inside, by pid, until the tree is empty.
    pub fn kill_all(&self) {
        for _ in 0..100 {
            let pids = self.pids();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for CgroupParent {
    fn drop(&mut self) {
        self.kill_all();
        for leaf in &self.leaves {
            super::cgroup::remove_tree(leaf);
        }
        let mut shared = SHARED_ANCESTORS.lock().unwrap_or_else(|p| p.into_inner());
        for dir in self.created.iter().rev() {
            let users = shared.get_mut(dir).map(|users| {
                *users -= 1;
                *users
            });
            if users == Some(0) {
                shared.remove(dir);
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

fn collect_pids(dir: &Path, pids: &mut Vec<i32>) {
    if let Ok(text) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        pids.extend(
            text.lines()
                .filter_map(|line| line.trim().parse::<i32>().ok()),
        );
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                collect_pids(&entry.path(), pids);
            }
        }
    }
}

/// Every mounted cgroup hierarchy (v1 controllers, named ones such as
/// name=systemd, and the unified one) with our place in it.
fn hierarchies() -> Result<Vec<Hierarchy>, String> {
    let membership = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("read /proc/self/cgroup: {e}"))?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("read /proc/self/mountinfo: {e}"))?;
    let mut found: Vec<Hierarchy> = Vec::new();
    for line in mountinfo.lines() {
        let Some((before, after)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = before.split(' ').collect();
        let mut tail = after.split(' ');
        let fstype = tail.next().unwrap_or("");
        let options = tail.nth(1).unwrap_or("");
        let (Some(root), Some(mount_point)) = (fields.get(3), fields.get(4)) else {
            continue;
        };
        // The key /proc/self/cgroup uses for this hierarchy.
        let key: Vec<&str> = match fstype {
            "cgroup2" => Vec::new(),
            "cgroup" => options
                .split(',')
                .filter(|o| {
                    !matches!(*o, "rw" | "ro") && (!o.contains('=') || o.starts_with("name="))
                })
                .filter(|o| !matches!(*o, "nosuid" | "nodev" | "noexec" | "relatime" | "xattr"))
                .filter(|o| !o.starts_with("release_agent") && *o != "clone_children")
                .collect(),
            _ => continue,
        };
        let own = membership.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let listed: Vec<&str> = controllers.split(',').filter(|c| !c.is_empty()).collect();
            let matches = if key.is_empty() {
                listed.is_empty()
            } else {
                !listed.is_empty() && key.iter().all(|k| listed.contains(k))
            };
            matches.then(|| path.to_string())
        });
        let Some(own) = own else { continue };
        let mount_point = PathBuf::from(super::cleanup::unescape_mountinfo(mount_point));
        if found.iter().any(|h| h.mount_point == mount_point) {
            continue;
        }
        found.push(Hierarchy {
            mount_point,
            root: root.to_string(),
            own,
        });
    }
    Ok(found)
}
