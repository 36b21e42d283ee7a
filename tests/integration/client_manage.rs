//! Golden cases of the commands that act on existing containers (stop,
//! restart, kill, pause, unpause, update, top, port, stats) and of
//! `{{json .}}` rows: the real CLI and ours against one daemon, compared
//! after normalising IDs and times. Stats figures move with time, so the
//! stats cases print stable fields, or containers that do not run (whose
//! figures are all zero).

use crate::client_golden::{Case, case, compare_clients};

const FIXTURE: &[&[&str]] = &[
    &["load", "-q", "-i", "busybox.tar"],
    &["run", "-d", "--name", "m-run", "busybox", "sleep", "1000"],
    &[
        "run", "-d", "--name", "m-mem", "-m", "64m", "busybox", "sleep", "1000",
    ],
    &["create", "--name", "m-created", "-p", "8080:80", "busybox"],
];

/// A running container `name` for one case, removed after it.
macro_rules! with_running {
    ($name:literal, $args:expr) => {
        Case {
            setup: &[&["run", "-d", "--name", $name, "busybox", "sleep", "1000"]],
            cleanup: &[&["rm", "-f", $name]],
            ..case($args)
        }
    };
}

/// A paused container `name` for one case, removed after it.
macro_rules! with_paused {
    ($name:literal, $args:expr) => {
        Case {
            setup: &[
                &["run", "-d", "--name", $name, "busybox", "sleep", "1000"],
                &["pause", $name],
            ],
            cleanup: &[&["rm", "-f", $name]],
            ..case($args)
        }
    };
}

/// A created (never started) container `name` for one case.
macro_rules! with_created {
    ($name:literal, $args:expr) => {
        Case {
            setup: &[&["create", "--name", $name, "busybox"]],
            cleanup: &[&["rm", "-f", $name]],
            ..case($args)
        }
    };
}

const NO_SOCKET: &[(&str, &str)] = &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")];
const OLD_API: &[(&str, &str)] = &[("DOCKER_API_VERSION", "1.41")];
/// A config whose `statsFormat` replaces the default table.
const STATS_CONFIG: &[(&str, &str)] = &[("DOCKER_CONFIG", "$WORK/cfg-default")];

const CASES: &[Case] = &[
    // stop
    with_running!("m-stop1", &["stop", "-t", "0", "m-stop1"]),
    with_running!("m-stop2", &["stop", "--time=1", "m-stop2"]),
    with_running!("m-stop3", &["stop", "-s", "KILL", "m-stop3"]),
    with_running!("m-stop4", &["stop", "--signal", "FOO", "m-stop4"]),
    with_running!("m-stop5", &["stop", "-t", "0", "nope", "m-stop5", "gone"]),
    with_running!("m-stop6", &["container", "stop", "-t", "0", "m-stop6"]),
    Case {
        env: OLD_API,
        ..with_running!("m-stop7", &["stop", "-s", "SIGKILL", "-t", "0", "m-stop7"])
    },
    case(&["stop", "m-created"]),
    case(&["stop", "-t", "0", "--time", "1", "nope"]),
    case(&["stop", "-t", "x", "m-run"]),
    case(&["stop", "--bogus", "m-run"]),
    case(&["stop"]),
    case(&["stop", " "]),
    // restart
    with_running!("m-restart1", &["restart", "-t", "0", "m-restart1"]),
    with_created!(
        "m-restart2",
        &["container", "restart", "-s", "KILL", "m-restart2"]
    ),
    case(&["restart", "nope"]),
    case(&["restart", "--time", "0", "--time=1", "nope"]),
    case(&["restart", "-t", "0", "-s", "FOO", "m-run"]),
    // kill
    with_running!("m-kill1", &["kill", "m-kill1"]),
    with_running!("m-kill2", &["kill", "-s", "USR1", "m-kill2"]),
    with_running!(
        "m-kill3",
        &["container", "kill", "--signal=9", "m-kill3", "nope"]
    ),
    case(&["kill", "-s", "FOO", "m-run"]),
    case(&["kill", "-s", "FOO", "nope"]),
    case(&["kill", "m-created"]),
    // pause and unpause
    with_running!("m-pause1", &["pause", "m-pause1"]),
    with_paused!("m-pause2", &["pause", "m-pause2"]),
    with_paused!("m-pause3", &["unpause", "m-pause3"]),
    with_paused!("m-pause4", &["container", "unpause", "m-pause4", "nope"]),
    with_running!("m-pause5", &["container", "pause", "m-pause5", "m-created"]),
    case(&["unpause", "m-run"]),
    case(&["pause"]),
    // update
    with_running!("m-up1", &["update", "-m", "128m", "m-up1"]),
    with_running!(
        "m-up2",
        &[
            "update",
            "--cpus",
            "0.5",
            "--cpu-shares",
            "512",
            "--pids-limit",
            "50",
            "m-up2"
        ]
    ),
    with_running!(
        "m-up3",
        &[
            "update",
            "--memory",
            "96m",
            "--memory-swap",
            "192m",
            "--memory-reservation",
            "32m",
            "m-up3"
        ]
    ),
    with_running!("m-up4", &["update", "--restart", "on-failure:3", "m-up4"]),
    with_running!(
        "m-up5",
        &[
            "container",
            "update",
            "--cpu-period",
            "100000",
            "--cpu-quota",
            "50000",
            "--cpuset-cpus",
            "0",
            "m-up5",
            "nope"
        ]
    ),
    with_created!(
        "m-up6",
        &["update", "--restart", "always", "-c", "100", "m-up6"]
    ),
    with_running!("m-up7", &["update", "--blkio-weight", "300", "m-up7"]),
    case(&["update", "--blkio-weight", "5", "m-run", "nope"]),
    case(&["update", "--kernel-memory", "10m", "m-run"]),
    case(&["update", "--blkio-weight", "70000", "m-run"]),
    case(&["update", "-m", "1k", "m-run"]),
    case(&["update", "-m", "lots", "m-run"]),
    case(&["update", "--restart", ":2", "m-run"]),
    case(&["update", "--restart", "on-failure:x", "m-run"]),
    case(&["update", "m-run"]),
    case(&["update", "--pids-limit", "x", "m-run"]),
    // top
    case(&["top", "m-created"]),
    case(&["top", "nope"]),
    case(&["top"]),
    case(&["container", "top", "m-run", "-o", "pid,comm"]),
    case(&["top", "m-run", "-o", "comm,args"]),
    case(&["top", "m-run", "-o", "bogus"]),
    case(&["top", "m-run", "-o", "user=PID"]),
    case(&["top", "m-run", "-o", "pid,comm", "--no-headers"]),
    // port
    case(&["port", "m-run"]),
    case(&["port", "m-created"]),
    case(&["port", "m-created", "80"]),
    case(&["port", "m-created", "80/udp"]),
    case(&["container", "port", "m-created", "http"]),
    case(&["port", "m-created", "99999"]),
    case(&["port", "nope"]),
    case(&["port", "m-run", "1", "2"]),
    // stats
    case(&["stats", "--no-stream", "m-created"]),
    case(&[
        "stats",
        "--no-stream",
        "--format",
        "{{json .}}",
        "m-created",
    ]),
    case(&["stats", "--no-stream", "--format", "json", "m-created"]),
    case(&[
        "stats",
        "--no-stream",
        "--format",
        "table {{.Name}}\t{{.ID}}\t{{.Container}}",
        "m-run",
        "m-mem",
        "m-run",
    ]),
    case(&[
        "stats",
        "--no-stream",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Name}}",
        "m-run",
    ]),
    case(&["stats", "--no-stream", "--format", "{{.Name}}"]),
    case(&["stats", "--no-stream", "-a", "--format", "{{.Name}}"]),
    case(&[
        "container",
        "stats",
        "--no-stream",
        "--format",
        "table {{.Container}}",
    ]),
    case(&["stats", "--no-stream", "--format", "{{.Foo}}", "m-run"]),
    case(&["stats", "--no-stream", "--format", "{{.Name", "m-run"]),
    case(&["stats", "--no-stream", "nope", "m-run", "gone"]),
    case(&["stats", "--no-stream", ""]),
    Case {
        env: STATS_CONFIG,
        ..case(&["stats", "--no-stream", "m-created"])
    },
    // help and an absent daemon
    case(&["stop", "--help"]),
    case(&["container", "update", "--help"]),
    case(&["stats", "--help"]),
    case(&["top", "--help"]),
    Case {
        env: NO_SOCKET,
        ..case(&["stop", "a1", "b1"])
    },
    Case {
        env: NO_SOCKET,
        ..case(&["update", "-m", "10m", "a1", "b1"])
    },
    Case {
        env: NO_SOCKET,
        ..case(&["stats", "--no-stream", "a1"])
    },
    Case {
        env: NO_SOCKET,
        ..case(&["port", "a1"])
    },
    // {{json .}} rows of ps and images
    case(&[
        "ps",
        "-a",
        "--filter",
        "status=created",
        "--format",
        "{{json .}}",
    ]),
    case(&["images", "--format", "{{json .}}"]),
    case(&["ps", "--format", "{{json .}}", "--filter", "name=nope"]),
];

#[test]
fn manage_commands_print_as_the_real_cli() {
    compare_clients("client-manage", FIXTURE, CASES);
}
