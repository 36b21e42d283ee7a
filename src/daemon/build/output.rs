//! The build's JSON stream as moby's classic builder writes it: text as
//! `{"stream":...}` (Go's JSON, `>` as `\u003e`), the image ID as
//! `{"aux":{"ID":...}}`, a failure as the last message. With `q` the
//! messages are held back and only sent when the build fails; success
//! sends the image ID alone.

use crate::api::image::{ErrorDetail, ProgressMessage};
use crate::http::wire::ChunkedWriter;
use std::io::Write;
use std::os::unix::net::UnixStream;

pub struct Output {
    writer: Option<ChunkedWriter<UnixStream>>,
    quiet: bool,
    held: Vec<u8>,
}

impl Output {
    pub fn new(writer: ChunkedWriter<UnixStream>, quiet: bool) -> Output {
        Output {
            writer: Some(writer),
            quiet,
            held: Vec::new(),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        // A client gone away stops hearing; the build still finishes.
        if let Some(writer) = self.writer.as_mut()
            && writer.write_all(bytes).is_err()
        {
            self.writer = None;
        }
    }

    fn send(&mut self, message: &ProgressMessage) {
        let mut line =
            crate::api::events::go_escape(&serde_json::to_string(message).unwrap_or_default())
                .into_bytes();
        line.extend_from_slice(b"\r\n");
        if self.quiet {
            self.held.extend_from_slice(&line);
        } else {
            self.write(&line);
        }
    }

    pub fn text(&mut self, text: impl Into<String>) {
        self.send(&ProgressMessage::stream(text));
    }

    /// The image ID `q` answers with.
    pub fn quiet_id(&mut self, id: &str) {
        self.quiet = false;
        self.text(format!("{id}\n"));
    }

    pub fn aux_id(&mut self, id: &str) {
        self.send(&ProgressMessage {
            aux: Some(serde_json::json!({ "ID": id })),
            ..ProgressMessage::default()
        });
    }

    /// The failure, after what `q` held back.
    pub fn error(&mut self, code: i64, message: &str) {
        let held = std::mem::take(&mut self.held);
        self.write(&held);
        self.quiet = false;
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
