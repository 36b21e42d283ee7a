//! Typed instructions from nodes, with each instruction's argument and
//! flag rules and error texts as buildkit's `instructions/parse.go` (the
//! version moby 20.10's classic builder vendors), and the expansion of
//! their words as the classic builder's dispatcher does.

use super::parse::Node;
use crate::build::words::{Vars, expand_word, expand_words};
use crate::gofmt::duration::parse_duration;
use crate::gofmt::quote::go_quote;
use crate::gofmt::strconv::parse_int;

/// Docker's link to the BuildKit documentation in its refusals.
pub const BUILDKIT_HINT: &str = "Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled";
/// Docker's `container.MinimumDuration` for health-check intervals.
const MIN_HEALTH_DURATION_NS: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Instruction {
    From(From),
    Arg(Vec<ArgDecl>),
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Run(Run),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Shell(Vec<String>),
    Expose(Vec<String>),
    Volume(Vec<String>),
    User(String),
    Workdir(String),
    Copy(Copy),
    Add(Copy),
    StopSignal(String),
    Healthcheck(Healthcheck),
    /// The trigger's text, parsed again when a child image builds.
    Onbuild(String),
    Maintainer(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct From {
    pub base: String,
    /// The `AS` name, lower-cased.
    pub name: Option<String>,
    pub platform: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArgDecl {
    pub name: String,
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// RUN/CMD/ENTRYPOINT arguments: exec form as given, or shell form as one
/// string the builder prefixes with the SHELL.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandLine {
    pub args: Vec<String>,
    pub prepend_shell: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub command: CommandLine,
    /// RUN flags given (`mount`, `network`, `security`), in order; the
    /// classic builder refuses each (see [`Instruction::classic_refusal`]).
    pub flags_used: Vec<String>,
}

/// COPY and ADD (ADD has no `from`).
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub sources: Vec<String>,
    pub dest: String,
    pub from: Option<String>,
    pub chown: String,
    pub chmod: String,
    pub link: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`: the base image's check is disabled.
    Disabled,
    Check {
        /// `CMD` (exec form) or `CMD-SHELL`, then the command.
        test: Vec<String>,
        /// Nanoseconds; 0 means unset.
        interval: i64,
        timeout: i64,
        start_period: i64,
        start_interval: i64,
        retries: i64,
    },
}

/// Flags of one instruction (buildkit's `BFlags`): each declared flag may
/// be given once as `--name=value` (bool flags also bare).
struct Flags<'a> {
    given: &'a [String],
}

#[derive(Clone, Copy, PartialEq)]
enum FlagKind {
    Text,
    Many,
    Bool,
}

impl<'a> Flags<'a> {
    /// Parses against the declared flags; values in declaration order,
    /// plus the names used in the order given.
    fn parse(
        &self,
        declared: &[(&str, FlagKind)],
    ) -> Result<(Vec<Vec<String>>, Vec<String>), String> {
        let mut values = vec![Vec::new(); declared.len()];
        let mut used: Vec<String> = Vec::new();
        for arg in self.given {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(format!("Arg should start with -- : {arg}"));
            };
            if flag.is_empty() {
                break;
            }
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (flag, None),
            };
            let Some(index) = declared.iter().position(|(n, _)| *n == name) else {
                return Err(format!("Unknown flag: {name}"));
            };
            let kind = declared[index].1;
            if used.iter().any(|u| u == name) {
                if kind != FlagKind::Many {
                    return Err(format!("Duplicate flag specified: {name}"));
                }
            } else {
                used.push(name.to_string());
            }
            let value = match (kind, value) {
                (FlagKind::Bool, Some("")) => {
                    return Err(format!("Missing a value on flag: {name}"));
                }
                (FlagKind::Bool, None) => "true".to_string(),
                (FlagKind::Bool, Some(v)) => match v.to_lowercase().as_str() {
                    b @ ("true" | "false") => b.to_string(),
                    _ => return Err(format!("Expecting boolean value for flag {name}, not: {v}")),
                },
                (_, None) => return Err(format!("Missing a value on flag: {name}")),
                (_, Some(v)) => v.to_string(),
            };
            values[index].push(value);
        }
        Ok((values, used))
    }

    fn none(&self) -> Result<(), String> {
        self.parse(&[]).map(|_| ())
    }
}

fn last(values: &[String]) -> String {
    values.last().cloned().unwrap_or_default()
}

fn at_least_one(command: &str) -> String {
    format!("{command} requires at least one argument")
}

fn exactly_one(command: &str) -> String {
    format!("{command} requires exactly one argument")
}

/// The typed instruction of a node, or buildkit's error text.
pub fn instruction(node: &Node) -> Result<Instruction, String> {
    let flags = Flags { given: &node.flags };
    let args = &node.args;
    let single = |name: &str| -> Result<String, String> {
        if args.len() != 1 {
            return Err(exactly_one(name));
        }
        flags.none()?;
        Ok(args[0].clone())
    };
    Ok(match node.command.as_str() {
        "from" => Instruction::From(from(args, &flags)?),
        "arg" => Instruction::Arg(arg(args)?),
        "env" => {
            flags.none()?;
            Instruction::Env(key_values(args, "ENV")?)
        }
        "label" => {
            flags.none()?;
            Instruction::Label(key_values(args, "LABEL")?)
        }
        "run" => {
            let declared = [
                ("mount", FlagKind::Many),
                ("network", FlagKind::Text),
                ("security", FlagKind::Text),
            ];
            let (_, used) = flags.parse(&declared)?;
            Instruction::Run(Run {
                command: command_line(node),
                flags_used: used,
            })
        }
        "cmd" => {
            flags.none()?;
            Instruction::Cmd(command_line(node))
        }
        "entrypoint" => {
            flags.none()?;
            Instruction::Entrypoint(command_line(node))
        }
        "shell" => {
            flags.none()?;
            match (args.is_empty(), node.json) {
                (true, _) => return Err(at_least_one("SHELL")),
                (false, true) => Instruction::Shell(args.clone()),
                (false, false) => {
                    return Err("SHELL requires the arguments to be in JSON form".into());
                }
            }
        }
        "expose" => {
            if args.is_empty() {
                return Err(at_least_one("EXPOSE"));
            }
            flags.none()?;
            let mut ports = args.clone();
            ports.sort();
            Instruction::Expose(ports)
        }
        "volume" => Instruction::Volume(volume(args, &flags)?),
        "user" => Instruction::User(single("USER")?),
        "workdir" => Instruction::Workdir(single("WORKDIR")?),
        "maintainer" => Instruction::Maintainer(single("MAINTAINER")?),
        "stopsignal" => {
            if args.len() != 1 {
                return Err(exactly_one("STOPSIGNAL"));
            }
            Instruction::StopSignal(args[0].clone())
        }
        "copy" => Instruction::Copy(copy(args, &flags, "COPY")?),
        "add" => Instruction::Add(copy(args, &flags, "ADD")?),
        "healthcheck" => Instruction::Healthcheck(healthcheck(node, &flags)?),
        "onbuild" => Instruction::Onbuild(onbuild(node, &flags)?),
        other => return Err(format!("unknown instruction: {}", other.to_uppercase())),
    })
}

fn from(args: &[String], flags: &Flags) -> Result<From, String> {
    let name = match args {
        [_, as_word, name] if as_word.eq_ignore_ascii_case("as") => {
            let lower = name.to_lowercase();
            if !valid_stage_name(&lower) {
                return Err(format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    go_quote(name)
                ));
            }
            Some(lower)
        }
        [_] => None,
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    let (values, _) = flags.parse(&[("platform", FlagKind::Text)])?;
    let platform = Some(last(&values[0])).filter(|p| !p.is_empty());
    Ok(From {
        base: args[0].clone(),
        name,
        platform,
    })
}

/// `^[a-z][a-z0-9-_\.]*$`
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

fn arg(args: &[String]) -> Result<Vec<ArgDecl>, String> {
    if args.is_empty() {
        return Err(at_least_one("ARG"));
    }
    args.iter()
        .map(|word| match word.split_once('=') {
            Some(("", _)) => Err("ARG names can not be blank".to_string()),
            Some((name, value)) => Ok(ArgDecl {
                name: name.to_string(),
                default: Some(value.to_string()),
            }),
            None => Ok(ArgDecl {
                name: word.clone(),
                default: None,
            }),
        })
        .collect()
}

fn key_values(args: &[String], command: &str) -> Result<Vec<KeyValue>, String> {
    if args.is_empty() {
        return Err(at_least_one(command));
    }
    if !args.len().is_multiple_of(2) {
        return Err(format!("Bad input to {command}, too many arguments"));
    }
    args.chunks(2)
        .map(|pair| {
            if pair[0].is_empty() {
                return Err(format!("{command} names can not be blank"));
            }
            Ok(KeyValue {
                key: pair[0].clone(),
                value: pair[1].clone(),
            })
        })
        .collect()
}

/// Shell form joins the words into one string (buildkit's
/// `handleJSONArgs`).
fn command_line(node: &Node) -> CommandLine {
    let args = if node.json || node.args.is_empty() {
        node.args.clone()
    } else {
        vec![node.args.join(" ")]
    };
    CommandLine {
        args,
        prepend_shell: !node.json,
    }
}

fn volume(args: &[String], flags: &Flags) -> Result<Vec<String>, String> {
    if args.is_empty() {
        return Err(at_least_one("VOLUME"));
    }
    flags.none()?;
    args.iter()
        .map(|v| match v.trim() {
            "" => Err("VOLUME specified can not be an empty string".to_string()),
            v => Ok(v.to_string()),
        })
        .collect()
}

fn copy(args: &[String], flags: &Flags, command: &str) -> Result<Copy, String> {
    if args.len() < 2 {
        return Err(format!(
            "{command} requires at least two arguments, but only one was provided. Destination could not be determined"
        ));
    }
    let mut declared = vec![
        ("chown", FlagKind::Text),
        ("chmod", FlagKind::Text),
        ("link", FlagKind::Bool),
    ];
    if command == "COPY" {
        declared.push(("from", FlagKind::Text));
    }
    let (values, _) = flags.parse(&declared)?;
    let (dest, sources) = args.split_last().expect("two arguments");
    Ok(Copy {
        sources: sources.to_vec(),
        dest: dest.clone(),
        from: values.get(3).map(|v| last(v)).filter(|v| !v.is_empty()),
        chown: last(&values[0]),
        chmod: last(&values[1]),
        link: last(&values[2]) == "true",
    })
}

fn healthcheck(node: &Node, flags: &Flags) -> Result<Healthcheck, String> {
    let Some(kind) = node.args.first() else {
        return Err(at_least_one("HEALTHCHECK"));
    };
    let kind = kind.to_uppercase();
    let command = &node.args[1..];
    if kind == "NONE" {
        if !command.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(Healthcheck::Disabled);
    }
    let names = [
        "interval",
        "timeout",
        "start-period",
        "start-interval",
        "retries",
    ];
    let declared: Vec<(&str, FlagKind)> = names.iter().map(|n| (*n, FlagKind::Text)).collect();
    let (values, _) = flags.parse(&declared)?;
    if kind != "CMD" {
        return Err(format!(
            "Unknown type {} in HEALTHCHECK (try CMD)",
            go_quote(&kind)
        ));
    }
    let line = command_line(&Node {
        args: command.to_vec(),
        ..node.clone()
    });
    if line.args.is_empty() {
        return Err("Missing command after HEALTHCHECK CMD".into());
    }
    let test_kind = if node.json { "CMD" } else { "CMD-SHELL" };
    let mut durations = [0i64; 4];
    for (slot, (name, value)) in durations.iter_mut().zip(names.iter().zip(&values)) {
        *slot = health_duration(name, &last(value))?;
    }
    let retries = match last(&values[4]) {
        text if text.is_empty() => 0,
        text => match parse_int(&text, 32)? {
            n if n < 1 => return Err(format!("--retries must be at least 1 (not {n})")),
            n => n,
        },
    };
    Ok(Healthcheck::Check {
        test: std::iter::once(test_kind.to_string())
            .chain(line.args)
            .collect(),
        interval: durations[0],
        timeout: durations[1],
        start_period: durations[2],
        start_interval: durations[3],
        retries,
    })
}

fn health_duration(name: &str, text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    let nanos = parse_duration(text)?;
    if nanos < MIN_HEALTH_DURATION_NS {
        return Err(format!(
            "Interval {} cannot be less than 1ms",
            go_quote(name)
        ));
    }
    Ok(nanos)
}

fn onbuild(node: &Node, flags: &Flags) -> Result<String, String> {
    let Some(trigger) = node.args.first() else {
        return Err(at_least_one("ONBUILD"));
    };
    flags.none()?;
    match trigger.trim().to_uppercase().as_str() {
        "ONBUILD" => return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()),
        t @ ("MAINTAINER" | "FROM") => {
            return Err(format!("{t} isn't allowed as an ONBUILD trigger"));
        }
        _ => {}
    }
    // The original without `^\s*ONBUILD\s*` (any case).
    let text = node.original.trim_start();
    let rest = if text.len() >= 7 && text[..7].eq_ignore_ascii_case("onbuild") {
        &text[7..]
    } else {
        text
    };
    Ok(rest.trim_start().to_string())
}

impl Instruction {
    /// The classic builder's refusal of a BuildKit-only feature, given
    /// when the step runs (as moby's dispatcher does, after the steps
    /// before it).
    pub fn classic_refusal(&self) -> Option<String> {
        let option = match self {
            Instruction::Run(run) => run.flags_used.first()?.clone(),
            Instruction::Copy(copy) | Instruction::Add(copy) if !copy.chmod.is_empty() => {
                "chmod".into()
            }
            Instruction::Copy(copy) | Instruction::Add(copy) if copy.link => "link".into(),
            _ => return None,
        };
        Some(format!(
            "the --{option} option requires BuildKit. {BUILDKIT_HINT}"
        ))
    }

    /// The instruction with its words expanded as the classic builder's
    /// dispatcher does before running it: ENV and LABEL keys and values,
    /// ARG names and defaults, COPY/ADD sources, destination and `--chown`,
    /// WORKDIR, USER, VOLUME, STOPSIGNAL, FROM's image and `--platform`
    /// (the builder passes only the global ARGs for FROM), and EXPOSE
    /// split into words. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
    /// ONBUILD, MAINTAINER and `COPY --from` are left as written.
    pub fn expand(&self, escape: char, vars: &dyn Vars) -> Result<Instruction, String> {
        let one = |word: &str| expand_word(word, escape, vars);
        let all = |words: &[String]| words.iter().map(|w| one(w)).collect::<Result<Vec<_>, _>>();
        let pairs = |kvs: &[KeyValue]| {
            kvs.iter()
                .map(|kv| {
                    Ok(KeyValue {
                        key: one(&kv.key)?,
                        value: one(&kv.value)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()
        };
        Ok(match self {
            Instruction::Env(kvs) => Instruction::Env(pairs(kvs)?),
            Instruction::Label(kvs) => Instruction::Label(pairs(kvs)?),
            Instruction::Arg(decls) => Instruction::Arg(
                decls
                    .iter()
                    .map(|d| {
                        let default = d.default.as_deref().map(one).transpose()?;
                        Ok(ArgDecl {
                            name: one(&d.name)?,
                            default,
                        })
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Instruction::Copy(c) | Instruction::Add(c) => {
                let expanded = Copy {
                    sources: all(&c.sources)?,
                    dest: one(&c.dest)?,
                    chown: one(&c.chown)?,
                    ..c.clone()
                };
                match self {
                    Instruction::Copy(_) => Instruction::Copy(expanded),
                    _ => Instruction::Add(expanded),
                }
            }
            Instruction::Workdir(p) => Instruction::Workdir(one(p)?),
            Instruction::User(u) => Instruction::User(one(u)?),
            Instruction::Volume(v) => Instruction::Volume(all(v)?),
            Instruction::StopSignal(s) => Instruction::StopSignal(one(s)?),
            Instruction::From(f) => Instruction::From(From {
                base: one(&f.base)?,
                platform: f.platform.as_deref().map(one).transpose()?,
                name: f.name.clone(),
            }),
            Instruction::Expose(ports) => {
                let mut split = Vec::new();
                for port in ports {
                    split.extend(expand_words(port, escape, vars)?);
                }
                Instruction::Expose(split)
            }
            other => other.clone(),
        })
    }
}
