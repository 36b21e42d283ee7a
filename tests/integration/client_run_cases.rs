//! Golden cases of the streaming container commands: `run`, `start`,
//! `attach`, `logs` and `wait` (and their `container` aliases), through
//! the real Docker CLI and ours against one daemon. The fixture loads
//! busybox and leaves exited containers with known logs behind.

use crate::client_golden::{Case, Input, case, compare_clients};

const FIXTURE: &[&[&str]] = &[
    &["load", "-q", "-i", "busybox.tar"],
    &[
        "run",
        "--name",
        "logs1",
        "busybox",
        "sh",
        "-c",
        "echo out1; echo err1 >&2; echo out2; echo out3; exit 2",
    ],
    &[
        "run",
        "-t",
        "--name",
        "ttylog",
        "busybox",
        "sh",
        "-c",
        "echo tty-out; echo tty-err >&2",
    ],
];

/// A file of the busybox fixture, as stdin.
const GROUP_FILE: Input = Input::File("rootfs/etc/group");

const CASES: &[Case] = &[
    // run: output, exit statuses, the 126/127 of a command that cannot run
    case(&["run", "--rm", "busybox", "echo", "hi"]),
    case(&[
        "container",
        "run",
        "--rm",
        "busybox",
        "echo",
        "via",
        "group",
    ]),
    case(&["run", "--rm", "busybox", "sh", "-c", "exit 3"]),
    case(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]),
    case(&["run", "--rm", "busybox", "nosuchcmd"]),
    case(&["run", "--rm", "busybox", "/etc/passwd"]),
    case(&["run", "--rm", "busybox", "/etc"]),
    case(&["run", "--rm", "busybox", "/no/such/file"]),
    case(&["run", "-d", "--rm", "busybox", "nosuchcmd"]),
    case(&[
        "run",
        "--rm",
        "-a",
        "stdout",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]),
    case(&[
        "run",
        "--rm",
        "-a",
        "stderr",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 4",
    ]),
    case(&[
        "run",
        "--rm",
        "-t",
        "busybox",
        "sh",
        "-c",
        "echo tty; echo tty-err >&2",
    ]),
    // stdin
    Case {
        stdin: GROUP_FILE,
        ..case(&["run", "-i", "--rm", "busybox", "cat"])
    },
    Case {
        stdin: GROUP_FILE,
        ..case(&["run", "-i", "--rm", "busybox", "wc", "-l"])
    },
    case(&["run", "-i", "--rm", "busybox", "cat"]),
    case(&["run", "-it", "--rm", "busybox", "sh"]),
    // many flags
    case(&[
        "run",
        "--rm",
        "-e",
        "A=1",
        "-e",
        "B=two words",
        "-w",
        "/tmp",
        "-u",
        "65534",
        "-h",
        "myhost",
        "busybox",
        "sh",
        "-c",
        "echo $A $B; pwd; id -u; hostname",
    ]),
    case(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/echo",
        "busybox",
        "hello",
        "world",
    ]),
    case(&["run", "--rm", "--read-only", "busybox", "touch", "/x"]),
    case(&[
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/scratch",
        "busybox",
        "sh",
        "-c",
        "touch /scratch/f && ls /scratch && grep -c ' /scratch tmpfs ' /proc/mounts",
    ]),
    case(&[
        "run",
        "--rm",
        "--cap-drop",
        "ALL",
        "busybox",
        "chown",
        "1",
        "/tmp",
    ]),
    case(&[
        "run",
        "--rm",
        "-v",
        "$WORK/rootfs/etc:/data:ro",
        "busybox",
        "sh",
        "-c",
        "cat /data/group; touch /data/x",
    ]),
    case(&[
        "run",
        "--rm",
        "--env-file",
        "rootfs/etc/group",
        "busybox",
        "sh",
        "-c",
        "env | grep -c tty",
    ]),
    Case {
        cleanup: &[&["rm", "-f", "detached1"]],
        ..case(&["run", "-d", "--name", "detached1", "busybox", "true"])
    },
    case(&["run", "--rm", "--cidfile", "rootfs.tar", "busybox", "true"]),
    case(&["create", "--cidfile", "rootfs.tar", "busybox", "true"]),
    case(&[
        "run",
        "--rm",
        "--cidfile",
        "no/such/dir/cid",
        "busybox",
        "true",
    ]),
    // run errors
    Case {
        env: &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        ..case(&["run", "--rm", "busybox", "true"])
    },
    Case {
        env: &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        ..case(&["logs", "x"])
    },
    case(&["run", "--foo", "busybox"]),
    case(&["run"]),
    case(&["run", "--rm", "nosuchimage:1"]),
    case(&["run", "--rm", "--pull", "never", "nosuchimage:1"]),
    case(&["run", "--rm", "--pull", "sometimes", "busybox"]),
    case(&["run", "--rm", "--memory", "bad", "busybox"]),
    case(&["run", "-d", "-a", "stdout", "busybox"]),
    case(&["run", "--rm", "-a", "stdall", "busybox"]),
    case(&["run", "--rm", "BAD:name", "true"]),
    Case {
        setup: &[&["create", "--name", "taken", "busybox"]],
        cleanup: &[&["rm", "-f", "taken"]],
        ..case(&["run", "--rm", "--name", "taken", "busybox", "true"])
    },
    // logs
    case(&["logs", "logs1"]),
    case(&["container", "logs", "logs1"]),
    case(&["logs", "--tail", "2", "logs1"]),
    case(&["logs", "-n", "1", "logs1"]),
    case(&["logs", "--tail", "0", "logs1"]),
    case(&["logs", "-t", "logs1"]),
    case(&["logs", "--details", "logs1"]),
    case(&["logs", "-f", "logs1"]),
    case(&["logs", "--since", "2000-01-01", "logs1"]),
    case(&["logs", "--since", "1h", "logs1"]),
    case(&["logs", "--until", "2000-01-01T00:00:00Z", "logs1"]),
    case(&["logs", "--since", "bogus", "logs1"]),
    case(&["logs", "--until", "2000-13-45", "logs1"]),
    case(&["logs", "ttylog"]),
    case(&["logs", "nosuch"]),
    case(&["logs"]),
    Case {
        setup: &[&[
            "create",
            "--log-driver",
            "none",
            "--name",
            "nolog",
            "busybox",
        ]],
        cleanup: &[&["rm", "-f", "nolog"]],
        ..case(&["logs", "nolog"])
    },
    Case {
        setup: &[&[
            "run",
            "-d",
            "--name",
            "follow",
            "busybox",
            "sh",
            "-c",
            "echo first; sleep 1; echo second >&2; echo third",
        ]],
        cleanup: &[&["rm", "-f", "follow"]],
        ..case(&["logs", "-f", "follow"])
    },
    // wait
    Case {
        setup: &[&[
            "run",
            "-d",
            "--name",
            "w1",
            "busybox",
            "sh",
            "-c",
            "sleep 1; exit 7",
        ]],
        cleanup: &[&["rm", "-f", "w1"]],
        ..case(&["wait", "w1"])
    },
    case(&["wait", "logs1"]),
    case(&["container", "wait", "logs1", "ttylog"]),
    case(&["wait", "nosuch"]),
    case(&["wait", "logs1", "nosuch", "ttylog", "other"]),
    // start
    Case {
        setup: &[&[
            "create",
            "--name",
            "sa1",
            "busybox",
            "sh",
            "-c",
            "echo started; echo e >&2; exit 4",
        ]],
        cleanup: &[&["rm", "-f", "sa1"]],
        ..case(&["start", "-a", "sa1"])
    },
    Case {
        setup: &[&["create", "--name", "sa2", "busybox", "true"]],
        cleanup: &[&["rm", "-f", "sa2"]],
        ..case(&["container", "start", "sa2", "nosuch", "other"])
    },
    Case {
        setup: &[&["create", "-i", "--name", "si", "busybox", "cat"]],
        cleanup: &[&["rm", "-f", "si"]],
        stdin: GROUP_FILE,
        ..case(&["start", "-ai", "si"])
    },
    Case {
        setup: &[&["create", "--name", "sbad", "busybox", "nosuchcmd"]],
        cleanup: &[&["rm", "-f", "sbad"]],
        ..case(&["start", "-a", "sbad"])
    },
    Case {
        setup: &[&[
            "create",
            "--rm",
            "--name",
            "sarm",
            "busybox",
            "sh",
            "-c",
            "echo x; exit 2",
        ]],
        cleanup: &[&["rm", "-f", "sarm"]],
        ..case(&["start", "-a", "sarm"])
    },
    // An exited container: the attach made before the start gets the
    // new run's output.
    Case {
        setup: &[&[
            "run",
            "--name",
            "sagain",
            "busybox",
            "sh",
            "-c",
            "echo again; echo e >&2; exit 4",
        ]],
        cleanup: &[&["rm", "-f", "sagain"]],
        ..case(&["start", "-a", "sagain"])
    },
    case(&["start", "-a", "nosuch"]),
    case(&["start", "-a", "logs1", "ttylog"]),
    // attach
    case(&["attach", "nosuch"]),
    Case {
        setup: &[
            &["run", "-d", "--name", "paused", "busybox", "sleep", "20"],
            &["pause", "paused"],
        ],
        cleanup: &[&["rm", "-f", "paused"]],
        ..case(&["attach", "paused"])
    },
    case(&["attach", "logs1"]),
    case(&["container", "attach", "--no-stdin", "logs1"]),
    Case {
        setup: &[&[
            "run",
            "-d",
            "--name",
            "att",
            "busybox",
            "sh",
            "-c",
            "sleep 2; echo late; exit 5",
        ]],
        cleanup: &[&["rm", "-f", "att"]],
        ..case(&["attach", "att"])
    },
    Case {
        setup: &[&["run", "-d", "--name", "keys", "busybox", "sleep", "20"]],
        cleanup: &[&["rm", "-f", "keys"]],
        ..case(&["attach", "--no-stdin", "--detach-keys", "bogus", "keys"])
    },
    Case {
        cleanup: &[&["rm", "-f", "badkeys"]],
        ..case(&[
            "run",
            "--name",
            "badkeys",
            "--detach-keys",
            "ctrl-",
            "busybox",
            "true",
        ])
    },
    Case {
        stdin: GROUP_FILE,
        ..case(&[
            "run",
            "--rm",
            "-i",
            "-a",
            "stdin",
            "busybox",
            "sh",
            "-c",
            "cat; exit 6",
        ])
    },
    Case {
        setup: &[&[
            "create",
            "-t",
            "--name",
            "sttty",
            "busybox",
            "sh",
            "-c",
            "echo a; echo b >&2; exit 2",
        ]],
        cleanup: &[&["rm", "-f", "sttty"]],
        ..case(&["start", "--attach", "sttty"])
    },
    case(&["run", "-d", "--rm", "busybox", "true"]),
    Case {
        setup: &[&[
            "run", "-d", "-t", "--name", "attty", "busybox", "sleep", "20",
        ]],
        cleanup: &[&["rm", "-f", "attty"]],
        ..case(&["attach", "attty"])
    },
];

#[test]
fn run_start_attach_logs_and_wait_match_the_real_cli() {
    compare_clients("client-run", FIXTURE, CASES);
}
