//! `docker login`'s check (moby's `loginV2`): `GET /v2/` unauthorized,
//! then again with what the registry's challenge asks for (a token fetched
//! with the credentials and `offline_token`, or Basic auth). A 200 is a
//! login; the token server's refusal is a 401; anything else a 500 in
//! moby's words.

use super::auth::{Authorizer, Credentials};
use super::endpoint::Registries;
use super::endpoint_transports;
use super::token::TokenCache;
use super::transport::{Request, Transport, reason_phrase};
use crate::api::{ApiError, ErrorKind};
use crate::gofmt::quote::go_quote;
use crate::http::Headers;

/// The registry host of a login's `serveraddress` (moby reads it as a
/// URL, `https://` assumed): empty and Docker Hub's names are Hub's.
pub(super) fn login_domain(server_address: &str) -> String {
    let rest = server_address
        .strip_prefix("https://")
        .or_else(|| server_address.strip_prefix("http://"))
        .unwrap_or(server_address);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    match host {
        "" | "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        host => host.to_string(),
    }
}

/// Checks `credentials` against the registry at `server_address`; the
/// identity token to keep (empty when the registry gave none). Of the
/// registry's endpoints (an insecure one has https, then http), the first
/// whose `/v2/` answers at all is the one checked, as moby's login loop
/// falls back only when an endpoint cannot be reached.
pub fn login(
    server_address: &str,
    credentials: Option<Credentials>,
    registries: &Registries,
) -> Result<String, ApiError> {
    let mut endpoints = endpoint_transports(registries, &login_domain(server_address))?;
    let (last_base, last_transport) = endpoints.pop().expect("a registry has an endpoint");
    for (base, transport) in endpoints {
        if answers(transport.as_ref(), &base) {
            return login_at(transport.as_ref(), &base, credentials, TokenCache::shared());
        }
    }
    login_at(
        last_transport.as_ref(),
        &last_base,
        credentials,
        TokenCache::shared(),
    )
}

/// Whether `GET base/v2/` gets any answer (a 401 is one).
fn answers(transport: &dyn Transport, base: &str) -> bool {
    let url = format!("{base}/v2/");
    transport
        .exchange(&Request {
            method: "GET",
            url: &url,
            headers: &Headers::new(),
            body: b"",
        })
        .is_ok()
}

/// The login against the registry API at `base` (`http://host:port`).
pub fn login_at(
    transport: &dyn Transport,
    base: &str,
    credentials: Option<Credentials>,
    tokens: &'static TokenCache,
) -> Result<String, ApiError> {
    let url = format!("{base}/v2/");
    let get = |headers: &Headers| {
        transport
            .exchange(&Request {
                method: "GET",
                url: &url,
                headers,
                body: b"",
            })
            .map_err(|reason| ApiError::internal(format!("Get {}: {reason}", go_quote(&url))))
    };
    let mut answer = get(&Headers::new())?;
    let mut auth = Authorizer::for_login(base, credentials, tokens);
    if answer.status == 401 {
        auth.challenged_by(&answer);
        let authorization = auth.authorization(transport, false).map_err(|failure| {
            let text = format!("Get {}: {}", go_quote(&url), failure.text);
            match failure.code() {
                Some("UNAUTHORIZED") => ApiError::new(ErrorKind::Unauthorized, text),
                _ => ApiError::internal(text),
            }
        })?;
        let mut headers = Headers::new();
        if let Some(value) = authorization {
            headers.set("Authorization", value);
        }
        answer = get(&headers)?;
    }
    if answer.status == 200 {
        return Ok(auth.identity_token());
    }
    Err(ApiError::internal(format!(
        "login attempt to {url} failed with status: {} {}",
        answer.status,
        reason_phrase(answer.status)
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_addresses_name_their_registry() {
        for (address, domain) in [
            ("", "docker.io"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("index.docker.io", "docker.io"),
            ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
            ("localhost:5000", "localhost:5000"),
            ("https://[::1]:5000/v2/", "[::1]:5000"),
        ] {
            assert_eq!(super::login_domain(address), domain, "{address}");
        }
    }
}
