//! `GET /events`: the past events the query's times select, then (unless
//! `until` has passed) the live ones until `until`, the client hanging up,
//! or daemon shutdown. One JSON message per chunk, flushed at once.

use super::{EventFilter, parse_event_time};
use crate::api::events::Message;
use crate::api::{ApiError, Router};
use crate::daemon::route::{Call, Reply, Route};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::http::wire::ChunkedWriter;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// How often a quiet stream checks whether its client is still there.
const PEER_CHECK: Duration = Duration::from_millis(500);

pub fn routes(router: &mut Router<Route>) {
    router.add("GET", "/events", events_route);
}

fn events_route(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let since_text = call.query.get("since").unwrap_or("").to_string();
    let until_text = call.query.get("until").unwrap_or("").to_string();
    let since = parse_event_time("since", &since_text)?;
    let until = parse_event_time("until", &until_text)?;
    if let Some(until) = until
        && until < since.unwrap_or(i64::MIN)
    {
        return Err(ApiError::invalid(format!(
            "`since` time ({since_text}) cannot be after `until` time ({until_text})"
        )));
    }
    let filter = EventFilter::new(call.query.filters()?);
    // API < 1.46 knew no image `create` events.
    let skip_image_create = call.version < crate::api::ApiVersion::new(1, 46);
    let now = crate::gofmt::time::now_nanos();
    let only_past = until.is_some_and(|until| until < now);
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("write events headers: {e}")))?;
    let (past, feed) = daemon.events().subscribe(since, until, filter);
    let send = |writer: &mut ChunkedWriter<UnixStream>, message: &Message| -> bool {
        if skip_image_create && message.kind == "image" && message.action == "create" {
            return true;
        }
        writer.write_all(&message.to_json_line()).is_ok()
    };
    for message in &past {
        if !send(&mut writer, message) {
            return Ok(Reply::Done);
        }
    }
    if !only_past {
        let deadline = until.map(|until| {
            let left = until.saturating_sub(crate::gofmt::time::now_nanos());
            std::time::Instant::now() + Duration::from_nanos(left.max(0) as u64)
        });
        loop {
            let wait = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    left.min(PEER_CHECK)
                }
                None => PEER_CHECK,
            };
            match feed.receiver.recv_timeout(wait) {
                Ok(message) => {
                    if !send(&mut writer, &message) {
                        return Ok(Reply::Done);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if peer_hung_up(writer.get_ref()) {
                        return Ok(Reply::Done);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
    }
    let _ = writer.finish();
    // Only now: shutdown waits for this to know the response is complete.
    drop(feed);
    Ok(Reply::Done)
}

/// Whether the client closed its end: a GET stream's client sends
/// nothing more, so a hang-up is the only thing to see.
fn peer_hung_up(stream: &UnixStream) -> bool {
    let mut fd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no waiting.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0
}
