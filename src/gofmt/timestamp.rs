//! `--since` and `--until` of `logs` and `events`, and the `since`/`until`
//! filters: a Go duration before now (`10m`), an RFC 3339 date or
//! date-time (in the local zone unless it names one), or a Unix timestamp
//! `seconds[.nanos]`, as moby's `timetypes.GetTimestamp` turns them into
//! the text the API carries and `timetypes.ParseTimestamps` reads it back.

use super::duration::parse_duration;
use super::quote::go_quote as quote;
use super::time::{DateTime, NANOS_PER_SECOND, days_in_month};

/// The layouts docker tries, named as Go spells them in its errors.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Layout {
    Date,
    DateHour,
    DateMinute,
    DateTime,
    DateTimeNano,
}

impl Layout {
    fn go_name(self, zoned: bool) -> &'static str {
        match (self, zoned) {
            (Layout::Date, false) => "2006-01-02",
            (Layout::Date, true) => "2006-01-02Z07:00",
            (Layout::DateHour, false) => "2006-01-02T15",
            (Layout::DateHour, true) => "2006-01-02T15Z07:00",
            (Layout::DateMinute, false) => "2006-01-02T15:04",
            (Layout::DateMinute, true) => "2006-01-02T15:04Z07:00",
            (Layout::DateTime, false) => "2006-01-02T15:04:05",
            (Layout::DateTime, true) => "2006-01-02T15:04:05Z07:00",
            (Layout::DateTimeNano, false) => "2006-01-02T15:04:05.999999999",
            (Layout::DateTimeNano, true) => "2006-01-02T15:04:05.999999999Z07:00",
        }
    }
}

/// Converts a `--since`/`--until` value. `now` is the reference time in
/// Unix seconds and `local_offset` the local zone's offset east of UTC in
/// seconds, used for times that name no zone.
pub fn get_timestamp(value: &str, now: i64, local_offset: i64) -> Result<String, String> {
    if value != "0"
        && let Ok(nanos) = parse_duration(value)
    {
        // Go truncates the shifted time to whole seconds.
        let shifted = now as i128 * 1_000_000_000 - nanos as i128;
        return Ok(shifted.div_euclid(1_000_000_000).to_string());
    }
    let zoned = value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3;
    let layout = if value.contains('.') {
        Layout::DateTimeNano
    } else if value.contains('T') {
        let mut colons = value.matches(':').count();
        if zoned && !value.contains(['z', 'Z']) && colons > 0 {
            colons -= 1;
        }
        match colons {
            0 => Layout::DateHour,
            1 => Layout::DateMinute,
            _ => Layout::DateTime,
        }
    } else {
        Layout::Date
    };
    match parse_layout(value, layout, zoned, local_offset) {
        Ok((seconds, nanos)) => Ok(format!("{seconds}.{nanos:09}")),
        Err(LayoutError::OutOfRange(field)) => Err(format!(
            "parsing time {}: {field} out of range",
            quote(value)
        )),
        Err(LayoutError::ExtraText(extra)) => Err(format!(
            "parsing time {}: extra text: {}",
            quote(value),
            quote(&extra)
        )),
        Err(LayoutError::Mismatch(rest, element)) => {
            if value.contains('-') {
                return Err(format!(
                    "parsing time {} as {}: cannot parse {} as {}",
                    quote(value),
                    quote(layout.go_name(zoned)),
                    quote(&rest),
                    quote(element)
                ));
            }
            if parse_unix_nanos(value).is_err() {
                return Err(format!(
                    "failed to parse value as time or duration: {}",
                    quote(value)
                ));
            }
            Ok(value.to_string())
        }
    }
}

/// How Go's time.Parse fails: a field out of its range (reported as soon
/// as it is read, the day once the whole value is), text after the
/// layout, or text that does not fit the layout element at that point.
#[derive(Debug, PartialEq)]
enum LayoutError {
    OutOfRange(&'static str),
    ExtraText(String),
    /// The rest of the value and the layout element it failed.
    Mismatch(String, &'static str),
}

/// A fixed-width number, named by its layout element (`2006`, `01`).
fn number(rest: &mut &str, width: usize, element: &'static str) -> Result<i64, LayoutError> {
    let mismatch = || LayoutError::Mismatch(rest.to_string(), element);
    let field = rest.get(..width).ok_or_else(mismatch)?;
    if !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(mismatch());
    }
    let parsed = field.parse().map_err(|_| mismatch())?;
    *rest = &rest[width..];
    Ok(parsed)
}

fn literal(rest: &mut &str, text: &'static str) -> Result<(), LayoutError> {
    match rest.strip_prefix(text) {
        Some(after) => {
            *rest = after;
            Ok(())
        }
        None => Err(LayoutError::Mismatch(rest.to_string(), text)),
    }
}

fn in_range(ok: bool, field: &'static str) -> Result<(), LayoutError> {
    if ok {
        Ok(())
    } else {
        Err(LayoutError::OutOfRange(field))
    }
}

/// Parses `value` in exactly `layout`, returning Unix seconds and nanos.
fn parse_layout(
    value: &str,
    layout: Layout,
    zoned: bool,
    local_offset: i64,
) -> Result<(i64, u32), LayoutError> {
    let mut rest = value;
    let year = number(&mut rest, 4, "2006")?;
    literal(&mut rest, "-")?;
    let month = number(&mut rest, 2, "01")?;
    in_range((1..=12).contains(&month), "month")?;
    literal(&mut rest, "-")?;
    let day = number(&mut rest, 2, "02")?;
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0u32);
    if layout != Layout::Date {
        literal(&mut rest, "T")?;
        hour = number(&mut rest, 2, "15")?;
        in_range(hour < 24, "hour")?;
        if layout != Layout::DateHour {
            literal(&mut rest, ":")?;
            minute = number(&mut rest, 2, "04")?;
            in_range(minute < 60, "minute")?;
        }
        if matches!(layout, Layout::DateTime | Layout::DateTimeNano) {
            literal(&mut rest, ":")?;
            second = number(&mut rest, 2, "05")?;
            in_range(second < 60, "second")?;
        }
        // Go reads a fraction only when a digit follows the point, and
        // keeps nine digits of a longer one.
        if layout == Layout::DateTimeNano
            && let Some(fraction) = rest.strip_prefix('.')
            && fraction.starts_with(|c: char| c.is_ascii_digit())
        {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            let kept = &fraction[..digits.min(9)];
            nanos = format!("{kept:0<9}").parse().unwrap_or(0);
            rest = &fraction[digits..];
        }
    }
    let offset = if !zoned {
        local_offset
    } else if let Some(after) = rest.strip_prefix('Z') {
        rest = after;
        0
    } else {
        let zone_error = LayoutError::Mismatch(rest.to_string(), "Z07:00");
        let sign = match rest.chars().next() {
            Some('+') => 1,
            Some('-') => -1,
            _ => return Err(zone_error),
        };
        let mut zone = &rest[1..];
        let hours = number(&mut zone, 2, "Z07:00");
        let colon = hours.is_ok() && literal(&mut zone, ":").is_ok();
        let minutes = number(&mut zone, 2, "Z07:00");
        match (hours, colon, minutes) {
            (Ok(hours), true, Ok(minutes)) => {
                rest = zone;
                sign * (hours * 3600 + minutes * 60)
            }
            _ => return Err(zone_error),
        }
    };
    if !rest.is_empty() {
        return Err(LayoutError::ExtraText(rest.to_string()));
    }
    in_range(
        day >= 1 && day <= i64::from(days_in_month(year, month as u32)),
        "day",
    )?;
    let reading = DateTime {
        year,
        month: month as u32,
        day: day as u32,
        hour: hour as u32,
        minute: minute as u32,
        second: second as u32,
    };
    Ok((reading.unix(offset), nanos))
}

/// moby's `timetypes.ParseTimestamps`: `seconds[.fraction]` (what
/// `get_timestamp` gives) in nanoseconds since the epoch, the fraction cut
/// to nine digits; `None` when empty. Errors are moby's texts.
pub fn parse_unix_nanos(value: &str) -> Result<Option<i64>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = |why: String| format!("invalid timestamp {value:?}: {why}");
    let (seconds, fraction) = value.split_once('.').unwrap_or((value, ""));
    let seconds: i64 = seconds.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        invalid(format!("invalid seconds {seconds:?}: {why}"))
    })?;
    if fraction.len() > 20 {
        return Err(invalid(format!(
            "invalid nanoseconds: length {} exceeds maximum 20",
            fraction.len()
        )));
    }
    if let Some((at, c)) = fraction.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(invalid(format!(
            "invalid nanoseconds: invalid character {c:?} at position {at}"
        )));
    }
    // The fraction is scaled to nanoseconds (`.5` is half a second) and
    // added, as Go's `time.Unix(seconds, nanos)` does.
    let nanos: i64 = format!("{:0<9}", &fraction[..fraction.len().min(9)])
        .parse()
        .unwrap_or(0);
    seconds
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|s| s.checked_add(nanos))
        .map(Some)
        .ok_or_else(|| invalid("value out of range".into()))
}

/// A `since`/`until` value as the daemon reads it (a filter, or a log
/// query from a client that did not convert it): `get_timestamp` in UTC,
/// then `parse_unix_nanos`. Nanoseconds since the epoch.
pub fn timestamp_nanos(value: &str, now_nanos: i64) -> Result<i64, String> {
    let now = now_nanos.div_euclid(NANOS_PER_SECOND);
    let text = get_timestamp(value, now, 0)?;
    Ok(parse_unix_nanos(&text)?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2016-01-01T00:00:00Z, as in docker's timetypes tests.
    const NOW: i64 = 1451606400;

    #[test]
    fn timestamps_as_docker_timetypes() {
        let utc = [
            ("2006-01-02T15:04:05.123456789", "1136214245.123456789"),
            (
                "2006-01-02T15:04:05.999999999+07:00",
                "1136189045.999999999",
            ),
            ("2006-01-02T15:04:05.999999999Z", "1136214245.999999999"),
            (
                "2006-01-02T15:04:05.999999999-07:00",
                "1136239445.999999999",
            ),
            ("2006-01-02T15:04:05", "1136214245.000000000"),
            ("2006-01-02T15:04:05+07:00", "1136189045.000000000"),
            ("2006-01-02T15:04:05Z", "1136214245.000000000"),
            ("2006-01-02T15:04:05-07:00", "1136239445.000000000"),
            ("2006-01-02T15:04", "1136214240.000000000"),
            ("2006-01-02T15:04+07:00", "1136189040.000000000"),
            ("2006-01-02T15:04Z", "1136214240.000000000"),
            ("2006-01-02T15", "1136214000.000000000"),
            ("2006-01-02T15Z", "1136214000.000000000"),
            ("2006-01-02", "1136160000.000000000"),
            ("2006-01-02+07:00", "1136134800.000000000"),
            ("2006-01-02Z", "1136160000.000000000"),
            ("1136073600", "1136073600"),
            ("1136073600.000000001", "1136073600.000000001"),
            ("1.5h", "1451601000"),
            ("1h30m", "1451601000"),
            ("10m", "1451605800"),
            ("-10m", "1451607000"),
            ("0", "0"),
            ("", ""),
        ];
        for (value, want) in utc {
            assert_eq!(
                get_timestamp(value, NOW, 0).as_deref(),
                Ok(want),
                "{value:?}"
            );
        }
    }

    #[test]
    fn local_times_use_the_local_offset() {
        // In UTC+1 local midnight is 23:00 UTC the day before.
        assert_eq!(
            get_timestamp("2006-01-02", NOW, 3600).as_deref(),
            Ok("1136156400.000000000")
        );
        // A zone in the value wins over the local one.
        assert_eq!(
            get_timestamp("2006-01-02Z", NOW, 3600).as_deref(),
            Ok("1136160000.000000000")
        );
    }

    #[test]
    fn bad_values() {
        assert_eq!(
            get_timestamp("invalid", NOW, 0),
            Err("failed to parse value as time or duration: \"invalid\"".into())
        );
        // Go's time.Parse texts for fields out of range and extra text.
        assert_eq!(
            get_timestamp("2006-13-02", NOW, 0),
            Err("parsing time \"2006-13-02\": month out of range".into())
        );
        assert_eq!(
            get_timestamp("2006-02-30T10", NOW, 0),
            Err("parsing time \"2006-02-30T10\": day out of range".into())
        );
        assert_eq!(
            get_timestamp("2006-02-01T10:61", NOW, 0),
            Err("parsing time \"2006-02-01T10:61\": minute out of range".into())
        );
        assert_eq!(
            get_timestamp("2006-02-01T10:00:00x", NOW, 0),
            Err("parsing time \"2006-02-01T10:00:00x\": extra text: \"x\"".into())
        );
        assert_eq!(
            get_timestamp("2020-1-01", NOW, 0),
            Err(
                "parsing time \"2020-1-01\" as \"2006-01-02\": cannot parse \"1-01\" as \"01\""
                    .into()
            )
        );
        assert_eq!(
            get_timestamp("2020-01-01T10:00+0100", NOW, 0),
            Err("parsing time \"2020-01-01T10:00+0100\" as \"2006-01-02T15Z07:00\": cannot parse \":00+0100\" as \"Z07:00\"".into())
        );
    }

    const S: i64 = NANOS_PER_SECOND;

    #[test]
    fn timestamps_as_the_daemon_reads_them() {
        let now = 1_700_000_000 * S + 250_000_000;
        let cases = [
            // Relative times count from now, truncated to whole seconds.
            ("10m", 1_700_000_000 * S - 600 * S),
            ("1h30m", 1_700_000_000 * S - 5400 * S),
            ("1.5h", 1_700_000_000 * S - 5400 * S),
            ("300ms", 1_699_999_999 * S),
            ("1700000000", 1_700_000_000 * S),
            ("1700000000.5", 1_700_000_000 * S + S / 2),
            ("1700000000.000000001", 1_700_000_000 * S + 1),
            ("2023-11-14T22:13:20Z", 1_700_000_000 * S),
            ("2023-11-14T23:13:20.25+01:00", 1_700_000_000 * S + S / 4),
            ("2023-11-14", 1_699_920_000 * S),
            ("2026-01-01T00:00:00", 1_767_225_600 * S),
            ("0", 0),
            ("", 0),
        ];
        for (value, want) in cases {
            assert_eq!(timestamp_nanos(value, now), Ok(want), "{value}");
        }
        assert_eq!(
            timestamp_nanos("yesterday", now),
            Err("failed to parse value as time or duration: \"yesterday\"".into())
        );
        assert_eq!(
            timestamp_nanos("2006-13-02", now),
            Err("parsing time \"2006-13-02\": month out of range".into())
        );
    }

    #[test]
    fn unix_timestamps_as_moby_parse_timestamps() {
        let good = [
            ("", None),
            ("1600000000", Some(1_600_000_000 * S)),
            ("1600000000.5", Some(1_600_000_000 * S + S / 2)),
            ("1.0000000019", Some(S + 1)),
            ("-1.5", Some(-S / 2)),
        ];
        for (value, want) in good {
            assert_eq!(parse_unix_nanos(value), Ok(want), "{value}");
        }
        let bad = [
            (
                "abc",
                "invalid timestamp \"abc\": invalid seconds \"abc\": invalid syntax",
            ),
            (
                "99999999999999999999",
                "invalid timestamp \"99999999999999999999\": invalid seconds \"99999999999999999999\": value out of range",
            ),
            (
                "1.-5",
                "invalid timestamp \"1.-5\": invalid nanoseconds: invalid character '-' at position 0",
            ),
            (
                "1.000000000000000000001",
                "invalid timestamp \"1.000000000000000000001\": invalid nanoseconds: length 21 exceeds maximum 20",
            ),
            (
                "9223372037",
                "invalid timestamp \"9223372037\": value out of range",
            ),
        ];
        for (value, want) in bad {
            assert_eq!(parse_unix_nanos(value), Err(want.to_string()), "{value}");
        }
    }
}
