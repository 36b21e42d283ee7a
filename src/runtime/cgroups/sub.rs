//! `runc exec --cgroup`: the new process joins an existing sub-cgroup of
//! the container's cgroup instead of the container's own. The argument is
//! `PATH` (every controller) or `CONTROLLER[,CONTROLLER...]:PATH`, the
//! latter repeatable; cgroup v2 has one tree, so only the first form.

use super::{CgroupError, CgroupPaths, clean};
use std::collections::BTreeMap;

/// Parsed `--cgroup` arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubCgroups {
    /// A path for every controller (and the unified tree).
    all: Option<String>,
    /// Controller name to path, v1 only.
    per_controller: BTreeMap<String, String>,
}

impl SubCgroups {
    pub fn parse(arguments: &[String]) -> Result<SubCgroups, CgroupError> {
        let mut parsed = SubCgroups::default();
        if let [only] = arguments
            && !only.contains(':')
        {
            parsed.all = Some(only.clone());
            return Ok(parsed);
        }
        for argument in arguments {
            let Some((controllers, path)) = argument.split_once(':') else {
                return Err(invalid(format!("invalid --cgroup argument: {argument}")));
            };
            if path.contains(':') {
                return Err(invalid(format!("invalid --cgroup argument: {argument}")));
            }
            for controller in controllers.split(',') {
                if controller.is_empty() {
                    return Err(invalid(format!(
                        "invalid --cgroup argument: {argument} (empty controller)"
                    )));
                }
                if parsed
                    .per_controller
                    .insert(controller.to_string(), path.to_string())
                    .is_some()
                {
                    return Err(invalid(format!(
                        "invalid --cgroup argument(s): controller {controller} specified multiple times"
                    )));
                }
            }
        }
        Ok(parsed)
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.per_controller.is_empty()
    }

    /// The container's directories with the sub-cgroups joined on (see
    /// [`check_joinable`] for whether they exist). `..` cannot climb above
    /// the container's cgroup.
    pub fn apply_to(&self, container: &CgroupPaths) -> Result<CgroupPaths, CgroupError> {
        let mut paths = container.clone();
        let v1_names: Vec<&str> = container.v1.keys().map(String::as_str).collect();
        for controller in self.per_controller.keys() {
            let known = v1_names
                .iter()
                .any(|name| name.split(',').any(|part| part == controller));
            if !known {
                // runc's words ("unknown controller X in SubCgroupPaths").
                return Err(invalid(format!(
                    "--cgroup: unknown controller {controller} (not mounted as a cgroup v1 hierarchy)"
                )));
            }
        }
        for (name, dir) in paths.v1.iter_mut() {
            let sub = name
                .split(',')
                .find_map(|part| self.per_controller.get(part))
                .or(self.all.as_ref());
            if let Some(sub) = sub {
                *dir = joined(dir, sub)?;
            }
        }
        if let (Some(dir), Some(sub)) = (paths.unified.as_mut(), self.all.as_ref()) {
            *dir = joined(dir, sub)?;
        }
        Ok(paths)
    }
}

fn joined(base: &std::path::Path, sub: &str) -> Result<std::path::PathBuf, CgroupError> {
    if climbs_out(sub) {
        // runc's words: a `..` that leaves the container's cgroup is an
        // error, not the container's own cgroup.
        return Err(invalid(format!(
            "invalid --cgroup argument: {sub} is not a sub cgroup path"
        )));
    }
    Ok(base.join(clean(sub)))
}

/// Whether the process `pid` can join every directory of `paths`, which
/// `--cgroup` names and which must exist already (runc joins, it does not
/// create): each `cgroup.procs` opens for writing. The error reads as
/// runc's ("error adding pid N to cgroups: ... DIR/cgroup.procs: no such
/// file or directory").
pub fn check_joinable(paths: &CgroupPaths, pid: i32) -> Result<(), CgroupError> {
    for dir in paths.v1.values().chain(paths.unified.iter()) {
        let procs = dir.join("cgroup.procs");
        if let Err(error) = std::fs::OpenOptions::new().write(true).open(&procs) {
            let errno = error.raw_os_error().unwrap_or(libc::EIO);
            return Err(invalid(format!(
                "error adding pid {pid} to cgroups: open {}: {}",
                procs.display(),
                nix::errno::Errno::from_raw(errno).desc().to_lowercase()
            )));
        }
    }
    Ok(())
}

/// Whether `sub` (relative to the container's cgroup, a leading `/`
/// included) names a place above it.
fn climbs_out(sub: &str) -> bool {
    let mut depth = 0usize;
    for component in std::path::Path::new(sub).components() {
        match component {
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::ParentDir if depth == 0 => return true,
            std::path::Component::ParentDir => depth -= 1,
            _ => {}
        }
    }
    false
}

fn invalid(message: String) -> CgroupError {
    CgroupError::Invalid(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_parse_as_runc_reads_them() {
        let all = SubCgroups::parse(&args(&["sub/x"])).unwrap();
        assert_eq!(all.all.as_deref(), Some("sub/x"));
        let some = SubCgroups::parse(&args(&["cpu,memory:a", "pids:b"])).unwrap();
        assert_eq!(
            some.per_controller.get("memory").map(String::as_str),
            Some("a")
        );
        assert_eq!(
            some.per_controller.get("pids").map(String::as_str),
            Some("b")
        );
        assert!(SubCgroups::parse(&args(&[":a"])).is_err());
        assert!(SubCgroups::parse(&args(&["a", "b"])).is_err());
        assert!(SubCgroups::parse(&args(&["cpu:a", "cpu:b"])).is_err());
    }

    #[test]
    fn unknown_controllers_and_missing_directories_are_refused() {
        let base = std::env::temp_dir().join(format!("subcg-{}", std::process::id()));
        std::fs::create_dir_all(base.join("memory/sub")).unwrap();
        let mut container = CgroupPaths::default();
        container.v1.insert("memory".into(), base.join("memory"));
        let sub = SubCgroups::parse(&args(&["memory:/x/../sub"])).unwrap();
        assert_eq!(
            sub.apply_to(&container).unwrap().v1["memory"],
            base.join("memory/sub")
        );
        // Above the container's cgroup: refused in runc's words.
        for above in ["..", "memory:../sub", "/sub/../../x"] {
            let error = SubCgroups::parse(&args(&[above]))
                .unwrap()
                .apply_to(&container)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("is not a sub cgroup path"),
                "{above}: {error}"
            );
        }
        assert!(
            SubCgroups::parse(&args(&["cpu:sub"]))
                .unwrap()
                .apply_to(&container)
                .is_err()
        );
        let missing = SubCgroups::parse(&args(&["nope"]))
            .unwrap()
            .apply_to(&container)
            .unwrap();
        let error = check_joinable(&missing, 42).unwrap_err().to_string();
        assert!(
            error.contains("error adding pid 42 to cgroups: open ")
                && error.ends_with("/memory/nope/cgroup.procs: no such file or directory"),
            "{error}"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
