//! Docker's command-line syntax (spf13/pflag as docker/cli configures it),
//! driven by flag tables kept as data: combined shorts (`-it`, `-dit`,
//! `-p8080:80`, `-e=X`), `--flag=value` and `--flag value`, repeated
//! flags, `--` ending options, and for `run`/`create`/`exec` everything
//! after the first positional passed through verbatim.
//!
//! Values are checked while flags are read, as pflag's `Set` does, so the
//! errors (and exit status 125) match the Docker CLI's.

mod commands;
mod container_commands;
mod container_flags;
mod help;
mod network_commands;
mod other_commands;
mod tables;
mod volume_commands;

pub use help::{flag_usages, help_text};
#[cfg(test)]
pub use tables::{CREATE, PS, RUN};
pub use tables::{GLOBAL, find_command, group_commands};

/// Checks a flag's value and returns what to store: the value parsed once,
/// here, into its type.
pub type Check = fn(&str) -> Result<FlagValue, String>;

use crate::api::container::MountSpec;

/// A byte count as pflag's `bytes`/`memory-swap` flags read it (`512m`,
/// `1g`, `-1` for unlimited swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub i64);

/// `--cpus 1.5` as billionths of a CPU (the API's `NanoCpus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanoCpus(pub i64);

/// A Go duration (`30s`, `1m30s`) in nanoseconds, as the API carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nanoseconds(pub i64);

/// One flag's value as it was read.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagValue {
    /// A string flag, or what its check made of the string (`-e NAME`
    /// becomes `NAME=value`).
    Text(String),
    Bool(bool),
    Int(i64),
    Uint(u64),
    Bytes(Bytes),
    NanoCpus(NanoCpus),
    Duration(Nanoseconds),
    /// A `--mount`, as the API's Mount object.
    Mount(Box<MountSpec>),
}

impl FlagValue {
    /// The text of a string or boolean flag; `None` for the typed ones,
    /// which are read through their own accessors.
    fn as_text(&self) -> Option<&str> {
        match self {
            FlagValue::Text(text) => Some(text),
            FlagValue::Bool(true) => Some("true"),
            FlagValue::Bool(false) => Some("false"),
            _ => None,
        }
    }
}

/// One flag of a command.
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    /// pflag's type name (`string`, `list`, `bytes`, ...); `None` for a
    /// boolean flag.
    pub value_type: Option<&'static str>,
    /// The help text, with pflag's `(default ...)` where it shows one.
    pub usage: &'static str,
    /// Left out of `--help`, as docker hides deprecated aliases.
    pub hidden: bool,
    /// The value when the flag is not given, where it is not the type's
    /// zero value (`--sig-proxy` is on unless turned off).
    pub default: Option<&'static str>,
    /// Checks a value when the flag is read and returns what to store
    /// (for `-e NAME` the client's `NAME=value`).
    pub check: Option<Check>,
}

impl FlagSpec {
    pub fn takes_value(&self) -> bool {
        self.value_type.is_some()
    }

    /// How pflag names the flag in errors: `-m, --memory` or `--rm`.
    pub fn display_name(&self) -> String {
        match self.short {
            Some(short) => format!("-{short}, --{}", self.long),
            None => format!("--{}", self.long),
        }
    }
}

/// A command's syntax.
pub struct CommandSpec {
    /// The command path after `docker` (`run`, `container ls`).
    pub name: &'static str,
    /// The usage line after `Usage:  `.
    pub usage: &'static str,
    /// The one-line description under the usage line.
    pub short: &'static str,
    /// The `Aliases:` line, empty for none.
    pub aliases: &'static str,
    pub flags: &'static [FlagSpec],
    /// Flags of a shared table this command does not have.
    pub exclude: &'static [&'static str],
    /// False for commands whose first positional starts the container's
    /// own command line (`run`, `create`, `exec`).
    pub interspersed: bool,
    pub min_args: usize,
    pub max_args: Option<usize>,
}

impl CommandSpec {
    /// The flags the command accepts.
    pub fn flags(&self) -> impl Iterator<Item = &'static FlagSpec> + '_ {
        self.flags
            .iter()
            .filter(|flag| !self.exclude.contains(&flag.long))
    }

    fn by_long(&self, long: &str) -> Option<&'static FlagSpec> {
        self.flags().find(|f| f.long == long)
    }

    fn by_short(&self, short: char) -> Option<&'static FlagSpec> {
        self.flags().find(|f| f.short == Some(short))
    }
}

/// The flags and positionals of one command line.
pub struct Parsed {
    pub command: &'static CommandSpec,
    /// Every flag occurrence in order: long name and its value.
    pub flags: Vec<(&'static str, FlagValue)>,
    pub args: Vec<String>,
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed")
            .field("command", &self.command.name)
            .field("flags", &self.flags)
            .field("args", &self.args)
            .finish()
    }
}

impl Parsed {
    /// The last value given for `long`, or its default read as the flag
    /// reads a value.
    fn last(&self, long: &str) -> Option<FlagValue> {
        if let Some((_, value)) = self.flags.iter().rev().find(|(name, _)| *name == long) {
            return Some(value.clone());
        }
        let flag = self.command.by_long(long)?;
        let default = flag.default?;
        Some(match flag.check {
            Some(check) => check(default).expect("a flag's default is a valid value"),
            None => FlagValue::Text(default.to_string()),
        })
    }

    /// The last text given for a string or boolean flag, or its default.
    pub fn value(&self, long: &str) -> Option<&str> {
        match self.flags.iter().rev().find(|(name, _)| *name == long) {
            Some((_, value)) => value.as_text(),
            None => self.command.by_long(long).and_then(|flag| flag.default),
        }
    }

    /// All texts given for a repeated string flag, in order.
    pub fn values(&self, long: &str) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(name, _)| *name == long)
            .filter_map(|(_, value)| value.as_text())
            .collect()
    }

    /// A boolean flag's final state.
    pub fn is_true(&self, long: &str) -> bool {
        self.value(long) == Some("true")
    }

    pub fn is_set(&self, long: &str) -> bool {
        self.flags.iter().any(|(name, _)| *name == long)
    }

    /// An `int`/`uint16`/`uint` flag's value, or its default.
    pub fn int(&self, long: &str) -> Option<i64> {
        match self.last(long)? {
            FlagValue::Int(n) => Some(n),
            FlagValue::Uint(n) => Some(i64::try_from(n).unwrap_or(i64::MAX)),
            other => panic!("--{long} is not an integer flag: {other:?}"),
        }
    }

    /// A `uint16`/`uint` flag's value, or its default.
    pub fn uint(&self, long: &str) -> Option<u64> {
        match self.last(long)? {
            FlagValue::Uint(n) => Some(n),
            other => panic!("--{long} is not an unsigned flag: {other:?}"),
        }
    }

    /// A `bytes` flag's value.
    pub fn bytes(&self, long: &str) -> Option<Bytes> {
        match self.last(long)? {
            FlagValue::Bytes(bytes) => Some(bytes),
            other => panic!("--{long} is not a bytes flag: {other:?}"),
        }
    }

    /// `--cpus`.
    pub fn nano_cpus(&self, long: &str) -> Option<NanoCpus> {
        match self.last(long)? {
            FlagValue::NanoCpus(cpus) => Some(cpus),
            other => panic!("--{long} is not a CPUs flag: {other:?}"),
        }
    }

    /// Every value of a repeated `mount` flag, in order.
    pub fn mounts(&self, long: &str) -> Vec<&MountSpec> {
        self.flags
            .iter()
            .filter(|(name, _)| *name == long)
            .map(|(_, value)| match value {
                FlagValue::Mount(mount) => mount.as_ref(),
                other => panic!("--{long} is not a mount flag: {other:?}"),
            })
            .collect()
    }

    /// A `duration` flag's value.
    pub fn duration(&self, long: &str) -> Option<Nanoseconds> {
        match self.last(long)? {
            FlagValue::Duration(duration) => Some(duration),
            other => panic!("--{long} is not a duration flag: {other:?}"),
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum ArgsError {
    /// `--help` was given: print the command's help and exit 0.
    Help,
    /// A bad flag or value: the message, then usage; exit 125.
    Flag(String),
    /// Too few or too many positionals: exit 1. The second part is the
    /// first word of the closing line (`See`, `Run`).
    Arguments(String, &'static str),
}

impl ArgsError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ArgsError::Help => 0,
            ArgsError::Flag(_) => 125,
            ArgsError::Arguments(..) => 1,
        }
    }

    /// What the Docker CLI writes to stderr for this error.
    pub fn render(&self, spec: &CommandSpec) -> String {
        let command = if spec.name.is_empty() {
            "docker".to_string()
        } else {
            format!("docker {}", spec.name)
        };
        match self {
            ArgsError::Help => String::new(),
            ArgsError::Flag(message) => format!(
                "{message}\n\nUsage:  {}\n\nRun '{command} --help' for more information\n",
                spec.usage
            ),
            ArgsError::Arguments(message, closing) => format!(
                "docker: {message}\n\nUsage:  {}\n\n{closing} '{command} --help' for more information\n",
                spec.usage
            ),
        }
    }
}

/// Parses `args` (the words after the command name) against `spec`.
pub fn parse(spec: &'static CommandSpec, args: &[String]) -> Result<Parsed, ArgsError> {
    let mut parsed = Parsed {
        command: spec,
        flags: Vec::new(),
        args: Vec::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            parsed.args.extend(args[i..].iter().cloned());
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            parsed.args.push(arg.clone());
            if !spec.interspersed {
                parsed.args.extend(args[i..].iter().cloned());
                break;
            }
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            parse_long(spec, long, arg, args, &mut i, &mut parsed)?;
        } else {
            parse_shorts(spec, &arg[1..], args, &mut i, &mut parsed)?;
        }
    }
    if parsed.is_true("help") {
        return Err(ArgsError::Help);
    }
    check_arg_count(spec, parsed.args.len())?;
    Ok(parsed)
}

fn check_arg_count(spec: &CommandSpec, count: usize) -> Result<(), ArgsError> {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let (min, max) = (spec.min_args, spec.max_args);
    if count >= min && max.is_none_or(|max| count <= max) {
        return Ok(());
    }
    let command = spec.name;
    // cobra's wordings differ by the kind of limit, down to the closing
    // line (the CLI prints "SRun" for an upper limit alone).
    let (message, closing) = match max {
        Some(0) => (format!("'docker {command}' accepts no arguments"), "Run"),
        Some(max) if max == min => (
            format!("'docker {command}' requires {min} {}", plural(min)),
            "Run",
        ),
        Some(max) if min > 0 => (
            format!(
                "'docker {command}' requires at least {min} and at most {max} {}",
                plural(max)
            ),
            "Run",
        ),
        Some(max) => (
            format!("'docker {command}' requires at most {max} {}", plural(max)),
            "SRun",
        ),
        None => (
            format!("'docker {command}' requires at least {min} {}", plural(min)),
            "See",
        ),
    };
    Err(ArgsError::Arguments(message, closing))
}

fn parse_long(
    spec: &CommandSpec,
    body: &str,
    arg: &str,
    args: &[String],
    i: &mut usize,
    parsed: &mut Parsed,
) -> Result<(), ArgsError> {
    if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
        return Err(ArgsError::Flag(format!("bad flag syntax: {arg}")));
    }
    let (name, inline) = match body.split_once('=') {
        Some((name, value)) => (name, Some(value.to_string())),
        None => (body, None),
    };
    let Some(flag) = spec.by_long(name) else {
        return Err(ArgsError::Flag(format!("unknown flag: --{name}")));
    };
    let value = match (inline, flag.takes_value()) {
        (Some(value), _) => value,
        (None, false) => "true".to_string(),
        (None, true) => match args.get(*i) {
            Some(next) => {
                *i += 1;
                next.clone()
            }
            None => {
                return Err(ArgsError::Flag(format!("flag needs an argument: --{name}")));
            }
        },
    };
    store(flag, value, parsed)
}

fn parse_shorts(
    spec: &CommandSpec,
    shorts: &str,
    args: &[String],
    i: &mut usize,
    parsed: &mut Parsed,
) -> Result<(), ArgsError> {
    let mut rest = shorts;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let Some(flag) = spec.by_short(c) else {
            return Err(ArgsError::Flag(format!(
                "unknown shorthand flag: '{c}' in -{rest}"
            )));
        };
        let value = if let Some(inline) = after.strip_prefix('=') {
            // `-e=X`, `-d=false`
            rest = "";
            inline.to_string()
        } else if !flag.takes_value() {
            rest = after;
            "true".to_string()
        } else if !after.is_empty() {
            // `-p8080:80`
            rest = "";
            after.to_string()
        } else {
            rest = "";
            match args.get(*i) {
                Some(next) => {
                    *i += 1;
                    next.clone()
                }
                None => {
                    return Err(ArgsError::Flag(format!(
                        "flag needs an argument: '{c}' in -{c}"
                    )));
                }
            }
        };
        store(flag, value, parsed)?;
    }
    Ok(())
}

fn store(flag: &'static FlagSpec, value: String, parsed: &mut Parsed) -> Result<(), ArgsError> {
    let invalid = |message: String| {
        ArgsError::Flag(format!(
            "invalid argument {} for {} flag: {message}",
            crate::applets::docker::template::go_quote(&value),
            crate::applets::docker::template::go_quote(&flag.display_name())
        ))
    };
    let stored = if !flag.takes_value() {
        FlagValue::Bool(crate::applets::docker::parse::units::parse_bool(&value).map_err(invalid)?)
    } else if let Some(check) = flag.check {
        check(&value).map_err(invalid)?
    } else {
        FlagValue::Text(value.clone())
    };
    parsed.flags.push((flag.long, stored));
    Ok(())
}

#[cfg(test)]
mod tests;
