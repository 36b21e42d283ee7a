//! HTTP/1.1 framing shared by the server and the client: reading a message
//! head, chunked transfer-encoding in both directions, bodies delimited by
//! Content-Length, and writing a response or request head.

use std::io::{self, BufRead, Read, Write};
use std::os::unix::net::UnixStream;

/// A message head larger than this is refused (Go's server allows 1 MiB;
/// Engine API heads are a few hundred bytes, registry auth a few KiB).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers a message may carry.
pub const MAX_HEADERS: usize = 96;
/// Longest chunk-size line we accept, extensions included.
const MAX_CHUNK_LINE: usize = 4096;

/// Header fields in arrival order; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether any `name` header lists `token` (comma-separated, any case).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.0
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .flat_map(|(_, value)| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(token))
    }

    pub fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Replaces every `name` header by one with `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.0.retain(|(key, _)| !key.eq_ignore_ascii_case(&name));
        self.0.push((name, value.into()));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Why a message could not be read. `Closed` is a clean end between messages.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("connection closed")]
    Closed,
    #[error("malformed HTTP message: {0}")]
    Malformed(String),
    #[error(
        "HTTP message head larger than {MAX_HEAD_BYTES} bytes or more than {MAX_HEADERS} headers"
    )]
    HeadTooLarge,
    #[error("read HTTP message: {0}")]
    Io(#[from] io::Error),
}

fn malformed(what: impl Into<String>) -> WireError {
    WireError::Malformed(what.into())
}

/// Reads one message head (through the empty line) from `reader`, leaving
/// whatever follows in the buffer. Empty lines before a head are skipped, as
/// RFC 9112 section 2.2 allows.
pub fn read_head(reader: &mut impl BufRead) -> Result<Vec<u8>, WireError> {
    let mut head = Vec::with_capacity(512);
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if available.is_empty() {
            return if head.iter().all(|b| *b == b'\r' || *b == b'\n') {
                Err(WireError::Closed)
            } else {
                Err(malformed("connection closed inside the message head"))
            };
        }
        // Copy up to and including the byte that ends the head, if present.
        let start = head.len();
        let mut taken = available.len();
        for (index, byte) in available.iter().enumerate() {
            head.push(*byte);
            if *byte == b'\n' && head_complete(&head) {
                taken = index + 1;
                break;
            }
        }
        head.truncate(start + taken);
        reader.consume(taken);
        // Leading blank lines are not part of the head.
        let blank = head
            .iter()
            .take_while(|b| **b == b'\r' || **b == b'\n')
            .count();
        if blank > 0 {
            head.drain(..blank);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(WireError::HeadTooLarge);
        }
        if !head.is_empty() && head_complete(&head) {
            return Ok(head);
        }
    }
}

/// Where the head at the start of `bytes` ends (past its empty line), when
/// `bytes` hold all of it; only line ends at or after `from` are looked at,
/// so a head arriving in pieces is searched once. `bytes` must not start
/// with the blank lines `read_head` skips.
pub fn head_end(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len())
        .find(|&index| bytes[index] == b'\n' && head_complete(&bytes[..=index]))
        .map(|index| index + 1)
}

fn head_complete(head: &[u8]) -> bool {
    head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n")
}

/// Converts httparse's header slice into owned [`Headers`].
pub fn collect_headers(raw: &[httparse::Header<'_>]) -> Result<Headers, WireError> {
    let mut headers = Headers::new();
    for header in raw {
        let value = std::str::from_utf8(header.value)
            .map_err(|_| malformed(format!("header {} is not UTF-8", header.name)))?;
        headers.add(header.name, value.trim());
    }
    Ok(headers)
}

pub fn map_parse_error(error: httparse::Error) -> WireError {
    match error {
        httparse::Error::TooManyHeaders => WireError::HeadTooLarge,
        other => malformed(other.to_string()),
    }
}

/// How a message body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    None,
    Length(u64),
    Chunked,
    /// Until the peer closes (responses only).
    UntilClose,
}

/// The framing of a request body from its headers (RFC 9112 section 6).
/// A request whose length could be read two ways is refused rather than
/// guessed at, since a proxy in front of us may have read it the other way
/// and passed the rest on as a second request (request smuggling): so
/// Transfer-Encoding must be exactly one `chunked` and comes without
/// Content-Length, and Content-Length appears once with one value.
pub fn request_framing(headers: &Headers) -> Result<BodyFraming, WireError> {
    let named = |wanted: &'static str| {
        headers
            .iter()
            .filter(move |(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value)
    };
    let encodings: Vec<&str> = named("Transfer-Encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let lengths: Vec<&str> = named("Content-Length").collect();
    if !encodings.is_empty() {
        if !lengths.is_empty() {
            return Err(malformed("Content-Length together with Transfer-Encoding"));
        }
        if encodings.len() != 1 || !encodings[0].eq_ignore_ascii_case("chunked") {
            return Err(malformed(format!(
                "unsupported transfer encoding {:?}",
                encodings.join(", ")
            )));
        }
        return Ok(BodyFraming::Chunked);
    }
    if lengths.len() > 1 || lengths.iter().any(|value| value.contains(',')) {
        return Err(malformed(format!(
            "more than one Content-Length: {}",
            lengths.join(", ")
        )));
    }
    match content_length(headers)? {
        Some(0) | None => Ok(BodyFraming::None),
        Some(length) => Ok(BodyFraming::Length(length)),
    }
}

/// The framing of a response body to a request with `method`.
pub fn response_framing(
    method: &str,
    status: u16,
    headers: &Headers,
) -> Result<BodyFraming, WireError> {
    if method.eq_ignore_ascii_case("HEAD") || status / 100 == 1 || status == 204 || status == 304 {
        return Ok(BodyFraming::None);
    }
    if headers.has_token("Transfer-Encoding", "chunked") {
        return Ok(BodyFraming::Chunked);
    }
    match content_length(headers)? {
        Some(length) => Ok(BodyFraming::Length(length)),
        None => Ok(BodyFraming::UntilClose),
    }
}

fn content_length(headers: &Headers) -> Result<Option<u64>, WireError> {
    let mut found: Option<u64> = None;
    for (name, value) in headers.iter() {
        if !name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        for item in value.split(',') {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(format!("bad Content-Length {value:?}")));
            }
            let length: u64 = item
                .parse()
                .map_err(|_| malformed(format!("bad Content-Length {value:?}")))?;
            if found.is_some_and(|previous| previous != length) {
                return Err(malformed("conflicting Content-Length headers"));
            }
            found = Some(length);
        }
    }
    Ok(found)
}

/// Decodes a chunked body from `inner`, stopping after the last chunk and
/// its trailers; the bytes after it stay in `inner`.
pub struct ChunkedReader<R> {
    inner: R,
    remaining: u64,
    done: bool,
}

impl<R: BufRead> ChunkedReader<R> {
    pub fn new(inner: R) -> ChunkedReader<R> {
        ChunkedReader {
            inner,
            remaining: 0,
            done: false,
        }
    }

    #[cfg(test)]
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn read_line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        (&mut self.inner)
            .take(MAX_CHUNK_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Err(invalid_data(if line.len() >= MAX_CHUNK_LINE {
                "chunk line too long"
            } else {
                "connection closed inside a chunked body"
            }));
        }
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
        Ok(line)
    }

    /// Reads the next chunk-size line; zero means the last chunk, after which
    /// the trailer section is read and discarded.
    fn next_chunk(&mut self) -> io::Result<()> {
        let line = self.read_line()?;
        let size_text = line.split(|b| *b == b';').next().unwrap_or(&[]);
        let size_text = std::str::from_utf8(size_text)
            .map_err(|_| invalid_data("chunk size is not ASCII"))?
            .trim();
        if size_text.is_empty() || size_text.len() > 16 {
            return Err(invalid_data("bad chunk size"));
        }
        let size =
            u64::from_str_radix(size_text, 16).map_err(|_| invalid_data("bad chunk size"))?;
        if size == 0 {
            loop {
                if self.read_line()?.is_empty() {
                    break;
                }
            }
            self.done = true;
        }
        self.remaining = size;
        Ok(())
    }

    fn end_of_chunk(&mut self) -> io::Result<()> {
        if !self.read_line()?.is_empty() {
            return Err(invalid_data("chunk data longer than its size"));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.done && self.remaining == 0 {
            self.next_chunk()?;
        }
        if self.done {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let read = self.inner.read(&mut buf[..want])?;
        if read == 0 {
            return Err(invalid_data("connection closed inside a chunk"));
        }
        self.remaining -= read as u64;
        if self.remaining == 0 {
            self.end_of_chunk()?;
        }
        Ok(read)
    }
}

fn invalid_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Encodes a chunked body: every `write` becomes one chunk and is flushed at
/// once, so a streaming reader sees each event as it happens. `finish`
/// writes the last chunk; dropping without it leaves the body unterminated,
/// which tells the peer the stream broke.
pub struct ChunkedWriter<W: Write> {
    inner: W,
}

impl<W: Write> ChunkedWriter<W> {
    pub fn new(inner: W) -> ChunkedWriter<W> {
        ChunkedWriter { inner }
    }

    /// The connection underneath, to watch it for the peer hanging up.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(b"0\r\n\r\n")?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut frame = Vec::with_capacity(buf.len() + 20);
        frame.extend_from_slice(format!("{:x}\r\n", buf.len()).as_bytes());
        frame.extend_from_slice(buf);
        frame.extend_from_slice(b"\r\n");
        self.inner.write_all(&frame)?;
        self.inner.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The reason phrase Go's net/http uses for `status`.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Request Entity Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Writes `HTTP/1.1 STATUS REASON`, the headers and the empty line.
pub fn write_response_head(
    writer: &mut impl Write,
    status: u16,
    reason: &str,
    headers: &Headers,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    push_headers(&mut head, headers);
    writer.write_all(head.as_bytes())
}

/// Writes `METHOD TARGET HTTP/1.1`, the headers and the empty line.
pub fn write_request_head(
    writer: &mut impl Write,
    method: &str,
    target: &str,
    headers: &Headers,
) -> io::Result<()> {
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    push_headers(&mut head, headers);
    writer.write_all(head.as_bytes())
}

fn push_headers(head: &mut String, headers: &Headers) {
    for (name, value) in headers.iter() {
        // A CR or LF in a value would split the head: drop them.
        let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(name);
        head.push_str(": ");
        head.push_str(&value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
}

/// A body reader for any framing; `UntilClose` reads to EOF. An absent
/// body is a zero-length one, so the reader always owns `inner`.
pub enum BodyReader<R> {
    Length(io::Take<R>),
    Chunked(ChunkedReader<R>),
    UntilClose(R),
}

impl<R: BufRead> BodyReader<R> {
    pub fn new(inner: R, framing: BodyFraming) -> BodyReader<R> {
        match framing {
            BodyFraming::None => BodyReader::Length(inner.take(0)),
            BodyFraming::Length(length) => BodyReader::Length(inner.take(length)),
            BodyFraming::Chunked => BodyReader::Chunked(ChunkedReader::new(inner)),
            BodyFraming::UntilClose => BodyReader::UntilClose(inner),
        }
    }

    /// The reader underneath, positioned inside or after the body.
    pub fn inner_mut(&mut self) -> &mut R {
        match self {
            BodyReader::Length(take) => take.get_mut(),
            BodyReader::Chunked(chunked) => &mut chunked.inner,
            BodyReader::UntilClose(inner) => inner,
        }
    }

    /// Whether the whole body has been read.
    pub fn is_finished(&self) -> bool {
        match self {
            BodyReader::Length(take) => take.limit() == 0,
            BodyReader::Chunked(chunked) => chunked.done,
            BodyReader::UntilClose(_) => false,
        }
    }
}

impl<R: BufRead> Read for BodyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BodyReader::Length(take) => {
                let read = take.read(buf)?;
                if read == 0 && take.limit() > 0 && !buf.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed before the end of the body",
                    ));
                }
                Ok(read)
            }
            BodyReader::Chunked(chunked) => chunked.read(buf),
            BodyReader::UntilClose(inner) => inner.read(buf),
        }
    }
}

/// Reads what the peer sent after the message head of an upgrade (the
/// server's hijack, the client's attach): bytes already buffered first,
/// then the socket. EOF means the peer half-closed.
pub struct UpgradedReader {
    buffered: io::Cursor<Vec<u8>>,
    stream: UnixStream,
}

impl UpgradedReader {
    pub fn new(buffered: Vec<u8>, stream: UnixStream) -> UpgradedReader {
        UpgradedReader {
            buffered: io::Cursor::new(buffered),
            stream,
        }
    }

    /// Whether bytes are waiting in the buffer (poll would not see them).
    pub fn has_buffered(&self) -> bool {
        (self.buffered.position() as usize) < self.buffered.get_ref().len()
    }
}

impl Read for UpgradedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.has_buffered() {
            return self.buffered.read(buf);
        }
        self.stream.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn chunked_round_trip_leaves_following_bytes() {
        let mut encoded = Vec::new();
        let mut writer = ChunkedWriter::new(&mut encoded);
        writer.write_all(b"hello ").unwrap();
        writer.write_all(b"world").unwrap();
        writer.finish().unwrap();
        assert_eq!(encoded, b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
        encoded.extend_from_slice(b"NEXT");
        let mut reader = ChunkedReader::new(BufReader::new(&encoded[..]));
        let mut body = String::new();
        reader.read_to_string(&mut body).unwrap();
        assert_eq!(body, "hello world");
        let mut rest = String::new();
        reader.into_inner().read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
    }

    #[test]
    fn chunked_accepts_extensions_and_trailers() {
        let wire = b"4;ext=1\r\nWiki\r\nA\r\n pedia in \r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut body = String::new();
        ChunkedReader::new(&wire[..])
            .read_to_string(&mut body)
            .unwrap();
        assert_eq!(body, "Wiki pedia in ");
    }

    #[test]
    fn chunked_rejects_garbage_and_truncation() {
        for wire in [
            &b"zz\r\nabc\r\n0\r\n\r\n"[..],
            b"3\r\nabcdef\r\n0\r\n\r\n",
            b"5\r\nab",
            b"",
        ] {
            let mut body = Vec::new();
            assert!(
                ChunkedReader::new(wire).read_to_end(&mut body).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn head_reading_skips_blank_lines_and_keeps_the_rest() {
        let wire = b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
        let mut reader = BufReader::with_capacity(4, &wire[..]);
        let head = read_head(&mut reader).unwrap();
        assert_eq!(head, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut rest = String::new();
        reader.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "BODY");
        assert!(matches!(
            read_head(&mut BufReader::new(&b""[..])),
            Err(WireError::Closed)
        ));
        assert!(matches!(
            read_head(&mut BufReader::new(&b"GET / HT"[..])),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn framing_rules() {
        let mut headers = Headers::new();
        assert_eq!(request_framing(&headers).unwrap(), BodyFraming::None);
        headers.add("content-length", "12");
        assert_eq!(request_framing(&headers).unwrap(), BodyFraming::Length(12));
        headers.add("Content-Length", "13");
        assert!(request_framing(&headers).is_err());
        let mut chunked = Headers::new();
        chunked.add("Transfer-Encoding", "chunked");
        assert_eq!(request_framing(&chunked).unwrap(), BodyFraming::Chunked);
        let mut gzip = Headers::new();
        gzip.add("Transfer-Encoding", "gzip");
        assert!(request_framing(&gzip).is_err());
        let mut negative = Headers::new();
        negative.add("Content-Length", "-1");
        assert!(request_framing(&negative).is_err());
        assert_eq!(
            response_framing("HEAD", 200, &headers).unwrap(),
            BodyFraming::None
        );
    }

    #[test]
    fn framing_that_could_be_read_two_ways_is_refused() {
        let request = |fields: &[(&str, &str)]| {
            let mut headers = Headers::new();
            for (name, value) in fields {
                headers.add(*name, *value);
            }
            request_framing(&headers)
        };
        for fields in [
            &[("Content-Length", "5"), ("Transfer-Encoding", "chunked")][..],
            &[("Transfer-Encoding", "chunked"), ("Content-Length", "0")],
            &[("Transfer-Encoding", "chunked, chunked")],
            &[
                ("Transfer-Encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            &[("Transfer-Encoding", "gzip, chunked")],
            &[("Transfer-Encoding", "")],
            &[("Content-Length", "5"), ("Content-Length", "5")],
            &[("Content-Length", "5, 5")],
        ] {
            assert!(request(fields).is_err(), "{fields:?}");
        }
        assert_eq!(
            request(&[("transfer-encoding", "Chunked")]).unwrap(),
            BodyFraming::Chunked
        );
        assert_eq!(
            request(&[("Content-Length", "5")]).unwrap(),
            BodyFraming::Length(5)
        );
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        let mut headers = Headers::new();
        headers.add("X-Evil", "a\r\nInjected: yes");
        let mut out = Vec::new();
        write_response_head(&mut out, 200, "OK", &headers).unwrap();
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nX-Evil: aInjected: yes\r\n\r\n");
    }
}
