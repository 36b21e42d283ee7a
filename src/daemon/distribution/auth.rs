//! Who the daemon is to a registry: the credentials from `X-Registry-Auth`
//! (or `POST /auth`'s body), the challenges of the registry's `/v2/` ping
//! (`WWW-Authenticate`), and the `Authorization` each request then
//! carries: a Bearer token from the challenge's realm (cached, see
//! `token`) or Basic credentials, as distribution's client authorizes.

use super::errcode::Failure;
use super::token::{self, TokenCache, TokenKey, TokenRequest};
use super::transport::{Answer, Transport};
use sha2::Digest as _;
use std::sync::Mutex;

/// A user name and password, or an identity token (an OAuth2 refresh
/// token a login returned), or a registry token to send as it is, from
/// the client's auth config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub identity_token: String,
    pub registry_token: String,
}

impl Credentials {
    /// `X-Registry-Auth`: base64url of the JSON auth config; `{}`, an
    /// empty header or one without credentials is anonymous. Like moby,
    /// an undecodable header is taken as no credentials.
    pub fn from_header(header: Option<&str>) -> Option<Credentials> {
        let bytes = crate::gofmt::base64::decode_any(header?)?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        Credentials::from_json(&json)
    }

    /// The credentials of an auth config (`username`, `password`,
    /// `identitytoken`, `registrytoken`), `None` when it has none.
    pub fn from_json(json: &serde_json::Value) -> Option<Credentials> {
        let text = |key: &str| json[key].as_str().unwrap_or("").to_string();
        let credentials = Credentials {
            username: text("username"),
            password: text("password"),
            identity_token: text("identitytoken"),
            registry_token: text("registrytoken"),
        };
        let some = [
            &credentials.username,
            &credentials.identity_token,
            &credentials.registry_token,
        ];
        some.iter().any(|t| !t.is_empty()).then_some(credentials)
    }

    /// A registry token given by the client, which moby sends as the
    /// Bearer token instead of asking a token server.
    fn registry_token(&self) -> Option<&str> {
        Some(self.registry_token.as_str()).filter(|t| !t.is_empty())
    }

    /// The pair for Basic auth: distribution sends one only when both
    /// halves are there.
    pub fn basic_pair(&self) -> Option<(&str, &str)> {
        (!self.username.is_empty() && !self.password.is_empty())
            .then_some((self.username.as_str(), self.password.as_str()))
    }

    /// `Basic base64(user:password)`.
    pub fn basic_header(&self) -> Option<String> {
        let (user, password) = self.basic_pair()?;
        let pair = format!("{user}:{password}");
        Some(format!(
            "Basic {}",
            crate::gofmt::base64::encode_standard(pair.as_bytes())
        ))
    }

    /// A digest that tells credentials apart in the token cache without
    /// keeping them there.
    fn fingerprint(&self) -> String {
        let mut hasher = sha2::Sha256::new();
        for part in [
            &self.username,
            &self.password,
            &self.identity_token,
            &self.registry_token,
        ] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One `WWW-Authenticate` challenge: its scheme in lower case and its
/// parameters (names in lower case).
#[derive(Clone, Debug, PartialEq)]
pub struct Challenge {
    pub scheme: String,
    parameters: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter's value, empty when absent.
    pub fn parameter(&self, name: &str) -> &str {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A token at the start of `text` and what follows it.
fn token(text: &str) -> (&str, &str) {
    let end = text.find(|c| !is_token_char(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// A quoted string (after its opening quote) with its escapes undone, and
/// what follows its closing quote; an unclosed one runs to the end.
fn quoted(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return (value, &text[at + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            c => value.push(c),
        }
    }
    (value, "")
}

/// Every challenge of the `WWW-Authenticate` values (RFC 7235): several
/// may share one value, parameters are `name=token` or `name="quoted"`,
/// separated by commas; what does not parse is skipped, never fatal.
pub fn parse_challenges(values: &[&str]) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    for value in values {
        let mut rest = *value;
        // Each value starts new challenges; parameters never carry over.
        let first = challenges.len();
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                break;
            }
            let (name, after) = token(rest);
            if name.is_empty() {
                let mut chars = rest.chars();
                chars.next();
                rest = chars.as_str();
                continue;
            }
            let spaced = after.trim_start_matches([' ', '\t']);
            match spaced.strip_prefix('=') {
                Some(value_text) if challenges.len() > first => {
                    let value_text = value_text.trim_start_matches([' ', '\t']);
                    let (value, next) = match value_text.strip_prefix('"') {
                        Some(inside) => quoted(inside),
                        // Leniently, a bare value runs to a comma or a
                        // space (a realm URL is not an RFC 7230 token).
                        None => {
                            let end = value_text
                                .find([',', ' ', '\t'])
                                .unwrap_or(value_text.len());
                            (value_text[..end].to_string(), &value_text[end..])
                        }
                    };
                    if let Some(challenge) = challenges.last_mut() {
                        challenge
                            .parameters
                            .push((name.to_ascii_lowercase(), value));
                    }
                    rest = next;
                }
                _ => {
                    challenges.push(Challenge {
                        scheme: name.to_ascii_lowercase(),
                        parameters: Vec::new(),
                    });
                    rest = after;
                }
            }
        }
    }
    challenges
}

/// What a repository is opened for: the token's scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Access {
    Pull,
    /// moby asks for `push,pull`, in that order.
    Push,
}

impl Access {
    pub fn scope(self, path: &str) -> String {
        let actions = match self {
            Access::Pull => "pull",
            Access::Push => "push,pull",
        };
        format!("repository:{path}:{actions}")
    }
}

/// The `Authorization` of a registry's requests, from its ping's
/// challenges: a Bearer challenge wins over Basic, as in distribution.
pub struct Authorizer {
    /// The registry's base URL, part of the token cache key.
    registry: String,
    challenges: Vec<Challenge>,
    credentials: Option<Credentials>,
    scopes: Vec<String>,
    /// A login asks for a refresh token (`offline_token`) and bypasses
    /// the cache, so that the credentials themselves are checked.
    login: bool,
    tokens: &'static TokenCache,
    /// A refresh token the token server returned (login's identity token).
    refresh_token: Mutex<Option<String>>,
}

impl Authorizer {
    pub fn new(
        registry: &str,
        credentials: Option<Credentials>,
        scopes: Vec<String>,
        tokens: &'static TokenCache,
    ) -> Authorizer {
        Authorizer {
            registry: registry.to_string(),
            challenges: Vec::new(),
            credentials,
            scopes,
            login: false,
            tokens,
            refresh_token: Mutex::new(None),
        }
    }

    /// The registry is reached at another endpoint (the ping fell back
    /// from https to http): its tokens are cached under that base.
    pub fn set_registry(&mut self, registry: &str) {
        self.registry = registry.to_string();
    }

    /// For `POST /auth`: no scope, a refresh token asked for, no cache.
    pub fn for_login(
        registry: &str,
        credentials: Option<Credentials>,
        tokens: &'static TokenCache,
    ) -> Authorizer {
        Authorizer {
            login: true,
            ..Authorizer::new(registry, credentials, Vec::new(), tokens)
        }
    }

    /// Records the challenges of a ping's 401.
    pub fn challenged_by(&mut self, answer: &Answer) {
        self.challenges = parse_challenges(&answer.header_values("WWW-Authenticate"));
    }

    fn bearer(&self) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.scheme == "bearer")
    }

    fn given_token(&self) -> Option<&str> {
        self.credentials
            .as_ref()
            .and_then(Credentials::registry_token)
    }

    /// Whether a 401 may be cured by a new token.
    pub fn uses_token(&self) -> bool {
        self.bearer().is_some() && self.given_token().is_none()
    }

    /// The refresh token a token server gave, else the identity token
    /// the credentials carried (what moby's login answers).
    pub fn identity_token(&self) -> String {
        let given = self.refresh_token.lock().ok().and_then(|t| t.clone());
        given.unwrap_or_else(|| {
            self.credentials
                .as_ref()
                .map(|c| c.identity_token.clone())
                .unwrap_or_default()
        })
    }

    /// The `Authorization` value for the next request, if any; `renew`
    /// forgets a cached token first (the registry refused it).
    pub fn authorization(
        &self,
        transport: &dyn Transport,
        renew: bool,
    ) -> Result<Option<String>, Failure> {
        if let Some(given) = self.given_token() {
            // moby's only handler then is this token's, for Bearer.
            let bearer = self.bearer().map(|_| format!("Bearer {given}"));
            return Ok(bearer);
        }
        if let Some(challenge) = self.bearer() {
            return self.bearer_token(transport, challenge, renew).map(Some);
        }
        if self.challenges.iter().any(|c| c.scheme == "basic") {
            return match self
                .credentials
                .as_ref()
                .and_then(Credentials::basic_header)
            {
                Some(header) => Ok(Some(header)),
                None => Err(Failure {
                    error: None,
                    text: "no basic auth credentials".into(),
                }),
            };
        }
        Ok(None)
    }

    fn bearer_token(
        &self,
        transport: &dyn Transport,
        challenge: &Challenge,
        renew: bool,
    ) -> Result<String, Failure> {
        let key = TokenKey {
            registry: self.registry.clone(),
            realm: challenge.parameter("realm").to_string(),
            service: challenge.parameter("service").to_string(),
            scope: self.scopes.join(" "),
            credentials: self
                .credentials
                .as_ref()
                .map(Credentials::fingerprint)
                .unwrap_or_default(),
        };
        if !self.login {
            if renew {
                self.tokens.forget(&key);
            } else if let Some(cached) = self.tokens.get(&key) {
                return Ok(format!("Bearer {cached}"));
            }
        }
        let request = TokenRequest {
            realm: &key.realm,
            service: &key.service,
            scopes: &self.scopes,
            credentials: self.credentials.as_ref(),
            offline: self.login,
        };
        let fetched = token::fetch(transport, &request)?;
        if let Some(refresh) = &fetched.refresh_token
            && let Ok(mut kept) = self.refresh_token.lock()
        {
            *kept = Some(refresh.clone());
        }
        if !self.login {
            self.tokens.put(key, &fetched.token, fetched.expires);
        }
        Ok(format!("Bearer {}", fetched.token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quotes_commas_and_several_schemes() {
        let hub = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#;
        let parsed = parse_challenges(&[hub]);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].scheme, "bearer");
        assert_eq!(parsed[0].parameter("realm"), "https://auth.docker.io/token");
        assert_eq!(parsed[0].parameter("service"), "registry.docker.io");
        assert_eq!(
            parsed[0].parameter("scope"),
            "repository:library/busybox:pull,push"
        );
        let two = r#"Basic realm="a \"quoted\" realm", BEARER Realm=http://t/token , service = s,error="insufficient_scope""#;
        let parsed = parse_challenges(&[two, "Negotiate", ""]);
        let schemes: Vec<&str> = parsed.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["basic", "bearer", "negotiate"]);
        assert_eq!(parsed[0].parameter("realm"), "a \"quoted\" realm");
        assert_eq!(parsed[1].parameter("realm"), "http://t/token");
        assert_eq!(parsed[1].parameter("service"), "s");
        assert_eq!(parsed[1].parameter("error"), "insufficient_scope");
        assert_eq!(parsed[1].parameter("missing"), "");
        // Garbage and an unclosed quote end the parse without a panic.
        let odd = parse_challenges(&[r#"=,"" Bearer realm="unclosed"#, "Basic ===, ;;"]);
        assert_eq!(odd[0].scheme, "bearer");
        assert_eq!(odd[0].parameter("realm"), "unclosed");
        assert_eq!(odd[1].scheme, "basic");
    }

    #[test]
    fn registry_auth_headers_as_the_cli_sends_them() {
        assert_eq!(Credentials::from_header(Some("e30=")), None);
        assert_eq!(Credentials::from_header(None), None);
        assert_eq!(Credentials::from_header(Some("!!")), None);
        let url = |json: &str| crate::gofmt::base64::encode_url(json.as_bytes());
        assert_eq!(
            Credentials::from_header(Some(&url(r#"{"username":"u","password":"p?>"}"#))),
            Some(Credentials {
                username: "u".into(),
                password: "p?>".into(),
                ..Credentials::default()
            })
        );
        let token = Credentials::from_header(Some(&url(r#"{"identitytoken":"r-1"}"#))).unwrap();
        assert_eq!(token.identity_token, "r-1");
        assert_eq!(token.basic_pair(), None);
        let given = Credentials::from_header(Some(&url(r#"{"registrytoken":"g"}"#))).unwrap();
        assert_eq!(given.registry_token, "g");
    }

    #[test]
    fn a_given_registry_token_answers_bearer_challenges_only() {
        struct Unreachable;
        impl Transport for Unreachable {
            fn exchange(&self, _: &super::super::transport::Request<'_>) -> Result<Answer, String> {
                Err("no token server is asked".into())
            }
        }
        let challenged = |challenge: &str| {
            let mut headers = crate::http::Headers::new();
            headers.add("WWW-Authenticate", challenge);
            Answer {
                status: 401,
                reason: String::new(),
                headers,
                body: Box::new(std::io::empty()),
            }
        };
        let given = Credentials {
            registry_token: "g".into(),
            ..Credentials::default()
        };
        let tokens: &'static TokenCache = Box::leak(Box::default());
        let mut auth = Authorizer::new("http://r", Some(given), vec![], tokens);
        auth.challenged_by(&challenged(r#"Bearer realm="http://t/token""#));
        assert_eq!(
            auth.authorization(&Unreachable, false).unwrap().as_deref(),
            Some("Bearer g")
        );
        assert!(!auth.uses_token());
        auth.challenged_by(&challenged(r#"Basic realm="r""#));
        assert_eq!(auth.authorization(&Unreachable, false).unwrap(), None);
    }
}
