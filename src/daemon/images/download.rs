//! `docker import URL`: `POST /images/create?fromSrc=<url>` fetches the
//! layer tar over HTTP as moby does. A source that cannot be fetched, or
//! answers 4xx/5xx, is the request's error status; after that the answer
//! is a 200 progress stream: "Downloading from URL", "Importing" progress
//! while the body arrives, then the image ID or the error.

use super::spool::{Upload, import_spooled};
use crate::api::image::ProgressMessage;
use crate::api::{ApiError, ErrorKind};
use crate::daemon::log;
use crate::daemon::route::{Call, Reply};
use crate::daemon::state::Daemon;
use crate::http::Headers;
use crate::http::fetch::{self, Fetched};
use crate::image::ImportOptions;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// At most this much of an error page goes into the message.
const MAX_ERROR_BODY: u64 = 64 << 10;
/// moby's progress reader sends at most one update per 100ms, besides the
/// first and the last.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// The URL moby fetches: a source without a scheme is taken as http.
pub fn source_url(source: &str) -> String {
    if source.contains("://") {
        source.to_string()
    } else {
        format!("http://{source}")
    }
}

/// moby's `GetWithStatusError`: a fetch that failed, or a status of 400
/// and up, with the status moby maps it to.
fn fetch_source(url: &str) -> Result<Fetched, ApiError> {
    let user_agent = format!("dockbox/{}", crate::version::VERSION);
    // moby's check for a DNS error never matches (Go wraps it in the dial
    // error), so every failure to fetch is a 500, lookups included.
    let mut fetched =
        fetch::get(url, &user_agent).map_err(|error| ApiError::internal(error.to_string()))?;
    let status = fetched.response.status;
    if status < 400 {
        return Ok(fetched);
    }
    let mut message = format!("failed to GET {url} with status {}", fetched.status_text());
    let mut body = Vec::new();
    match (&mut fetched.response.body)
        .take(MAX_ERROR_BODY)
        .read_to_end(&mut body)
    {
        Ok(_) => message.push_str(&format!(": {}", String::from_utf8_lossy(&body).trim())),
        Err(_) => message.push_str(": error reading body"),
    }
    let kind = match status {
        404 => ErrorKind::NotFound,
        400 => ErrorKind::InvalidParameter,
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        _ => ErrorKind::Internal,
    };
    Err(ApiError::new(kind, message))
}

pub fn import_from_url(
    daemon: &Daemon,
    call: &mut Call<'_, '_>,
    options: &ImportOptions,
) -> Result<Reply, ApiError> {
    let url = source_url(&options.source);
    let mut fetched = fetch_source(&url)?;
    let (upload, file) = Upload::create(daemon)?;
    let mut headers = Headers::new();
    headers.add("Content-Type", "application/json");
    let mut writer = call
        .exchange
        .stream(200, &headers)
        .map_err(|e| ApiError::internal(format!("start import stream: {e}")))?;
    let total = fetched.content_length().unwrap_or(0);
    let outcome = writer
        .write_all(&ProgressMessage::status(format!("Downloading from {url}")).line())
        .map_err(|e| format!("send progress: {e}"))
        .and_then(|()| {
            spool(&mut fetched.response.body, file, total, &mut writer)
                .map_err(|e| format!("read {url}: {e}"))
        })
        .and_then(|()| {
            drop(fetched);
            import_spooled(daemon, &upload, options)
                .map(|record| record.id.to_string())
                .map_err(|e| e.message)
        });
    drop(upload);
    let last = match outcome {
        Ok(id) => ProgressMessage::status(id),
        Err(message) => {
            log::warn(&format!("import {url}: {message}"));
            ProgressMessage::error(message)
        }
    };
    let sent = writer
        .write_all(&last.line())
        .and_then(|()| writer.finish().map(drop));
    if let Err(error) = sent {
        log::warn(&format!("send import stream: {error}"));
    }
    Ok(Reply::Done)
}

/// Copies `body` into the spool file, sending "Importing" progress as
/// moby's progress reader does: after each 1% (at most 512kB), but not
/// more than once per 100ms, plus whenever the total is reached and at
/// the end. Go's body reader returns the last bytes with the end, so the
/// end adds no message when the last one already counted everything.
fn spool(
    body: &mut impl Read,
    mut file: std::fs::File,
    total: u64,
    out: &mut impl Write,
) -> io::Result<()> {
    let step = if total > 0 {
        (total / 100).min(512 << 10)
    } else {
        512 << 10
    };
    let mut buffer = vec![0u8; 256 << 10];
    let mut current = 0u64;
    let mut reported = 0u64;
    let mut last_sent: Option<Instant> = None;
    let mut sent_current = None;
    loop {
        let n = match body.read(&mut buffer) {
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        file.write_all(&buffer[..n])?;
        current += n as u64;
        let end = n == 0;
        if current - reported > step || end {
            let due = last_sent.is_none_or(|at| at.elapsed() >= PROGRESS_INTERVAL);
            if (end || current == total || due) && sent_current != Some(current) {
                out.write_all(&progress_line(current, total))?;
                last_sent = Some(Instant::now());
                sent_current = Some(current);
            }
            reported = current;
        }
        if end {
            return Ok(());
        }
    }
}

/// One "Importing" message with moby's progress detail and bar text.
fn progress_line(current: u64, total: u64) -> Vec<u8> {
    let mut detail = serde_json::Map::new();
    if current > 0 {
        detail.insert("current".into(), current.into());
    }
    if total > 0 {
        detail.insert("total".into(), total.into());
    }
    let mut line = format!(
        "{{\"status\":\"Importing\",\"progressDetail\":{},\"progress\":{}}}",
        serde_json::Value::Object(detail),
        serde_json::Value::String(progress_bar(current, total))
    )
    .into_bytes();
    line.extend_from_slice(b"\r\n");
    line
}

/// jsonmessage's `JSONProgress.String` at the daemon's width (no
/// terminal, so the bar is drawn and there is no time left).
pub(super) fn progress_bar(current: u64, total: u64) -> String {
    if total == 0 {
        return if current == 0 {
            String::new()
        } else {
            format!("{:>8}", human_size(current))
        };
    }
    let percent = ((current as f64 / total as f64 * 100.0) as u64 / 2).min(50) as usize;
    let bar = format!("[{}>{}] ", "=".repeat(percent), " ".repeat(50 - percent));
    if current > total {
        format!("{bar}{:>8}", human_size(current))
    } else {
        format!("{bar}{:>8}/{}", human_size(current), human_size(total))
    }
}

fn human_size(size: u64) -> String {
    crate::gofmt::size::human_size(size as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_bars_as_moby_draws_them() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1234), "1.234kB");
        assert_eq!(human_size(2_150_400), "2.15MB");
        assert_eq!(human_size(10_000), "10kB");
        assert_eq!(
            progress_bar(50, 100),
            format!("[{}>{}]      50B/100B", "=".repeat(25), " ".repeat(25))
        );
        assert_eq!(
            progress_bar(100, 100),
            format!("[{}>]     100B/100B", "=".repeat(50))
        );
        assert_eq!(progress_bar(1234, 0), " 1.234kB");
        assert_eq!(progress_bar(0, 0), "");
    }

    #[test]
    fn progress_is_sent_first_at_the_total_and_at_the_end() {
        let dir = std::env::temp_dir().join(format!("dockbox-spool-{}", std::process::id()));
        let file = std::fs::File::create(&dir).unwrap();
        let body = vec![7u8; 1000];
        let mut out = Vec::new();
        spool(&mut &body[..], file, 1000, &mut out).unwrap();
        assert_eq!(std::fs::read(&dir).unwrap(), body);
        std::fs::remove_file(&dir).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // The whole body arrives in one read: one message at the total,
        // none more at the end.
        assert_eq!(lines.len(), 1, "{text}");
        assert!(lines[0].starts_with(
            "{\"status\":\"Importing\",\"progressDetail\":{\"current\":1000,\"total\":1000},\"progress\":\"["
        ));
        assert_eq!(source_url("example.com/x.tar"), "http://example.com/x.tar");
        assert_eq!(source_url("http://h/x"), "http://h/x");
    }
}
