//! The OCI spec builder against moby's layout, through oci-spec's typed
//! getters (so a misspelt field would show as missing).

use super::record::ContainerRecord;
use super::spec::{INIT_PATH, SpecContext, build_spec, cgroups_path, parse_device_cgroup_rule};
use super::spec_mounts::{tmpfs_options, tmpfs_size_option};
use crate::api::container::{HostConfig, MountSpec, TmpfsOptions, Ulimit as ApiUlimit};
use crate::daemon::config::Ulimit;
use oci_spec::runtime::{Capability, LinuxNamespaceType, LinuxSeccompAction, Spec};
use std::path::{Path, PathBuf};

struct Rootfs(PathBuf);

impl Rootfs {
    fn new(label: &str) -> Rootfs {
        let dir = std::env::temp_dir().join(format!("dockbox-spec-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(
            dir.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("etc/group"),
            "root:x:0:\napp:x:1000:\nvideo:x:44:app\n",
        )
        .unwrap();
        Rootfs(dir)
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn record(mut host: HostConfig) -> ContainerRecord {
    for (field, default) in [
        (&mut host.network_mode, "default"),
        (&mut host.ipc_mode, "private"),
    ] {
        if field.is_empty() {
            *field = default.into();
        }
    }
    let mut record = ContainerRecord {
        id: "ab".repeat(32),
        name: "web".into(),
        path: "sh".into(),
        args: vec!["-c".into(), "true".into()],
        host_config: HostConfig {
            shm_size: 64 << 20,
            ..host
        },
        ..ContainerRecord::default()
    };
    record.config.hostname = "abababababab".into();
    record.config.env = Some(vec!["PATH=/bin".into(), "A=1".into()]);
    record
}

fn bounding() -> Vec<String> {
    super::caps::from_mask(((1u64 << 41) - 1) & !(1 << 24))
}

fn build(record: &ContainerRecord, rootfs: &Rootfs) -> Spec {
    let bounding = bounding();
    let defaults = [Ulimit {
        name: "nofile".into(),
        soft: 1024,
        hard: 2048,
    }];
    let ctx = SpecContext {
        rootfs: &rootfs.0,
        data_root: Path::new("/data"),
        default_ulimits: &defaults,
        cgroup_parent: Some("tests/here"),
        own_cgroup: "/user.slice/session-1.scope",
        init_binary: Path::new("/usr/bin/dockbox"),
        bounding_caps: &bounding,
        seccomp: None,
    };
    build_spec(record, &ctx).unwrap()
}

fn mount_options(spec: &Spec, destination: &str) -> Option<Vec<String>> {
    spec.mounts()
        .as_ref()?
        .iter()
        .find(|m| m.destination() == Path::new(destination))
        .map(|m| m.options().clone().unwrap_or_default())
}

#[test]
fn defaults_match_dockers() {
    let rootfs = Rootfs::new("defaults");
    let spec = build(&record(HostConfig::default()), &rootfs);
    let process = spec.process().as_ref().unwrap();
    assert_eq!(process.args().as_ref().unwrap(), &["sh", "-c", "true"]);
    assert_eq!(
        process.env().as_ref().unwrap(),
        &["PATH=/bin", "HOSTNAME=abababababab", "A=1", "HOME=/root"]
    );
    assert_eq!(process.cwd(), Path::new("/"));
    assert_eq!((process.user().uid(), process.user().gid()), (0, 0));
    let caps = process.capabilities().as_ref().unwrap();
    let bounding = caps.bounding().as_ref().unwrap();
    assert_eq!(bounding.len(), 14);
    assert!(bounding.contains(&Capability::NetRaw) && !bounding.contains(&Capability::SysAdmin));
    assert_eq!(caps.effective(), caps.bounding());
    assert!(caps.inheritable().is_none());
    let rlimits = process.rlimits().as_ref().unwrap();
    assert_eq!((rlimits[0].soft(), rlimits[0].hard()), (1024, 2048));
    assert_eq!(process.oom_score_adj(), Some(0));
    assert_eq!(process.no_new_privileges(), Some(false));
    assert_eq!(spec.hostname().as_deref(), Some("abababababab"));

    let linux = spec.linux().as_ref().unwrap();
    let kinds: Vec<LinuxNamespaceType> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    assert_eq!(
        kinds,
        [
            LinuxNamespaceType::Mount,
            LinuxNamespaceType::Network,
            LinuxNamespaceType::Uts,
            LinuxNamespaceType::Pid,
            LinuxNamespaceType::Ipc
        ]
    );
    assert!(
        linux
            .masked_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/kcore".to_string())
    );
    assert_eq!(linux.readonly_paths().as_ref().unwrap().len(), 5);
    let rules = linux
        .resources()
        .as_ref()
        .unwrap()
        .devices()
        .as_ref()
        .unwrap();
    assert_eq!(rules.len(), 8);
    assert!(!rules[0].allow() && rules[0].access().as_deref() == Some("rwm"));
    assert_eq!(
        linux.cgroups_path().as_ref().unwrap(),
        Path::new(&format!(
            "/user.slice/session-1.scope/tests/here/{}",
            "ab".repeat(32)
        ))
    );
    assert!(linux.seccomp().is_none());

    let destinations: Vec<String> = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.destination().display().to_string())
        .collect();
    assert_eq!(
        destinations,
        [
            "/proc",
            "/dev",
            "/dev/pts",
            "/sys",
            "/sys/fs/cgroup",
            "/dev/mqueue",
            "/dev/shm",
            "/etc/resolv.conf",
            "/etc/hostname",
            "/etc/hosts"
        ]
    );
    assert!(
        mount_options(&spec, "/dev/shm")
            .unwrap()
            .contains(&"size=65536k".to_string())
    );
    assert!(
        mount_options(&spec, "/sys")
            .unwrap()
            .contains(&"ro".to_string())
    );
    assert_eq!(
        mount_options(&spec, "/etc/hosts").unwrap(),
        ["rbind", "rprivate", "rw"]
    );
    assert!(!spec.root().as_ref().unwrap().readonly().unwrap());
}

/// A record that sets every HostConfig field the spec reads.
fn full_record() -> ContainerRecord {
    let mut host = HostConfig {
        memory: 64 << 20,
        memory_swap: 128 << 20,
        nano_cpus: 1_500_000_000,
        cpu_shares: 512,
        cpuset_cpus: "0".into(),
        pids_limit: Some(50),
        oom_score_adj: 300,
        readonly_rootfs: true,
        cap_add: Some(vec!["NET_ADMIN".into()]),
        cap_drop: Some(vec!["ALL".into()]),
        ulimits: Some(vec![ApiUlimit {
            name: "nofile".into(),
            soft: 10,
            hard: 20,
        }]),
        sysctls: Some([("net.ipv4.ip_forward".to_string(), "1".to_string())].into()),
        network_mode: "host".into(),
        pid_mode: "host".into(),
        uts_mode: "host".into(),
        init: Some(true),
        group_add: Some(vec!["video".into(), "7".into()]),
        binds: Some(vec!["/srv:/data:ro,rshared".into()]),
        tmpfs: Some([("/t".to_string(), "size=1m,exec".to_string())].into()),
        mounts: Some(vec![MountSpec {
            kind: "tmpfs".into(),
            target: "/scratch".into(),
            tmpfs_options: Some(TmpfsOptions {
                size_bytes: 2 << 20,
                mode: 0o700,
                ..Default::default()
            }),
            ..MountSpec::default()
        }]),
        device_cgroup_rules: Some(vec!["c 10:200 rwm".into()]),
        devices: Some(vec![crate::api::container::DeviceMapping {
            path_on_host: "/dev/null".into(),
            path_in_container: "/dev/mynull".into(),
            cgroup_permissions: "rw".into(),
        }]),
        ..HostConfig::default()
    };
    host.ipc_mode = "host".into();
    let mut record = record(host);
    record.config.user = "app".into();
    record.config.working_dir = "/work".into();
    record.config.tty = true;
    record.host_config.console_size = [24, 80];
    record.no_new_privileges = true;
    record
}

#[test]
fn host_config_reaches_the_spec() {
    let rootfs = Rootfs::new("host");
    let record = full_record();
    let spec = build(&record, &rootfs);
    let process = spec.process().as_ref().unwrap();
    assert_eq!(
        process.args().as_ref().unwrap(),
        &[INIT_PATH, "--", "sh", "-c", "true"]
    );
    assert_eq!((process.user().uid(), process.user().gid()), (1000, 1000));
    assert_eq!(process.user().additional_gids().as_ref().unwrap(), &[44, 7]);
    assert!(
        process
            .env()
            .as_ref()
            .unwrap()
            .contains(&"HOME=/home/app".to_string())
    );
    assert!(
        process
            .env()
            .as_ref()
            .unwrap()
            .contains(&"TERM=xterm".to_string())
    );
    assert_eq!(process.cwd(), Path::new("/work"));
    assert!(process.terminal().unwrap());
    assert_eq!(process.console_size().unwrap().height(), 24);
    assert_eq!(process.no_new_privileges(), Some(true));
    assert_eq!(process.oom_score_adj(), Some(300));
    let caps = process
        .capabilities()
        .as_ref()
        .unwrap()
        .bounding()
        .clone()
        .unwrap();
    assert_eq!(caps.into_iter().collect::<Vec<_>>(), [Capability::NetAdmin]);
    assert_eq!(process.rlimits().as_ref().unwrap()[0].soft(), 10);
    assert!(spec.root().as_ref().unwrap().readonly().unwrap());
    assert!(spec.hostname().is_none());

    let linux = spec.linux().as_ref().unwrap();
    let kinds: Vec<LinuxNamespaceType> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    assert_eq!(kinds, [LinuxNamespaceType::Mount]);
    let resources = linux.resources().as_ref().unwrap();
    let memory = resources.memory().unwrap();
    assert_eq!(
        (memory.limit(), memory.swap()),
        (Some(64 << 20), Some(128 << 20))
    );
    let cpu = resources.cpu().as_ref().unwrap();
    assert_eq!(
        (cpu.quota(), cpu.period(), cpu.shares()),
        (Some(150_000), Some(100_000), Some(512))
    );
    assert_eq!(cpu.cpus().as_deref(), Some("0"));
    assert_eq!(resources.pids().unwrap().limit(), 50);
    let rules = resources.devices().as_ref().unwrap();
    assert_eq!(rules.len(), 10);
    assert_eq!(
        (
            rules[8].major(),
            rules[8].minor(),
            rules[8].access().as_deref()
        ),
        (Some(1), Some(3), Some("rw"))
    );
    let devices = linux.devices().as_ref().unwrap();
    assert_eq!(devices[0].path(), Path::new("/dev/mynull"));
    assert_eq!(linux.sysctl().as_ref().unwrap()["net.ipv4.ip_forward"], "1");
    assert_eq!(linux.rootfs_propagation().as_deref(), Some("rshared"));

    assert_eq!(
        mount_options(&spec, "/data").unwrap(),
        ["rbind", "ro", "rshared"]
    );
    assert_eq!(
        mount_options(&spec, "/t").unwrap(),
        ["nosuid", "nodev", "size=1m", "exec"]
    );
    assert_eq!(
        mount_options(&spec, "/scratch").unwrap(),
        ["noexec", "nosuid", "nodev", "size=2m", "mode=700"]
    );
    assert_eq!(mount_options(&spec, INIT_PATH).unwrap(), ["bind", "ro"]);
    assert_eq!(
        mount_options(&spec, "/etc/hosts").unwrap(),
        ["rbind", "rprivate", "ro"]
    );
    assert_eq!(
        mount_options(&spec, "/dev/shm").unwrap(),
        ["rbind", "rprivate"]
    );
}

#[test]
fn privileged_lifts_the_defaults() {
    let rootfs = Rootfs::new("privileged");
    let mut record = record(HostConfig {
        privileged: true,
        ..HostConfig::default()
    });
    record.seccomp_profile = String::new();
    let bounding = bounding();
    let called = std::cell::Cell::new(false);
    let hook = |_: &str| {
        called.set(true);
        Ok(None)
    };
    let ctx = SpecContext {
        rootfs: &rootfs.0,
        data_root: Path::new("/data"),
        default_ulimits: &[],
        cgroup_parent: None,
        own_cgroup: "/",
        init_binary: Path::new("/x"),
        bounding_caps: &bounding,
        seccomp: Some(&hook),
    };
    let spec = build_spec(&record, &ctx).unwrap();
    assert!(!called.get(), "privileged containers get no seccomp filter");
    let caps = spec
        .process()
        .as_ref()
        .unwrap()
        .capabilities()
        .as_ref()
        .unwrap()
        .bounding()
        .clone()
        .unwrap();
    assert_eq!(caps.len(), bounding.len());
    assert!(!caps.contains(&Capability::SysResource));
    let linux = spec.linux().as_ref().unwrap();
    assert!(linux.masked_paths().is_none() && linux.readonly_paths().is_none());
    let rules = linux
        .resources()
        .as_ref()
        .unwrap()
        .devices()
        .as_ref()
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].allow());
    assert!(
        linux
            .devices()
            .as_ref()
            .unwrap()
            .iter()
            .any(|d| d.path() == Path::new("/dev/null"))
    );
    assert!(
        mount_options(&spec, "/sys")
            .unwrap()
            .contains(&"rw".to_string())
    );
    assert_eq!(
        linux.cgroups_path().as_ref().unwrap(),
        Path::new(&format!("/docker/{}", "ab".repeat(32)))
    );
}

#[test]
fn seccomp_hook_fills_the_filter() {
    let rootfs = Rootfs::new("seccomp");
    let mut record = record(HostConfig::default());
    let bounding = bounding();
    let seen = std::cell::RefCell::new(Vec::new());
    let hook = |profile: &str| {
        seen.borrow_mut().push(profile.to_string());
        let filter: oci_spec::runtime::LinuxSeccomp =
            serde_json::from_value(serde_json::json!({"defaultAction": "SCMP_ACT_ERRNO"})).unwrap();
        Ok(Some(filter))
    };
    let mut ctx = SpecContext {
        rootfs: &rootfs.0,
        data_root: Path::new("/data"),
        default_ulimits: &[],
        cgroup_parent: Some("/abs"),
        own_cgroup: "/ignored",
        init_binary: Path::new("/x"),
        bounding_caps: &bounding,
        seccomp: Some(&hook),
    };
    let spec = build_spec(&record, &ctx).unwrap();
    let filter = spec.linux().as_ref().unwrap().seccomp().as_ref().unwrap();
    assert_eq!(filter.default_action(), LinuxSeccompAction::ScmpActErrno);
    assert_eq!(seen.borrow().as_slice(), [""]);
    record.seccomp_profile = "unconfined".into();
    assert!(
        build_spec(&record, &ctx)
            .unwrap()
            .linux()
            .as_ref()
            .unwrap()
            .seccomp()
            .is_none()
    );
    assert_eq!(seen.borrow().len(), 1);
    record.host_config.cgroup_parent = "mine".into();
    ctx.seccomp = None;
    assert_eq!(
        cgroups_path(&record, &ctx),
        format!("/ignored/mine/{}", "ab".repeat(32))
    );
}

#[test]
fn user_errors_and_rules() {
    let rootfs = Rootfs::new("errors");
    let mut record = record(HostConfig::default());
    record.config.user = "nobody".into();
    let bounding = bounding();
    let ctx = SpecContext {
        rootfs: &rootfs.0,
        data_root: Path::new("/data"),
        default_ulimits: &[],
        cgroup_parent: None,
        own_cgroup: "/",
        init_binary: Path::new("/x"),
        bounding_caps: &bounding,
        seccomp: None,
    };
    let error = build_spec(&record, &ctx).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unable to find user nobody: no matching entries in passwd file"
    );
    record.config.user = "1000:1000".into();
    record.host_config.devices = Some(vec![crate::api::container::DeviceMapping {
        path_on_host: "/nonexistent-device".into(),
        ..Default::default()
    }]);
    assert!(
        build_spec(&record, &ctx)
            .unwrap_err()
            .to_string()
            .contains("/nonexistent-device")
    );
    assert!(parse_device_cgroup_rule("a *:* m").is_ok());
    assert!(parse_device_cgroup_rule("x 1:2 r").is_err());
    assert!(parse_device_cgroup_rule("c 1:2 q").is_err());
    assert!(parse_device_cgroup_rule("c 1 r").is_err());
    assert_eq!(tmpfs_size_option(1536), "size=1536");
    assert_eq!(tmpfs_size_option(64 << 20), "size=64m");
    assert_eq!(
        tmpfs_options(&["ro".into(), "mode=1777".into()]),
        ["noexec", "nosuid", "nodev", "ro", "mode=1777"]
    );
}

#[test]
fn user_mounts_replace_defaults_and_network_files() {
    let rootfs = Rootfs::new("override");
    let host = HostConfig {
        binds: Some(vec![
            "/etc/hosts:/etc/hosts:ro".into(),
            "/srv:/srv/a/b".into(),
            "/opt:/srv".into(),
        ]),
        tmpfs: Some([("/dev/shm".to_string(), "size=1g".to_string())].into()),
        ..HostConfig::default()
    };
    let spec = build(&record(host), &rootfs);
    let mounts = spec.mounts().as_ref().unwrap();
    let at = |place: &str| {
        mounts
            .iter()
            .filter(|m| m.destination() == Path::new(place))
            .collect::<Vec<_>>()
    };
    assert_eq!(at("/dev/shm").len(), 1);
    assert_eq!(
        at("/dev/shm")[0].options().as_ref().unwrap(),
        &["noexec", "nosuid", "nodev", "size=1g"]
    );
    let hosts = at("/etc/hosts");
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].source().as_deref(), Some(Path::new("/etc/hosts")));
    assert_eq!(at("/etc/hostname").len(), 1, "the other network files stay");
    // Parents mount before their children.
    let order: Vec<&Path> = mounts.iter().map(|m| m.destination().as_path()).collect();
    let parent = order.iter().position(|p| *p == Path::new("/srv")).unwrap();
    let child = order
        .iter()
        .position(|p| *p == Path::new("/srv/a/b"))
        .unwrap();
    assert!(parent < child, "{order:?}");

    let dev = HostConfig {
        mounts: Some(vec![MountSpec {
            kind: "bind".into(),
            source: "/dev".into(),
            target: "/dev".into(),
            ..MountSpec::default()
        }]),
        ..HostConfig::default()
    };
    let spec = build(&record(dev), &rootfs);
    let places: Vec<String> = spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.destination().display().to_string())
        .collect();
    assert!(places.iter().all(|p| !p.starts_with("/dev/")), "{places:?}");
    assert_eq!(places.iter().filter(|p| *p == "/dev").count(), 1);
}

#[test]
fn shared_and_slave_binds_need_a_source_mount_that_propagates() {
    use super::spec_mounts::check_bind_propagation;
    use crate::runtime::mounts::MountInfo;
    let dir = Rootfs::new("propagation");
    let source = dir.0.join("etc").to_string_lossy().into_owned();
    // The temp dir on a private root; then on a slave and on a shared one.
    let private = MountInfo::parse("1 0 8:1 / / rw - ext4 /dev/sda rw\n");
    let slave = MountInfo::parse("1 0 8:1 / / rw master:3 - ext4 /dev/sda rw\n");
    let shared = MountInfo::parse(
        "1 0 8:1 / / rw - ext4 /dev/sda rw\n2 1 8:1 / / rw shared:7 - ext4 /dev/sda rw\n",
    );
    let binds = |mode: &str| {
        record(HostConfig {
            binds: Some(vec![format!("{source}:/data:{mode}")]),
            ..HostConfig::default()
        })
    };
    let mounted = |propagation: &str| {
        record(HostConfig {
            mounts: Some(vec![MountSpec {
                kind: "bind".into(),
                source: source.clone(),
                target: "/data".into(),
                bind_options: Some(crate::api::container::BindOptions {
                    propagation: propagation.into(),
                    ..Default::default()
                }),
                ..MountSpec::default()
            }]),
            ..HostConfig::default()
        })
    };
    let not_shared = format!("path {source} is mounted on / but it is not a shared mount");
    let not_slave = format!("path {source} is mounted on / but it is not a shared or slave mount");
    assert_eq!(
        check_bind_propagation(&binds("rshared"), &private),
        Err(not_shared.clone())
    );
    assert_eq!(
        check_bind_propagation(&mounted("shared"), &slave),
        Err(not_shared)
    );
    assert_eq!(
        check_bind_propagation(&binds("rslave"), &private),
        Err(not_slave.clone())
    );
    assert_eq!(
        check_bind_propagation(&mounted("slave"), &private),
        Err(not_slave)
    );
    for propagating in [&shared, &slave] {
        assert_eq!(
            check_bind_propagation(&binds("rslave"), propagating),
            Ok(())
        );
    }
    // The last mount on a mount point is the one the path is on.
    assert_eq!(check_bind_propagation(&binds("rshared"), &shared), Ok(()));
    assert_eq!(check_bind_propagation(&binds("rprivate"), &private), Ok(()));
    assert_eq!(check_bind_propagation(&binds("ro"), &private), Ok(()));
}

/// The spec as JSON with what depends on the machine or on hash order
/// made comparable: the temp rootfs path, the order of capability sets,
/// and the host's own device nodes a privileged container gets.
fn comparable_json(spec: &Spec, privileged: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(spec).unwrap();
    value["root"]["path"] = "<rootfs>".into();
    let caps = &mut value["process"]["capabilities"];
    for set in ["bounding", "effective", "permitted"] {
        if let Some(list) = caps[set].as_array_mut() {
            list.sort_by_key(|c| c.as_str().unwrap_or("").to_string());
        }
    }
    if privileged {
        let devices = value["linux"]["devices"].as_array().unwrap();
        assert!(
            devices.iter().any(|d| d["path"] == "/dev/null"),
            "{devices:?}"
        );
        value["linux"]["devices"] = "<the host's device nodes>".into();
    }
    value
}

/// The record of `full_record` with the resources it leaves unset set,
/// and its own UTS and cgroup namespaces.
fn resources_record() -> ContainerRecord {
    let mut record = full_record();
    let host = &mut record.host_config;
    host.memory_reservation = 32 << 20;
    host.memory_swappiness = Some(30);
    host.oom_kill_disable = Some(true);
    host.cpuset_mems = "0".into();
    host.cpu_period = 50_000;
    host.cpu_quota = 25_000;
    host.pids_limit = Some(0);
    host.blkio_weight = Some(300);
    host.uts_mode = String::new();
    host.cgroupns_mode = "private".into();
    host.devices = None;
    record.config.domainname = "example.org".into();
    record
}

/// The whole spec, field by field, as the JSON the runtime reads: a field
/// added, dropped or renamed on the way fails here even where the typed
/// assertions above do not look.
#[test]
fn spec_json_keeps_its_recorded_layout() {
    let rootfs = Rootfs::new("golden");
    let mut privileged = record(HostConfig {
        privileged: true,
        ..HostConfig::default()
    });
    privileged.seccomp_profile = String::new();
    let cases = [
        ("defaults", record(HostConfig::default())),
        ("full", full_record()),
        ("resources", resources_record()),
        ("privileged", privileged),
    ];
    let recorded: serde_json::Value =
        serde_json::from_str(include_str!("testdata/spec_golden.json")).unwrap();
    for (name, record) in cases {
        let produced = comparable_json(&build(&record, &rootfs), record.host_config.privileged);
        assert_eq!(
            produced,
            recorded[name],
            "{name}: {}",
            serde_json::to_string_pretty(&produced).unwrap()
        );
    }
}

/// Every capability the daemon knows by name has its oci-spec value, so
/// `--privileged` on a host with all of them keeps them all.
#[test]
fn every_known_capability_reaches_the_spec() {
    let rootfs = Rootfs::new("allcaps");
    let all = super::caps::from_mask(u64::MAX);
    let record = record(HostConfig {
        privileged: true,
        ..HostConfig::default()
    });
    let ctx = SpecContext {
        rootfs: &rootfs.0,
        data_root: Path::new("/data"),
        default_ulimits: &[],
        cgroup_parent: None,
        own_cgroup: "/",
        init_binary: Path::new("/x"),
        bounding_caps: &all,
        seccomp: None,
    };
    let spec = build_spec(&record, &ctx).unwrap();
    let capabilities = spec
        .process()
        .as_ref()
        .unwrap()
        .capabilities()
        .clone()
        .unwrap();
    let mut names: Vec<String> = capabilities
        .bounding()
        .iter()
        .flatten()
        .map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(names, expected);
}

/// `--ulimit memlock=-1:-1` is Docker's way to ask for no limit: moby
/// converts the signed numbers as Go's uint64() does, so -1 is
/// RLIM_INFINITY.
#[test]
fn a_negative_ulimit_is_unlimited_as_in_docker() {
    let rootfs = Rootfs::new("ulimit");
    let record = record(HostConfig {
        ulimits: Some(vec![ApiUlimit {
            name: "memlock".into(),
            soft: -1,
            hard: -1,
        }]),
        ..HostConfig::default()
    });
    let spec = build(&record, &rootfs);
    let rlimits = spec.process().as_ref().unwrap().rlimits().clone().unwrap();
    let memlock = rlimits
        .iter()
        .find(|r| r.typ() == oci_spec::runtime::PosixRlimitType::RlimitMemlock)
        .unwrap();
    assert_eq!((memlock.soft(), memlock.hard()), (u64::MAX, u64::MAX));
}
