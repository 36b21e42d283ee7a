//! `docker stats` through our client against our daemon: figures that
//! make sense for what the containers do (a busy loop shows CPU, a
//! memory limit shows as the limit, forked sleeps count as PIDs), and the
//! live table under a pty (tmux on a private socket): redrawn in place
//! every half second, and gone on the first ctrl-c with the terminal as
//! it was.

use crate::daemon_run::{Leftovers, daemon_with_busybox, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::{self, TempDir, need_command};
use crate::require;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Our client, as `docker` in `dir/bin`.
fn our_docker(dir: &TempDir) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let docker = bin.join("docker");
    std::os::unix::fs::symlink(harness::dockbox(), &docker).unwrap();
    docker
}

fn ours(daemon: &TestDaemon, docker: &Path, args: &[&str]) -> Output {
    harness::run(
        Command::new(docker)
            .args(args)
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", daemon.dir.join("ours-config"))
            .env_remove("DOCKER_API_VERSION"),
    )
}

/// `12.5%` -> 12.5
fn percent(text: &str) -> f64 {
    text.trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("not a percentage: {text:?}"))
}

/// `1.5MiB` -> bytes, as go-units' BytesSize writes them.
fn binary_size(text: &str) -> f64 {
    let units = [
        ("KiB", 1024.0),
        ("MiB", 1024.0 * 1024.0),
        ("GiB", 1024.0 * 1024.0 * 1024.0),
        ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("B", 1.0),
    ];
    let (number, scale) = units
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or_else(|| panic!("not a size: {text:?}"));
    number.parse::<f64>().unwrap() * scale
}

fn machine_memory() -> f64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<f64>()
        .unwrap()
        * 1024.0
}

#[test]
fn stats_show_cpu_memory_limit_and_pids_of_what_runs() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("client-stats");
    let _leftovers = Leftovers::of(&daemon);
    let docker = our_docker(&daemon.dir);
    ok(
        &daemon,
        &daemon.docker(&[
            "run",
            "-d",
            "--name",
            "busy",
            "-m",
            "64m",
            "busybox",
            "sh",
            "-c",
            "sleep 1000 & sleep 1000 & while :; do :; done",
        ]),
    );
    ok(
        &daemon,
        &daemon.docker(&["run", "-d", "--name", "idle", "busybox", "sleep", "1000"]),
    );
    let format =
        "{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}";
    let output = ours(
        &daemon,
        &docker,
        &["stats", "--no-stream", "--format", format, "busy", "idle"],
    );
    let text = ok(&daemon, &output);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");

    let busy = &rows[0];
    assert_eq!(busy[0], "busy");
    // A busy loop on a shared two-core machine: clearly above idle, and
    // never above the machine's CPUs.
    let online = std::thread::available_parallelism().unwrap().get() as f64;
    let cpu = percent(busy[1]);
    assert!(
        cpu > 5.0 && cpu <= online * 100.0 + 1.0,
        "busy CPU {cpu}: {text}"
    );
    let (usage, limit) = busy[2].split_once(" / ").unwrap();
    assert_eq!(limit, "64MiB", "{text}");
    let usage = binary_size(usage);
    assert!(usage > 0.0 && usage < 64.0 * 1024.0 * 1024.0, "{text}");
    let expected_percent = usage / (64.0 * 1024.0 * 1024.0) * 100.0;
    // MemUsage is rounded to four digits; MemPerc comes from exact bytes.
    assert!(
        (percent(busy[3]) - expected_percent).abs() < 0.05,
        "MEM % {} vs {expected_percent}: {text}",
        busy[3]
    );
    assert_eq!(busy[4], "0B / 0B", "no network yet: {text}");
    assert!(busy[5].contains(" / "), "{text}");
    assert_eq!(busy[6], "3", "sh and two sleeps: {text}");

    let idle = &rows[1];
    assert_eq!(idle[0], "idle");
    assert!(percent(idle[1]) < 5.0, "idle CPU: {text}");
    let (_, limit) = idle[2].split_once(" / ").unwrap();
    // Without a limit the machine's memory is the limit, as with moby.
    let limit = binary_size(limit);
    assert!(
        (limit - machine_memory()).abs() / machine_memory() < 0.001,
        "{limit} vs {}: {text}",
        machine_memory()
    );
    assert_eq!(idle[6], "1", "{text}");

    ok(&daemon, &daemon.docker(&["rm", "-f", "busy", "idle"]));
}

/// A tmux server on a socket of the test's own, killed through that
/// socket when the test ends.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        harness::run(Command::new("tmux").arg("-S").arg(&self.socket).args(args))
    }

    fn screen(&self) -> String {
        harness::stdout_of(&self.run(&["capture-pane", "-p", "-t", "stats"]))
    }

    fn wait_for_screen(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn live_stats_redraw_in_place_and_end_on_ctrl_c() {
    require!(skip_unless_ready());
    require!(need_command("tmux").map(|_| ()));
    let daemon = daemon_with_busybox("client-stats-live");
    let _leftovers = Leftovers::of(&daemon);
    let docker = our_docker(&daemon.dir);
    for name in ["live-a", "live-b"] {
        ok(
            &daemon,
            &daemon.docker(&["run", "-d", "--name", name, "busybox", "sleep", "1000"]),
        );
    }
    let raw = daemon.dir.join("pane.raw");
    // The shell survives the ctrl-c (a trap, reset to default in the
    // client) to report how the client ended; the settings after it are
    // renamed into place so they are never read half-written.
    let script = format!(
        "trap : INT; stty -g > {dir}/stty.before; DOCKER_HOST={host} DOCKER_CONFIG={dir}/ours-config {docker} stats live-a live-b; echo EXIT=$?; stty -g > {dir}/stty.tmp; mv {dir}/stty.tmp {dir}/stty.after; sleep 600",
        dir = daemon.dir.path().display(),
        host = daemon.host(),
        docker = docker.display(),
    );
    let tmux = Tmux {
        socket: daemon.dir.join("tmux.sock"),
    };
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "stats",
        "-x",
        "160",
        "-y",
        "30",
        &script,
    ]);
    assert!(started.status.success(), "{}", harness::stderr_of(&started));
    tmux.run(&[
        "pipe-pane",
        "-t",
        "stats",
        "-o",
        &format!("cat >> {}", raw.display()),
    ]);
    let screen = tmux.wait_for_screen("the table", |s| {
        s.contains("live-a") && s.contains("live-b")
    });
    assert!(screen.starts_with("CONTAINER ID   NAME"), "{screen}");
    // Let it redraw a few times (every half second).
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        let bytes = std::fs::read(&raw).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if text.matches("\x1b[H").count() >= 6 || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let screen = tmux.screen();
    assert_eq!(
        screen.matches("CONTAINER ID").count(),
        1,
        "redrawn in place, not scrolled:\n{screen}"
    );
    let homes = text.matches("\x1b[H").count();
    let headers = text.matches("CONTAINER ID").count();
    assert!(homes >= 6, "at least three frames, two homes each: {homes}");
    assert!(headers >= 6, "the header in every frame: {headers}");
    assert!(
        // The pty turns each newline into CR LF.
        text.contains(" \x1b[K\r\n") && text.contains("\x1b[J"),
        "{text:?}"
    );

    tmux.run(&["send-keys", "-t", "stats", "C-c"]);
    let screen = tmux.wait_for_screen("the exit", |s| s.contains("EXIT="));
    assert!(screen.contains("EXIT=130"), "ended by SIGINT:\n{screen}");
    tmux.wait_for_screen("the terminal settings", |_| {
        daemon.dir.join("stty.after").exists()
    });
    assert_eq!(
        std::fs::read_to_string(daemon.dir.join("stty.before")).unwrap(),
        std::fs::read_to_string(daemon.dir.join("stty.after")).unwrap(),
        "terminal settings restored"
    );
    drop(tmux);
    ok(&daemon, &daemon.docker(&["rm", "-f", "live-a", "live-b"]));
}
