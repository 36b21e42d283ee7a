//! Image references as Docker normalises them (docker/distribution's
//! `reference` package): `busybox` is `docker.io/library/busybox:latest`,
//! and the familiar form drops what the normalisation added. Also the ways
//! an image can be named by ID: `sha256:<hex>`, bare hex and unique prefixes.

use super::digest::{Digest, is_sha256_hex};
use std::fmt;

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat,
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
    #[error("repository name must have at least one component")]
    NameEmpty,
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexName(String),
    #[error("invalid reference format: {0}")]
    Digest(String),
}

/// A fully qualified reference: domain, path, and a tag and/or a digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Docker's ParseNormalizedNamed: fills in `docker.io` and `library/`,
    /// but adds no tag.
    pub fn parse_normalized(text: &str) -> Result<Reference, ReferenceError> {
        if is_sha256_hex(text) {
            return Err(ReferenceError::HexName(text.to_string()));
        }
        let (domain, remainder) = split_docker_domain(text);
        let remote_name = remainder
            .split_once(':')
            .map_or(remainder.as_str(), |(name, _)| name);
        if remote_name.to_lowercase() != remote_name {
            return Err(ReferenceError::Uppercase(remote_name.to_string()));
        }
        parse_qualified(&domain, &remainder)
    }

    /// Normalised, with `:latest` added when neither tag nor digest is
    /// given (TagNameOnly): the form the tag store keys by.
    pub fn parse_with_default_tag(text: &str) -> Result<Reference, ReferenceError> {
        let mut reference = Reference::parse_normalized(text)?;
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = Some(DEFAULT_TAG.to_string());
        }
        Ok(reference)
    }

    /// This repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::InvalidFormat);
        }
        Ok(Reference {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        })
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `busybox`, `user/img`, `localhost:5000/x`: the name as users type it.
    pub fn familiar_name(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        match self.path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(short) if !short.contains('/') => short.to_string(),
            _ => self.path.clone(),
        }
    }

    /// `busybox:latest`, `busybox@sha256:...`: what `docker images` shows.
    pub fn familiar(&self) -> String {
        self.render(&self.familiar_name())
    }

    fn render(&self, name: &str) -> String {
        let mut text = name.to_string();
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(&digest.to_string());
        }
        text
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form, `docker.io/library/busybox:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.name()))
    }
}

/// Stored and sent in the fully qualified form.
impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Reference::parse_normalized(&text).map_err(serde::de::Error::custom)
    }
}

/// splitDockerDomain: the part before the first `/` is a registry only if
/// it looks like one (a dot, a port, or `localhost`, and no uppercase).
fn split_docker_domain(text: &str) -> (String, String) {
    let (mut domain, mut remainder) = match text.split_once('/') {
        Some((first, rest))
            if (first.contains(['.', ':']) || first == "localhost")
                && first.to_lowercase() == first =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), text.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

/// Checks `domain/remainder` against the reference grammar:
/// name (":" tag)? ("@" digest)?.
fn parse_qualified(domain: &str, remainder: &str) -> Result<Reference, ReferenceError> {
    let (name_and_tag, digest) = match remainder.split_once('@') {
        Some((left, digest)) => (left, Some(digest)),
        None => (remainder, None),
    };
    let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match name_and_tag[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (&name_and_tag[..at], Some(&name_and_tag[at + 1..]))
        }
        None => (name_and_tag, None),
    };
    let valid = is_domain(domain)
        && !path.is_empty()
        && path.split('/').all(is_path_component)
        && tag.is_none_or(is_tag)
        && digest.is_none_or(is_digest_syntax);
    if !valid {
        return Err(ReferenceError::InvalidFormat);
    }
    if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    let digest = digest
        .map(|text| Digest::parse(text).map_err(|e| ReferenceError::Digest(e.to_string())))
        .transpose()?;
    Ok(Reference {
        domain: domain.to_string(),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest,
    })
}

/// host (":" port)?, where host is dotted alphanumeric-with-dashes
/// components or a bracketed IPv6 address.
fn is_domain(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ipv6, after)) => {
                if ipv6.is_empty() || !ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                    return false;
                }
                match after.strip_prefix(':') {
                    Some(port) => ("", Some(port)),
                    None if after.is_empty() => ("", None),
                    None => return false,
                }
            }
            None => return false,
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain, None),
        }
    };
    let host_ok = domain.starts_with('[')
        || host.split('.').all(|component| {
            !component.is_empty()
                && component
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !component.starts_with('-')
                && !component.ends_with('-')
        });
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// algorithm ":" at least 32 hex digits; the algorithm is checked later.
fn is_digest_syntax(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty()
                && algorithm.as_bytes()[0].is_ascii_alphabetic()
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'.'))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// What a user-given image name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageName {
    /// `sha256:<hex>` or 64 bare hex digits: exactly this image ID.
    Id(Digest),
    /// A repository reference; when no tag store entry matches, the text
    /// may still be an ID prefix (`ImageName::id_prefix`).
    Reference(Reference),
}

impl ImageName {
    /// ParseAnyReference, with `:latest` added to a bare name.
    pub fn parse(text: &str) -> Result<ImageName, ReferenceError> {
        if is_sha256_hex(text) {
            return Ok(ImageName::Id(Digest::from_hex(text).expect("checked hex")));
        }
        if let Some(id) = text.strip_prefix("sha256:").and_then(Digest::from_hex) {
            return Ok(ImageName::Id(id));
        }
        // `sha256:3f5` is, as for Docker, the repository `sha256` tagged
        // `3f5`, which then falls back to an ID prefix search.
        Reference::parse_with_default_tag(text).map(ImageName::Reference)
    }
}

/// Finds the image `text` names, in Docker's order (moby's GetImage): a
/// full ID; else the tag store (`tagged`, which the daemon answers from
/// its records); else a unique ID prefix among `ids`. As in Docker, an
/// ambiguous prefix is reported as no such image.
pub fn lookup_image<'a>(
    text: &str,
    tagged: impl FnOnce(&Reference) -> Option<Digest>,
    ids: impl IntoIterator<Item = &'a Digest>,
) -> Result<Digest, LookupError> {
    let reference = match ImageName::parse(text)? {
        ImageName::Id(id) => {
            return ids
                .into_iter()
                .find(|known| **known == id)
                .cloned()
                .ok_or_else(|| LookupError::NotFound(id.to_string()));
        }
        ImageName::Reference(reference) => reference,
    };
    if let Some(id) = tagged(&reference) {
        return Ok(id);
    }
    resolve_id_prefix(text, ids).map_err(|_| LookupError::NotFound(reference.familiar()))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LookupError {
    #[error(transparent)]
    Invalid(#[from] ReferenceError),
    /// moby's ErrImageDoesNotExist: the familiar name with its tag.
    #[error("No such image: {0}")]
    NotFound(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdLookupError {
    #[error("No such image: {0}")]
    NotFound(String),
    #[error("multiple IDs found with provided prefix: {0}")]
    Ambiguous(String),
}

/// Finds the one image ID that starts with `prefix` (hex digits, with or
/// without `sha256:`), as `docker rmi 3f5` does.
pub fn resolve_id_prefix<'a>(
    prefix: &str,
    ids: impl IntoIterator<Item = &'a Digest>,
) -> Result<Digest, IdLookupError> {
    let hex = prefix.strip_prefix("sha256:").unwrap_or(prefix);
    let valid = !hex.is_empty()
        && hex.len() <= 64
        && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(IdLookupError::NotFound(prefix.to_string()));
    }
    let mut found: Option<&Digest> = None;
    for id in ids {
        if id.hex().starts_with(hex) {
            match found {
                Some(previous) if previous != id => {
                    return Err(IdLookupError::Ambiguous(hex.to_string()));
                }
                _ => found = Some(id),
            }
        }
    }
    found
        .cloned()
        .ok_or_else(|| IdLookupError::NotFound(prefix.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn full(text: &str) -> String {
        Reference::parse_with_default_tag(text).unwrap().to_string()
    }

    fn familiar(text: &str) -> String {
        Reference::parse_with_default_tag(text).unwrap().familiar()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(full("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(full("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(full("user/img"), "docker.io/user/img:latest");
        assert_eq!(
            full("index.docker.io/user/img"),
            "docker.io/user/img:latest"
        );
        assert_eq!(
            full("docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(full("localhost/x"), "localhost/x:latest");
        assert_eq!(full("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(full("quay.io/a/b/c:v1"), "quay.io/a/b/c:v1");
        assert_eq!(full("[::1]:5000/x"), "[::1]:5000/x:latest");
        assert_eq!(
            full("a__b-c--d.e_f"),
            "docker.io/library/a__b-c--d.e_f:latest"
        );
        assert_eq!(
            full(&format!("busybox@sha256:{HEX}")),
            format!("docker.io/library/busybox@sha256:{HEX}")
        );
        assert_eq!(
            full(&format!("busybox:1@sha256:{HEX}")),
            format!("docker.io/library/busybox:1@sha256:{HEX}")
        );
    }

    #[test]
    fn familiar_forms() {
        assert_eq!(familiar("docker.io/library/busybox"), "busybox:latest");
        assert_eq!(familiar("user/img:v2"), "user/img:v2");
        assert_eq!(familiar("docker.io/library/a/b"), "library/a/b:latest");
        assert_eq!(familiar("localhost:5000/x"), "localhost:5000/x:latest");
        let digested = Reference::parse_normalized(&format!("busybox@sha256:{HEX}")).unwrap();
        assert_eq!(digested.familiar(), format!("busybox@sha256:{HEX}"));
        assert_eq!(digested.tag(), None);
        assert_eq!(digested.familiar_name(), "busybox");
        assert_eq!(digested.with_tag("v1").unwrap().familiar(), "busybox:v1");
    }

    #[test]
    fn rejects_with_docker_wording() {
        let error = |text: &str| Reference::parse_normalized(text).unwrap_err().to_string();
        assert_eq!(
            error("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
        assert_eq!(
            error("User/img"),
            "invalid reference format: repository name (User/img) must be lowercase"
        );
        for bad in [
            "",
            "busybox:",
            ":tag",
            "a//b",
            "-a",
            "a-",
            "busy box",
            "busybox:-x",
            "a@sha256:12",
            "bad_host:x/y",
            "a/b/",
            "a:b:c",
        ] {
            assert!(
                Reference::parse_normalized(bad).is_err(),
                "{bad:?} accepted"
            );
        }
        assert_eq!(error("busybox:t@x"), "invalid reference format");
        assert_eq!(
            error(HEX),
            format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings")
        );
        assert_eq!(
            error(&format!("a/{}", "b".repeat(260))),
            "repository name must not be more than 255 characters"
        );
        assert!(Reference::parse_normalized(&format!("x:{}", "t".repeat(129))).is_err());
    }

    #[test]
    fn image_names_and_id_prefixes() {
        let id = Digest::from_hex(HEX).unwrap();
        assert_eq!(ImageName::parse(HEX).unwrap(), ImageName::Id(id.clone()));
        assert_eq!(
            ImageName::parse(&format!("sha256:{HEX}")).unwrap(),
            ImageName::Id(id.clone())
        );
        assert!(matches!(
            ImageName::parse("e3b0c4").unwrap(),
            ImageName::Reference(_)
        ));
        assert!(matches!(
            ImageName::parse("sha256:e3b0c4").unwrap(),
            ImageName::Reference(_)
        ));

        let other = Digest::of_bytes(b"other");
        let near = Digest::from_hex(&format!("e3b0c5{}", &HEX[6..])).unwrap();
        let ids = [id.clone(), other.clone(), near.clone()];
        assert_eq!(resolve_id_prefix("e3b0c4", &ids), Ok(id.clone()));
        assert_eq!(resolve_id_prefix("sha256:e3b0c4", &ids), Ok(id.clone()));
        assert_eq!(resolve_id_prefix(other.hex(), &ids), Ok(other));
        assert_eq!(
            resolve_id_prefix("e3b0c", &ids),
            Err(IdLookupError::Ambiguous("e3b0c".into()))
        );
        assert_eq!(
            resolve_id_prefix("ffff", &ids).unwrap_err().to_string(),
            "No such image: ffff"
        );
        assert!(resolve_id_prefix("busybox", &ids).is_err());
        assert!(resolve_id_prefix("", &ids).is_err());
    }

    #[test]
    fn lookups_follow_moby_get_image() {
        let id = Digest::from_hex(HEX).unwrap();
        let other = Digest::of_bytes(b"other");
        let near = Digest::from_hex(&format!("e3b0c5{}", &HEX[6..])).unwrap();
        let ids = [id.clone(), other.clone(), near.clone()];
        let busybox = Reference::parse_with_default_tag("busybox").unwrap();
        let tags = |reference: &Reference| (reference == &busybox).then(|| other.clone());

        assert_eq!(lookup_image("busybox", tags, &ids), Ok(other.clone()));
        assert_eq!(
            lookup_image("docker.io/library/busybox:latest", tags, &ids),
            Ok(other.clone())
        );
        assert_eq!(
            lookup_image(&format!("sha256:{HEX}"), tags, &ids),
            Ok(id.clone())
        );
        assert_eq!(lookup_image(HEX, tags, &ids), Ok(id.clone()));
        assert_eq!(lookup_image("e3b0c4", tags, &ids), Ok(id.clone()));
        assert_eq!(lookup_image("sha256:e3b0c4", tags, &ids), Ok(id.clone()));
        let error = |text: &str| lookup_image(text, tags, &ids).unwrap_err().to_string();
        assert_eq!(error("e3b0c"), "No such image: e3b0c:latest");
        assert_eq!(error("busybox:1"), "No such image: busybox:1");
        assert_eq!(
            error(&format!("sha256:{}", Digest::of_bytes(b"x").hex())),
            format!("No such image: {}", Digest::of_bytes(b"x"))
        );
        assert_eq!(
            error("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
    }
}
