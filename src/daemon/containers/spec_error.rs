//! Why a container's OCI spec could not be built: shared by the spec
//! builder and the mounts it assembles.

use super::user::UserError;
use oci_spec::OciSpecError;

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("error gathering device information while adding custom device {path:?}: {reason}")]
    Device { path: String, reason: String },
    #[error("invalid device cgroup rule format: '{0}'")]
    DeviceRule(String),
    #[error("seccomp profile: {0}")]
    Seccomp(String),
    #[error("assemble OCI spec: {0}")]
    Assemble(String),
}

impl From<OciSpecError> for SpecError {
    fn from(error: OciSpecError) -> SpecError {
        SpecError::Assemble(error.to_string())
    }
}
