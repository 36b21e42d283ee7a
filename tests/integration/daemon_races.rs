//! Concurrent requests against containers that exit at any moment:
//! `docker run --rm` many at a time, and renames, updates, restarts,
//! kills and pauses racing the containers' exits. Afterwards every record
//! must match the processes that really exist. The normal suite runs
//! fewer rounds; `DOCKBOX_STRESS_RUNS` and `DOCKBOX_STRESS_ITERATIONS`
//! give the full counts of issue #10.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, ok, skip_unless_ready,
};
use crate::daemon_support::TestDaemon;
use crate::harness::{stderr_of, stdout_of};
use crate::require;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// Issue #10 item 9: `run --rm` of a container that exits at once failed
/// now and then with "cannot start a container that has stopped".
#[test]
fn parallel_run_rm_never_fails() {
    require!(skip_unless_ready());
    let total = count_from_env("DOCKBOX_STRESS_RUNS", 300);
    let parallel = 50;
    let daemon = daemon_with_busybox("race-run-rm");
    let _leftovers = Leftovers::of(&daemon);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let began = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| {
                while next.fetch_add(1, Ordering::SeqCst) < total {
                    let run = daemon.docker(&["run", "--rm", "busybox", "true"]);
                    if !run.status.success() {
                        let mut failures = failures.lock().unwrap();
                        failures.push(format!(
                            "{:?}: {}{}",
                            run.status.code(),
                            stdout_of(&run),
                            stderr_of(&run)
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "{total} runs, {parallel} at a time: {} failed in {:.1}s",
        failures.len(),
        began.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {total} runs failed, the first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    crate::daemon_run::wait_for("every --rm container to be removed", || {
        ok(&daemon, &daemon.docker(&["ps", "-aq"]))
            .trim()
            .is_empty()
    });
    assert_nothing_left(&daemon);
}

/// One request on a fresh connection; the status and body.
fn request(daemon: &TestDaemon, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut connection = daemon.connect();
    // kill and restart answer once the exit is recorded.
    connection
        .reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    connection.send(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let response = connection.read_response(method);
    (response.status, response.body_text())
}

/// A small xorshift generator: the test needs no crate for its dice.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

/// Every live process whose cgroup names a container id, by id.
fn processes_by_container(ids: &[String]) -> HashMap<String, Vec<i32>> {
    let mut found: HashMap<String, Vec<i32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
            continue;
        };
        if !alive(pid) {
            continue;
        }
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        if let Some(id) = ids.iter().find(|id| cgroup.contains(id.as_str())) {
            found.entry(id.clone()).or_default().push(pid);
        }
    }
    found
}

/// Exists and is not a zombie.
fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    stat.rfind(')')
        .and_then(|end| stat[end + 2..].split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// Whether the freezer (v1) or cgroup.freeze (v2) of `pid`'s cgroup
/// holds it.
fn frozen(pid: i32) -> bool {
    let membership = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    membership.lines().any(|line| {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "freezer") {
            let state = Path::new("/sys/fs/cgroup/freezer")
                .join(path)
                .join("freezer.state");
            std::fs::read_to_string(state).is_ok_and(|s| s.trim() != "THAWED")
        } else if controllers.is_empty() {
            let freeze = Path::new("/sys/fs/cgroup/unified")
                .join(path)
                .join("cgroup.freeze");
            std::fs::read_to_string(freeze).is_ok_and(|s| s.trim() == "1")
        } else {
            false
        }
    })
}

/// What is wrong with the records of `ids` against the processes that
/// exist; empty when every record tells the truth.
fn mismatches(daemon: &TestDaemon, ids: &[String]) -> Vec<String> {
    let processes = processes_by_container(ids);
    let mut wrong = Vec::new();
    for id in ids {
        let (status, body) = request(daemon, "GET", &format!("/containers/{id}/json"), "");
        assert_eq!(status, 200, "inspect {id}: {body}");
        let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
        let state = &shown["State"];
        let pid = state["Pid"].as_i64().unwrap() as i32;
        let running = state["Running"].as_bool().unwrap();
        let inside = processes.get(id).cloned().unwrap_or_default();
        let short = &id[..12];
        if running {
            if !(alive(pid) && inside.contains(&pid)) {
                wrong.push(format!(
                    "{short} is {} with pid {pid}, but that process is not alive in its cgroup (its processes: {inside:?})",
                    state["Status"]
                ));
            } else if frozen(pid) != state["Paused"].as_bool().unwrap() {
                wrong.push(format!(
                    "{short} is {}, but its cgroup is {}",
                    state["Status"],
                    if frozen(pid) { "frozen" } else { "not frozen" }
                ));
            }
        } else if pid != 0 || !inside.is_empty() {
            wrong.push(format!(
                "{short} is {} with pid {pid}, but processes {inside:?} live in its cgroup",
                state["Status"]
            ));
        }
    }
    wrong
}

/// Issue #10 item 8: renames (and every other change of a record) racing
/// a container's exit must not bring back the state from before the
/// exit. Workers start, rename, update, restart, kill, pause and unpause
/// short-lived containers at random; then every record must match the
/// processes that exist, and `rm -f` must remove every container.
#[test]
fn record_changes_racing_exits_keep_records_true() {
    require!(skip_unless_ready());
    let total = count_from_env("DOCKBOX_STRESS_ITERATIONS", 1000);
    let daemon = daemon_with_busybox("race-records");
    let _leftovers = Leftovers::of(&daemon);
    let ids: Vec<String> = (0..6)
        .map(|n| {
            let command = if n % 2 == 0 { "true" } else { "sleep 0.1" };
            let created = daemon.docker(&[
                "create",
                "--name",
                &format!("race{n}"),
                "busybox",
                "sh",
                "-c",
                command,
            ]);
            ok(&daemon, &created).trim().to_string()
        })
        .collect();
    let next = AtomicUsize::new(0);
    let answers = Mutex::new(HashMap::<String, (usize, String)>::new());
    let hung = Mutex::new(Vec::new());
    let began = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..8u64 {
            let (ids, next, answers, hung, daemon) = (&ids, &next, &answers, &hung, &daemon);
            scope.spawn(move || {
                let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ ((worker + 1) * 0x1234_5678));
                loop {
                    let round = next.fetch_add(1, Ordering::SeqCst);
                    if round >= total {
                        break;
                    }
                    let id = &ids[dice.roll(ids.len() as u64) as usize];
                    let (what, path, body) = match dice.roll(10) {
                        0..=2 => ("start", format!("/containers/{id}/start"), String::new()),
                        3 | 4 => (
                            "rename",
                            format!("/containers/{id}/rename?name=race-{worker}-{round}"),
                            String::new(),
                        ),
                        5 => (
                            "update",
                            format!("/containers/{id}/update"),
                            format!("{{\"CpuShares\":{}}}", 512 + round),
                        ),
                        6 => (
                            "restart",
                            format!("/containers/{id}/restart?t=0"),
                            String::new(),
                        ),
                        7 => ("kill", format!("/containers/{id}/kill"), String::new()),
                        8 => ("pause", format!("/containers/{id}/pause"), String::new()),
                        _ => (
                            "unpause",
                            format!("/containers/{id}/unpause"),
                            String::new(),
                        ),
                    };
                    let sent = Instant::now();
                    let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        request(daemon, "POST", &path, &body)
                    }));
                    let (status, message) = answer.unwrap_or_else(|_| {
                        hung.lock().unwrap().push(format!(
                            "{path} got no answer in {:.0}s",
                            sent.elapsed().as_secs_f64()
                        ));
                        (0, String::new())
                    });
                    // Counted per answer, with one message of each kind.
                    let mut answers = answers.lock().unwrap();
                    let seen = answers
                        .entry(format!("{what} {status}"))
                        .or_insert((0, message));
                    seen.0 += 1;
                }
            });
        }
    });
    let mut answers: Vec<_> = answers.into_inner().unwrap().into_iter().collect();
    answers.sort();
    eprintln!(
        "{total} requests in {:.1}s: {answers:#?}",
        began.elapsed().as_secs_f64()
    );
    // A request that loses a race is refused (304, 409), never an
    // internal error.
    let failed: Vec<_> = answers
        .iter()
        .filter(|(what, _)| {
            what.ends_with(" 0") || what.split(' ').nth(1).is_some_and(|s| s.starts_with('5'))
        })
        .collect();
    let hung = hung.into_inner().unwrap();
    assert!(hung.is_empty(), "{hung:#?}\ndaemon log:\n{}", daemon.log());
    assert!(
        failed.is_empty(),
        "{failed:#?}\ndaemon log:\n{}",
        daemon.log()
    );
    // The short-lived ones end by themselves; a paused one stays.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut wrong = mismatches(&daemon, &ids);
    while !wrong.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        wrong = mismatches(&daemon, &ids);
    }
    assert!(
        wrong.is_empty(),
        "records that lie: {wrong:#?}\ndaemon log:\n{}",
        daemon.log()
    );
    for id in &ids {
        let (status, body) = request(&daemon, "DELETE", &format!("/containers/{id}?force=1"), "");
        assert_eq!(
            status,
            204,
            "rm -f {id}: {body}\ndaemon log:\n{}",
            daemon.log()
        );
    }
    assert!(
        ok(&daemon, &daemon.docker(&["ps", "-aq"]))
            .trim()
            .is_empty()
    );
    assert_nothing_left(&daemon);
}
