//! API versions: the optional `/vX.Y` path prefix and the range we serve.

use super::error::ApiError;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> ApiVersion {
        ApiVersion { major, minor }
    }

    /// Parses `X.Y` (and, as moby's comparison does, tolerates a missing or
    /// extra component: `1` is 1.0, `1.40.1` compares as 1.40).
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let mut parts = text.split('.');
        let major = parse_number(parts.next()?)?;
        let minor = match parts.next() {
            Some(part) => parse_number(part)?,
            None => 0,
        };
        for rest in parts {
            parse_number(rest)?;
        }
        Some(ApiVersion { major, minor })
    }
}

fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The version we advertise, and serve when a request names none.
pub const DEFAULT_API_VERSION: ApiVersion = ApiVersion::new(1, 50);
/// The oldest version we accept (moby 28's minimum).
pub const MIN_API_VERSION: ApiVersion = ApiVersion::new(1, 24);

/// Splits `/v1.45/containers/json` into `Some("1.45")` and
/// `/containers/json`. A path without the prefix comes back whole. As in
/// moby's router, the prefix is `/v` followed by digits and dots.
pub fn split_version_prefix(path: &str) -> (Option<&str>, &str) {
    let Some(rest) = path.strip_prefix("/v") else {
        return (None, path);
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let candidate = &rest[..end];
    if candidate.is_empty() || !candidate.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return (None, path);
    }
    let remainder = &rest[end..];
    (
        Some(candidate),
        if remainder.is_empty() { "/" } else { remainder },
    )
}

/// The version a request asked for, checked against our range with moby's
/// wording.
pub fn negotiate(requested: Option<&str>) -> Result<ApiVersion, ApiError> {
    let Some(text) = requested else {
        return Ok(DEFAULT_API_VERSION);
    };
    let version = ApiVersion::parse(text)
        .ok_or_else(|| ApiError::invalid(format!("invalid API version {text:?}")))?;
    if version < MIN_API_VERSION {
        return Err(ApiError::invalid(format!(
            "client version {text} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
        )));
    }
    if version > DEFAULT_API_VERSION {
        return Err(ApiError::invalid(format!(
            "client version {text} is too new. Maximum supported API version is {DEFAULT_API_VERSION}"
        )));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_optional() {
        assert_eq!(
            split_version_prefix("/v1.45/containers/json"),
            (Some("1.45"), "/containers/json")
        );
        assert_eq!(split_version_prefix("/_ping"), (None, "/_ping"));
        assert_eq!(split_version_prefix("/v1.50"), (Some("1.50"), "/"));
        assert_eq!(split_version_prefix("/volumes"), (None, "/volumes"));
        assert_eq!(split_version_prefix("/vx/_ping"), (None, "/vx/_ping"));
    }

    #[test]
    fn range_and_messages() {
        assert_eq!(negotiate(None).unwrap(), DEFAULT_API_VERSION);
        assert_eq!(negotiate(Some("1.24")).unwrap(), ApiVersion::new(1, 24));
        assert_eq!(negotiate(Some("1.50")).unwrap(), ApiVersion::new(1, 50));
        let old = negotiate(Some("1.23")).unwrap_err();
        assert_eq!(old.status(), 400);
        assert_eq!(
            old.message,
            "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
        );
        assert_eq!(
            negotiate(Some("1.51")).unwrap_err().message,
            "client version 1.51 is too new. Maximum supported API version is 1.50"
        );
        assert!(negotiate(Some("1..2")).is_err());
        assert!(ApiVersion::new(1, 9) < ApiVersion::new(1, 10));
    }
}
