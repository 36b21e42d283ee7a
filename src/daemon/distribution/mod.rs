//! The distribution API's client side, for pulls: which registry serves a
//! reference and how to reach it (`endpoint`), the `/v2/` ping, manifests
//! and blobs.

pub mod endpoint;
pub mod manifest;

use crate::api::{ApiError, ErrorKind};
use crate::http::Headers;
use crate::http::fetch::{self, Fetched};
use crate::http::tls::TlsClient;
use crate::image::{Digest, Reference};
use endpoint::{Endpoint, Registries};
use std::io::Read;

/// At most this much of an error answer is read.
const MAX_ERROR_BODY: u64 = 64 << 10;
/// Manifests larger than this are refused (moby's limit is 4 MiB).
const MAX_MANIFEST: u64 = 4 << 20;

/// One repository on one registry.
pub struct Repository {
    /// `https://registry.example`, or `http://127.0.0.1:5000`.
    base: String,
    /// How `base` (and where it redirects) is reached over TLS.
    tls: TlsClient,
    /// Endpoints the ping tries when `base` cannot be reached.
    fallbacks: Vec<Endpoint>,
    /// `library/busybox`.
    path: String,
    user_agent: String,
    credentials: Option<Credentials>,
    /// `Authorization` once the ping asked for Basic auth.
    authorization: Option<String>,
}

/// A user name and password from `X-Registry-Auth`.
#[derive(Clone, Debug, PartialEq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    /// `X-Registry-Auth`: base64url of the JSON auth config; `{}`, an
    /// empty header or one without a user name is anonymous. Like moby,
    /// an undecodable header is taken as no credentials.
    pub fn from_header(header: Option<&str>) -> Option<Credentials> {
        let bytes = crate::gofmt::base64::decode_any(header?)?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let username = json["username"].as_str().unwrap_or("").to_string();
        let password = json["password"].as_str().unwrap_or("").to_string();
        (!username.is_empty()).then_some(Credentials { username, password })
    }
}

/// Manifest bytes and what the registry said about them.
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// `Docker-Content-Digest`, when sent.
    pub digest_header: Option<String>,
}

impl Repository {
    pub fn of(
        reference: &Reference,
        credentials: Option<Credentials>,
        registries: &Registries,
    ) -> Result<Repository, ApiError> {
        let mut endpoints = registries
            .endpoints(reference.domain())
            .map_err(ApiError::internal)?;
        let first = endpoints.remove(0);
        Ok(Repository {
            base: first.base,
            tls: first.tls,
            fallbacks: endpoints,
            path: reference.path(),
            user_agent: format!("dockbox/{}", crate::version::VERSION),
            credentials,
            authorization: None,
        })
    }

    /// `library/busybox`, as moby's "Pulling from" names it.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn with_authorization(&self, headers: &Headers) -> Headers {
        let mut headers = headers.clone();
        if let Some(authorization) = &self.authorization {
            headers.set("Authorization", authorization.clone());
        }
        headers
    }

    fn get(&self, url: &str, headers: &Headers) -> Result<Fetched, ApiError> {
        fetch::get_with_headers(
            url,
            &self.user_agent,
            &self.with_authorization(headers),
            &self.tls,
        )
        .map_err(|error| ApiError::internal(error.to_string()))
    }

    /// `GET /v2/` on the first endpoint that answers at all: an insecure
    /// registry's `https` endpoint failing (no TLS there, say) falls back
    /// to its `http` one, as moby's endpoint loop does.
    fn first_answer(&mut self, url_path: &str) -> Result<(String, Fetched), ApiError> {
        loop {
            let url = format!("{}{url_path}", self.base);
            match self.get(&url, &Headers::new()) {
                Ok(fetched) => return Ok((url, fetched)),
                Err(error) if self.fallbacks.is_empty() => return Err(error),
                Err(_) => {
                    let next = self.fallbacks.remove(0);
                    self.base = next.base;
                    self.tls = next.tls;
                }
            }
        }
    }

    /// `GET /v2/`: the registry speaks the distribution API and lets us
    /// in, with Basic auth from the credentials when it asks for it.
    pub fn ping(&mut self) -> Result<(), ApiError> {
        let (url, mut fetched) = self.first_answer("/v2/")?;
        if fetched.response.status == 401 {
            let challenge = fetched
                .response
                .headers
                .get("WWW-Authenticate")
                .unwrap_or("")
                .to_string();
            if !challenge.to_ascii_lowercase().starts_with("basic") {
                return Err(ApiError::new(
                    ErrorKind::Unauthorized,
                    format!(
                        "{url}: the registry asks for {challenge}, and dockbox supports only Basic authentication so far"
                    ),
                ));
            }
            // A 500 as moby's: a 401 makes the CLI prompt for a login.
            let Some(credentials) = &self.credentials else {
                return Err(ApiError::internal(format!(
                    "Get \"{url}\": no basic auth credentials"
                )));
            };
            let pair = format!("{}:{}", credentials.username, credentials.password);
            self.authorization = Some(format!(
                "Basic {}",
                crate::gofmt::base64::encode_standard(pair.as_bytes())
            ));
            fetched = self.get(&url, &Headers::new())?;
            if fetched.response.status == 401 {
                return Err(ApiError::internal(format!(
                    "Get \"{url}\": unauthorized: {}",
                    error_text(&mut fetched)
                )));
            }
        }
        match fetched.response.status {
            200..=299 => Ok(()),
            _ => Err(ApiError::internal(format!(
                "error pinging registry {url}: {}",
                error_text(&mut fetched)
            ))),
        }
    }

    /// `GET /v2/<path>/manifests/<tag or digest>`. A 404 is moby's "not
    /// found" for `familiar` (the reference as the user gave it).
    pub fn manifest(
        &self,
        tag_or_digest: &str,
        familiar: &str,
    ) -> Result<FetchedManifest, ApiError> {
        let url = format!("{}/v2/{}/manifests/{tag_or_digest}", self.base, self.path);
        let mut headers = Headers::new();
        headers.set("Accept", manifest::accept_header());
        let mut fetched = self.get(&url, &headers)?;
        match fetched.response.status {
            200 => {}
            404 => {
                return Err(ApiError::not_found(format!(
                    "manifest for {familiar} not found: {}",
                    error_text(&mut fetched)
                )));
            }
            401 | 403 => {
                return Err(ApiError::new(
                    ErrorKind::Forbidden,
                    format!(
                        "pull access denied for {}, repository does not exist or may require 'docker login': {}",
                        familiar.split([':', '@']).next().unwrap_or(familiar),
                        error_text(&mut fetched)
                    ),
                ));
            }
            _ => {
                return Err(ApiError::internal(format!(
                    "fetch manifest {url}: {}",
                    error_text(&mut fetched)
                )));
            }
        }
        let content_type = fetched
            .response
            .headers
            .get("Content-Type")
            .unwrap_or("")
            .to_string();
        let digest_header = fetched
            .response
            .headers
            .get("Docker-Content-Digest")
            .map(str::to_string);
        let mut bytes = Vec::new();
        (&mut fetched.response.body)
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
    pub fn blob(&self, digest: &Digest) -> Result<Fetched, ApiError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.path);
        let mut fetched = self.get(&url, &Headers::new())?;
        if fetched.response.status != 200 {
            return Err(ApiError::internal(format!(
                "fetch blob {url}: {}",
                error_text(&mut fetched)
            )));
        }
        Ok(fetched)
    }
}

impl Repository {
    fn send(
        &self,
        method: &str,
        url: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<fetch::Exchanged, ApiError> {
        fetch::send(
            method,
            url,
            &self.user_agent,
            &self.with_authorization(headers),
            body,
            &self.tls,
        )
        .map_err(|error| ApiError::internal(error.to_string()))
    }

    /// `HEAD /v2/<path>/blobs/<digest>`: whether the registry has it.
    pub fn has_blob(&self, digest: &Digest) -> Result<bool, ApiError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.path);
        let answer = self.send("HEAD", &url, &Headers::new(), b"")?;
        match answer.status {
            200 => Ok(true),
            404 => Ok(false),
            status => Err(ApiError::internal(format!("HEAD {url}: status {status}"))),
        }
    }

    /// A monolithic upload: `POST .../blobs/uploads/` opens a session,
    /// `PUT <Location>&digest=` sends the bytes; the registry checks them.
    pub fn upload_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<(), ApiError> {
        let url = format!("{}/v2/{}/blobs/uploads/", self.base, self.path);
        let opened = self.send("POST", &url, &Headers::new(), b"")?;
        let location = match (opened.status, opened.headers.get("Location")) {
            (202, Some(location)) => location.to_string(),
            (status, _) => {
                return Err(ApiError::internal(format!(
                    "POST {url}: status {status}: {}",
                    String::from_utf8_lossy(&opened.body).trim()
                )));
            }
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
        let put = self.send("PUT", &put_url, &headers, bytes)?;
        if put.status != 201 {
            return Err(ApiError::internal(format!(
                "upload blob {digest}: status {}: {}",
                put.status,
                String::from_utf8_lossy(&put.body).trim()
            )));
        }
        Ok(())
    }

    /// `PUT /v2/<path>/manifests/<tag>` with the manifest's media type.
    pub fn put_manifest(&self, tag: &str, media_type: &str, bytes: &[u8]) -> Result<(), ApiError> {
        let url = format!("{}/v2/{}/manifests/{tag}", self.base, self.path);
        let mut headers = Headers::new();
        headers.set("Content-Type", media_type);
        let put = self.send("PUT", &url, &headers, bytes)?;
        if put.status != 201 {
            return Err(ApiError::internal(format!(
                "put manifest {url}: status {}: {}",
                put.status,
                String::from_utf8_lossy(&put.body).trim()
            )));
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct RegistryErrors {
    errors: Vec<RegistryError>,
}

#[derive(serde::Deserialize)]
struct RegistryError {
    code: String,
    #[serde(default)]
    message: String,
}

/// distribution's `errcode` wording of an error answer (`manifest
/// unknown: manifest unknown`), or the status and body when it is not one.
fn error_text(fetched: &mut Fetched) -> String {
    let mut body = Vec::new();
    let _ = (&mut fetched.response.body)
        .take(MAX_ERROR_BODY)
        .read_to_end(&mut body);
    match serde_json::from_slice::<RegistryErrors>(&body) {
        Ok(parsed) if !parsed.errors.is_empty() => parsed
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code.to_lowercase().replace('_', " "), e.message))
            .collect::<Vec<_>>()
            .join(", "),
        _ => format!(
            "{}: {}",
            fetched.status_text(),
            String::from_utf8_lossy(&body).trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_auth_headers_as_the_cli_sends_them() {
        use super::Credentials;
        assert_eq!(Credentials::from_header(Some("e30=")), None);
        assert_eq!(Credentials::from_header(None), None);
        assert_eq!(Credentials::from_header(Some("!!")), None);
        // {"username":"u","password":"p?>"} in base64url.
        let header = crate::gofmt::base64::encode_standard(br#"{"username":"u","password":"p?>"}"#)
            .replace('+', "-")
            .replace('/', "_");
        assert_eq!(
            Credentials::from_header(Some(&header)),
            Some(Credentials {
                username: "u".into(),
                password: "p?>".into()
            })
        );
    }
}
