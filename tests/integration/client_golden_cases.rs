//! The golden cases: command lines run through both clients. The fixture
//! (run once, through the real CLI) loads busybox and creates two
//! containers that the read-only cases look at.

use super::{Case, Input, case};

pub const FIXTURE: &[&[&str]] = &[
    &["load", "-q", "-i", "busybox.tar"],
    &[
        "create",
        "--name",
        "golden1",
        "-l",
        "k=v",
        "-l",
        "com.example.some-label=x",
        "busybox",
        "echo",
        "hello",
        "world",
    ],
    &[
        "create", "--name", "golden2", "-p", "8080:80", "-e", "A=1", "busybox", "sh",
    ],
];

const NO_SOCKET: &[(&str, &str)] = &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")];

pub const CASES: &[Case] = &[
    // version
    case(&["version"]),
    case(&["version", "--format", "{{.Server.Version}}"]),
    case(&[
        "version",
        "--format",
        "{{.Client.Version}} {{.Client.APIVersion}}",
    ]),
    case(&[
        "version",
        "-f",
        "{{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}",
    ]),
    case(&[
        "version",
        "--format",
        "{{.Server.MinAPIVersion}} {{.Client.DefaultAPIVersion}}",
    ]),
    case(&["version", "--format", "{{.Server.KernelVersion}}"]),
    case(&["version", "--format", "{{.Foo"]),
    case(&["version", "extra"]),
    case(&["version", "--bogus"]),
    Case {
        env: &[("DOCKER_API_VERSION", "1.45")],
        ..case(&["version"])
    },
    Case {
        env: NO_SOCKET,
        ..case(&["version"])
    },
    // info
    case(&["info"]),
    case(&["info", "--format", "{{.Images}}"]),
    case(&["info", "--format", "{{.Driver}} {{.OSType}} {{.NCPU}}"]),
    case(&["info", "-f", "{{.ServerVersion}} {{.Containers}}"]),
    case(&["info", "--format", "{{.Foo"]),
    case(&["system", "info", "--format", "{{.Name}}"]),
    case(&["info", "extra"]),
    Case {
        env: NO_SOCKET,
        ..case(&["info"])
    },
    // system df
    case(&["system", "df"]),
    case(&["system", "df", "--format", "{{.Type}}: {{.Size}}"]),
    case(&[
        "system",
        "df",
        "--format",
        "table {{.Type}}\t{{.TotalCount}}",
    ]),
    // ps
    case(&["ps"]),
    case(&["ps", "-a"]),
    case(&["ps", "-a", "-q"]),
    case(&["ps", "-aq", "--no-trunc"]),
    case(&["ps", "-a", "--no-trunc"]),
    case(&["ps", "-a", "-s"]),
    case(&["ps", "-n", "1"]),
    case(&["ps", "-l"]),
    case(&["ps", "-a", "--filter", "name=golden1"]),
    case(&["ps", "-a", "--filter", "status=created", "-q"]),
    case(&["ps", "-a", "--filter", "label=k=v"]),
    case(&["ps", "--filter", "bogus=1"]),
    case(&["ps", "--filter", "novalue"]),
    case(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}}\t{{.Image}}\t{{.Command}}",
    ]),
    case(&[
        "ps",
        "-a",
        "--format",
        "table {{.ID}}\t{{.Names}}\t{{.Status}}\t{{.Ports}}",
    ]),
    case(&["ps", "-a", "--format", "json"]),
    case(&["ps", "-a", "--format", "{{.Label \"k\"}}|{{.Labels}}"]),
    case(&[
        "ps",
        "-a",
        "--format",
        "table {{.Names}}\t{{.Label \"com.example.some-label\"}}",
    ]),
    case(&["ps", "-a", "--format", "{{.Foo}}"]),
    case(&["ps", "-a", "--format", "{{.Size}}"]),
    case(&["ps", "-a", "--format", "{{.CreatedAt}} {{.RunningFor}}"]),
    case(&["ps", "-a", "--format", "{{json .}}"]),
    case(&["ps", "-q", "--format", "{{.ID}}"]),
    case(&["ps", "--format", "{{.Foo"]),
    case(&["container", "ls", "-a"]),
    case(&["container", "list", "-aq"]),
    case(&["container", "ps", "--foo"]),
    case(&["ps", "extra"]),
    case(&["ps", "-n"]),
    Case {
        env: NO_SOCKET,
        ..case(&["ps"])
    },
    // images
    case(&["images"]),
    case(&["images", "-q"]),
    case(&["images", "-a"]),
    case(&["images", "--digests"]),
    case(&["images", "--no-trunc"]),
    case(&["images", "busybox"]),
    case(&["images", "nope"]),
    case(&["images", "--filter", "dangling=true"]),
    case(&["images", "--filter", "reference=busy*"]),
    case(&["images", "--filter", "bogus=1"]),
    case(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
    case(&["images", "--format", "json"]),
    case(&["images", "--format", "{{json .}}"]),
    case(&["images", "--format", "{{.CreatedAt}} {{.CreatedSince}}"]),
    case(&["images", "--format", "table {{.ID}}\t{{.Size}}"]),
    case(&["image", "ls"]),
    case(&["image", "list", "-q"]),
    // inspect
    case(&["inspect", "golden1"]),
    case(&["inspect", "busybox"]),
    case(&["inspect", "nope"]),
    case(&["inspect", "nope", "golden1"]),
    case(&["inspect", "golden1", "golden2", "-f", "{{.Name}}"]),
    case(&["inspect", "--type", "container", "golden1"]),
    case(&["inspect", "--type", "container", "nope"]),
    case(&["inspect", "--type", "image", "nope"]),
    case(&["inspect", "--type", "volume", "nope"]),
    case(&["inspect", "--type", "foo", "x"]),
    case(&[
        "inspect",
        "-f",
        "{{.Config.Image}} {{.State.Status}}",
        "golden1",
    ]),
    case(&["inspect", "-f", "{{json .Config.Labels}}", "golden1"]),
    case(&["inspect", "-f", "{{index .Config.Labels \"k\"}}", "golden1"]),
    case(&[
        "inspect",
        "-f",
        "{{range .Config.Env}}{{.}};{{end}}",
        "golden2",
    ]),
    case(&[
        "inspect",
        "-f",
        "{{join .Config.Cmd \",\"}} {{len .Config.Cmd}}",
        "golden1",
    ]),
    case(&[
        "inspect",
        "-f",
        "{{upper .Name}} {{lower \"ABC\"}}",
        "golden1",
    ]),
    case(&[
        "inspect",
        "-f",
        "{{if .Config.Tty}}tty{{else}}no tty{{end}}",
        "golden1",
    ]),
    case(&["inspect", "-s", "-f", "{{.SizeRw}}", "golden1"]),
    case(&["inspect", "-f", "json", "golden1"]),
    case(&["inspect", "-f", "{{.Created}}", "busybox"]),
    case(&["inspect", "-f", "{{.Foo}}", "golden1"]),
    case(&["inspect", "-f", "{{.Foo", "golden1"]),
    case(&["inspect"]),
    case(&["container", "inspect", "golden1"]),
    case(&["container", "inspect", "nope"]),
    case(&["image", "inspect", "busybox"]),
    case(&["image", "inspect", "-f", "{{.Id}} {{.Os}}", "busybox"]),
    case(&["image", "inspect", "nope"]),
    // create
    case(&["create", "--memory", "1x", "busybox"]),
    case(&["create", "-m", "64q", "busybox"]),
    case(&["create", "--memory", "-1", "busybox"]),
    case(&["create", "-p", "99999:1", "busybox"]),
    case(&["create", "--cpus", "abc", "busybox"]),
    case(&["create", "--bogus", "busybox"]),
    case(&["create"]),
    case(&["create", "nope:1"]),
    case(&["create", "--pull", "never", "nope"]),
    case(&["create", "--name", "golden1", "busybox"]),
    Case {
        cleanup: &[&["rm", "golden-new"]],
        ..case(&[
            "create",
            "--name",
            "golden-new",
            "-l",
            "a=b",
            "-e",
            "X=1",
            "busybox",
            "true",
        ])
    },
    Case {
        cleanup: &[&["rm", "golden-new2"]],
        ..case(&[
            "container",
            "create",
            "--name",
            "golden-new2",
            "-m",
            "64m",
            "--cpus",
            "1.5",
            "busybox",
        ])
    },
    // rm
    case(&["rm", "nope"]),
    case(&["rm", "-f", "nope"]),
    case(&["rm"]),
    Case {
        setup: &[&["create", "--name", "rm-me", "busybox"]],
        ..case(&["rm", "rm-me"])
    },
    Case {
        setup: &[&["create", "--name", "rm-me2", "busybox"]],
        ..case(&["container", "rm", "-v", "rm-me2", "nope"])
    },
    // rename
    case(&["rename", "nope", "x"]),
    case(&["rename", "golden1"]),
    case(&["rename", "golden1", "golden2"]),
    Case {
        setup: &[&["create", "--name", "ren1", "busybox"]],
        cleanup: &[&["rm", "ren2"]],
        ..case(&["rename", "ren1", "ren2"])
    },
    // container prune
    Case {
        setup: &[
            &["create", "--name", "prune-a", "busybox"],
            &["create", "--name", "prune-b", "busybox"],
        ],
        cleanup: &[&["rm", "prune-a", "prune-b"]],
        ..case(&[
            "container",
            "prune",
            "-f",
            "--filter",
            "label=nothing-has-this",
        ])
    },
    case(&["container", "prune"]),
    case(&["container", "prune", "-f", "--filter", "bogus=1"]),
    // tag and rmi
    case(&["tag", "nope", "x"]),
    case(&["tag", "busybox", "Bad:tag"]),
    case(&["tag", "busybox", "a b"]),
    case(&["tag", "busybox", "x:"]),
    case(&["tag", "busybox"]),
    Case {
        cleanup: &[&["rmi", "golden:t1"]],
        ..case(&["tag", "busybox", "golden:t1"])
    },
    Case {
        cleanup: &[&["rmi", "example.com/golden/x:1"]],
        ..case(&["image", "tag", "busybox", "example.com/golden/x:1"])
    },
    case(&["rmi", "nope"]),
    case(&["rmi", "-f", "nope"]),
    Case {
        setup: &[&["tag", "busybox", "golden:t2"]],
        ..case(&["rmi", "golden:t2"])
    },
    Case {
        setup: &[
            &["tag", "busybox", "golden:t3"],
            &["tag", "busybox", "golden:t4"],
        ],
        ..case(&["image", "rm", "golden:t3", "nope", "golden:t4"])
    },
    // history
    case(&["history", "busybox"]),
    case(&["history", "-q", "busybox"]),
    case(&["history", "--no-trunc", "busybox"]),
    case(&["history", "-H=false", "busybox"]),
    case(&[
        "history",
        "--format",
        "{{.ID}}: {{.CreatedBy}} {{.Size}}",
        "busybox",
    ]),
    case(&["history", "nope"]),
    case(&["image", "history", "busybox"]),
    // load, save, import
    Case {
        uploads: true,
        ..case(&["load", "-i", "busybox.tar"])
    },
    Case {
        uploads: true,
        ..case(&["load", "-q", "-i", "busybox.tar"])
    },
    Case {
        stdin: Input::File("busybox.tar"),
        uploads: true,
        ..case(&["load"])
    },
    Case {
        stdin: Input::File("empty"),
        uploads: true,
        ..case(&["image", "load"])
    },
    case(&["load", "-i", "/nonexistent.tar"]),
    case(&["load", "extra"]),
    Case {
        writes: Some("out.tar"),
        ..case(&["save", "-o", "out.tar", "busybox"])
    },
    Case {
        writes: Some("out2.tar"),
        ..case(&["image", "save", "busybox", "--output", "out2.tar"])
    },
    case(&["save", "nope", "-o", "never.tar"]),
    case(&["save", "-o", "/nonexistent/dir/x.tar", "busybox"]),
    case(&["save"]),
    Case {
        uploads: true,
        cleanup: &[&["rmi", "golden/imp:1"]],
        ..case(&["import", "rootfs.tar", "golden/imp:1"])
    },
    Case {
        stdin: Input::File("rootfs.tar"),
        uploads: true,
        cleanup: &[&["rmi", "golden/imp:2"]],
        ..case(&["import", "-", "golden/imp:2"])
    },
    Case {
        uploads: true,
        cleanup: &[&["rmi", "golden/imp:3"]],
        ..case(&[
            "image",
            "import",
            "-c",
            "CMD [\"sh\"]",
            "-m",
            "a message",
            "rootfs.tar",
            "golden/imp:3",
        ])
    },
    case(&["import", "/nonexistent.tar"]),
    case(&["import", "rootfs.tar", "Bad:Name"]),
    case(&["import"]),
    // image prune
    case(&["image", "prune", "-f"]),
    case(&["image", "prune"]),
    case(&["image", "prune", "-a"]),
    case(&["image", "prune", "--filter", "bogus=1", "-f"]),
    // help
    case(&[]),
    case(&["--help"]),
    case(&["-h"]),
    case(&["container"]),
    case(&["image"]),
    case(&["system"]),
    case(&["container", "--help"]),
    case(&["image", "--help"]),
    case(&["system", "--help"]),
    case(&["ps", "--help"]),
    case(&["container", "ls", "--help"]),
    case(&["images", "--help"]),
    case(&["image", "ls", "--help"]),
    case(&["rm", "--help"]),
    case(&["inspect", "--help"]),
    case(&["load", "--help"]),
    // global options and errors
    case(&["-v"]),
    case(&["--version"]),
    case(&["--log-level", "bogus", "ps"]),
    case(&["-l", "error", "ps", "-a", "-q"]),
    case(&["-D", "images", "-q"]),
    case(&["--config", "$WORK/cfg-default", "ps", "-a"]),
    case(&["-H", "unix:///a.sock", "-H", "unix:///b.sock", "ps"]),
    case(&["container", "frob"]),
    case(&["image", "frob", "x"]),
    case(&["frob", "--x"]),
    case(&["history"]),
    case(&["container", "rm"]),
    case(&["frob"]),
    case(&["--bogus", "ps"]),
    case(&["-H", "unix:///nonexistent/other.sock", "images"]),
    Case {
        env: &[("DOCKER_CONFIG", "$WORK/cfg-default")],
        ..case(&["ps", "-a", "-q"])
    },
    Case {
        env: &[("DOCKER_CONFIG", "$WORK/cfg-default")],
        ..case(&["version", "--format", "{{.Client.Context}}"])
    },
];
