//! Query strings and the `filters` parameter.

use super::error::ApiError;
use std::collections::BTreeMap;

/// Decoded query parameters; a key may repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses `a=1&b=x%20y&c`; `+` is a space, as Go's ParseQuery has it.
    pub fn parse(query: &str) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for item in query.split('&').filter(|item| !item.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let key = percent_decode(key, true)
                .ok_or_else(|| ApiError::invalid(format!("invalid query parameter {key:?}")))?;
            let value = percent_decode(value, true).ok_or_else(|| {
                ApiError::invalid(format!("invalid value for query parameter {key:?}"))
            })?;
            pairs.push((key, value));
        }
        Ok(Query { pairs })
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// moby's `BoolValue`: absent, empty, `0`, `no`, `false` and `none` are
    /// false, anything else true.
    pub fn bool(&self, key: &str) -> bool {
        self.get(key).is_some_and(|value| {
            !matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "" | "0" | "no" | "false" | "none"
            )
        })
    }

    /// moby's strict `BoolValueOrDefault` for parameters such as `force`:
    /// a value must be a boolean Go's ParseBool accepts.
    pub fn strict_bool(&self, key: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(ApiError::invalid(format!(
                "invalid value for {key}: strconv.ParseBool: parsing {other:?}: invalid syntax"
            ))),
        }
    }

    /// An integer parameter; absent or empty gives `None`.
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|_| {
                ApiError::invalid(format!(
                    "invalid value for {key}: strconv.ParseInt: parsing {text:?}: invalid syntax"
                ))
            }),
        }
    }

    /// The `filters` parameter, decoded.
    pub fn filters(&self) -> Result<Filters, ApiError> {
        match self.get("filters") {
            None => Ok(Filters::default()),
            Some(text) => Filters::parse(text),
        }
    }
}

/// Decodes `%XX` escapes (and `+` when `plus_is_space`); `None` when an
/// escape is broken or the result is not UTF-8.
pub fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Filters as `key -> set of values`, decoded from either JSON form by
/// `crate::gofmt::filters`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    fields: BTreeMap<String, Vec<String>>,
}

impl Filters {
    pub fn parse(text: &str) -> Result<Filters, ApiError> {
        let fields = crate::gofmt::filters::from_json(text).map_err(ApiError::invalid)?;
        Ok(Filters { fields })
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The values given for `key`, empty when absent.
    pub fn get(&self, key: &str) -> &[String] {
        self.fields.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn contains(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// Refuses keys outside `accepted`, with moby's message.
    pub fn validate(&self, accepted: &[&str]) -> Result<(), ApiError> {
        match self
            .fields
            .keys()
            .find(|key| !accepted.contains(&key.as_str()))
        {
            Some(key) => Err(ApiError::invalid(format!("invalid filter '{key}'"))),
            None => Ok(()),
        }
    }

    /// Whether `value` passes the `key` filter: true when the filter is
    /// absent, else when any of its values equals `value`.
    pub fn matches_exact(&self, key: &str, value: &str) -> bool {
        let wanted = self.get(key);
        wanted.is_empty() || wanted.iter().any(|w| w == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_and_bools() {
        let query = Query::parse("all=1&name=a%2Fb+c&x&force=yes&n=-3&t=").unwrap();
        assert!(query.bool("all"));
        assert!(!query.bool("x"));
        assert!(!query.bool("missing"));
        assert_eq!(query.get("name"), Some("a/b c"));
        assert_eq!(query.int("n").unwrap(), Some(-3));
        assert_eq!(query.int("t").unwrap(), None);
        assert!(query.strict_bool("force", false).is_err());
        assert!(Query::parse("a=%zz").is_err());
        assert!(Query::parse("n=x").unwrap().int("n").is_err());
    }

    #[test]
    fn filters_in_both_forms() {
        let cli =
            Filters::parse(r#"{"label":{"a=b":true,"c":true},"status":{"exited":true}}"#).unwrap();
        let py = Filters::parse(r#"{"label":["a=b","c"],"status":["exited"]}"#).unwrap();
        assert_eq!(cli, py);
        assert_eq!(cli.get("status"), ["exited"]);
        assert!(cli.get("name").is_empty());
        assert!(cli.matches_exact("name", "anything"));
        assert!(cli.matches_exact("status", "exited"));
        assert!(!cli.matches_exact("status", "running"));
        assert!(cli.validate(&["label", "status"]).is_ok());
        assert_eq!(
            cli.validate(&["label"]).unwrap_err().message,
            "invalid filter 'status'"
        );
        assert!(Filters::parse("[1]").is_err());
        assert!(Filters::parse(r#"{"a":"b"}"#).is_err());
        assert!(Filters::parse(r#"{"a":[1]}"#).is_err());
        assert!(Filters::parse("").unwrap().is_empty());
    }
}
