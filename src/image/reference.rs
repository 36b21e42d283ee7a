//! Image references of the image store: distribution/reference's
//! normalised names (`crate::gofmt::reference`) with the digest typed, and
//! the ways an image can be named by ID: `sha256:<hex>`, bare hex and
//! unique prefixes.

use super::digest::{Digest, is_sha256_hex};
use crate::gofmt::reference::Named;
pub use crate::gofmt::reference::ReferenceError;
use std::fmt;

/// A fully qualified reference: domain, path, and a tag and/or a digest
/// that the store can hold (sha256).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    named: Named,
    digest: Option<Digest>,
}

impl Reference {
    fn from_named(named: Named) -> Result<Reference, ReferenceError> {
        let digest = named
            .digest()
            .map(|text| Digest::parse(text).map_err(|e| ReferenceError::Digest(e.to_string())))
            .transpose()?;
        Ok(Reference { named, digest })
    }

    /// Docker's ParseNormalizedNamed: fills in `docker.io` and `library/`,
    /// but adds no tag.
    pub fn parse_normalized(text: &str) -> Result<Reference, ReferenceError> {
        Reference::from_named(Named::parse_normalized(text)?)
    }

    /// Normalised, with `:latest` added when neither tag nor digest is
    /// given (TagNameOnly): the form the tag store keys by.
    pub fn parse_with_default_tag(text: &str) -> Result<Reference, ReferenceError> {
        Reference::from_named(Named::parse_with_default_tag(text)?)
    }

    /// This repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        Ok(Reference {
            named: self.named.with_tag(tag)?,
            digest: None,
        })
    }

    pub fn tag(&self) -> Option<&str> {
        self.named.tag()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        self.named.name()
    }

    /// The registry: `docker.io`, `localhost:5000`.
    pub fn domain(&self) -> &str {
        self.named.domain()
    }

    /// The repository within its registry: `library/busybox`.
    pub fn path(&self) -> String {
        let name = self.named.name();
        name[self.named.domain().len() + 1..].to_string()
    }

    /// `busybox`, `user/img`, `localhost:5000/x`: the name as users type it.
    pub fn familiar_name(&self) -> String {
        self.named.familiar_name()
    }

    /// `busybox:latest`, `busybox@sha256:...`: what `docker images` shows.
    pub fn familiar(&self) -> String {
        self.named.familiar()
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form, `docker.io/library/busybox:latest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.named.fmt(f)
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

    #[test]
    fn digests_are_typed_for_the_store() {
        let digested = Reference::parse_normalized(&format!("busybox@sha256:{HEX}")).unwrap();
        assert_eq!(digested.digest(), Some(&Digest::from_hex(HEX).unwrap()));
        assert_eq!(
            digested.to_string(),
            format!("docker.io/library/busybox@sha256:{HEX}")
        );
        assert_eq!(digested.with_tag("v1").unwrap().digest(), None);
        let busybox = Reference::parse_with_default_tag("busybox").unwrap();
        assert_eq!(
            serde_json::to_string(&busybox).unwrap(),
            "\"docker.io/library/busybox:latest\""
        );
        assert_eq!(
            serde_json::from_str::<Reference>("\"busybox:latest\"").unwrap(),
            busybox
        );
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
