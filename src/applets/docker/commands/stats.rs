//! `docker stats`: one collector thread per container reads the daemon's
//! stats stream; the main thread prints the table once (`--no-stream`)
//! or every half second, redrawn in place with the escape sequences of
//! Docker CLI 28. Without container names the list comes from the daemon
//! and follows its container events.

use super::containers::path_escape;
use super::manage::trimmed_id;
use super::{Session, joined, print};
use crate::api::stats::StatsJson;
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Client, Failure};
use crate::applets::docker::format::{
    STATS_HEADER, StatsEntry, StatsRow, render, stats_entry, stats_format,
};
use crate::applets::docker::queries::query_escape;
use crate::applets::docker::template::Value;
use crate::http::Headers;
use serde_json::Value as Json;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A collector that heard nothing for this long shows dashes (and, before
/// its first sample, fails with a timeout), as docker/cli's does.
const STALE_AFTER: Duration = Duration::from_secs(2);
const REDRAW_EVERY: Duration = Duration::from_millis(500);

/// What a collector knows of its container.
struct Slot {
    entry: StatsEntry,
    error: Option<String>,
    /// A sample or an error arrived.
    answered: bool,
    /// The last sample, or when collecting began.
    updated: Instant,
}

type Shared = Arc<Mutex<Slot>>;

fn lock(slot: &Shared) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The containers on screen, in the order they were added.
#[derive(Clone, Default)]
struct Watched(Arc<Mutex<Vec<(String, Shared)>>>);

impl Watched {
    fn list(&self) -> MutexGuard<'_, Vec<(String, Shared)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts collecting for `container` unless it is already watched.
    fn add(&self, client: &mut Client, container: &str, stream: bool) {
        let mut list = self.list();
        if list.iter().any(|(known, _)| known == container) {
            return;
        }
        let slot = Arc::new(Mutex::new(Slot {
            entry: StatsEntry {
                container: container.to_string(),
                ..StatsEntry::default()
            },
            error: None,
            answered: false,
            updated: Instant::now(),
        }));
        list.push((container.to_string(), slot.clone()));
        let client = client.another();
        let container = container.to_string();
        std::thread::spawn(move || collect(client, &container, stream, &slot));
    }

    fn remove(&self, container: &str) {
        self.list().retain(|(known, _)| known != container);
    }

    fn slots(&self) -> Vec<Shared> {
        self.list().iter().map(|(_, slot)| slot.clone()).collect()
    }
}

/// Reads `GET /containers/{id}/stats` into `slot` until the stream ends
/// (after the first sample without `stream`).
fn collect(mut client: Client, container: &str, stream: bool, slot: &Shared) {
    let fail = |message: String| {
        let mut slot = lock(slot);
        slot.error = Some(message);
        slot.entry.is_invalid = true;
        slot.answered = true;
    };
    let id = match trimmed_id(container) {
        Ok(id) => id,
        Err(message) => return fail(message),
    };
    let path = format!(
        "/containers/{}/stats?stream={}",
        path_escape(id),
        if stream { 1 } else { 0 }
    );
    let mut response = match client.stream("GET", &path, &Headers::new(), None) {
        Ok(response) => response,
        Err(failure) => return fail(failure.message),
    };
    let samples =
        serde_json::Deserializer::from_reader(&mut response.body).into_iter::<StatsJson>();
    for sample in samples {
        match sample {
            Ok(sample) => {
                let mut slot = lock(slot);
                slot.entry = stats_entry(container, &sample);
                slot.error = None;
                slot.answered = true;
                slot.updated = Instant::now();
            }
            Err(error) => return fail(decode_error(&error)),
        }
        if !stream {
            return;
        }
    }
    fail("EOF".into());
}

/// How Go's JSON decoder words a broken stream.
fn decode_error(error: &serde_json::Error) -> String {
    if error.is_eof() {
        "unexpected EOF".into()
    } else {
        error.to_string()
    }
}

/// Waits until every collector answered; one quiet for too long fails
/// with the CLI's timeout error.
fn wait_first(watched: &Watched) {
    loop {
        let mut waiting = false;
        for slot in watched.slots() {
            let mut slot = lock(&slot);
            if slot.answered {
                continue;
            }
            if slot.updated.elapsed() < STALE_AFTER {
                waiting = true;
            } else {
                slot.error = Some("timeout waiting for stats".into());
                slot.entry.is_invalid = true;
                slot.answered = true;
            }
        }
        if !waiting {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The rows as they stand; a streaming collector quiet for too long shows
/// dashes, as the CLI resets it.
fn snapshot(watched: &Watched, stream: bool) -> Vec<StatsEntry> {
    watched
        .slots()
        .iter()
        .map(|slot| {
            let slot = lock(slot);
            let mut entry = slot.entry.clone();
            if (stream || !slot.answered) && slot.updated.elapsed() >= STALE_AFTER {
                entry.is_invalid = true;
            }
            entry
        })
        .collect()
}

fn table(format: &str, entries: Vec<StatsEntry>, truncate: bool) -> Result<String, Failure> {
    let rows: Vec<Value> = entries
        .into_iter()
        .map(|entry| Value::Object(Rc::new(StatsRow { entry, truncate })))
        .collect();
    render(format, &Value::Object(Rc::new(STATS_HEADER)), &rows).map_err(|e| Failure::new(1, e))
}

/// One redraw of the live table, byte for byte as Docker CLI 28 writes
/// it: home, the table, home again, every line of that followed by ` `
/// and erase-to-end-of-line, then erase-below for rows that went away.
pub fn live_frame(table: &str) -> String {
    let first = format!("\x1b[H{table}");
    let mut frame = first.clone();
    for line in first.split('\n') {
        frame.push_str(line);
        frame.push_str(" \x1b[K\n");
    }
    frame.push_str("\x1b[J");
    frame
}

/// An error of the event stream, for the live loop to end with (`None`
/// inside: the stream broke off mid-message, which ends quietly).
type EventsEnd = Arc<Mutex<Option<Option<String>>>>;

/// Follows container events: `start` (and `create` with `-a`) add a
/// container, `die` (without `-a`) drops it.
fn follow_events(mut client: Client, watched: Watched, all: bool, end: EventsEnd) {
    let filters = query_escape(r#"{"type":{"container":true}}"#);
    let path = format!("/events?filters={filters}");
    let finish = |outcome: Option<String>| {
        *end.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
    };
    let mut adder = client.another();
    let mut response = match client.stream("GET", &path, &Headers::new(), None) {
        Ok(response) => response,
        Err(failure) => return finish(Some(failure.message)),
    };
    let events = serde_json::Deserializer::from_reader(&mut response.body).into_iter::<Json>();
    for event in events {
        let event = match event {
            Ok(event) => event,
            Err(error) if error.is_eof() => return finish(None),
            Err(error) => return finish(Some(error.to_string())),
        };
        let action = event["Action"]
            .as_str()
            .or(event["status"].as_str())
            .unwrap_or_default();
        let id = event["Actor"]["ID"]
            .as_str()
            .or(event["id"].as_str())
            .unwrap_or_default();
        let short: String = id.chars().take(12).collect();
        if short.is_empty() {
            continue;
        }
        match action {
            "start" => watched.add(&mut adder, &short, true),
            "create" if all => watched.add(&mut adder, &short, true),
            "die" if !all => watched.remove(&short),
            _ => {}
        }
    }
    finish(Some("EOF".into()));
}

pub fn stats(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let stream = !parsed.is_true("no-stream");
    let all = parsed.is_true("all");
    let show_all = parsed.args.is_empty();
    let watched = Watched::default();
    let events_end: EventsEnd = Arc::default();
    if show_all {
        if stream {
            // Subscribed before listing, so no start goes unseen.
            let client = session.client.another();
            let (watched, end) = (watched.clone(), events_end.clone());
            std::thread::spawn(move || follow_events(client, watched, all, end));
        }
        let list = session.client.get_json(if all {
            "/containers/json?all=1"
        } else {
            "/containers/json"
        })?;
        for summary in list.as_array().into_iter().flatten() {
            let id = summary["Id"].as_str().unwrap_or_default();
            let short: String = id.chars().take(12).collect();
            watched.add(&mut session.client, &short, stream);
        }
        wait_first(&watched);
    } else {
        for name in &parsed.args {
            watched.add(&mut session.client, name, stream);
        }
        wait_first(&watched);
        let errors: Vec<String> = watched
            .slots()
            .iter()
            .filter_map(|slot| lock(slot).error.clone())
            .collect();
        if !errors.is_empty() {
            return Err(joined(&errors));
        }
    }

    let format = match parsed.value("format").filter(|f| !f.is_empty()) {
        Some(format) => format.to_string(),
        None => session
            .config
            .stats_format
            .clone()
            .unwrap_or_else(|| "table".into()),
    };
    let format = stats_format(&format);
    let truncate = !parsed.is_true("no-trunc");
    if !stream {
        print(&table(&format, snapshot(&watched, false), truncate)?);
        return Ok(());
    }
    let mut next = Instant::now() + REDRAW_EVERY;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += REDRAW_EVERY;
        let text = table(&format, snapshot(&watched, true), truncate)?;
        print(&live_frame(&text));
        if let Some(outcome) = events_end.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return match outcome {
                Some(message) => Err(Failure::new(1, message)),
                None => Ok(()),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applets::docker::client::Endpoint;
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;

    /// A daemon on a socket of its own that answers `reply` to every
    /// request, one connection at a time.
    fn daemon_answering(name: &str, reply: String) -> (Client, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("dockbox-stats-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("sock");
        let listener = UnixListener::bind(&socket).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut stream = reader.into_inner();
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        let client = Client::new(Endpoint {
            host: format!("unix://{}", socket.display()),
            socket,
            fixed_version: Some("1.50".into()),
            context: "default".into(),
        });
        (client, dir)
    }

    fn empty_slot() -> Shared {
        Arc::new(Mutex::new(Slot {
            entry: StatsEntry::default(),
            error: None,
            answered: false,
            updated: Instant::now(),
        }))
    }

    #[test]
    fn collectors_keep_the_last_sample_and_go_invalid_at_the_end_of_the_stream() {
        let sample = |pids: u32| {
            format!(
                r#"{{"name":"/web","id":"{}","pids_stats":{{"current":{pids}}},"memory_stats":{{"usage":2048,"limit":4096}}}}"#,
                "a".repeat(64)
            ) + "\n"
        };
        let body = sample(3) + &sample(5);
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (client, dir) = daemon_answering("stream", reply);
        let slot = empty_slot();
        collect(client, "web", true, &slot);
        let slot = lock(&slot);
        assert_eq!(slot.entry.pids_current, 5);
        assert_eq!(slot.entry.memory_percentage, 50.0);
        assert_eq!(slot.entry.container, "web");
        assert_eq!(slot.error.as_deref(), Some("EOF"));
        assert!(slot.entry.is_invalid && slot.answered);
        drop(slot);
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn events_reply() -> String {
        let event = |action: &str, id: char| {
            format!(
                r#"{{"Type":"container","Action":"{action}","Actor":{{"ID":"{}"}}}}"#,
                id.to_string().repeat(64)
            ) + "\n"
        };
        let body = event("start", 'a')
            + &event("create", 'b')
            + &event("start", 'c')
            + &event("die", 'a')
            + &event("destroy", 'c');
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    fn followed(name: &str, all: bool) -> (Vec<String>, Option<Option<String>>) {
        let (client, dir) = daemon_answering(name, events_reply());
        let watched = Watched::default();
        let end = EventsEnd::default();
        follow_events(client, watched.clone(), all, end.clone());
        let names = watched
            .list()
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        let outcome = end.lock().unwrap().take();
        std::fs::remove_dir_all(dir).unwrap();
        (names, outcome)
    }

    #[test]
    fn events_add_started_containers_and_drop_dead_ones() {
        let (names, outcome) = followed("events", false);
        assert_eq!(names, vec!["c".repeat(12)]);
        assert_eq!(outcome, Some(Some("EOF".into())));
        // With -a, created containers join and dead ones stay.
        let (names, _) = followed("events-all", true);
        assert_eq!(names, vec!["a".repeat(12), "b".repeat(12), "c".repeat(12)]);
    }

    #[test]
    fn collectors_report_the_daemons_error() {
        let body = r#"{"message":"No such container: gone"}"#;
        let reply = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (client, dir) = daemon_answering("missing", reply);
        let slot = empty_slot();
        collect(client, "gone", false, &slot);
        assert_eq!(
            lock(&slot).error.as_deref(),
            Some("Error response from daemon: No such container: gone")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn live_frames_redraw_over_the_old_table() {
        let table = "NAME\nweb\n";
        assert_eq!(
            live_frame(table),
            "\x1b[HNAME\nweb\n\x1b[HNAME \x1b[K\nweb \x1b[K\n \x1b[K\n\x1b[J"
        );
    }
}
