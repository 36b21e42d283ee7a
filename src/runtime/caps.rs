//! The five capability sets of `process.capabilities`, applied around the
//! switch to the container user so that a non-root user keeps its ambient
//! capabilities:
//!
//! ```text
//! let plan = CapabilityPlan::new(&caps)?;   // before fork: parses, allocates
//! plan.prepare_for_setuid()?;               // PR_SET_KEEPCAPS, drop bounding set
//! setgroups/setgid/setuid(...)
//! plan.apply_after_setuid()?;               // E, P, I in one capset, then ambient
//! ```
//!
//! The two steps only make syscalls, so they are safe between fork and exec.
//! Names the caps crate does not know are an error; capabilities the running
//! kernel lacks (above /proc/sys/kernel/cap_last_cap) are skipped, as runc
//! skips them.

use std::str::FromStr;

use oci_spec::runtime::{Capabilities, LinuxCapabilities};

#[derive(Debug, thiserror::Error)]
pub enum CapError {
    #[error("capabilities: unknown capability {0:?}")]
    Unknown(String),
    #[error(
        "capabilities: capset: EPERM: not held by the runtime, so they cannot be granted: {}",
        names(*missing)
    )]
    NotHeld { missing: u64 },
    #[error("capabilities: {operation}: {errno}")]
    Syscall {
        operation: &'static str,
        errno: nix::errno::Errno,
    },
}

/// The sets as bit masks, restricted to what the kernel knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapabilityPlan {
    pub bounding: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub permitted: u64,
    pub ambient: u64,
    last_cap: u8,
}

fn names(mask: u64) -> String {
    let mut names: Vec<String> = caps::all()
        .into_iter()
        .filter(|cap| mask & cap.bitmask() != 0)
        .map(|cap| cap.to_string())
        .collect();
    names.sort();
    let unnamed = (0..64).filter(|bit| {
        mask & (1 << bit) != 0 && !caps::all().iter().any(|c| u32::from(c.index()) == *bit)
    });
    names.extend(unnamed.map(|bit| format!("capability {bit}")));
    names.join(", ")
}

/// Parses `CAP_NET_ADMIN` or `NET_ADMIN` (any case).
pub fn parse_capability(name: &str) -> Result<caps::Capability, CapError> {
    let upper = name.to_ascii_uppercase();
    let canonical = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    caps::Capability::from_str(&canonical).map_err(|_| CapError::Unknown(name.to_string()))
}

/// The highest capability number the running kernel supports.
pub fn last_supported_cap() -> u8 {
    if let Some(last) = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        return last;
    }
    // No /proc: probe the bounding set, which answers EINVAL past the end.
    let mut last = 0;
    // SAFETY: PR_CAPBSET_READ only reads.
    while last < 63 && unsafe { libc::prctl(libc::PR_CAPBSET_READ, last + 1, 0, 0, 0) } >= 0 {
        last += 1;
    }
    last as u8
}

fn mask_of(set: &Option<Capabilities>, last_cap: u8) -> Result<u64, CapError> {
    let mut mask = 0u64;
    for cap in set.iter().flatten() {
        let parsed = parse_capability(&cap.to_string())?;
        if parsed.index() <= last_cap {
            mask |= parsed.bitmask();
        }
    }
    Ok(mask)
}

impl CapabilityPlan {
    pub fn new(capabilities: &LinuxCapabilities) -> Result<CapabilityPlan, CapError> {
        let last_cap = last_supported_cap();
        Ok(CapabilityPlan {
            bounding: mask_of(capabilities.bounding(), last_cap)?,
            effective: mask_of(capabilities.effective(), last_cap)?,
            inheritable: mask_of(capabilities.inheritable(), last_cap)?,
            permitted: mask_of(capabilities.permitted(), last_cap)?,
            ambient: mask_of(capabilities.ambient(), last_cap)?,
            last_cap,
        })
    }

    /// Keeps the permitted set across setuid and shrinks the bounding set
    /// (which needs CAP_SETPCAP, still held here).
    pub fn prepare_for_setuid(&self) -> Result<(), CapError> {
        prctl("prctl(PR_SET_KEEPCAPS, 1)", libc::PR_SET_KEEPCAPS, 1)?;
        for cap in 0..=self.last_cap {
            if self.bounding & (1 << cap) == 0 {
                prctl(
                    "prctl(PR_CAPBSET_DROP)",
                    libc::PR_CAPBSET_DROP,
                    cap as libc::c_ulong,
                )?;
            }
        }
        Ok(())
    }

    /// Sets effective, permitted and inheritable at once, then the ambient
    /// set (each ambient capability must be permitted and inheritable).
    pub fn apply_after_setuid(&self) -> Result<(), CapError> {
        capset(self.effective, self.permitted, self.inheritable)?;
        prctl("prctl(PR_SET_KEEPCAPS, 0)", libc::PR_SET_KEEPCAPS, 0)?;
        ambient(libc::PR_CAP_AMBIENT_CLEAR_ALL, 0)?;
        // The kernel refuses an ambient capability that is not both
        // permitted and inheritable; runc's default spec asks for such ones
        // (no inheritable set), and runc goes on without them.
        let raisable = self.ambient & self.permitted & self.inheritable;
        for cap in 0..=self.last_cap {
            if raisable & (1 << cap) != 0 {
                ambient(libc::PR_CAP_AMBIENT_RAISE, cap as libc::c_ulong)?;
            }
        }
        Ok(())
    }
}

fn prctl(operation: &'static str, option: libc::c_int, arg: libc::c_ulong) -> Result<(), CapError> {
    // SAFETY: these prctl options take integer arguments only.
    if unsafe { libc::prctl(option, arg, 0, 0, 0) } < 0 {
        return Err(CapError::Syscall {
            operation,
            errno: nix::errno::Errno::last(),
        });
    }
    Ok(())
}

fn ambient(operation: libc::c_int, cap: libc::c_ulong) -> Result<(), CapError> {
    // SAFETY: PR_CAP_AMBIENT takes integer arguments only.
    let rc = unsafe { libc::prctl(libc::PR_CAP_AMBIENT, operation as libc::c_ulong, cap, 0, 0) };
    if rc < 0 {
        let name = if operation == libc::PR_CAP_AMBIENT_RAISE {
            "prctl(PR_CAP_AMBIENT_RAISE)"
        } else {
            "prctl(PR_CAP_AMBIENT_CLEAR_ALL)"
        };
        return Err(CapError::Syscall {
            operation: name,
            errno: nix::errno::Errno::last(),
        });
    }
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

fn capset(effective: u64, permitted: u64, inheritable: u64) -> Result<(), CapError> {
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let word = |mask: u64, high: bool| {
        if high {
            (mask >> 32) as u32
        } else {
            mask as u32
        }
    };
    let data = [false, true].map(|high| CapData {
        effective: word(effective, high),
        permitted: word(permitted, high),
        inheritable: word(inheritable, high),
    });
    // SAFETY: header and two data words, as _LINUX_CAPABILITY_VERSION_3 wants.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) };
    if rc != 0 {
        let errno = nix::errno::Errno::last();
        if errno == nix::errno::Errno::EPERM
            && let Some(held) = held_permitted()
        {
            let missing = (permitted | effective) & !held;
            if missing != 0 {
                return Err(CapError::NotHeld { missing });
            }
        }
        return Err(CapError::Syscall {
            operation: "capset",
            errno,
        });
    }
    Ok(())
}

/// The calling thread's permitted set.
fn held_permitted() -> Option<u64> {
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and room for two data words.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &header as *const CapHeader,
            data.as_mut_ptr(),
        )
    };
    (rc == 0).then(|| u64::from(data[0].permitted) | (u64::from(data[1].permitted) << 32))
}

#[cfg(test)]
mod tests;

/// The capability lists of a `process` object as JSON, with the names
/// this build does not know taken out; returns those names in order.
/// oci-spec's enum refuses an unknown name (the whole spec would fail to
/// parse); runc 1.1.5 ignores it with a warning, and so do we.
pub fn take_unknown_names(process: &mut serde_json::Value) -> Vec<String> {
    let mut unknown = Vec::new();
    let Some(sets) = process
        .get_mut("capabilities")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return unknown;
    };
    for set in sets.values_mut() {
        let Some(names) = set.as_array_mut() else {
            continue;
        };
        names.retain(|name| {
            let Some(text) = name.as_str() else {
                return true;
            };
            let known = parse_capability(text).is_ok()
                && serde_json::from_value::<oci_spec::runtime::Capability>(name.clone()).is_ok();
            if !known && !unknown.iter().any(|seen| seen == text) {
                unknown.push(text.to_string());
            }
            known
        });
    }
    unknown
}

/// runc's warning for [`take_unknown_names`]: `[CAP_A CAP_B]` as Go
/// prints a slice.
pub fn unknown_names_warning(names: &[String]) -> String {
    format!(
        "ignoring unknown or unavailable capabilities: [{}]",
        names.join(" ")
    )
}
