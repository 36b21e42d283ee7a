//! Image references as distribution/reference parses and normalises them
//! (`ParseNormalizedNamed`, `FamiliarName`, `TagNameOnly`), with its error
//! texts: `busybox` is `docker.io/library/busybox`, a first component is a
//! registry only with a `.` or `:`, as `localhost`, or when it has capitals;
//! names are lowercase path components; tags are `[\w][\w.-]{0,127}`;
//! digests are go-digest's (`sha256:<64 hex>`, sha384, sha512).

use std::fmt;

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
pub const DEFAULT_TAG: &str = "latest";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat,
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexName(String),
    /// go-digest's own texts (`invalid checksum digest length`).
    #[error("{0}")]
    Digest(String),
}

/// A normalised reference: registry, repository path, and a tag and/or a
/// digest (`algorithm:hex`, checked).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Named {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Named {
    /// `ParseNormalizedNamed`: fills in `docker.io` and `library/`, adds no tag.
    pub fn parse_normalized(text: &str) -> Result<Named, ReferenceError> {
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
    /// given (`TagNameOnly`).
    pub fn parse_with_default_tag(text: &str) -> Result<Named, ReferenceError> {
        let mut named = Named::parse_normalized(text)?;
        if named.tag.is_none() && named.digest.is_none() {
            named.tag = Some(DEFAULT_TAG.to_string());
        }
        Ok(named)
    }

    /// This repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Named, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::InvalidFormat);
        }
        Ok(Named {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        })
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `busybox`, `user/img`, `localhost:5000/x`: the name as users type it
    /// (`FamiliarName`).
    pub fn familiar_name(&self) -> String {
        familiar_name(&self.name())
    }

    /// `busybox:latest`, `busybox@sha256:...`: `FamiliarString`.
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
            text.push_str(digest);
        }
        text
    }
}

impl fmt::Display for Named {
    /// The fully qualified form, `docker.io/library/busybox:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.name()))
    }
}

/// The familiar form of a fully qualified repository name (without tag):
/// `docker.io/library/busybox` is `busybox`, `docker.io/user/x` is
/// `user/x`; other registries stay.
pub fn familiar_name(name: &str) -> String {
    let Some(path) = name.strip_prefix("docker.io/") else {
        return name.to_string();
    };
    match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
        Some(short) if !short.contains('/') => short.to_string(),
        _ => path.to_string(),
    }
}

/// 64 lowercase hex digits: an image ID, which no repository may be named.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// splitDockerDomain: the part before the first `/` is a registry only if
/// it has a dot or a port, is `localhost`, or has capitals.
fn split_docker_domain(text: &str) -> (String, String) {
    let (mut domain, mut remainder) = match text.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
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

/// Checks `domain/remainder` against the reference grammar
/// name (":" tag)? ("@" digest)?, then the digest as go-digest does.
fn parse_qualified(domain: &str, remainder: &str) -> Result<Named, ReferenceError> {
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
    if let Some(digest) = digest {
        validate_digest(digest).map_err(|text| ReferenceError::Digest(text.to_string()))?;
    }
    Ok(Named {
        domain: domain.to_string(),
        path: path.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(str::to_string),
    })
}

/// host (":" port)?, where host is dotted alphanumeric-with-dashes
/// components (capitals allowed) or a bracketed IPv6 address.
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
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`
pub fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*`
/// ":" and at least 32 hex digits.
fn is_digest_syntax(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['-', '_', '+', '.']).all(|part| {
        part.as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && part.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    algorithm_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `Digest.Validate` for a digest of the reference grammar:
/// a known algorithm, its length, lowercase hex.
fn validate_digest(digest: &str) -> Result<(), &'static str> {
    let (algorithm, hex) = digest.split_once(':').unwrap_or((digest, ""));
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm"),
    };
    if hex.len() != length {
        return Err("invalid checksum digest length");
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("invalid checksum digest format");
    }
    Ok(())
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;
