//! The server side of one request: keep-alive, request bodies of either
//! framing, fixed and chunked streaming responses, and connection hijacking
//! (101 upgrade, or a raw 200 stream). `acceptor` owns the connections
//! between requests and runs each request on a thread of its own.

use super::wire::{
    self, BodyFraming, BodyReader, ChunkedWriter, Headers, UpgradedReader, WireError,
    reason_phrase, write_response_head,
};
use std::io::{self, BufRead, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// A request body larger than this left unread by a handler is not drained
/// for keep-alive; the connection closes instead (Go's server does the same).
const MAX_DRAIN_BYTES: u64 = 256 * 1024;
pub(crate) const READ_BUFFER_BYTES: usize = 16 * 1024;
/// The longest a hijack waits for the client to read its response head
/// before the stream starts anyway. A client reads it at once; the cap is
/// for one that does not read until it has written (or never reads).
const HIJACK_HEAD_READ_WAIT: Duration = Duration::from_millis(100);

/// Serves one request. The handler answers through `exchange` exactly once
/// (`respond`, `stream` or `hijack`); an `Err` drops the connection.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, exchange: &mut Exchange<'_>) -> io::Result<()>;
}

/// The parsed request line and headers.
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    /// The path part of the target, still percent-encoded.
    pub path: String,
    /// The query part after `?`, without it; empty when absent.
    pub query: String,
    pub headers: Headers,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
}

impl RequestHead {
    /// Parses a head as `wire::read_head` returns it.
    pub fn parse(bytes: &[u8]) -> Result<RequestHead, WireError> {
        let mut raw = [httparse::EMPTY_HEADER; wire::MAX_HEADERS];
        let mut request = httparse::Request::new(&mut raw);
        match request.parse(bytes).map_err(wire::map_parse_error)? {
            httparse::Status::Complete(_) => {}
            httparse::Status::Partial => {
                return Err(WireError::Malformed("incomplete request head".into()));
            }
        }
        let method = request.method.unwrap_or_default().to_string();
        let target = request.path.unwrap_or_default().to_string();
        if !target.starts_with('/') {
            return Err(WireError::Malformed(format!(
                "request target {target:?} is not an absolute path"
            )));
        }
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (target, String::new()),
        };
        Ok(RequestHead {
            method,
            path,
            query,
            headers: wire::collect_headers(request.headers)?,
            minor_version: request.version.unwrap_or(1),
        })
    }

    fn wants_keep_alive(&self) -> bool {
        if self.headers.has_token("Connection", "close") {
            return false;
        }
        self.minor_version >= 1 || self.headers.has_token("Connection", "keep-alive")
    }

    /// Whether the client asked to switch protocols (`Upgrade: tcp`).
    pub fn wants_upgrade(&self) -> bool {
        self.headers.contains("Upgrade") && self.headers.has_token("Connection", "upgrade")
    }
}

/// A response with its whole body known up front.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        let mut headers = Headers::new();
        headers.add("Content-Type", content_type);
        Response {
            status,
            headers,
            body: body.into(),
        }
    }

    /// A response with no body and no Content-Type.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.set(name, value);
        self
    }
}

/// Both directions of a hijacked connection, as separate descriptors so that
/// one thread can copy stdin while another writes output.
pub struct Hijacked {
    pub reader: UpgradedReader,
    pub writer: UnixStream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Pending,
    Fixed,
    /// A streamed or hijacked answer: the connection ends with it.
    Final,
}

/// One request and the means to answer it.
pub struct Exchange<'c> {
    head: RequestHead,
    body: BodyReader<&'c mut ConnectionReader>,
    writer: &'c mut UnixStream,
    default_headers: &'c Headers,
    answer: Answer,
    keep_alive: bool,
}

impl<'c> Exchange<'c> {
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    pub fn method(&self) -> &str {
        &self.head.method
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.headers.get(name)
    }

    /// The request body, decoded from its framing.
    pub fn body(&mut self) -> &mut impl Read {
        &mut self.body
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    pub fn read_body(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        (&mut self.body).take(limit + 1).read_to_end(&mut body)?;
        if body.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("request body larger than {limit} bytes"),
            ));
        }
        Ok(body)
    }

    fn full_headers(&self, own: &Headers) -> Headers {
        let mut headers = self.default_headers.clone();
        for (name, value) in own.iter() {
            headers.set(name, value);
        }
        headers
    }

    fn claim(&mut self) -> io::Result<()> {
        if self.answer != Answer::Pending {
            return Err(io::Error::other("the request was already answered"));
        }
        Ok(())
    }

    /// Sends a complete response; the body is left out for HEAD requests
    /// while Content-Length still gives its size.
    pub fn respond(&mut self, response: Response) -> io::Result<()> {
        self.claim()?;
        let mut headers = self.full_headers(&response.headers);
        headers.set("Content-Length", response.body.len().to_string());
        if !self.keep_alive {
            headers.set("Connection", "close");
        }
        let mut message = Vec::with_capacity(256 + response.body.len());
        write_response_head(
            &mut message,
            response.status,
            reason_phrase(response.status),
            &headers,
        )?;
        let bodyless = self.head.method.eq_ignore_ascii_case("HEAD")
            || response.status == 204
            || response.status == 304;
        if !bodyless {
            message.extend_from_slice(&response.body);
        }
        self.answer = Answer::Fixed;
        self.writer.write_all(&message)?;
        self.writer.flush()
    }

    /// Sends the head of a chunked response at once and returns the writer
    /// for its body; each write goes out as one flushed chunk. Call
    /// `finish` on it at the end. The connection closes after the stream.
    pub fn stream(
        &mut self,
        status: u16,
        headers: &Headers,
    ) -> io::Result<ChunkedWriter<UnixStream>> {
        self.claim()?;
        let mut headers = self.full_headers(headers);
        headers.set("Transfer-Encoding", "chunked");
        headers.set("Connection", "close");
        let mut writer = self.writer.try_clone()?;
        write_response_head(&mut writer, status, reason_phrase(status), &headers)?;
        self.answer = Answer::Final;
        Ok(ChunkedWriter::new(writer))
    }

    /// Takes the connection over, as attach and exec start do: answers
    /// `101 UPGRADED` when the client asked to upgrade, or `200 OK` with a
    /// raw stream when it did not. The rest of the request body is read
    /// first, so the returned reader starts at the client's stream.
    pub fn hijack(&mut self, content_type: &str) -> io::Result<Hijacked> {
        self.claim()?;
        io::copy(&mut self.body, &mut io::sink())?;
        let mut headers = self.default_headers.clone();
        headers.set("Content-Type", content_type);
        let (status, reason) = if self.head.wants_upgrade() {
            headers.set("Connection", "Upgrade");
            headers.set("Upgrade", "tcp");
            (101, "UPGRADED")
        } else {
            (200, "OK")
        };
        write_response_head(self.writer, status, reason, &headers)?;
        self.writer.flush()?;
        self.answer = Answer::Final;
        // A client that reads the head through a buffered reader and then
        // takes the raw socket (docker-py does) loses stream bytes that
        // arrived in the same read; so the stream starts once it has the head.
        wait_until_peer_read(self.writer, HIJACK_HEAD_READ_WAIT);
        // The client may already have sent stream bytes behind the head.
        let buffered = self.body.inner_mut().take_buffered();
        Ok(Hijacked {
            reader: UpgradedReader::new(buffered, self.writer.try_clone()?),
            writer: self.writer.try_clone()?,
        })
    }
}

/// The read side of a connection: the bytes read before (by the acceptor,
/// or behind the previous request) first, then the socket, through a
/// buffer that is only allocated when the socket is read.
pub struct ConnectionReader {
    stream: UnixStream,
    buffer: Vec<u8>,
    position: usize,
}

impl ConnectionReader {
    pub fn new(stream: UnixStream, already_read: Vec<u8>) -> ConnectionReader {
        ConnectionReader {
            stream,
            buffer: already_read,
            position: 0,
        }
    }

    pub fn stream(&self) -> &UnixStream {
        &self.stream
    }

    /// The bytes read but not consumed yet, taken out of the buffer.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.buffer.split_off(self.position.min(self.buffer.len()));
        self.buffer.clear();
        self.position = 0;
        rest
    }

    /// The socket and the bytes read from it that no request used yet.
    pub fn into_parts(mut self) -> (UnixStream, Vec<u8>) {
        let rest = self.take_buffered();
        (self.stream, rest)
    }
}

impl Read for ConnectionReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ConnectionReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.position >= self.buffer.len() {
            self.buffer.resize(READ_BUFFER_BYTES, 0);
            self.position = 0;
            match self.stream.read(&mut self.buffer) {
                Ok(n) => self.buffer.truncate(n),
                Err(e) => {
                    self.buffer.clear();
                    return Err(e);
                }
            }
        }
        Ok(&self.buffer[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.buffer.len());
    }
}

/// What became of a connection after one request.
pub enum AfterRequest {
    /// Ready for the next request, which may already be in the buffer.
    KeepAlive(ConnectionReader),
    /// Closed, hijacked or streamed to its end.
    Done,
}

/// Reads one request head from `reader` (blocking until it is complete),
/// has `handler` answer it and reads the rest of its body.
pub fn serve_request(
    mut reader: ConnectionReader,
    handler: &dyn Handler,
    default_headers: &Headers,
) -> AfterRequest {
    let Ok(mut writer) = reader.stream().try_clone() else {
        return AfterRequest::Done;
    };
    if exchange_once(&mut reader, &mut writer, handler, default_headers) {
        return AfterRequest::KeepAlive(reader);
    }
    let _ = writer.shutdown(Shutdown::Both);
    AfterRequest::Done
}

/// One request and its answer; whether the connection may carry another.
fn exchange_once(
    reader: &mut ConnectionReader,
    writer: &mut UnixStream,
    handler: &dyn Handler,
    default_headers: &Headers,
) -> bool {
    let head = match wire::read_head(reader).and_then(|bytes| RequestHead::parse(&bytes)) {
        Ok(head) => head,
        Err(WireError::Closed) | Err(WireError::Io(_)) => return false,
        Err(error) => {
            let status = if matches!(error, WireError::HeadTooLarge) {
                431
            } else {
                400
            };
            let _ = refuse(writer, default_headers, status, &error.to_string());
            return false;
        }
    };
    let framing = match wire::request_framing(&head.headers) {
        Ok(framing) => framing,
        Err(error) => {
            let _ = refuse(writer, default_headers, 400, &error.to_string());
            return false;
        }
    };
    if framing != BodyFraming::None
        && head
            .headers
            .get("Expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        && writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err()
    {
        return false;
    }
    let keep_alive = head.wants_keep_alive();
    let mut exchange = Exchange {
        head,
        body: BodyReader::new(reader, framing),
        writer,
        default_headers,
        answer: Answer::Pending,
        keep_alive,
    };
    let outcome = handler.handle(&mut exchange);
    let answer = exchange.answer;
    if outcome.is_ok() && answer == Answer::Pending {
        let _ = exchange.respond(
            Response::new(500, "text/plain; charset=utf-8", "no response")
                .with_header("Connection", "close"),
        );
        return false;
    }
    if outcome.is_err() || answer == Answer::Final || !keep_alive {
        return false;
    }
    // Keep-alive: the next request starts after this body.
    let mut rest = exchange.body.by_ref().take(MAX_DRAIN_BYTES);
    io::copy(&mut rest, &mut io::sink()).is_ok() && exchange.body.is_finished()
}

/// Waits until the peer has read everything written to `stream`, for at
/// most `limit`: on a unix socket SIOCOUTQ counts the bytes sent that the
/// peer has not read yet. False when the limit passed or the count is
/// unavailable.
fn wait_until_peer_read(stream: &UnixStream, limit: Duration) -> bool {
    let started = Instant::now();
    let mut pause = Duration::from_micros(100);
    loop {
        let mut unread: libc::c_int = 0;
        // SAFETY: SIOCOUTQ (TIOCOUTQ) writes one int through the pointer,
        // which points at our local.
        let status = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut unread) };
        if status != 0 {
            return false;
        }
        if unread == 0 {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
}

/// Answers a request we could not parse, the way Go's server does, and
/// closes the connection.
fn refuse(
    writer: &mut UnixStream,
    default_headers: &Headers,
    status: u16,
    reason: &str,
) -> io::Result<()> {
    let body = format!("{status} {}: {reason}", reason_phrase(status));
    let mut headers = default_headers.clone();
    headers.set("Content-Type", "text/plain; charset=utf-8");
    headers.set("Content-Length", body.len().to_string());
    headers.set("Connection", "close");
    write_response_head(writer, status, reason_phrase(status), &headers)?;
    writer.write_all(body.as_bytes())
}
