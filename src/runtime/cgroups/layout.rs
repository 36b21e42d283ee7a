//! Which cgroup hierarchies are mounted, and where the calling process sits
//! in each (from /proc/self/mountinfo and /proc/self/cgroup).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::CgroupError;

/// The one named (controller-less) v1 hierarchy a container joins, as in
/// runc; failing to join it is no error.
pub const NAMED_SYSTEMD: &str = "name=systemd";

/// One mounted hierarchy and the caller's cgroup in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub mount_point: PathBuf,
    /// The cgroup the mount shows at its root (not `/` inside a cgroup
    /// namespace or a bind mount).
    pub root: String,
    /// The caller's cgroup in this hierarchy, as /proc/self/cgroup says.
    pub own: String,
}

impl Mount {
    /// The caller's own cgroup directory.
    pub fn own_dir(&self) -> PathBuf {
        let relative = self
            .own
            .strip_prefix(self.root.as_str())
            .unwrap_or(&self.own);
        self.mount_point.join(relative.trim_start_matches('/'))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hierarchies {
    /// v1 controller name to its hierarchy (co-mounted controllers share one).
    pub v1: BTreeMap<String, Mount>,
    pub unified: Option<Mount>,
}

impl Hierarchies {
    pub fn read() -> Result<Hierarchies, CgroupError> {
        let read = |path: &'static str| {
            std::fs::read_to_string(path).map_err(|source| CgroupError::Io {
                operation: "read",
                path: PathBuf::from(path),
                source,
            })
        };
        Ok(Hierarchies::parse(
            &read("/proc/self/mountinfo")?,
            &read("/proc/self/cgroup")?,
        ))
    }

    pub fn parse(mountinfo: &str, membership: &str) -> Hierarchies {
        let mut own_v1: BTreeMap<&str, &str> = BTreeMap::new();
        let mut own_unified = None;
        for line in membership.lines() {
            let mut fields = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if controllers.is_empty() {
                own_unified = Some(path);
            }
            // Named hierarchies hold no controller; runc joins the
            // container to name=systemd's (only), so we keep that one.
            for controller in controllers
                .split(',')
                .filter(|c| !c.is_empty() && (!c.starts_with("name=") || *c == NAMED_SYSTEMD))
            {
                own_v1.insert(controller, path);
            }
        }
        let mut hierarchies = Hierarchies::default();
        for line in mountinfo.lines() {
            let Some((before, after)) = line.split_once(" - ") else {
                continue;
            };
            let fields: Vec<&str> = before.split(' ').collect();
            let mut tail = after.split(' ');
            let fstype = tail.next().unwrap_or("");
            let super_options = tail.nth(1).unwrap_or("");
            let (Some(root), Some(mount_point)) = (fields.get(3), fields.get(4)) else {
                continue;
            };
            let mount = |own: &str| Mount {
                mount_point: PathBuf::from(unescape(mount_point)),
                root: unescape(root),
                own: own.to_string(),
            };
            if fstype == "cgroup2" {
                if let (Some(own), None) = (own_unified, &hierarchies.unified) {
                    hierarchies.unified = Some(mount(own));
                }
            } else if fstype == "cgroup" {
                for option in super_options.split(',') {
                    if let Some(own) = own_v1.get(option) {
                        hierarchies
                            .v1
                            .entry(option.to_string())
                            .or_insert_with(|| mount(own));
                    }
                }
            }
        }
        hierarchies
    }
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let octal = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap_or("");
            if let Ok(value) = u8::from_str_radix(octal, 8) {
                out.push(value);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_layout_with_nested_memory_cgroup() {
        let mountinfo = "\
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
43 31 0:40 / /sys/fs/cgroup/elogind rw,relatime - cgroup cgroup rw,name=elogind
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
42 31 0:39 /outer /mnt/my\\040cg rw - cgroup cgroup rw,pids
";
        let membership = "10:name=elogind:/e\n9:name=systemd:/s\n8:pids:/outer/inner\n4:memory:/process_api/x\n1:cpu:/\n0::/\n";
        let h = Hierarchies::parse(mountinfo, membership);
        assert_eq!(
            h.v1["memory"].own_dir(),
            PathBuf::from("/sys/fs/cgroup/memory/process_api/x")
        );
        assert_eq!(h.v1["cpu"].own_dir(), PathBuf::from("/sys/fs/cgroup/cpu"));
        assert_eq!(h.v1["pids"].own_dir(), PathBuf::from("/mnt/my cg/inner"));
        assert_eq!(
            h.v1["name=systemd"].own_dir(),
            PathBuf::from("/sys/fs/cgroup/systemd/s")
        );
        assert!(
            !h.v1.contains_key("name=elogind"),
            "only systemd's is joined"
        );
        assert!(
            !h.v1.contains_key("cpuacct"),
            "cpuacct is not in /proc/self/cgroup"
        );
        assert_eq!(
            h.unified.unwrap().own_dir(),
            PathBuf::from("/sys/fs/cgroup/unified")
        );
    }

    #[test]
    fn pure_v2_layout() {
        let mountinfo = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = Hierarchies::parse(mountinfo, "0::/user.slice/session-1.scope\n");
        assert!(h.v1.is_empty());
        assert_eq!(
            h.unified.unwrap().own_dir(),
            PathBuf::from("/sys/fs/cgroup/user.slice/session-1.scope")
        );
    }
}
