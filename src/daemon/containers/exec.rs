//! `POST /containers/{id}/exec`, `POST /exec/{id}/start` (a hijacked
//! stream framed as attach frames it, or detached), `POST
//! /exec/{id}/resize` and `GET /exec/{id}/json`. The process is the
//! container shim's child (see `crate::shim::exec`): the shim relays its
//! stdio on the connection that started it and records its exit code in
//! a file, which is what the inspect reads, also after a daemon restart.

use super::exec_store::{self, StoredExec, launch};
use crate::api::ApiError;
use crate::api::detach_keys::{DEFAULT_DETACH_KEYS, EscapeMatcher, parse_detach_keys};
use crate::api::exec::{ExecConfig, ExecStartConfig, IdResponse};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::shim::protocol::{self, Kind, Request};
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;

pub fn create_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let config: ExecConfig = call.read_json()?.unwrap_or_default();
    let asked = call.param("id")?.to_string();
    let record = daemon.find_container(&asked)?;
    if config.cmd.as_ref().is_none_or(Vec::is_empty) {
        return Err(ApiError::invalid("No exec command specified"));
    }
    if !config.detach_keys.is_empty() && parse_detach_keys(&config.detach_keys).is_err() {
        return Err(ApiError::invalid(format!(
            "Invalid detach keys ({}) provided",
            config.detach_keys
        )));
    }
    exec_store::check_running(&record, &asked)?;
    let id = super::names::new_id()
        .map_err(|e| ApiError::internal(format!("generate an exec id: {e}")))?;
    let stored = StoredExec {
        id: id.clone(),
        container_id: record.id.clone(),
        config,
    };
    stored.save(daemon)?;
    daemon.update_container(&record.id, |rec| {
        rec.exec_ids.push(id.clone());
        Ok(())
    })?;
    let action = format!("exec_create: {}", stored.command_line());
    daemon.log_container_event(&record, &action, &[("execID", id.clone())]);
    Reply::json(201, &IdResponse { id })
}

pub fn inspect_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let stored = StoredExec::find(daemon, call.param("id")?)?;
    Reply::json(200, &stored.inspect(daemon))
}

pub fn resize_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let stored = StoredExec::find(daemon, call.param("id")?)?;
    let size = |name: &str| -> Result<u16, ApiError> {
        let text = call.query.get(name).unwrap_or("");
        text.parse()
            .map_err(|_| ApiError::invalid(format!("invalid resize {name}: {text:?}")))
    };
    let (height, width) = (size("h")?, size("w")?);
    let request = Request::ExecResize {
        id: stored.id.clone(),
        height,
        width,
    };
    super::shim_requests::request(daemon, &stored.container_id, &request)
        .map_err(|e| e.into_api(&format!("resize exec {}", stored.id)))?;
    Ok(Reply::Json(200, Vec::new()))
}

/// Refuses a second start, as moby words it.
fn already_started(daemon: &Daemon, stored: &StoredExec) -> ApiError {
    let finished = stored
        .record(daemon)
        .is_some_and(|record| !record.running && record.exit_code.is_some());
    let how = if finished {
        "has already run"
    } else {
        "is already running"
    };
    ApiError::conflict(format!("Error: Exec command {} {how}", stored.id))
}

pub fn start_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let start: ExecStartConfig = call.read_json()?.unwrap_or_default();
    let stored = StoredExec::find(daemon, call.param("id")?)?;
    let record = daemon.find_container(&stored.container_id)?;
    let tty = start.tty;
    // moby answers an attached start before it checks the rest, and
    // writes those refusals into the stream.
    let refused = exec_store::check_running(&record, &record.id).and_then(|()| {
        match stored.claim_start(daemon) {
            true => Ok(()),
            false => Err(already_started(daemon, &stored)),
        }
    });
    match refused {
        Err(error) if start.detach => return Err(error),
        Err(error) => {
            let mut out = hijack(call, tty)?.writer;
            let text = format!("{}\r\n", error.message);
            let _ = out.write_all(&output_frame(tty, 1, text.into_bytes()));
            let _ = out.shutdown(Shutdown::Both);
            return Ok(Reply::Done);
        }
        Ok(()) => {}
    }
    let action = format!("exec_start: {}", stored.command_line());
    daemon.log_container_event(&record, &action, &[("execID", stored.id.clone())]);
    if start.detach {
        let connection = launch(daemon, &stored, false).map_err(|failure| {
            stored.record_failure(daemon, failure.exit_code());
            ApiError::internal(failure.to_string())
        })?;
        let daemon = daemon.shared();
        std::thread::spawn(move || {
            let code = relay_output(connection, None, false);
            if let Some(daemon) = daemon {
                finished(&daemon, &stored, code);
            }
        });
        return Ok(Reply::Json(200, Vec::new()));
    }
    let hijacked = hijack(call, tty)?;
    let mut out = hijacked.writer;
    let connection = match launch(daemon, &stored, stored.config.attach_stdin) {
        Ok(connection) => connection,
        Err(failure) => {
            stored.record_failure(daemon, failure.exit_code());
            // moby writes the error as text into the stream, as stdout.
            let text = format!("{failure}\r\n");
            let _ = out.write_all(&output_frame(tty, 1, text.into_bytes()));
            let _ = out.shutdown(Shutdown::Both);
            return Ok(Reply::Done);
        }
    };
    if stored.config.attach_stdin
        && let Ok(to_shim) = connection.try_clone()
    {
        let keys = match stored.config.detach_keys.as_str() {
            "" => DEFAULT_DETACH_KEYS.to_vec(),
            keys => parse_detach_keys(keys).unwrap_or_else(|_| DEFAULT_DETACH_KEYS.to_vec()),
        };
        let matcher = EscapeMatcher::new(if stored.config.tty { keys } else { Vec::new() });
        let reader = hijacked.reader;
        let detach_out = out.try_clone().ok();
        let on_detach = detached_event(daemon, &stored);
        std::thread::spawn(move || copy_input(reader, to_shim, matcher, detach_out, on_detach));
    }
    let wanted = (stored.config.attach_stdout, stored.config.attach_stderr);
    let code = relay_output(connection, Some((&mut out, wanted)), tty);
    let _ = out.shutdown(Shutdown::Both);
    finished(daemon, &stored, code);
    Ok(Reply::Done)
}

/// Takes the connection over for the stream; its framing follows the
/// start's `Tty`, as moby's does.
fn hijack(call: &mut Call<'_, '_>, tty: bool) -> Result<crate::http::server::Hijacked, ApiError> {
    let content_type = if tty {
        super::attach::RAW
    } else {
        super::attach::MULTIPLEXED
    };
    call.exchange
        .hijack(content_type)
        .map_err(|e| ApiError::internal(format!("hijack: {e}")))
}

/// The exec has ended (`code` when the shim said so): moby's `exec_die`,
/// and the id leaves the container's ExecIDs.
fn finished(daemon: &Daemon, stored: &StoredExec, code: Option<i32>) {
    let code = code.or_else(|| stored.record(daemon).and_then(|r| r.exit_code));
    let _ = daemon.update_container(&stored.container_id, |rec| {
        rec.exec_ids.retain(|id| *id != stored.id);
        Ok(())
    });
    if let (Some(code), Ok(record)) = (code, daemon.find_container(&stored.container_id)) {
        let attributes = [
            ("execID", stored.id.clone()),
            ("exitCode", code.to_string()),
        ];
        daemon.log_container_event(&record, "exec_die", &attributes);
    }
}

/// moby's `exec_detach` (with the `execID`), for when the client's detach
/// keys end the stream and leave the process running.
fn detached_event(daemon: &Daemon, stored: &StoredExec) -> impl FnOnce() + Send + 'static {
    let daemon = daemon.shared();
    let (container_id, exec_id) = (stored.container_id.clone(), stored.id.clone());
    move || {
        let Some(daemon) = daemon else { return };
        if let Ok(record) = daemon.find_container(&container_id) {
            daemon.log_container_event(&record, "exec_detach", &[("execID", exec_id)]);
        }
    }
}

/// One chunk of output as the client reads it: bare with a TTY, behind an
/// 8-byte stdcopy header without.
fn output_frame(tty: bool, stream: u8, payload: Vec<u8>) -> Vec<u8> {
    if tty {
        return payload;
    }
    let mut frame = vec![stream, 0, 0, 0];
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(&payload);
    frame
}

/// Copies the exec's output from the shim to `out` (the streams wanted:
/// stdout, stderr) until the shim sends its exit code, which it returns;
/// none when the connection ended first (the container exited).
fn relay_output(
    mut connection: UnixStream,
    mut out: Option<(&mut UnixStream, (bool, bool))>,
    tty: bool,
) -> Option<i32> {
    while let Ok(Some((kind, payload))) = protocol::read_frame(&mut connection) {
        let stream = match kind {
            Kind::Stdout => 1u8,
            Kind::Stderr => 2,
            Kind::ExecExit => return protocol::be_i32(&payload),
            Kind::Exit => return None,
            _ => continue,
        };
        let Some((writer, (stdout, stderr))) = out.as_mut() else {
            continue;
        };
        if !((stream == 1 && *stdout) || (stream == 2 && *stderr)) {
            continue;
        }
        if writer
            .write_all(&output_frame(tty, stream, payload))
            .is_err()
        {
            // The client is gone; the process goes on, and its exit
            // is still waited for.
            out = None;
        }
    }
    None
}

/// The client's input on its way to the process: its end half-closes a
/// pipe (the output goes on), the detach keys end the stream and leave
/// the process running.
fn copy_input(
    mut reader: impl Read,
    mut to_shim: UnixStream,
    mut matcher: EscapeMatcher,
    client: Option<UnixStream>,
    on_detach: impl FnOnce(),
) {
    let mut buffer = vec![0u8; 32 * 1024];
    let mut pass = Vec::with_capacity(buffer.len());
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pass.clear();
        let detached = matcher.feed(&buffer[..n], &mut pass);
        if !pass.is_empty() && protocol::write_frame(&mut to_shim, Kind::Stdin, &pass).is_err() {
            return;
        }
        if detached {
            if let Some(client) = client {
                let _ = client.shutdown(Shutdown::Both);
            }
            on_detach();
            break;
        }
    }
    // The end of the input (or a detach) half-closes a pipe input; a pty
    // keeps its input.
    let _ = protocol::write_frame(&mut to_shim, Kind::CloseStdin, &[]);
}
