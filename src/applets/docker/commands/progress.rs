//! Progress streams (load, import, pull): one JSON message per line. Off a
//! terminal each message is a plain line and progress bars are left out;
//! on one, per-id lines are redrawn in place as Docker's jsonmessage does.

use crate::api::image::{ProgressDetail, ProgressMessage};
use crate::applets::docker::client::Failure;
use std::io::{BufRead, BufReader, Read, Write};

/// jsonmessage's `JSONProgress.String`: the bar (only wider than 110
/// columns), then current/total in go-units sizes. Empty when there is
/// nothing to count.
fn progress_text(detail: &ProgressDetail, width: usize) -> String {
    let (current, total) = (detail.current, detail.total);
    if current <= 0 && total <= 0 {
        return String::new();
    }
    let size = crate::gofmt::size::human_size;
    if total <= 0 {
        return format!("{:>8}", size(current as f64));
    }
    let percent = ((current as f64 / total as f64 * 100.0) as i64 / 2).min(50);
    let mut text = String::new();
    if width > 110 {
        let spaces = (50 - percent).max(0) as usize;
        text.push_str(&format!(
            "[{}>{}] ",
            "=".repeat(percent.max(0) as usize),
            " ".repeat(spaces)
        ));
    }
    if current > total {
        text.push_str(&format!("{:>8}", size(current as f64)));
    } else {
        text.push_str(&format!(
            "{:>8}/{}",
            size(current as f64),
            size(total as f64)
        ));
    }
    text
}

/// The width progress bars are drawn for: the terminal's columns, or 200
/// when there is no terminal to ask (as jsonmessage does).
fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ fills the winsize we own.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut size) == 0 {
            size.ws_col as usize
        } else {
            200
        }
    }
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
    let width = if terminal { terminal_width() } else { 200 };
    display_at_width(body, out, terminal, width, &mut |_| {})
}

/// [`display_with`] that hands each aux value (a built image's ID) to
/// `on_aux`.
pub fn display_with_aux(
    body: &mut impl Read,
    out: &mut impl Write,
    terminal: bool,
    on_aux: &mut dyn FnMut(&serde_json::Value),
) -> Result<(), Failure> {
    let width = if terminal { terminal_width() } else { 200 };
    display_at_width(body, out, terminal, width, on_aux)
}

/// jsonmessage's `DisplayJSONMessagesStream`: off a terminal, messages
/// with something to count are left out; on one, progress with an id is
/// redrawn on that id's line and progress without one where it stands.
fn display_at_width(
    body: &mut impl Read,
    out: &mut impl Write,
    terminal: bool,
    width: usize,
    on_aux: &mut dyn FnMut(&serde_json::Value),
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
        let message: ProgressMessage = crate::api::body::from_json_slice(&line)
            .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))?;
        if let Some(detail) = message.error_detail {
            let _ = out.flush();
            // jsonmessage: the stream's code is the exit status, 1 if none.
            let code = i32::try_from(detail.code).ok().filter(|c| *c != 0);
            return Err(Failure::new(code.unwrap_or(1), detail.message));
        }
        if let Some(aux) = &message.aux {
            on_aux(aux);
            continue;
        }
        let detail = message.progress_detail.as_ref();
        let legacy = message.progress.as_deref().unwrap_or_default();
        let id = message.id.as_deref().unwrap_or_default();
        let mut diff = 0;
        if !id.is_empty() && (detail.is_some() || !legacy.is_empty()) {
            let line = match ids.iter().position(|known| known == id) {
                Some(index) => index,
                None => {
                    ids.push(id.to_string());
                    if terminal {
                        let _ = out.write_all(b"\n");
                    }
                    ids.len() - 1
                }
            };
            diff = ids.len() - line;
            if terminal {
                let _ = write!(out, "\x1b[{diff}A");
            }
        } else {
            ids.clear();
        }
        let stream = message.stream.as_deref();
        let counted = detail.map(|d| progress_text(d, width)).unwrap_or_default();
        let mut endl = "";
        if terminal && stream.is_none() && detail.is_some() {
            let _ = out.write_all(b"\x1b[2K\r");
            endl = "\r";
        } else if !counted.is_empty() {
            continue;
        }
        let mut rendered = String::new();
        if !id.is_empty() {
            rendered.push_str(&format!("{id}: "));
        }
        let status = message.status.as_deref().unwrap_or_default();
        if detail.is_some() && terminal {
            rendered.push_str(&format!("{status} {counted}{endl}"));
        } else if !legacy.is_empty() {
            rendered.push_str(&format!("{status} {legacy}{endl}"));
        } else if let Some(stream) = stream {
            rendered.push_str(&format!("{stream}{endl}"));
        } else {
            rendered.push_str(&format!("{status}{endl}\n"));
        }
        let _ = out.write_all(rendered.as_bytes());
        if !id.is_empty() && terminal && diff > 0 {
            let _ = write!(out, "\x1b[{diff}B");
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
        display_at_width(&mut stream.as_bytes(), &mut out, true, 80, &mut |_| {}).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Downloading from http://h/x\n\x1b[2K\rImporting       1B/2B\r\x1b[2K\rImporting       2B/2B\rsha256:ab\n"
        );
        let mut wide = Vec::new();
        display_at_width(&mut stream.as_bytes(), &mut wide, true, 120, &mut |_| {}).unwrap();
        let wide = String::from_utf8(wide).unwrap();
        assert!(
            wide.contains(&format!(
                "\rImporting [{}>{}]       1B/2B\r",
                "=".repeat(25),
                " ".repeat(25)
            )),
            "{wide:?}"
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
        // Lines with progress detail (even empty) are redrawn on their id's
        // line; a line without it starts afresh, as jsonmessage does.
        let stream = "{\"status\":\"Loading\",\"progressDetail\":{\"current\":1,\"total\":2},\"id\":\"x\"}\n{\"status\":\"Loading\",\"progressDetail\":{},\"id\":\"y\"}\n{\"status\":\"Done\",\"progressDetail\":{},\"id\":\"x\"}\n{\"status\":\"Done\",\"id\":\"y\"}\n";
        let mut out = Vec::new();
        display_at_width(&mut stream.as_bytes(), &mut out, true, 80, &mut |_| {}).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                "\n\x1b[1A\x1b[2K\rx: Loading       1B/2B\r\x1b[1B",
                "\n\x1b[1A\x1b[2K\ry: Loading \r\x1b[1B",
                "\x1b[2A\x1b[2K\rx: Done \r\x1b[2B",
                "y: Done\n",
            )
        );
    }
}
