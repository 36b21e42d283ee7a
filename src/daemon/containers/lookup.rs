//! Finding containers (full ID, name, unique ID prefix) and the image a
//! create names. The image half is a small stand-in over the store's tags
//! and images tables, behind `ImageLookup`, so the image module's own
//! lookup can replace it without touching the routes.

use super::record::ContainerRecord;
use crate::api::ApiError;
use crate::api::container::ContainerConfig;
use crate::daemon::system::store_error;
use crate::store::Store;
use serde_json::Value;

/// `No such container: <what>` (404).
pub fn no_such_container(what: &str) -> ApiError {
    ApiError::not_found(format!("No such container: {what}"))
}

/// Finds a container as moby's `GetContainer` does: the full ID, then the
/// name (with or without `/`), then a unique ID prefix.
pub fn find_container(store: &Store, what: &str) -> Result<ContainerRecord, ApiError> {
    if what.is_empty() {
        return Err(no_such_container(what));
    }
    if let Some(record) = store.get_container(what).map_err(store_error)? {
        return Ok(record);
    }
    let name = what.strip_prefix('/').unwrap_or(what);
    if let Some(id) = store.container_id_by_name(name).map_err(store_error)?
        && let Some(record) = store.get_container(&id).map_err(store_error)?
    {
        return Ok(record);
    }
    if !what.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(no_such_container(what));
    }
    let mut found: Option<ContainerRecord> = None;
    for (id, record) in store
        .list_containers::<ContainerRecord>()
        .map_err(store_error)?
    {
        if id.starts_with(what) {
            if found.is_some() {
                return Err(ApiError::invalid(format!(
                    "multiple IDs found with provided prefix: {what}"
                )));
            }
            found = Some(record);
        }
    }
    found.ok_or_else(|| no_such_container(what))
}

/// What a create needs of an image.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedImage {
    /// `sha256:<64 hex>`.
    pub id: String,
    /// The image's container defaults (`config` of the image config).
    pub config: ContainerConfig,
}

/// How the container endpoints find images; the image module implements
/// it with its own store once it lands.
pub trait ImageLookup {
    /// The image `name` refers to; 404 `No such image: ...` when none,
    /// 400 for a malformed reference.
    fn resolve(&self, name: &str) -> Result<ResolvedImage, ApiError>;
}

/// A reference in Docker's normal form, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedReference {
    /// `docker.io/library/busybox`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl NormalizedReference {
    /// The key of the tags table: `repository:tag` or `repository@digest`.
    pub fn key(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => format!("{}@{digest}", self.repository),
            (None, Some(tag)) => format!("{}:{tag}", self.repository),
            (None, None) => self.repository.clone(),
        }
    }

    /// The short form Docker prints: `busybox:latest`, `me/app:1`.
    pub fn familiar(&self) -> String {
        let name = self
            .repository
            .strip_prefix("docker.io/library/")
            .or_else(|| self.repository.strip_prefix("docker.io/"))
            .unwrap_or(&self.repository);
        match (&self.digest, &self.tag) {
            (Some(digest), _) => format!("{name}@{digest}"),
            (None, Some(tag)) => format!("{name}:{tag}"),
            (None, None) => name.to_string(),
        }
    }
}

fn invalid_reference() -> ApiError {
    ApiError::invalid("invalid reference format")
}

/// Normalises a reference as Docker does: `busybox` ->
/// `docker.io/library/busybox:latest`.
pub fn normalize_reference(text: &str) -> Result<NormalizedReference, ApiError> {
    if text.is_empty() {
        return Err(invalid_reference());
    }
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => {
            let (algorithm, hex) = digest.split_once(':').ok_or_else(invalid_reference)?;
            if algorithm != "sha256"
                || hex.len() != 64
                || !hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(invalid_reference());
            }
            (rest, Some(digest.to_string()))
        }
        None => (text, None),
    };
    let (name, tag) = match rest.rfind(':') {
        Some(at) if !rest[at..].contains('/') => (&rest[..at], Some(&rest[at + 1..])),
        _ => (rest, None),
    };
    if let Some(tag) = tag {
        let valid = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            && !tag.starts_with(['.', '-']);
        if !valid {
            return Err(invalid_reference());
        }
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, path))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, path.to_string())
        }
        _ => ("docker.io", name.to_string()),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io"
    } else {
        domain
    };
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::invalid(format!(
            "invalid reference format: repository name ({path}) must be lowercase"
        )));
    }
    let component_ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && part.as_bytes()[0].is_ascii_alphanumeric()
            && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
    };
    if !path.split('/').all(component_ok) {
        return Err(invalid_reference());
    }
    let tag = match (tag, &digest) {
        (Some(tag), _) => Some(tag.to_string()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    };
    Ok(NormalizedReference {
        repository: format!("{domain}/{path}"),
        tag,
        digest,
    })
}

/// The container defaults in an image record. The record is the image
/// config itself (`{"config": {...}, "rootfs": ...}`) or wraps it under
/// `config`; inspect-shaped records (`Config`) are read as well.
pub fn image_defaults(record: &Value) -> ContainerConfig {
    let candidates = [
        record.pointer("/config/config"),
        record.get("config"),
        record.get("Config"),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter(|value| value.is_object())
        .find_map(|value| serde_json::from_value(value.clone()).ok())
        .unwrap_or_default()
}

/// `ImageLookup` over the daemon's store: the tags table maps normalised
/// references to `sha256:` IDs, the images table holds the records.
pub struct StoreImages<'a>(pub &'a Store);

impl StoreImages<'_> {
    fn by_id(&self, id: &str) -> Result<Option<ResolvedImage>, ApiError> {
        Ok(self
            .0
            .get_image::<Value>(id)
            .map_err(store_error)?
            .map(|record| ResolvedImage {
                id: id.to_string(),
                config: image_defaults(&record),
            }))
    }
}

impl ImageLookup for StoreImages<'_> {
    fn resolve(&self, name: &str) -> Result<ResolvedImage, ApiError> {
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        let is_hex = !hex.is_empty()
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if hex.len() == 64 && is_hex {
            return self
                .by_id(&format!("sha256:{hex}"))?
                .ok_or_else(|| ApiError::not_found(format!("No such image: {name}")));
        }
        let reference = match normalize_reference(name) {
            Ok(reference) => Some(reference),
            // `sha256:abc` is a short ID, not a reference.
            Err(_) if is_hex && name.starts_with("sha256:") => None,
            Err(error) => return Err(error),
        };
        if let Some(reference) = &reference
            && let Some(id) = self.0.get_tag(&reference.key()).map_err(store_error)?
            && let Some(image) = self.by_id(&id)?
        {
            return Ok(image);
        }
        if is_hex {
            let prefix = format!("sha256:{hex}");
            let matches: Vec<String> = self
                .0
                .list_images::<Value>()
                .map_err(store_error)?
                .into_iter()
                .map(|(id, _)| id)
                .filter(|id| id.starts_with(&prefix))
                .collect();
            if matches.len() == 1 {
                return self
                    .by_id(&matches[0])?
                    .ok_or_else(|| ApiError::not_found(format!("No such image: {name}")));
            }
        }
        let shown = reference.map_or_else(|| name.to_string(), |r| r.familiar());
        Err(ApiError::not_found(format!("No such image: {shown}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_as_dockers() {
        let cases = [
            (
                "busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "busybox:1.36",
                "docker.io/library/busybox:1.36",
                "busybox:1.36",
            ),
            ("me/app", "docker.io/me/app:latest", "me/app:latest"),
            (
                "docker.io/busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "index.docker.io/library/busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "localhost:5000/x",
                "localhost:5000/x:latest",
                "localhost:5000/x:latest",
            ),
            ("quay.io/a/b:v1", "quay.io/a/b:v1", "quay.io/a/b:v1"),
        ];
        for (input, key, familiar) in cases {
            let reference = normalize_reference(input).unwrap();
            assert_eq!(reference.key(), key, "{input}");
            assert_eq!(reference.familiar(), familiar, "{input}");
        }
        let digest = format!("busybox@sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize_reference(&digest).unwrap().key(),
            format!("docker.io/library/busybox@sha256:{}", "a".repeat(64))
        );
        for bad in [
            "",
            "Busybox",
            "a::b",
            "busybox:",
            "a//b",
            "-x",
            "x@sha256:12",
        ] {
            let error = normalize_reference(bad).unwrap_err();
            assert_eq!(error.status(), 400, "{bad}");
        }
        assert_eq!(
            normalize_reference("Busybox").unwrap_err().message,
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
    }

    #[test]
    fn image_defaults_from_either_record_form() {
        let config =
            serde_json::json!({"config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]}, "rootfs": {}});
        assert_eq!(image_defaults(&config).cmd, Some(vec!["sh".to_string()]));
        let wrapped = serde_json::json!({"id": "x", "config": config});
        assert_eq!(
            image_defaults(&wrapped).env,
            Some(vec!["PATH=/bin".to_string()])
        );
        assert_eq!(
            image_defaults(&serde_json::json!({})),
            ContainerConfig::default()
        );
    }
}
