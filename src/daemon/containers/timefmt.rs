//! Times as the container endpoints show and accept them.

use crate::api::time::rfc3339_nano;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in nanoseconds since the epoch.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Go's rendering of a time in RFC3339Nano; 0 is Go's zero time.
pub fn go_time(nanos: i64) -> String {
    if nanos <= 0 {
        return "0001-01-01T00:00:00Z".to_string();
    }
    rfc3339_nano(UNIX_EPOCH + Duration::from_nanos(nanos as u64))
}

/// go-units' `HumanDuration`, as `docker ps` shows ages.
pub fn human_duration(nanos: i64) -> String {
    let seconds = nanos / 1_000_000_000;
    let minutes = seconds / 60;
    // Hours are rounded, as Go's Duration.Round(time.Hour) does.
    let hours = (nanos + 1_800_000_000_000) / 3_600_000_000_000;
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

/// A Go duration such as `10m`, `1h30m`, `1.5s`, `300ms`, in nanoseconds.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * scale;
    }
    Some(if negative { -total } else { total } as i64)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An RFC3339 time (`2006-01-02T15:04:05[.frac](Z|±hh:mm)`), a date, or a
/// date and time without zone (taken as UTC), in nanoseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let (year, month, day) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut nanos = days_from_civil(year, month, day) * 86_400 * 1_000_000_000;
    let Some(time) = time else {
        return Some(nanos);
    };
    let (clock, offset) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, 0)
    } else if let Some(at) = time.rfind(['+', '-']) {
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':')?;
        (clock, sign * (number(h)? * 3600 + number(m)? * 60))
    } else {
        (time, 0)
    };
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut hms = whole.splitn(3, ':');
    let (h, m, s) = (
        number(hms.next()?)?,
        number(hms.next()?)?,
        number(hms.next().unwrap_or("0"))?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    nanos += (h * 3600 + m * 60 + s - offset) * 1_000_000_000;
    if !fraction.is_empty() {
        let digits: String = fraction
            .chars()
            .chain("000000000".chars())
            .take(9)
            .collect();
        nanos += number(&digits)?;
    }
    Some(nanos)
}

/// moby's `timetypes.GetTimestamp` for `since`/`until` filters: a Go
/// duration before `now`, an RFC3339 time or date, or Unix seconds with
/// an optional fraction. Nanoseconds since the epoch.
pub fn parse_timestamp(text: &str, now: i64) -> Option<i64> {
    if let Some(duration) = parse_go_duration(text) {
        return Some(now - duration);
    }
    if text.contains('-') && text.len() >= 10 && text.as_bytes()[4] == b'-' {
        return parse_rfc3339(text);
    }
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i64 = seconds.parse().ok()?;
    let mut nanos = seconds.checked_mul(1_000_000_000)?;
    if !fraction.is_empty() {
        if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: String = fraction
            .chars()
            .chain("000000000".chars())
            .take(9)
            .collect();
        nanos += digits.parse::<i64>().ok()?;
    }
    Some(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn durations_read_like_docker_ps() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(S), "1 second");
        assert_eq!(human_duration(59 * S), "59 seconds");
        assert_eq!(human_duration(90 * S), "About a minute");
        assert_eq!(human_duration(5 * 60 * S), "5 minutes");
        assert_eq!(human_duration(3600 * S), "About an hour");
        assert_eq!(human_duration(5 * 3600 * S), "5 hours");
        assert_eq!(human_duration(72 * 3600 * S), "3 days");
        assert_eq!(human_duration(3 * 7 * 86400 * S), "3 weeks");
        assert_eq!(human_duration(3 * 365 * 86400 * S), "3 years");
    }

    #[test]
    fn timestamps_as_filters_take_them() {
        let now = 1_700_000_000 * S;
        assert_eq!(parse_timestamp("10m", now), Some(now - 600 * S));
        assert_eq!(parse_timestamp("1h30m", now), Some(now - 5400 * S));
        assert_eq!(parse_timestamp("1700000000", now), Some(now));
        assert_eq!(parse_timestamp("1700000000.5", now), Some(now + S / 2));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20Z", now),
            Some(1_700_000_000 * S)
        );
        assert_eq!(
            parse_timestamp("2023-11-14T23:13:20.25+01:00", now),
            Some(1_700_000_000 * S + S / 4)
        );
        assert_eq!(parse_timestamp("2023-11-14", now), Some(1_699_920_000 * S));
        assert_eq!(parse_timestamp("yesterday", now), None);
        assert_eq!(parse_go_duration("300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("5x"), None);
        assert_eq!(go_time(0), "0001-01-01T00:00:00Z");
    }
}
