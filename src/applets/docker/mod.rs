//! The `docker` applet: the Docker-compatible client.
//!
//! `args` reads Docker's command-line syntax, `client` finds and talks to
//! the daemon (over the shared `http` wire layer), `commands` runs the
//! commands the daemon serves, and `format`/`template` print their
//! results as the Docker CLI does.

mod args;
mod client;
mod commands;
mod format;
mod parse;
mod queries;
mod request;
mod root_help;
mod template;

use crate::version;
use args::{ArgsError, GLOBAL, Parsed, find_command};
use client::{Client, Failure, config};
use std::ffi::OsString;

/// Command groups whose subcommand is part of the command name.
const GROUPS: &[&str] = &[
    "builder",
    "buildx",
    "checkpoint",
    "compose",
    "config",
    "container",
    "context",
    "image",
    "manifest",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "stack",
    "swarm",
    "system",
    "trust",
    "volume",
];

pub fn main(args: Vec<OsString>) -> i32 {
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match run(&words) {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("{}", failure.message);
            }
            failure.code
        }
    }
}

/// The config directory the help texts name as the default of
/// `--config` and the TLS files: the one in use, unless `--config` moves it.
fn home() -> String {
    config::config_dir(None).display().to_string()
}

fn help_width() -> usize {
    80
}

fn run(words: &[String]) -> Result<(), Failure> {
    let global = match args::parse(&GLOBAL, words) {
        Ok(global) => global,
        Err(ArgsError::Help) => {
            commands::print(&root_help::root_help(&home(), features(words).as_ref()));
            if words
                .iter()
                .take_while(|w| w.starts_with('-'))
                .any(|w| w == "-h")
            {
                eprintln!("Flag shorthand -h has been deprecated, use --help");
            }
            return Ok(());
        }
        Err(error) => {
            let text = error.render(&GLOBAL);
            return Err(Failure::new(error.exit_code(), text.trim_end_matches('\n')));
        }
    };
    if global.is_true("version") {
        commands::print(&format!(
            "Docker version {}, build {} (dockbox {})\n",
            version::DOCKER_COMPAT_VERSION,
            version::COMMIT,
            version::VERSION
        ));
        return Ok(());
    }
    let Some(first) = global.args.first() else {
        // Without a command the CLI shows its help on stderr.
        eprint!(
            "{}",
            root_help::root_help(&home(), features(words).as_ref())
        );
        return Ok(());
    };
    let (name, rest) = if GROUPS.contains(&first.as_str()) {
        match global.args.get(1).map(String::as_str) {
            Some(sub) if !sub.starts_with('-') => (format!("{first} {sub}"), &global.args[2..]),
            // `docker container` alone shows its help on stderr; with
            // --help, on stdout.
            None | Some("--help") | Some("-h") if group_help(first).is_some() => {
                let help = group_help(first).unwrap_or_default();
                if global.args.len() == 1 {
                    eprint!("{help}");
                } else {
                    commands::print(&help);
                }
                return Ok(());
            }
            _ => {
                return Err(Failure::new(
                    1,
                    format!(
                        "docker: 'docker {first}' requires a subcommand\n\nSee 'docker {first} --help'."
                    ),
                ));
            }
        }
    } else {
        (first.clone(), &global.args[1..])
    };
    let Some(spec) = find_command(&name) else {
        return unknown_command(&global, first, &name, rest);
    };
    // cobra names a command by the path it was reached through: `docker
    // container ps --foo` speaks of `docker container ls`.
    let path = command_path(spec, &name);
    let as_invoked = |text: String| match &path {
        Some(path) => text
            .replace(&format!("docker {} ", spec.name), &format!("{path} "))
            .replace(&format!("'docker {}'", spec.name), &format!("'{path}'")),
        None => text,
    };
    let parsed = match args::parse(spec, rest) {
        Ok(parsed) => parsed,
        Err(ArgsError::Help) => {
            let help = args::help_text(spec, help_width(), &home());
            let (usage, others) = help.split_once('\n').unwrap_or((&help, ""));
            commands::print(&format!(
                "{}\n{others}",
                as_invoked(format!("{usage} ")).trim_end()
            ));
            return Ok(());
        }
        Err(error) => {
            let text = as_invoked(error.render(spec));
            return Err(Failure::new(error.exit_code(), text.trim_end_matches('\n')));
        }
    };
    let mut session = session(&global)?;
    commands::run(&mut session, &parsed)
}

/// The daemon's optional features for the root help, if a daemon answers.
/// Global options that do not parse leave it unasked.
fn features(words: &[String]) -> Option<root_help::Features> {
    let global = args::parse(&GLOBAL, words)
        .or_else(|_| {
            let flags: Vec<String> = words
                .iter()
                .filter(|w| !matches!(w.as_str(), "-h" | "--help"))
                .cloned()
                .collect();
            args::parse(&GLOBAL, &flags)
        })
        .ok()?;
    let mut session = session(&global).ok()?;
    let headers = session.client.ping_headers()?;
    Some(root_help::Features {
        experimental: headers.get("Docker-Experimental") == Some("true"),
        swarm_manager: headers
            .get("Swarm")
            .is_some_and(|state| state.ends_with("/manager")),
    })
}

/// `docker GROUP`'s help: usage, description and subcommands.
fn group_help(group: &str) -> Option<String> {
    let description = match group {
        "container" => "Manage containers",
        "image" => "Manage images",
        "network" => "Manage networks",
        "system" => "Manage Docker",
        "volume" => "Manage volumes",
        _ => return None,
    };
    let mut help = format!("Usage:  docker {group} COMMAND\n\n{description}\n\nCommands:\n");
    for (name, short) in args::group_commands(group) {
        let short = short.lines().next().unwrap_or_default();
        help.push_str(&format!("  {name:<11} {short}\n"));
    }
    help.push_str(&format!(
        "\nRun 'docker {group} COMMAND --help' for more information on a command.\n"
    ));
    Some(help)
}

/// Docker commands this client has no table for: whole groups whose
/// daemon side does not exist (networks, volumes, swarm, ...) and a few
/// top-level commands. They are recognised and refused, never run.
const UNTABLED_GROUPS: &[&str] = &[
    "builder",
    "buildx",
    "checkpoint",
    "compose",
    "config",
    "context",
    "manifest",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "stack",
    "swarm",
    "trust",
    "volume",
];
const UNTABLED_COMMANDS: &[&str] = &["search"];

fn unknown_command(
    global: &Parsed,
    first: &str,
    name: &str,
    rest: &[String],
) -> Result<(), Failure> {
    if UNTABLED_GROUPS.contains(&first) || UNTABLED_COMMANDS.contains(&first) {
        let mut session = session(global)?;
        return commands::refuse_unserved(&mut session, name);
    }
    if let Some((group, _)) = name.split_once(' ') {
        return Err(Failure::new(
            1,
            format!(
                "docker: unknown command: docker {name}\n\nUsage:  docker {group}\n\nRun 'docker {group} --help' for more information"
            ),
        ));
    }
    // cobra reads the root's flags before it finds no such command.
    if let Err(error @ ArgsError::Flag(_)) = args::parse(&GLOBAL, rest) {
        let text = error.render(&GLOBAL);
        return Err(Failure::new(error.exit_code(), text.trim_end_matches('\n')));
    }
    Err(Failure::new(
        1,
        format!(
            "docker: unknown command: docker {name}\n\nRun 'docker --help' for more information"
        ),
    ))
}

/// The command path under a group (`docker container ls`) when `name`
/// reached a top-level command's table through its group alias.
fn command_path(spec: &args::CommandSpec, name: &str) -> Option<String> {
    let (group, _) = name.split_once(' ')?;
    if spec.name.contains(' ') {
        return None;
    }
    let prefix = format!("docker {group} ");
    spec.aliases
        .split(", ")
        .find(|alias| alias.starts_with(&prefix))
        .map(str::to_string)
}

fn session(global: &Parsed) -> Result<commands::Session, Failure> {
    if let Some(level) = global.value("log-level")
        && !matches!(
            level,
            "debug" | "info" | "warn" | "error" | "fatal" | "panic" | "trace"
        )
    {
        return Err(Failure::new(
            1,
            format!("Unable to parse logging level: {level}"),
        ));
    }
    let config = config::Config::load(&config::config_dir(global.value("config")));
    let hosts = global.values("host");
    let endpoint = client::resolve_endpoint(&hosts, global.value("context"), &config)?;
    Ok(commands::Session {
        client: Client::new(endpoint),
        debug: global.is_true("debug"),
        config,
    })
}
