//! `docker exec`: inspect the container, create the exec, then start it
//! detached or on a hijacked stream (raw mode and the window size for a
//! TTY, the detach keys), and end with the exec's exit code, in the order
//! of docker/cli's exec.go.

use super::attach::{StreamEnd, check_tty, detach_keys, follow, inspect};
use super::containers::path_escape;
use super::hijack::{self, Streams};
use super::terminal::{self, SignalPlan};
use super::{Session, stdout_is_terminal};
use crate::api::exec::{ExecConfig, ExecInspect, ExecStartConfig, IdResponse};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error};
use crate::http::Headers;
use std::path::Path;
use std::sync::mpsc::channel;

/// The create body from the flags; `--env-file` first, then `-e`, as the
/// CLI reads them.
fn exec_config(session: &Session, parsed: &Parsed) -> Result<ExecConfig, Failure> {
    let detach = parsed.is_true("detach");
    let tty = parsed.is_true("tty");
    let lookup = |name: &str| std::env::var(name).ok();
    let mut env = Vec::new();
    for file in parsed.values("env-file") {
        let read = crate::applets::docker::parse::kv::parse_kv_file(Path::new(file), Some(&lookup))
            .map_err(|e| Failure::new(1, e))?;
        env.extend(read);
    }
    for value in parsed.values("env") {
        match value.split_once('=') {
            Some(_) => env.push(value.to_string()),
            // `-e NAME` takes the client's value, or is dropped.
            None => {
                if let Ok(set) = std::env::var(value) {
                    env.push(format!("{value}={set}"));
                }
            }
        }
    }
    let (keys, _) = detach_keys(session, parsed.value("detach-keys"));
    let console_size = if tty && stdout_is_terminal() {
        terminal::size().map(|(height, width)| [height, width])
    } else {
        None
    };
    Ok(ExecConfig {
        user: parsed.value("user").unwrap_or_default().to_string(),
        privileged: parsed.is_true("privileged"),
        tty,
        console_size,
        attach_stdin: parsed.is_true("interactive") && !detach,
        attach_stdout: !detach,
        attach_stderr: !detach,
        detach,
        detach_keys: keys,
        env: (!env.is_empty()).then_some(env),
        working_dir: parsed.value("workdir").unwrap_or_default().to_string(),
        cmd: Some(parsed.args[1..].to_vec()),
    })
}

fn post_json(
    session: &mut Session,
    path: &str,
    body: &impl serde::Serialize,
) -> Result<Vec<u8>, Failure> {
    let body = serde_json::to_vec(body).map_err(|e| Failure::new(1, e.to_string()))?;
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/json");
    let reply = session.client.send("POST", path, &headers, &body)?;
    if reply.status >= 400 {
        return Err(daemon_error(&reply));
    }
    Ok(reply.body)
}

pub fn exec(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let config = exec_config(session, parsed)?;
    let container = parsed.args[0].clone();
    // As the CLI: a missing container is reported by the inspect.
    inspect(&mut session.client, &container)?;
    let created = post_json(
        session,
        &format!("/containers/{}/exec", path_escape(&container)),
        &config,
    )?;
    let IdResponse { id } = serde_json::from_slice(&created)
        .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))?;
    let start = ExecStartConfig {
        detach: config.detach,
        tty: config.tty,
        console_size: config.console_size,
    };
    if config.detach {
        post_json(session, &format!("/exec/{id}/start"), &start)?;
        return Ok(());
    }
    check_tty(config.attach_stdin, config.tty)?;
    let (_, key_bytes) = detach_keys(session, parsed.value("detach-keys"));
    let streams = Streams {
        stdin: config.attach_stdin,
        stdout: true,
        stderr: true,
        tty: config.tty,
        stderr_to_stdout: false,
        detach_keys: key_bytes,
    };
    let resize = config.tty && stdout_is_terminal();
    terminal::watch_signals(
        SignalPlan {
            container: container.clone(),
            exec: Some(id.clone()),
            proxy: false,
            resize,
            cancel: None,
        },
        &mut session.client,
    )
    .map_err(|e| Failure::new(1, e))?;
    let body = serde_json::to_vec(&start).map_err(|e| Failure::new(1, e.to_string()))?;
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/json");
    let hijacked = session
        .client
        .hijack_with(&format!("/exec/{id}/start"), &headers, &body)?;
    let (events, received) = channel();
    let raw = hijack::start(hijacked, &streams, events).map_err(|e| Failure::new(1, e))?;
    if resize && let Some((height, width)) = terminal::size() {
        terminal::resize_resource(&mut session.client, &format!("/exec/{id}"), height, width);
    }
    let end = follow(&received, &streams, false);
    drop(raw);
    if let StreamEnd::Detached = end? {
        return Ok(());
    }
    let inspected = session.client.get_json(&format!("/exec/{id}/json"))?;
    let inspected: ExecInspect = serde_json::from_value(inspected)
        .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))?;
    match inspected.exit_code.unwrap_or(0) {
        0 => Ok(()),
        code => Err(Failure::new(code, "")),
    }
}
