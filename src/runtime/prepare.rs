//! What `launch` prepares before the clone besides the process: the
//! capability plan and seccomp program (compiled once, cached for exec),
//! the cgroup manager and the device rules every container gets.

use super::caps::CapabilityPlan;
use super::cgroups::CgroupManager;
use super::container::RuntimeError;
use oci_spec::runtime::{LinuxDeviceCgroup, LinuxDeviceType, LinuxResources, Spec};

/// Capabilities and the seccomp program, prepared before the clone so that
/// the init only applies them (and exec loads the cached program).
pub(crate) struct Security {
    pub capabilities: Option<CapabilityPlan>,
    pub seccomp: Option<super::seccomp::CompiledSeccomp>,
}

/// We apply neither AppArmor profiles nor SELinux labels (`features` says
/// so): asking for one is an error rather than a silent no-op.
pub(crate) fn refuse_unsupported_labels(
    process: Option<&oci_spec::runtime::Process>,
) -> Result<(), RuntimeError> {
    let Some(process) = process else {
        return Ok(());
    };
    if let Some(profile) = process
        .apparmor_profile()
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        return Err(RuntimeError::Spec(format!(
            "apparmor profile {profile:?} requested, but dockbox does not apply AppArmor profiles"
        )));
    }
    if let Some(label) = process.selinux_label().as_deref().filter(|l| !l.is_empty()) {
        return Err(RuntimeError::Spec(format!(
            "selinux label {label:?} requested, but dockbox does not apply SELinux labels"
        )));
    }
    Ok(())
}

impl Security {
    pub(crate) fn from_spec(spec: &Spec) -> Result<Security, RuntimeError> {
        refuse_unsupported_labels(spec.process().as_ref())?;
        let capabilities = spec
            .process()
            .as_ref()
            .and_then(|process| process.capabilities().as_ref())
            .map(CapabilityPlan::new)
            .transpose()?;
        let seccomp = spec
            .linux()
            .as_ref()
            .and_then(|linux| linux.seccomp().as_ref())
            .map(super::seccomp::compile)
            .transpose()?;
        Ok(Security {
            capabilities,
            seccomp,
        })
    }
}

/// The container's cgroup manager. As runc with `--rootless=auto`, a
/// non-root caller that may not create it goes on without one.
pub(crate) fn open_cgroup(
    spec: &Spec,
    id: &str,
) -> Result<Option<Box<dyn CgroupManager>>, RuntimeError> {
    let path = spec
        .linux()
        .as_ref()
        .and_then(|linux| linux.cgroups_path().as_ref())
        .map(|path| path.to_string_lossy().into_owned());
    let explicit = path.as_deref().is_some_and(|path| !path.is_empty());
    let manager = super::cgroups::manager(path.as_deref(), id)?;
    // Without root, as runc's --rootless=auto: go on without a cgroup the
    // caller may not make, unless the spec named one (then it must exist
    // or be creatable, i.e. delegated).
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        match manager.create() {
            Ok(()) => {}
            Err(error) if explicit => return Err(error.into()),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(manager))
}

/// The devices every container may use, appended to the spec's device
/// rules as runc 1.1.5 does: mknod of any node, the standard nodes, ptys,
/// the console and tun. The path names a standard node, whose rule is left
/// out when `linux.devices` lists that path (the spec's node replaces it,
/// and only `linux.resources.devices` then decides its access).
const DEFAULT_ALLOWED_DEVICES: &[DefaultDevice] = {
    use LinuxDeviceType::{B, C};
    let node = DefaultDevice::node;
    let rule = DefaultDevice::rule;
    &[
        rule(C, None, None, "m"),
        rule(B, None, None, "m"),
        node("/dev/null", 1, 3),
        node("/dev/random", 1, 8),
        node("/dev/full", 1, 7),
        node("/dev/tty", 5, 0),
        node("/dev/zero", 1, 5),
        node("/dev/urandom", 1, 9),
        rule(C, Some(136), None, "rwm"),
        rule(C, Some(5), Some(2), "rwm"),
        rule(C, Some(10), Some(200), "rwm"),
    ]
};

/// One of [`DEFAULT_ALLOWED_DEVICES`].
struct DefaultDevice {
    path: Option<&'static str>,
    kind: LinuxDeviceType,
    major: Option<i64>,
    minor: Option<i64>,
    access: &'static str,
}

impl DefaultDevice {
    const fn rule(
        kind: LinuxDeviceType,
        major: Option<i64>,
        minor: Option<i64>,
        access: &'static str,
    ) -> DefaultDevice {
        DefaultDevice {
            path: None,
            kind,
            major,
            minor,
            access,
        }
    }

    /// A standard character node, with full access.
    const fn node(path: &'static str, major: i64, minor: i64) -> DefaultDevice {
        DefaultDevice {
            path: Some(path),
            kind: LinuxDeviceType::C,
            major: Some(major),
            minor: Some(minor),
            access: "rwm",
        }
    }
}

/// The cgroup's resources with the device rules runc 1.1.5 gives it:
/// `linux.resources.devices` in order, then the default allowed devices.
/// Nodes in `linux.devices` get no rule of their own: they are made in the
/// container, but only the cgroup rules decide whether they may be used
/// (the list starts from deny-all, so an empty one denies all but the
/// defaults).
pub(crate) fn resources_with_default_devices(spec: &Spec) -> Option<LinuxResources> {
    let linux = spec.linux().as_ref()?;
    let mut resources = linux.resources().clone().unwrap_or_default();
    let mut rules = resources.devices().clone().unwrap_or_default();
    let listed = |path: &str| {
        linux
            .devices()
            .iter()
            .flatten()
            .any(|device| device.path().as_os_str() == path)
    };
    for device in DEFAULT_ALLOWED_DEVICES {
        if device.path.is_some_and(listed) {
            continue;
        }
        let mut rule = LinuxDeviceCgroup::default();
        rule.set_allow(true);
        rule.set_typ(Some(device.kind));
        rule.set_major(device.major);
        rule.set_minor(device.minor);
        rule.set_access(Some(device.access.to_string()));
        rules.push(rule);
    }
    resources.set_devices(Some(rules));
    Some(resources)
}
