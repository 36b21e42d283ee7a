//! Cgroup enforcement through our runc: memory (OOM kill reported by
//! `events`), pids, cpu quota, devices, the freezer, `update` and `ps`.
//! Every cgroup lies below this test's own (the bundle's cgroupsPath).

use crate::harness::busybox::Bundle;
use crate::harness::cgroup::OwnCgroup;
use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The host directory of the bundle's cgroup in `controller`'s hierarchy.
pub fn container_cgroup(bundle: &Bundle, controller: &str) -> PathBuf {
    let path = bundle.read_config()["linux"]["cgroupsPath"]
        .as_str()
        .expect("bundle has a cgroupsPath")
        .to_string();
    let membership = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let own = OwnCgroup::read();
    let own_dir = own.controller_dir(controller).expect("controller mounted");
    let own_path = membership
        .lines()
        .find_map(|line| {
            let mut fields = line.splitn(3, ':');
            let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
            let matches = if own.v1.contains_key(controller) {
                controllers.split(',').any(|c| c == controller)
            } else {
                controllers.is_empty()
            };
            matches.then(|| path.to_string())
        })
        .expect("own cgroup of the controller");
    let below = path
        .strip_prefix(own_path.trim_end_matches('/'))
        .expect("cgroupsPath lies below our own cgroup");
    own_dir.join(below.trim_start_matches('/'))
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("read {}/{file}: {e}", dir.display()))
}

pub fn run_detached(runtime: &Runtime, bundle: &Bundle, id: &str) {
    // Through a file: the container keeps a pipe open for as long as it runs.
    let log = bundle.dir.join(format!("{id}.stderr"));
    let status = runtime
        .command(&["run", "-d", "-b", bundle.dir.to_str().unwrap(), id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "run -d {id}: {stderr}");
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Gives the bundle a memory limit and a shell that waits for the file
/// `/go`, then grows a string until the OOM killer stops it.
fn make_oom_bundle(bundle: &Bundle) {
    let limit = 24 << 20;
    let swap_accounting = container_cgroup(bundle, "memory")
        .parent()
        .unwrap()
        .join("memory.memsw.limit_in_bytes")
        .exists();
    bundle.edit_config(|spec| {
        // It waits for the go file so that `events` is watching first.
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "while [ ! -e /go ]; do sleep 0.05; done; \
             sh -c 'x=0123456789abcdef; while true; do x=$x$x; done'; \
             echo child=$?; sleep 100"
        ]);
        let mut memory = json!({"limit": limit});
        if swap_accounting {
            memory["swap"] = json!(limit);
        }
        spec["linux"]["resources"]["memory"] = memory;
    });
}

/// Runs the OOM bundle as `id` under `runtime`, watches `events` and
/// gives the line it printed for the OOM kill, as printed.
fn oom_event_line(runtime: &Runtime, bundle: &Bundle, id: &str) -> String {
    run_detached(runtime, bundle, id);
    let memory_dir = container_cgroup(bundle, "memory");
    let file = if memory_dir.join("memory.max").exists() {
        "memory.max"
    } else {
        "memory.limit_in_bytes"
    };
    assert_eq!(read(&memory_dir, file).trim(), (24 << 20).to_string());

    let mut events = runtime
        .command(&["events", "--interval", "1s", id])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = events.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    // The first stats event proves `events` is watching.
    let first = receiver.recv_timeout(Duration::from_secs(10)).unwrap();
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["type"], "stats", "{}", runtime.name);
    assert_eq!(first["id"], id);
    assert!(first["data"]["memory"].is_object(), "{first}");
    std::fs::write(bundle.dir.join("rootfs/go"), "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut oom_line = None;
    while Instant::now() < deadline && oom_line.is_none() {
        if let Ok(line) = receiver.recv_timeout(Duration::from_secs(1))
            && line.contains("\"oom\"")
        {
            oom_line = Some(line);
        }
    }
    let _ = events.kill();
    let _ = events.wait();
    let oom_line = oom_line.unwrap_or_else(|| panic!("{}: no oom event within 30 s", runtime.name));
    // The allocator died of SIGKILL; the container's shell lives on.
    assert_eq!(runtime.status(id), "running", "{}", runtime.name);
    oom_line
}

#[test]
fn memory_limit_oom_kills_and_events_reports_it() {
    let dir = TempDir::new("runc-oom");
    let bundle = runc_bundle!(dir, &["sh"]);
    make_oom_bundle(&bundle);
    let ours = Runtime::ours();
    let _guard = ours.guard("oom");
    let line = oom_event_line(&ours, &bundle, "oom");
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event, json!({"type": "oom", "id": "oom"}));
}

/// containerd and other clients read the line as runc 1.1.5 prints it:
/// compared byte for byte, field order included.
#[test]
fn oom_event_line_is_runcs() {
    let (our_dir, runc_dir) = (TempDir::new("runc-oom-ours"), TempDir::new("runc-oom-runc"));
    let our_bundle = runc_bundle!(our_dir, &["sh"]);
    let runc_bundle = runc_bundle!(runc_dir, &["sh"]);
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    make_oom_bundle(&our_bundle);
    make_oom_bundle(&runc_bundle);
    let ours = Runtime::ours();
    let runc_line = {
        let _guard = runc.guard("oom-line");
        oom_event_line(&runc, &runc_bundle, "oom-line")
    };
    let _guard = ours.guard("oom-line");
    let our_line = oom_event_line(&ours, &our_bundle, "oom-line");
    assert_eq!(our_line, runc_line);
}

#[test]
fn pids_limit_makes_fork_fail() {
    let dir = TempDir::new("runc-pids");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait; echo done"
        ]);
        spec["linux"]["resources"]["pids"] = json!({"limit": 4});
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("pids");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "pids"]);
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("can't fork") && stderr.contains("Resource temporarily unavailable"),
        "fork did not fail: {stderr}"
    );
    // Without the limit the same script forks all eight.
    bundle.edit_config(|spec| {
        spec["linux"]["resources"]
            .as_object_mut()
            .unwrap()
            .remove("pids");
    });
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "pids"]);
    assert_eq!(stdout_of(&output), "done\n", "{}", stderr_of(&output));
    assert!(!stderr_of(&output).contains("can't fork"));
}

#[test]
fn cpu_quota_throttles_a_busy_loop() {
    let dir = TempDir::new("runc-cpu");
    let bundle = runc_bundle!(dir, &["sh", "-c", "while :; do :; done"]);
    bundle.edit_config(|spec| {
        spec["linux"]["resources"]["cpu"] = json!({"quota": 10000, "period": 100000});
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("cpu");
    run_detached(&ours, &bundle, "cpu");
    let cpu = container_cgroup(&bundle, "cpu");
    if cpu.join("cpu.cfs_quota_us").exists() {
        assert_eq!(read(&cpu, "cpu.cfs_quota_us").trim(), "10000");
        assert_eq!(read(&cpu, "cpu.cfs_period_us").trim(), "100000");
    } else {
        assert_eq!(read(&cpu, "cpu.max").trim(), "10000 100000");
    }
    let throttled = || {
        read(&cpu, "cpu.stat")
            .lines()
            .find_map(|line| line.strip_prefix("nr_throttled "))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    wait_for("nr_throttled > 0", Duration::from_secs(10), || {
        throttled() > 0
    });
    // `update` lifts the quota in the same file.
    ours.ok(&["update", "--cpu-quota", "-1", "cpu"]);
    if cpu.join("cpu.cfs_quota_us").exists() {
        assert_eq!(read(&cpu, "cpu.cfs_quota_us").trim(), "-1");
    }
    ours.ok(&["delete", "-f", "cpu"]);
    assert!(!cpu.exists(), "delete left {}", cpu.display());
}

#[test]
fn denied_device_cannot_be_opened() {
    let dir = TempDir::new("runc-dev");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        // /dev/mem (c 1:1) made by the container itself: mknod is allowed
        // (CAP_MKNOD, the `m` rule), reading it is not.
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "echo null >/dev/null && echo null-ok; \
             mknod /tmp/mem c 1 1 && echo mknod-ok; \
             head -c 1 /tmp/mem >/dev/null && echo READ"
        ]);
        let caps = &mut spec["process"]["capabilities"];
        for set in ["bounding", "effective", "permitted"] {
            caps[set].as_array_mut().unwrap().push(json!("CAP_MKNOD"));
        }
        spec["linux"]["resources"]["devices"] = json!([{"allow": false, "access": "rwm"}]);
        spec["root"]["readonly"] = json!(false);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("dev");
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "dev"]);
    assert_eq!(
        stdout_of(&output),
        "null-ok\nmknod-ok\n",
        "{}",
        stderr_of(&output)
    );
    assert!(
        stderr_of(&output).contains("Operation not permitted"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn pause_freezes_and_resume_continues() {
    let dir = TempDir::new("runc-pause");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c",
            "i=0; while true; do i=$((i+1)); echo $i > /count.tmp; mv /count.tmp /count; sleep 0.02; done"]);
        spec["root"]["readonly"] = json!(false);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("pause");
    run_detached(&ours, &bundle, "pause");
    let count_file = bundle.dir.join("rootfs/count");
    let count = || -> u64 {
        std::fs::read_to_string(&count_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    };
    wait_for("the counter to start", Duration::from_secs(10), || {
        count() > 0
    });
    ours.ok(&["pause", "pause"]);
    assert_eq!(ours.status("pause"), "paused");
    let frozen = count();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(count(), frozen, "the counter moved while paused");
    let pause_again = ours.run(&["pause", "pause"]);
    assert!(!pause_again.status.success());
    ours.ok(&["resume", "pause"]);
    assert_eq!(ours.status("pause"), "running");
    wait_for("the counter to go on", Duration::from_secs(10), || {
        count() > frozen
    });

    // ps: the shell and its sleep are in the cgroup, by host pid.
    let pids: Vec<i32> =
        serde_json::from_str(&ours.ok(&["ps", "--format", "json", "pause"])).unwrap();
    let init = ours.state("pause")["pid"].as_i64().unwrap() as i32;
    assert!(pids.contains(&init), "{pids:?} lacks {init}");
    let table = ours.ok(&["ps", "pause"]);
    assert!(table.lines().next().unwrap().contains("PID"), "{table}");
    assert!(
        table.lines().any(|line| line.contains(&init.to_string())),
        "{table}"
    );

    // update reaches the memory cgroup.
    ours.ok(&["update", "--memory", "64m", "pause"]);
    let memory = container_cgroup(&bundle, "memory");
    let file = if memory.join("memory.max").exists() {
        "memory.max"
    } else {
        "memory.limit_in_bytes"
    };
    assert_eq!(read(&memory, file).trim(), (64u64 << 20).to_string());
    let stats: serde_json::Value =
        serde_json::from_str(&ours.ok(&["events", "--stats", "pause"])).unwrap();
    assert_eq!(stats["type"], "stats");
    assert_eq!(
        stats["data"]["memory"]["usage"]["limit"],
        json!(64u64 << 20),
        "{stats}"
    );
    assert!(
        stats["data"]["pids"]["current"].as_u64().unwrap() >= 1,
        "{stats}"
    );
}

/// The init enters its v1 cgroups itself and clone3 places it in the
/// unified one: every hierarchy must still hold it, and a cgroup namespace
/// must be rooted at the container's cgroup (runc shows `/` everywhere).
#[test]
fn init_is_in_every_hierarchy_and_the_cgroup_namespace_is_rooted_there() {
    let dir = TempDir::new("runc-cgroupns");
    let bundle = runc_bundle!(dir, &["sh"]);
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!(["sh", "-c", "cat /proc/self/cgroup; exec sleep 100"]);
        spec["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "cgroup"}));
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("cgroupns");
    run_detached(&ours, &bundle, "cgroupns");
    let pid = ours.state("cgroupns")["pid"].as_i64().unwrap();
    let own = OwnCgroup::read();
    let host_view = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    for controller in own.v1.keys() {
        let expected = container_cgroup(&bundle, controller);
        let tasks = read(&expected, "tasks");
        assert!(
            tasks.lines().any(|line| line == pid.to_string()),
            "{controller}: init {pid} missing from {}; host view:\n{host_view}",
            expected.display()
        );
    }
    if let (Some(v2), Some(relative)) = (&own.v2, &own.v2_relative) {
        let path = bundle.read_config()["linux"]["cgroupsPath"]
            .as_str()
            .unwrap()
            .to_string();
        let below = path.strip_prefix(relative.trim_end_matches('/')).unwrap();
        let expected = v2.join(below.trim_start_matches('/'));
        let procs = read(&expected, "cgroup.procs");
        assert!(
            procs.lines().any(|line| line == pid.to_string()),
            "unified: init {pid} missing from {}",
            expected.display()
        );
    }
    // The init's view, and an exec'd process's (in the same cgroups).
    let inside = ours.ok(&[
        "exec",
        "cgroupns",
        "cat",
        "/proc/1/cgroup",
        "/proc/self/cgroup",
    ]);
    for line in inside.lines() {
        assert!(
            line.ends_with(":/"),
            "cgroup namespace not rooted at the container's cgroup:\n{inside}"
        );
    }
}

/// Runs `bundle` to completion under `runtime` as container `id`.
fn run_once(runtime: &Runtime, bundle: &Bundle, id: &str) -> std::process::Output {
    let _guard = runtime.guard(id);
    runtime.run(&["run", "-b", bundle.dir.to_str().unwrap(), id])
}

/// A device node the spec creates is no exception to the cgroup's rules:
/// with everything denied, /dev/kmsg exists but can be neither read nor
/// written, as under Debian's runc 1.1.5.
#[test]
fn listed_device_obeys_a_deny_all_device_cgroup_like_runc() {
    let dir = TempDir::new("runc-kmsg");
    let bundle = runc_bundle!(dir, &["sh"]);
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    bundle.edit_config(|spec| {
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "ls /dev/kmsg; (head -c 1 /dev/kmsg >/dev/null) 2>&1; \
             (echo dockbox-device-test >/dev/kmsg) 2>&1; echo done"
        ]);
        // CAP_SYSLOG: without it reading /dev/kmsg fails (dmesg_restrict)
        // whatever the device cgroup says.
        let caps = &mut spec["process"]["capabilities"];
        for set in ["bounding", "effective", "permitted"] {
            caps[set].as_array_mut().unwrap().push(json!("CAP_SYSLOG"));
        }
        spec["linux"]["resources"]["devices"] = json!([{"allow": false, "access": "rwm"}]);
        spec["linux"]["devices"] = json!([
            {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 420}
        ]);
    });
    let theirs = run_once(&runc, &bundle, "kmsg-runc");
    let ours = run_once(&Runtime::ours(), &bundle, "kmsg-ours");
    let expected = "/dev/kmsg\n\
                    head: /dev/kmsg: Operation not permitted\n\
                    sh: can't create /dev/kmsg: Operation not permitted\n\
                    done\n";
    let (theirs, ours) = (stdout_of(&theirs), stdout_of(&ours));
    assert_eq!(ours, theirs, "ours vs runc 1.1.5");
    assert_eq!(ours, expected);
}

/// Deny rules that repeat deny-all are normalised away, as by Debian's
/// runc 1.1.5: the container starts and the default devices still work.
/// The kernel ignores the access of an `a` rule, but refuses `c *:* rwa`
/// (`a` is no access letter); runc writes neither.
#[test]
fn redundant_deny_all_rule_is_normalised_like_runc() {
    let dir = TempDir::new("runc-denyall");
    let bundle = runc_bundle!(dir, &["sh", "-c", "echo x >/dev/null && echo started"]);
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    bundle.edit_config(|spec| {
        spec["linux"]["resources"]["devices"] = json!([
            {"allow": false, "access": "rwm"},
            {"allow": false, "type": "a", "access": "rwa"},
            {"allow": false, "type": "c", "access": "rwa"}
        ]);
    });
    let theirs = run_once(&runc, &bundle, "denyall-runc");
    let ours = run_once(&Runtime::ours(), &bundle, "denyall-ours");
    assert_eq!(
        stdout_of(&theirs),
        "started\n",
        "runc: {}",
        stderr_of(&theirs)
    );
    assert_eq!(stdout_of(&ours), "started\n", "ours: {}", stderr_of(&ours));
}
