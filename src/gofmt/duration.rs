//! Go durations: `time.ParseDuration` (`1h2m3.5s`, `300ms`, `1.5µs`,
//! `-2us`) with its error texts, and go-units'
//! `HumanDuration` as `docker ps` shows ages (`Up 3 minutes`), and Go's
//! `Duration.String` (`1m30s`, `1.5s`, `500ms`).

use super::quote::go_quote;
use std::time::Duration;

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SECOND: u64 = 1_000_000_000;
const NANOS_PER_MINUTE: u64 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: u64 = 60 * NANOS_PER_MINUTE;
/// Go's durations are int64 nanoseconds; the sum may reach 1<<63 only
/// when it is negated.
const LIMIT: u64 = 1 << 63;

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        // The micro sign (U+00B5) and the Greek mu (U+03BC), as Go takes both.
        "us" | "\u{b5}s" | "\u{3bc}s" => NANOS_PER_MICRO,
        "ms" => NANOS_PER_MILLI,
        "s" => NANOS_PER_SECOND,
        "m" => NANOS_PER_MINUTE,
        "h" => NANOS_PER_HOUR,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`, in nanoseconds (negative allowed), with Go's
/// error texts (`time: invalid duration "x"`).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(text));
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (component, after) =
            parse_component(rest, text).map_err(|e| e.unwrap_or_else(invalid))?;
        rest = after;
        total = total
            .checked_add(component)
            .filter(|&sum| sum <= LIMIT)
            .ok_or_else(invalid)?;
    }
    if negative {
        return Ok((total as i64).wrapping_neg());
    }
    if total > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(total as i64)
}

/// One `number unit` of a duration, in nanoseconds, and the rest. An error
/// of `None` is Go's plain "invalid duration".
fn parse_component<'a>(text: &'a str, whole: &str) -> Result<(u64, &'a str), Option<String>> {
    let digits_end = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let integer_len = digits_end(text);
    let integer = &text[..integer_len];
    let mut rest = &text[integer_len..];
    let mut fraction = "";
    if let Some(after_point) = rest.strip_prefix('.') {
        let fraction_len = digits_end(after_point);
        fraction = &after_point[..fraction_len];
        rest = &after_point[fraction_len..];
    }
    if integer.is_empty() && fraction.is_empty() {
        return Err(None);
    }
    let unit_len = rest
        .find(|c: char| c == '.' || c.is_ascii_digit())
        .unwrap_or(rest.len());
    let unit = &rest[..unit_len];
    if unit.is_empty() {
        return Err(Some(format!(
            "time: missing unit in duration {}",
            go_quote(whole)
        )));
    }
    let scale = unit_nanos(unit).ok_or_else(|| {
        Some(format!(
            "time: unknown unit {} in duration {}",
            go_quote(unit),
            go_quote(whole)
        ))
    })?;
    let value: u64 = if integer.is_empty() {
        0
    } else {
        integer.parse().map_err(|_| None)?
    };
    if value > LIMIT / scale {
        return Err(None);
    }
    let mut nanos = value * scale;
    // Go reads the fraction's digits while they fit and scales them in
    // floating point, truncating.
    let (mut numerator, mut denominator) = (0u64, 1f64);
    for digit in fraction.bytes() {
        match numerator
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit - b'0')))
            .filter(|&n| n <= LIMIT)
        {
            Some(next) => {
                numerator = next;
                denominator *= 10.0;
            }
            None => break,
        }
    }
    if numerator > 0 {
        nanos += (numerator as f64 * (scale as f64 / denominator)) as u64;
        if nanos > LIMIT {
            return Err(None);
        }
    }
    Ok((nanos, &rest[unit_len..]))
}

/// go-units' `HumanDuration`: `Less than a second`, `About a minute`,
/// `3 hours`, `2 weeks`; hours are rounded, as Go's `math.Round(d.Hours())`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let minutes = seconds / 60;
    let nanos = duration.as_nanos();
    let hours = (nanos + u128::from(NANOS_PER_HOUR / 2)) / u128::from(NANOS_PER_HOUR);
    match () {
        _ if seconds < 1 => "Less than a second".to_string(),
        _ if seconds == 1 => "1 second".to_string(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".to_string(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".to_string(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// `human_duration` of a span in nanoseconds; a negative span reads as
/// less than a second, as go-units does.
pub fn human_duration_nanos(nanos: i64) -> String {
    human_duration(Duration::from_nanos(nanos.max(0) as u64))
}

/// A whole number and its fraction of `unit` nanoseconds, trailing zeros
/// of the fraction dropped: `1.5` for 1500 in units of 1000.
fn with_fraction(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = unit.ilog10() as usize;
    let text = format!("{fraction:0digits$}");
    format!("{whole}.{}", text.trim_end_matches('0'))
}

/// Go's `time.Duration.String` of `nanos`: `0s`, `250ms`, `1.5µs`,
/// `1m30s`, `1h0m0s`.
pub fn go_duration_string(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let value = nanos.unsigned_abs();
    let text = match value {
        0 => "0s".to_string(),
        _ if value < NANOS_PER_MICRO => format!("{value}ns"),
        _ if value < NANOS_PER_MILLI => format!("{}\u{b5}s", with_fraction(value, NANOS_PER_MICRO)),
        _ if value < NANOS_PER_SECOND => format!("{}ms", with_fraction(value, NANOS_PER_MILLI)),
        _ => {
            let seconds = with_fraction(value % NANOS_PER_MINUTE, NANOS_PER_SECOND);
            let minutes = value / NANOS_PER_MINUTE % 60;
            let hours = value / NANOS_PER_HOUR;
            match (hours, minutes) {
                (0, 0) => format!("{seconds}s"),
                (0, _) => format!("{minutes}m{seconds}s"),
                _ => format!("{hours}h{minutes}m{seconds}s"),
            }
        }
    };
    format!("{sign}{text}")
}

#[cfg(test)]
#[path = "duration_tests.rs"]
mod tests;
