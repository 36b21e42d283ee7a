//! What the spec builder needs of the daemon (its settings) and of its
//! own process (cgroup, binary, bounding set), put together with the
//! record into the spec a container starts with.

use super::record::ContainerRecord;
use super::{caps, spec};
use crate::daemon::state::Daemon;

/// What the spec builder needs of the daemon's own process, read once at
/// start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecSettings {
    pub own_cgroup: String,
    pub init_binary: std::path::PathBuf,
    pub bounding_caps: Vec<String>,
}

impl SpecSettings {
    /// Read from /proc on first use; the process's own cgroup, binary and
    /// bounding set do not change, so later container starts skip the I/O.
    pub fn detect() -> std::io::Result<SpecSettings> {
        static DETECTED: std::sync::OnceLock<SpecSettings> = std::sync::OnceLock::new();
        if let Some(settings) = DETECTED.get() {
            return Ok(settings.clone());
        }
        let settings = SpecSettings {
            own_cgroup: spec::own_cgroup_path(),
            init_binary: spec::own_binary()?,
            bounding_caps: caps::own_bounding_set(),
        };
        Ok(DETECTED.get_or_init(|| settings).clone())
    }
}

impl Daemon {
    /// The OCI spec of `record`, whose root filesystem is at `rootfs`.
    pub fn build_spec(
        &self,
        record: &ContainerRecord,
        rootfs: &std::path::Path,
        settings: &SpecSettings,
        seccomp: Option<&spec::SeccompHook<'_>>,
    ) -> Result<oci_spec::runtime::Spec, spec::SpecError> {
        let ctx = spec::SpecContext {
            rootfs,
            data_root: &self.config().data_root,
            default_ulimits: &self.config().default_ulimits,
            cgroup_parent: self.config().cgroup_parent.as_deref(),
            own_cgroup: &settings.own_cgroup,
            init_binary: &settings.init_binary,
            bounding_caps: &settings.bounding_caps,
            seccomp,
        };
        spec::build_spec(record, &ctx)
    }
}
