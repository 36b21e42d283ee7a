//! Cgroup tests. Enforcement tests move a waiting busybox child into a
//! cgroup created below the test's own cgroup, then let it run; every
//! cgroup is removed and every child killed by pid, also on failure.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oci_spec::runtime::LinuxResources;

use super::devices_bpf::{self, interpreter};
use super::layout::Mount;
use super::*;

fn resources(json: serde_json::Value) -> LinuxResources {
    serde_json::from_value(json).expect("test resources parse")
}

// ---- path resolution ------------------------------------------------------

fn hybrid() -> Hierarchies {
    let mount = |point: &str, own: &str| Mount {
        mount_point: PathBuf::from(point),
        root: "/".into(),
        own: own.into(),
    };
    let mut h = Hierarchies::default();
    h.v1.insert("memory".into(), mount("/sys/fs/cgroup/memory", "/outer/me"));
    h.v1.insert("cpu".into(), mount("/sys/fs/cgroup/cpu", "/"));
    h.unified = Some(mount("/sys/fs/cgroup/unified", "/"));
    h
}

#[test]
fn relative_paths_go_below_the_callers_own_cgroup() {
    let paths = resolve(&hybrid(), Some("ctr/one"), "id").unwrap();
    assert_eq!(
        paths.v1["memory"],
        PathBuf::from("/sys/fs/cgroup/memory/outer/me/ctr/one")
    );
    assert_eq!(paths.v1["cpu"], PathBuf::from("/sys/fs/cgroup/cpu/ctr/one"));
    assert_eq!(
        paths.unified,
        Some(PathBuf::from("/sys/fs/cgroup/unified/ctr/one"))
    );
    // Without a path, runc uses the container id, relative.
    let paths = resolve(&hybrid(), None, "abc").unwrap();
    assert_eq!(
        paths.v1["memory"],
        PathBuf::from("/sys/fs/cgroup/memory/outer/me/abc")
    );
    // ".." cannot climb out.
    let paths = resolve(&hybrid(), Some("../../../etc"), "id").unwrap();
    assert_eq!(paths.v1["cpu"], PathBuf::from("/sys/fs/cgroup/cpu/etc"));
}

#[test]
fn absolute_paths_are_taken_as_is() {
    let paths = resolve(&hybrid(), Some("/docker/abc"), "abc").unwrap();
    assert_eq!(
        paths.v1["memory"],
        PathBuf::from("/sys/fs/cgroup/memory/docker/abc")
    );
    assert_eq!(
        paths.unified,
        Some(PathBuf::from("/sys/fs/cgroup/unified/docker/abc"))
    );
    let err = resolve(&hybrid(), Some("system.slice:docker:abc"), "abc").unwrap_err();
    assert!(err.to_string().contains("systemd"), "{err}");
    assert!(resolve(&hybrid(), Some("/"), "abc").is_err());
    assert!(resolve(&Hierarchies::default(), Some("x"), "abc").is_err());
}

#[test]
fn runc_conversions() {
    assert_eq!(shares_to_weight(2), 1);
    assert_eq!(shares_to_weight(1024), 39);
    assert_eq!(shares_to_weight(262144), 10000);
    assert_eq!(blkio_weight_to_io_weight(10), 1);
    assert_eq!(blkio_weight_to_io_weight(1000), 10000);
    assert_eq!(swap_to_v2(-1, Some(100)).unwrap(), Some(-1));
    assert_eq!(swap_to_v2(300, Some(100)).unwrap(), Some(200));
    assert_eq!(swap_to_v2(0, Some(-1)).unwrap(), Some(-1));
    assert_eq!(swap_to_v2(0, Some(100)).unwrap(), None);
    assert!(swap_to_v2(50, Some(100)).is_err());
    assert!(swap_to_v2(50, None).is_err());
}

// ---- v2 file mapping, on a directory that imitates a cgroup -------------

#[test]
fn v2_resources_map_to_unified_files() {
    let dir = std::env::temp_dir().join(format!("dockbox-fake-cg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("cgroup.controllers"),
        "cpuset cpu io memory hugetlb pids",
    )
    .unwrap();
    std::fs::write(dir.join("memory.swap.max"), "max").unwrap();
    let manager = from_paths(CgroupPaths {
        v1: Default::default(),
        unified: Some(dir.clone()),
    });
    let result = manager.set(&resources(serde_json::json!({
        "memory": {"limit": 33554432, "swap": 67108864, "reservation": 16777216},
        "cpu": {"shares": 1024, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
        "pids": {"limit": 7},
        "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "unified": {"memory.high": "30000000"}
    })));
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let files = [
        ("memory.max", read("memory.max")),
        ("memory.swap.max", read("memory.swap.max")),
        ("memory.low", read("memory.low")),
        ("memory.high", read("memory.high")),
        ("cpu.weight", read("cpu.weight")),
        ("cpu.max", read("cpu.max")),
        ("cpuset.cpus", read("cpuset.cpus")),
        ("pids.max", read("pids.max")),
        ("io.weight", read("io.weight")),
        ("io.max", read("io.max")),
        ("hugetlb.2MB.max", read("hugetlb.2MB.max")),
    ];
    let realtime = manager.set(&resources(
        serde_json::json!({"cpu": {"realtimeRuntime": 950000}}),
    ));
    let bad_key = manager.set(&resources(serde_json::json!({"unified": {"../x": "1"}})));
    let _ = std::fs::remove_dir_all(&dir);
    result.unwrap();
    let expected = [
        ("memory.max", "33554432"),
        ("memory.swap.max", "33554432"),
        ("memory.low", "16777216"),
        ("memory.high", "30000000"),
        ("cpu.weight", "39"),
        ("cpu.max", "20000 100000"),
        ("cpuset.cpus", "0"),
        ("pids.max", "7"),
        ("io.weight", "default 4950"),
        ("io.max", "8:0 rbps=1048576"),
        ("hugetlb.2MB.max", "4194304"),
    ];
    for ((file, got), (_, want)) in files.iter().zip(expected) {
        assert_eq!(got, want, "{file}");
    }
    assert!(realtime.unwrap_err().to_string().contains("realtime"));
    assert!(bad_key.is_err());
}

#[test]
fn v1_refuses_unified_resources() {
    let manager = from_paths(CgroupPaths {
        v1: [("memory".to_string(), PathBuf::from("/nonexistent/memory/x"))].into(),
        unified: None,
    });
    let err = manager
        .set(&resources(
            serde_json::json!({"unified": {"memory.high": "1"}}),
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid configuration: cannot use unified on cgroup v1"),
        "{err}"
    );
}

// ---- eBPF device program logic -----------------------------------------

#[test]
fn device_program_last_matching_rule_wins() {
    let rules: Vec<oci_spec::runtime::LinuxDeviceCgroup> =
        serde_json::from_value(serde_json::json!([
            {"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
            {"allow": true, "type": "c", "major": 136, "access": "rw"},
            {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "r"},
            {"allow": false, "type": "c", "major": 136, "minor": 2, "access": "w"},
            {"allow": true, "type": "p", "access": "rwm"}
        ]))
        .unwrap();
    let program = devices_bpf::program(&rules);
    let (char_dev, block_dev) = (2, 1);
    let (mknod, read, write) = (1, 2, 4);
    let allowed =
        |kind, access, major, minor| interpreter::run(&program, kind, access, major, minor) == 1;
    assert!(allowed(char_dev, read | write, 1, 3));
    assert!(allowed(char_dev, mknod, 1, 3));
    assert!(!allowed(block_dev, read, 1, 3));
    assert!(allowed(char_dev, read | write, 136, 7));
    assert!(!allowed(char_dev, mknod, 136, 7));
    assert!(allowed(char_dev, read, 1, 5));
    assert!(!allowed(char_dev, write, 1, 5));
    assert!(!allowed(char_dev, write, 136, 2));
    assert!(allowed(char_dev, read, 136, 2));
    assert!(!allowed(char_dev, read, 1, 1));
    let allow_all: Vec<oci_spec::runtime::LinuxDeviceCgroup> =
        serde_json::from_value(serde_json::json!([{"allow": true, "access": "rwm"}])).unwrap();
    assert_eq!(
        interpreter::run(&devices_bpf::program(&allow_all), block_dev, mknod, 8, 0),
        1
    );
    assert_eq!(
        interpreter::run(&devices_bpf::program(&[]), char_dev, read, 1, 3),
        0
    );
}

// ---- enforcement ----------------------------------------------------------

fn skip(reason: &str) -> bool {
    crate::test_skip::report(reason);
    true
}

fn cannot_run() -> bool {
    if !nix::unistd::geteuid().is_root() {
        return skip("cgroup tests need root");
    }
    if !Path::new("/bin/busybox").exists() {
        return skip("/bin/busybox missing");
    }
    false
}

/// A test cgroup, destroyed on drop after its processes are killed.
struct TestCgroup {
    manager: Box<dyn CgroupManager>,
    children: Vec<Child>,
}

impl TestCgroup {
    fn new(name: &str) -> TestCgroup {
        let relative = format!("dockbox-test-{}-{name}", std::process::id());
        let manager = manager(Some(&relative), name).expect("cgroup manager");
        TestCgroup {
            manager,
            children: Vec::new(),
        }
    }

    fn v2(name: &str) -> Option<TestCgroup> {
        let hierarchies = Hierarchies::read().ok()?;
        let own = hierarchies.unified?.own_dir();
        let dir = own.join(format!("dockbox-test-{}-{name}", std::process::id()));
        Some(TestCgroup {
            manager: from_paths(CgroupPaths {
                v1: Default::default(),
                unified: Some(dir),
            }),
            children: Vec::new(),
        })
    }

    /// Starts `script` under busybox sh, moves it into the cgroup, then
    /// lets it go (it waits for a line on stdin first).
    fn run(&mut self, script: &str) -> usize {
        let mut child = Command::new("/bin/busybox")
            .args(["sh", "-c", &format!("read go; {script}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn busybox");
        self.manager.apply(child.id() as i32).expect("apply");
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
        self.children.push(child);
        self.children.len() - 1
    }

    fn wait(&mut self, index: usize) -> std::process::Output {
        let child = self.children.remove(index);
        child.wait_with_output().expect("wait")
    }
}

impl TestCgroup {
    /// Kills our children and anything else in the cgroup, by pid.
    fn kill_all(&mut self) {
        let _ = self.manager.thaw();
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
        for pid in self.manager.pids().unwrap_or_default() {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        self.kill_all();
        if let Err(e) = self.manager.destroy() {
            eprintln!("cleanup: {e}");
        }
    }
}

fn host_has_v1(controller: &str) -> bool {
    Hierarchies::read().is_ok_and(|h| h.v1.contains_key(controller))
}

#[test]
fn memory_limit_oom_kills_an_allocator_and_stats_report_it() {
    if cannot_run() || (!host_has_v1("memory") && skip("no v1 memory controller")) {
        return;
    }
    let mut cg = TestCgroup::new("oom");
    let limit = 32 * 1024 * 1024;
    cg.manager.create().unwrap();
    let swap_accounting = cg.manager.paths().v1["memory"]
        .join("memory.memsw.limit_in_bytes")
        .exists();
    let mut memory = serde_json::json!({"limit": limit});
    if swap_accounting {
        memory["swap"] = serde_json::json!(limit);
    }
    cg.manager
        .set(&resources(serde_json::json!({"memory": memory})))
        .unwrap();
    let child = cg.run(
        "x=$(/bin/busybox head -c 200000000 /dev/zero | /bin/busybox tr '\\0' a); echo survived",
    );
    let out = cg.wait(child);
    let stats = cg.manager.stats().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("survived"),
        "{out:?}"
    );
    assert!(
        stats.oom_kill_count >= 1,
        "oom_kill {}",
        stats.oom_kill_count
    );
    assert_eq!(stats.memory.usage.limit, limit);
    // The allocator reached the limit (failcnt stays 0 on some kernels).
    assert!(
        stats.memory.usage.max >= limit * 9 / 10,
        "max usage {}",
        stats.memory.usage.max
    );
}

#[test]
fn pids_limit_makes_fork_fail() {
    if cannot_run() || (!host_has_v1("pids") && skip("no v1 pids controller")) {
        return;
    }
    let mut cg = TestCgroup::new("pids");
    cg.manager.create().unwrap();
    cg.manager
        .set(&resources(serde_json::json!({"pids": {"limit": 4}})))
        .unwrap();
    let child = cg.run("for i in 1 2 3 4 5 6; do /bin/busybox sleep 2 & done; echo started; wait");
    let out = cg.wait(child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("can't fork"), "stderr: {stderr}");
    let stats = cg.manager.stats().unwrap();
    assert_eq!(stats.pids.limit, 4);
}

#[test]
fn cpu_quota_is_written_and_throttles_a_busy_loop() {
    if cannot_run() || (!host_has_v1("cpu") && skip("no v1 cpu controller")) {
        return;
    }
    let mut cg = TestCgroup::new("cpu");
    cg.manager.create().unwrap();
    cg.manager
        .set(&resources(
            serde_json::json!({"cpu": {"quota": 10000, "period": 50000, "shares": 512}}),
        ))
        .unwrap();
    let dir = cg.manager.paths().v1["cpu"].clone();
    assert_eq!(
        std::fs::read_to_string(dir.join("cpu.cfs_quota_us"))
            .unwrap()
            .trim(),
        "10000"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("cpu.cfs_period_us"))
            .unwrap()
            .trim(),
        "50000"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("cpu.shares"))
            .unwrap()
            .trim(),
        "512"
    );
    cg.run("while :; do :; done");
    std::thread::sleep(Duration::from_millis(1200));
    let stats = cg.manager.stats().unwrap();
    assert!(stats.cpu.throttling.periods > 0);
    assert!(
        stats.cpu.throttling.throttled_periods > 0,
        "not throttled: {:?}",
        stats.cpu.throttling
    );
    assert!(stats.cpu.throttling.throttled_time > 0);
    if host_has_v1("cpuacct") {
        assert!(stats.cpu.usage.total > 0);
    }
}

/// How far the counter loop got: it appends one line per step, so a read
/// never sees a half-written value.
fn counter(file: &Path) -> usize {
    std::fs::read_to_string(file)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn freeze_and_thaw(cg: &mut TestCgroup, name: &str) {
    let file = std::env::temp_dir().join(format!("dockbox-counter-{}-{name}", std::process::id()));
    cg.run(&format!("while :; do echo . >> {}; done", file.display()));
    std::thread::sleep(Duration::from_millis(300));
    cg.manager.freeze().unwrap();
    assert_eq!(cg.manager.freezer_state().unwrap(), FreezerState::Frozen);
    let frozen_at = counter(&file);
    std::thread::sleep(Duration::from_millis(400));
    let still = counter(&file);
    cg.manager.thaw().unwrap();
    assert_eq!(cg.manager.freezer_state().unwrap(), FreezerState::Thawed);
    std::thread::sleep(Duration::from_millis(400));
    let after = counter(&file);
    let has_pids = !cg.manager.pids().unwrap().is_empty();
    cg.kill_all();
    let _ = std::fs::remove_file(&file);
    assert!(frozen_at > 0, "the counter never ran");
    assert_eq!(frozen_at, still, "the counter moved while frozen");
    assert!(after > still, "the counter did not continue after thaw");
    assert!(has_pids);
}

#[test]
fn v1_freezer_stops_and_continues_a_counter() {
    if cannot_run() || (!host_has_v1("freezer") && skip("no v1 freezer controller")) {
        return;
    }
    let mut cg = TestCgroup::new("freezer");
    freeze_and_thaw(&mut cg, "v1");
}

fn device_rules() -> LinuxResources {
    resources(serde_json::json!({"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}
    ]}))
}

fn assert_devices_enforced(cg: &mut TestCgroup) {
    let child = cg.run("echo hi > /dev/null && echo null-ok; /bin/busybox head -c 1 /dev/zero >/dev/null && echo zero-opened");
    let out = cg.wait(child);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("null-ok"),
        "allowed /dev/null refused: {stdout} {stderr}"
    );
    assert!(
        !stdout.contains("zero-opened"),
        "denied /dev/zero opened: {stdout}"
    );
    assert!(
        stderr.contains("Operation not permitted"),
        "stderr: {stderr}"
    );
}

#[test]
fn v1_denied_device_cannot_be_opened() {
    if cannot_run() || (!host_has_v1("devices") && skip("no v1 devices controller")) {
        return;
    }
    let mut cg = TestCgroup::new("devices");
    cg.manager.create().unwrap();
    cg.manager.set(&device_rules()).unwrap();
    assert_devices_enforced(&mut cg);
}

#[test]
fn v2_ebpf_denied_device_cannot_be_opened() {
    if cannot_run() {
        return;
    }
    let Some(mut cg) = TestCgroup::v2("bpfdev") else {
        skip("no cgroup2 hierarchy mounted");
        return;
    };
    cg.manager.create().unwrap();
    match cg.manager.set(&device_rules()) {
        Err(CgroupError::Bpf {
            errno: nix::errno::Errno::EPERM,
            ..
        }) => {
            skip("bpf(2) not permitted");
            return;
        }
        other => other.unwrap(),
    }
    assert_devices_enforced(&mut cg);
    // Replacing the rules swaps the program instead of stacking a second.
    cg.manager
        .set(&resources(
            serde_json::json!({"devices": [{"allow": true, "access": "rwm"}]}),
        ))
        .unwrap();
    let child = cg.run("/bin/busybox head -c 1 /dev/zero >/dev/null && echo zero-opened");
    let out = cg.wait(child);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("zero-opened"),
        "{out:?}"
    );
}

#[test]
fn v2_freeze_stops_and_continues_a_counter() {
    if cannot_run() {
        return;
    }
    let Some(mut cg) = TestCgroup::v2("freeze") else {
        skip("no cgroup2 hierarchy mounted");
        return;
    };
    freeze_and_thaw(&mut cg, "v2");
}

#[test]
fn v2_dir_fd_lets_clone3_start_a_child_inside_the_cgroup() {
    if cannot_run() {
        return;
    }
    let Some(cg) = TestCgroup::v2("clone3") else {
        skip("no cgroup2 hierarchy mounted");
        return;
    };
    cg.manager.create().unwrap();
    let fd = cg.manager.v2_dir_fd().expect("v2 directory fd");
    let child = match crate::runtime::clone::clone_child_into(0, Some(fd.as_fd())) {
        Ok(child) => child,
        Err(error) => panic!("clone: {error}"),
    };
    if child.pid == 0 {
        // SAFETY: the fork-like child only waits to be killed.
        unsafe {
            libc::pause();
            libc::_exit(0);
        }
    }
    if !child.placed_in_cgroup {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.pid),
            nix::sys::signal::SIGKILL,
        );
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(child.pid), None);
        skip("clone3 cannot place children in a cgroup here");
        return;
    }
    let pid = child.pid;
    let pid = pid as i32;
    let members = cg.manager.pids();
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    assert_eq!(
        members.unwrap(),
        vec![pid],
        "the child was born in the cgroup"
    );
}

#[test]
fn destroy_removes_every_directory() {
    if cannot_run() {
        return;
    }
    let cg = TestCgroup::new("destroy");
    cg.manager.create().unwrap();
    let paths = cg.manager.paths();
    let dirs: Vec<PathBuf> = paths
        .v1
        .values()
        .chain(paths.unified.iter())
        .cloned()
        .collect();
    assert!(dirs.iter().all(|d| d.is_dir()));
    std::fs::create_dir(dirs[0].join("nested")).unwrap();
    cg.manager.destroy().unwrap();
    assert!(dirs.iter().all(|d| !d.exists()), "{dirs:?}");
}

/// The resources section dockerd writes for a plain `docker run`.
fn docker_run_resources() -> LinuxResources {
    resources(serde_json::json!({
        "devices": [
            {"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
            {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
            {"allow": true, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
            {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
            {"allow": true, "type": "c", "major": 136, "access": "rwm"},
            {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"}
        ],
        "memory": {"disableOOMKiller": false},
        "cpu": {"shares": 0},
        "pids": {"limit": 0},
        "blockIO": {"weight": 0}
    }))
}

#[test]
fn docker_run_resources_apply_on_this_host() {
    if cannot_run() {
        return;
    }
    let mut cg = TestCgroup::new("dockerrun");
    cg.manager.create().unwrap();
    cg.manager.set(&docker_run_resources()).unwrap();
    let child =
        cg.run("echo x > /dev/null && /bin/busybox head -c 1 /dev/zero | /bin/busybox wc -c");
    let out = cg.wait(child);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1", "{out:?}");
    if let Some(v2) = TestCgroup::v2("dockerrun") {
        v2.manager.create().unwrap();
        match v2.manager.set(&docker_run_resources()) {
            Err(CgroupError::Bpf {
                errno: nix::errno::Errno::EPERM,
                ..
            }) => {}
            other => other.unwrap(),
        }
    }
}

#[test]
fn v2_enables_a_controller_down_the_ancestors() {
    // root (offers memory) -> mid (offers memory) -> leaf (offers nothing yet)
    let root = std::env::temp_dir().join(format!("dockbox-fake-tree-{}", std::process::id()));
    let leaf = root.join("mid/leaf");
    std::fs::create_dir_all(&leaf).unwrap();
    for (dir, offered) in [
        (&root, "cpu memory"),
        (&root.join("mid"), "memory"),
        (&leaf, ""),
    ] {
        std::fs::write(dir.join("cgroup.controllers"), offered).unwrap();
        std::fs::write(dir.join("cgroup.subtree_control"), "").unwrap();
    }
    let manager = from_paths(CgroupPaths {
        v1: Default::default(),
        unified: Some(leaf.clone()),
    });
    let result = manager.set(&resources(
        serde_json::json!({"memory": {"limit": 1048576}}),
    ));
    let read = |dir: &Path| std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap();
    let (root_enabled, mid_enabled) = (read(&root), read(&root.join("mid")));
    let _ = std::fs::remove_dir_all(&root);
    assert_eq!(root_enabled, "+memory");
    assert_eq!(mid_enabled, "+memory");
    // A plain directory cannot update cgroup.controllers: the leaf still
    // lacks memory, and the error says where.
    let err = result.unwrap_err().to_string();
    assert!(err.contains("memory controller is not available"), "{err}");
}
