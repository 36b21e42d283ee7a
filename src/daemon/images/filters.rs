//! What image filters need beyond the generic filter parsing: Go's
//! `path.Match` globs for `reference`, `label` key/value lists, and the
//! timestamps `until` accepts.

use crate::api::{ApiError, Filters};
use crate::gofmt::time::{NANOS_PER_SECOND, UnixTime};
use crate::gofmt::timestamp::timestamp_nanos;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Go's `path.Match`: `*` matches a run of non-`/` characters, `?` one
/// non-`/` character, `[...]` one character of a class (ranges, `^`
/// negation; a class may match `/`), `\\` escapes. A malformed pattern is
/// an error (`syntax error in pattern`), as in Go, even when the name
/// already failed to match.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, ApiError> {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    path_match(&pattern, &name)
        .map_err(|BadPattern| ApiError::invalid("syntax error in pattern".to_string()))
}

/// A pattern Go's `path.Match` answers with `ErrBadPattern`.
#[derive(Debug, PartialEq, Eq)]
struct BadPattern;

/// The pattern is a list of chunks, each a run of stars and then the
/// items up to the next star. Every item matches exactly one character,
/// so a chunk matches a fixed-length stretch of the name, and after a
/// star the leftmost place a chunk fits is never worse than a later one
/// (only the last chunk must also end where the name ends). Each chunk is
/// therefore tried at most once per position of the name and never
/// revisited: O(pattern × name), where trying every split for every star
/// grew exponentially with the number of stars.
fn path_match(pattern: &[char], name: &[char]) -> Result<bool, BadPattern> {
    let mut pattern = pattern;
    let mut name = name;
    while !pattern.is_empty() {
        let chunk = Chunk::scan(pattern);
        pattern = chunk.rest;
        let last = pattern.is_empty();
        if chunk.star && chunk.items.is_empty() {
            // A trailing star takes the rest of the name, if it has no `/`.
            return Ok(!name.contains(&'/'));
        }
        if let Some(left) = chunk.fit(name, last)? {
            name = left;
            continue;
        }
        // No fit: the rest of the pattern must still be well formed.
        while !pattern.is_empty() {
            let chunk = Chunk::scan(pattern);
            match_items(chunk.items, &[])?;
            pattern = chunk.rest;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

struct Chunk<'p> {
    /// Whether stars come before the items.
    star: bool,
    items: &'p [char],
    rest: &'p [char],
}

impl<'p> Chunk<'p> {
    /// Splits the chunk off the front of `pattern`: its leading stars, then
    /// everything up to the next star outside a class.
    fn scan(pattern: &'p [char]) -> Chunk<'p> {
        let stars = pattern.iter().take_while(|&&c| c == '*').count();
        let body = &pattern[stars..];
        let mut in_class = false;
        let mut end = 0;
        while end < body.len() {
            match body[end] {
                '\\' if end + 1 < body.len() => end += 1,
                '[' => in_class = true,
                ']' => in_class = false,
                '*' if !in_class => break,
                _ => {}
            }
            end += 1;
        }
        Chunk {
            star: stars > 0,
            items: &body[..end],
            rest: &body[end..],
        }
    }

    /// What is left of `name` after the chunk matched at its leftmost
    /// possible place: at the start, or (after a star) past any run of
    /// non-`/` characters. The last chunk must use up the name.
    fn fit<'n>(&self, name: &'n [char], last: bool) -> Result<Option<&'n [char]>, BadPattern> {
        let fits = |left: &[char]| !last || left.is_empty();
        if let Some(left) = match_items(self.items, name)?
            && fits(left)
        {
            return Ok(Some(left));
        }
        if !self.star {
            return Ok(None);
        }
        for skipped in 1..=name.len() {
            if name[skipped - 1] == '/' {
                break;
            }
            if let Some(left) = match_items(self.items, &name[skipped..])?
                && fits(left)
            {
                return Ok(Some(left));
            }
        }
        Ok(None)
    }
}

/// Matches the star-free `items` against the start of `name` and returns
/// the rest of the name. The whole of `items` is always parsed, so a
/// malformed one is an error whatever the name.
fn match_items<'n>(items: &[char], name: &'n [char]) -> Result<Option<&'n [char]>, BadPattern> {
    let mut items = items;
    let mut name = name;
    let mut failed = false;
    while let Some((&item, after)) = items.split_first() {
        items = after;
        let matched = match item {
            '[' => {
                let c = next_char(&mut failed, &mut name);
                let (in_class, after) = match_class(items, c)?;
                items = after;
                in_class
            }
            '?' => next_char(&mut failed, &mut name).is_some_and(|c| c != '/'),
            '\\' => {
                let (&escaped, after) = items.split_first().ok_or(BadPattern)?;
                items = after;
                next_char(&mut failed, &mut name) == Some(escaped)
            }
            literal => next_char(&mut failed, &mut name) == Some(literal),
        };
        failed |= !matched;
    }
    Ok((!failed).then_some(name))
}

/// The next character of the name, or None once the match has failed
/// (the name running out fails it).
fn next_char(failed: &mut bool, name: &mut &[char]) -> Option<char> {
    if *failed {
        return None;
    }
    match name.split_first() {
        Some((&c, tail)) => {
            *name = tail;
            Some(c)
        }
        None => {
            *failed = true;
            None
        }
    }
}

/// Parses the class after `[` and says whether `c` is in it (false for
/// None), with the pattern after the closing `]`.
fn match_class(class: &[char], c: Option<char>) -> Result<(bool, &[char]), BadPattern> {
    let (negated, mut rest) = match class.split_first() {
        Some(('^', tail)) => (true, tail),
        _ => (false, class),
    };
    let mut in_ranges = false;
    let mut ranges = 0;
    loop {
        if ranges > 0
            && let Some((']', tail)) = rest.split_first()
        {
            rest = tail;
            break;
        }
        let (low, tail) = class_char(rest)?;
        let (high, tail) = match tail.split_first() {
            Some(('-', tail)) => class_char(tail)?,
            _ => (low, tail),
        };
        rest = tail;
        in_ranges |= c.is_some_and(|c| low <= c && c <= high);
        ranges += 1;
    }
    Ok((c.is_some() && in_ranges != negated, rest))
}

/// One possibly escaped character of a class; something must follow it
/// (at least the closing `]`).
fn class_char(class: &[char]) -> Result<(char, &[char]), BadPattern> {
    let (c, tail) = match class.split_first() {
        None | Some(('-' | ']', _)) => return Err(BadPattern),
        Some(('\\', tail)) => {
            let (&escaped, tail) = tail.split_first().ok_or(BadPattern)?;
            (escaped, tail)
        }
        Some((&c, tail)) => (c, tail),
    };
    if tail.is_empty() {
        return Err(BadPattern);
    }
    Ok((c, tail))
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
    let now = UnixTime::from_system(now).as_nanos() as i64;
    timestamp_nanos(value, now)
        .map(|nanos| nanos as f64 / NANOS_PER_SECOND as f64)
        .map_err(|error| ApiError::invalid(format!("invalid value for 'until' filter: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// Cases from Go's path.Match documentation and tests, and the
    /// shapes docker's reference filter sees.
    #[test]
    fn globs_like_go_path_match() {
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            // A class, unlike `?` and `*`, may match a `/`.
            ("a[^x]b", "a/b", Ok(true)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", Err(BadPattern)),
            ("[-]", "-", Err(BadPattern)),
            ("[x-]", "x", Err(BadPattern)),
            ("[-x]", "x", Err(BadPattern)),
            ("\\", "a", Err(BadPattern)),
            ("[a-b-c]", "a", Err(BadPattern)),
            ("[", "a", Err(BadPattern)),
            ("[^", "a", Err(BadPattern)),
            ("[^bc", "a", Err(BadPattern)),
            ("a[", "a", Err(BadPattern)),
            ("a[", "ab", Err(BadPattern)),
            ("a[", "x", Err(BadPattern)),
            ("a/b[", "x", Err(BadPattern)),
            ("*x", "xxx", Ok(true)),
            ("*x", "xxy", Ok(false)),
            ("*?", "", Ok(false)),
            ("", "", Ok(true)),
            ("", "a", Ok(false)),
            // The reference filter's shapes.
            ("busy*", "busybox", Ok(true)),
            ("*:latest", "busybox:latest", Ok(true)),
            ("*", "user/img", Ok(false)),
            ("*/*", "user/img", Ok(true)),
            ("busybox", "busybox:latest", Ok(false)),
        ];
        for (pattern, name, expected) in cases {
            let pattern_chars: Vec<char> = pattern.chars().collect();
            let name_chars: Vec<char> = name.chars().collect();
            assert_eq!(
                &path_match(&pattern_chars, &name_chars),
                expected,
                "pattern {pattern:?} name {name:?}"
            );
        }
        assert_eq!(
            glob_match("a[", "b").unwrap_err().message,
            "syntax error in pattern"
        );
    }

    /// Every split of the name for every star took time exponential in the
    /// stars: 8 `*?` pairs ran 11 s. The chunk matcher is quadratic at
    /// worst; the bound is generous for a loaded debug build.
    #[test]
    fn many_stars_match_in_polynomial_time() {
        let name = "a".repeat(50);
        for pairs in [8, 10, 50] {
            let failing = format!("{}Z", "*?".repeat(pairs));
            let started = std::time::Instant::now();
            assert!(!glob_match(&failing, &name).unwrap());
            let matching = format!("{}a", "*?".repeat(pairs.min(49)));
            assert!(glob_match(&matching, &name).unwrap());
            let elapsed = started.elapsed();
            assert!(
                elapsed < std::time::Duration::from_secs(1),
                "{pairs} pairs took {elapsed:?}"
            );
        }
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
        // Go spells microseconds with the Greek mu as well as the micro sign.
        assert_eq!(parse_timestamp("3600000000\u{3bc}s", now).unwrap(), 6400.0);
        assert_eq!(parse_timestamp("3600000000\u{b5}s", now).unwrap(), 6400.0);
    }
}
