//! `docker exec` against our daemon with the real Docker CLI 28: output
//! and exit codes, `-u`, `-w`, `-e`, `-i`, `-d` with `top`, the errors for
//! stopped, paused and unknown containers and commands (compared with
//! Debian's dockerd 20.10), the security of the new process, events, the
//! Engine API's exec endpoints, and an exec that ends while the daemon is
//! down.

use crate::daemon_run::{Leftovers, daemon_with_busybox, inspect, ok, skip_unless_ready};
use crate::daemon_support::{DOCKER_CLI, TestDaemon};
use crate::harness::engine::Engine;
use crate::harness::{stderr_of, stdout_of};
use crate::require;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn sleeper(daemon: &TestDaemon, name: &str) {
    ok(
        daemon,
        &daemon.docker(&["run", "-d", "--name", name, "busybox", "sleep", "1000"]),
    );
}

fn exec_with_stdin(daemon: &TestDaemon, args: &[&str], input: &[u8]) -> Output {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut child = Command::new(DOCKER_CLI)
        .args(args)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn exec_runs_commands_with_their_output_options_and_exit_code() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("exec-basic");
    let _leftovers = Leftovers::of(&daemon);
    sleeper(&daemon, "box");
    let hi = daemon.docker(&["exec", "box", "echo", "hi"]);
    assert_eq!(ok(&daemon, &hi), "hi\n");
    let both = daemon.docker(&["exec", "box", "sh", "-c", "echo out; echo err >&2"]);
    assert_eq!(
        (stdout_of(&both), stderr_of(&both)),
        ("out\n".into(), "err\n".into())
    );
    let seven = daemon.docker(&["exec", "box", "sh", "-c", "exit 7"]);
    assert_eq!(seven.status.code(), Some(7), "{}", stderr_of(&seven));
    let user = daemon.docker(&["exec", "-u", "nobody", "box", "id", "-u"]);
    assert_eq!(ok(&daemon, &user), "65534\n");
    let cwd = daemon.docker(&["exec", "-w", "/tmp", "box", "pwd"]);
    assert_eq!(ok(&daemon, &cwd), "/tmp\n");
    let env = daemon.docker(&["exec", "-e", "A=b", "box", "sh", "-c", "echo $A $HOSTNAME"]);
    let hostname = inspect(&daemon, "box", "{{.Config.Hostname}}");
    assert_eq!(ok(&daemon, &env), format!("b {hostname}\n"));
    let env_file = daemon.dir.join("exec.env");
    std::fs::write(&env_file, "FROM_FILE=yes\n").unwrap();
    let from_file = daemon.docker(&[
        "exec",
        "--env-file",
        env_file.to_str().unwrap(),
        "box",
        "sh",
        "-c",
        "echo $FROM_FILE",
    ]);
    assert_eq!(ok(&daemon, &from_file), "yes\n");
    let piped = exec_with_stdin(&daemon, &["exec", "-i", "box", "cat"], b"through stdin\n");
    assert_eq!(ok(&daemon, &piped), "through stdin\n");
    let missing = daemon.docker(&["exec", "box", "no-such-command"]);
    assert_eq!(missing.status.code(), Some(126), "{}", stderr_of(&missing));
    let not_executable = daemon.docker(&["exec", "box", "/etc/passwd"]);
    assert_eq!(not_executable.status.code(), Some(126));
    ok(&daemon, &daemon.docker(&["rm", "-f", "box"]));
}

#[test]
fn exec_detached_shows_in_top_and_events_and_inspect() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("exec-detach");
    let _leftovers = Leftovers::of(&daemon);
    sleeper(&daemon, "box");
    let detached = daemon.docker(&["exec", "-d", "box", "sleep", "4242"]);
    assert_eq!(ok(&daemon, &detached), "");
    let mut shown = String::new();
    crate::daemon_run::wait_for("the exec in top", || {
        shown = ok(&daemon, &daemon.docker(&["top", "box"]));
        shown.contains("sleep 4242")
    });
    let ids = inspect(&daemon, "box", "{{len .ExecIDs}}");
    assert_eq!(ids, "1");
    ok(&daemon, &daemon.docker(&["exec", "box", "true"]));
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let events = ok(
        &daemon,
        &daemon.docker(&[
            "events",
            "--since",
            "0",
            "--until",
            &soon.to_string(),
            "--filter",
            "container=box",
            "--format",
            "{{.Action}}",
        ]),
    );
    for action in [
        "exec_create: sleep 4242",
        "exec_start: sleep 4242",
        "exec_create: true",
        "exec_start: true",
        "exec_die",
    ] {
        assert!(events.contains(action), "{action} missing in:\n{events}");
    }
    // The stop kills the exec with the container.
    ok(&daemon, &daemon.docker(&["stop", "-t", "1", "box"]));
    ok(&daemon, &daemon.docker(&["rm", "box"]));
}

/// The CLI's stderr and exit code for `docker exec` into a stopped, a
/// paused and a missing container, and a second start of one exec.
fn refusals(docker: &dyn Fn(&[&str]) -> Output, prefix: &str) -> Vec<(Option<i32>, String)> {
    let name = |n: &str| format!("{prefix}{n}");
    let (stopped, paused) = (name("stopped"), name("paused"));
    let must = |args: &[&str]| {
        let output = docker(args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    };
    // Left by an earlier run that failed half-way, on the shared engine.
    let _ = docker(&["rm", "-f", &stopped, &paused]);
    must(&["create", "--name", &stopped, "busybox", "sleep", "1000"]);
    must(&["run", "-d", "--name", &paused, "busybox", "sleep", "1000"]);
    must(&["pause", &paused]);
    let mut seen = Vec::new();
    for target in [stopped.as_str(), paused.as_str(), "no-such-container-x"] {
        let output = docker(&["exec", target, "true"]);
        let text = stderr_of(&output).replace(&container_id(docker, target), "ID");
        seen.push((output.status.code(), text));
    }
    must(&["unpause", &paused]);
    let running = paused;
    for args in [
        &["exec", &running, "no-such-command"][..],
        &["exec", "-t", &running, "no-such-command"],
        &["exec", "-d", &running, "no-such-command"],
        &["exec", &running, "/etc/passwd"],
        &["exec", "-u", "nobodyx", &running, "pwd"],
        &["exec", "-w", "/proc/self/fd/5", &running, "pwd"],
        &[
            "exec",
            &running,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ],
        &[
            "exec",
            "-u",
            "nobody",
            "-w",
            "/tmp",
            "-e",
            "A=b",
            &running,
            "sh",
            "-c",
            "id -u; id -g; pwd; echo $A $HOME",
        ],
        &["exec", &running, "ls", "/proc/self/fd"],
    ] {
        let output = docker(args);
        seen.push((
            output.status.code(),
            stdout_of(&output) + &stderr_of(&output),
        ));
    }
    must(&["rm", "-f", &stopped, &running]);
    seen
}

fn container_id(docker: &dyn Fn(&[&str]) -> Output, name: &str) -> String {
    let output = docker(&["inspect", "--format", "{{.Id}}", name]);
    let id = stdout_of(&output).trim().to_string();
    if id.is_empty() { name.to_string() } else { id }
}

#[test]
fn exec_refusals_match_dockerd() {
    require!(skip_unless_ready());
    require!(crate::harness::engine::need_engine());
    let daemon = daemon_with_busybox("exec-refusals");
    let _leftovers = Leftovers::of(&daemon);
    let ours = refusals(&|args| daemon.docker(args), "exec-refusals-");
    let engine = Engine::shared().unwrap_or_else(|e| panic!("{e}"));
    engine.load_busybox();
    let theirs = refusals(&|args| engine.docker(args), "exec-refusals-");
    let differences: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(ours, theirs)| ours != theirs)
        .map(|(ours, theirs)| format!("ours {ours:?}\ndockerd {theirs:?}"))
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours[0].0, Some(1));
}

fn status_line<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .unwrap_or_else(|| panic!("{key} missing in {status}"))
        .trim()
}

#[test]
fn exec_processes_get_the_containers_security_and_no_host_fds() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("exec-security");
    let _leftovers = Leftovers::of(&daemon);
    sleeper(&daemon, "box");
    let fds = daemon.docker(&["exec", "box", "ls", "/proc/self/fd"]);
    // ls's own directory fd is the fourth.
    assert_eq!(ok(&daemon, &fds), "0\n1\n2\n3\n");
    let status = ok(
        &daemon,
        &daemon.docker(&["exec", "box", "cat", "/proc/self/status"]),
    );
    let init = ok(
        &daemon,
        &daemon.docker(&["exec", "box", "cat", "/proc/1/status"]),
    );
    assert_eq!(status_line(&status, "CapInh:"), "0000000000000000");
    assert_eq!(
        status_line(&status, "CapBnd:"),
        status_line(&init, "CapBnd:")
    );
    assert_eq!(status_line(&status, "Seccomp:"), "2");
    assert_eq!(
        status_line(&status, "NoNewPrivs:"),
        status_line(&init, "NoNewPrivs:")
    );
    let privileged = ok(
        &daemon,
        &daemon.docker(&["exec", "--privileged", "box", "cat", "/proc/self/status"]),
    );
    assert_ne!(
        status_line(&privileged, "CapEff:"),
        status_line(&status, "CapEff:")
    );
    // A cwd that names one of the runtime's fds never leads to the host.
    let escape = daemon.docker(&["exec", "-w", "/proc/self/fd/5", "box", "pwd"]);
    assert_ne!(escape.status.code(), Some(0), "{}", stdout_of(&escape));
    ok(&daemon, &daemon.docker(&["rm", "-f", "box"]));
}

/// One request on a fresh connection: status and body.
fn api(daemon: &TestDaemon, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let response = daemon.connect().request(method, path, body);
    let text = response.body_text();
    (
        response.status,
        serde_json::from_str(&text).unwrap_or_default(),
    )
}

#[test]
fn an_exec_that_ends_while_the_daemon_is_down_keeps_its_exit_code() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("exec-restore");
    let _leftovers = Leftovers::of(&daemon);
    sleeper(&daemon, "box");
    let create = r#"{"Cmd":["sh","-c","sleep 2; exit 3"]}"#;
    let (status, created) = api(&daemon, "POST", "/containers/box/exec", create);
    assert_eq!(status, 201, "{created}");
    let id = created["Id"].as_str().unwrap().to_string();
    let (status, _) = api(
        &daemon,
        "POST",
        &format!("/exec/{id}/start"),
        r#"{"Detach":true}"#,
    );
    assert_eq!(status, 200);
    let (_, running) = api(&daemon, "GET", &format!("/exec/{id}/json"), "");
    assert_eq!(running["Running"], true, "{running}");
    assert!(running["ExitCode"].is_null());
    assert!(running["Pid"].as_i64().unwrap() > 0);
    assert_eq!(running["ProcessConfig"]["entrypoint"], "sh");
    // TestDaemon's guard kills with SIGKILL.
    let daemon = TestDaemon::start_in(daemon);
    std::thread::sleep(Duration::from_secs(3));
    let daemon = TestDaemon::start_in(daemon);
    let (status, ended) = api(&daemon, "GET", &format!("/exec/{id}/json"), "");
    assert_eq!(status, 200, "{ended}");
    assert_eq!(
        (ended["Running"].clone(), ended["ExitCode"].clone()),
        (false.into(), 3.into())
    );
    let again = api(
        &daemon,
        "POST",
        &format!("/exec/{id}/start"),
        r#"{"Detach":true}"#,
    );
    assert_eq!(again.0, 409, "{}", again.1);
    assert_eq!(
        again.1["message"],
        format!("Error: Exec command {id} has already run")
    );
    let fresh = daemon.docker(&["exec", "box", "echo", "after"]);
    assert_eq!(ok(&daemon, &fresh), "after\n");
    let unknown = api(&daemon, "GET", "/exec/nope/json", "");
    assert_eq!(unknown.0, 404);
    assert_eq!(unknown.1["message"], "No such exec instance: nope");
    let no_cmd = api(&daemon, "POST", "/containers/box/exec", "{}");
    assert_eq!(no_cmd.0, 400);
    ok(&daemon, &daemon.docker(&["rm", "-f", "box"]));
}

fn docker_py_exec(host: &str, prefix: &str) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/daemon_exec_py.py"
    );
    let output = crate::harness::run(Command::new("python3").args([script, host, prefix]));
    assert!(
        output.status.success(),
        "{}{}",
        stdout_of(&output),
        stderr_of(&output)
    );
    stdout_of(&output)
}

#[test]
fn docker_py_exec_scenarios_match_dockerd() {
    require!(skip_unless_ready());
    require!(crate::harness::engine::need_engine());
    let probe = crate::harness::run(Command::new("python3").args(["-c", "import docker"]));
    require!(if probe.status.success() {
        Ok(())
    } else {
        Err("docker-py is not importable".to_string())
    });
    let daemon = daemon_with_busybox("exec-py");
    let _leftovers = Leftovers::of(&daemon);
    let ours = docker_py_exec(&daemon.host(), "");
    let engine = Engine::shared().unwrap_or_else(|e| panic!("{e}"));
    engine.load_busybox();
    let socket = engine.dir().join("docker.sock");
    let theirs = docker_py_exec(&format!("unix://{}", socket.display()), "ours-control-");
    assert_eq!(ours, theirs);
    assert!(ours.contains("execute b'hello\\n'"), "{ours}");
}

/// Our client, as `docker`, against `daemon`, with `input` on stdin.
fn our_client(daemon: &TestDaemon, args: &[&str], input: &[u8]) -> Output {
    let config = daemon.dir.join("cli-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut child = Command::new(crate::harness::dockbox())
        .arg("docker")
        .args(args)
        .env("DOCKER_HOST", daemon.host())
        .env("DOCKER_CONFIG", &config)
        .env("FROM_CLIENT", "client-value")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn our_client_execs_as_the_real_cli_does() {
    require!(skip_unless_ready());
    let daemon = daemon_with_busybox("exec-client");
    let _leftovers = Leftovers::of(&daemon);
    sleeper(&daemon, "box");
    let env_file = daemon.dir.join("exec.env");
    std::fs::write(&env_file, "FROM_FILE=yes\n").unwrap();
    let env_file = env_file.to_string_lossy().into_owned();
    let cases: &[&[&str]] = &[
        &["exec", "box", "echo", "hi"],
        &["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 7"],
        &[
            "exec",
            "-u",
            "nobody",
            "-w",
            "/tmp",
            "box",
            "sh",
            "-c",
            "id -u; pwd",
        ],
        &[
            "exec",
            "-e",
            "A=b",
            "-e",
            "FROM_CLIENT",
            "--env-file",
            &env_file,
            "box",
            "sh",
            "-c",
            "echo $A $FROM_CLIENT $FROM_FILE",
        ],
        &["exec", "-i", "box", "cat"],
        &["exec", "box", "cat"],
        &[
            "exec",
            "--privileged",
            "box",
            "sh",
            "-c",
            "grep CapEff /proc/self/status",
        ],
        &["exec", "box", "no-such-command"],
        &["exec", "no-such-box", "true"],
        &["exec", "-t", "box", "true"],
        &["exec", "-it", "box", "true"],
        &["exec", "-w", "/proc/self/fd/5", "box", "pwd"],
    ];
    for args in cases {
        let real = {
            let config = daemon.dir.join("cli-config");
            let mut child = Command::new(DOCKER_CLI)
                .args(*args)
                .env("DOCKER_HOST", daemon.host())
                .env("DOCKER_CONFIG", &config)
                .env("FROM_CLIENT", "client-value")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"piped in\n")
                .unwrap();
            child.wait_with_output().unwrap()
        };
        let ours = our_client(&daemon, args, b"piped in\n");
        assert_eq!(
            (ours.status.code(), stdout_of(&ours), stderr_of(&ours)),
            (real.status.code(), stdout_of(&real), stderr_of(&real)),
            "{args:?}"
        );
    }
    let detached = our_client(&daemon, &["exec", "-d", "box", "sleep", "4545"], b"");
    assert_eq!(ok(&daemon, &detached), "");
    crate::daemon_run::wait_for("the detached exec in top", || {
        ok(&daemon, &daemon.docker(&["top", "box"])).contains("sleep 4545")
    });
    ok(&daemon, &daemon.docker(&["rm", "-f", "box"]));
}

/// The CMD column of `docker top NAME`, sorted.
fn top_commands(docker: &dyn Fn(&[&str]) -> Output, name: &str) -> Vec<String> {
    let shown = stdout_of(&docker(&["top", name]));
    let mut lines = shown.lines();
    let at = lines.next().and_then(|h| h.find("CMD")).unwrap_or(0);
    let mut commands: Vec<String> = lines
        .filter_map(|line| line.get(at..))
        .map(|cmd| cmd.trim().to_string())
        .collect();
    commands.sort();
    commands
}

/// `GET /exec/ID/json`: the status and, for a 200, Running and ExitCode
/// (or the message of a refusal).
fn exec_state(socket: &std::path::Path, id: &str) -> (u16, String, Option<i64>) {
    let answer =
        crate::daemon_support::RawConnection::connect(socket).get(&format!("/exec/{id}/json"));
    let json = answer.json();
    let summary = match answer.status {
        200 => format!("Running={} ExitCode={}", json["Running"], json["ExitCode"]),
        _ => json["message"]
            .as_str()
            .unwrap_or_default()
            .replace(id, "ID"),
    };
    (answer.status, summary, json["Pid"].as_i64())
}

/// `exec -d` into a container (run with `extra`), `top`, then `stop`: what
/// top lists, the exec's state before and after, and whether its host pid
/// is gone once stop returns (#16).
fn exec_then_stop(
    docker: &dyn Fn(&[&str]) -> Output,
    socket: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> Vec<String> {
    let must = |args: &[&str]| {
        let output = docker(args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
        stdout_of(&output).trim().to_string()
    };
    let _ = docker(&["rm", "-f", name]);
    let mut run = vec!["run", "-d", "--name", name];
    run.extend_from_slice(extra);
    run.extend_from_slice(&["busybox", "sleep", "1000"]);
    must(&run);
    must(&["exec", "-d", name, "sleep", "1001"]);
    let mut commands = Vec::new();
    crate::daemon_run::wait_for("the exec in top", || {
        commands = top_commands(docker, name);
        commands.iter().any(|c| c == "sleep 1001")
    });
    let exec_id = must(&["inspect", "-f", "{{index .ExecIDs 0}}", name]);
    let (status, before, pid) = exec_state(socket, &exec_id);
    let pid = pid.filter(|pid| *pid > 0).expect("the running exec's pid");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert_eq!(cmdline, b"sleep\x001001\x00", "exec pid {pid} on the host");
    must(&["stop", "-t", "1", name]);
    let gone = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|now| now != cmdline)
        .unwrap_or(true);
    // moby's stop answers before its cleanup forgets the container's
    // execs: what the exec turns into, within a few seconds.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (status_after, after) = loop {
        let (status, after, _) = exec_state(socket, &exec_id);
        if status == 404 || std::time::Instant::now() > deadline {
            break (status, after);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let ids = must(&["inspect", "-f", "{{len .ExecIDs}}", name]);
    must(&["rm", name]);
    vec![
        format!("top: {}", commands.join("|")),
        format!("before: {status} {before}"),
        format!("exec gone after stop: {gone}"),
        format!("after: {status_after} {after}"),
        format!("ExecIDs after: {ids}"),
    ]
}

#[test]
fn stop_kills_the_execs_as_dockerd_does() {
    require!(skip_unless_ready());
    require!(crate::harness::engine::need_engine());
    let daemon = daemon_with_busybox("exec-stop");
    let _leftovers = Leftovers::of(&daemon);
    let engine = Engine::shared().unwrap_or_else(|e| panic!("{e}"));
    engine.load_busybox();
    let engine_socket = engine.dir().join("docker.sock");
    for extra in [&[][..], &["--pid", "host"][..]] {
        let ours = exec_then_stop(
            &|a| daemon.docker(a),
            &daemon.dir.join("sock"),
            "exec-stop",
            extra,
        );
        let theirs = exec_then_stop(&|a| engine.docker(a), &engine_socket, "exec-stop", extra);
        eprintln!("{extra:?}\nours    {ours:?}\ndockerd {theirs:?}");
        if extra.is_empty() {
            assert_eq!(ours, theirs);
        } else {
            // dockerd forgets an exec still running when a container in
            // the host's pid namespace exits (404); ours keeps its record
            // (Running=false, ExitCode 137). The rest is the same.
            let (mut ours, mut theirs) = (ours.clone(), theirs);
            assert_eq!(ours.remove(3), "after: 200 Running=false ExitCode=137");
            assert_eq!(theirs.remove(3), "after: 404 No such exec instance: ID");
            assert_eq!(ours, theirs, "{extra:?}");
        }
        assert_eq!(ours[2], "exec gone after stop: true", "{extra:?}");
    }
}
