//! How the distribution client reaches registries and token servers: one
//! request, one answer, behind a trait so that the auth flow can be tested
//! against a recorded exchange. The daemon's transport is `http::fetch`,
//! with the TLS settings of the endpoint it reaches.

use crate::http::Headers;
use crate::http::fetch;
use crate::http::tls::TlsClient;
use std::io::{Cursor, Read};

/// One request: Go's `http.Request` as far as a registry needs it.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a Headers,
    pub body: &'a [u8],
}

/// An answer whose body may still be on the wire (a layer blob).
pub struct Answer {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Box<dyn Read + Send>,
}

impl Answer {
    /// The status line as Go's `Response.Status` has it: `404 Not Found`.
    pub fn status_text(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }

    /// The Content-Length, when the server gave one.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get("Content-Length")
            .and_then(|v| v.trim().parse().ok())
    }

    /// At most `limit` bytes of the body; a read error ends it early, as
    /// an error answer's body is only ever worded, not trusted.
    pub fn read_up_to(&mut self, limit: u64) -> Vec<u8> {
        let mut body = Vec::new();
        let _ = (&mut self.body).take(limit).read_to_end(&mut body);
        body
    }

    /// Every value of header `name` (`WWW-Authenticate` may come twice).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .collect()
    }
}

pub trait Transport: Send + Sync {
    /// Sends `request`; `Err` is why no answer came (Go's `*url.Error`
    /// reason, without the method and URL).
    fn exchange(&self, request: &Request<'_>) -> Result<Answer, String>;
}

/// The daemon's transport: `GET`s follow redirects (blobs are often
/// served elsewhere) and stream their body; other methods are read whole.
pub struct Http {
    pub user_agent: String,
    /// For every `https` hop, redirects and token servers included, as
    /// Go's transport has one TLS config per registry endpoint.
    pub tls: TlsClient,
}

impl Http {
    pub fn new(tls: TlsClient) -> Http {
        Http {
            user_agent: format!("dockbox/{}", crate::version::VERSION),
            tls,
        }
    }
}

impl Transport for Http {
    fn exchange(&self, request: &Request<'_>) -> Result<Answer, String> {
        if request.method == "GET" {
            let fetched =
                fetch::get_with_headers(request.url, &self.user_agent, request.headers, &self.tls)
                    .map_err(|error| error.reason)?;
            let response = fetched.response;
            return Ok(Answer {
                status: response.status,
                reason: response.reason,
                headers: response.headers,
                body: Box::new(response.body),
            });
        }
        let answer = fetch::send(
            request.method,
            request.url,
            &self.user_agent,
            request.headers,
            request.body,
            &self.tls,
        )
        .map_err(|error| error.reason)?;
        Ok(Answer {
            status: answer.status,
            reason: reason_phrase(answer.status).to_string(),
            headers: answer.headers,
            body: Box::new(Cursor::new(answer.body)),
        })
    }
}

/// Go's `http.StatusText` for the statuses a registry answers with.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Requested Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}
