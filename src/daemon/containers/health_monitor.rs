//! The health monitor: one thread per running container that has a
//! healthcheck, started with the container (and again for the containers
//! a restarted daemon finds running), ended by its exit. Each probe is an
//! exec the container's shim runs, as moby's exec probe is: with the
//! exec events, its output kept up to moby's cap, TERM past the timeout
//! and KILL when that is not enough.
//!
//! A thread per monitored container keeps this simple; an idle one sleeps
//! on the shim table's exit condition, so it costs no wake-ups between
//! probes beyond that wait's half-second slices.
//!
//! Each result is one store transaction. One that changes the status is
//! committed durably (the status is what `ps`, filters and restart
//! decisions read); one that only adds to the log and the streak is
//! committed without waiting for the disk, so a probe every second does
//! not cost an fsync every second. A daemon that dies loses at most those
//! log entries since the last durable commit, as moby keeps health only
//! "best-effort" on disk.

use super::exec_store::{self, LaunchFailure, StoredExec};
use super::health::{self, CappedOutput, ProbeResult, Schedule};
use super::record::{ContainerRecord, Status};
use crate::api::ApiError;
use crate::api::exec::ExecConfig;
use crate::daemon::log;
use crate::daemon::state::Daemon;
use crate::gofmt::time::now_nanos;
use crate::shim::protocol::{self, Kind, Request};
use crate::store::Commit;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a probe past its timeout has after TERM before KILL, as
/// moby's exec gives a cancelled process.
const TERM_GRACE: Duration = Duration::from_secs(10);

/// One run of one container: the monitor ends when it does.
struct Run {
    id: String,
    started_at: i64,
    exits_seen: u64,
}

/// Starts the monitor of container `id`'s current run when it has a
/// probe. Called where the run's start is recorded and before its exit
/// can be (a start holds it; live restore reads it before it watches the
/// exit), so the exit count read here is the run's.
pub fn watch(daemon: &Daemon, id: &str) {
    let Some(daemon) = daemon.shared() else {
        return;
    };
    let Ok(record) = daemon.find_container(id) else {
        return;
    };
    let Some(command) = health::probe_command(&record.config) else {
        return;
    };
    let run = Run {
        id: record.id.clone(),
        started_at: record.state.started_at,
        exits_seen: daemon.shims().exits(&record.id),
    };
    let schedule = Schedule::of(record.config.healthcheck.as_ref());
    let spawned = std::thread::Builder::new()
        .name("health".into())
        .spawn(move || monitor(&daemon, &run, &command, &schedule));
    if let Err(error) = spawned {
        log::warn(&format!("start the health monitor of {id}: {error}"));
    }
}

/// The record while this run goes on.
fn current(daemon: &Daemon, run: &Run) -> Option<ContainerRecord> {
    if daemon.shims().shutting_down() || daemon.shims().exits(&run.id) != run.exits_seen {
        return None;
    }
    let record = daemon.find_container(&run.id).ok()?;
    let alive = matches!(record.status(), Status::Running | Status::Paused);
    (alive && record.state.started_at == run.started_at).then_some(record)
}

fn monitor(daemon: &Arc<Daemon>, run: &Run, command: &[String], schedule: &Schedule) {
    loop {
        let Some(record) = current(daemon, run) else {
            return;
        };
        let status = record.state.health.as_ref().map(|h| h.status);
        let elapsed = now_nanos() - run.started_at;
        let delay = schedule.next_delay(elapsed, status.unwrap_or_default());
        if daemon
            .shims()
            .wait_exit(&run.id, run.exits_seen, Some(delay))
        {
            return;
        }
        let Some(record) = current(daemon, run) else {
            return;
        };
        // moby stops probing a paused container and starts again, a
        // whole interval later, when it is unpaused.
        if record.status() == Status::Paused {
            continue;
        }
        let start = now_nanos();
        let outcome = probe(daemon, &record, command, schedule);
        // A container that stopped meanwhile takes no result, as in moby.
        if current(daemon, run).is_none() {
            return;
        }
        let (exit_code, output) = outcome.unwrap_or_else(|message| (-1, message));
        let result = ProbeResult {
            start,
            end: now_nanos(),
            exit_code,
            output,
        };
        save_result(daemon, run, &record, result, schedule);
    }
}

/// Records `result` in one transaction (see the module's words on
/// durability) and logs `health_status` when the status changed.
fn save_result(
    daemon: &Daemon,
    run: &Run,
    record: &ContainerRecord,
    result: ProbeResult,
    schedule: &Schedule,
) {
    // Only this thread changes the health of this run, so the change the
    // record read before the probe predicts is the one made below.
    let mut preview = record.state.health.clone().unwrap_or_default();
    let commit = match preview.record(result.clone(), run.started_at, schedule) {
        Some(_) => Commit::Durable,
        None => Commit::Deferred,
    };
    let saved = daemon.update_container_as(commit, &run.id, |rec| {
        if rec.state.started_at != run.started_at || !rec.is_running() {
            return Ok(None);
        }
        let health = rec.state.health.get_or_insert_default();
        let changed = health.record(result, run.started_at, schedule);
        Ok(changed.map(|status| (status, rec.clone())))
    });
    match saved {
        Ok(Some((status, record))) => {
            let action = format!("health_status: {}", status.as_str());
            daemon.log_container_event(&record, &action, &[]);
        }
        Ok(None) => {}
        Err(error) => log::warn(&format!(
            "record the health of {}: {}",
            run.id, error.message
        )),
    }
}

/// Runs one probe: its exit code and output, or why it could not run
/// (moby records that as exit code -1 with the error as the output).
fn probe(
    daemon: &Daemon,
    record: &ContainerRecord,
    command: &[String],
    schedule: &Schedule,
) -> Result<(i64, String), String> {
    let id = super::names::new_id().map_err(|e| format!("generate an exec id: {e}"))?;
    let stored = StoredExec {
        id,
        container_id: record.id.clone(),
        config: ExecConfig {
            user: record.config.user.clone(),
            working_dir: record.config.working_dir.clone(),
            attach_stdout: true,
            attach_stderr: true,
            cmd: Some(command.to_vec()),
            ..ExecConfig::default()
        },
    };
    stored.save(daemon).map_err(|e| e.message)?;
    let outcome = run_exec(daemon, record, &stored, schedule);
    stored.remove(daemon);
    outcome
}

fn run_exec(
    daemon: &Daemon,
    record: &ContainerRecord,
    stored: &StoredExec,
    schedule: &Schedule,
) -> Result<(i64, String), String> {
    let exec_id = [("execID", stored.id.clone())];
    let line = stored.command_line();
    daemon.log_container_event(record, &format!("exec_create: {line}"), &exec_id);
    daemon.log_container_event(record, &format!("exec_start: {line}"), &exec_id);
    let connection =
        exec_store::launch(daemon, stored, false).map_err(|failure: LaunchFailure| {
            exec_died(daemon, record, stored, failure.exit_code());
            failure.to_string()
        })?;
    let output = Arc::new(Mutex::new(CappedOutput::default()));
    let exited = collect(connection, Arc::clone(&output));
    let timeout = schedule.timeout();
    let outcome = match exited.recv_timeout(timeout) {
        Ok(code) => Ok(code),
        Err(RecvTimeoutError::Timeout) => Err(stop_overdue(daemon, record, stored, &exited)),
        Err(RecvTimeoutError::Disconnected) => Ok(None),
    };
    let output = output.lock().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok(Some(code)) => {
            exec_died(daemon, record, stored, code);
            Ok((i64::from(code), output.text()))
        }
        // The container exited and took the probe with it; the caller
        // drops the result.
        Ok(None) => Err("the container exited during the health check".into()),
        Err(code) => {
            if let Some(code) = code {
                exec_died(daemon, record, stored, code);
            }
            Ok((-1, health::timeout_text(timeout, &output)))
        }
    }
}

/// moby's `exec_die` for the probe's exec.
fn exec_died(daemon: &Daemon, record: &ContainerRecord, stored: &StoredExec, code: i32) {
    let attributes = [
        ("execID", stored.id.clone()),
        ("exitCode", code.to_string()),
    ];
    daemon.log_container_event(record, "exec_die", &attributes);
}

/// Reads the probe's output into `output` on a thread of its own; the
/// receiver gets its exit code, or `None` when the container's exit ended
/// the connection first.
fn collect(mut connection: UnixStream, output: Arc<Mutex<CappedOutput>>) -> Receiver<Option<i32>> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut code = None;
        while let Ok(Some((kind, payload))) = protocol::read_frame(&mut connection) {
            match kind {
                Kind::Stdout | Kind::Stderr => output
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(&payload),
                Kind::ExecExit => {
                    code = protocol::be_i32(&payload);
                    break;
                }
                Kind::Exit => break,
                _ => {}
            }
        }
        let _ = sender.send(code);
    });
    receiver
}

/// The probe outlived its timeout: TERM, then KILL after the grace moby
/// gives, so dying probes do not pile up; its exit code once it is gone.
fn stop_overdue(
    daemon: &Daemon,
    record: &ContainerRecord,
    stored: &StoredExec,
    exited: &Receiver<Option<i32>>,
) -> Option<i32> {
    for (signal, wait) in [(libc::SIGTERM, TERM_GRACE), (libc::SIGKILL, TERM_GRACE)] {
        let request = Request::ExecSignal {
            id: stored.id.clone(),
            signal,
        };
        if let Err(error) = super::shim_requests::request(daemon, &record.id, &request) {
            let error: ApiError = error.into_api(&format!("signal exec {}", stored.id));
            log::warn(&error.message);
        }
        match exited.recv_timeout(wait) {
            Ok(code) => return code,
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    None
}
