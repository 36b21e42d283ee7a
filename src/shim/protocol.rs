//! The shim's socket protocol. The shim alone owns a running container:
//! every operation on it (signals, pause, resources, processes, stats,
//! terminal size, attach) is a message on this socket, answered by the
//! shim, which acts with the runtime in-process. The daemon never loads
//! the runtime's state to act behind its back (the one exception is the
//! clean-up after a shim that died, `daemon/containers/dead_shim.rs`).
//!
//! # Frames
//!
//! `[kind u8][length u32 BE][payload]`, both ways, payloads of at most
//! [`MAX_PAYLOAD`] bytes; an unknown kind or a longer payload ends the
//! connection.
//!
//! | kind | byte | direction | payload |
//! |------|------|-----------|---------|
//! | `Hello` | 4 | client → shim | `[1]` to receive the output, `[0]` not to |
//! | `Hello` | 4 | shim → client | `[VERSION]` ([`VERSION`]; empty from shims of protocol 1) |
//! | `Stdin` | 0 | client → shim | bytes for the container's input |
//! | `CloseStdin` | 5 | client → shim | empty: half-closes a pipe input (a pty keeps it) |
//! | `Stdout`, `Stderr` | 1, 2 | shim → client | the container's output, to clients that asked for it |
//! | `Exit` | 3 | shim → client | the final [`super::ShimState`] as JSON, to every client, last frame |
//! | `Start` | 8 | client → shim | empty: let the created container run |
//! | `Started` | 9 | shim → client | the init's pid, i32 BE: the answer to `Start` |
//! | `Failed` | 10 | shim → client | UTF-8 message: `Start` failed |
//! | `Request` | 11 | client → shim | `[tag u32 BE]` + a [`Request`] as JSON |
//! | `Reply` | 12 | shim → client | `[tag u32 BE]` + a [`Reply`] as JSON |
//! | `Resize` | 6 | client → shim | protocol 1: `[height u16 BE][width u16 BE]`, no answer |
//! | `Signal` | 7 | client → shim | protocol 1: `[signal i32 BE]`, no answer |
//! | `ExecExit` | 13 | shim → client | an exec's exit code, i32 BE, after its last output |
//!
//! A client first sends `Hello` and waits for the shim's `Hello`: from then
//! on it is registered and misses no output, and knows the shim's
//! version. `Start` is answered by `Started` or `Failed` before the `Exit`
//! of that run, however soon the container exits.
//!
//! # Requests
//!
//! Every operation on the running container is a `Request` frame whose
//! payload starts with a tag the client picks; the shim answers each with
//! exactly one `Reply` frame carrying the same tag. Replies have a kind of
//! their own, so a client that also receives the output (or the `Exit`,
//! which every client gets) never mistakes one for the other. A request
//! the shim cannot decode (a newer daemon's, say) is answered with
//! [`Reply::Error`] when its tag is readable. The requests, with their
//! successful reply:
//!
//! - `{"op":"signal","signal":N}`: the signal to the init (through its
//!   pidfd, so never to a process that reused its pid); `done`, also when
//!   the init has just exited (its `Exit` follows).
//! - `{"op":"pause"}`, `{"op":"resume"}`: freeze or thaw every process of
//!   the container's cgroup; `done`.
//! - `{"op":"update","resources":{...}}`: new limits, an OCI
//!   `LinuxResources`, written into the container's cgroup; `done`.
//! - `{"op":"pids"}`: the host pids of the container's cgroup, sorted;
//!   `{"outcome":"pids","pids":[...]}`.
//! - `{"op":"stats"}`: one sample of the cgroup's statistics, in runc's
//!   `events --stats` shape; `{"outcome":"stats","stats":{...}}`.
//! - `{"op":"resize","height":H,"width":W}`: the pty's window size (a
//!   container without a pty ignores it); `done`.
//! - `{"op":"exec","id":..,"process":{..},"stdin":B,"record":PATH}`: a new
//!   process in the container (an OCI `Process`), the shim's child;
//!   `{"outcome":"exec_started","pid":N}`. From then on the connection is
//!   that process's: `Stdin` and `CloseStdin` go to it, its output comes
//!   as `Stdout`/`Stderr` and its exit code as `ExecExit`. The shim keeps
//!   its record (pid, running, exit code) as JSON at `record`, readable
//!   while the daemon is down. It is killed when the init exits.
//! - `{"op":"exec_resize","id":..,"height":H,"width":W}`: an exec's pty
//!   size; `done`.
//! - `{"op":"exec_signal","id":..,"signal":N}`: a signal to a running
//!   exec (a healthcheck probe past its timeout); `done`.
//!
//! A failed request is answered `{"outcome":"error","message":...}` with
//! the runtime's error text (operation, path, errno), which the daemon
//! passes on as it would its own. A new operation (exec, port proxies) is
//! one more [`Request`] variant and, where it returns something, one more
//! [`Reply`] variant.
//!
//! Protocol 1 shims (from before requests existed) close the connection
//! at a `Request`; they still take the one-way `Signal` and `Resize`
//! frames, which is how a client signals them. The shim still serves
//! those two frames, so an older daemon can signal a newer shim.

use crate::runtime::cgroups::stats::CgroupStats;
use oci_spec::runtime::LinuxResources;
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// The protocol version a shim announces in its `Hello`: 2 added
/// `Request` and `Reply`.
pub const VERSION: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
    Exit = 3,
    Hello = 4,
    CloseStdin = 5,
    Resize = 6,
    Signal = 7,
    Start = 8,
    Started = 9,
    Failed = 10,
    Request = 11,
    Reply = 12,
    ExecExit = 13,
}

impl Kind {
    fn from_byte(byte: u8) -> Option<Kind> {
        use Kind::*;
        [
            Stdin, Stdout, Stderr, Exit, Hello, CloseStdin, Resize, Signal, Start, Started, Failed,
            Request, Reply, ExecExit,
        ]
        .into_iter()
        .find(|kind| *kind as u8 == byte)
    }
}

/// An operation on the running container, client to shim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Signal { signal: i32 },
    Pause,
    Resume,
    Update { resources: Box<LinuxResources> },
    Pids,
    Stats,
    Resize { height: u16, width: u16 },
    Exec(Box<ExecRequest>),
    ExecResize { id: String, height: u16, width: u16 },
    ExecSignal { id: String, signal: i32 },
}

/// A new process in the container: what `Request::Exec` carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecRequest {
    pub id: String,
    pub process: oci_spec::runtime::Process,
    /// Whether the process gets an input pipe (a pty always has one).
    pub stdin: bool,
    /// Where the shim keeps the [`ExecRecord`].
    pub record: std::path::PathBuf,
}

/// The shim's record of one exec process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRecord {
    pub pid: i32,
    pub running: bool,
    pub exit_code: Option<i32>,
}

/// The shim's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reply {
    Done,
    Pids { pids: Vec<i32> },
    Stats { stats: Box<CgroupStats> },
    ExecStarted { pid: i32 },
    Error { message: String },
}

/// The largest payload either side accepts.
pub const MAX_PAYLOAD: usize = 1 << 20;

pub fn encode(kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(5 + payload.len());
    frame.push(kind as u8);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

pub fn write_frame(writer: &mut impl Write, kind: Kind, payload: &[u8]) -> io::Result<()> {
    writer.write_all(&encode(kind, payload))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The next frame, or `None` at a clean end of stream.
pub fn read_frame(reader: &mut impl Read) -> io::Result<Option<(Kind, Vec<u8>)>> {
    let mut head = [0u8; 5];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let kind = Kind::from_byte(head[0])
        .ok_or_else(|| invalid(format!("shim frame of unknown kind {}", head[0])))?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(invalid(format!("shim frame of {len} bytes is too large")));
    }
    let mut payload = vec![0u8; len];
    reader.read_exact(&mut payload)?;
    Ok(Some((kind, payload)))
}

pub fn be_i32(payload: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(payload.get(..4)?.try_into().ok()?))
}

/// A `[tag u32 BE][JSON]` payload as a whole frame of `kind`.
fn tagged_frame(kind: Kind, tag: u32, body: &impl Serialize) -> io::Result<Vec<u8>> {
    let mut payload = tag.to_be_bytes().to_vec();
    serde_json::to_writer(&mut payload, body).map_err(io::Error::other)?;
    if payload.len() > MAX_PAYLOAD {
        return Err(invalid(format!(
            "shim {kind:?} of {} bytes is too large",
            payload.len()
        )));
    }
    Ok(encode(kind, &payload))
}

fn split_tag(payload: &[u8]) -> io::Result<(u32, &[u8])> {
    match payload.split_first_chunk::<4>() {
        Some((tag, body)) => Ok((u32::from_be_bytes(*tag), body)),
        None => Err(invalid(format!(
            "shim request or reply of {} bytes has no tag",
            payload.len()
        ))),
    }
}

pub fn encode_request(tag: u32, request: &Request) -> io::Result<Vec<u8>> {
    tagged_frame(Kind::Request, tag, request)
}

pub fn encode_reply(tag: u32, reply: &Reply) -> io::Result<Vec<u8>> {
    tagged_frame(Kind::Reply, tag, reply)
}

/// The tag and the request of a `Request` payload; the request is the
/// text to answer when it cannot be decoded (an operation this shim does
/// not know). An error only when there is no tag to answer to.
pub fn decode_request(payload: &[u8]) -> io::Result<(u32, Result<Request, String>)> {
    let (tag, body) = split_tag(payload)?;
    let request = serde_json::from_slice(body)
        .map_err(|e| format!("shim protocol {VERSION} cannot decode the request: {e}"));
    Ok((tag, request))
}

pub fn decode_reply(payload: &[u8]) -> io::Result<(u32, Reply)> {
    let (tag, body) = split_tag(payload)?;
    let reply = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("decode the shim's reply: {e}")))?;
    Ok((tag, reply))
}

/// The client's greeting on a fresh connection: registers it (with the
/// output when `output`) and returns the shim's protocol version.
pub fn greet(stream: &mut (impl Read + Write), output: bool) -> io::Result<u8> {
    write_frame(stream, Kind::Hello, &[u8::from(output)])?;
    match read_frame(stream)? {
        Some((Kind::Hello, version)) => Ok(version.first().copied().unwrap_or(1)),
        _ => Err(io::Error::other("the shim did not greet")),
    }
}

/// Sends `request` tagged `tag` and waits for its reply, passing over
/// every other frame (output, replies to other tags). The `Exit` or the
/// end of the connection before the reply is an error: the container is
/// gone.
pub fn call(stream: &mut (impl Read + Write), tag: u32, request: &Request) -> io::Result<Reply> {
    stream.write_all(&encode_request(tag, request)?)?;
    loop {
        match read_frame(stream)? {
            Some((Kind::Reply, payload)) => {
                let (answered, reply) = decode_reply(&payload)?;
                if answered == tag {
                    return Ok(reply);
                }
            }
            Some((Kind::Exit, _)) => {
                return Err(io::Error::other(
                    "the container exited before the shim replied",
                ));
            }
            Some(_) => {}
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the shim closed the connection before it replied",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut wire = encode(Kind::Stdout, b"hi\n");
        wire.extend(encode(Kind::Signal, &15i32.to_be_bytes()));
        let mut reader = &wire[..];
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Some((Kind::Stdout, b"hi\n".to_vec()))
        );
        let (kind, payload) = read_frame(&mut reader).unwrap().unwrap();
        assert_eq!((kind, be_i32(&payload)), (Kind::Signal, Some(15)));
        assert_eq!(read_frame(&mut reader).unwrap(), None);
    }

    #[test]
    fn truncated_and_unknown_frames_are_errors() {
        let wire = encode(Kind::Stdout, b"hello");
        assert!(read_frame(&mut &wire[..7]).is_err());
        assert!(read_frame(&mut &[99u8, 0, 0, 0, 0][..]).is_err());
        assert!(read_frame(&mut &[14u8, 0, 0, 0, 0][..]).is_err());
    }

    #[test]
    fn oversized_frames_are_refused_before_their_payload_is_read() {
        let too_long = ((MAX_PAYLOAD + 1) as u32).to_be_bytes();
        let head = [
            Kind::Request as u8,
            too_long[0],
            too_long[1],
            too_long[2],
            too_long[3],
        ];
        let error = read_frame(&mut &head[..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("too large"), "{error}");
        let huge = Reply::Error {
            message: "x".repeat(MAX_PAYLOAD),
        };
        assert!(encode_reply(1, &huge).is_err());
    }

    fn every_request() -> Vec<Request> {
        let resources: LinuxResources = serde_json::from_str(
            r#"{"memory":{"limit":67108864,"swap":134217728},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},"pids":{"limit":20},"blockIO":{"weight":300}}"#,
        )
        .unwrap();
        vec![
            Request::Signal { signal: 15 },
            Request::Pause,
            Request::Resume,
            Request::Update {
                resources: Box::new(resources),
            },
            Request::Pids,
            Request::Stats,
            Request::Resize {
                height: 24,
                width: 80,
            },
            Request::Exec(Box::new(ExecRequest {
                id: "e1".into(),
                process: serde_json::from_str(
                    r#"{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}}"#,
                )
                .unwrap(),
                stdin: true,
                record: "/run/x/e1.state.json".into(),
            })),
            Request::ExecResize {
                id: "e1".into(),
                height: 24,
                width: 80,
            },
            Request::ExecSignal {
                id: "e1".into(),
                signal: 15,
            },
        ]
    }

    #[test]
    fn requests_round_trip_with_their_tag() {
        for (tag, request) in every_request().into_iter().enumerate() {
            let frame = encode_request(tag as u32, &request).unwrap();
            let (kind, payload) = read_frame(&mut &frame[..]).unwrap().unwrap();
            assert_eq!(kind, Kind::Request);
            let (decoded_tag, decoded) = decode_request(&payload).unwrap();
            assert_eq!((decoded_tag, decoded), (tag as u32, Ok(request)));
        }
    }

    #[test]
    fn replies_round_trip_with_their_tag() {
        let mut stats = CgroupStats::default();
        stats.memory.usage.usage = 4096;
        stats.pids.current = 3;
        stats.cpu.usage.percpu = vec![1, 2];
        let replies = [
            Reply::Done,
            Reply::Pids { pids: vec![7, 42] },
            Reply::ExecStarted { pid: 9 },
            Reply::Stats {
                stats: Box::new(stats),
            },
            Reply::Error {
                message: "freeze /sys/fs/cgroup/x: Device or resource busy (os error 16)".into(),
            },
        ];
        for reply in replies {
            let frame = encode_reply(u32::MAX, &reply).unwrap();
            let (kind, payload) = read_frame(&mut &frame[..]).unwrap().unwrap();
            assert_eq!(kind, Kind::Reply);
            assert_eq!(decode_reply(&payload).unwrap(), (u32::MAX, reply));
        }
    }

    #[test]
    fn unknown_requests_keep_their_tag_and_untagged_ones_are_errors() {
        let mut payload = 9u32.to_be_bytes().to_vec();
        payload.extend_from_slice(br#"{"op":"teleport"}"#);
        let (tag, request) = decode_request(&payload).unwrap();
        assert_eq!(tag, 9);
        assert!(request.unwrap_err().contains("teleport"));
        assert!(decode_request(&[0, 1]).is_err());
        assert!(decode_reply(&[0, 0, 0, 1]).is_err());
    }

    /// A scripted peer: reads what the client writes, answers `script`.
    struct Peer {
        script: io::Cursor<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Read for Peer {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.script.read(buf)
        }
    }

    impl Write for Peer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn peer(frames: &[Vec<u8>]) -> Peer {
        Peer {
            script: io::Cursor::new(frames.concat()),
            written: Vec::new(),
        }
    }

    #[test]
    fn a_call_passes_over_output_and_other_tags_to_its_own_reply() {
        let mut shim = peer(&[
            encode(Kind::Stdout, b"output, not a reply"),
            encode_reply(6, &Reply::Done).unwrap(),
            encode_reply(7, &Reply::Pids { pids: vec![1] }).unwrap(),
        ]);
        let reply = call(&mut shim, 7, &Request::Pids).unwrap();
        assert_eq!(reply, Reply::Pids { pids: vec![1] });
        let (kind, payload) = read_frame(&mut &shim.written[..]).unwrap().unwrap();
        assert_eq!(kind, Kind::Request);
        assert_eq!(decode_request(&payload).unwrap(), (7, Ok(Request::Pids)));
    }

    #[test]
    fn a_call_fails_when_the_exit_or_the_end_comes_first() {
        let mut exited = peer(&[encode(Kind::Exit, b"{}")]);
        assert!(call(&mut exited, 1, &Request::Pause).is_err());
        let mut closed = peer(&[]);
        let error = call(&mut closed, 1, &Request::Pause).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn greetings_tell_the_version_and_old_shims_are_version_1() {
        let mut current = peer(&[encode(Kind::Hello, &[VERSION])]);
        assert_eq!(greet(&mut current, true).unwrap(), VERSION);
        assert_eq!(current.written, encode(Kind::Hello, &[1]));
        let mut old = peer(&[encode(Kind::Hello, &[])]);
        assert_eq!(greet(&mut old, false).unwrap(), 1);
        let mut rude = peer(&[encode(Kind::Stdout, b"?")]);
        assert!(greet(&mut rude, false).is_err());
    }
}
