//! Capabilities: names, Docker's default set, and the CapAdd/CapDrop
//! arithmetic of moby's `caps.TweakCapabilities`.

/// Every capability the kernel knows, by number.
const ALL: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Docker's default set (moby `oci/caps/defaults.go`), in its order.
pub const DEFAULT: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// `net_admin`, `CAP_NET_ADMIN` -> `CAP_NET_ADMIN`; `None` if unknown.
pub fn normalize(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    ALL.iter().copied().find(|known| *known == full)
}

/// The capabilities in a `CapBnd:` hex mask (from /proc/self/status).
pub fn from_mask(mask: u64) -> Vec<String> {
    ALL.iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, name)| name.to_string())
        .collect()
}

/// The daemon's own bounding set, which is all `--privileged` can grant.
pub fn own_bounding_set() -> Vec<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("CapBnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    from_mask(mask)
}

/// The set a container gets: Docker's default, or every capability of
/// `bounding` when privileged, then CapAdd and CapDrop as moby applies
/// them (`ALL` in CapAdd adds the bounding set, in CapDrop empties the
/// base; an explicit add wins over a drop).
pub fn effective(
    privileged: bool,
    bounding: &[String],
    cap_add: &[String],
    cap_drop: &[String],
) -> Vec<String> {
    if privileged {
        return bounding.to_vec();
    }
    let adds: Vec<&str> = cap_add.iter().filter_map(|c| normalize(c)).collect();
    let drops: Vec<&str> = cap_drop.iter().filter_map(|c| normalize(c)).collect();
    let add_all = cap_add.iter().any(|c| c.eq_ignore_ascii_case("ALL"));
    let drop_all = cap_drop.iter().any(|c| c.eq_ignore_ascii_case("ALL"));
    let base: Vec<String> = if add_all {
        bounding.to_vec()
    } else if drop_all {
        Vec::new()
    } else {
        DEFAULT
            .iter()
            .filter(|c| !drops.contains(c))
            .map(|c| c.to_string())
            .collect()
    };
    let mut caps = base;
    if add_all && !drop_all {
        caps.retain(|c| !drops.contains(&c.as_str()));
    }
    for add in adds {
        if !caps.iter().any(|c| c == add) {
            caps.push(add.to_string());
        }
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_and_masks() {
        assert_eq!(normalize("net_admin"), Some("CAP_NET_ADMIN"));
        assert_eq!(normalize("CAP_SYS_ADMIN"), Some("CAP_SYS_ADMIN"));
        assert_eq!(normalize("bogus"), None);
        assert_eq!(
            from_mask(0b101),
            strings(&["CAP_CHOWN", "CAP_DAC_READ_SEARCH"])
        );
        // This host lacks CAP_SYS_RESOURCE (bit 24) in the bounding set.
        let without = from_mask(((1u64 << 41) - 1) & !(1 << 24));
        assert_eq!(without.len(), ALL.len() - 1);
        assert!(!without.contains(&"CAP_SYS_RESOURCE".to_string()));
        assert!(!own_bounding_set().is_empty());
    }

    #[test]
    fn add_and_drop() {
        let bounding = strings(&["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"]);
        assert_eq!(effective(false, &bounding, &[], &[]), strings(DEFAULT));
        assert_eq!(
            effective(true, &bounding, &[], &strings(&["ALL"])),
            bounding
        );
        assert!(effective(false, &bounding, &[], &strings(&["ALL"])).is_empty());
        assert_eq!(
            effective(
                false,
                &bounding,
                &strings(&["net_admin"]),
                &strings(&["ALL"])
            ),
            strings(&["CAP_NET_ADMIN"])
        );
        let dropped = effective(false, &bounding, &[], &strings(&["CAP_NET_RAW", "mknod"]));
        assert_eq!(dropped.len(), DEFAULT.len() - 2);
        assert!(!dropped.contains(&"CAP_NET_RAW".to_string()));
        assert_eq!(
            effective(false, &bounding, &strings(&["ALL"]), &strings(&["kill"])),
            strings(&["CAP_CHOWN", "CAP_SYS_ADMIN"])
        );
    }
}
