//! Golden cases of `docker system prune` and the container and image
//! prune commands: both clients against one daemon, each run preceded by
//! the same setup (stopped containers, dangling and unused images) so
//! there is something to prune, and answered `y` or `n` on stdin where
//! they ask.

use crate::client_golden::{Case, Input, case, compare_clients};

const FIXTURE: &[&[&str]] = &[&["load", "-q", "-i", "busybox.tar"]];

/// A stopped container and a dangling image, for the unfiltered prunes.
const LITTER: &[&[&str]] = &[
    &["create", "--name", "litter-c", "busybox"],
    &["import", "rootfs.tar"],
];

/// A labelled stopped container and a labelled tagged image nobody uses,
/// which `-a --filter label=prune=yes` removes while busybox stays.
const LABELLED: &[&[&str]] = &[
    &[
        "create",
        "--name",
        "labelled-c",
        "--label",
        "prune=yes",
        "busybox",
    ],
    &["import", "-c", "LABEL prune=yes", "rootfs.tar", "victim:1"],
];

/// What a refused prune leaves behind.
const CLEAN_LITTER: &[&[&str]] = &[&["rm", "-f", "litter-c"], &["image", "prune", "-f"]];

const NO_SOCKET: &[(&str, &str)] = &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")];
const OLD_API: &[(&str, &str)] = &[("DOCKER_API_VERSION", "1.30")];

const YES: Input = Input::File("answer-yes");
const NO: Input = Input::File("answer-no");

const CASES: &[Case] = &[
    Case {
        setup: LITTER,
        ..case(&["system", "prune", "-f"])
    },
    Case {
        setup: LITTER,
        stdin: YES,
        ..case(&["system", "prune"])
    },
    Case {
        setup: LITTER,
        cleanup: CLEAN_LITTER,
        stdin: NO,
        ..case(&["system", "prune"])
    },
    Case {
        setup: LITTER,
        cleanup: CLEAN_LITTER,
        ..case(&["system", "prune"])
    },
    Case {
        stdin: NO,
        ..case(&["system", "prune", "-a"])
    },
    Case {
        stdin: NO,
        ..case(&["system", "prune", "--volumes"])
    },
    Case {
        stdin: NO,
        ..case(&["system", "prune", "-a", "--volumes"])
    },
    Case {
        stdin: NO,
        ..case(&[
            "system",
            "prune",
            "--filter",
            "until=1h",
            "--filter",
            "label!=keep",
            "--filter",
            "label=a=b",
            "--filter",
            "label=a10",
            "--filter",
            "label=a9",
        ])
    },
    Case {
        setup: LABELLED,
        ..case(&["system", "prune", "-a", "-f", "--filter", "label=prune=yes"])
    },
    Case {
        setup: LABELLED,
        stdin: YES,
        ..case(&[
            "system",
            "prune",
            "--all",
            "--volumes",
            "--filter",
            "label=prune=yes",
        ])
    },
    Case {
        setup: LITTER,
        ..case(&["system", "prune", "--force", "--volumes"])
    },
    case(&["system", "prune", "-f"]),
    case(&[
        "system",
        "prune",
        "-f",
        "--filter",
        "label=nothing-has-this",
    ]),
    case(&["system", "prune", "-f", "--filter", "until=24h"]),
    case(&["system", "prune", "--volumes", "--filter", "until=24h"]),
    case(&["system", "prune", "-f", "--filter", "bogus=1"]),
    case(&["system", "prune", "-f", "--filter", "dangling=true"]),
    case(&["system", "prune", "-f", "--filter", "until=soon"]),
    case(&["system", "prune", "-f", "--filter", "nonsense"]),
    case(&["system", "prune", "extra"]),
    // Before API 1.31 there is no build cache to prune.
    Case {
        env: OLD_API,
        stdin: NO,
        ..case(&["system", "prune", "-a"])
    },
    Case {
        env: OLD_API,
        setup: LITTER,
        ..case(&["system", "prune", "-f", "--volumes"])
    },
    // Without a daemon: the question comes first, the failure after a yes.
    Case {
        env: NO_SOCKET,
        stdin: NO,
        ..case(&["system", "prune"])
    },
    Case {
        env: NO_SOCKET,
        stdin: YES,
        ..case(&["system", "prune"])
    },
    Case {
        env: NO_SOCKET,
        ..case(&["system", "prune", "-f"])
    },
    // container and image prune, asked and answered
    Case {
        setup: LITTER,
        cleanup: CLEAN_LITTER,
        stdin: YES,
        ..case(&["container", "prune"])
    },
    Case {
        setup: LITTER,
        cleanup: CLEAN_LITTER,
        stdin: NO,
        ..case(&["container", "prune"])
    },
    Case {
        setup: LITTER,
        cleanup: CLEAN_LITTER,
        stdin: YES,
        ..case(&["image", "prune"])
    },
    Case {
        stdin: NO,
        ..case(&["image", "prune", "-a"])
    },
    Case {
        setup: LABELLED,
        cleanup: &[&["rm", "-f", "labelled-c"]],
        ..case(&["image", "prune", "-a", "-f", "--filter", "label=prune=yes"])
    },
    case(&["image", "prune", "-f", "--filter", "until=soon"]),
];

#[test]
fn real_cli_and_ours_prune_alike() {
    compare_clients("client-prune", FIXTURE, CASES);
}

/// `system prune --volumes` logs one prune event per kind, in the CLI's
/// order, each with the space it reclaimed.
#[test]
fn system_prune_logs_a_prune_event_per_kind() {
    use crate::daemon_support::{TestDaemon, need_docker_cli};
    use crate::harness::need_root;
    use crate::require;
    require!(need_root());
    require!(need_docker_cli());
    let daemon = TestDaemon::start("prune-events");
    let pruned = daemon.docker(&["system", "prune", "-f", "--volumes"]);
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let events = daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &until.to_string(),
        "--filter",
        "event=prune",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.reclaimed}}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&events.stdout),
        "container prune 0\nnetwork prune 0\nvolume prune 0\nimage prune 0\nbuilder prune 0\n",
        "{}",
        String::from_utf8_lossy(&events.stderr)
    );
}
