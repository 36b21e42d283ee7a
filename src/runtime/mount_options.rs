//! fstab-style mount options of the OCI spec, split the way runc splits them:
//! mount(2) flags, propagation changes applied after the mount, recursive
//! attributes for mount_setattr(2), and the rest as filesystem data.

use libc::c_ulong;

/// What a spec mount's `options` ask for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// MS_* flags for mount(2).
    pub flags: c_ulong,
    /// One mount(2) call each, in order, after the mount itself.
    pub propagation: Vec<c_ulong>,
    /// MOUNT_ATTR_* bits set and cleared recursively (`rro`, `rnosuid`, ...).
    pub recursive_set: u64,
    pub recursive_clear: u64,
    /// Everything else, comma-joined, for the filesystem (`mode=755`, ...).
    pub data: String,
    /// `tmpcopyup`: fill a new tmpfs with what the directory held before.
    pub copy_up: bool,
}

/// (option, clears the flag, MS_* flag), as in fstab and mount(8).
const FLAGS: &[(&str, bool, c_ulong)] = &[
    ("acl", false, libc::MS_POSIXACL),
    ("async", true, libc::MS_SYNCHRONOUS),
    ("atime", true, libc::MS_NOATIME),
    ("bind", false, libc::MS_BIND),
    ("defaults", false, 0),
    ("dev", true, libc::MS_NODEV),
    ("diratime", true, libc::MS_NODIRATIME),
    ("dirsync", false, libc::MS_DIRSYNC),
    ("exec", true, libc::MS_NOEXEC),
    ("iversion", false, libc::MS_I_VERSION),
    ("lazytime", false, libc::MS_LAZYTIME),
    ("loud", true, libc::MS_SILENT),
    ("mand", false, libc::MS_MANDLOCK),
    ("noacl", true, libc::MS_POSIXACL),
    ("noatime", false, libc::MS_NOATIME),
    ("nodev", false, libc::MS_NODEV),
    ("nodiratime", false, libc::MS_NODIRATIME),
    ("noexec", false, libc::MS_NOEXEC),
    ("noiversion", true, libc::MS_I_VERSION),
    ("nolazytime", true, libc::MS_LAZYTIME),
    ("nomand", true, libc::MS_MANDLOCK),
    ("norelatime", true, libc::MS_RELATIME),
    ("nostrictatime", true, libc::MS_STRICTATIME),
    ("nosuid", false, libc::MS_NOSUID),
    ("rbind", false, libc::MS_BIND | libc::MS_REC),
    ("relatime", false, libc::MS_RELATIME),
    ("remount", false, libc::MS_REMOUNT),
    ("ro", false, libc::MS_RDONLY),
    ("rw", true, libc::MS_RDONLY),
    ("silent", false, libc::MS_SILENT),
    ("strictatime", false, libc::MS_STRICTATIME),
    ("suid", true, libc::MS_NOSUID),
    ("sync", false, libc::MS_SYNCHRONOUS),
];

const PROPAGATION: &[(&str, c_ulong)] = &[
    ("private", libc::MS_PRIVATE),
    ("rprivate", libc::MS_PRIVATE | libc::MS_REC),
    ("shared", libc::MS_SHARED),
    ("rshared", libc::MS_SHARED | libc::MS_REC),
    ("slave", libc::MS_SLAVE),
    ("rslave", libc::MS_SLAVE | libc::MS_REC),
    ("unbindable", libc::MS_UNBINDABLE),
    ("runbindable", libc::MS_UNBINDABLE | libc::MS_REC),
];

pub const MOUNT_ATTR_RDONLY: u64 = 0x1;
pub const MOUNT_ATTR_NOSUID: u64 = 0x2;
pub const MOUNT_ATTR_NODEV: u64 = 0x4;
pub const MOUNT_ATTR_NOEXEC: u64 = 0x8;
pub const MOUNT_ATTR__ATIME: u64 = 0x70;
pub const MOUNT_ATTR_RELATIME: u64 = 0x0;
pub const MOUNT_ATTR_NOATIME: u64 = 0x10;
pub const MOUNT_ATTR_STRICTATIME: u64 = 0x20;
pub const MOUNT_ATTR_NODIRATIME: u64 = 0x80;

/// (option, clears the attribute, MOUNT_ATTR_*): runc's recursive options.
const RECURSIVE: &[(&str, bool, u64)] = &[
    ("rro", false, MOUNT_ATTR_RDONLY),
    ("rrw", true, MOUNT_ATTR_RDONLY),
    ("rnosuid", false, MOUNT_ATTR_NOSUID),
    ("rsuid", true, MOUNT_ATTR_NOSUID),
    ("rnodev", false, MOUNT_ATTR_NODEV),
    ("rdev", true, MOUNT_ATTR_NODEV),
    ("rnoexec", false, MOUNT_ATTR_NOEXEC),
    ("rexec", true, MOUNT_ATTR_NOEXEC),
    ("rnodiratime", false, MOUNT_ATTR_NODIRATIME),
    ("rdiratime", true, MOUNT_ATTR_NODIRATIME),
];

/// The atime modes are one field, not bits: setting one clears the field.
const RECURSIVE_ATIME: &[(&str, u64)] = &[
    ("rrelatime", MOUNT_ATTR_RELATIME),
    ("rnoatime", MOUNT_ATTR_NOATIME),
    ("rstrictatime", MOUNT_ATTR_STRICTATIME),
];

impl MountOptions {
    /// Splits `options`; unknown words are filesystem data, as in runc.
    pub fn parse<S: AsRef<str>>(options: &[S]) -> MountOptions {
        let mut parsed = MountOptions::default();
        let mut data: Vec<&str> = Vec::new();
        for option in options.iter().map(AsRef::as_ref) {
            if let Some(&(_, clear, flag)) = FLAGS.iter().find(|(name, ..)| *name == option) {
                if clear {
                    parsed.flags &= !flag;
                } else {
                    parsed.flags |= flag;
                }
            } else if let Some(&(_, flag)) = PROPAGATION.iter().find(|(name, _)| *name == option) {
                parsed.propagation.push(flag);
            } else if let Some(&(_, clear, attr)) =
                RECURSIVE.iter().find(|(name, ..)| *name == option)
            {
                if clear {
                    parsed.recursive_clear |= attr;
                    parsed.recursive_set &= !attr;
                } else {
                    parsed.recursive_set |= attr;
                    parsed.recursive_clear &= !attr;
                }
            } else if let Some(&(_, attr)) =
                RECURSIVE_ATIME.iter().find(|(name, _)| *name == option)
            {
                parsed.recursive_clear |= MOUNT_ATTR__ATIME;
                parsed.recursive_set = (parsed.recursive_set & !MOUNT_ATTR__ATIME) | attr;
            } else if option == "tmpcopyup" {
                parsed.copy_up = true;
            } else {
                data.push(option);
            }
        }
        parsed.data = data.join(",");
        parsed
    }

    pub fn is_bind(&self) -> bool {
        self.flags & libc::MS_BIND != 0
    }

    pub fn has_recursive_attributes(&self) -> bool {
        self.recursive_set != 0 || self.recursive_clear != 0
    }
}

/// `linux.rootfsPropagation`: the propagation of the host tree seen from
/// the container. runc makes it `rslave` when unset, so that host mounts
/// still reach the container but nothing goes back.
pub fn parse_rootfs_propagation(value: Option<&str>) -> Option<c_ulong> {
    match value {
        None | Some("") => Some(libc::MS_SLAVE | libc::MS_REC),
        Some(name) => PROPAGATION
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, flag)| flag),
    }
}

/// Every option name [`MountOptions::parse`] recognises, for `features`.
pub fn option_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = FLAGS
        .iter()
        .map(|(name, ..)| *name)
        .chain(PROPAGATION.iter().map(|(name, _)| *name))
        .chain(RECURSIVE.iter().map(|(name, ..)| *name))
        .chain(RECURSIVE_ATIME.iter().map(|(name, _)| *name))
        .chain(["tmpcopyup"])
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_flags_and_data_split_like_runc() {
        let parsed = MountOptions::parse(&[
            "nosuid",
            "strictatime",
            "mode=755",
            "size=65536k",
            "ro",
            "rw",
            "rslave",
            "private",
        ]);
        assert_eq!(parsed.flags, libc::MS_NOSUID | libc::MS_STRICTATIME);
        assert_eq!(parsed.data, "mode=755,size=65536k");
        assert_eq!(
            parsed.propagation,
            vec![libc::MS_SLAVE | libc::MS_REC, libc::MS_PRIVATE]
        );
        assert!(!parsed.is_bind());
    }

    #[test]
    fn rootfs_clearing_options_undo_earlier_ones() {
        let parsed = MountOptions::parse(&[
            "rbind",
            "ro",
            "nosuid",
            "suid",
            "nodev",
            "dev",
            "noexec",
            "exec",
            "noatime",
            "atime",
            "relatime",
            "norelatime",
            "strictatime",
            "nostrictatime",
            "nodiratime",
            "sync",
            "async",
            "mand",
            "remount",
        ]);
        assert_eq!(
            parsed.flags,
            libc::MS_BIND
                | libc::MS_REC
                | libc::MS_RDONLY
                | libc::MS_NODIRATIME
                | libc::MS_MANDLOCK
                | libc::MS_REMOUNT
        );
        assert!(parsed.is_bind());
        assert_eq!(parsed.data, "");
    }

    #[test]
    fn rootfs_recursive_attributes_and_copy_up() {
        let parsed = MountOptions::parse(&["rro", "rnosuid", "rnoatime", "tmpcopyup"]);
        assert_eq!(
            parsed.recursive_set,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME
        );
        assert_eq!(parsed.recursive_clear, MOUNT_ATTR__ATIME);
        assert!(parsed.copy_up);
        assert_eq!(parsed.flags, 0);
    }

    #[test]
    fn rootfs_propagation_default_is_rslave() {
        assert_eq!(
            parse_rootfs_propagation(None),
            Some(libc::MS_SLAVE | libc::MS_REC)
        );
        assert_eq!(
            parse_rootfs_propagation(Some("rprivate")),
            Some(libc::MS_PRIVATE | libc::MS_REC)
        );
        assert_eq!(
            parse_rootfs_propagation(Some("shared")),
            Some(libc::MS_SHARED)
        );
        assert_eq!(parse_rootfs_propagation(Some("bogus")), None);
    }
}
