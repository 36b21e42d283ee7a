//! The seccomp filter a container's spec gets: Docker's default profile,
//! or the inline profile of `--security-opt seccomp=...`, for the
//! container's capabilities on this machine.

use crate::runtime::seccomp::{
    SeccompArch, convert_docker_profile, docker_default, running_kernel,
};
use oci_spec::runtime::LinuxSeccomp;

/// `profile` is "" for Docker's default or a profile's JSON; "unconfined"
/// and privileged containers never reach here (the spec builder skips
/// them).
pub fn filter_for(capabilities: &[String], profile: &str) -> Result<Option<LinuxSeccomp>, String> {
    let filter = if profile.is_empty() {
        docker_default(capabilities)
    } else {
        let arch = SeccompArch::native()
            .ok_or_else(|| format!("unsupported architecture {}", std::env::consts::ARCH))?;
        convert_docker_profile(profile, capabilities, arch, running_kernel())
    };
    filter.map(Some).map_err(|e| e.to_string())
}
