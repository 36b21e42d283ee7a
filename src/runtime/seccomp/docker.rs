//! Docker's seccomp profile format (moby's: `archMap`, and per rule
//! `includes`/`excludes` by capability, architecture and kernel version)
//! turned into an OCI `linux.seccomp` for one container.
//!
//! The rules of Docker's default profile are kept as data in
//! `docker-default.json` (Apache-2.0, from moby's `profiles/seccomp`).

use oci_spec::runtime::LinuxSeccomp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{SeccompArch, SeccompError};

const DEFAULT_PROFILE: &str = include_str!("docker-default.json");

/// Docker's default profile for a container whose bounding set is
/// `capabilities` (names like `CAP_SYS_ADMIN`), on this machine.
pub fn docker_default(capabilities: &[String]) -> Result<LinuxSeccomp, SeccompError> {
    let arch =
        SeccompArch::native().ok_or(SeccompError::UnsupportedArch(std::env::consts::ARCH))?;
    docker_default_for(capabilities, arch, running_kernel())
}

/// Docker's default profile for `capabilities`, `arch` and a kernel
/// version `(major, minor)`.
pub fn docker_default_for(
    capabilities: &[String],
    arch: SeccompArch,
    kernel: (u32, u32),
) -> Result<LinuxSeccomp, SeccompError> {
    convert_docker_profile(DEFAULT_PROFILE, capabilities, arch, kernel)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerProfile {
    default_action: String,
    #[serde(default)]
    default_errno_ret: Option<u32>,
    #[serde(default)]
    arch_map: Vec<ArchMapEntry>,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    syscalls: Vec<DockerSyscall>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMapEntry {
    architecture: String,
    #[serde(default)]
    sub_architectures: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerSyscall {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    names: Vec<String>,
    action: String,
    #[serde(default)]
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Option<Vec<Value>>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    min_kernel: Option<String>,
}

/// Converts a profile in Docker's format (`--security-opt seccomp=FILE`).
pub fn convert_docker_profile(
    profile_json: &str,
    capabilities: &[String],
    arch: SeccompArch,
    kernel: (u32, u32),
) -> Result<LinuxSeccomp, SeccompError> {
    let error = |what: String| SeccompError::DockerProfile(what);
    let profile: DockerProfile =
        serde_json::from_str(profile_json).map_err(|e| error(format!("parsing: {e}")))?;
    let has_cap = |cap: &String| capabilities.iter().any(|c| c == cap);

    let mut architectures = profile.architectures.clone();
    for entry in &profile.arch_map {
        if entry.architecture == arch.oci_name() {
            architectures.push(entry.architecture.clone());
            architectures.extend(entry.sub_architectures.iter().flatten().cloned());
        }
    }

    let mut syscalls = Vec::new();
    for call in &profile.syscalls {
        if call.name.is_some() && !call.names.is_empty() {
            return Err(error(format!(
                "rule {:?}: use either 'name' or 'names', not both",
                call.name
            )));
        }
        let excluded = call.excludes.arches.iter().any(|a| a == arch.go_name())
            || call.excludes.caps.iter().any(has_cap)
            || at_least(&call.excludes.min_kernel, kernel)?.unwrap_or(false);
        let included = (call.includes.arches.is_empty()
            || call.includes.arches.iter().any(|a| a == arch.go_name()))
            && call.includes.caps.iter().all(has_cap)
            && at_least(&call.includes.min_kernel, kernel)?.unwrap_or(true);
        if excluded || !included {
            continue;
        }
        let names: Vec<String> = call.name.iter().chain(&call.names).cloned().collect();
        let mut rule = json!({ "names": names, "action": call.action });
        if let Some(errno) = call.errno_ret {
            rule["errnoRet"] = json!(errno);
        }
        if let Some(args) = &call.args {
            rule["args"] = json!(args);
        }
        syscalls.push(rule);
    }

    let mut oci = json!({
        "defaultAction": profile.default_action,
        "architectures": architectures,
        "syscalls": syscalls,
    });
    if let Some(errno) = profile.default_errno_ret {
        oci["defaultErrnoRet"] = json!(errno);
    }
    if !profile.flags.is_empty() {
        oci["flags"] = json!(profile.flags);
    }
    serde_json::from_value(oci).map_err(|e| error(format!("converting to OCI: {e}")))
}

/// Whether `kernel` is at least `min` ("4.8"); None when no minimum is set.
fn at_least(min: &Option<String>, kernel: (u32, u32)) -> Result<Option<bool>, SeccompError> {
    let Some(min) = min else {
        return Ok(None);
    };
    let wanted = parse_version(min)
        .ok_or_else(|| SeccompError::DockerProfile(format!("bad minKernel {min:?}")))?;
    Ok(Some(kernel >= wanted))
}

fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()
        .map(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    Some((major, minor))
}

/// The running kernel's `(major, minor)`, (0, 0) when unreadable.
pub fn running_kernel() -> (u32, u32) {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .and_then(|release| parse_version(release.trim()))
        .unwrap_or((0, 0))
}
