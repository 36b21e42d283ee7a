//! `GET /events` end to end: the real CLI's `docker events` replaying a
//! run/stop/rm sequence with filters, a live stream read while actions
//! happen, `--until` in the future ending the stream by itself,
//! docker-py's `events()`, and bad queries answered 400.

use crate::daemon_run::daemon_with_busybox;
use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{self, ProcessGuard, need_root, stderr_of, stdout_of};
use crate::require;
use std::io::BufRead;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        stdout_of(output),
        stderr_of(output)
    );
    stdout_of(output)
}

/// Now as the `%d.%09d` Unix time the API takes.
fn unix_now() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", now.as_secs(), now.subsec_nanos())
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// `docker events` between two times, with extra flags.
fn replay(daemon: &TestDaemon, since: &str, until: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["events", "--since", since, "--until", until];
    args.extend_from_slice(extra);
    lines(&ok(&daemon.docker(&args)))
}

/// A daemon with busybox:latest loaded through `docker load`, so that
/// the image endpoints (tag, rmi) see a complete record.
fn daemon_with_loaded_busybox(label: &str) -> TestDaemon {
    let daemon = TestDaemon::start(label);
    let rootfs = BusyboxRootfs::build(&daemon.dir.join("busybox-src")).unwrap();
    let archive = daemon.dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    ok(&daemon.docker(&["load", "-q", "-i", archive.to_str().unwrap()]));
    daemon
}

const SHORT: &[&str] = &[
    "--format",
    "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
];

#[test]
fn cli_replays_run_stop_rm_in_order_with_filters() {
    require!(need_root());
    require!(need_docker_cli());
    require!(crate::harness::busybox::host_busybox().map(|_| ()));
    let daemon = daemon_with_loaded_busybox("events-replay");
    let since = unix_now();
    let id = ok(&daemon.docker(&[
        "run",
        "-d",
        "--name",
        "ev1",
        "-l",
        "app=golden",
        "busybox",
        "sleep",
        "100",
    ]))
    .trim()
    .to_string();
    // PID 1 ignores SIGTERM: the stop ends with SIGKILL after a second.
    ok(&daemon.docker(&["stop", "-t", "1", "ev1"]));
    ok(&daemon.docker(&["rm", "ev1"]));
    let exited = daemon.docker(&["run", "--name", "ev2", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(exited.status.code(), Some(3), "{}", stderr_of(&exited));
    ok(&daemon.docker(&["tag", "busybox", "evtag:1"]));
    ok(&daemon.docker(&["rmi", "evtag:1"]));
    let until = unix_now();

    let all = replay(&daemon, &since, &until, SHORT);
    let expected = [
        "container create ev1",
        "container start ev1",
        "container kill ev1",
        "container kill ev1",
        "container die ev1",
        "container stop ev1",
        "container destroy ev1",
        "container create ev2",
        "container attach ev2",
        "container start ev2",
        "container die ev2",
        "image tag evtag:1",
        "image untag sha256:",
    ];
    assert_eq!(all.len(), expected.len(), "{all:#?}");
    for (got, want) in all.iter().zip(expected) {
        assert!(got.starts_with(want), "{got} is not {want}: {all:#?}");
    }
    let dies = replay(&daemon, &since, &until, &["--filter", "event=die"]);
    assert_eq!(dies.len(), 2, "{dies:#?}");
    let first = &dies[0];
    let (head, attributes) = first.split_once(" (").unwrap();
    assert!(head.ends_with(&format!(" container die {id}")), "{first}");
    assert!(
        head.starts_with("20") && head.as_bytes()[29] == b'Z',
        "{first}"
    );
    let seconds = attributes
        .strip_prefix("app=golden, execDuration=")
        .and_then(|rest| rest.split_once(','))
        .map(|(n, _)| n.parse::<u64>().unwrap())
        .unwrap_or_else(|| panic!("{first}"));
    assert!((1..=5).contains(&seconds), "{first}");
    assert!(
        attributes.ends_with(" exitCode=137, image=busybox, name=ev1)"),
        "{first}"
    );
    assert!(dies[1].contains("exitCode=3,"), "{}", dies[1]);

    let kills = replay(
        &daemon,
        &since,
        &until,
        &[
            "-f",
            "event=kill",
            "--format",
            "{{.Actor.Attributes.signal}}",
        ],
    );
    assert_eq!(kills, ["15", "9"]);
    let ev1 = replay(&daemon, &since, &until, &["--filter", "container=ev1"]);
    assert_eq!(ev1.len(), 7, "{ev1:#?}");
    let by_id = replay(
        &daemon,
        &since,
        &until,
        &["--filter", &format!("container={}", &id[..12])],
    );
    assert_eq!(by_id, ev1);
    let labelled = replay(&daemon, &since, &until, &["--filter", "label=app=golden"]);
    assert_eq!(labelled, ev1);
    assert!(replay(&daemon, &since, &until, &["--filter", "label=app=other"]).is_empty());
    let images = replay(
        &daemon,
        &since,
        &until,
        &[
            "--filter",
            "type=image",
            "--format",
            "{{.Action}} {{.Actor.ID}}",
        ],
    );
    assert_eq!(images.len(), 2, "{images:#?}");
    assert!(images[0].starts_with("tag sha256:") && images[1].starts_with("untag sha256:"));
    let created = replay(
        &daemon,
        &since,
        &until,
        &["-f", "image=busybox", "-f", "event=create"],
    );
    assert_eq!(created.len(), 2, "{created:#?}");
    let json = replay(
        &daemon,
        &since,
        &until,
        &["-f", "event=destroy", "--format", "{{json .}}"],
    );
    let message: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
    assert_eq!(message["status"], "destroy");
    assert_eq!(message["id"], id);
    assert_eq!(message["from"], "busybox");
    assert_eq!(message["scope"], "local");
    assert!(
        json[0].starts_with("{\"status\":\"destroy\",\"id\":"),
        "{}",
        json[0]
    );

    // Ours prints what the real CLI prints.
    let ours = harness::run(
        Command::new(crate::harness::dockbox())
            .arg0_docker()
            .args(["events", "--since", &since, "--until", &until])
            .env("DOCKER_HOST", daemon.host())
            .env("DOCKER_CONFIG", daemon.dir.join("cli-config")),
    );
    let real = daemon.docker(&["events", "--since", &since, "--until", &until]);
    assert_eq!(stdout_of(&ours), stdout_of(&real), "{}", stderr_of(&ours));
    assert!(ours.status.success());
}

trait Arg0Docker {
    fn arg0_docker(&mut self) -> &mut Self;
}

impl Arg0Docker for Command {
    fn arg0_docker(&mut self) -> &mut Self {
        use std::os::unix::process::CommandExt;
        self.arg0("docker")
    }
}

/// Reads `docker events` lines as they come, on a thread of their own.
fn spawn_events(
    daemon: &TestDaemon,
    program: &str,
    args: &[&str],
) -> (ProcessGuard, mpsc::Receiver<String>) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    if program != DOCKER_CLI {
        command.arg0("docker");
    }
    let mut child = command
        .args(args)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", daemon.dir.join("cli-config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (ProcessGuard::child(child), receiver)
}

/// Waits until the stream started in the background is subscribed: it
/// reports a probe container created after it. Lines up to the last
/// probe's are consumed; the probes are removed and their events read.
fn wait_subscribed(daemon: &TestDaemon, receiver: &mpsc::Receiver<String>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut probes = Vec::new();
    let mut line = loop {
        assert!(Instant::now() < deadline, "the event stream never started");
        let name = format!("probe-{}", probes.len());
        ok(&daemon.docker(&["create", "--name", &name, "busybox"]));
        probes.push(name);
        // Events from before the stream (the fixture's image load, which a
        // stream with `until` replays) come first.
        if let Some(line) =
            std::iter::from_fn(|| receiver.recv_timeout(Duration::from_millis(300)).ok())
                .find(|line| line.contains("probe-"))
        {
            break line;
        }
    };
    let last = probes.last().unwrap().clone();
    while !line.contains(&last) {
        line = receiver
            .recv_timeout(Duration::from_secs(10))
            .expect("the last probe's event");
    }
    let mut args = vec!["rm"];
    args.extend(probes.iter().map(String::as_str));
    ok(&daemon.docker(&args));
    let destroyed = collect(receiver, probes.len(), Duration::from_secs(10));
    assert_eq!(destroyed.len(), probes.len(), "{destroyed:?}");
}

fn collect(receiver: &mpsc::Receiver<String>, count: usize, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => break,
        }
    }
    got
}

#[test]
fn live_stream_follows_actions_until_killed() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = daemon_with_busybox("events-live");
    let format = "{{.Action}} {{.Actor.Attributes.name}}";
    for program in [
        DOCKER_CLI.to_string(),
        harness::dockbox().display().to_string(),
    ] {
        let (mut guard, receiver) =
            spawn_events(&daemon, &program, &["events", "--format", format]);
        wait_subscribed(&daemon, &receiver);
        ok(&daemon.docker(&["create", "--name", "live1", "busybox", "true"]));
        ok(&daemon.docker(&["rename", "live1", "live2"]));
        ok(&daemon.docker(&["start", "-a", "live2"]));
        ok(&daemon.docker(&["rm", "live2"]));
        let got = collect(&receiver, 6, Duration::from_secs(10));
        assert_eq!(
            got,
            [
                "create live1",
                "rename live2",
                "attach live2",
                "start live2",
                "die live2",
                "destroy live2"
            ],
            "{program}"
        );
        // Still streaming: nothing ended it.
        assert!(
            guard.child_mut().unwrap().try_wait().unwrap().is_none(),
            "{program}"
        );
        let listeners = || ok(&daemon.docker(&["info", "--format", "{{.NEventsListener}}"]));
        assert_eq!(listeners().trim(), "1", "{program}");
        drop(guard);
        // The daemon notices the hang-up without any event to send.
        crate::daemon_run::wait_for("the stream to end", || listeners().trim() == "0");
    }
    // Clients gone, the daemon still answers and streams to new ones.
    let since = unix_now();
    ok(&daemon.docker(&["create", "--name", "after", "busybox"]));
    let after = replay(&daemon, &since, &unix_now(), &["--format", "{{.Action}}"]);
    assert_eq!(after, ["create"]);
}

#[test]
fn until_in_the_future_streams_then_ends() {
    require!(need_root());
    require!(need_docker_cli());
    let daemon = daemon_with_busybox("events-until");
    let started = Instant::now();
    let (mut guard, receiver) = spawn_events(
        &daemon,
        DOCKER_CLI,
        &[
            "events",
            // Long enough for the probes of a loaded machine.
            "--until=-15s",
            "--format",
            "{{.Action}} {{.Actor.Attributes.name}}",
        ],
    );
    wait_subscribed(&daemon, &receiver);
    ok(&daemon.docker(&["create", "--name", "soon", "busybox"]));
    let got = collect(&receiver, 1, Duration::from_secs(5));
    assert_eq!(got, ["create soon"]);
    let child = guard.child_mut().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stream did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    assert!(
        started.elapsed() >= Duration::from_secs(14),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn docker_py_reads_events() {
    require!(need_root());
    require!(need_docker_cli());
    require!(harness::need_command("python3").map(|_| ()));
    let probe = harness::run(Command::new("python3").args(["-c", "import docker"]));
    if !probe.status.success() {
        harness::report_skip("docker_py_reads_events", "docker-py is not importable");
        return;
    }
    let daemon = daemon_with_busybox("events-py");
    let since = unix_now();
    ok(&daemon.docker(&["create", "--name", "py1", "-l", "k=v", "busybox", "true"]));
    ok(&daemon.docker(&["start", "py1"]));
    ok(&daemon.docker(&["wait", "py1"]));
    ok(&daemon.docker(&["rm", "py1"]));
    let until = unix_now();
    let script = r#"
import docker, json, sys
c = docker.DockerClient(base_url=sys.argv[1])
since, until = float(sys.argv[2]), float(sys.argv[3])
out = []
for e in c.events(decode=True, since=since, until=until):
    out.append([e['status'], e['id'] == e['Actor']['ID'], e.get('from'), e['Type'], e['Action'],
                e['Actor']['Attributes'].get('k'), e['scope'], e['time'] * 10**9 <= e['timeNano']])
print(json.dumps(out))
filtered = list(c.events(decode=True, since=since, until=until, filters={'event': 'die'}))
print(json.dumps([e['Actor']['Attributes']['exitCode'] for e in filtered]))
"#;
    let output =
        harness::run(Command::new("python3").args(["-c", script, &daemon.host(), &since, &until]));
    let text = ok(&output);
    let mut out = text.lines();
    let events: serde_json::Value = serde_json::from_str(out.next().unwrap()).unwrap();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[4].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "start", "die", "destroy"], "{text}");
    for event in events.as_array().unwrap() {
        assert_eq!(event[0], event[4]);
        assert_eq!(event[1], true);
        assert_eq!(event[2], "busybox");
        assert_eq!(event[3], "container");
        assert_eq!(event[5], "v");
        assert_eq!(event[6], "local");
        assert_eq!(event[7], true);
    }
    assert_eq!(out.next().unwrap(), "[\"0\"]");
}

#[test]
fn bad_queries_are_400_with_a_message() {
    require!(need_root());
    let daemon = TestDaemon::start("events-bad");
    for (query, message) in [
        ("filters=notjson", "invalid filter"),
        ("filters=%7B%22event%22%3A%22die%22%7D", "invalid filter"),
        (
            "since=abc",
            "invalid value for 'since': invalid timestamp \"abc\": invalid seconds \"abc\": invalid syntax",
        ),
        (
            "until=1.x",
            "invalid value for 'until': invalid timestamp \"1.x\": invalid nanoseconds: invalid character 'x' at position 0",
        ),
        (
            "since=20&until=10",
            "`since` time (20) cannot be after `until` time (10)",
        ),
    ] {
        let response = daemon.connect().get(&format!("/v1.50/events?{query}"));
        assert_eq!(response.status, 400, "{query}: {}", response.body_text());
        let got = response.json()["message"].as_str().unwrap().to_string();
        assert!(got.starts_with(message), "{query}: {got}");
    }
    // A past window with nothing in it is an empty 200, ended at once.
    let response = daemon.connect().get("/v1.50/events?since=1&until=2");
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty(), "{}", response.body_text());
    assert!(
        response.head.contains("Content-Type: application/json"),
        "{}",
        response.head
    );
    // The CLI refuses a bad --since itself.
    let output = harness::run(
        Command::new(DOCKER_CLI)
            .args(["events", "--since", "yesterday"])
            .env("DOCKER_HOST", daemon.host()),
    );
    assert!(!output.status.success());
}

fn actions_since(daemon: &TestDaemon, since: &str) -> Vec<String> {
    let format = "{{.Action}}{{with .Actor.Attributes.signal}} {{.}}{{end}}";
    replay(daemon, since, &unix_now(), &["--format", format])
}

#[test]
fn lifecycle_actions_log_their_events() {
    require!(crate::daemon_run::skip_unless_ready());
    let daemon = daemon_with_busybox("events-lifecycle");
    let _leftovers = crate::daemon_run::Leftovers::of(&daemon);
    let since = unix_now();
    ok(&daemon.docker(&[
        "run", "-d", "-t", "--name", "act", "busybox", "sleep", "100",
    ]));
    let mut connection = daemon.connect();
    connection.send(
        b"POST /v1.50/containers/act/resize?h=30&w=100 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(connection.read_response("POST").status, 200);
    ok(&daemon.docker(&["pause", "act"]));
    ok(&daemon.docker(&["unpause", "act"]));
    ok(&daemon.docker(&["top", "act"]));
    ok(&daemon.docker(&["update", "--cpu-shares", "512", "act"]));
    ok(&daemon.docker(&["rename", "act", "act2"]));
    ok(&daemon.docker(&["restart", "-t", "0", "act2"]));
    ok(&daemon.docker(&["kill", "act2"]));
    ok(&daemon.docker(&["rm", "act2"]));
    assert_eq!(
        actions_since(&daemon, &since),
        [
            "create", "start", "resize", "pause", "unpause", "top", "update", "rename", "kill 15",
            "kill 9", "die", "stop", "start", "restart", "kill 9", "die", "destroy",
        ]
    );
    let resize = replay(
        &daemon,
        &since,
        &unix_now(),
        &[
            "-f",
            "event=resize",
            "-f",
            "event=rename",
            "--format",
            "{{json .Actor.Attributes}}",
        ],
    );
    assert_eq!(
        resize,
        [
            r#"{"height":"30","image":"busybox","name":"act","width":"100"}"#,
            r#"{"image":"busybox","name":"act2","oldName":"/act"}"#,
        ]
    );
    // Container prune logs what it removed and then itself.
    let pruned_since = unix_now();
    ok(&daemon.docker(&["create", "--name", "gone", "busybox"]));
    ok(&daemon.docker(&["container", "prune", "-f"]));
    assert_eq!(
        actions_since(&daemon, &pruned_since),
        ["create", "destroy", "prune"]
    );
    crate::daemon_run::assert_nothing_left(&daemon);
}

#[test]
fn die_is_logged_once_for_exits_seen_at_restore() {
    require!(crate::daemon_run::skip_unless_ready());
    let daemon = daemon_with_busybox("events-restore");
    let _leftovers = crate::daemon_run::Leftovers::of(&daemon);
    ok(&daemon.docker(&[
        "run",
        "-d",
        "--name",
        "ends",
        "busybox",
        "sh",
        "-c",
        "sleep 1; exit 5",
    ]));
    // The daemon dies by SIGKILL; the exit happens while none runs, and
    // the next one learns of it at start.
    let mut daemon = daemon;
    daemon.child().kill().unwrap();
    daemon.child().wait().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let daemon = TestDaemon::start_in(daemon);
    crate::daemon_run::wait_for("the exit while the daemon was down", || {
        crate::daemon_run::inspect(&daemon, "ends", "{{.State.Status}}") == "exited"
    });
    let seen = replay(
        &daemon,
        "0",
        &unix_now(),
        &[
            "--format",
            "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}",
        ],
    );
    assert_eq!(seen, ["die ends 5"]);
    ok(&daemon.docker(&["rm", "ends"]));
    crate::daemon_run::assert_nothing_left(&daemon);
}

#[test]
fn oom_comes_before_die() {
    require!(crate::daemon_run::skip_unless_ready());
    if !std::path::Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists() {
        harness::report_skip("oom_comes_before_die", "no cgroup v1 memory controller");
        return;
    }
    let daemon = daemon_with_busybox("events-oom");
    let _leftovers = crate::daemon_run::Leftovers::of(&daemon);
    let since = unix_now();
    let output = daemon.docker(&[
        "run",
        "-d",
        "--name",
        "hungry",
        "-m",
        "32m",
        "--memory-swap",
        "32m",
        "--shm-size",
        "256m",
        "busybox",
        "sh",
        "-c",
        "exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=128",
    ]);
    ok(&output);
    ok(&daemon.docker(&["wait", "hungry"]));
    let seen = replay(
        &daemon,
        &since,
        &unix_now(),
        &["--format", "{{.Action}} {{.Actor.Attributes.exitCode}}"],
    );
    assert_eq!(
        seen,
        [
            "create <no value>",
            "start <no value>",
            "oom <no value>",
            "die 137"
        ]
    );
    ok(&daemon.docker(&["rm", "hungry"]));
    crate::daemon_run::assert_nothing_left(&daemon);
}

#[test]
fn shutdown_ends_live_streams_cleanly() {
    require!(need_root());
    require!(need_docker_cli());
    let mut daemon = daemon_with_busybox("events-shutdown");
    let (mut guard, receiver) = spawn_events(&daemon, DOCKER_CLI, &["events"]);
    wait_subscribed(&daemon, &receiver);
    let pid = daemon.child().id() as i32;
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let started = Instant::now();
    let child = guard.child_mut().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the stream outlived the daemon"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let exited = daemon.child().wait().unwrap();
    assert!(exited.success(), "{exited:?}\n{}", daemon.log());
}

#[test]
fn image_actions_log_their_events() {
    require!(need_root());
    require!(need_docker_cli());
    require!(crate::harness::busybox::host_busybox().map(|_| ()));
    let daemon = daemon_with_loaded_busybox("events-images");
    let rootfs = BusyboxRootfs::build(&daemon.dir.join("import-src")).unwrap();
    let tar = daemon.dir.join("rootfs.tar");
    crate::harness::busybox::write_rootfs_tar(&rootfs.path, std::fs::File::create(&tar).unwrap())
        .unwrap();
    let saved = daemon.dir.join("saved.tar");
    let since = unix_now();
    ok(&daemon.docker(&["save", "-o", saved.to_str().unwrap(), "busybox"]));
    let imported = ok(&daemon.docker(&["import", tar.to_str().unwrap(), "evimp:1"]));
    let imported = imported.trim();
    ok(&daemon.docker(&["rmi", "busybox"]));
    ok(&daemon.docker(&["load", "-q", "-i", saved.to_str().unwrap()]));
    ok(&daemon.docker(&["image", "prune", "-a", "-f"]));
    let seen = replay(
        &daemon,
        &since,
        &unix_now(),
        &[
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.ID}}",
        ],
    );
    let busybox = seen[0].rsplit(' ').next().unwrap().to_string();
    let want = [
        format!("image save {busybox} {busybox}"),
        format!("image tag evimp:1 {imported}"),
        format!("image import {imported} {imported}"),
        format!("image untag {busybox} {busybox}"),
        format!("image delete {busybox} {busybox}"),
        format!("image load {busybox} {busybox}"),
    ];
    assert_eq!(seen[..6], want, "{seen:#?}");
    // Prune removes both images (an untag and a delete each, in image
    // order) and logs itself last.
    let pruned: Vec<&str> = seen[6..]
        .iter()
        .map(|line| line.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(pruned.len(), 5, "{seen:#?}");
    assert_eq!(pruned[..2], ["untag", "delete"], "{seen:#?}");
    assert_eq!(pruned[2..], ["untag", "delete", "prune"], "{seen:#?}");
    assert_eq!(seen[10], "image prune <no value> ", "{seen:#?}");
}
