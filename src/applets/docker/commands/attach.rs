//! `docker attach` and `docker start` (with `-a`/`-i` or without), and
//! what `run` shares with them: the attach request, the wait beside the
//! stream, and following a stream to its end, in docker/cli's order.

use super::containers::path_escape;
use super::hijack::{self, Event, Streams};
use super::terminal::{self, SignalPlan};
use super::{Session, print};
use crate::api::container::WaitResponse;
use crate::api::container_view::ContainerInspect;
use crate::api::detach_keys::{DEFAULT_DETACH_KEYS, parse_detach_keys};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Client, Failure, daemon_error};
use crate::applets::docker::queries::encode_query;
use crate::http::Headers;
use std::sync::mpsc::{Receiver, Sender, channel};

/// The detach keys: the flag, else config.json's `detachKeys`. The text
/// goes to the daemon as is; the client watches for the bytes, falling
/// back to ctrl-p,ctrl-q when the text does not parse.
pub fn detach_keys(session: &Session, flag: Option<&str>) -> (String, Vec<u8>) {
    let text = flag
        .filter(|keys| !keys.is_empty())
        .map(str::to_string)
        .or_else(|| session.config.detach_keys.clone())
        .unwrap_or_default();
    let bytes = if text.is_empty() {
        DEFAULT_DETACH_KEYS.to_vec()
    } else {
        parse_detach_keys(&text).unwrap_or_else(|_| DEFAULT_DETACH_KEYS.to_vec())
    };
    (text, bytes)
}

/// Opens the hijacked attach stream of container `id`.
pub fn open_attach(
    client: &mut Client,
    id: &str,
    streams: &Streams,
    keys: &str,
) -> Result<crate::http::client::Upgraded, Failure> {
    let mut params = vec![("stream", "1".to_string())];
    for (wanted, key) in [
        (streams.stdin, "stdin"),
        (streams.stdout, "stdout"),
        (streams.stderr, "stderr"),
    ] {
        if wanted {
            params.push((key, "1".into()));
        }
    }
    if !keys.is_empty() {
        params.push(("detachKeys", keys.to_string()));
    }
    let query = encode_query(&mut params);
    client.hijack(&format!("/containers/{}/attach?{query}", path_escape(id)))
}

/// `POST /containers/{id}/wait` on a connection of its own: returns once
/// the daemon has answered the head (so a start after it is seen), then
/// reports the status as `Event::Exited`. A wait that fails reports 125,
/// as the CLI's waitExitOrRemoved does.
pub fn watch_exit(
    client: &mut Client,
    id: &str,
    condition: &str,
    events: Sender<Event>,
) -> Result<(), Failure> {
    let mut client = client.fork();
    let mut path = format!("/containers/{}/wait", path_escape(id));
    if !condition.is_empty() {
        path.push_str(&format!("?condition={condition}"));
    }
    let (registered, answer) = channel();
    std::thread::spawn(move || {
        let code = match client.stream("POST", &path, &Headers::new(), None) {
            Ok(mut response) => {
                let _ = registered.send(Ok(()));
                let mut body = Vec::new();
                let read = std::io::Read::read_to_end(&mut response.body, &mut body);
                wait_status(read.ok().map(|_| body))
            }
            Err(failure) => {
                let _ = registered.send(Err(failure));
                return;
            }
        };
        let _ = events.send(Event::Exited(code));
    });
    answer
        .recv()
        .unwrap_or_else(|_| Err(Failure::new(1, "wait request failed")))
}

/// The exit status in a wait answer; 125 with the CLI's error line when
/// there is none.
fn wait_status(body: Option<Vec<u8>>) -> i32 {
    let parsed =
        body.and_then(|body| crate::api::body::from_json_slice::<WaitResponse>(&body).ok());
    match parsed {
        Some(answer) => {
            if let Some(error) = answer.error {
                eprintln!("Error waiting for container: {}", error.message);
                return 125;
            }
            answer.status_code.unwrap_or(125) as i32
        }
        None => {
            eprintln!("error waiting for container: unexpected EOF");
            125
        }
    }
}

/// How a followed stream ended.
pub enum StreamEnd {
    /// The output (or, without output, the input) ended; the exit status
    /// if the wait answered meanwhile.
    Finished(Option<i32>),
    Detached,
    /// The first SIGINT or SIGTERM stopped it.
    Cancelled(Option<i32>),
}

/// Follows the stream's events as the streamer does: the end of output
/// ends it, the end of input ends it only when no output is attached, and
/// the detach keys end it at once. With `exit_ends`, an exit status ends
/// it too when no output is attached (`run -a stdin`).
pub fn follow(
    events: &Receiver<Event>,
    streams: &Streams,
    exit_ends: bool,
) -> Result<StreamEnd, Failure> {
    let mut status = None;
    loop {
        match events.recv() {
            Ok(Event::OutputDone(Ok(()))) => return Ok(StreamEnd::Finished(status)),
            Ok(Event::OutputDone(Err(error))) => return Err(Failure::new(1, error)),
            Ok(Event::InputDone) if !streams.output_attached() => {
                return Ok(StreamEnd::Finished(status));
            }
            Ok(Event::InputDone) => {}
            Ok(Event::Detached) => return Ok(StreamEnd::Detached),
            Ok(Event::Cancelled) => return Ok(StreamEnd::Cancelled(status)),
            Ok(Event::Exited(code)) => {
                status = Some(code);
                if exit_ends && !streams.output_attached() {
                    return Ok(StreamEnd::Finished(status));
                }
            }
            Err(_) => return Ok(StreamEnd::Finished(status)),
        }
    }
}

/// The exit status after the stream: the one already seen, or the next
/// the wait reports.
pub fn exit_status(events: &Receiver<Event>, seen: Option<i32>) -> i32 {
    if let Some(code) = seen {
        return code;
    }
    loop {
        match events.recv() {
            Ok(Event::Exited(code)) => return code,
            Ok(_) => continue,
            Err(_) => return 125,
        }
    }
}

/// A container's status as the command ends with it.
pub fn status_result(code: i32) -> Result<(), Failure> {
    if code == 0 {
        Ok(())
    } else {
        Err(Failure::new(code, ""))
    }
}

/// `GET /containers/{id}/json`, read into the API's inspect document.
pub fn inspect(client: &mut Client, name: &str) -> Result<ContainerInspect, Failure> {
    let raw = client.get_json(&format!("/containers/{}/json", path_escape(name)))?;
    serde_json::from_value(raw)
        .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))
}

/// The state check of `docker attach`, before and after the request.
fn check_attachable(container: &ContainerInspect) -> Result<(), Failure> {
    let message = if !container.state.running {
        "You cannot attach to a stopped container, start it first"
    } else if container.state.paused {
        "You cannot attach to a paused container, unpause it first"
    } else if container.state.restarting {
        "You cannot attach to a restarting container, wait until it is running"
    } else {
        return Ok(());
    };
    Err(Failure::new(1, message))
}

/// `In.CheckTty`: a TTY's input must come from a terminal.
pub fn check_tty(attach_stdin: bool, tty: bool) -> Result<(), Failure> {
    if tty && attach_stdin && !super::stdin_is_terminal() {
        return Err(Failure::new(1, "the input device is not a TTY"));
    }
    Ok(())
}

pub fn attach(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let name = parsed.args[0].clone();
    let (events, received) = channel();
    let container = inspect(&mut session.client, &name)?;
    check_attachable(&container)?;
    let id = container.id.clone();
    let tty = container.config.tty;
    let no_stdin = parsed.is_true("no-stdin");
    check_tty(!no_stdin, tty)?;
    let (keys, key_bytes) = detach_keys(session, parsed.value("detach-keys"));
    let streams = Streams {
        stdin: !no_stdin && container.config.open_stdin,
        stdout: true,
        stderr: true,
        tty,
        stderr_to_stdout: false,
        detach_keys: key_bytes,
    };
    let resize = tty && super::stdout_is_terminal();
    terminal::watch_signals(
        SignalPlan {
            container: id.clone(),
            exec: None,
            proxy: parsed.is_true("sig-proxy") && !tty,
            resize,
            cancel: Some(events.clone()),
        },
        &mut session.client,
    )
    .map_err(|e| Failure::new(1, e))?;
    // The CLI opens the wait before its inspect; here it comes after the
    // signal mask, which every thread must inherit. A container that ends
    // in between answers the wait at once.
    watch_exit(&mut session.client, &id, "", events.clone())?;
    let hijacked = open_attach(&mut session.client, &name, &streams, &keys)?;
    check_attachable(&inspect(&mut session.client, &name)?)?;
    if resize && let Some((height, width)) = terminal::size() {
        // A size that differs once makes the shell redraw its prompt on
        // every attach after the first.
        terminal::resize_to(
            &mut session.client,
            &id,
            height.saturating_add(1),
            width.saturating_add(1),
        );
        terminal::init_size(&mut session.client, &id);
    }
    let raw = hijack::start(hijacked, &streams, events).map_err(|e| Failure::new(1, e))?;
    let end = follow(&received, &streams, false);
    drop(raw);
    match end? {
        StreamEnd::Detached => Err(Failure::new(1, "read escape sequence")),
        // A cancelled stream is no error: the exit status still counts.
        StreamEnd::Finished(seen) | StreamEnd::Cancelled(seen) => {
            status_result(exit_status(&received, seen))
        }
    }
}

pub fn start(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.is_true("attach") || parsed.is_true("interactive") {
        if parsed.args.len() > 1 {
            return Err(Failure::new(
                1,
                "you cannot start and attach multiple containers at once",
            ));
        }
        return start_attached(session, parsed);
    }
    let mut failed = Vec::new();
    for name in &parsed.args {
        let reply = session.client.send(
            "POST",
            &format!("/containers/{}/start", path_escape(name)),
            &Headers::new(),
            &[],
        )?;
        if reply.status >= 400 {
            eprintln!("{}", daemon_error(&reply).message);
            failed.push(name.as_str());
        } else {
            print(&format!("{name}\n"));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            1,
            format!("Error: failed to start containers: {}", failed.join(", ")),
        ))
    }
}

fn start_attached(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let container = inspect(&mut session.client, &parsed.args[0])?;
    let id = container.id.clone();
    let tty = container.config.tty;
    let auto_remove = container.host_config.auto_remove;
    let (keys, key_bytes) = detach_keys(session, parsed.value("detach-keys"));
    let streams = Streams {
        stdin: parsed.is_true("interactive") && container.config.open_stdin,
        stdout: true,
        stderr: true,
        tty,
        stderr_to_stdout: false,
        detach_keys: key_bytes,
    };
    let resize = tty && super::stdout_is_terminal();
    let (events, received) = channel();
    terminal::watch_signals(
        SignalPlan {
            container: id.clone(),
            exec: None,
            proxy: !tty,
            resize,
            cancel: Some(events.clone()),
        },
        &mut session.client,
    )
    .map_err(|e| Failure::new(1, e))?;
    let hijacked = open_attach(&mut session.client, &id, &streams, &keys)?;
    let raw = hijack::start(hijacked, &streams, events.clone()).map_err(|e| Failure::new(1, e))?;
    let condition = if auto_remove { "removed" } else { "next-exit" };
    let waiting = watch_exit(&mut session.client, &id, condition, events);
    let reply = session.client.send(
        "POST",
        &format!("/containers/{id}/start"),
        &Headers::new(),
        &[],
    )?;
    if reply.status >= 400 {
        drop(raw);
        if auto_remove && waiting.is_ok() {
            exit_status(&received, None);
        }
        return Err(daemon_error(&reply));
    }
    if resize {
        terminal::init_size(&mut session.client, &id);
    }
    let end = follow(&received, &streams, false);
    drop(raw);
    match end? {
        // The CLI ends quietly with status 0 when its context is cancelled.
        StreamEnd::Detached | StreamEnd::Cancelled(_) => Ok(()),
        StreamEnd::Finished(seen) => {
            if waiting.is_err() {
                return status_result(125);
            }
            status_result(exit_status(&received, seen))
        }
    }
}
