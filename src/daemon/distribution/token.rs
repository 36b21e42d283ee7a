//! Bearer tokens from a registry's token server, as distribution's client
//! asks for them: `GET realm?account=&scope=&service=` with Basic
//! credentials (or none), or, with an identity token, an OAuth2
//! `refresh_token` grant `POST`ed to the realm. Tokens are cached for the
//! daemon's life, keyed by registry, realm, service, scope and
//! credentials, until they expire.

use super::auth::Credentials;
use super::errcode::{Failure, failure_of};
use super::transport::{Request, Transport};
use crate::gofmt::url::{encode_values, parse_query};
use crate::http::Headers;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// distribution's `minimumTokenLifetimeSeconds`: shorter lives (or none
/// given) count as 60 seconds.
const MINIMUM_LIFETIME: u64 = 60;
/// The `client_id` Docker's client names itself with.
const CLIENT_ID: &str = "docker";
/// A token answer larger than this is refused.
const MAX_TOKEN_ANSWER: u64 = 1 << 20;
/// The cache drops expired entries once it holds this many.
const CACHE_SWEEP_AT: usize = 256;

/// What to ask a token server for.
pub struct TokenRequest<'a> {
    pub realm: &'a str,
    pub service: &'a str,
    pub scopes: &'a [String],
    pub credentials: Option<&'a Credentials>,
    /// A login's request: a refresh token is asked for.
    pub offline: bool,
}

/// A token and when it stops being good.
#[derive(Debug)]
pub struct Token {
    pub token: String,
    pub expires: SystemTime,
    pub refresh_token: Option<String>,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    issued_at: String,
}

/// Asks the token server; a failure is worded as moby shows it.
pub fn fetch(transport: &dyn Transport, request: &TokenRequest<'_>) -> Result<Token, Failure> {
    let refresh = request
        .credentials
        .map(|c| c.identity_token.as_str())
        .filter(|t| !t.is_empty());
    let (method, url, headers, body) = match refresh {
        Some(refresh) => refresh_grant(request, refresh),
        None => basic_request(request),
    };
    let failed = |reason: String| Failure {
        error: None,
        text: format!(
            "{} {}: {reason}",
            go_method(method),
            crate::gofmt::quote::go_quote(&url)
        ),
    };
    let mut answer = transport
        .exchange(&Request {
            method,
            url: &url,
            headers: &headers,
            body: body.as_bytes(),
        })
        .map_err(failed)?;
    if answer.status != 200 {
        return Err(failure_of(&mut answer));
    }
    let bytes = answer.read_up_to(MAX_TOKEN_ANSWER);
    let parsed: TokenAnswer = serde_json::from_slice(&bytes)
        .map_err(|e| failed(format!("unable to decode token response: {e}")))?;
    let token = if parsed.access_token.is_empty() {
        parsed.token
    } else {
        parsed.access_token
    };
    if token.is_empty() {
        return Err(Failure {
            error: None,
            text: "authorization server did not include a token in the response".into(),
        });
    }
    let issued = crate::gofmt::time::parse_rfc3339(&parsed.issued_at)
        .and_then(|t| u64::try_from(t.seconds).ok())
        .map_or_else(SystemTime::now, |s| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(s)
        });
    let lifetime = parsed.expires_in.max(MINIMUM_LIFETIME);
    Ok(Token {
        token,
        expires: issued + Duration::from_secs(lifetime),
        refresh_token: Some(parsed.refresh_token).filter(|t| !t.is_empty()),
    })
}

/// Go's method names in its `*url.Error`: `Get`, `Post`.
fn go_method(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

type Prepared = (&'static str, String, Headers, String);

/// `GET realm?…`: the realm's own query kept, all sorted as Go encodes.
fn basic_request(request: &TokenRequest<'_>) -> Prepared {
    let (base, query) = request.realm.split_once('?').unwrap_or((request.realm, ""));
    let mut pairs = parse_query(query);
    let mut headers = Headers::new();
    if request.offline {
        pairs.push(("offline_token".into(), "true".into()));
        pairs.push(("client_id".into(), CLIENT_ID.into()));
    }
    if let Some(credentials) = request.credentials
        && let (Some((user, _)), Some(header)) =
            (credentials.basic_pair(), credentials.basic_header())
    {
        pairs.push(("account".into(), user.to_string()));
        headers.set("Authorization", header);
    }
    for scope in request.scopes {
        pairs.push(("scope".into(), scope.clone()));
    }
    if !request.service.is_empty() {
        pairs.push(("service".into(), request.service.to_string()));
    }
    let url = format!("{base}?{}", encode_values(&pairs));
    (
        "GET",
        url.trim_end_matches('?').to_string(),
        headers,
        String::new(),
    )
}

/// The OAuth2 `refresh_token` grant, a form `POST`ed to the realm.
fn refresh_grant(request: &TokenRequest<'_>, refresh: &str) -> Prepared {
    let pairs = [
        ("scope".to_string(), request.scopes.join(" ")),
        ("service".to_string(), request.service.to_string()),
        ("client_id".to_string(), CLIENT_ID.to_string()),
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".to_string(), refresh.to_string()),
    ];
    let mut headers = Headers::new();
    headers.set(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );
    (
        "POST",
        request.realm.to_string(),
        headers,
        encode_values(&pairs),
    )
}

/// What a cached token was issued for.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct TokenKey {
    pub registry: String,
    pub realm: String,
    pub service: String,
    pub scope: String,
    /// A digest of the credentials, empty for anonymous tokens.
    pub credentials: String,
}

/// Tokens by what they were issued for, each until it expires.
#[derive(Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<TokenKey, (String, SystemTime)>>,
}

impl TokenCache {
    /// The daemon's cache, shared by every pull and push.
    pub fn shared() -> &'static TokenCache {
        static SHARED: OnceLock<TokenCache> = OnceLock::new();
        SHARED.get_or_init(TokenCache::default)
    }

    /// A token still good now.
    pub fn get(&self, key: &TokenKey) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        let (token, expires) = entries.get(key)?;
        (SystemTime::now() < *expires).then(|| token.clone())
    }

    pub fn put(&self, key: TokenKey, token: &str, expires: SystemTime) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CACHE_SWEEP_AT {
            let now = SystemTime::now();
            entries.retain(|_, (_, expires)| now < *expires);
        }
        if entries.len() < CACHE_SWEEP_AT {
            entries.insert(key, (token.to_string(), expires));
        }
    }

    pub fn forget(&self, key: &TokenKey) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_requests_are_formed_as_distributions_client_forms_them() {
        let credentials = Credentials {
            username: "u".into(),
            password: "p".into(),
            ..Credentials::default()
        };
        let scopes = ["repository:a/b:push,pull".to_string()];
        let request = TokenRequest {
            realm: "http://t/token?z=1&a=2",
            service: "reg",
            scopes: &scopes,
            credentials: Some(&credentials),
            offline: true,
        };
        let (method, url, headers, body) = basic_request(&request);
        assert_eq!(method, "GET");
        assert_eq!(
            url,
            "http://t/token?a=2&account=u&client_id=docker&offline_token=true&scope=repository%3Aa%2Fb%3Apush%2Cpull&service=reg&z=1"
        );
        assert_eq!(headers.get("Authorization"), Some("Basic dTpw"));
        assert!(body.is_empty());
        // No service, no scope, no credentials: the bare realm.
        let bare = TokenRequest {
            realm: "http://t/token",
            service: "",
            scopes: &[],
            credentials: None,
            offline: false,
        };
        assert_eq!(basic_request(&bare).1, "http://t/token");
        // A password alone is not sent (distribution wants both halves).
        let half = Credentials {
            password: "p".into(),
            ..Credentials::default()
        };
        let request = TokenRequest {
            credentials: Some(&half),
            ..bare
        };
        assert_eq!(basic_request(&request).2.get("Authorization"), None);
    }

    #[test]
    fn the_cache_keeps_tokens_until_they_expire() {
        let cache = TokenCache::default();
        let key = |scope: &str| TokenKey {
            registry: "r".into(),
            realm: "t".into(),
            service: "s".into(),
            scope: scope.into(),
            credentials: String::new(),
        };
        let later = SystemTime::now() + Duration::from_secs(60);
        cache.put(key("a"), "A", later);
        cache.put(key("old"), "O", SystemTime::now() - Duration::from_secs(1));
        assert_eq!(cache.get(&key("a")).as_deref(), Some("A"));
        assert_eq!(cache.get(&key("old")), None);
        assert_eq!(cache.get(&key("b")), None);
        cache.forget(&key("a"));
        assert_eq!(cache.get(&key("a")), None);
        for n in 0..CACHE_SWEEP_AT + 10 {
            cache.put(key(&n.to_string()), "x", later);
        }
        assert_eq!(cache.entries.lock().unwrap().len(), CACHE_SWEEP_AT);
    }
}
