//! `docker import`: a root filesystem tar becomes a one-layer image, with
//! `--change` instructions applied to its config as a Dockerfile would.

use super::config::{ContainerConfig, History, ImageConfig, RootFs};
use super::reference::Reference;
use super::store::LayerExtent;
use super::{ImageError, ImageRecord, ImageStore, Result};
use crate::gofmt::time::rfc3339_nano;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Dockerfile instructions: CMD, ENTRYPOINT, ENV, WORKDIR, USER,
    /// LABEL, EXPOSE, VOLUME, STOPSIGNAL.
    pub changes: Vec<String>,
    /// The commit message; empty means "Imported from <source>".
    pub message: String,
    /// Where the tar came from, `-` for the request body.
    pub source: String,
    /// The tag to give the image, if any.
    pub tag: Option<Reference>,
}

pub fn import(
    store: &ImageStore,
    reader: impl Read,
    options: &ImportOptions,
) -> Result<ImageRecord> {
    let mut container = ContainerConfig::default();
    apply_changes(&mut container, &options.changes)?;
    let layer = store.content().put_layer(reader, LayerExtent::Archive)?;
    let created = rfc3339_nano(SystemTime::now());
    let message = if options.message.is_empty() {
        let source = if options.source.is_empty() {
            "-"
        } else {
            &options.source
        };
        format!("Imported from {source}")
    } else {
        options.message.clone()
    };
    let config = ImageConfig {
        architecture: host_architecture().to_string(),
        comment: message.clone(),
        config: Some(container),
        created: Some(created.clone()),
        history: vec![History {
            created: Some(created),
            comment: message,
            ..History::default()
        }],
        os: "linux".to_string(),
        rootfs: RootFs {
            kind: "layers".to_string(),
            diff_ids: vec![layer.diff_id],
        },
        ..ImageConfig::default()
    };
    let raw = serde_json::to_vec(&config).expect("image config serialises");
    store.commit(raw, options.tag.iter().cloned().collect())
}

pub(super) fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn bad(message: String) -> ImageError {
    ImageError::Invalid(message)
}

/// Applies `changes` in order, as the Dockerfile instructions they are.
pub fn apply_changes(config: &mut ContainerConfig, changes: &[String]) -> Result<()> {
    let mut cmd_set = false;
    for change in changes {
        let change = change.trim();
        let (instruction, rest) = change
            .split_once(char::is_whitespace)
            .map_or((change, ""), |(i, rest)| (i, rest.trim()));
        let instruction = instruction.to_lowercase();
        match instruction.as_str() {
            "cmd" => {
                config.cmd = Some(command_form(rest)?);
                cmd_set = true;
            }
            "entrypoint" => {
                config.entrypoint = if rest.is_empty() {
                    None
                } else {
                    Some(command_form(rest)?)
                };
                // A new ENTRYPOINT drops an inherited CMD, as in a Dockerfile.
                if !cmd_set {
                    config.cmd = None;
                }
            }
            "env" => {
                for (key, value) in key_values(rest, "ENV", config)? {
                    let env = config.env.get_or_insert_with(Vec::new);
                    let prefix = format!("{key}=");
                    env.retain(|entry| !entry.starts_with(&prefix) && entry != &key);
                    env.push(format!("{key}={value}"));
                }
            }
            "label" => {
                for (key, value) in key_values(rest, "LABEL", config)? {
                    config
                        .labels
                        .get_or_insert_with(Default::default)
                        .insert(key, value);
                }
            }
            "workdir" => {
                let path = expand(rest, config)?;
                if path.is_empty() {
                    return Err(bad("WORKDIR requires exactly one argument".into()));
                }
                let base = if config.working_dir.is_empty() {
                    "/"
                } else {
                    &config.working_dir
                };
                config.working_dir = clean_absolute(&Path::new(base).join(path));
            }
            "user" => {
                let user = expand(rest, config)?;
                if user.is_empty() || user.contains(char::is_whitespace) {
                    return Err(bad("USER requires exactly one argument".into()));
                }
                config.user = user;
            }
            "expose" => {
                let ports = words(&expand(rest, config)?)?;
                if ports.is_empty() {
                    return Err(bad("EXPOSE requires at least one argument".into()));
                }
                for port in ports {
                    for key in expand_port(&port)? {
                        config
                            .exposed_ports
                            .get_or_insert_with(Default::default)
                            .insert(key, Default::default());
                    }
                }
            }
            "volume" => {
                let volumes = match json_array(rest)? {
                    Some(list) => list,
                    None => words(&expand(rest, config)?)?,
                };
                if volumes.is_empty() {
                    return Err(bad("VOLUME requires at least one argument".into()));
                }
                for volume in volumes {
                    if volume.trim().is_empty() {
                        return Err(bad("VOLUME specified can not be an empty string".into()));
                    }
                    config
                        .volumes
                        .get_or_insert_with(Default::default)
                        .insert(volume, Default::default());
                }
            }
            "stopsignal" => {
                let signal = expand(rest, config)?;
                if !is_signal(&signal) {
                    return Err(bad(format!("Invalid signal: {signal}")));
                }
                config.stop_signal = Some(signal);
            }
            "healthcheck" | "onbuild" | "shell" => {
                return Err(bad(format!(
                    "{} is not supported by dockbox yet",
                    instruction.to_uppercase()
                )));
            }
            _ => return Err(bad(format!("{instruction} is not a valid change command"))),
        }
    }
    Ok(())
}

/// A JSON array (exec form) if the text is one.
fn json_array(text: &str) -> Result<Option<Vec<String>>> {
    if !text.starts_with('[') {
        return Ok(None);
    }
    // Like Docker, text that only looks like JSON is the shell form.
    Ok(serde_json::from_str::<Vec<String>>(text).ok())
}

/// Exec form as given; shell form runs under `/bin/sh -c`.
fn command_form(text: &str) -> Result<Vec<String>> {
    Ok(match json_array(text)? {
        Some(list) => list,
        None => vec!["/bin/sh".into(), "-c".into(), text.to_string()],
    })
}

/// `KEY=VALUE ...`, or the legacy `KEY VALUE WITH SPACES`.
fn key_values(
    text: &str,
    instruction: &str,
    config: &ContainerConfig,
) -> Result<Vec<(String, String)>> {
    let first = text.split_whitespace().next().unwrap_or("");
    if first.is_empty() {
        return Err(bad(format!("{instruction} requires at least one argument")));
    }
    if !first.contains('=') {
        let (key, value) = text
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad(format!("{instruction} must have two arguments")))?;
        return Ok(vec![(key.to_string(), expand(value.trim(), config)?)]);
    }
    let mut pairs = Vec::new();
    for word in words(text)? {
        let (key, value) = word.split_once('=').ok_or_else(|| {
            bad(format!(
                "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
            ))
        })?;
        if key.is_empty() {
            return Err(bad(format!("{instruction} names can not be blank")));
        }
        pairs.push((key.to_string(), expand_raw(value, config)));
    }
    Ok(pairs)
}

/// Splits on unquoted whitespace, removing quotes and backslash escapes.
/// `$` inside single quotes is protected from expansion by `\$`.
fn words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('$') => current.push_str("\\$"),
                    Some(next) => current.push(next),
                    None => current.push('\\'),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some('$') => current.push_str("\\$"),
                        Some(next) => current.push(next),
                        None => return Err(bad(
                            "unexpected end of statement while looking for matching single-quote"
                                .into(),
                        )),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('$') => current.push_str("\\$"),
                            Some(next) => current.push(next),
                            None => return Err(bad("unexpected end of statement while looking for matching double-quote".into())),
                        },
                        Some(next) => current.push(next),
                        None => return Err(bad("unexpected end of statement while looking for matching double-quote".into())),
                    }
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

/// `$VAR` and `${VAR}` from the config's Env so far (unset is empty);
/// `\$` is a literal dollar.
fn expand_raw(text: &str, config: &ContainerConfig) -> String {
    let lookup = |name: &str| -> String {
        config
            .env
            .iter()
            .flatten()
            .rev()
            .find_map(|entry| {
                entry
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('='))
            })
            .unwrap_or("")
            .to_string()
    };
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push('$');
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(&lookup(&name));
            }
            '$' if chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') =>
            {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if !(c.is_ascii_alphanumeric() || c == '_') {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
                out.push_str(&lookup(&name));
            }
            c => out.push(c),
        }
    }
    out
}

fn expand(text: &str, config: &ContainerConfig) -> Result<String> {
    Ok(expand_raw(text.trim(), config))
}

/// `80`, `80/udp`, `8000-8002/tcp` to Docker's `port/proto` keys.
fn expand_port(spec: &str) -> Result<Vec<String>> {
    let invalid = || bad(format!("Invalid containerPort: {spec}"));
    let (ports, protocol) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let protocol = protocol.to_lowercase();
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(bad(format!("Invalid proto: {protocol}")));
    }
    let parse = |p: &str| p.parse::<u16>().ok().filter(|&p| p > 0).ok_or_else(invalid);
    let (start, end) = match ports.split_once('-') {
        Some((start, end)) => (parse(start)?, parse(end)?),
        None => (parse(ports)?, parse(ports)?),
    };
    if end < start {
        return Err(invalid());
    }
    Ok((start..=end)
        .map(|port| format!("{port}/{protocol}"))
        .collect())
}

fn is_signal(signal: &str) -> bool {
    if let Ok(number) = signal.parse::<u32>() {
        return (1..=64).contains(&number);
    }
    let name = signal.strip_prefix("SIG").unwrap_or(signal).to_uppercase();
    const NAMES: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", "RTMIN",
        "RTMAX",
    ];
    NAMES.contains(&name.as_str())
        || name
            .strip_prefix("RTMIN+")
            .or_else(|| name.strip_prefix("RTMAX-"))
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=15).contains(&n))
}

fn clean_absolute(path: &Path) -> String {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    let joined: PathBuf = parts.iter().collect();
    format!("/{}", joined.display())
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
