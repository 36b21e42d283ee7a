//! A crowd of connections that never finish a request: the daemon keeps
//! answering new clients, and its memory comes back once the crowd leaves.
//! `bench/connections.sh` measures the same against Debian's dockerd.

use crate::daemon_support::TestDaemon;
use crate::harness::{TempDir, need_root};
use crate::require;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// The crowd: connections that send nothing, and ones that send
/// half a request head and stop.
const IDLE_TARGET: usize = 10_000;
const SLOW_HEADERS: usize = 200;
/// Descriptors this test leaves for everything else in its process.
const SPARE_DESCRIPTORS: usize = 500;

/// Raises this process's soft descriptor limit to the hard one, and says
/// what that is.
fn raise_own_open_files_limit() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read or write the struct we pass.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_max as usize
}

fn open_descriptors(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// The time a new client takes to get its `/_ping` answered.
fn ping_time(daemon: &TestDaemon) -> Duration {
    let started = Instant::now();
    let mut connection = daemon.connect();
    let response = connection.get("/_ping");
    assert_eq!(response.status, 200);
    started.elapsed()
}

#[test]
fn ping_answers_through_a_crowd_of_idle_and_slow_header_connections() {
    require!(need_root());
    let hard = raise_own_open_files_limit();
    let in_use = open_descriptors(std::process::id() as i32);
    let room = hard.saturating_sub(in_use + SPARE_DESCRIPTORS + SLOW_HEADERS);
    let idle_count = IDLE_TARGET.min(room);
    assert!(idle_count >= 1000, "only {room} descriptors to spare");
    let daemon = TestDaemon::start("crowd");
    let pid = daemon.guard.id();
    for _ in 0..20 {
        ping_time(&daemon);
    }
    let idle_rss = rss_kib(pid);
    let idle_descriptors = open_descriptors(pid);

    let mut crowd = Vec::with_capacity(idle_count + SLOW_HEADERS);
    for _ in 0..idle_count {
        crowd.push(UnixStream::connect(&daemon.socket).expect("connect an idle client"));
    }
    for _ in 0..SLOW_HEADERS {
        let mut slow = UnixStream::connect(&daemon.socket).expect("connect a slow client");
        slow.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nX-Slow: ")
            .unwrap();
        crowd.push(slow);
    }
    let during = ping_time(&daemon);
    // The crowd is really held by the daemon, not refused or shed (give
    // or take the warm-up's connections, whose close may still be pending).
    let held = open_descriptors(pid).saturating_sub(idle_descriptors);
    let during_rss = rss_kib(pid);
    eprintln!(
        "{idle_count} idle + {SLOW_HEADERS} slow-header connections: /_ping in {during:?}, \
         daemon holds {held} more descriptors, RSS {idle_rss} KiB idle, {during_rss} KiB during"
    );
    assert!(
        during < Duration::from_secs(2),
        "/_ping took {during:?}:\n{}",
        daemon.log()
    );
    assert!(
        held + 8 >= idle_count + SLOW_HEADERS,
        "the daemon holds only {held} of {} connections",
        idle_count + SLOW_HEADERS
    );

    drop(crowd);
    let deadline = Instant::now() + Duration::from_secs(20);
    while open_descriptors(pid) > idle_descriptors + 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Give the last closes a moment to be freed, then measure.
    std::thread::sleep(Duration::from_millis(200));
    ping_time(&daemon);
    let after_rss = rss_kib(pid);
    eprintln!("RSS after the crowd left: {after_rss} KiB (idle {idle_rss} KiB)");
    assert!(
        after_rss <= idle_rss + 2048,
        "RSS {after_rss} KiB after the crowd left, {idle_rss} KiB before"
    );
}

#[test]
fn the_daemon_raises_its_soft_open_files_limit_to_the_hard_one() {
    require!(need_root());
    const LOWERED: libc::rlim_t = 256;
    let daemon = TestDaemon::start_customised(TempDir::new("nofile"), |command| {
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            command.pre_exec(|| {
                let mut limit = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                limit.rlim_cur = LOWERED.min(limit.rlim_max);
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", daemon.guard.id())).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("Max open files in /proc/PID/limits");
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_ne!(numbers[0], LOWERED.to_string(), "{line}");
    assert_eq!(numbers[0], numbers[1], "{line}");
}
