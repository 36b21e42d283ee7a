//! start, stop, restart, kill, wait and resize.

use super::record::{ContainerRecord, Status};
use super::{shim_requests, shims};
use crate::api::{ApiError, ErrorKind};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::{Headers, Response};
use std::io::Write;
use std::time::Duration;

fn no_content() -> Result<Reply, ApiError> {
    Ok(Reply::Response(Response::empty(204)))
}

pub fn start_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    shims::start(daemon, &record.id)?;
    no_content()
}

fn not_running(id: &str) -> ApiError {
    ApiError::conflict(format!("Container {id} is not running"))
}

pub fn kill_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    // moby checks the signal before it looks the container up.
    let signal = match call.query.get("signal") {
        None | Some("") => libc::SIGKILL,
        Some(text) => super::signal::parse_signal(text)
            .ok_or_else(|| ApiError::invalid(format!("Invalid signal: {text}")))?,
    };
    let record = daemon.find_container(call.param("id")?)?;
    if !record.is_running() {
        return Err(not_running(&record.id));
    }
    let seen = daemon.shims().exits(&record.id);
    if !shim_requests::signal_living(daemon, &record.id, seen, signal)? {
        return Err(not_running(&record.id));
    }
    daemon.log_container_event(&record, "kill", &[("signal", signal.to_string())]);
    shim_requests::thaw_after_signal(daemon, &record.id);
    // As moby, SIGKILL answers once the container is gone (its `die`
    // logged), so a `docker rm` right after finds it stopped.
    if signal == libc::SIGKILL
        && !daemon
            .shims()
            .wait_exit(&record.id, seen, Some(Duration::from_secs(10)))
    {
        return Err(ApiError::internal(format!(
            "tried to kill container {}, but did not receive an exit event",
            record.id
        )));
    }
    no_content()
}

/// Sends the stop signal, then SIGKILL when the container outlives
/// `timeout` seconds (negative: wait for ever).
pub fn stop_container(
    daemon: &Daemon,
    id: &str,
    signal: Option<&str>,
    timeout: Option<i64>,
) -> Result<(), ApiError> {
    let mut record = daemon.find_container(id)?;
    if record.status() == Status::Restarting {
        if cancel_restart(daemon, &record)? {
            return Ok(());
        }
        // It started again meanwhile: stop that run as usual.
        record = daemon.find_container(id)?;
    }
    if !record.is_running() {
        return Err(ApiError::new(
            ErrorKind::NotModified,
            "container already stopped",
        ));
    }
    let name = signal
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            let own = record.config.stop_signal.clone();
            if own.is_empty() {
                "SIGTERM".into()
            } else {
                own
            }
        });
    let signal = super::signal::parse_signal(&name)
        .ok_or_else(|| ApiError::invalid(format!("Invalid signal: {name}")))?;
    let timeout = timeout.or(record.config.stop_timeout).unwrap_or(10);
    daemon.update_container(&record.id, |rec| {
        rec.mark_manually_stopped();
        Ok(())
    })?;
    let seen = daemon.shims().exits(&record.id);
    if !shim_requests::signal_living(daemon, &record.id, seen, signal)? {
        return Ok(());
    }
    daemon.log_container_event(&record, "kill", &[("signal", signal.to_string())]);
    shim_requests::thaw_after_signal(daemon, &record.id);
    let limit = (timeout >= 0).then(|| Duration::from_secs(timeout as u64));
    if !daemon.shims().wait_exit(&record.id, seen, limit) {
        let killed = shim_requests::signal_living(daemon, &record.id, seen, libc::SIGKILL);
        if killed.is_ok_and(|sent| sent) {
            let signal = libc::SIGKILL.to_string();
            daemon.log_container_event(&record, "kill", &[("signal", signal)]);
        }
        daemon
            .shims()
            .wait_exit(&record.id, seen, Some(Duration::from_secs(30)));
    }
    daemon.log_container_event(&record, "stop", &[]);
    Ok(())
}

/// Stopping a container between two runs of its restart policy: the
/// pending restart sees the manual stop and gives up, and waiters for
/// `not-running` are woken. False when it was no longer restarting.
fn cancel_restart(daemon: &Daemon, record: &ContainerRecord) -> Result<bool, ApiError> {
    let cancelled = daemon.update_container(&record.id, |rec| {
        Ok(rec.mark_restart_cancelled().is_ok().then(|| rec.clone()))
    })?;
    let Some(stopped) = cancelled else {
        return Ok(false);
    };
    daemon.shims().notify();
    daemon.log_container_event(&stopped, "stop", &[]);
    Ok(true)
}

fn stop_query(call: &Call<'_, '_>) -> Result<Option<i64>, ApiError> {
    match call.query.get("t").or(call.query.get("timeout")) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(format!("invalid value for t: {text}"))),
    }
}

pub fn stop_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let timeout = stop_query(call)?;
    let signal = call.query.get("signal").map(str::to_string);
    let id = call.param("id")?.to_string();
    stop_container(daemon, &id, signal.as_deref(), timeout)?;
    no_content()
}

pub fn restart_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let timeout = stop_query(call)?;
    let signal = call.query.get("signal").map(str::to_string);
    let record = daemon.find_container(call.param("id")?)?;
    match stop_container(daemon, &record.id, signal.as_deref(), timeout) {
        Err(error) if error.kind != ErrorKind::NotModified => return Err(error),
        _ => {}
    }
    shims::start(daemon, &record.id)?;
    daemon.log_container_event(&record, "restart", &[]);
    no_content()
}

pub fn resize_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let dimension = |name: &str| -> Result<u16, ApiError> {
        let text = call.query.get(name).unwrap_or("0");
        text.parse()
            .map_err(|_| ApiError::invalid(format!("invalid {name}: {text}")))
    };
    let (height, width) = (dimension("h")?, dimension("w")?);
    if !record.is_running() {
        return Err(not_running(&record.id));
    }
    shim_requests::resize(daemon, &record.id, height, width)?;
    let size = [("height", height.to_string()), ("width", width.to_string())];
    daemon.log_container_event(&record, "resize", &size);
    Ok(Reply::Response(Response::empty(200)))
}

/// `POST /containers/{id}/wait`: the headers go out at once, the status
/// when the condition is met.
pub fn wait_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let condition = call
        .query
        .get("condition")
        .unwrap_or("not-running")
        .to_string();
    if !matches!(
        condition.as_str(),
        "" | "not-running" | "next-exit" | "removed"
    ) {
        return Err(ApiError::invalid(format!(
            "invalid condition: \"{condition}\""
        )));
    }
    let id = record.id.clone();
    let seen = daemon.shims().exits(&id);
    // The count first, then the record again: an exit records the state
    // before it counts, so one that came between the first read and the
    // count is seen here, not waited for a second time (for ever).
    let record = daemon.find_container(&id).unwrap_or(record);
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("write wait headers: {e}")))?;
    let mut last_code = record.state.exit_code;
    match condition.as_str() {
        "removed" => loop {
            let generation = daemon.shims().generation();
            match daemon.find_container(&id) {
                Ok(record) => {
                    last_code = record.state.exit_code;
                    daemon
                        .shims()
                        .wait_change_since(generation, Duration::from_millis(200));
                }
                Err(_) => {
                    last_code = daemon.shims().last_code(&id).unwrap_or(last_code);
                    break;
                }
            }
        },
        "next-exit" => {
            daemon.shims().wait_exit(&id, seen, None);
        }
        _ => {
            if record.is_running() {
                daemon.shims().wait_exit(&id, seen, None);
            }
        }
    }
    if condition != "removed"
        && let Ok(record) = daemon.find_container(&id)
    {
        last_code = record.state.exit_code;
    }
    let body = format!("{{\"StatusCode\":{last_code},\"Error\":null}}\n");
    let _ = writer.write_all(body.as_bytes());
    let _ = writer.finish();
    Ok(Reply::Done)
}
