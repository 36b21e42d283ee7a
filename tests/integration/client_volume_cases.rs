//! Golden cases of `docker volume create|ls|inspect|rm|prune`: the real
//! CLI and ours against one daemon, each run preceded by the same setup
//! and followed by the same cleanup.

use crate::client_golden::{Case, Input, case, compare_clients};

const FIXTURE: &[&[&str]] = &[&["load", "-q", "-i", "busybox.tar"]];

/// Two named volumes, one labelled, and one a stopped container uses.
const TWO: &[&[&str]] = &[
    // One label: the CLI joins labels in Go's random map order.
    &["volume", "create", "--label", "tier=db", "pg"],
    &["volume", "create", "cache"],
    &["create", "--name", "holder", "-v", "pg:/data", "busybox"],
];
const CLEAN_TWO: &[&[&str]] = &[
    &["rm", "-f", "holder"],
    &["volume", "rm", "-f", "pg", "cache"],
];
/// An anonymous volume left by a removed container, and a named one.
const LEFTOVERS: &[&[&str]] = &[
    &["create", "--name", "gone", "-v", "/anon", "busybox"],
    &["rm", "gone"],
    &["volume", "create", "--label", "keep=no", "kept"],
];
const CLEAN_ALL: &[&[&str]] = &[&["volume", "prune", "-a", "-f"]];

const YES: Input = Input::File("answer-yes");
const NO: Input = Input::File("answer-no");

const CASES: &[Case] = &[
    case(&["volume"]),
    case(&["volume", "--help"]),
    case(&["volume", "create", "a", "b"]),
    case(&["volume", "ls", "x"]),
    case(&["volume", "rm"]),
    case(&["volume", "inspect"]),
    Case {
        cleanup: &[&["volume", "rm", "fresh"]],
        ..case(&["volume", "create", "--label", "a=b", "fresh"])
    },
    case(&["volume", "create", "-d", "nosuch", "other"]),
    case(&["volume", "create", "bad/name"]),
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "ls"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "ls", "-q", "--filter", "label=tier=db"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "ls", "--filter", "dangling=true"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "ls", "--filter", "bogus=1"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&[
            "volume",
            "ls",
            "--format",
            "table {{.Name}}\t{{.Labels}}\t{{.Scope}}\t{{.Mountpoint}}",
        ])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "ls", "--format", "json"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "inspect", "pg", "nope", "cache"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "inspect", "-f", "{{.Name}} {{.Labels}}", "pg"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "rm", "pg", "nope"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["volume", "rm", "cache"])
    },
    case(&["volume", "rm", "-f", "nope"]),
    Case {
        setup: LEFTOVERS,
        cleanup: CLEAN_ALL,
        ..case(&["volume", "prune", "-f"])
    },
    Case {
        setup: LEFTOVERS,
        cleanup: CLEAN_ALL,
        stdin: YES,
        ..case(&["volume", "prune", "-a"])
    },
    Case {
        setup: LEFTOVERS,
        cleanup: CLEAN_ALL,
        stdin: NO,
        ..case(&["volume", "prune"])
    },
    Case {
        setup: LEFTOVERS,
        cleanup: CLEAN_ALL,
        ..case(&["volume", "prune", "-a", "-f", "--filter", "label=keep=no"])
    },
];

#[test]
fn real_cli_and_ours_manage_volumes_alike() {
    compare_clients("client-volume", FIXTURE, CASES);
}
