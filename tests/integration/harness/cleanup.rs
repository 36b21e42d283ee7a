//! Guards that undo what a test created, on success and on panic alike.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory below the system temp dir. On drop, everything mounted
/// below it is detached (deepest first) and the tree is removed.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "dockbox-test-{label}-{}-{unique}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.path.join(relative)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        unmount_below(&self.path);
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Every mount point at or below `root` in this mount namespace.
pub fn mounts_below(root: &Path) -> Vec<PathBuf> {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mountinfo(field)))
        .filter(|mount_point| mount_point.starts_with(root))
        .collect()
}

/// Detaches every mount at or below `root`, deepest first.
pub fn unmount_below(root: &Path) {
    let mut mount_points = mounts_below(root);
    mount_points.sort_by_key(|path| std::cmp::Reverse(path.components().count()));
    for mount_point in mount_points {
        let _ = nix::mount::umount2(&mount_point, nix::mount::MntFlags::MNT_DETACH);
    }
}

/// mountinfo writes space, tab, newline and backslash as `\ooo` octal.
pub fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)));
        match octal {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |acc, d| acc * 8 + (d - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Kills a process by pid on drop (never by name) and reaps it when it is
/// our child.
pub struct ProcessGuard {
    child: Option<Child>,
    pid: i32,
}

impl ProcessGuard {
    pub fn child(child: Child) -> ProcessGuard {
        ProcessGuard {
            pid: child.id() as i32,
            child: Some(child),
        }
    }

    pub fn pid(pid: i32) -> ProcessGuard {
        ProcessGuard { child: None, pid }
    }

    pub fn id(&self) -> i32 {
        self.pid
    }

    pub fn child_mut(&mut self) -> Option<&mut Child> {
        self.child.as_mut()
    }

    /// Gives the child back, disarming the guard.
    pub fn into_child(mut self) -> Option<Child> {
        self.pid = 0;
        self.child.take()
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        } else if self.pid > 0 {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

#[test]
fn mountinfo_octal_escapes_decode() {
    assert_eq!(unescape_mountinfo(r"/tmp/a\040b"), "/tmp/a b");
    assert_eq!(unescape_mountinfo(r"/x\134y"), r"/x\y");
    assert_eq!(unescape_mountinfo("/plain"), "/plain");
}
