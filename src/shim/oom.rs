//! Whether the kernel's OOM killer struck inside the container's cgroup:
//! `oom_kill` in memory.oom_control (v1) or memory.events (v2).

use std::path::{Path, PathBuf};

/// The memory controller's directory for `cgroups_path` (as the spec has
/// it), under cgroup v1 or v2.
fn memory_dirs(cgroups_path: &str) -> Vec<(PathBuf, &'static str)> {
    let relative = cgroups_path.trim_start_matches('/');
    vec![
        (
            Path::new("/sys/fs/cgroup/memory").join(relative),
            "memory.oom_control",
        ),
        (Path::new("/sys/fs/cgroup").join(relative), "memory.events"),
    ]
}

/// The `oom_kill` counter of a memory.oom_control or memory.events text.
pub fn oom_kills(text: &str) -> u64 {
    text.lines()
        .filter_map(|line| line.strip_prefix("oom_kill "))
        .filter_map(|count| count.trim().parse().ok())
        .next()
        .unwrap_or(0)
}

/// Reads the bundle's config.json for the cgroup and checks its counter.
pub fn was_oom_killed(bundle: &Path) -> bool {
    let Ok(bytes) = std::fs::read(bundle.join("config.json")) else {
        return false;
    };
    let Ok(spec) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let Some(path) = spec
        .pointer("/linux/cgroupsPath")
        .and_then(serde_json::Value::as_str)
    else {
        return false;
    };
    memory_dirs(path).into_iter().any(|(dir, file)| {
        std::fs::read_to_string(dir.join(file)).is_ok_and(|text| oom_kills(&text) > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_of_both_versions() {
        let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
        let v2 = "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(oom_kills(v1), 2);
        assert_eq!(oom_kills(v2), 1);
        assert_eq!(oom_kills("oom 3\n"), 0);
    }
}
