//! Golden cases of `docker events`: both clients replay the events the
//! fixture made (through the real CLI, once) against the same daemon, so
//! their outputs must be equal byte for byte. `--since 0` replays from
//! the start of the log and `--until=-1s` (a second from now) ends the
//! stream after a moment of live waiting in which nothing happens.

use crate::client_golden::{Case, case, compare_clients};

const FIXTURE: &[&[&str]] = &[
    &["load", "-q", "-i", "busybox.tar"],
    &[
        "create",
        "--name",
        "evone",
        "-l",
        "app=golden",
        "busybox",
        "true",
    ],
    &["start", "evone"],
    &["wait", "evone"],
    &["create", "--name", "evtwo", "busybox", "sh"],
    &["rename", "evtwo", "evthree"],
    &["tag", "busybox", "evtag:1"],
    &["rmi", "evtag:1"],
    &["rm", "evone"],
    &["container", "prune", "-f"],
    &["image", "prune", "-f"],
];

const CASES: &[Case] = &[
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "--filter",
        "container=evone",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "--filter",
        "event=die",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "--filter",
        "type=image",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "label=app=golden",
    ]),
    case(&[
        "events",
        "--since",
        "2000-01-01",
        "--until=-1s",
        "-f",
        "container=evthree",
        "--format",
        "{{json .}}",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "event=rename",
        "--format",
        "json",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "event=rename",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "event=prune",
        "--format",
        "{{.Type}} {{.Status}} {{json .Actor}}",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "image=busybox",
        "-f",
        "event=create",
    ]),
    case(&[
        "system",
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "event=destroy",
    ]),
    case(&["events", "--until", "1000000000"]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "event=create",
        "-f",
        "event=destroy",
        "-f",
        "unknown=ignored",
        "--format",
        "{{.Action}} {{.Actor.Attributes}} {{.From}} {{.Scope}} {{if .TimeNano}}timed{{end}}",
    ]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "container=evone",
        "--format",
        "{{range $k, $v := .Actor.Attributes}}{{$k}}={{$v}};{{end}}",
    ]),
    Case {
        env: &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
        ..case(&["events"])
    },
    // Errors: the client's own and the daemon's.
    case(&["events", "--filter", "nokeyvalue"]),
    case(&["events", "--since", "yesterday"]),
    case(&["events", "--until", "2020-13-01"]),
    case(&["events", "--since", "2020-1-01"]),
    case(&["events", "--since", "2020-01-01T10:00:00x"]),
    case(&[
        "events",
        "--since",
        "0",
        "--until=-1s",
        "-f",
        "container=evone",
        "--format",
        "{{.Actor}} | {{.}}",
    ]),
    case(&["events", "--format", "{{.Foo}}"]),
    case(&["events", "--format", "{{.Foo"]),
    case(&["events", "extra"]),
    case(&["events", "--since", "2000000000", "--until", "1000000000"]),
];

#[test]
fn real_cli_and_ours_print_the_same_events() {
    compare_clients("client-events", FIXTURE, CASES);
}
