//! `GET` of an `http://` or `https://` URL over TCP, following redirects
//! as Go's `http.Get` does (at most 10), with Go's error wording so the
//! daemon's messages read like moby's. TLS is `tls.rs`; the caller says
//! which certificates it trusts.

use super::client::{ClientConnection, ClientStream, OwnedResponse};
use super::tls::{TlsClient, TlsStream};
use super::wire::{Headers, WireError};
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// Go's `http.Client` stops at the 10th redirect.
pub const MAX_REDIRECTS: usize = 10;
/// Go's default transport gives up connecting after 30 seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed `GET`, worded as Go's `*url.Error`: `Get "URL": reason`.
#[derive(Debug, thiserror::Error)]
#[error("Get \"{url}\": {reason}")]
pub struct FetchError {
    pub url: String,
    pub reason: String,
}

/// An `http://` or `https://` URL split into what a request needs.
#[derive(Debug, PartialEq)]
pub struct HttpUrl {
    pub https: bool,
    /// `host` or `host:port`, as the Host header carries it.
    pub authority: String,
    pub host: String,
    pub port: u16,
    /// The path and query, at least `/`.
    pub target: String,
}

impl HttpUrl {
    /// Parses an absolute `http` or `https` URL.
    pub fn parse(url: &str) -> Result<HttpUrl, String> {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err("unsupported protocol scheme \"\"".into());
        };
        let https = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            other => return Err(format!("unsupported protocol scheme \"{other}\"")),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let mut target = rest[end..].split('#').next().unwrap_or("").to_string();
        if !target.starts_with('/') {
            target.insert(0, '/');
        }
        if authority.contains('@') {
            return Err("user names and passwords in URLs are not supported by dockbox".into());
        }
        if authority.is_empty() {
            return Err("http: no Host in request URL".into());
        }
        let (host, port) = split_host_port(authority, if https { 443 } else { 80 })?;
        Ok(HttpUrl {
            https,
            authority: authority.to_string(),
            host,
            port,
            target,
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("invalid host {authority:?}"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(port) => port
            .parse()
            .map_err(|_| format!("invalid port \":{port}\" after host"))?,
    };
    Ok((host.to_string(), port))
}

/// Resolves `location` (absolute, scheme-relative, absolute path or
/// relative path) against the URL it came from.
fn resolve(base: &str, base_url: &HttpUrl, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let scheme = base.split("://").next().unwrap_or("http");
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let joined = if location.starts_with('/') {
        location.to_string()
    } else {
        let path = base_url.target.split('?').next().unwrap_or("/");
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{location}")
    };
    format!(
        "{scheme}://{}{}",
        base_url.authority,
        remove_dot_segments(&joined)
    )
}

/// RFC 3986's dot-segment removal on an absolute path (its query kept).
fn remove_dot_segments(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    kept.push("");
                }
            }
            ".." => {
                kept.pop();
                if last {
                    kept.push("");
                }
            }
            other => kept.push(other),
        }
    }
    let mut out = format!("/{}", kept.join("/"));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Go's lower-case wording of an errno (`connection refused`), or of a
/// TLS error that came through the stream.
pub(super) fn errno_text(error: &io::Error) -> String {
    if let Some(text) = super::tls::io_error_text(error) {
        return text;
    }
    match error.raw_os_error() {
        Some(code) => lower_first(nix::errno::Errno::from_raw(code).desc()),
        None if error.kind() == io::ErrorKind::TimedOut => "i/o timeout".into(),
        None => error.to_string(),
    }
}

/// The addresses of `host`: an IP literal, or the names of /etc/hosts.
/// glibc's resolver is not an option in a static binary (it loads the
/// host's NSS modules at run time, which may not match the libc we were
/// linked with), and dockbox has no DNS client of its own yet.
pub fn host_addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let hosts = std::fs::read_to_string(HOSTS_FILE).unwrap_or_default();
    let found = addresses_in_hosts(&hosts, host, port);
    if found.is_empty() {
        return Err(format!(
            "dial tcp: lookup {host}: no such host (dockbox resolves names through {HOSTS_FILE} only; it has no DNS client yet)"
        ));
    }
    Ok(found)
}

const HOSTS_FILE: &str = "/etc/hosts";

/// `text` with its first letter in lower case, as Go's messages start.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Every address that `hosts` (the /etc/hosts format) gives `name`, in
/// file order; names match without regard to case.
fn addresses_in_hosts(hosts: &str, name: &str, port: u16) -> Vec<SocketAddr> {
    hosts
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let ip = fields.next()?.parse::<IpAddr>().ok()?;
            fields
                .any(|alias| alias.eq_ignore_ascii_case(name))
                .then_some(SocketAddr::new(ip, port))
        })
        .collect()
}

/// A connection to a server: TCP, or TLS over TCP.
pub enum Stream {
    Plain(TcpStream),
    Tls(TlsStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(stream) => stream.read(buf),
            Stream::Tls(stream) => stream.read(buf),
        }
    }
}

impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(stream) => stream.write(buf),
            Stream::Tls(stream) => stream.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(stream) => stream.flush(),
            Stream::Tls(stream) => stream.flush(),
        }
    }
}

impl ClientStream for Stream {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            Stream::Plain(stream) => Stream::Plain(stream.try_clone()?),
            Stream::Tls(stream) => Stream::Tls(stream.try_clone()?),
        })
    }
}

/// Connects to the URL's server, with a TLS handshake (trusting what
/// `tls` trusts) for `https`.
fn connect(url: &str, parsed: &HttpUrl, tls: &TlsClient) -> Result<Stream, FetchError> {
    let tcp = connect_tcp(url, parsed)?;
    if !parsed.https {
        return Ok(Stream::Plain(tcp));
    }
    tls.connect(&parsed.host, tcp)
        .map(Stream::Tls)
        .map_err(|reason| FetchError {
            url: url.to_string(),
            reason,
        })
}

fn connect_tcp(url: &str, parsed: &HttpUrl) -> Result<TcpStream, FetchError> {
    let fail = |reason: String| FetchError {
        url: url.to_string(),
        reason,
    };
    let addresses = host_addresses(&parsed.host, parsed.port).map_err(fail)?;
    let mut last = None;
    for address in &addresses {
        match TcpStream::connect_timeout(address, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => {
                let reason = if error.kind() == io::ErrorKind::TimedOut {
                    format!("dial tcp {address}: i/o timeout")
                } else {
                    format!("dial tcp {address}: connect: {}", errno_text(&error))
                };
                last = Some(reason);
            }
        }
    }
    match last {
        Some(reason) => Err(fail(reason)),
        None => Err(fail(format!(
            "dial tcp: lookup {}: no such host",
            parsed.host
        ))),
    }
}

/// The response at the end of the redirects.
pub struct Fetched {
    pub response: OwnedResponse<Stream>,
}

impl Fetched {
    /// The status line as Go's `Response.Status` has it: `404 Not Found`.
    pub fn status_text(&self) -> String {
        format!("{} {}", self.response.status, self.response.reason)
    }

    /// The Content-Length, when the server gave one.
    pub fn content_length(&self) -> Option<u64> {
        self.response
            .headers
            .get("Content-Length")
            .and_then(|v| v.trim().parse().ok())
    }
}

/// `GET url`, following up to `MAX_REDIRECTS` redirects; any final
/// status is returned for the caller to judge. `https` servers are
/// verified against the host's roots.
pub fn get(url: &str, user_agent: &str) -> Result<Fetched, FetchError> {
    get_with_headers(url, user_agent, &Headers::new(), &TlsClient::system())
}

/// `GET url` as [`get`] does, with `extra` headers (a registry's
/// `Accept` and `Authorization`) on the first request; a redirect to
/// another host does not carry them, as Go's client drops credentials.
/// `tls` is used for every `https` hop, as Go's transport has one config.
pub fn get_with_headers(
    url: &str,
    user_agent: &str,
    extra: &Headers,
    tls: &TlsClient,
) -> Result<Fetched, FetchError> {
    let first_authority = HttpUrl::parse(url).map(|u| u.authority).ok();
    let mut url = url.to_string();
    let mut redirects = 0;
    loop {
        let parsed = HttpUrl::parse(&url).map_err(|reason| FetchError {
            url: url.clone(),
            reason,
        })?;
        let stream = connect(&url, &parsed, tls)?;
        let wire_error = |error: WireError| FetchError {
            url: url.clone(),
            reason: match error {
                WireError::Io(error) => errno_text(&error),
                other => other.to_string(),
            },
        };
        let connection = ClientConnection::from_stream(stream).map_err(|e| wire_error(e.into()))?;
        let mut headers = if Some(&parsed.authority) == first_authority.as_ref() {
            extra.clone()
        } else {
            Headers::new()
        };
        headers.set("Host", parsed.authority.clone());
        headers.set("User-Agent", user_agent);
        headers.set("Connection", "close");
        let mut response = connection
            .into_response("GET", &parsed.target, &headers)
            .map_err(wire_error)?;
        let location = response.headers.get("Location").map(str::to_string);
        let redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
        match location {
            Some(location) if redirect => {
                let next = resolve(&url, &parsed, &location);
                // Go drains a little of the body so the connection could be
                // reused; this one closes, so the body is left unread.
                let _ = (&mut response.body)
                    .take(2 << 10)
                    .read_to_end(&mut Vec::new());
                redirects += 1;
                if redirects >= MAX_REDIRECTS {
                    // Go names the Location as it came, unresolved.
                    return Err(FetchError {
                        url: location,
                        reason: format!("stopped after {MAX_REDIRECTS} redirects"),
                    });
                }
                url = next;
            }
            _ => return Ok(Fetched { response }),
        }
    }
}

/// A response read whole: status, headers, body.
pub struct Exchanged {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// One request with a fixed body to an `http(s)://` URL, no redirects
/// followed (a registry's upload answers with `Location`), the answer
/// read whole: for the small answers of a registry's push API.
pub fn send(
    method: &str,
    url: &str,
    user_agent: &str,
    extra: &Headers,
    body: &[u8],
    tls: &TlsClient,
) -> Result<Exchanged, FetchError> {
    let fail = |reason: String| FetchError {
        url: url.to_string(),
        reason,
    };
    let parsed = HttpUrl::parse(url).map_err(fail)?;
    let stream = connect(url, &parsed, tls)?;
    let wire_error = |error: WireError| match error {
        WireError::Io(error) => fail(errno_text(&error)),
        other => fail(other.to_string()),
    };
    let mut connection = ClientConnection::from_stream(stream).map_err(|e| wire_error(e.into()))?;
    let mut headers = extra.clone();
    headers.set("Host", parsed.authority.clone());
    headers.set("User-Agent", user_agent);
    headers.set("Connection", "close");
    headers.set("Content-Length", body.len().to_string());
    let mut response = connection
        .request(method, &parsed.target, &headers, body)
        .map_err(wire_error)?;
    let status = response.status;
    let headers = response.headers.clone();
    let body = response.read_body().map_err(|e| wire_error(e.into()))?;
    Ok(Exchanged {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_resolve_through_hosts_lines_and_literals_directly() {
        let hosts = "127.0.0.1 localhost\n# 10.0.0.9 commented\n::1 localhost ip6-localhost\n10.1.2.3 Files.Example files # web\n";
        let found = |name| {
            super::addresses_in_hosts(hosts, name, 80)
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(found("localhost"), ["127.0.0.1:80", "[::1]:80"]);
        assert_eq!(found("files.example"), ["10.1.2.3:80"]);
        assert!(found("commented").is_empty());
        assert_eq!(
            super::host_addresses("[::1]", 8080).unwrap()[0].to_string(),
            "[::1]:8080"
        );
        assert!(
            super::host_addresses("no-such-host.invalid", 80)
                .unwrap_err()
                .contains("no such host")
        );
    }

    use super::*;

    #[test]
    fn parses_http_urls_and_refuses_others() {
        let url = HttpUrl::parse("http://127.0.0.1:8080/a/b.tar?x=1#frag").unwrap();
        assert_eq!(
            url,
            HttpUrl {
                https: false,
                authority: "127.0.0.1:8080".into(),
                host: "127.0.0.1".into(),
                port: 8080,
                target: "/a/b.tar?x=1".into(),
            }
        );
        let url = HttpUrl::parse("http://[::1]/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert_eq!(HttpUrl::parse("http://h").unwrap().target, "/");
        let url = HttpUrl::parse("HTTPS://h/x").unwrap();
        assert_eq!((url.https, url.port), (true, 443));
        assert_eq!(HttpUrl::parse("https://h:5000/").unwrap().port, 5000);
        assert_eq!(
            HttpUrl::parse("ftp://h/x").unwrap_err(),
            "unsupported protocol scheme \"ftp\""
        );
        assert!(HttpUrl::parse("http://h:port/").is_err());
    }

    #[test]
    fn resolves_redirect_locations() {
        let base = "http://h:1/dir/file?q";
        let url = HttpUrl::parse(base).unwrap();
        assert_eq!(resolve(base, &url, "http://o/x"), "http://o/x");
        assert_eq!(resolve(base, &url, "/top"), "http://h:1/top");
        assert_eq!(resolve(base, &url, "other"), "http://h:1/dir/other");
        assert_eq!(resolve(base, &url, "//o:2/y"), "http://o:2/y");
        assert_eq!(
            resolve(base, &url, "../up.tar?v=1"),
            "http://h:1/up.tar?v=1"
        );
        assert_eq!(resolve(base, &url, "./same/"), "http://h:1/dir/same/");
        assert_eq!(resolve(base, &url, "/a/b/../../../c"), "http://h:1/c");
        assert_eq!(resolve(base, &url, ".."), "http://h:1/");
    }
}
