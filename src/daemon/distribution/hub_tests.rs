//! The whole Docker Hub flow against recorded exchanges, no network: the
//! ping's Bearer challenge, the token request exactly as Docker forms it,
//! the manifest with its `Authorization`, the shared cache, the retry on
//! 401, the OAuth2 refresh grant and `POST /auth`'s login.

use super::login::{login_at, login_domain};
use super::token::TokenCache;
use super::transport::{Answer, Request, Transport};
use super::{Access, Credentials, Repository};
use crate::api::ErrorKind;
use crate::http::Headers;
use crate::image::Reference;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Docker Hub's distribution API, where `docker.io` references go.
const HUB: &str = "https://registry-1.docker.io";

#[test]
fn docker_io_is_reached_at_the_hubs_api_host() {
    let endpoints = super::endpoint::Registries::default()
        .endpoints("docker.io")
        .unwrap();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].base, HUB);
}
const CHALLENGE: &str =
    r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#;
const PULL_TOKEN: &str = "https://auth.docker.io/token?scope=repository%3Alibrary%2Fbusybox%3Apull&service=registry.docker.io";
const MANIFEST: &str = "https://registry-1.docker.io/v2/library/busybox/manifests/latest";
const MANIFEST_BODY: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;

/// One recorded exchange: the request expected and the answer given.
struct Step {
    method: &'static str,
    url: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn step(method: &'static str, url: &str, status: u16, body: &str) -> Step {
    Step {
        method,
        url: url.to_string(),
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

fn challenged(url: &str, challenge: &str) -> Step {
    Step {
        headers: vec![("WWW-Authenticate", challenge.to_string())],
        ..step("GET", url, 401, "")
    }
}

/// What a request carried.
#[derive(Debug)]
struct Seen {
    authorization: Option<String>,
    body: String,
}

#[derive(Default)]
struct Recorded {
    script: Mutex<VecDeque<Step>>,
    seen: Mutex<Vec<Seen>>,
}

impl Recorded {
    fn new(steps: Vec<Step>) -> Arc<Recorded> {
        Arc::new(Recorded {
            script: Mutex::new(steps.into()),
            seen: Mutex::default(),
        })
    }

    fn then(&self, steps: Vec<Step>) {
        self.script.lock().unwrap().extend(steps);
    }

    fn seen(&self) -> Vec<Seen> {
        std::mem::take(&mut self.seen.lock().unwrap())
    }

    fn finished(&self) {
        assert!(self.script.lock().unwrap().is_empty(), "requests not made");
    }
}

impl Transport for Recorded {
    fn exchange(&self, request: &Request<'_>) -> Result<Answer, String> {
        let step = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected {} {}", request.method, request.url));
        assert_eq!(
            (request.method, request.url),
            (step.method, step.url.as_str())
        );
        self.seen.lock().unwrap().push(Seen {
            authorization: request.headers.get("Authorization").map(str::to_string),
            body: String::from_utf8_lossy(request.body).to_string(),
        });
        let mut headers = Headers::new();
        for (name, value) in step.headers {
            headers.add(name, value);
        }
        Ok(Answer {
            status: step.status,
            reason: super::transport::reason_phrase(step.status).to_string(),
            headers,
            body: Box::new(std::io::Cursor::new(step.body.into_bytes())),
        })
    }
}

/// The API base a login's server address names (Hub's for none).
fn hub_of(server_address: &str) -> String {
    match login_domain(server_address).as_str() {
        "docker.io" => HUB.to_string(),
        // The plain-http endpoint of a loopback (insecure) registry.
        domain if domain.starts_with("127.") => format!("http://{domain}"),
        domain => format!("https://{domain}"),
    }
}

fn cache() -> &'static TokenCache {
    Box::leak(Box::default())
}

fn token_answer(token: &str, issued_at: &str) -> String {
    format!(
        r#"{{"token":"{token}","access_token":"{token}","expires_in":300,"issued_at":"{issued_at}"}}"#
    )
}

fn now() -> String {
    crate::gofmt::time::rfc3339(std::time::SystemTime::now())
}

fn busybox() -> Reference {
    Reference::parse_normalized("busybox:latest").unwrap()
}

fn hub(
    transport: &Arc<Recorded>,
    credentials: Option<Credentials>,
    access: Access,
    tokens: &'static TokenCache,
) -> Repository {
    let transport: Arc<dyn Transport> = transport.clone();
    Repository::at(
        HUB,
        "library/busybox",
        credentials,
        access,
        transport,
        tokens,
    )
}

#[test]
fn an_anonymous_hub_pull_asks_for_a_token_once_and_sends_it() {
    let tokens = cache();
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", PULL_TOKEN, 200, &token_answer("T1", &now())),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
    ]);
    let mut repository = hub(&transport, None, Access::Pull, tokens);
    repository.ping().unwrap();
    let manifest = repository.manifest("latest", &busybox()).unwrap();
    assert_eq!(manifest.bytes, MANIFEST_BODY.as_bytes());
    let seen = transport.seen();
    assert_eq!(seen[1].authorization, None, "anonymous token request");
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer T1"));
    // A second pull in the same daemon reuses the cached token.
    transport.then(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
    ]);
    let mut again = hub(&transport, None, Access::Pull, tokens);
    again.ping().unwrap();
    again.manifest("latest", &busybox()).unwrap();
    assert_eq!(
        transport.seen()[1].authorization.as_deref(),
        Some("Bearer T1")
    );
    transport.finished();
}

#[test]
fn credentials_go_to_the_token_server_and_a_refused_token_is_renewed_once() {
    let tokens = cache();
    let credentials = Credentials {
        username: "user".into(),
        password: "pass".into(),
        ..Credentials::default()
    };
    let with_account = "https://auth.docker.io/token?account=user&scope=repository%3Alibrary%2Fbusybox%3Apull&service=registry.docker.io";
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", with_account, 200, &token_answer("T1", &now())),
        challenged(MANIFEST, CHALLENGE),
        step("GET", with_account, 200, &token_answer("T2", &now())),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
    ]);
    let mut repository = hub(&transport, Some(credentials.clone()), Access::Pull, tokens);
    repository.ping().unwrap();
    repository.manifest("latest", &busybox()).unwrap();
    let seen = transport.seen();
    assert_eq!(seen[1].authorization.as_deref(), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer T1"));
    assert_eq!(seen[4].authorization.as_deref(), Some("Bearer T2"));
    transport.finished();
    // The renewed token replaced the refused one; anonymous pulls do not
    // get the user's token.
    transport.then(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", PULL_TOKEN, 200, &token_answer("anonymous", &now())),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
    ]);
    let mut same = hub(&transport, Some(credentials), Access::Pull, tokens);
    same.ping().unwrap();
    same.manifest("latest", &busybox()).unwrap();
    let mut anonymous = hub(&transport, None, Access::Pull, tokens);
    anonymous.ping().unwrap();
    anonymous.manifest("latest", &busybox()).unwrap();
    let seen = transport.seen();
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer T2"));
    assert_eq!(seen[4].authorization.as_deref(), Some("Bearer anonymous"));
    transport.finished();
}

#[test]
fn expired_tokens_are_not_reused() {
    let tokens = cache();
    let old = r#"{"token":"OLD","expires_in":30,"issued_at":"2020-01-01T00:00:00Z"}"#;
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", PULL_TOKEN, 200, old),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", PULL_TOKEN, 200, &token_answer("NEW", &now())),
        step("GET", MANIFEST, 200, MANIFEST_BODY),
    ]);
    for _ in 0..2 {
        let mut repository = hub(&transport, None, Access::Pull, tokens);
        repository.ping().unwrap();
        repository.manifest("latest", &busybox()).unwrap();
    }
    let seen = transport.seen();
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer OLD"));
    assert_eq!(seen[5].authorization.as_deref(), Some("Bearer NEW"));
    transport.finished();
}

#[test]
fn an_identity_token_is_exchanged_by_the_refresh_token_grant() {
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step(
            "POST",
            "https://auth.docker.io/token",
            200,
            r#"{"access_token":"A1","expires_in":300}"#,
        ),
        step(
            "HEAD",
            &format!("{HUB}/v2/library/busybox/blobs/sha256:{}", "a".repeat(64)),
            404,
            "",
        ),
    ]);
    let credentials = Credentials {
        username: "user".into(),
        identity_token: "R1".into(),
        ..Credentials::default()
    };
    let mut repository = hub(&transport, Some(credentials), Access::Push, cache());
    repository.ping().unwrap();
    let digest = crate::image::Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
    assert!(!repository.has_blob(&digest).unwrap());
    let seen = transport.seen();
    assert_eq!(
        seen[1].body,
        "client_id=docker&grant_type=refresh_token&refresh_token=R1&scope=repository%3Alibrary%2Fbusybox%3Apush%2Cpull&service=registry.docker.io"
    );
    assert_eq!(seen[1].authorization, None);
    assert_eq!(seen[2].authorization.as_deref(), Some("Bearer A1"));
    transport.finished();
}

#[test]
fn a_denied_pull_and_a_refused_token_read_as_dockerd_says_them() {
    let denied = format!(
        "{CHALLENGE},scope=\"repository:library/busybox:pull\",error=\"insufficient_scope\""
    );
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step("GET", PULL_TOKEN, 200, &token_answer("T1", &now())),
        challenged(MANIFEST, &denied),
        step("GET", PULL_TOKEN, 200, &token_answer("T2", &now())),
        challenged(MANIFEST, &denied),
    ]);
    let mut repository = hub(&transport, None, Access::Pull, cache());
    repository.ping().unwrap();
    let error = repository.manifest("latest", &busybox()).err().unwrap();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(
        error.message,
        "pull access denied for busybox, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    );
    transport.finished();

    let wrong = Credentials {
        username: "user".into(),
        password: "wrong".into(),
        ..Credentials::default()
    };
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step(
            "GET",
            "https://auth.docker.io/token?account=user&scope=repository%3Alibrary%2Fbusybox%3Apull&service=registry.docker.io",
            401,
            r#"{"details":"incorrect username or password"}"#,
        ),
    ]);
    let mut repository = hub(&transport, Some(wrong), Access::Pull, cache());
    repository.ping().unwrap();
    let error = repository.manifest("latest", &busybox()).err().unwrap();
    assert_eq!(error.kind, ErrorKind::Internal);
    assert_eq!(
        error.message,
        format!("Head \"{MANIFEST}\": unauthorized: incorrect username or password")
    );
    transport.finished();
}

#[test]
fn a_hub_login_asks_for_an_offline_token_and_returns_its_refresh_token() {
    let login_token = "https://auth.docker.io/token?account=user&client_id=docker&offline_token=true&service=registry.docker.io";
    let ok = Credentials {
        username: "user".into(),
        password: "pass".into(),
        ..Credentials::default()
    };
    let transport = Recorded::new(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step(
            "GET",
            login_token,
            200,
            r#"{"token":"L1","refresh_token":"R9"}"#,
        ),
        step("GET", &format!("{HUB}/v2/"), 200, "{}"),
    ]);
    let identity = login_at(transport.as_ref(), &hub_of(""), Some(ok.clone()), cache()).unwrap();
    assert_eq!(identity, "R9");
    assert_eq!(
        transport.seen()[2].authorization.as_deref(),
        Some("Bearer L1")
    );
    transport.finished();

    transport.then(vec![
        challenged(&format!("{HUB}/v2/"), CHALLENGE),
        step(
            "GET",
            login_token,
            401,
            r#"{"details":"incorrect username or password"}"#,
        ),
    ]);
    let hub = hub_of("https://index.docker.io/v1/");
    let error = login_at(transport.as_ref(), &hub, Some(ok), cache()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unauthorized);
    assert_eq!(
        error.message,
        "Get \"https://registry-1.docker.io/v2/\": unauthorized: incorrect username or password"
    );
    transport.finished();
}

#[test]
fn a_basic_registry_login_is_judged_by_its_second_answer() {
    let base = "http://127.0.0.1:5000/v2/";
    let basic = r#"Basic realm="test""#;
    let wrong = Credentials {
        username: "u".into(),
        password: "p".into(),
        ..Credentials::default()
    };
    let transport = Recorded::new(vec![challenged(base, basic), challenged(base, basic)]);
    let error = login_at(
        transport.as_ref(),
        &hub_of("127.0.0.1:5000"),
        Some(wrong),
        cache(),
    )
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Internal);
    assert_eq!(
        error.message,
        "login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized"
    );
    assert_eq!(
        transport.seen()[1].authorization.as_deref(),
        Some("Basic dTpw")
    );
    transport.then(vec![challenged(base, basic)]);
    let error = login_at(
        transport.as_ref(),
        &hub_of("http://127.0.0.1:5000"),
        None,
        cache(),
    )
    .unwrap_err();
    assert_eq!(
        error.message,
        "Get \"http://127.0.0.1:5000/v2/\": no basic auth credentials"
    );
    transport.finished();
}
