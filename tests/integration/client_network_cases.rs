//! Golden cases of `docker network create|ls|inspect|rm|connect|
//! disconnect|prune`: the real CLI and ours against one daemon, each run
//! preceded by the same setup and followed by the same cleanup.

use crate::client_golden::{Case, Input, case, compare_clients};

const FIXTURE: &[&[&str]] = &[&["load", "-q", "-i", "busybox.tar"]];

/// Two user networks, one labelled with its own subnet, and a stopped
/// container on one.
const TWO: &[&[&str]] = &[
    &[
        "network",
        "create",
        "--label",
        "tier=db",
        "--subnet",
        "10.77.0.0/24",
        "--ip-range",
        "10.77.0.64/26",
        "db",
    ],
    &["network", "create", "--internal", "cache"],
    &[
        "create",
        "--name",
        "holder",
        "--network",
        "db",
        "--network-alias",
        "pg",
        "busybox",
    ],
];
const CLEAN_TWO: &[&[&str]] = &[&["rm", "-f", "holder"], &["network", "rm", "db", "cache"]];
const CLEAN_PRUNE: &[&[&str]] = &[&["rm", "-f", "holder"], &["network", "prune", "-f"]];

const YES: Input = Input::File("answer-yes");
const NO: Input = Input::File("answer-no");

const CASES: &[Case] = &[
    case(&["network"]),
    case(&["network", "--help"]),
    case(&["network", "create"]),
    case(&["network", "create", "a", "b"]),
    case(&["network", "ls", "x"]),
    case(&["network", "rm"]),
    case(&["network", "connect", "x"]),
    Case {
        cleanup: &[&["network", "rm", "fresh"]],
        ..case(&[
            "network",
            "create",
            "--label",
            "a=b",
            "-o",
            "com.docker.network.bridge.name=brfresh",
            "fresh",
        ])
    },
    case(&["network", "create", "-d", "nosuch", "other"]),
    case(&[
        "network",
        "create",
        "--subnet",
        "10.1.0.0/16",
        "--gateway",
        "10.2.0.1",
        "other",
    ]),
    case(&["network", "create", "--ip-range", "10.1.0.0/24", "other"]),
    case(&["network", "create", "host"]),
    case(&["network", "ls"]),
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "create", "db"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "ls"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "ls", "--no-trunc", "-f", "type=custom"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "ls", "-q", "--filter", "label=tier=db"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&[
            "network",
            "ls",
            "--filter",
            "dangling=true",
            "--format",
            "{{.Name}} {{.Internal}} {{.IPv6}} {{.Labels}}",
        ])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "ls", "--filter", "type=bogus"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "ls", "--format", "json", "--filter", "name=db"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "inspect", "db", "nope", "cache"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&[
            "network",
            "inspect",
            "-f",
            "{{.Name}} {{.IPAM.Driver}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.Gateway}}{{end}}",
            "db",
        ])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&[
            "network",
            "connect",
            "--ip",
            "10.77.0.9",
            "--alias",
            "x",
            "cache",
            "holder",
        ])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "connect", "--alias", "x", "cache", "holder"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "connect", "db", "holder"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "disconnect", "db", "holder"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "disconnect", "cache", "holder"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "rm", "db", "nope", "bridge"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&["network", "rm", "-f", "nope"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_PRUNE,
        ..case(&["network", "prune", "-f"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_PRUNE,
        stdin: YES,
        ..case(&["network", "prune", "--filter", "label=tier=db"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_PRUNE,
        stdin: NO,
        ..case(&["network", "prune"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_PRUNE,
        ..case(&["network", "prune", "-f", "--filter", "until=bogus"])
    },
    Case {
        setup: TWO,
        cleanup: CLEAN_TWO,
        ..case(&[
            "run",
            "--rm",
            "--network",
            "db",
            "--ip",
            "10.77.0.99",
            "--network-alias",
            "y",
            "busybox",
            "sh",
            "-c",
            "ip -o -4 addr show eth0 | cut -d' ' -f2,7",
        ])
    },
];

#[test]
fn real_cli_and_ours_manage_networks_alike() {
    compare_clients("client-network", FIXTURE, CASES);
}
