//! /proc/self/mountinfo, for the few questions the rootfs setup asks of the
//! host tree: which mount holds the rootfs, where the cgroup hierarchies are.

use super::super::rootfs::{Result, RootfsError};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub root: PathBuf,
    pub mount_point: PathBuf,
    /// Optional fields such as `shared:5` or `master:3`.
    pub optional: Vec<String>,
    pub fs_type: String,
    pub super_options: Vec<String>,
}

impl MountEntry {
    pub fn is_shared(&self) -> bool {
        self.optional
            .iter()
            .any(|field| field.starts_with("shared:"))
    }
}

#[derive(Debug, Default)]
pub struct MountInfo {
    pub entries: Vec<MountEntry>,
}

impl MountInfo {
    pub fn read_own() -> Result<MountInfo> {
        let path = Path::new("/proc/self/mountinfo");
        let text = std::fs::read_to_string(path).map_err(|e| RootfsError::os("read", path, e))?;
        Ok(MountInfo::parse(&text))
    }

    pub fn parse(text: &str) -> MountInfo {
        let entries = text.lines().filter_map(parse_line).collect();
        MountInfo { entries }
    }

    /// The mount that `path` lives on: the deepest mount point above it,
    /// the last mounted when several share it.
    pub fn containing(&self, path: &Path) -> Option<&MountEntry> {
        self.entries
            .iter()
            .filter(|entry| path.starts_with(&entry.mount_point))
            .max_by_key(|entry| entry.mount_point.components().count())
            .and_then(|deepest| {
                self.entries
                    .iter()
                    .rev()
                    .find(|entry| entry.mount_point == deepest.mount_point)
            })
    }
}

/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
fn parse_line(line: &str) -> Option<MountEntry> {
    let (before, after) = line.split_once(" - ")?;
    let mut fields = before.split(' ');
    let root = unescape(fields.nth(3)?);
    let mount_point = unescape(fields.next()?);
    let optional = fields.skip(1).map(str::to_string).collect();
    let mut after = after.split(' ');
    let fs_type = after.next()?.to_string();
    let super_options = after
        .nth(1)
        .unwrap_or("")
        .split(',')
        .map(str::to_string)
        .collect();
    Some(MountEntry {
        root: PathBuf::from(root),
        mount_point: PathBuf::from(mount_point),
        optional,
        fs_type,
        super_options,
    })
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let octal = bytes
            .get(at + 1..at + 4)
            .filter(|d| bytes[at] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        if let Some(digits) = octal {
            out.push(digits.iter().fold(0u8, |acc, d| acc * 8 + (d - b'0')));
            at += 4;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_mountinfo_lines_parse() {
        let table = MountInfo::parse(
            "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n\
             32 31 0:29 /a\\040b /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
             40 27 0:50 / /tmp/x rw - tmpfs tmpfs rw\n",
        );
        assert_eq!(table.entries.len(), 3);
        assert!(table.entries[0].is_shared());
        assert_eq!(table.entries[1].root, Path::new("/a b"));
        assert_eq!(table.entries[1].super_options, vec!["rw", "cpu"]);
        assert_eq!(table.entries[1].fs_type, "cgroup");
        let holder = table.containing(Path::new("/tmp/x/rootfs")).unwrap();
        assert_eq!(holder.mount_point, Path::new("/tmp/x"));
        let holder = table.containing(Path::new("/tmp/xy")).unwrap();
        assert_eq!(holder.mount_point, Path::new("/"));
    }
}
