//! Namespaces: new ones, joined ones (by path), the user namespace with
//! id maps written by the parent, and each type at most once.

use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;

const KINDS: &[&str] = &["pid", "mnt", "uts", "ipc", "net", "cgroup"];

fn host_namespace(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn new_namespaces_differ_from_the_host() {
    let dir = TempDir::new("runc-ns");
    let bundle = runc_bundle!(dir, &["true"]);
    let script: String = KINDS
        .iter()
        .map(|kind| format!("readlink /proc/self/ns/{kind}; "))
        .collect();
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", script]);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
            {"type": "mount"}, {"type": "cgroup"}
        ]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("ns");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "ns"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let inside: Vec<String> = stdout_of(&output).lines().map(str::to_string).collect();
    assert_eq!(inside.len(), KINDS.len(), "{inside:?}");
    for (kind, seen) in KINDS.iter().zip(&inside) {
        assert!(seen.starts_with(&format!("{kind}:[")), "{seen}");
        assert_ne!(
            *seen,
            host_namespace(kind),
            "{kind} namespace is the host's"
        );
    }
}

#[test]
fn namespaces_given_by_path_are_joined() {
    let dir = TempDir::new("runc-join");
    let bundle = runc_bundle!(dir, &["sleep", "100"]);
    bundle.edit_config(|spec| spec["hostname"] = json!("first"));
    let ours = Runtime::ours();
    let _first = ours.guard("first");
    let bundle_dir = bundle.dir.to_str().unwrap();
    ours.ok(&["run", "-d", "-b", bundle_dir, "first"]);
    let pid = ours.state("first")["pid"].as_i64().unwrap();
    let first_ns = |kind: &str| {
        std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
            .unwrap()
            .display()
            .to_string()
    };

    // The second container joins the first one's network, uts, ipc and pid
    // namespaces (a pod), with a mount namespace of its own.
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; \
             readlink /proc/self/ns/pid; tr '\\0' ' ' </proc/1/cmdline"
        ]);
        spec.as_object_mut().unwrap().remove("hostname");
        spec["linux"]["namespaces"] = json!([
            {"type": "network", "path": format!("/proc/{pid}/ns/net")},
            {"type": "uts", "path": format!("/proc/{pid}/ns/uts")},
            {"type": "ipc", "path": format!("/proc/{pid}/ns/ipc")},
            {"type": "pid", "path": format!("/proc/{pid}/ns/pid")},
            {"type": "mount"}
        ]);
    });
    let _second = ours.guard("second");
    let output = ours.run(&["run", "-b", bundle_dir, "second"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let lines: Vec<String> = stdout_of(&output).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "first".to_string(),
            first_ns("net"),
            first_ns("ipc"),
            first_ns("pid"),
            // The first container's init is pid 1 here: one pid namespace.
            "sleep 100 ".to_string()
        ]
    );
}

#[test]
fn each_namespace_type_at_most_once() {
    let dir = TempDir::new("runc-dupns");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["linux"]["namespaces"] =
            json!([{"type": "pid"}, {"type": "mount"}, {"type": "network"}, {"type": "network"}]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("dup");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "dup"]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("duplicate namespace"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(ours.ok(&["list", "-q"]), "");
}

#[test]
fn user_namespace_gets_the_spec_id_maps() {
    let dir = TempDir::new("runc-userns");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/made"
        ]);
        spec["root"]["readonly"] = json!(false);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
            {"type": "mount"}, {"type": "user"}
        ]);
        spec["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
        spec["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("userns");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "userns"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let words: Vec<String> = stdout_of(&output)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(words, ["0", "0", "65536", "0", "0", "65536", "0"]);
    assert!(bundle.rootfs.path.join("tmp/made").exists());
}

#[test]
fn user_namespace_shifts_ids() {
    let dir = TempDir::new("runc-usershift");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user"
        ]);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
            {"type": "mount"}, {"type": "user"}
        ]);
        spec["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        spec["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("shift");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "shift"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = stdout_of(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"]
    );
    assert_eq!(lines[1], "0");
    assert_ne!(lines[2], host_namespace("user"));
}

#[test]
fn user_namespace_through_create_and_start() {
    let dir = TempDir::new("runc-userns-cs");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", "id -u > /tmp/out"]);
        spec["root"]["readonly"] = json!(false);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
            {"type": "mount"}, {"type": "user"}
        ]);
        spec["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
        spec["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 65536}]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("ucs");
    ours.ok(&["create", "-b", bundle.dir.to_str().unwrap(), "ucs"]);
    let pid = ours.state("ucs")["pid"].as_i64().unwrap();
    assert_ne!(
        std::fs::read_link(format!("/proc/{pid}/ns/user"))
            .unwrap()
            .display()
            .to_string(),
        host_namespace("user")
    );
    ours.ok(&["start", "ucs"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while ours.status("ucs") != "stopped" {
        assert!(std::time::Instant::now() < deadline, "never stopped");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    crate::runc_support::reap(pid as i32);
    assert_eq!(
        std::fs::read_to_string(bundle.rootfs.path.join("tmp/out")).unwrap(),
        "0\n"
    );
    ours.ok(&["delete", "ucs"]);
}

/// Bind sources the container's root (uid 100000 on the host) cannot
/// reach: a directory and a file below a host directory of mode 0700 owned
/// by root. The runtime, root on the host, opens them for the init, as
/// runc 1.1.5 does; both runtimes start the container and read them.
/// The destinations exist in the rootfs, which the mapped root may not
/// write; the opened sources are closed before the process starts.
#[test]
fn user_namespace_binds_sources_its_root_cannot_reach_like_runc() {
    let dir = TempDir::new("runc-userns-bind");
    let bundle = runc_bundle!(dir, &["true"]);
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    let secret = dir.join("secret");
    std::fs::create_dir_all(secret.join("data")).unwrap();
    std::fs::write(secret.join("data/inside"), "from the directory\n").unwrap();
    std::fs::write(secret.join("file"), "from the file\n").unwrap();
    std::os::unix::fs::chown(&secret, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "cat /root/inside /etc/hosts; id -u; ls /proc/$$/fd; true"
        ]);
        spec["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
            {"type": "mount"}, {"type": "user"}
        ]);
        spec["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        spec["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 100000, "size": 65536}]);
        let mounts = spec["mounts"].as_array_mut().unwrap();
        mounts.push(json!({"destination": "/root", "type": "bind",
            "source": secret.join("data"), "options": ["rbind", "ro"]}));
        mounts.push(json!({"destination": "/etc/hosts", "type": "bind",
            "source": secret.join("file"), "options": ["bind"]}));
    });
    // No fd of a bind source reaches the container's process.
    let expected = "from the directory\nfrom the file\n0\n0\n1\n2\n";
    for (runtime, id) in [(&runc, "ubind-runc"), (&Runtime::ours(), "ubind-ours")] {
        let _guard = runtime.guard(id);
        let output = runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), id]);
        assert!(
            output.status.success(),
            "{id}: {}{}",
            stdout_of(&output),
            stderr_of(&output)
        );
        assert_eq!(stdout_of(&output), expected, "{id}");
    }
}
