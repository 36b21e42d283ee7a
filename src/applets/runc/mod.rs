//! The `runc` applet: an OCI runtime with runc's command line, over the
//! launcher in `crate::runtime`.

mod args;
mod commands;
mod help;
mod manage;
mod spec;

use crate::gofmt::time::rfc3339;
use crate::version;
use argh::FromArgs;
use args::{Command, Runc};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Exactly three lines: dockerd and containerd parse `runc version` and `commit:`.
pub fn version_text() -> String {
    format!(
        "runc version {}\ncommit: dockbox-{}\nspec: {}",
        version::VERSION,
        version::COMMIT,
        version::OCI_SPEC_VERSION
    )
}

/// Where errors go: runc writes logrus lines to --log (text or json) and
/// the bare message to stderr; without --log, the text line to stderr.
struct Logger {
    file: Option<PathBuf>,
    json: bool,
    debug: bool,
}

impl Logger {
    fn line(&self, level: &str, message: &str) -> String {
        let time = rfc3339(std::time::SystemTime::now());
        if self.json {
            serde_json::json!({"level": level, "msg": message, "time": time}).to_string()
        } else {
            format!("time={time:?} level={level} msg={message:?}")
        }
    }

    /// With --debug, the command line as understood goes to the log.
    fn debug(&self, message: &str) {
        if self.debug {
            let _ = self.write(&self.line("debug", message));
        }
    }

    /// A warning goes to the log only, as logrus writes it.
    fn warning(&self, message: &str) {
        let _ = self.write(&self.line("warning", message));
    }

    /// An error goes to the log and, when the log is a file, to stderr too.
    fn error(&self, message: &str) {
        let line = self.line("error", message);
        if let Err(error) = self.write(&line) {
            let path = self.file.as_deref().unwrap_or(std::path::Path::new("-"));
            eprintln!("runc: write log {}: {error}", path.display());
        }
        if self.file.is_some() {
            eprintln!("{message}");
        }
    }

    /// Appends `line` to the log file, or writes it to stderr without one.
    fn write(&self, line: &str) -> std::io::Result<()> {
        match &self.file {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| writeln!(file, "{line}")),
            None => {
                eprintln!("{line}");
                Ok(())
            }
        }
    }
}

/// The log as the command line set it, for the launcher's warnings.
static LOGGER: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

pub fn main(args: Vec<OsString>) -> i32 {
    let strings: Vec<String> = args
        .iter()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    if matches!(
        strings.first().map(String::as_str),
        Some("--version" | "-v" | "-version")
    ) {
        println!("{}", version_text());
        return 0;
    }
    let normalised = args::normalise(&strings);
    let command_at = args::command_position(&normalised);
    let globals = &normalised[..command_at.unwrap_or(normalised.len())];
    if globals.iter().any(|arg| arg == "--version") {
        println!("{}", version_text());
        return 0;
    }
    if let Some(command) = command_at.map(|at| normalised[at].as_str())
        && matches!(command, "checkpoint" | "restore")
    {
        let logger = Logger {
            file: None,
            json: false,
            debug: false,
        };
        logger.error(&format!(
            "{command} is not supported: dockbox's runc has no CRIU support"
        ));
        return 1;
    }
    if let Some(code) = answer_help(&normalised, command_at) {
        return code;
    }
    let refs: Vec<&str> = normalised.iter().map(String::as_str).collect();
    let cli = match Runc::from_args(&["runc"], &refs) {
        Ok(cli) => cli,
        Err(early) => {
            return match early.status {
                Ok(()) => {
                    println!("{}", early.output);
                    0
                }
                Err(()) => {
                    // The flags did not parse, but --log may have: clients
                    // read errors from the log file only.
                    let flag = |name: &str| {
                        normalised
                            .iter()
                            .position(|arg| arg == name)
                            .and_then(|at| normalised.get(at + 1))
                    };
                    let logger = Logger {
                        file: flag("--log").map(PathBuf::from),
                        json: flag("--log-format").map(String::as_str) == Some("json"),
                        debug: false,
                    };
                    logger.error(early.output.trim_end());
                    1
                }
            };
        }
    };
    let logger = LOGGER.get_or_init(|| Logger {
        file: cli.log.clone(),
        json: cli.log_format == "json",
        debug: cli.debug,
    });
    crate::runtime::set_warning_sink(|message| {
        if let Some(logger) = LOGGER.get() {
            logger.warning(message);
        }
    });
    // logrus.Error of an error the command survives: the log only.
    crate::runtime::set_error_sink(|message| {
        if let Some(logger) = LOGGER.get() {
            let _ = logger.write(&logger.line("error", message));
        }
    });
    if cli.debug {
        crate::runtime::set_debug_sink(|message| {
            if let Some(logger) = LOGGER.get() {
                logger.debug(message);
            }
        });
    }
    logger.debug(&format!("runc {}", normalised.join(" ")));
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            logger.error(&format!("{error:#}"));
            match error.downcast_ref::<manage::ExecFailed>() {
                Some(_) => 255,
                None => 1,
            }
        }
    }
}

/// Help as urfave/cli gives it, before argh sees the arguments: the
/// application's for no command or a global --help, a command's for `help
/// COMMAND` or `COMMAND --help`; an unknown command or topic is an error
/// with exit status 3, as in runc. None when no help was asked for.
fn answer_help(normalised: &[String], command_at: Option<usize>) -> Option<i32> {
    let globals = &normalised[..command_at.unwrap_or(normalised.len())];
    let Some(at) = command_at.filter(|_| !globals.iter().any(|arg| arg == "--help")) else {
        print!("{}", help::text(None).unwrap_or_default());
        return Some(0);
    };
    let command = normalised[at].as_str();
    let topic = match command {
        "help" | "h" => normalised.get(at + 1).map(String::as_str),
        _ if !help::is_command(command) => Some(command),
        _ => {
            // Only the command's own flags: exec's process may take --help.
            let own = normalised[at + 1..].iter().take_while(|arg| *arg != "--");
            if !own.into_iter().any(|arg| arg == "--help") {
                return None;
            }
            Some(command)
        }
    };
    match help::text(topic) {
        Some(text) => {
            print!("{text}");
            Some(0)
        }
        None => {
            let logger = Logger {
                file: None,
                json: false,
                debug: false,
            };
            logger.error(&format!(
                "No help topic for '{}'",
                topic.unwrap_or_default()
            ));
            Some(3)
        }
    }
}

fn run(cli: Runc) -> anyhow::Result<i32> {
    if !matches!(cli.log_format.as_str(), "text" | "json") {
        anyhow::bail!("invalid log-format: {}", cli.log_format);
    }
    if !matches!(cli.rootless.as_str(), "auto" | "true" | "false") {
        anyhow::bail!(
            "invalid value {:?} for --rootless: use auto, true or false",
            cli.rootless
        );
    }
    if cli.systemd_cgroup {
        anyhow::bail!(
            "--systemd-cgroup is not supported: dockbox's runc manages cgroups through cgroupfs only; drop the flag (dockerd: native.cgroupdriver=cgroupfs)"
        );
    }
    let root = cli.root.clone();
    match cli.command {
        Command::Create(create) => commands::create(&root, create),
        Command::Run(run) => commands::run(&root, run),
        Command::Start(start) => commands::start(&root, &start.id),
        Command::State(state) => commands::state(&root, &state.id),
        Command::List(list) => commands::list(&root, &list),
        Command::Kill(kill) => commands::kill(&root, &kill),
        Command::Delete(delete) => commands::delete(&root, &delete),
        Command::Spec(spec) => spec::write_spec(&spec.bundle, spec.rootless),
        Command::Exec(exec) => manage::exec(&root, exec),
        Command::Pause(pause) => manage::pause(&root, &pause.id),
        Command::Resume(resume) => manage::resume(&root, &resume.id),
        Command::Ps(ps) => manage::ps(&root, &ps),
        Command::Events(events) => manage::events(&root, &events),
        Command::Update(update) => manage::update(&root, &update),
        Command::Features(_) => manage::features(),
    }
}
