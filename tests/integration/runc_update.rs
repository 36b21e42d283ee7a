//! `runc update` flags against Debian's runc 1.1.5: `--memory -1` under a
//! memory+swap limit, and `--cpu-share` (runc's singular spelling).

use crate::harness::{TempDir, report_skip, stderr_of};
use crate::runc_bundle;
use crate::runc_support::{Runtime, reap};
use serde_json::json;
use std::path::PathBuf;

fn runtimes(test: &str) -> Vec<Runtime> {
    let mut all = vec![Runtime::ours()];
    match Runtime::debian() {
        Ok(runc) => all.push(runc),
        Err(reason) => report_skip(test, &reason),
    }
    all
}

/// The init's directory in v1 hierarchy `controller`, if it has one.
fn v1_dir(pid: i32, controller: &str) -> Option<PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    text.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, names, path) = (fields.next()?, fields.next()?, fields.next()?);
        names.split(',').any(|name| name == controller).then(|| {
            PathBuf::from(format!("/sys/fs/cgroup/{names}")).join(path.trim_start_matches('/'))
        })
    })
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
        .trim()
        .to_string()
}

#[test]
fn update_memory_unlimited_lifts_swap_and_takes_cpu_share() {
    let dir = TempDir::new("runc-updmem");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    bundle.edit_config(|spec| {
        spec["linux"]["resources"]["memory"] = json!({"limit": 100 << 20, "swap": 200 << 20});
    });
    let bundle = bundle.dir.to_str().unwrap();
    let mut limits = Vec::new();
    for runtime in runtimes("update_memory_unlimited_lifts_swap_and_takes_cpu_share (runc part)") {
        let _guard = runtime.guard("upd");
        runtime.ok(&["run", "-d", "-b", bundle, "upd"]);
        let pid = runtime.state("upd")["pid"].as_i64().unwrap() as i32;
        let Some(memory) =
            v1_dir(pid, "memory").filter(|d| d.join("memory.memsw.limit_in_bytes").exists())
        else {
            report_skip(
                "update_memory_unlimited_lifts_swap",
                "no v1 swap accounting",
            );
            let _ = runtime.run(&["delete", "-f", "upd"]);
            reap(pid);
            return;
        };
        let update = runtime.run(&["update", "--memory", "-1", "upd"]);
        assert!(
            update.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&update)
        );
        let share = runtime.run(&["update", "--cpu-share", "512", "upd"]);
        assert!(
            share.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&share)
        );
        let cpu_shares = v1_dir(pid, "cpu").map(|cpu| read(&cpu, "cpu.shares"));
        limits.push((
            read(&memory, "memory.limit_in_bytes"),
            read(&memory, "memory.memsw.limit_in_bytes"),
            cpu_shares,
        ));
        let _ = runtime.run(&["delete", "-f", "upd"]);
        reap(pid);
    }
    assert_eq!(limits[0].2.as_deref().unwrap_or("512"), "512");
    if let [ours, theirs] = &limits[..] {
        assert_eq!(ours, theirs, "ours, then runc's");
    }
}
