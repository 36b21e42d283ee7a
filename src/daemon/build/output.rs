//! The build's JSON stream as moby's classic builder writes it: text as
//! `{"stream":...}`, the image ID as `{"aux":{"ID":...}}`, a failure as
//! the last message. With `q` the text is held back and only shown when
//! the build fails.

use crate::api::image::{ErrorDetail, ProgressMessage};
use crate::http::wire::ChunkedWriter;
use std::io::Write;
use std::os::unix::net::UnixStream;

pub struct Output {
    writer: Option<ChunkedWriter<UnixStream>>,
    quiet: bool,
    held: String,
}

impl Output {
    pub fn new(writer: ChunkedWriter<UnixStream>, quiet: bool) -> Output {
        Output {
            writer: Some(writer),
            quiet,
            held: String::new(),
        }
    }

    fn send(&mut self, message: &ProgressMessage) {
        // A client gone away stops hearing; the build still finishes.
        if let Some(writer) = self.writer.as_mut()
            && writer.write_all(&message.line()).is_err()
        {
            self.writer = None;
        }
    }

    pub fn text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if self.quiet {
            self.held.push_str(&text);
        } else {
            self.send(&ProgressMessage::stream(text));
        }
    }

    /// Text shown even with `q` (the final ID).
    pub fn always(&mut self, text: impl Into<String>) {
        self.send(&ProgressMessage::stream(text));
    }

    pub fn aux_id(&mut self, id: &str) {
        self.send(&ProgressMessage {
            aux: Some(serde_json::json!({ "ID": id })),
            ..ProgressMessage::default()
        });
    }

    pub fn error(&mut self, code: i64, message: &str) {
        if self.quiet && !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            self.send(&ProgressMessage::stream(held));
        }
        let mut line = ProgressMessage::error(message);
        if let Some(detail) = line.error_detail.as_mut() {
            *detail = ErrorDetail {
                code,
                message: message.to_string(),
            };
        }
        self.send(&line);
    }

    pub fn finish(mut self) {
        if let Some(writer) = self.writer.take() {
            let _ = writer.finish();
        }
    }
}
