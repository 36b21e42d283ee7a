//! Which namespaces a container gets: new ones become clone(2) flags, ones
//! given by `path` are joined with setns(2) before the clone, and the
//! user-namespace id maps are written by the parent.

use oci_spec::runtime::{LinuxIdMapping, LinuxNamespaceType, Spec};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    #[error("duplicate namespace type {0:?} in linux.namespaces")]
    Duplicate(LinuxNamespaceType),
    #[error("namespace type {0:?} is not supported")]
    Unsupported(LinuxNamespaceType),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("user namespace without linux.uidMappings and linux.gidMappings")]
    NoMappings,
    #[error("sysctl {0:?} is not allowed in the host's {1} namespace")]
    SysctlInHostNamespace(String, &'static str),
    #[error("sysctl {0:?} is not in a separate kernel namespace")]
    SysctlNotNamespaced(String),
}

/// A namespace to enter, opened before anything changes.
#[derive(Debug)]
pub struct Join {
    pub kind: LinuxNamespaceType,
    pub path: PathBuf,
    pub fd: OwnedFd,
}

#[derive(Debug, Default)]
pub struct NamespacePlan {
    /// CLONE_NEW* flags of the namespaces to create.
    pub clone_flags: libc::c_int,
    /// Namespaces to join, user first (it grants the rights to join the rest).
    pub joins: Vec<Join>,
}

impl NamespacePlan {
    pub fn from_spec(spec: &Spec) -> Result<NamespacePlan, NamespaceError> {
        let mut plan = NamespacePlan::default();
        let mut seen = Vec::new();
        let namespaces = spec
            .linux()
            .as_ref()
            .and_then(|linux| linux.namespaces().as_ref());
        for namespace in namespaces.into_iter().flatten() {
            let kind = namespace.typ();
            if seen.contains(&kind) {
                return Err(NamespaceError::Duplicate(kind));
            }
            seen.push(kind);
            let flag = clone_flag(kind)?;
            match namespace.path() {
                Some(path) if !path.as_os_str().is_empty() => {
                    let file = std::fs::File::open(path).map_err(|source| NamespaceError::Io {
                        op: "open namespace",
                        path: path.clone(),
                        source,
                    })?;
                    plan.joins.push(Join {
                        kind,
                        path: path.clone(),
                        fd: file.into(),
                    });
                }
                _ => plan.clone_flags |= flag,
            }
        }
        plan.joins
            .sort_by_key(|join| join.kind != LinuxNamespaceType::User);
        Ok(plan)
    }

    pub fn creates(&self, kind: LinuxNamespaceType) -> bool {
        clone_flag(kind).is_ok_and(|flag| self.clone_flags & flag != 0)
    }

    pub fn joins_kind(&self, kind: LinuxNamespaceType) -> bool {
        self.joins.iter().any(|join| join.kind == kind)
    }

    /// Enters every namespace to join. Runs in the helper process only:
    /// joining a user namespace cannot be undone.
    pub fn enter_joins(&self) -> Result<(), NamespaceError> {
        for join in &self.joins {
            let flag = clone_flag(join.kind)?;
            // SAFETY: setns on an fd we own.
            if unsafe { libc::setns(join.fd.as_raw_fd(), flag) } != 0 {
                return Err(NamespaceError::Io {
                    op: "setns",
                    path: join.path.clone(),
                    source: std::io::Error::last_os_error(),
                });
            }
        }
        Ok(())
    }
}

impl NamespacePlan {
    /// Whether the container has a namespace of `kind` in its spec, new or
    /// joined by path: runc's `Namespaces.Contains`.
    pub fn has(&self, kind: LinuxNamespaceType) -> bool {
        self.creates(kind) || self.joins_kind(kind)
    }

    /// runc's rule: a sysctl may be set only when it lives in a namespace
    /// the container does not share with the host; anything else would
    /// change the host.
    pub fn check_sysctl(&self, key: &str) -> Result<(), NamespaceError> {
        const IPC_KEYS: &[&str] = &[
            "kernel.msgmax",
            "kernel.msgmnb",
            "kernel.msgmni",
            "kernel.sem",
            "kernel.shmall",
            "kernel.shmmax",
            "kernel.shmmni",
            "kernel.shm_rmid_forced",
        ];
        let (kind, name) = if key.starts_with("net.") {
            (LinuxNamespaceType::Network, "network")
        } else if IPC_KEYS.contains(&key) || key.starts_with("fs.mqueue.") {
            (LinuxNamespaceType::Ipc, "ipc")
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            (LinuxNamespaceType::Uts, "uts")
        } else {
            return Err(NamespaceError::SysctlNotNamespaced(key.to_string()));
        };
        if self.has(kind) {
            Ok(())
        } else {
            Err(NamespaceError::SysctlInHostNamespace(key.to_string(), name))
        }
    }
}

fn clone_flag(kind: LinuxNamespaceType) -> Result<libc::c_int, NamespaceError> {
    Ok(match kind {
        LinuxNamespaceType::Pid => libc::CLONE_NEWPID,
        LinuxNamespaceType::Mount => libc::CLONE_NEWNS,
        LinuxNamespaceType::Uts => libc::CLONE_NEWUTS,
        LinuxNamespaceType::Ipc => libc::CLONE_NEWIPC,
        LinuxNamespaceType::Network => libc::CLONE_NEWNET,
        LinuxNamespaceType::Cgroup => libc::CLONE_NEWCGROUP,
        LinuxNamespaceType::User => libc::CLONE_NEWUSER,
        other => return Err(NamespaceError::Unsupported(other)),
    })
}

/// Writes uid_map and gid_map of `pid` from the spec; the child waits
/// until this is done. As root we may write gid_map without denying
/// setgroups first; without root (rootless) the kernel lets us map only
/// our own gid, and only once setgroups is denied, as runc does.
pub fn write_id_maps(pid: i32, spec: &Spec) -> Result<(), NamespaceError> {
    let linux = spec.linux().as_ref();
    let uid = linux.and_then(|l| l.uid_mappings().as_ref());
    let gid = linux.and_then(|l| l.gid_mappings().as_ref());
    let (Some(uid), Some(gid)) = (uid, gid) else {
        return Err(NamespaceError::NoMappings);
    };
    write_map(&PathBuf::from(format!("/proc/{pid}/uid_map")), uid)?;
    if !nix::unistd::geteuid().is_root() {
        let path = PathBuf::from(format!("/proc/{pid}/setgroups"));
        std::fs::write(&path, "deny").map_err(|source| NamespaceError::Io {
            op: "write",
            path,
            source,
        })?;
    }
    write_map(&PathBuf::from(format!("/proc/{pid}/gid_map")), gid)
}

fn write_map(path: &Path, mappings: &[LinuxIdMapping]) -> Result<(), NamespaceError> {
    let text: String = mappings
        .iter()
        .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
        .collect();
    std::fs::write(path, text).map_err(|source| NamespaceError::Io {
        op: "write",
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(namespaces: serde_json::Value) -> Spec {
        serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2",
            "linux": {"namespaces": namespaces}
        }))
        .unwrap()
    }

    #[test]
    fn new_namespaces_become_flags() {
        let plan = NamespacePlan::from_spec(&spec_with(serde_json::json!([
            {"type": "pid"}, {"type": "network"}, {"type": "mount"}
        ])))
        .unwrap();
        assert_eq!(
            plan.clone_flags,
            libc::CLONE_NEWPID | libc::CLONE_NEWNET | libc::CLONE_NEWNS
        );
        assert!(plan.joins.is_empty());
    }

    #[test]
    fn duplicates_are_refused() {
        let error = NamespacePlan::from_spec(&spec_with(serde_json::json!([
            {"type": "pid"}, {"type": "pid"}
        ])))
        .unwrap_err();
        assert!(error.to_string().contains("duplicate"), "{error}");
    }

    #[test]
    fn sysctls_need_their_namespace() {
        let plan = NamespacePlan::from_spec(&spec_with(serde_json::json!([
            {"type": "network"}, {"type": "mount"}
        ])))
        .unwrap();
        assert!(plan.check_sysctl("net.ipv4.ip_forward").is_ok());
        let ipc = plan.check_sysctl("kernel.shmmax").unwrap_err();
        assert!(ipc.to_string().contains("host's ipc namespace"), "{ipc}");
        assert!(plan.check_sysctl("vm.swappiness").is_err());
    }

    #[test]
    fn paths_are_joined_user_first() {
        let plan = NamespacePlan::from_spec(&spec_with(serde_json::json!([
            {"type": "network", "path": "/proc/self/ns/net"},
            {"type": "user", "path": "/proc/self/ns/user"}
        ])))
        .unwrap();
        assert_eq!(plan.clone_flags, 0);
        assert_eq!(plan.joins[0].kind, LinuxNamespaceType::User);
    }
}
