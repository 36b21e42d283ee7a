//! Command lines and what the Docker CLI 28 makes of them; messages were
//! checked by running the real client against a daemon-less socket.

use super::*;

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

fn run(line: &str) -> Parsed {
    parse(&RUN, &words(line)).unwrap_or_else(|e| panic!("{line}: {e:?}"))
}

fn run_error(line: &str) -> String {
    match parse(&RUN, &words(line)) {
        Ok(parsed) => panic!("{line} parsed: {parsed:?}"),
        Err(ArgsError::Flag(message) | ArgsError::Arguments(message, _)) => message,
        Err(ArgsError::Help) => "help".into(),
    }
}

#[test]
fn combined_shorts_and_attached_values() {
    let parsed = run("-dit -p8080:80 -e=X=1 -eY=2 -e Z=3 --name web busybox");
    assert!(parsed.is_true("detach"));
    assert!(parsed.is_true("interactive"));
    assert!(parsed.is_true("tty"));
    assert_eq!(parsed.values("publish"), vec!["8080:80"]);
    assert_eq!(parsed.values("env"), vec!["X=1", "Y=2", "Z=3"]);
    assert_eq!(parsed.value("name"), Some("web"));
    assert_eq!(parsed.args, vec!["busybox"]);
}

#[test]
fn long_flags_with_and_without_equals() {
    let parsed = run("--memory=64m --cpus 1.5 --rm --tty=false --name= busybox");
    assert_eq!(parsed.bytes("memory"), Some(Bytes(67_108_864)));
    assert_eq!(parsed.nano_cpus("cpus"), Some(NanoCpus(1_500_000_000)));
    assert!(parsed.is_true("rm"));
    assert!(!parsed.is_true("tty"));
    assert!(parsed.is_set("tty"));
    assert_eq!(parsed.value("name"), Some(""));
}

#[test]
fn bool_shorthand_with_value() {
    // `-ti=false`: tty on, interactive explicitly off.
    let parsed = run("-ti=false busybox");
    assert!(parsed.is_true("tty"));
    assert!(!parsed.is_true("interactive"));
}

#[test]
fn everything_after_the_image_belongs_to_the_container() {
    let parsed = run("-it busybox ls -la --color --rm -- x");
    assert_eq!(parsed.args, words("busybox ls -la --color --rm -- x"));
    assert!(!parsed.is_true("rm"));
    let parsed = run("-- busybox -x");
    assert_eq!(parsed.args, words("busybox -x"));
}

#[test]
fn repeated_flags_keep_order_and_last_wins_for_scalars() {
    let parsed = run("-v /a:/a -v /b:/b --name x --name y -l a=1 -l b busybox");
    assert_eq!(parsed.values("volume"), vec!["/a:/a", "/b:/b"]);
    assert_eq!(parsed.value("name"), Some("y"));
    assert_eq!(parsed.values("label"), vec!["a=1", "b"]);
}

#[test]
fn defaults_and_hidden_aliases() {
    let parsed = run("--net host busybox");
    assert_eq!(parsed.value("net"), Some("host"));
    assert_eq!(parsed.value("sig-proxy"), Some("true"));
    assert_eq!(parsed.value("restart"), Some("no"));
    assert_eq!(parsed.value("name"), None);
    let parsed = run("--sig-proxy=false busybox");
    assert_eq!(parsed.value("sig-proxy"), Some("false"));
}

#[test]
fn integer_flags_accept_go_prefixes() {
    let parsed = run("-c 0x10 --blkio-weight 0x10 --stop-timeout=-5 busybox");
    assert_eq!(parsed.int("cpu-shares"), Some(16));
    assert_eq!(parsed.uint("blkio-weight"), Some(16));
    assert_eq!(parsed.int("stop-timeout"), Some(-5));
}

#[test]
fn errors_as_docker_prints_them() {
    let cases = [
        ("--foo busybox", "unknown flag: --foo"),
        ("-z busybox", "unknown shorthand flag: 'z' in -z"),
        ("-itz busybox", "unknown shorthand flag: 'z' in -z"),
        ("-zit busybox", "unknown shorthand flag: 'z' in -zit"),
        ("--- busybox", "bad flag syntax: ---"),
        ("-e", "flag needs an argument: 'e' in -e"),
        ("-m", "flag needs an argument: 'm' in -m"),
        ("--memory", "flag needs an argument: --memory"),
        (
            "--memory foo busybox",
            "invalid argument \"foo\" for \"-m, --memory\" flag: invalid size: 'foo'",
        ),
        (
            "--memory 1.2.3 busybox",
            "invalid argument \"1.2.3\" for \"-m, --memory\" flag: strconv.ParseFloat: parsing \"1.2.3\": invalid syntax",
        ),
        (
            "--memory -1 busybox",
            "invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'",
        ),
        (
            "--memory-swap x busybox",
            "invalid argument \"x\" for \"--memory-swap\" flag: invalid size: 'x'",
        ),
        (
            "--cpus abc busybox",
            "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number",
        ),
        (
            "--cpus 1.0000000001 busybox",
            "invalid argument \"1.0000000001\" for \"--cpus\" flag: value is too precise",
        ),
        (
            "--add-host bad busybox",
            "invalid argument \"bad\" for \"--add-host\" flag: bad format for add-host: \"bad\"",
        ),
        (
            "--ulimit nofile=10:5 busybox",
            "invalid argument \"nofile=10:5\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 10 > 5",
        ),
        (
            "-e =x busybox",
            "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x",
        ),
        (
            "-l =x busybox",
            "invalid argument \"=x\" for \"-l, --label\" flag: invalid label '=x': empty name",
        ),
        (
            "--mount type=bind busybox",
            "invalid argument \"type=bind\" for \"--mount\" flag: target is required",
        ),
        (
            "--stop-timeout x busybox",
            "invalid argument \"x\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            "--health-interval 1 busybox",
            "invalid argument \"1\" for \"--health-interval\" flag: time: missing unit in duration \"1\"",
        ),
        (
            "--blkio-weight x busybox",
            "invalid argument \"x\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"x\": invalid syntax",
        ),
        (
            "-c x busybox",
            "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": invalid syntax",
        ),
        (
            "--rm=maybe busybox",
            "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
        ),
        (
            "--tty=yes busybox",
            "invalid argument \"yes\" for \"-t, --tty\" flag: strconv.ParseBool: parsing \"yes\": invalid syntax",
        ),
        (
            "--dns x busybox",
            "invalid argument \"x\" for \"--dns\" flag: IP address is not correctly formatted: x",
        ),
        (
            "--sysctl bad busybox",
            "invalid argument \"bad\" for \"--sysctl\" flag: sysctl 'bad' is not allowed",
        ),
        ("", "'docker run' requires at least 1 argument"),
        ("-d", "'docker run' requires at least 1 argument"),
    ];
    for (line, want) in cases {
        assert_eq!(run_error(line), want, "{line:?}");
    }
}

#[test]
fn error_output_and_exit_codes() {
    let error = parse(&RUN, &words("--foo busybox")).unwrap_err();
    assert_eq!(error.exit_code(), 125);
    assert_eq!(
        error.render(&RUN),
        "unknown flag: --foo\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information\n"
    );
    let error = parse(&RUN, &[]).unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.render(&RUN),
        "docker: 'docker run' requires at least 1 argument\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'docker run --help' for more information\n"
    );
    let error = parse(&PS, &words("--foo")).unwrap_err();
    assert_eq!(
        error.render(&PS),
        "unknown flag: --foo\n\nUsage:  docker ps [OPTIONS]\n\nRun 'docker ps --help' for more information\n"
    );
}

#[test]
fn help_is_a_request_not_an_error() {
    assert_eq!(parse(&RUN, &words("--help")).unwrap_err(), ArgsError::Help);
    assert_eq!(ArgsError::Help.exit_code(), 0);
    // After the image it is the container's.
    assert_eq!(run("busybox --help").args, words("busybox --help"));
}

#[test]
fn create_lacks_the_attach_flags() {
    let error = parse(&CREATE, &words("-d busybox")).unwrap_err();
    assert_eq!(
        error,
        ArgsError::Flag("unknown shorthand flag: 'd' in -d".into())
    );
    assert!(parse(&CREATE, &words("--detach-keys x busybox")).is_err());
    assert!(parse(&CREATE, &words("-it --rm busybox")).is_ok());
}

#[test]
fn interspersed_commands_take_flags_anywhere() {
    let parsed = parse(&PS, &words("-a --format {{.ID}} -n 3")).unwrap();
    assert!(parsed.is_true("all"));
    assert_eq!(parsed.value("format"), Some("{{.ID}}"));
    assert_eq!(parsed.int("last"), Some(3));
    assert_eq!(parse(&PS, &words("-q")).unwrap().int("last"), Some(-1));
    assert_eq!(
        parse(&PS, &words("-a extra")).unwrap_err(),
        ArgsError::Arguments("'docker ps' accepts no arguments".into(), "Run")
    );
    assert_eq!(find_command("container ls").map(|c| c.name), Some("ps"));
    assert_eq!(find_command("container run").map(|c| c.name), Some("run"));
}

#[test]
fn tables_are_consistent() {
    for spec in [&RUN, &CREATE, &PS] {
        let flags: Vec<&FlagSpec> = spec.flags().collect();
        for (i, a) in flags.iter().enumerate() {
            for b in &flags[i + 1..] {
                assert_ne!(a.long, b.long, "{} duplicated in {}", a.long, spec.name);
                if a.short.is_some() {
                    assert_ne!(
                        a.short, b.short,
                        "-{:?} duplicated in {}",
                        a.short, spec.name
                    );
                }
            }
        }
    }
    // Docker CLI 28 lists 104 flags for run and 101 for create.
    assert_eq!(RUN.flags().filter(|f| !f.hidden).count(), 104);
    assert_eq!(CREATE.flags().filter(|f| !f.hidden).count(), 101);
}

#[test]
fn global_options_stop_at_the_command() {
    let parsed = parse(&GLOBAL, &words("-H unix:///tmp/d.sock -D ps -a --format x")).unwrap();
    assert_eq!(parsed.values("host"), vec!["unix:///tmp/d.sock"]);
    assert!(parsed.is_true("debug"));
    assert_eq!(parsed.value("log-level"), Some("info"));
    assert_eq!(parsed.args, words("ps -a --format x"));
    let error = parse(&GLOBAL, &words("--foo")).unwrap_err();
    assert_eq!(error.exit_code(), 125);
    assert_eq!(
        error.render(&GLOBAL),
        "unknown flag: --foo\n\nUsage:  docker [OPTIONS] COMMAND [ARG...]\n\nRun 'docker --help' for more information\n"
    );
    assert_eq!(parse(&GLOBAL, &words("-h")).unwrap_err(), ArgsError::Help);
}

/// The `--help` and argument-count errors of every command captured in
/// testdata/help/, as the Docker CLI 28 printed them.
#[test]
fn captured_commands_match_the_real_cli() {
    let names = [
        "attach",
        "build",
        "commit",
        "container prune",
        "cp",
        "diff",
        "events",
        "exec",
        "export",
        "history",
        "image prune",
        "images",
        "import",
        "info",
        "inspect",
        "kill",
        "load",
        "login",
        "logout",
        "logs",
        "network connect",
        "network create",
        "network disconnect",
        "network inspect",
        "network ls",
        "network prune",
        "network rm",
        "pause",
        "port",
        "pull",
        "push",
        "rename",
        "restart",
        "rm",
        "rmi",
        "save",
        "start",
        "stats",
        "stop",
        "system df",
        "system prune",
        "tag",
        "top",
        "unpause",
        "update",
        "version",
        "volume create",
        "volume inspect",
        "volume ls",
        "volume prune",
        "volume rm",
        "wait",
    ];
    for name in names {
        let spec = find_command(name).unwrap_or_else(|| panic!("{name} missing"));
        let file = name.replace(' ', "_");
        let help = std::fs::read_to_string(format!(
            "{}/src/applets/docker/args/testdata/help/{file}.help",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert_eq!(
            super::help_text(spec, 80, "/root/.docker"),
            help,
            "docker {name} --help"
        );
        for probe in ["noargs", "manyargs"] {
            // Only probes that the real CLI rejected were kept.
            let Ok(expected) = std::fs::read_to_string(format!(
                "{}/src/applets/docker/args/testdata/help/{file}.{probe}",
                env!("CARGO_MANIFEST_DIR")
            )) else {
                continue;
            };
            let args: Vec<String> = if probe == "noargs" {
                Vec::new()
            } else {
                words("a b c d e f")
            };
            let error = parse(spec, &args).expect_err(name);
            assert_eq!(error.render(spec), expected, "docker {name} ({probe})");
        }
    }
    assert_eq!(
        find_command("container start").map(|s| s.name),
        Some("start")
    );
    assert_eq!(find_command("image rm").map(|s| s.name), Some("rmi"));
}

/// What makes two flags the same for a user: everything but the identity
/// of the check function, compared by address.
fn flag_key(flag: &FlagSpec) -> String {
    format!(
        "{}|{:?}|{:?}|{}|{}|{:?}|{:?}",
        flag.long,
        flag.short,
        flag.value_type,
        flag.usage,
        flag.hidden,
        flag.default,
        flag.check.map(|check| check as usize)
    )
}

/// Commands that have the same flags and use one table for them, declared
/// once: `HELP_ONLY_FLAGS`, `FORMAT_ONLY_FLAGS`, `STOP_FLAGS`. (docker/cli
/// defines these flags in each command's file; they are the same flags
/// because the commands take the same options.)
const SHARED_TABLES: &[&[&str]] = &[
    &["container prune", "network prune"],
    &[
        "diff", "logout", "pause", "port", "rename", "tag", "top", "unpause", "wait",
    ],
    &["info", "version", "volume inspect"],
    &["restart", "stop"],
];

/// Flag tables are written by hand, so a copy can drift from its original.
/// Commands with the same flags share one table, declared in
/// `SHARED_TABLES`; a table that copies another fails here.
#[test]
fn commands_with_the_same_flags_share_one_table() {
    let mut groups: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
    for spec in commands::COMMANDS {
        let flags: Vec<String> = spec.flags().map(flag_key).collect();
        match groups.iter_mut().find(|(known, _)| *known == flags) {
            Some((_, names)) => names.push(spec.name),
            None => groups.push((flags, vec![spec.name])),
        }
    }
    let mut same: Vec<Vec<&str>> = groups
        .into_iter()
        .map(|(_, mut names)| {
            names.sort();
            names
        })
        .filter(|names| names.len() > 1)
        .collect();
    same.sort();
    assert_eq!(same, SHARED_TABLES, "commands with equal flag lists");
}
