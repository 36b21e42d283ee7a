//! Concurrent requests against containers that exit at any moment:
//! `docker run --rm` many at a time, and renames, updates, restarts,
//! kills and pauses racing the containers' exits. Afterwards every record
//! must match the processes that really exist. The normal suite runs
//! fewer rounds; `DOCKBOX_STRESS_RUNS` and `DOCKBOX_STRESS_ITERATIONS`
//! give the full counts of issue #10.

use crate::daemon_run::{
    Leftovers, assert_nothing_left, daemon_with_busybox, ok, skip_unless_ready,
};
use crate::harness::{stderr_of, stdout_of};
use crate::require;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

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
