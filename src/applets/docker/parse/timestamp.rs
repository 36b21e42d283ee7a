//! `--since` and `--until` of `logs` and `events`: a Go duration before
//! now (`10m`), an RFC 3339 date or date-time (in the local zone unless it
//! names one), or a Unix timestamp, turned into the text the API expects
//! (docker/cli's `timetypes.GetTimestamp`).

use super::units::go_duration;

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
        && let Ok(nanos) = go_duration(value)
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
        Err(Some(field)) => Err(format!(
            "parsing time {}: {field} out of range",
            quote(value)
        )),
        Err(None) => {
            if value.contains('-') {
                return Err(format!(
                    "parsing time {} as {}: cannot parse {} as {}",
                    quote(value),
                    quote(layout.go_name(zoned)),
                    quote(value),
                    quote(layout.go_name(zoned))
                ));
            }
            if parse_unix_timestamp(value).is_none() {
                return Err(format!(
                    "failed to parse value as time or duration: {}",
                    quote(value)
                ));
            }
            Ok(value.to_string())
        }
    }
}

fn quote(text: &str) -> String {
    crate::applets::docker::template::go_quote(text)
}

/// `seconds[.nanoseconds]` as the daemon accepts it.
fn parse_unix_timestamp(value: &str) -> Option<(i64, i64)> {
    if value.is_empty() {
        return Some((0, 0));
    }
    let (seconds, fraction) = match value.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (value, None),
    };
    let seconds: i64 = seconds.parse().ok()?;
    let nanos = match fraction {
        Some(f) => f.parse::<i64>().ok()?,
        None => 0,
    };
    Some((seconds, nanos))
}

/// Parses `value` in exactly `layout`, returning Unix seconds and nanos.
fn parse_layout(
    value: &str,
    layout: Layout,
    zoned: bool,
    local_offset: i64,
) -> Result<(i64, u32), Option<&'static str>> {
    let mut rest = value;
    let mut take = |n: usize| -> Result<i64, Option<&'static str>> {
        let field = rest.get(..n).ok_or(None)?;
        if !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(None);
        }
        rest = &rest[n..];
        field.parse().map_err(|_| None)
    };
    let year = take(4)?;
    let expect = |rest: &mut &str, c: char| -> Result<(), Option<&'static str>> {
        *rest = rest.strip_prefix(c).ok_or(None)?;
        Ok(())
    };
    expect(&mut rest, '-')?;
    let take = |rest: &mut &str, n: usize| -> Result<i64, Option<&'static str>> {
        let field = rest.get(..n).ok_or(None)?;
        if !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(None);
        }
        *rest = &rest[n..];
        field.parse().map_err(|_| None)
    };
    // Go reports a field out of range as soon as it reads it.
    let in_range = |value: i64, range: std::ops::RangeInclusive<i64>, name| {
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(Some(name))
        }
    };
    let month = in_range(take(&mut rest, 2)?, 1..=12, "month")?;
    expect(&mut rest, '-')?;
    let day = in_range(take(&mut rest, 2)?, 0..=31, "day")?;
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0u32);
    if layout != Layout::Date {
        expect(&mut rest, 'T')?;
        hour = in_range(take(&mut rest, 2)?, 0..=23, "hour")?;
        if layout != Layout::DateHour {
            expect(&mut rest, ':')?;
            minute = in_range(take(&mut rest, 2)?, 0..=59, "minute")?;
        }
        if matches!(layout, Layout::DateTime | Layout::DateTimeNano) {
            expect(&mut rest, ':')?;
            second = in_range(take(&mut rest, 2)?, 0..=59, "second")?;
        }
        if layout == Layout::DateTimeNano
            && let Some(fraction) = rest.strip_prefix('.')
        {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return Err(None);
            }
            nanos = format!("{:0<9}", &fraction[..digits])
                .parse()
                .map_err(|_| None)?;
            rest = &fraction[digits..];
        }
    }
    let offset = if zoned {
        if rest == "Z" || rest == "z" {
            rest = "";
            0
        } else {
            let sign = match rest.chars().next() {
                Some('+') => 1,
                Some('-') => -1,
                _ => return Err(None),
            };
            rest = &rest[1..];
            let hours = take(&mut rest, 2)?;
            expect(&mut rest, ':')?;
            let minutes = take(&mut rest, 2)?;
            sign * (hours * 3600 + minutes * 60)
        }
    } else {
        local_offset
    };
    if !rest.is_empty() {
        return Err(None);
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(Some("day"));
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    Ok((seconds, nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = (month + 9) % 12;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
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
        assert!(get_timestamp("2006-13-02", NOW, 0).is_err());
        assert!(get_timestamp("2006-02-30T10", NOW, 0).is_err());
    }
}
