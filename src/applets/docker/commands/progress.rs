//! Progress streams (load, import, pull): one JSON message per line. Off a
//! terminal each message is a plain line and progress bars are left out;
//! on one, per-id lines are redrawn in place as Docker's jsonmessage does.

use crate::applets::docker::client::Failure;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};

fn text<'a>(json: &'a Json, key: &str) -> &'a str {
    json.get(key).and_then(Json::as_str).unwrap_or_default()
}

/// The progress bar text of a message, as jsonmessage's `Progress.String`
/// would give it (empty when there is no progress to show).
fn progress_text(message: &Json) -> String {
    if let Some(progress) = message.get("progress").and_then(Json::as_str) {
        return progress.to_string();
    }
    let detail = message.get("progressDetail");
    let current = detail
        .and_then(|d| d.get("current"))
        .and_then(Json::as_i64)
        .unwrap_or(0);
    let total = detail
        .and_then(|d| d.get("total"))
        .and_then(Json::as_i64)
        .unwrap_or(0);
    if current <= 0 && total <= 0 {
        return String::new();
    }
    let size = crate::applets::docker::format::human_size;
    if total <= 0 {
        return format!("{:>8}", size(current as f64));
    }
    let percent = (current.min(total) * 50 / total) as usize;
    let bar = if percent < 50 {
        format!("{}>{}", "=".repeat(percent), " ".repeat(49 - percent))
    } else {
        "=".repeat(50)
    };
    format!("[{bar}] {:>8}/{}", size(current as f64), size(total as f64))
}

/// Writes the stream `body` to `out` until it ends; an error message in
/// the stream ends it with that message.
pub fn display(body: &mut impl Read, out: &mut impl Write) -> Result<(), Failure> {
    display_with(body, out, false)
}

pub fn display_with(
    body: &mut impl Read,
    out: &mut impl Write,
    terminal: bool,
) -> Result<(), Failure> {
    let reader = BufReader::new(body);
    // On a terminal: the ids in the order their lines were first drawn.
    let mut ids: Vec<String> = Vec::new();
    for line in reader.split(b'\n') {
        let line =
            line.map_err(|e| Failure::new(1, format!("error reading daemon response: {e}")))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let message: Json = serde_json::from_slice(&line)
            .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))?;
        if let Some(detail) = message.get("errorDetail") {
            let _ = out.flush();
            return Err(Failure::new(1, text(detail, "message").to_string()));
        }
        if message.get("aux").is_some() {
            continue;
        }
        let progress = progress_text(&message);
        if !progress.is_empty() && !terminal {
            continue;
        }
        let id = text(&message, "id");
        // A progress line without an id is redrawn where it stands (import
        // from a URL): cleared, written, back to column 0.
        if terminal
            && id.is_empty()
            && message.get("stream").is_none()
            && message.get("progressDetail").is_some_and(Json::is_object)
        {
            ids.clear();
            let status = text(&message, "status");
            let _ = write!(out, "\x1b[2K\r{status} {progress}\r");
            continue;
        }
        let mut rendered = String::new();
        if !id.is_empty() {
            rendered.push_str(&format!("{id}: "));
        }
        if let Some(stream) = message.get("stream").and_then(Json::as_str) {
            rendered.push_str(stream);
        } else if !progress.is_empty() {
            rendered.push_str(&format!("{} {progress}", text(&message, "status")));
        } else {
            rendered.push_str(text(&message, "status"));
            rendered.push('\n');
        }
        if terminal && !id.is_empty() {
            // Move to the id's line, clear it, write, and come back down.
            let position = ids.iter().position(|known| known == id);
            let up = match position {
                Some(index) => ids.len() - index,
                None => {
                    ids.push(id.to_string());
                    let _ = out.write_all(b"\n");
                    1
                }
            };
            let rendered = rendered.trim_end_matches('\n');
            let _ = write!(out, "\x1b[{up}A\x1b[2K\r{rendered}\r\x1b[{up}B");
        } else {
            let _ = out.write_all(rendered.as_bytes());
        }
    }
    let _ = out.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(stream: &str) -> (String, Option<String>) {
        let mut out = Vec::new();
        let result = display(&mut stream.as_bytes(), &mut out);
        (
            String::from_utf8(out).unwrap(),
            result.err().map(|f| f.message),
        )
    }

    #[test]
    fn plain_lines_without_progress_bars() {
        let stream = concat!(
            "{\"status\":\"Loading layer\",\"progressDetail\":{\"current\":512,\"total\":1024},\"id\":\"abc\"}\r\n",
            "{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n",
            "{\"status\":\"sha256:0123\"}\r\n",
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"l1\"}\r\n",
        );
        let (out, error) = plain(stream);
        assert_eq!(
            out,
            "Loaded image: busybox:latest\nsha256:0123\nl1: Pulling fs layer\n"
        );
        assert_eq!(error, None);
    }

    #[test]
    fn error_detail_ends_the_stream() {
        let stream = "{\"stream\":\"a\\n\"}\n{\"errorDetail\":{\"message\":\"broken\"},\"error\":\"broken\"}\n{\"stream\":\"b\\n\"}\n";
        let (out, error) = plain(stream);
        assert_eq!(out, "a\n");
        assert_eq!(error.as_deref(), Some("broken"));
    }

    #[test]
    fn terminal_redraws_a_progress_line_without_id_in_place() {
        let stream = "{\"status\":\"Downloading from http://h/x\"}\r\n{\"status\":\"Importing\",\"progressDetail\":{\"current\":1,\"total\":2},\"progress\":\"[a] 1B/2B\"}\r\n{\"status\":\"Importing\",\"progressDetail\":{\"current\":2,\"total\":2},\"progress\":\"[b] 2B/2B\"}\r\n{\"status\":\"sha256:ab\"}\r\n";
        let mut out = Vec::new();
        display_with(&mut stream.as_bytes(), &mut out, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Downloading from http://h/x\n\x1b[2K\rImporting [a] 1B/2B\r\x1b[2K\rImporting [b] 2B/2B\rsha256:ab\n"
        );
        let mut plain = Vec::new();
        display_with(&mut stream.as_bytes(), &mut plain, false).unwrap();
        assert_eq!(
            String::from_utf8(plain).unwrap(),
            "Downloading from http://h/x\nsha256:ab\n"
        );
    }

    #[test]
    fn terminal_redraws_lines_by_id() {
        let stream = "{\"status\":\"Loading\",\"progressDetail\":{\"current\":1,\"total\":2},\"id\":\"x\"}\n{\"status\":\"Done\",\"id\":\"x\"}\n";
        let mut out = Vec::new();
        display_with(&mut stream.as_bytes(), &mut out, true).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("\n\x1b[1A\x1b[2K\rx: Loading ["), "{out:?}");
        assert!(out.ends_with("\x1b[1A\x1b[2K\rx: Done\r\x1b[1B"), "{out:?}");
    }
}
