//! What image filters need beyond the generic filter parsing: Go's
//! `path.Match` globs for `reference`, `label` key/value lists, and the
//! timestamps `until` accepts.

use crate::api::{ApiError, Filters};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Go's `path.Match`: `*` and `?` never match `/`, `[...]` classes with
/// ranges and `^` negation, `\` escapes. A malformed pattern is an error
/// (`syntax error in pattern`), as in Go.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, ApiError> {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
        .ok_or_else(|| ApiError::invalid("syntax error in pattern".to_string()))
}

fn match_from(pattern: &[char], name: &[char]) -> Option<bool> {
    let Some((&first, rest)) = pattern.split_first() else {
        return Some(name.is_empty());
    };
    match first {
        '*' => {
            // Any run of non-separators, shortest first.
            for taken in 0..=name.len() {
                if taken > 0 && name[taken - 1] == '/' {
                    break;
                }
                if match_from(rest, &name[taken..])? {
                    return Some(true);
                }
            }
            // Still check the rest of the pattern is well formed.
            check_pattern(rest)?;
            Some(false)
        }
        '?' => match name.split_first() {
            Some((&c, tail)) if c != '/' => match_from(rest, tail),
            _ => check_pattern(rest).map(|()| false),
        },
        '[' => {
            let (matched, after) = match_class(rest, name.first().copied())?;
            if matched {
                match_from(after, &name[1..])
            } else {
                check_pattern(after).map(|()| false)
            }
        }
        '\\' => {
            let (&escaped, after) = rest.split_first()?;
            match name.split_first() {
                Some((&c, tail)) if c == escaped => match_from(after, tail),
                _ => check_pattern(after).map(|()| false),
            }
        }
        literal => match name.split_first() {
            Some((&c, tail)) if c == literal => match_from(rest, tail),
            _ => check_pattern(rest).map(|()| false),
        },
    }
}

/// `None` when the pattern is malformed.
fn check_pattern(pattern: &[char]) -> Option<()> {
    let mut rest = pattern;
    while let Some((&c, tail)) = rest.split_first() {
        rest = match c {
            '[' => match_class(tail, None)?.1,
            '\\' => tail.split_first()?.1,
            _ => tail,
        };
    }
    Some(())
}

/// Matches one character against the class after `[`; returns whether it
/// matched and the pattern after `]`. With `c` None only checks syntax.
fn match_class(class: &[char], c: Option<char>) -> Option<(bool, &[char])> {
    let mut rest = class;
    let negated = rest.first() == Some(&'^');
    if negated {
        rest = &rest[1..];
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let (&lo, tail) = rest.split_first()?;
        if lo == ']' && !first {
            rest = tail;
            break;
        }
        first = false;
        let (lo, tail) = if lo == '\\' {
            let (&escaped, tail) = tail.split_first()?;
            (escaped, tail)
        } else if lo == '-' {
            return None;
        } else {
            (lo, tail)
        };
        rest = tail;
        let mut hi = lo;
        if rest.first() == Some(&'-') && rest.get(1) != Some(&']') {
            let (&h, tail) = rest[1..].split_first()?;
            let (h, tail) = if h == '\\' {
                let (&escaped, tail) = tail.split_first()?;
                (escaped, tail)
            } else {
                (h, tail)
            };
            hi = h;
            rest = tail;
        }
        if let Some(c) = c
            && lo <= c
            && c <= hi
        {
            matched = true;
        }
    }
    let Some(c) = c else {
        return Some((false, rest));
    };
    Some((c != '/' && matched != negated, rest))
}

/// moby's `MatchKVList`: every `key` or `key=value` of the filter must be
/// among `labels`; no filter matches everything.
pub fn match_labels(
    filters: &Filters,
    key: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let wanted = filters.get(key);
    if wanted.is_empty() {
        return true;
    }
    let Some(labels) = labels.filter(|labels| !labels.is_empty()) else {
        return false;
    };
    wanted.iter().all(|item| match item.split_once('=') {
        Some((name, value)) => labels.get(name).is_some_and(|v| v == value),
        None => labels.contains_key(item.as_str()),
    })
}

/// A filter timestamp as moby's `timestamp.GetTimestamp` reads it: Unix
/// seconds (with a fraction), a Go duration before `now` (`10m`, `1h30m`),
/// or an RFC 3339 date or time. Returns Unix seconds.
pub fn parse_timestamp(value: &str, now: SystemTime) -> Result<f64, ApiError> {
    let invalid = || {
        ApiError::invalid(format!(
            "invalid value for 'until' filter: failed to parse value as time or duration: \"{value}\""
        ))
    };
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    if let Some(duration) = parse_go_duration(value) {
        return Ok(now - duration);
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return value.parse::<f64>().map_err(|_| invalid());
    }
    let full = match value.len() {
        10 => format!("{value}T00:00:00Z"),
        19 => format!("{value}Z"),
        _ => value.to_string(),
    };
    crate::image::config::parse_rfc3339(&full)
        .map(|seconds| seconds as f64)
        .ok_or_else(invalid)
}

/// Go's `time.ParseDuration` for the units a filter uses.
fn parse_go_duration(text: &str) -> Option<f64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn globs_like_go_path_match() {
        let yes = |p: &str, n: &str| assert!(glob_match(p, n).unwrap(), "{p} {n}");
        let no = |p: &str, n: &str| assert!(!glob_match(p, n).unwrap(), "{p} {n}");
        yes("busybox", "busybox");
        yes("busy*", "busybox");
        yes("*:latest", "busybox:latest");
        no("*", "user/img");
        yes("*/*", "user/img");
        yes("b?sybox", "busybox");
        yes("[a-c]usybox", "busybox");
        no("[^a-c]usybox", "busybox");
        yes("x\\*", "x*");
        no("busybox", "busybox:latest");
        assert!(glob_match("[", "a").is_err());
        assert!(glob_match("a[", "b").is_err());
    }

    #[test]
    fn label_lists() {
        let filters = Filters::parse(r#"{"label":["a","b=2"]}"#).unwrap();
        let labels: BTreeMap<String, String> = [("a", "1"), ("b", "2")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(match_labels(&filters, "label", Some(&labels)));
        let other: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        assert!(!match_labels(&filters, "label", Some(&other)));
        assert!(!match_labels(&filters, "label", None));
        assert!(match_labels(&filters, "label!", None));
    }

    #[test]
    fn timestamps() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        assert_eq!(parse_timestamp("1h", now).unwrap(), 6400.0);
        assert_eq!(parse_timestamp("1h30m", now).unwrap(), 4600.0);
        assert_eq!(parse_timestamp("1500", now).unwrap(), 1500.0);
        assert_eq!(parse_timestamp("1500.5", now).unwrap(), 1500.5);
        assert_eq!(parse_timestamp("2026-01-01", now).unwrap(), 1_767_225_600.0);
        assert_eq!(
            parse_timestamp("2026-01-01T00:00:00Z", now).unwrap(),
            1_767_225_600.0
        );
        assert_eq!(parse_timestamp("x", now).unwrap_err().status(), 400);
    }
}
