//! Healthchecks through the real Docker CLI 28: the same scenario against
//! our daemon and Debian's dockerd 20.10, compared on what users read
//! (`State.Health`, `ps` STATUS, `--filter health=`, `health_status` and
//! the probes' exec events), and, on ours alone, the start interval of
//! API 1.44 and a healthcheck that resumes after a daemon restart.

use crate::daemon_run::{daemon_with_busybox, ok, skip_unless_ready};
use crate::daemon_support::TestDaemon;
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive_images};
use crate::harness::engine::{Engine, need_engine};
use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::require;
use serde_json::{Value, json};
use std::process::Output;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECOND: i64 = 1_000_000_000;

/// A docker-archive of busybox with a healthcheck in its image config.
fn healthy_image_archive(dir: &TempDir) -> String {
    let rootfs = BusyboxRootfs::build(&dir.join("health-rootfs")).unwrap();
    let archive = dir.join("healthy.tar");
    let config = json!({"Healthcheck": {
        "Test": ["CMD-SHELL", "echo image-probe"],
        "Interval": SECOND,
        "Retries": 2,
    }});
    write_docker_archive_images(&rootfs.path, &[("healthy:latest".into(), config)], &archive)
        .unwrap();
    archive.to_string_lossy().into_owned()
}

fn unix_now() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", now.as_secs(), now.subsec_nanos())
}

/// One side of the comparison: a CLI runner.
struct Side<'a> {
    docker: &'a dyn Fn(&[&str]) -> Output,
    tag: &'a str,
}

impl Side<'_> {
    fn must(&self, args: &[&str]) -> String {
        let output = (self.docker)(args);
        assert!(
            output.status.success(),
            "{}: {args:?}: {}{}",
            self.tag,
            stdout_of(&output),
            stderr_of(&output)
        );
        stdout_of(&output)
    }

    fn name(&self, short: &str) -> String {
        format!("health-{}-{short}", self.tag)
    }

    fn health(&self, short: &str) -> Value {
        let name = self.name(short);
        let text = self.must(&["inspect", "--format", "{{json .State.Health}}", &name]);
        serde_json::from_str(text.trim()).expect("Health JSON")
    }

    /// Waits until `short`'s health status is `status`.
    fn wait_status(&self, short: &str, status: &str) {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let health = self.health(short);
            if health["Status"] == status {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {short} never {status}: {health}",
                self.tag
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn ps(&self, filters: &[&str]) -> Vec<String> {
        let prefix = format!("name=health-{}-", self.tag);
        let mut args = vec!["ps", "-a", "--filter", &prefix];
        for filter in filters {
            args.extend(["--filter", filter]);
        }
        args.extend(["--format", "{{.Names}} {{.Status}}"]);
        let mut rows: Vec<String> = self
            .must(&args)
            .lines()
            .map(|line| normalise_status(&line.replace(self.tag, "TAG")))
            .collect();
        rows.sort();
        rows
    }
}

/// `Up 3 seconds (healthy)` as `Up <time> (healthy)`.
fn normalise_status(line: &str) -> String {
    let Some(at) = line.find(" Up ") else {
        return line.to_string();
    };
    let (head, tail) = line.split_at(at);
    let suffix = tail.find(" (").map_or("", |i| &tail[i..]);
    format!("{head} Up <time>{suffix}")
}

/// What a user compares of `State.Health`: the status, whether the streak
/// reached the retries, and the first result's code and output; the
/// times only checked to be Go times in order.
fn health_summary(health: &Value, retries: i64) -> Value {
    let log = health["Log"].as_array().cloned().unwrap_or_default();
    assert!(!log.is_empty() && log.len() <= 5, "{health}");
    for entry in &log {
        let start = entry["Start"].as_str().unwrap();
        let end = entry["End"].as_str().unwrap();
        assert!(start.len() >= 20 && start.contains('T'), "{start}");
        assert!(start < end || start.len() != end.len(), "{start} {end}");
    }
    json!({
        "Status": health["Status"],
        "FailingStreakReached": health["FailingStreak"].as_i64().unwrap() >= retries,
        "First": {"ExitCode": log[0]["ExitCode"], "Output": log[0]["Output"]},
        "Keys": health.as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
        "LogKeys": log[0].as_object().unwrap().keys().cloned().collect::<Vec<_>>(),
    })
}

fn scenario(side: &Side) -> Vec<String> {
    let since = unix_now();
    let run = |short: &str, flags: &[&str], image: &str| {
        let name = side.name(short);
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend(flags);
        args.extend([image, "sleep", "300"]);
        side.must(&args);
    };
    run(
        "ok",
        &["--health-cmd", "true", "--health-interval", "1s"],
        "busybox",
    );
    let bad = ["--health-cmd", "echo bad; false", "--health-interval", "1s"];
    run(
        "bad",
        &[&bad[..], &["--health-retries", "2"]].concat(),
        "busybox",
    );
    let slow = ["--health-cmd", "sleep 10", "--health-interval", "1s"];
    let slow_flags = [
        &slow[..],
        &["--health-timeout", "1s", "--health-retries", "1"],
    ]
    .concat();
    run("slow", &slow_flags, "busybox");
    run("off", &["--no-healthcheck"], "healthy");
    run("plain", &[], "busybox");
    run("image", &[], "healthy");
    run("mixed", &["--health-retries", "5"], "healthy");
    // Its first probe is a minute away: starting all along.
    run(
        "later",
        &["--health-cmd", "true", "--health-interval", "60s"],
        "busybox",
    );
    side.wait_status("ok", "healthy");
    side.wait_status("bad", "unhealthy");
    side.wait_status("slow", "unhealthy");
    side.wait_status("image", "healthy");
    side.wait_status("mixed", "healthy");
    let mut seen = Vec::new();
    for (short, retries) in [("ok", 3), ("bad", 2), ("slow", 1), ("image", 2)] {
        let summary = health_summary(&side.health(short), retries);
        seen.push(format!("{short}: {summary}"));
    }
    seen.push(format!("later: {}", side.health("later")));
    for short in ["off", "plain", "mixed", "ok"] {
        let name = side.name(short);
        let shown = side.must(&["inspect", "--format", "{{json .Config.Healthcheck}}", &name]);
        seen.push(format!("{short} config: {}", shown.trim()));
    }
    for short in ["off", "plain"] {
        let name = side.name(short);
        let state = side.must(&["inspect", "--format", "{{json .State}}", &name]);
        let state: Value = serde_json::from_str(state.trim()).unwrap();
        seen.push(format!(
            "{short} has Health: {}",
            state.get("Health").is_some()
        ));
    }
    seen.push(format!("ps: {:?}", side.ps(&[])));
    for status in ["healthy", "unhealthy", "starting", "none"] {
        let filter = format!("health={status}");
        seen.push(format!("{filter}: {:?}", side.ps(&[&filter])));
    }
    let bogus = (side.docker)(&["ps", "--filter", "health=bogus"]);
    seen.push(format!(
        "bogus: {:?} {}",
        bogus.status.code(),
        stderr_of(&bogus).trim()
    ));
    seen.extend(events(side, &since));
    let names: Vec<String> = [
        "ok", "bad", "slow", "off", "plain", "image", "mixed", "later",
    ]
    .iter()
    .map(|short| side.name(short))
    .collect();
    let mut remove = vec!["rm", "-f"];
    remove.extend(names.iter().map(String::as_str));
    side.must(&remove);
    seen.iter()
        .map(|line| line.replace(side.tag, "TAG"))
        .collect()
}

/// The health events (each container's first of each status) and the
/// timed-out probe's exec events.
fn events(side: &Side, since: &str) -> Vec<String> {
    let until = unix_now();
    let prefix = format!("name=health-{}-", side.tag);
    let list = |extra: &[&str], format: &str| -> Vec<String> {
        let mut args = vec!["events", "--since", since, "--until", &until];
        args.extend(extra);
        args.extend(["--format", format]);
        side.must(&args).lines().map(str::to_string).collect()
    };
    let health_filter = ["--filter", "event=health_status", "--filter", &prefix];
    let format = "{{.Type}} {{.Status}} {{.Actor.Attributes.name}} {{.Actor.Attributes.image}}";
    let mut health = list(&health_filter, format);
    health.sort();
    health.dedup();
    let slow_filter = format!("container={}", side.name("slow"));
    let exec_args = ["--filter", &slow_filter, "--filter", "event=exec_die"];
    let dies = list(&exec_args, "{{.Action}} {{.Actor.Attributes.exitCode}}");
    let created = list(&["--filter", &slow_filter], "{{.Action}}");
    let mut out = vec![format!("health events: {health:?}")];
    // dockerd 20.10 signals the overdue probe with an already cancelled
    // context, so the signal never leaves and its exec_die reads 127; ours
    // ends it with TERM, and says so: compared is that it died.
    let first_die = dies.first().cloned().unwrap_or_default();
    out.push(format!(
        "slow exec_die: {}",
        first_die.starts_with("exec_die ")
    ));
    if side.tag == "ours" {
        assert_eq!(first_die, "exec_die 143", "the overdue probe got TERM");
    }
    let first_exec = created.iter().find(|a| a.starts_with("exec_"));
    out.push(format!("slow first exec event: {first_exec:?}"));
    out
}

#[test]
fn healthchecks_match_dockerd_20_10() {
    require!(skip_unless_ready());
    require!(need_engine());
    let engine = Engine::shared().expect("start dockerd 20.10");
    engine.load_busybox();
    let dir = TempDir::new("health-image");
    let archive = healthy_image_archive(&dir);
    engine.docker_ok(&["load", "-q", "-i", &archive]);
    let docker = |args: &[&str]| engine.docker(args);
    let reference = scenario(&Side {
        docker: &docker,
        tag: "ref",
    });
    let daemon = daemon_with_busybox("health-compare");
    ok(&daemon, &daemon.docker(&["load", "-q", "-i", &archive]));
    let docker = |args: &[&str]| daemon.docker(args);
    let ours = scenario(&Side {
        docker: &docker,
        tag: "ours",
    });
    assert_eq!(ours.len(), reference.len());
    for (mine, theirs) in ours.iter().zip(&reference) {
        assert_eq!(mine, theirs, "\ndaemon log:\n{}", daemon.log());
    }
}

fn health_of(daemon: &TestDaemon, name: &str) -> Value {
    let format = "{{json .State.Health}}";
    let text = ok(
        daemon,
        &daemon.docker(&["inspect", "--format", format, name]),
    );
    serde_json::from_str(text.trim()).unwrap()
}

fn wait_for(daemon: &TestDaemon, name: &str, what: &str, test: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = health_of(daemon, name);
        if test(&health) {
            return health;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never {what}: {health}\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn log_len(health: &Value) -> usize {
    health["Log"].as_array().map_or(0, Vec::len)
}

/// Seconds into the day of a Go time (`2026-12-06T15:07:37.94Z`).
fn seconds_of(time: &Value) -> f64 {
    let text = time.as_str().unwrap_or_default();
    let clock = text
        .split('T')
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches('Z');
    let mut parts = clock
        .split(':')
        .map(|part| part.parse::<f64>().unwrap_or(0.0));
    let (h, m, s) = (parts.next(), parts.next(), parts.next());
    h.unwrap_or(0.0) * 3600.0 + m.unwrap_or(0.0) * 60.0 + s.unwrap_or(0.0)
}

/// When the last probe ended.
fn last_end(health: &Value) -> f64 {
    health["Log"]
        .as_array()
        .and_then(|log| log.last())
        .map_or(0.0, |entry| seconds_of(&entry["End"]))
}

#[test]
fn health_resumes_after_a_daemon_restart_and_stops_with_the_container() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("health-restart");
    let run = [
        "run",
        "-d",
        "--name",
        "hc",
        "--health-cmd",
        "echo probe $$",
        "--health-interval",
        "1s",
        "busybox",
        "sleep",
        "300",
    ];
    ok(&daemon, &daemon.docker(&run));
    let before = wait_for(&daemon, "hc", "healthy", |h| h["Status"] == "healthy");
    let last_before = last_end(&before);
    // The guard kills the daemon with SIGKILL; the container lives on.
    let daemon = TestDaemon::start_in(daemon);
    let after = wait_for(&daemon, "hc", "probed again", |h| last_end(h) > last_before);
    assert_eq!(after["Status"], "healthy", "{after}");
    assert_eq!(after["FailingStreak"], 0);
    // Paused: no probes; unpaused: probed again.
    ok(&daemon, &daemon.docker(&["pause", "hc"]));
    std::thread::sleep(Duration::from_secs(1));
    let paused = health_of(&daemon, "hc");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(last_end(&paused), last_end(&health_of(&daemon, "hc")));
    ok(&daemon, &daemon.docker(&["unpause", "hc"]));
    wait_for(&daemon, "hc", "probed after unpause", |h| {
        last_end(h) > last_end(&paused)
    });
    ok(&daemon, &daemon.docker(&["stop", "-t", "1", "hc"]));
    let stopped = health_of(&daemon, "hc");
    std::thread::sleep(Duration::from_millis(2500));
    let later = health_of(&daemon, "hc");
    assert_eq!(log_len(&stopped), log_len(&later), "{stopped} {later}");
    assert_eq!(stopped["Log"], later["Log"]);
    // The stopped container keeps its last status, as moby keeps it.
    let listed = daemon.docker(&["ps", "-a", "--filter", "health=healthy", "-q"]);
    assert_eq!(ok(&daemon, &listed).lines().count(), 1);
    // Started again: starting, then probed again.
    ok(&daemon, &daemon.docker(&["start", "hc"]));
    let status = health_of(&daemon, "hc")["Status"].clone();
    assert!(status == "starting" || status == "healthy", "{status}");
    wait_for(&daemon, "hc", "healthy again", |h| {
        h["Status"] == "healthy" && last_end(h) > last_end(&later)
    });
    ok(&daemon, &daemon.docker(&["rm", "-f", "hc"]));
}

#[test]
fn start_interval_probes_often_in_the_start_period() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("health-start-interval");
    let run = [
        "run",
        "-d",
        "--name",
        "sp",
        "--health-cmd",
        "true",
        "--health-interval",
        "20s",
        "--health-start-period",
        "60s",
        "--health-start-interval",
        "1s",
        "busybox",
        "sleep",
        "300",
    ];
    ok(&daemon, &daemon.docker(&run));
    let config = ok(
        &daemon,
        &daemon.docker(&["inspect", "--format", "{{json .Config.Healthcheck}}", "sp"]),
    );
    let config: Value = serde_json::from_str(config.trim()).unwrap();
    assert_eq!(config["StartInterval"], SECOND, "{config}");
    let started = Instant::now();
    wait_for(&daemon, "sp", "healthy", |h| h["Status"] == "healthy");
    // Well before the interval: the start interval was used.
    assert!(started.elapsed() < Duration::from_secs(10));
    // An API 1.43 client's StartInterval is ignored, as moby ignores it.
    let body = r#"{"Image":"busybox","Cmd":["true"],"Healthcheck":{"Test":["CMD","true"],"StartInterval":1000000000}}"#;
    let created = daemon
        .connect()
        .request("POST", "/v1.43/containers/create?name=old", body);
    assert_eq!(created.status, 201, "{}", created.body_text());
    let old = ok(
        &daemon,
        &daemon.docker(&["inspect", "--format", "{{json .Config.Healthcheck}}", "old"]),
    );
    assert_eq!(old.trim(), r#"{"Test":["CMD","true"]}"#);
    // Too short a duration is refused with moby's text.
    let body = r#"{"Image":"busybox","Healthcheck":{"Test":["CMD","true"],"Interval":5}}"#;
    let refused = daemon.connect().request("POST", "/containers/create", body);
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["message"],
        "Interval in Healthcheck cannot be less than 1ms"
    );
    ok(&daemon, &daemon.docker(&["rm", "-f", "sp", "old"]));
}

fn docker_py_health(host: &str, prefix: &str) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/daemon_health_py.py"
    );
    let output =
        crate::harness::run(std::process::Command::new("python3").args([script, host, prefix]));
    assert!(
        output.status.success(),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stdout_of(&output)
}

#[test]
fn docker_py_healthcheck_scenarios_match_dockerd() {
    require!(skip_unless_ready());
    require!(need_engine());
    let probe =
        crate::harness::run(std::process::Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = daemon_with_busybox("health-py");
    let ours = docker_py_health(&daemon.host(), "");
    let engine = Engine::shared().unwrap_or_else(|e| panic!("{e}"));
    engine.load_busybox();
    let socket = engine.dir().join("docker.sock");
    let theirs = docker_py_health(&format!("unix://{}", socket.display()), "ours-control-");
    let theirs = theirs.replace("ours-control-", "");
    assert_eq!(ours, theirs, "\ndaemon log:\n{}", daemon.log());
    for line in ["passes healthy", "fails unhealthy", "start period healthy"] {
        assert!(ours.contains(line), "{ours}");
    }
}
