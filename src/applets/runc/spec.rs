//! `runc spec`: the default config.json runc writes, tab-indented as Go's
//! json.MarshalIndent does, and its rootless variant.

use anyhow::Context;
use serde_json::{Value, json};
use std::path::Path;

pub fn default_spec() -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": true,
            "user": {"uid": 0, "gid": 0},
            "args": ["sh"],
            "env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm"
            ],
            "cwd": "/",
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps, "ambient": caps
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "runc",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                {"type": "mount"}
            ],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                "/proc/scsi"
            ],
            "readonlyPaths": [
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
            ]
        }
    })
}

/// runc's rootless changes: a user namespace mapping the caller, no
/// network namespace, /sys bound from the host, no resources, and devpts
/// without gid=5 (unmapped).
pub fn make_rootless(spec: &mut Value) {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let linux = &mut spec["linux"];
    linux["resources"].take();
    if let Some(object) = linux.as_object_mut() {
        object.remove("resources");
    }
    linux["uidMappings"] = json!([{"containerID": 0, "hostID": uid, "size": 1}]);
    linux["gidMappings"] = json!([{"containerID": 0, "hostID": gid, "size": 1}]);
    if let Some(namespaces) = linux["namespaces"].as_array_mut() {
        namespaces.retain(|ns| ns["type"] != "network");
        namespaces.push(json!({"type": "user"}));
    }
    if let Some(mounts) = spec["mounts"].as_array_mut() {
        for mount in mounts.iter_mut() {
            if mount["type"] == "sysfs" {
                *mount = json!({"destination": "/sys", "type": "none", "source": "/sys",
                    "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]});
            } else if let Some(options) = mount.get_mut("options").and_then(Value::as_array_mut) {
                options.retain(|o| o != "gid=5");
            }
        }
    }
}

pub fn write_spec(bundle: &Path, rootless: bool) -> anyhow::Result<i32> {
    let path = bundle.join("config.json");
    if path.exists() {
        anyhow::bail!("File {} exists. Remove it first", "config.json");
    }
    let mut spec = default_spec();
    if rootless {
        make_rootless(&mut spec);
    }
    let mut out = String::new();
    write_go_indented(&spec, 0, &mut out);
    std::fs::write(&path, out).with_context(|| format!("write {}", path.display()))?;
    Ok(0)
}

/// Keys in the order of runc's Go structs; serde_json's map is sorted.
/// One order fits every object in the default spec (rlimits: type, hard,
/// soft; mounts: destination, type, source, options).
const KEY_ORDER: &[&str] = &[
    "ociVersion",
    "process",
    "terminal",
    "user",
    "uid",
    "gid",
    "args",
    "env",
    "cwd",
    "capabilities",
    "bounding",
    "effective",
    "permitted",
    "ambient",
    "rlimits",
    "destination",
    "type",
    "hard",
    "soft",
    "source",
    "options",
    "noNewPrivileges",
    "root",
    "path",
    "readonly",
    "hostname",
    "mounts",
    "linux",
    "uidMappings",
    "gidMappings",
    "containerID",
    "hostID",
    "size",
    "resources",
    "devices",
    "allow",
    "access",
    "namespaces",
    "maskedPaths",
    "readonlyPaths",
];

/// Go's json.MarshalIndent(v, "", "\t"), keys in [`KEY_ORDER`].
fn write_go_indented(value: &Value, depth: usize, out: &mut String) {
    let indent = |depth: usize, out: &mut String| out.extend(std::iter::repeat_n('\t', depth));
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|key| {
                KEY_ORDER
                    .iter()
                    .position(|k| k == key)
                    .unwrap_or(usize::MAX)
            });
            out.push_str("{\n");
            for (index, key) in keys.iter().enumerate() {
                indent(depth + 1, out);
                out.push_str(&Value::String(key.to_string()).to_string());
                out.push_str(": ");
                write_go_indented(&map[key.as_str()], depth + 1, out);
                out.push_str(if index + 1 < keys.len() { ",\n" } else { "\n" });
            }
            indent(depth, out);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (index, item) in items.iter().enumerate() {
                indent(depth + 1, out);
                write_go_indented(item, depth + 1, out);
                out.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(depth, out);
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
