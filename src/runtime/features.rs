//! `runc features`: what this runtime implements, as runtime-spec
//! features.md and features-linux.md describe it.
//!
//! Every list is derived from the code that does the work, never typed in
//! twice: hook names from [`HookStage`], seccomp names from the seccomp
//! module's tables, cgroup versions from the managers that exist. What
//! other modules own (mount options, namespaces, LSM support) comes in
//! through [`Implemented`], filled by the applet from those modules, and
//! what depends on the running kernel through [`HostProbe`]. [`features`]
//! itself is pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hooks::HookStage;
use super::seccomp;

/// The oldest config.json `ociVersion` the runtime accepts.
pub const OCI_VERSION_MIN: &str = "1.0.0";

/// What other runtime modules implement; the applet fills it from them.
#[derive(Clone, Debug, Default)]
pub struct Implemented<'a> {
    /// Mount options the mount code recognises (the `options` of
    /// config.json `mounts`, not filesystem data).
    pub mount_options: &'a [&'a str],
    /// `linux.namespaces[].type` values the launcher can create or join.
    pub namespaces: &'a [&'a str],
    /// `process.apparmorProfile` is applied (not merely refused).
    pub apparmor: bool,
    /// `process.selinuxLabel` / `linux.mountLabel` are applied.
    pub selinux: bool,
    /// `mounts[].uidMappings`/`gidMappings` are parsed and used.
    pub idmap_mounts: bool,
}

/// What the running kernel offers, read once by [`HostProbe::detect`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostProbe {
    /// /proc/sys/kernel/cap_last_cap.
    pub last_cap: u8,
    /// The `SECCOMP_FILTER_FLAG_*` names of [`seccomp::SUPPORTED_FLAGS`]
    /// that the kernel accepts.
    pub seccomp_flags: Vec<&'static str>,
}

impl HostProbe {
    pub fn detect() -> HostProbe {
        HostProbe {
            last_cap: super::caps::last_supported_cap(),
            seccomp_flags: seccomp::SUPPORTED_FLAGS
                .iter()
                .copied()
                .filter(|name| kernel_accepts_seccomp_flag(name))
                .collect(),
        }
    }
}

/// seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL) checks the flag before it
/// reads the program: EFAULT means the flag is known, EINVAL that it is
/// not. Nothing is installed either way.
fn kernel_accepts_seccomp_flag(name: &str) -> bool {
    let flag = match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => libc::SECCOMP_FILTER_FLAG_TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => libc::SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        _ => return false,
    };
    // SAFETY: a NULL program makes the kernel fail with EFAULT before it
    // changes anything; no memory of ours is read or written.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flag as libc::c_ulong,
            std::ptr::null::<libc::c_void>(),
        )
    };
    rc == -1 && nix::errno::Errno::last() == nix::errno::Errno::EFAULT
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    pub oci_version_min: String,
    pub oci_version_max: String,
    pub hooks: Vec<String>,
    pub mount_options: Vec<String>,
    pub linux: LinuxFeatures,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxFeatures {
    pub namespaces: Vec<String>,
    pub capabilities: Vec<String>,
    pub cgroup: CgroupFeatures,
    pub seccomp: SeccompFeatures,
    pub apparmor: Enabled,
    pub selinux: Enabled,
    pub intel_rdt: Enabled,
    pub mount_extensions: MountExtensions,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CgroupFeatures {
    pub v1: bool,
    pub v2: bool,
    pub systemd: bool,
    pub systemd_user: bool,
    pub rdma: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompFeatures {
    pub enabled: bool,
    pub actions: Vec<String>,
    pub operators: Vec<String>,
    pub archs: Vec<String>,
    pub known_flags: Vec<String>,
    pub supported_flags: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MountExtensions {
    pub idmap: Enabled,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Capability names up to `last_cap`, in kernel number order as runc
/// lists them.
fn capability_names(last_cap: u8) -> Vec<String> {
    let mut known: Vec<caps::Capability> = caps::all()
        .into_iter()
        .filter(|cap| cap.index() <= last_cap)
        .collect();
    known.sort_by_key(|cap| cap.index());
    known.iter().map(|cap| cap.to_string()).collect()
}

/// The features document for this build on this host.
pub fn features(implemented: &Implemented, host: &HostProbe) -> Features {
    let mut annotations = BTreeMap::new();
    annotations.insert(
        "org.dockbox.version".to_string(),
        crate::version::VERSION.to_string(),
    );
    annotations.insert(
        "org.dockbox.commit".to_string(),
        crate::version::COMMIT.to_string(),
    );
    annotations.insert(
        "org.dockbox.seccomp.backend".to_string(),
        "seccompiler".to_string(),
    );
    let mut namespaces = strings(implemented.namespaces);
    namespaces.sort();
    let mut mount_options = strings(implemented.mount_options);
    mount_options.sort();
    mount_options.dedup();
    Features {
        oci_version_min: OCI_VERSION_MIN.to_string(),
        oci_version_max: crate::version::OCI_SPEC_VERSION.to_string(),
        hooks: HookStage::ALL
            .iter()
            .map(|s| s.name().to_string())
            .collect(),
        mount_options,
        linux: LinuxFeatures {
            namespaces,
            capabilities: capability_names(host.last_cap),
            // Both managers exist (cgroups::v1 and ::v2); cgroupsPath in
            // systemd's slice:prefix:name form is refused, and there is no
            // rdma controller support.
            cgroup: CgroupFeatures {
                v1: true,
                v2: true,
                systemd: false,
                systemd_user: false,
                rdma: false,
            },
            seccomp: SeccompFeatures {
                enabled: true,
                actions: strings(seccomp::SUPPORTED_ACTIONS),
                operators: strings(seccomp::SUPPORTED_OPERATORS),
                archs: strings(seccomp::SUPPORTED_ARCHES),
                known_flags: strings(seccomp::SUPPORTED_FLAGS),
                supported_flags: seccomp::SUPPORTED_FLAGS
                    .iter()
                    .filter(|flag| host.seccomp_flags.contains(flag))
                    .map(|flag| flag.to_string())
                    .collect(),
            },
            apparmor: Enabled {
                enabled: implemented.apparmor,
            },
            selinux: Enabled {
                enabled: implemented.selinux,
            },
            intel_rdt: Enabled { enabled: false },
            mount_extensions: MountExtensions {
                idmap: Enabled {
                    enabled: implemented.idmap_mounts,
                },
            },
        },
        annotations,
    }
}

impl Features {
    /// JSON indented by four spaces, as `runc features` prints it.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.serialize(&mut serializer)
            .expect("serializing plain structs cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMESPACES: &[&str] = &["uts", "cgroup", "ipc", "mount", "network", "pid", "user"];
    const MOUNT_OPTIONS: &[&str] = &["ro", "bind", "rbind", "nosuid", "ro"];

    fn sample(host: &HostProbe) -> Features {
        features(
            &Implemented {
                mount_options: MOUNT_OPTIONS,
                namespaces: NAMESPACES,
                ..Implemented::default()
            },
            host,
        )
    }

    fn host() -> HostProbe {
        HostProbe {
            last_cap: 40,
            seccomp_flags: vec!["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"],
        }
    }

    #[test]
    fn shape_matches_runtime_spec_features() {
        let json: serde_json::Value = serde_json::from_str(&sample(&host()).to_json()).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            keys(&json),
            [
                "annotations",
                "hooks",
                "linux",
                "mountOptions",
                "ociVersionMax",
                "ociVersionMin"
            ]
        );
        assert_eq!(
            keys(&json["linux"]),
            [
                "apparmor",
                "capabilities",
                "cgroup",
                "intelRdt",
                "mountExtensions",
                "namespaces",
                "seccomp",
                "selinux"
            ]
        );
        assert_eq!(
            json["linux"]["cgroup"],
            serde_json::json!({"v1": true, "v2": true, "systemd": false, "systemdUser": false, "rdma": false})
        );
        assert_eq!(
            keys(&json["linux"]["seccomp"]),
            [
                "actions",
                "archs",
                "enabled",
                "knownFlags",
                "operators",
                "supportedFlags"
            ]
        );
        assert_eq!(
            json["linux"]["apparmor"],
            serde_json::json!({"enabled": false})
        );
        assert_eq!(
            json["linux"]["selinux"],
            serde_json::json!({"enabled": false})
        );
        assert_eq!(
            json["linux"]["intelRdt"],
            serde_json::json!({"enabled": false})
        );
        assert_eq!(json["ociVersionMin"], "1.0.0");
        assert_eq!(json["ociVersionMax"], crate::version::OCI_SPEC_VERSION);
        assert_eq!(
            json["annotations"]["org.dockbox.version"],
            crate::version::VERSION
        );
    }

    #[test]
    fn printed_like_runc_with_four_space_indent() {
        let text = sample(&host()).to_json();
        assert!(
            text.starts_with("{\n    \"ociVersionMin\": \"1.0.0\",\n"),
            "{text}"
        );
    }

    #[test]
    fn hooks_are_every_stage_in_lifecycle_order() {
        assert_eq!(
            sample(&host()).hooks,
            [
                "prestart",
                "createRuntime",
                "createContainer",
                "startContainer",
                "poststart",
                "poststop"
            ]
        );
    }

    #[test]
    fn seccomp_lists_are_what_compile_accepts() {
        let features = sample(&host());
        let seccomp = &features.linux.seccomp;
        assert!(seccomp.enabled);
        assert!(seccomp.actions.iter().any(|a| a == "SCMP_ACT_NOTIFY"));
        // Every listed action and operator compiles.
        for action in &seccomp.actions {
            for op in &seccomp.operators {
                let profile: oci_spec::runtime::LinuxSeccomp =
                    serde_json::from_value(serde_json::json!({
                        "defaultAction": "SCMP_ACT_ALLOW",
                        "architectures": seccomp.archs,
                        "syscalls": [{"names": ["mkdir"], "action": action,
                                      "args": [{"index": 1, "value": 7, "valueTwo": 7, "op": op}]}]
                    }))
                    .unwrap();
                seccomp::compile(&profile)
                    .unwrap_or_else(|e| panic!("{action} {op} is listed but fails: {e}"));
            }
        }
        // supportedFlags is the kernel's share of knownFlags, in its order.
        assert_eq!(seccomp.known_flags, strings(seccomp::SUPPORTED_FLAGS));
        assert_eq!(
            seccomp.supported_flags,
            ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"]
        );
    }

    #[test]
    fn capabilities_stop_at_the_kernels_last() {
        let all = sample(&host()).linux.capabilities;
        assert_eq!(all.first().map(String::as_str), Some("CAP_CHOWN"));
        assert_eq!(all.len(), 41);
        assert_eq!(
            all.last().map(String::as_str),
            Some("CAP_CHECKPOINT_RESTORE")
        );
        let old_kernel = sample(&HostProbe {
            last_cap: 37,
            ..host()
        })
        .linux
        .capabilities;
        assert_eq!(old_kernel.len(), 38);
        assert_eq!(
            old_kernel.last().map(String::as_str),
            Some("CAP_AUDIT_READ")
        );
        assert!(!old_kernel.iter().any(|c| c == "CAP_BPF"));
    }

    #[test]
    fn inputs_from_other_modules_are_passed_through_sorted() {
        let features = sample(&host());
        assert_eq!(
            features.linux.namespaces,
            ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"]
        );
        assert_eq!(features.mount_options, ["bind", "nosuid", "rbind", "ro"]);
        let with_lsm = features_with(true);
        assert!(with_lsm.linux.apparmor.enabled && with_lsm.linux.selinux.enabled);
        assert!(with_lsm.linux.mount_extensions.idmap.enabled);
    }

    fn features_with(flag: bool) -> Features {
        features(
            &Implemented {
                apparmor: flag,
                selinux: flag,
                idmap_mounts: flag,
                ..Implemented::default()
            },
            &host(),
        )
    }

    #[test]
    fn the_host_probe_reads_this_kernel() {
        let probe = HostProbe::detect();
        let expected: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(probe.last_cap, expected);
        // Every kernel since 4.17 has all three flags we know.
        assert_eq!(probe.seccomp_flags, seccomp::SUPPORTED_FLAGS);
    }

    /// Every key Debian's runc 1.1.5 prints is in ours, and the lists that
    /// do not depend on what we implement agree with it.
    #[test]
    fn agrees_with_debians_runc_where_it_should() {
        let Ok(output) = std::process::Command::new("/usr/sbin/runc")
            .arg("features")
            .output()
        else {
            crate::test_skip::report("/usr/sbin/runc is not installed");
            return;
        };
        let theirs: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let ours: serde_json::Value =
            serde_json::from_str(&sample(&HostProbe::detect()).to_json()).unwrap();
        fn missing_keys(
            theirs: &serde_json::Value,
            ours: &serde_json::Value,
            at: &str,
            out: &mut Vec<String>,
        ) {
            if let (Some(theirs), Some(ours)) = (theirs.as_object(), ours.as_object()) {
                for (key, value) in theirs {
                    match ours.get(key) {
                        Some(mine) => missing_keys(value, mine, &format!("{at}.{key}"), out),
                        None => out.push(format!("{at}.{key}")),
                    }
                }
            }
        }
        let mut missing = Vec::new();
        missing_keys(&theirs, &ours, "", &mut missing);
        // runc names its own annotations; ours are dockbox's.
        missing.retain(|key| !key.starts_with(".annotations."));
        assert!(missing.is_empty(), "keys runc has and we lack: {missing:?}");
        assert_eq!(ours["hooks"], theirs["hooks"]);
        assert_eq!(
            ours["linux"]["capabilities"],
            theirs["linux"]["capabilities"]
        );
        assert_eq!(ours["linux"]["namespaces"], theirs["linux"]["namespaces"]);
        assert_eq!(
            ours["linux"]["seccomp"]["operators"],
            theirs["linux"]["seccomp"]["operators"]
        );
        for list in ["actions", "archs"] {
            let theirs = theirs["linux"]["seccomp"][list].as_array().unwrap();
            for item in ours["linux"]["seccomp"][list].as_array().unwrap() {
                assert!(theirs.contains(item), "{list}: {item} is not one of runc's");
            }
        }
    }
}
