//! Both directions of a hijacked attach connection, as docker/cli's
//! `hijackedIOStreamer` runs them: the output copied raw (TTY) or split
//! from stdcopy frames onto stdout and stderr, stdin copied in (through
//! the detach-key matcher with a TTY) and half-closed at its end, and the
//! terminal in raw mode while a TTY's input is attached.

use super::terminal;
use crate::api::detach_keys::EscapeMatcher;
use crate::http::client::Upgraded;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::mpsc::Sender;

/// What the threads of a stream (and the wait beside it) report.
pub enum Event {
    /// The output ended: the daemon closed the stream, or reading failed.
    OutputDone(Result<(), String>),
    /// Stdin ended (or was never attached) and the write side is closed.
    InputDone,
    /// The detach keys were typed.
    Detached,
    /// The container's exit status, from the wait request.
    Exited(i32),
    /// The client got its first SIGINT or SIGTERM (the CLI's context is
    /// cancelled: `start -a` and `attach` stop streaming).
    Cancelled,
}

/// Which streams to copy and how.
pub struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    /// With a TTY, stderr frames never come; without one, `run` sends the
    /// container's stderr to the client's stdout when this is set.
    pub stderr_to_stdout: bool,
    pub detach_keys: Vec<u8>,
}

impl Streams {
    pub fn output_attached(&self) -> bool {
        self.stdout || self.stderr
    }
}

/// Starts copying; events go to `events`. The returned guard keeps the
/// terminal raw until it is dropped.
pub fn start(
    hijacked: Upgraded,
    streams: &Streams,
    events: Sender<Event>,
) -> Result<Option<terminal::RawMode>, String> {
    let raw = if streams.stdin && streams.tty {
        Some(terminal::RawMode::enable()?)
    } else {
        None
    };
    let Upgraded { reader, writer } = hijacked;
    if streams.output_attached() {
        let events = events.clone();
        let (tty, stdout, stderr, merged) = (
            streams.tty,
            streams.stdout,
            streams.stderr,
            streams.stderr_to_stdout,
        );
        std::thread::spawn(move || {
            let result = if tty && stdout {
                let copied = copy_flushing(reader, &mut io::stdout());
                // The terminal comes back as soon as the output ends, so
                // whatever is printed next looks normal.
                terminal::restore();
                copied
            } else {
                // The daemon sends only the streams asked for; a frame of
                // another is dropped.
                let mut out: Box<dyn Write> = if stdout {
                    Box::new(io::stdout())
                } else {
                    Box::new(io::sink())
                };
                let mut err: Box<dyn Write> = match (stderr, merged) {
                    (false, _) => Box::new(io::sink()),
                    (true, true) => Box::new(io::stdout()),
                    (true, false) => Box::new(io::stderr()),
                };
                demux(reader, &mut *out, &mut *err)
            };
            let _ = events.send(Event::OutputDone(result.map_err(|e| e.to_string())));
        });
    }
    let mut writer = writer;
    if streams.stdin {
        let mut matcher = EscapeMatcher::new(if streams.tty {
            streams.detach_keys.clone()
        } else {
            Vec::new()
        });
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; 32 * 1024];
            let mut pass = Vec::with_capacity(buffer.len());
            let mut stdin = io::stdin();
            loop {
                let n = match stdin.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                pass.clear();
                let detached = matcher.feed(&buffer[..n], &mut pass);
                if writer.write_all(&pass).is_err() {
                    break;
                }
                if detached {
                    terminal::restore();
                    let _ = events.send(Event::Detached);
                    return;
                }
            }
            terminal::restore();
            let _ = writer.shutdown(Shutdown::Write);
            let _ = events.send(Event::InputDone);
        });
    } else {
        let _ = writer.shutdown(Shutdown::Write);
        let _ = events.send(Event::InputDone);
    }
    Ok(raw)
}

/// Copies until EOF, flushing after every read: a prompt has no newline.
pub fn copy_flushing(mut from: impl Read, to: &mut impl Write) -> io::Result<()> {
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buffer[..n])?;
        to.flush()?;
    }
}

/// moby's `stdcopy.StdCopy`: frames of `[stream, 0, 0, 0, size u32 BE]`
/// and a payload; stream 0 and 1 to `out`, 2 to `err`, 3 is the daemon's error
/// message and ends the copy with it.
pub fn demux<'w>(
    mut from: impl Read,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
) -> io::Result<()> {
    let mut header = [0u8; 8];
    let mut payload = Vec::new();
    loop {
        match read_full(&mut from, &mut header)? {
            0 => return Ok(()),
            n if n < header.len() => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF",
                ));
            }
            _ => {}
        }
        let size = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        payload.resize(size, 0);
        if read_full(&mut from, &mut payload)? < size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF",
            ));
        }
        let target: &mut dyn Write = match header[0] {
            0 | 1 => &mut *out,
            2 => &mut *err,
            3 => {
                return Err(io::Error::other(format!(
                    "error from daemon in stream: {}",
                    String::from_utf8_lossy(&payload)
                )));
            }
            other => {
                return Err(io::Error::other(format!(
                    "Unrecognized input header: {other}"
                )));
            }
        };
        target.write_all(&payload)?;
        target.flush()?;
    }
}

/// Reads until `buffer` is full or EOF; the count read.
fn read_full(from: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match from.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![stream, 0, 0, 0];
        bytes.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn demux_splits_frames() {
        let mut input = frame(1, b"out\n");
        input.extend(frame(2, b"err\n"));
        input.extend(frame(1, b""));
        input.extend(frame(1, b"more"));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        demux(&input[..], &mut out, &mut err).unwrap();
        assert_eq!(out, b"out\nmore");
        assert_eq!(err, b"err\n");
    }

    #[test]
    fn demux_drops_unwanted_and_reports_errors() {
        let mut out = Vec::new();
        let mut sink = std::io::sink();
        demux(&frame(2, b"x")[..], &mut out, &mut sink).unwrap();
        assert!(out.is_empty());
        let error = demux(&frame(3, b"boom")[..], &mut out, &mut sink).unwrap_err();
        assert_eq!(error.to_string(), "error from daemon in stream: boom");
        let torn = &frame(1, b"abc")[..9];
        assert!(demux(torn, &mut out, &mut sink).is_err());
        let bad = demux(&frame(7, b"x")[..], &mut out, &mut sink).unwrap_err();
        assert_eq!(bad.to_string(), "Unrecognized input header: 7");
    }
}
