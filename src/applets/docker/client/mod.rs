//! The connection to the daemon as the Docker CLI makes it: the host from
//! `-H`, `DOCKER_HOST` or the default socket, the API version from
//! `DOCKER_API_VERSION` or negotiated through `/_ping`, and daemon errors
//! turned into the CLI's messages.

pub mod config;
pub mod credentials;

use crate::api::types::ErrorResponse;
use crate::http::client::Upgrade;
use crate::http::client::Upgraded;
use crate::http::wire::{BodyReader, WireError};
use crate::http::{ClientConnection, Headers};
use crate::version::DOCKER_COMPAT_VERSION;
use serde_json::Value as Json;
use std::io::{BufReader, Read};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// The version the CLI starts negotiating from.
pub const CLIENT_API_VERSION: &str = "1.50";
const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// What a command ends with when it fails: the text for stderr (printed
/// as is, with a newline) and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Where the daemon is and how to talk to it.
#[derive(Clone)]
pub struct Endpoint {
    /// The host as the user wrote it, for messages (`unix:///x/sock`).
    pub host: String,
    pub socket: PathBuf,
    /// `DOCKER_API_VERSION`: no negotiation.
    pub fixed_version: Option<String>,
    pub context: String,
}

/// Resolves the endpoint from `-H`, `--context`, `DOCKER_HOST`,
/// `DOCKER_CONTEXT` and the config's `currentContext`.
pub fn resolve_endpoint(
    hosts: &[&str],
    context_flag: Option<&str>,
    config: &config::Config,
) -> Result<Endpoint, Failure> {
    if hosts.len() > 1 {
        return Err(endpoint_error("Specify only one -H"));
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let context = context_flag
        .map(str::to_string)
        .or_else(|| {
            (hosts.is_empty() && env("DOCKER_HOST").is_none())
                .then(|| env("DOCKER_CONTEXT").or_else(|| config.current_context.clone()))
                .flatten()
        })
        .unwrap_or_else(|| "default".into());
    if context != "default" {
        return Err(Failure::new(
            1,
            format!(
                "context {context:?}: only the \"default\" context is supported by dockbox's client"
            ),
        ));
    }
    if context_flag.is_some() && !hosts.is_empty() {
        return Err(Failure::new(
            1,
            "conflicting options: cannot specify both --host and --context",
        ));
    }
    let host = hosts
        .first()
        .map(|h| h.to_string())
        .or_else(|| env("DOCKER_HOST"))
        .unwrap_or_else(|| DEFAULT_SOCKET.into());
    let socket = parse_host(&host).map_err(|f| endpoint_error(f.message))?;
    Ok(Endpoint {
        host,
        socket,
        fixed_version: env("DOCKER_API_VERSION"),
        context,
    })
}

/// How the CLI reports a host it cannot use.
fn endpoint_error(why: impl std::fmt::Display) -> Failure {
    Failure::new(
        1,
        format!("Failed to initialize: unable to resolve docker endpoint: {why}"),
    )
}

/// The socket path of a `unix://` host.
fn parse_host(host: &str) -> Result<PathBuf, Failure> {
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(Failure::new(
                1,
                format!("invalid host {host:?}: no socket path"),
            ));
        }
        return Ok(PathBuf::from(path));
    }
    if host.starts_with("tcp://") || host.starts_with("ssh://") || host.starts_with("npipe://") {
        let scheme = host.split("://").next().unwrap_or_default();
        return Err(Failure::new(
            1,
            format!(
                "{scheme}:// hosts are not supported yet by dockbox's client ({host}); use unix://"
            ),
        ));
    }
    if host.starts_with('/') {
        return Ok(PathBuf::from(host));
    }
    Err(Failure::new(
        1,
        format!("unable to parse docker host `{host}`"),
    ))
}

/// A response read to its end.
pub struct Reply {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as raw JSON, for what `--format` and `inspect` show as
    /// the daemon sent it.
    pub fn json(&self) -> Result<Json, Failure> {
        self.decode()
    }

    /// The body read into one of the API's types.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        crate::api::body::from_json_slice(&self.body)
            .map_err(|e| Failure::new(1, format!("error decoding daemon response: {e}")))
    }
}

/// A response whose body is read as it arrives (progress streams, save).
pub struct Streaming<'c> {
    pub headers: Headers,
    pub body: BodyReader<&'c mut BufReader<UnixStream>>,
}

pub struct Client {
    pub endpoint: Endpoint,
    connection: Option<ClientConnection>,
    /// The connection carried a streamed answer: the daemon closes it
    /// after the stream, so the next request opens a new one.
    after_stream: bool,
    version: Option<String>,
}

impl Client {
    pub fn new(endpoint: Endpoint) -> Client {
        Client {
            version: endpoint.fixed_version.clone(),
            endpoint,
            connection: None,
            after_stream: false,
        }
    }

    /// A client on a connection of its own with the version this one
    /// negotiated, for requests made side by side (stop, stats).
    pub fn another(&mut self) -> Client {
        let version = self.api_version();
        Client {
            version: Some(version),
            endpoint: self.endpoint.clone(),
            connection: None,
            after_stream: false,
        }
    }

    fn cannot_connect(&self) -> Failure {
        Failure::new(
            1,
            format!(
                "Cannot connect to the Docker daemon at {}. Is the docker daemon running?",
                self.endpoint.host
            ),
        )
    }

    fn wire_failure(&self, error: WireError) -> Failure {
        match error {
            WireError::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                self.cannot_connect()
            }
            other => Failure::new(1, format!("error during connect: {other}")),
        }
    }

    fn connection(&mut self) -> Result<&mut ClientConnection, Failure> {
        self.connection_for(false)
    }

    /// The connection for a request, a new one after a stream; `streaming`
    /// marks this one as carrying a stream.
    fn connection_for(&mut self, streaming: bool) -> Result<&mut ClientConnection, Failure> {
        if std::mem::replace(&mut self.after_stream, streaming) {
            self.connection = None;
        }
        if self.connection.is_none() {
            let stream = match UnixStream::connect(&self.endpoint.socket) {
                Ok(stream) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Err(Failure::new(
                        1,
                        format!(
                            "permission denied while trying to connect to the Docker daemon socket at {}: {e}",
                            self.endpoint.host
                        ),
                    ));
                }
                Err(_) => return Err(self.cannot_connect()),
            };
            let connection = ClientConnection::from_stream(stream)
                .map_err(|e| Failure::new(1, format!("error during connect: {e}")))?;
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    /// The API version to use, negotiated on first use as the CLI does:
    /// `HEAD /_ping`, `GET /_ping` when that fails, then the lower of ours
    /// and the daemon's `Api-Version` (1.24 when it sends none). A daemon
    /// that cannot be reached leaves ours, and the request then fails.
    pub fn api_version(&mut self) -> String {
        if let Some(version) = &self.version {
            return version.clone();
        }
        let negotiated = self.ping_version();
        let version = match negotiated {
            Some(server) if version_less(&server, CLIENT_API_VERSION) => server,
            Some(_) => CLIENT_API_VERSION.to_string(),
            None => return CLIENT_API_VERSION.to_string(),
        };
        self.version = Some(version.clone());
        version
    }

    /// Like `api_version`, but an unreachable daemon is an error.
    pub fn api_version_checked(&mut self) -> Result<String, Failure> {
        self.connection()?;
        Ok(self.api_version())
    }

    /// The headers of `HEAD /_ping`, or `None` when the daemon does not
    /// answer (the help texts then list every command).
    pub fn ping_headers(&mut self) -> Option<Headers> {
        let connection = self.connection().ok()?;
        let mut response = connection
            .request("HEAD", "/_ping", &client_headers(), &[])
            .ok()?;
        let headers = response.headers.clone();
        response.read_body().ok()?;
        Some(headers)
    }

    fn ping_version(&mut self) -> Option<String> {
        for method in ["HEAD", "GET"] {
            let connection = self.connection().ok()?;
            let Ok(mut response) = connection.request(method, "/_ping", &client_headers(), &[])
            else {
                // A failed HEAD may have left the connection unusable.
                self.connection = None;
                continue;
            };
            let status = response.status;
            let header = response.headers.get("Api-Version").map(str::to_string);
            if response.read_body().is_err() {
                self.connection = None;
            }
            if method == "HEAD" && status != 200 && status != 500 {
                continue;
            }
            return Some(header.unwrap_or_else(|| "1.24".into()));
        }
        None
    }

    fn target(&mut self, path: &str) -> String {
        format!("/v{}{path}", self.api_version())
    }

    /// Another client on the same daemon with the version already
    /// negotiated, for requests that run beside a stream (wait, kill,
    /// resize).
    pub fn fork(&mut self) -> Client {
        let version = self.api_version();
        Client {
            endpoint: Endpoint {
                host: self.endpoint.host.clone(),
                socket: self.endpoint.socket.clone(),
                fixed_version: self.endpoint.fixed_version.clone(),
                context: self.endpoint.context.clone(),
            },
            connection: None,
            after_stream: false,
            version: Some(version),
        }
    }

    /// `POST path` on a connection of its own, upgraded to a raw stream
    /// (attach). An answer other than 101 (or 200) fails as the Go client
    /// reports it.
    pub fn hijack(&mut self, path: &str) -> Result<Upgraded, Failure> {
        self.hijack_with(path, &Headers::new(), &[])
    }

    /// As [`Client::hijack`], with a body (`POST /exec/{id}/start`'s).
    pub fn hijack_with(
        &mut self,
        path: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Upgraded, Failure> {
        let target = self.target(path);
        let stream =
            UnixStream::connect(&self.endpoint.socket).map_err(|_| self.cannot_connect())?;
        let connection = ClientConnection::from_stream(stream)
            .map_err(|e| Failure::new(1, format!("error during connect: {e}")))?;
        match connection.upgrade("POST", &target, &with_client_headers(headers), body) {
            Ok(Upgrade::Switched(hijacked)) => Ok(hijacked),
            Ok(Upgrade::Refused(status)) => Err(Failure::new(
                1,
                format!("unable to upgrade to tcp, received {status}"),
            )),
            Err(error) => Err(self.wire_failure(error)),
        }
    }

    /// Sends a request and reads the whole answer, whatever its status.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Reply, Failure> {
        let target = self.target(path);
        let mut headers = with_client_headers(headers);
        if !body.is_empty() && !headers.contains("Content-Type") {
            headers.set("Content-Type", "application/json");
        }
        let result = {
            let connection = self.connection()?;
            connection
                .request(method, &target, &headers, body)
                .and_then(|mut response| {
                    let body = response.read_body()?;
                    Ok(Reply {
                        status: response.status,
                        headers: response.headers.clone(),
                        body,
                    })
                })
        };
        let reply = result.map_err(|e| {
            self.connection = None;
            self.wire_failure(e)
        })?;
        // A streamed answer (wait, logs) ends the connection.
        if reply
            .headers
            .get("Connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"))
        {
            self.connection = None;
        }
        Ok(reply)
    }

    /// Like `send`, but any status from 400 up is the daemon's error.
    pub fn call(&mut self, method: &str, path: &str, body: &[u8]) -> Result<Reply, Failure> {
        let reply = self.send(method, path, &Headers::new(), body)?;
        if reply.status >= 400 {
            return Err(daemon_error(&reply));
        }
        Ok(reply)
    }

    /// `GET` of a JSON document.
    pub fn get_json(&mut self, path: &str) -> Result<Json, Failure> {
        self.call("GET", path, &[])?.json()
    }

    /// `GET path` read into one of the API's types.
    pub fn get<T: serde::de::DeserializeOwned>(&mut self, path: &str) -> Result<T, Failure> {
        self.call("GET", path, &[])?.decode()
    }

    /// Sends a request whose body streams from `body` (chunked, or empty
    /// when `None`) and hands back the answer with its body unread. Error
    /// statuses are read and returned as the daemon's error.
    pub fn stream(
        &mut self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<&mut dyn Read>,
    ) -> Result<Streaming<'_>, Failure> {
        let target = self.target(path);
        let headers = with_client_headers(headers);
        let host = self.endpoint.host.clone();
        let connection = self.connection_for(true)?;
        let response = match body {
            Some(mut body) => connection.request_streaming(method, &target, &headers, &mut body),
            None => connection.request(method, &target, &headers, &[]),
        };
        let mut response = response.map_err(|e| match e {
            WireError::Io(ref io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                Failure::new(
                    1,
                    format!(
                        "Cannot connect to the Docker daemon at {host}. Is the docker daemon running?"
                    ),
                )
            }
            other => Failure::new(1, format!("error during connect: {other}")),
        })?;
        if response.status >= 400 {
            let body = response.read_body().unwrap_or_default();
            return Err(daemon_error(&Reply {
                status: response.status,
                headers: response.headers.clone(),
                body,
            }));
        }
        Ok(Streaming {
            headers: response.headers.clone(),
            body: response.body,
        })
    }
}

/// The daemon's message of an error answer, as the Go client reads it.
pub fn error_message(reply: &Reply) -> String {
    let json = reply
        .headers
        .get("Content-Type")
        .is_some_and(|t| t.starts_with("application/json"));
    // The Go client trims the message (moby's "predefined ... network "
    // ends in a space).
    if json && let Ok(error) = crate::api::body::from_json_slice::<ErrorResponse>(&reply.body) {
        return error.message.trim().to_string();
    }
    let text = String::from_utf8_lossy(&reply.body).trim().to_string();
    if text.is_empty() {
        format!(
            "{} {}",
            reply.status,
            crate::http::wire::reason_phrase(reply.status)
        )
    } else {
        text
    }
}

pub fn daemon_error(reply: &Reply) -> Failure {
    Failure::new(
        1,
        format!("Error response from daemon: {}", error_message(reply)),
    )
}

fn client_headers() -> Headers {
    let mut headers = Headers::new();
    headers.set(
        "User-Agent",
        format!("Docker-Client/{DOCKER_COMPAT_VERSION} (linux)"),
    );
    headers
}

fn with_client_headers(extra: &Headers) -> Headers {
    let mut headers = client_headers();
    for (name, value) in extra.iter() {
        headers.set(name, value);
    }
    headers
}

/// Go's `versions.LessThan` on dotted numbers.
pub fn version_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            parse_host("unix:///run/x.sock").unwrap(),
            PathBuf::from("/run/x.sock")
        );
        let tcp = parse_host("tcp://127.0.0.1:2375").unwrap_err();
        assert!(tcp.message.contains("not supported yet"), "{}", tcp.message);
        assert!(parse_host("bogus").is_err());
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_less("1.9", "1.10"));
        assert!(version_less("1.41", "1.50"));
        assert!(!version_less("1.50", "1.50"));
        assert!(!version_less("1.51", "1.50"));
    }
}
