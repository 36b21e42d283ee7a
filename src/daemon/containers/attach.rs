//! `POST /containers/{id}/attach` (the hijacked stream) and
//! `GET /containers/{id}/logs`.

use super::record::Status;
use crate::api::ApiError;
use crate::api::detach_keys::{DEFAULT_DETACH_KEYS, EscapeMatcher, parse_detach_keys};
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::gofmt::time::{from_nanos_or_zero, now_nanos, parse_rfc3339};
use crate::gofmt::timestamp::timestamp_nanos;
use crate::http::Headers;
use crate::shim::jsonlog::{self, LogLine};
use crate::shim::protocol::{self, Kind};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::Duration;

pub const MULTIPLEXED: &str = "application/vnd.docker.multiplexed-stream";
pub const RAW: &str = "application/vnd.docker.raw-stream";

/// One chunk of output as the client reads it: an 8-byte stdcopy header
/// without a TTY, the bare bytes with one.
fn client_frame(tty: bool, stream: u8, bytes: &[u8]) -> Vec<u8> {
    if tty {
        return bytes.to_vec();
    }
    let mut frame = Vec::with_capacity(8 + bytes.len());
    frame.extend_from_slice(&[stream, 0, 0, 0]);
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(bytes);
    frame
}

fn stream_number(line: &LogLine) -> u8 {
    if line.stream == "stderr" { 2 } else { 1 }
}

enum Source {
    Live(UnixStream),
    AtStart(std::sync::mpsc::Receiver<UnixStream>),
    Nothing,
}

pub fn attach_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let detach_keys = match call.query.get("detachKeys") {
        None | Some("") => DEFAULT_DETACH_KEYS.to_vec(),
        Some(keys) => parse_detach_keys(keys)
            .map_err(|_| ApiError::invalid(format!("Invalid detach keys ({keys}) provided")))?,
    };
    let record = daemon.find_container(call.param("id")?)?;
    let stream = call.query.bool("stream");
    let logs = call.query.bool("logs");
    let want_stdin = call.query.bool("stdin") && record.config.open_stdin;
    let want_stdout = call.query.bool("stdout");
    let want_stderr = call.query.bool("stderr");
    let tty = record.config.tty;
    // Registered before the answer, so a start right after it finds us.
    let source = if !stream {
        Source::Nothing
    } else if record.is_running() {
        match super::shim_requests::connect(daemon, &record.id, true) {
            Ok(connection) => Source::Live(connection),
            Err(_) => Source::Nothing,
        }
    } else if matches!(
        record.status(),
        Status::Created | Status::Exited | Status::Restarting
    ) {
        // As moby: a stopped container's attacher gets the next run's
        // output (`docker start -a` attaches before it starts).
        Source::AtStart(daemon.shims().await_start(&record.id))
    } else {
        Source::Nothing
    };
    // Before the answer: a client starts the container once attached, and
    // `attach` comes before `start` in the log.
    daemon.log_container_event(&record, "attach", &[]);
    let hijacked = call
        .exchange
        .hijack(if tty { RAW } else { MULTIPLEXED })
        .map_err(|e| ApiError::internal(format!("hijack: {e}")))?;
    let mut out = hijacked.writer;
    let wanted = |stream: u8| (stream == 1 && want_stdout) || (stream == 2 && want_stderr);
    if logs {
        let path = record.log_path(&daemon.config().data_root);
        for file in jsonlog::log_files(&path) {
            let Ok(file) = std::fs::File::open(&file) else {
                continue;
            };
            for line in jsonlog::read_lines(BufReader::new(file)) {
                let stream = stream_number(&line);
                if wanted(stream)
                    && out
                        .write_all(&client_frame(tty, stream, line.log.as_bytes()))
                        .is_err()
                {
                    return Ok(Reply::Done);
                }
            }
        }
    }
    let connection = match source {
        Source::Live(connection) => Some(connection),
        Source::AtStart(receiver) => loop {
            match receiver.recv_timeout(Duration::from_millis(500)) {
                Ok(connection) => break Some(connection),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if daemon.find_container(&record.id).is_err() {
                        break None;
                    }
                }
            }
        },
        Source::Nothing => None,
    };
    let Some(mut connection) = connection else {
        let _ = out.shutdown(Shutdown::Both);
        return Ok(Reply::Done);
    };
    if want_stdin && let Ok(to_shim) = connection.try_clone() {
        let input = AttachInput {
            to_shim,
            // With a TTY the daemon watches for the detach keys too, for
            // clients that do not (the Docker CLI catches them first).
            matcher: EscapeMatcher::new(if tty { detach_keys } else { Vec::new() }),
            close_stdin: record.config.stdin_once && !tty,
        };
        let reader = hijacked.reader;
        std::thread::spawn(move || input.copy(reader));
    }
    while let Ok(Some((kind, payload))) = protocol::read_frame(&mut connection) {
        let stream = match kind {
            Kind::Stdout => 1,
            Kind::Stderr => 2,
            Kind::Exit => break,
            _ => continue,
        };
        if wanted(stream) && out.write_all(&client_frame(tty, stream, &payload)).is_err() {
            break;
        }
    }
    let _ = out.shutdown(Shutdown::Both);
    let _ = connection.shutdown(Shutdown::Both);
    Ok(Reply::Done)
}

/// The client's stdin on its way to the container.
struct AttachInput {
    to_shim: UnixStream,
    matcher: EscapeMatcher,
    /// `StdinOnce` without a TTY: the client's EOF closes the container's
    /// stdin and the output goes on. Otherwise, as in moby, the end of the
    /// client's input (or the detach keys) ends the attach itself.
    close_stdin: bool,
}

impl AttachInput {
    fn copy(mut self, mut reader: impl Read) {
        let mut buffer = vec![0u8; 32 * 1024];
        let mut pass = Vec::with_capacity(buffer.len());
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pass.clear();
            let detached = self.matcher.feed(&buffer[..n], &mut pass);
            if !pass.is_empty()
                && protocol::write_frame(&mut self.to_shim, Kind::Stdin, &pass).is_err()
            {
                return;
            }
            if detached {
                let _ = self.to_shim.shutdown(Shutdown::Both);
                return;
            }
        }
        if self.close_stdin {
            let _ = protocol::write_frame(&mut self.to_shim, Kind::CloseStdin, &[]);
        } else {
            let _ = self.to_shim.shutdown(Shutdown::Both);
        }
    }
}

/// RFC3339Nano with all nine fraction digits, as `logs -t` prints.
fn fixed_nano(nanos: i64) -> String {
    // A line without a readable time shows Go's zero time.
    from_nanos_or_zero(nanos).rfc3339_nano_fixed(0)
}

struct LogQuery {
    stdout: bool,
    stderr: bool,
    timestamps: bool,
    since: i64,
    until: i64,
    tty: bool,
}

impl LogQuery {
    /// The client's bytes for `line`, or none when filtered out.
    fn render(&self, line: &LogLine) -> Option<Vec<u8>> {
        let stream = stream_number(line);
        if (stream == 1 && !self.stdout) || (stream == 2 && !self.stderr) {
            return None;
        }
        let at = parse_rfc3339(&line.time).map_or(0, |time| time.as_nanos() as i64);
        if (self.since > 0 && at < self.since) || (self.until > 0 && at > self.until) {
            return None;
        }
        let text = if self.timestamps {
            format!("{} {}", fixed_nano(at), line.log)
        } else {
            line.log.clone()
        };
        Some(client_frame(self.tty, stream, text.as_bytes()))
    }
}

fn time_param(call: &Call<'_, '_>, name: &str) -> Result<i64, ApiError> {
    match call.query.get(name) {
        None | Some("") | Some("0") => Ok(0),
        Some(text) => timestamp_nanos(text, now_nanos())
            .ok()
            .ok_or_else(|| ApiError::invalid(format!("invalid value for {name}: {text}"))),
    }
}

pub fn logs_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let record = daemon.find_container(call.param("id")?)?;
    let query = LogQuery {
        stdout: call.query.bool("stdout"),
        stderr: call.query.bool("stderr"),
        timestamps: call.query.bool("timestamps"),
        since: time_param(call, "since")?,
        until: time_param(call, "until")?,
        tty: record.config.tty,
    };
    if !query.stdout && !query.stderr {
        return Err(ApiError::invalid(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    if record.host_config.log_config.kind == "none" {
        return Err(ApiError::invalid(
            "configured logging driver does not support reading",
        ));
    }
    let tail = match call.query.get("tail") {
        None | Some("") | Some("all") => None,
        Some(text) => Some(text.parse::<usize>().unwrap_or(usize::MAX)),
    };
    let follow = call.query.bool("follow") && query.until == 0;
    let seen = daemon.shims().exits(&record.id);
    let mut headers = Headers::new();
    headers.add("Content-Type", if query.tty { RAW } else { MULTIPLEXED });
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("write logs headers: {e}")))?;
    let path = record.log_path(&daemon.config().data_root);
    let files = jsonlog::log_files(&path);
    let (old, live) = files.split_at(files.len() - 1);
    let mut lines: Vec<LogLine> = Vec::new();
    for file in old {
        if let Ok(file) = std::fs::File::open(file) {
            lines.extend(jsonlog::read_lines(BufReader::new(file)));
        }
    }
    let mut live_reader = std::fs::File::open(&live[0]).ok().map(BufReader::new);
    let mut partial = String::new();
    if let Some(reader) = live_reader.as_mut() {
        read_complete_lines(reader, &mut partial, &mut lines);
    }
    let skip = tail.map_or(0, |n| lines.len().saturating_sub(n));
    for line in &lines[skip..] {
        if let Some(bytes) = query.render(line)
            && writer.write_all(&bytes).is_err()
        {
            return Ok(Reply::Done);
        }
    }
    if follow && record.is_running() {
        loop {
            let generation = daemon.shims().generation();
            let running = daemon.shims().exits(&record.id) == seen
                && daemon
                    .find_container(&record.id)
                    .is_ok_and(|r| r.is_running());
            if live_reader.is_none() {
                live_reader = std::fs::File::open(&live[0]).ok().map(BufReader::new);
            }
            let mut fresh = Vec::new();
            if let Some(reader) = live_reader.as_mut() {
                read_complete_lines(reader, &mut partial, &mut fresh);
            }
            for line in &fresh {
                if let Some(bytes) = query.render(line)
                    && writer.write_all(&bytes).is_err()
                {
                    return Ok(Reply::Done);
                }
            }
            if !running {
                break;
            }
            daemon
                .shims()
                .wait_change_since(generation, Duration::from_millis(100));
        }
    }
    let _ = writer.finish();
    Ok(Reply::Done)
}

/// Appends the complete lines `reader` has now; a torn last line waits in
/// `partial` for the rest.
fn read_complete_lines(
    reader: &mut BufReader<std::fs::File>,
    partial: &mut String,
    out: &mut Vec<LogLine>,
) {
    loop {
        let mut chunk = String::new();
        match reader.read_line(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                partial.push_str(&chunk);
                if partial.ends_with('\n') {
                    if let Ok(line) = serde_json::from_str(partial.trim_end()) {
                        out.push(line);
                    }
                    partial.clear();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_timestamps() {
        assert_eq!(client_frame(false, 2, b"hi"), b"\x02\0\0\0\0\0\0\x02hi");
        assert_eq!(client_frame(true, 2, b"hi"), b"hi");
        assert_eq!(
            fixed_nano(1_700_000_000_000_000_500),
            "2023-11-14T22:13:20.000000500Z"
        );
        assert_eq!(
            fixed_nano(1_700_000_000_000_000_000),
            "2023-11-14T22:13:20.000000000Z"
        );
    }
}
