//! The distribution API's client side, for pulls and pushes: which
//! registry serves a reference and how to reach it (`endpoint`: https
//! first, plain http only for insecure registries), the `/v2/` ping and
//! its challenges (`auth`, `token`), manifests and blobs, each request
//! authorized and retried once with a new token when the registry refuses
//! it.

pub mod auth;
pub mod endpoint;
pub mod errcode;
mod login;
pub mod manifest;
pub mod token;
pub mod transport;

pub use auth::{Access, Credentials};
pub use login::login;

use crate::api::ApiError;
use crate::http::Headers;
use crate::image::{Digest, Reference};
use auth::Authorizer;
use endpoint::Registries;
use errcode::{Failure, failure_of};
use std::io::Read;
use std::sync::Arc;
use token::TokenCache;
use transport::{Answer, Request, Transport};

/// Manifests larger than this are refused (moby's limit is 4 MiB).
const MAX_MANIFEST: u64 = 4 << 20;

/// One repository on one registry.
pub struct Repository {
    /// `http://127.0.0.1:5000`.
    base: String,
    /// `library/busybox`.
    path: String,
    transport: Arc<dyn Transport>,
    auth: Authorizer,
    /// Further endpoints (base URL and transport) the ping tries, in
    /// order, when `base` gives no answer at all: an insecure registry's
    /// `http` after its unverified `https`, as moby's endpoint loop.
    fallbacks: Vec<Reachable>,
}

/// Manifest bytes and what the registry said about them.
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// `Docker-Content-Digest`, when sent.
    pub digest_header: Option<String>,
}

/// Why a request got no answer to judge: the transport failed or the
/// credentials could not be turned into an `Authorization`.
struct Unsent(String);

impl Unsent {
    /// Go's `*url.Error`: `Head "URL": reason`.
    fn worded(&self, method: &str, url: &str) -> String {
        format!(
            "{method} {}: {}",
            crate::gofmt::quote::go_quote(url),
            self.0
        )
    }
}

/// A registry endpoint's base URL and the transport that reaches it.
pub type Reachable = (String, Arc<dyn Transport>);

/// The endpoints dockerd tries for `domain`, each with the transport that
/// reaches it (its TLS settings: certs.d, or none for an insecure one).
pub fn endpoint_transports(
    registries: &Registries,
    domain: &str,
) -> Result<Vec<Reachable>, ApiError> {
    let endpoints = registries.endpoints(domain).map_err(ApiError::internal)?;
    Ok(endpoints
        .into_iter()
        .map(|endpoint| {
            let transport: Arc<dyn Transport> = Arc::new(transport::Http::new(endpoint.tls));
            (endpoint.base, transport)
        })
        .collect())
}

impl Repository {
    pub fn of(
        reference: &Reference,
        credentials: Option<Credentials>,
        access: Access,
        registries: &Registries,
    ) -> Result<Repository, ApiError> {
        let mut endpoints = endpoint_transports(registries, reference.domain())?;
        let (base, transport) = endpoints.remove(0);
        let mut repository = Repository::at(
            &base,
            &reference.path(),
            credentials,
            access,
            transport,
            TokenCache::shared(),
        );
        repository.fallbacks = endpoints;
        Ok(repository)
    }

    /// The repository `path` at `base`, reached through `transport`.
    pub fn at(
        base: &str,
        path: &str,
        credentials: Option<Credentials>,
        access: Access,
        transport: Arc<dyn Transport>,
        tokens: &'static TokenCache,
    ) -> Repository {
        Repository {
            base: base.to_string(),
            path: path.to_string(),
            transport,
            auth: Authorizer::new(base, credentials, vec![access.scope(path)], tokens),
            fallbacks: Vec::new(),
        }
    }

    /// `library/busybox`, as moby's "Pulling from" names it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// One authorized request; a 401 to a Bearer token is retried once
    /// with a new token (the cached one may have been revoked).
    fn request(
        &self,
        method: &str,
        url: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Answer, Unsent> {
        let mut renew = false;
        loop {
            let mut headers = headers.clone();
            let authorization = self
                .auth
                .authorization(self.transport.as_ref(), renew)
                .map_err(|failure| Unsent(failure.text))?;
            if let Some(value) = authorization {
                headers.set("Authorization", value);
            }
            let request = Request {
                method,
                url,
                headers: &headers,
                body,
            };
            let answer = self.transport.exchange(&request).map_err(Unsent)?;
            if answer.status == 401 && !renew && self.auth.uses_token() {
                renew = true;
                continue;
            }
            return Ok(answer);
        }
    }

    /// `GET /v2/`: the registry speaks the distribution API; a 401 names
    /// the challenges later requests answer.
    pub fn ping(&mut self) -> Result<(), ApiError> {
        let url = format!("{}/v2/", self.base);
        let request = Request {
            method: "GET",
            url: &url,
            headers: &Headers::new(),
            body: b"",
        };
        let mut answer = match self.transport.exchange(&request) {
            Ok(answer) => answer,
            Err(_) if !self.fallbacks.is_empty() => {
                let (base, transport) = self.fallbacks.remove(0);
                self.auth.set_registry(&base);
                self.base = base;
                self.transport = transport;
                return self.ping();
            }
            Err(reason) => return Err(ApiError::internal(Unsent(reason).worded("Get", &url))),
        };
        match answer.status {
            200..=299 => Ok(()),
            401 => {
                self.auth.challenged_by(&answer);
                Ok(())
            }
            _ => Err(ApiError::internal(format!(
                "error pinging registry {url}: {}",
                failure_of(&mut answer).text
            ))),
        }
    }

    /// `GET /v2/<path>/manifests/<tag or digest>`; a refusal is worded
    /// as moby's pull words it for `reference`.
    pub fn manifest(
        &self,
        tag_or_digest: &str,
        reference: &Reference,
    ) -> Result<FetchedManifest, ApiError> {
        let url = format!("{}/v2/{}/manifests/{tag_or_digest}", self.base, self.path);
        let mut headers = Headers::new();
        headers.set("Accept", manifest::accept_header());
        // moby asks for a tag with a HEAD first, so its errors say Head.
        let shown = if Digest::parse(tag_or_digest).is_ok() {
            "Get"
        } else {
            "Head"
        };
        let mut answer = self
            .request("GET", &url, &headers, b"")
            .map_err(|unsent| ApiError::internal(unsent.worded(shown, &url)))?;
        if answer.status != 200 {
            return Err(pull_error(failure_of(&mut answer), reference));
        }
        let content_type = answer.headers.get("Content-Type").unwrap_or("").to_string();
        let digest_header = answer
            .headers
            .get("Docker-Content-Digest")
            .map(str::to_string);
        let mut bytes = Vec::new();
        (&mut answer.body)
            .take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ApiError::internal(format!("read manifest {url}: {e}")))?;
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(ApiError::internal(format!(
                "manifest {url} is larger than {MAX_MANIFEST} bytes"
            )));
        }
        Ok(FetchedManifest {
            bytes,
            content_type,
            digest_header,
        })
    }

    /// `GET /v2/<path>/blobs/<digest>`, its body not yet read.
    pub fn blob(&self, digest: &Digest) -> Result<Answer, ApiError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.path);
        let mut answer = self
            .request("GET", &url, &Headers::new(), b"")
            .map_err(|unsent| ApiError::internal(unsent.worded("Get", &url)))?;
        if answer.status != 200 {
            return Err(ApiError::internal(format!(
                "fetch blob {url}: {}",
                failure_of(&mut answer).text
            )));
        }
        Ok(answer)
    }
}

/// moby's `TranslatePullError`: a denial or an unknown manifest or
/// repository is a 404 in its words; anything else a 500 as worded.
fn pull_error(failure: Failure, reference: &Reference) -> ApiError {
    let text = failure.text.clone();
    match failure.code() {
        Some("DENIED") => ApiError::not_found(format!(
            "pull access denied for {}, repository does not exist or may require 'docker login': {text}",
            reference.familiar_name()
        )),
        Some("MANIFEST_UNKNOWN") => ApiError::not_found(format!(
            "manifest for {} not found: {text}",
            reference.familiar()
        )),
        Some("NAME_UNKNOWN") => ApiError::not_found(format!(
            "repository {} not found: {text}",
            reference.familiar_name()
        )),
        _ => ApiError::internal(text),
    }
}

/// The push side: moby's push shows a failed request's cause alone (it
/// unwraps Go's `*url.Error`), so these errors are the bare reasons.
impl Repository {
    fn send(
        &self,
        method: &str,
        url: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<Answer, ApiError> {
        self.request(method, url, headers, body)
            .map_err(|unsent| ApiError::internal(unsent.0))
    }

    /// `HEAD /v2/<path>/blobs/<digest>`: whether the registry has it.
    pub fn has_blob(&self, digest: &Digest) -> Result<bool, ApiError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.path);
        let mut answer = self.send("HEAD", &url, &Headers::new(), b"")?;
        match answer.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(ApiError::internal(failure_of(&mut answer).text)),
        }
    }

    /// A monolithic upload: `POST .../blobs/uploads/` opens a session,
    /// `PUT <Location>&digest=` sends the bytes; the registry checks them.
    pub fn upload_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<(), ApiError> {
        let url = format!("{}/v2/{}/blobs/uploads/", self.base, self.path);
        let mut opened = self.send("POST", &url, &Headers::new(), b"")?;
        let location = match (opened.status, opened.headers.get("Location")) {
            (202, Some(location)) => location.to_string(),
            _ => return Err(ApiError::internal(failure_of(&mut opened).text)),
        };
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{separator}digest={digest}");
        let mut headers = Headers::new();
        headers.set("Content-Type", "application/octet-stream");
        let mut put = self.send("PUT", &put_url, &headers, bytes)?;
        if put.status != 201 {
            return Err(ApiError::internal(failure_of(&mut put).text));
        }
        Ok(())
    }

    /// `PUT /v2/<path>/manifests/<tag>` with the manifest's media type.
    pub fn put_manifest(&self, tag: &str, media_type: &str, bytes: &[u8]) -> Result<(), ApiError> {
        let url = format!("{}/v2/{}/manifests/{tag}", self.base, self.path);
        let mut headers = Headers::new();
        headers.set("Content-Type", media_type);
        let mut put = self.send("PUT", &url, &headers, bytes)?;
        if put.status != 201 {
            return Err(ApiError::internal(failure_of(&mut put).text));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "hub_tests.rs"]
mod hub_tests;

#[cfg(test)]
mod tests {
    use super::Registries;

    #[test]
    fn endpoints_become_transports_in_order() {
        let registries = Registries::new(&["10.1.2.3:5000".to_string()]).unwrap();
        let bases: Vec<String> = super::endpoint_transports(&registries, "10.1.2.3:5000")
            .unwrap()
            .into_iter()
            .map(|(base, _)| base)
            .collect();
        assert_eq!(bases, ["https://10.1.2.3:5000", "http://10.1.2.3:5000"]);
    }
}
