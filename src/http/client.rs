//! The client side, for the `docker` applet (over a unix socket), the
//! daemon's downloads (over TCP, see `fetch`) and tests: one request at a
//! time on a keep-alive connection, response bodies of any framing, and
//! the upgrade that attach and exec start use (unix sockets only).

use super::wire::{self, BodyReader, Headers, UpgradedReader, WireError, write_request_head};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

/// A byte stream a client connection can read and write at once through
/// two handles to it.
pub trait ClientStream: Read + Write + Sized {
    fn try_clone(&self) -> io::Result<Self>;
}

impl ClientStream for UnixStream {
    fn try_clone(&self) -> io::Result<Self> {
        UnixStream::try_clone(self)
    }
}

impl ClientStream for TcpStream {
    fn try_clone(&self) -> io::Result<Self> {
        TcpStream::try_clone(self)
    }
}

/// Both directions of a connection the client upgraded (attach, exec
/// start), as separate descriptors so that one thread can copy stdin while
/// another reads the output. The client's own type: it never names the
/// server's side of a hijack.
pub struct Upgraded {
    pub reader: UpgradedReader,
    pub writer: UnixStream,
}

/// The outcome of `ClientConnection::upgrade`.
pub enum Upgrade {
    /// Both directions of the stream.
    Switched(Upgraded),
    /// The status of an answer that did not switch.
    Refused(u16),
}

pub struct ClientConnection<S = UnixStream> {
    reader: BufReader<S>,
    writer: S,
}

/// A response head and its body reader, which borrows the connection.
pub struct ClientResponse<'c, S = UnixStream> {
    pub status: u16,
    pub headers: Headers,
    pub body: BodyReader<&'c mut BufReader<S>>,
}

/// A response head and its body reader, which owns the connection: for a
/// body read to its end and then dropped with the connection.
pub struct OwnedResponse<S> {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: BodyReader<BufReader<S>>,
}

/// The parts of a response head: status, reason, headers, body framing.
type ResponseHead = (u16, String, Headers, wire::BodyFraming);

impl<S: ClientStream> ClientResponse<'_, S> {
    pub fn read_body(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        self.body.read_to_end(&mut body)?;
        Ok(body)
    }
}

impl<S: ClientStream> ClientConnection<S> {
    pub fn from_stream(stream: S) -> io::Result<ClientConnection<S>> {
        Ok(ClientConnection {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
        })
    }

    /// Sends a request without a body and hands back the response with
    /// the connection inside its body reader.
    pub fn into_response(
        mut self,
        method: &str,
        target: &str,
        headers: &Headers,
    ) -> Result<OwnedResponse<S>, WireError> {
        self.send_head(method, target, headers, b"")?;
        let (status, reason, headers, framing) = self.read_response_head(method)?;
        Ok(OwnedResponse {
            status,
            reason,
            headers,
            body: BodyReader::new(self.reader, framing),
        })
    }

    /// Sends a request with a fixed body (Content-Length is set here) and
    /// reads the response head. The previous response's body must have been
    /// read to its end.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<ClientResponse<'_, S>, WireError> {
        self.send_head(method, target, headers, body)?;
        self.read_response(method)
    }

    fn send_head(
        &mut self,
        method: &str,
        target: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<(), WireError> {
        let mut headers = headers.clone();
        if !headers.contains("Host") {
            headers.set("Host", "docker");
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT") {
            headers.set("Content-Length", body.len().to_string());
        }
        let mut message = Vec::with_capacity(256 + body.len());
        write_request_head(&mut message, method, target, &headers)?;
        message.extend_from_slice(body);
        self.writer.write_all(&message)?;
        Ok(())
    }

    /// Sends a request whose body is streamed from `body` with chunked
    /// transfer-encoding, then reads the response head.
    pub fn request_streaming(
        &mut self,
        method: &str,
        target: &str,
        headers: &Headers,
        body: &mut impl Read,
    ) -> Result<ClientResponse<'_, S>, WireError> {
        let mut headers = headers.clone();
        if !headers.contains("Host") {
            headers.set("Host", "docker");
        }
        headers.set("Transfer-Encoding", "chunked");
        write_request_head(&mut self.writer, method, target, &headers)?;
        let mut chunked = wire::ChunkedWriter::new(&mut self.writer);
        let sent = io::copy(body, &mut chunked).and_then(|_| chunked.finish().map(|_| ()));
        match sent {
            Ok(()) => self.read_response(method),
            // A server may answer (a 404, say) and close before reading the
            // body; its answer is the one to report.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                self.read_response(method).map_err(|_| WireError::Io(e))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn read_response(&mut self, method: &str) -> Result<ClientResponse<'_, S>, WireError> {
        let (status, _reason, headers, framing) = self.read_response_head(method)?;
        Ok(ClientResponse {
            status,
            headers,
            body: BodyReader::new(&mut self.reader, framing),
        })
    }

    fn read_response_head(&mut self, method: &str) -> Result<ResponseHead, WireError> {
        loop {
            let bytes = wire::read_head(&mut self.reader)?;
            let mut raw = [httparse::EMPTY_HEADER; wire::MAX_HEADERS];
            let mut response = httparse::Response::new(&mut raw);
            if response
                .parse(&bytes)
                .map_err(wire::map_parse_error)?
                .is_partial()
            {
                return Err(WireError::Malformed("incomplete response head".into()));
            }
            let status = response.code.unwrap_or_default();
            // 100 Continue is informational: the real answer follows.
            if status == 100 {
                continue;
            }
            let headers = wire::collect_headers(response.headers)?;
            let framing = wire::response_framing(method, status, &headers)?;
            let reason = response.reason.unwrap_or_default().to_string();
            return Ok((status, reason, headers, framing));
        }
    }
}

impl ClientConnection<UnixStream> {
    /// Sends a request asking for `Upgrade: tcp` and, when the server answers
    /// 101 (or 200, for servers that stream raw without upgrading), returns
    /// both directions of the connection; any other answer is `Refused`.
    pub fn upgrade(
        mut self,
        method: &str,
        target: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Upgrade, WireError> {
        let mut headers = headers.clone();
        headers.set("Connection", "Upgrade");
        headers.set("Upgrade", "tcp");
        let response = self.request(method, target, &headers, body)?;
        let status = response.status;
        if status != 101 && status != 200 {
            return Ok(Upgrade::Refused(status));
        }
        drop(response);
        let buffered = self.reader.buffer().to_vec();
        self.reader.consume(buffered.len());
        let stream = self.reader.into_inner();
        Ok(Upgrade::Switched(Upgraded {
            reader: UpgradedReader::new(buffered, stream),
            writer: self.writer,
        }))
    }
}
