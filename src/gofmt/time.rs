//! Go's time formats, without a date library: the proleptic Gregorian
//! calendar (Howard Hinnant's days-from-civil and its inverse), RFC 3339 in
//! its Go layouts (`RFC3339`, `RFC3339Nano`, moby's `RFC3339NanoFixed`),
//! `time.Time.String()` and `time.ANSIC`, and the parse of RFC 3339 times
//! as image configs and log lines carry them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01: (year, month 1-12, day 1-31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

pub fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A wall-clock reading: a date and a time of day, in whatever zone the
/// seconds it came from were shifted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl DateTime {
    /// The reading of Unix time `seconds` in a zone `offset` seconds east.
    pub fn at(seconds: i64, offset: i64) -> DateTime {
        let local = seconds + offset;
        let (year, month, day) = civil_from_days(local.div_euclid(SECONDS_PER_DAY));
        let of_day = local.rem_euclid(SECONDS_PER_DAY) as u32;
        DateTime {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }

    /// Unix seconds of this reading taken in a zone `offset` seconds east.
    pub fn unix(&self, offset: i64) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour * 3600 + self.minute * 60 + self.second)
            - offset
    }

    /// `2006-01-02`
    fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `15:04:05`
    fn clock(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// Go's `time.ANSIC`: `Mon Jan _2 15:04:05 2006`.
    pub fn ansic(&self) -> String {
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = days_from_civil(self.year, self.month, self.day);
        format!(
            "{} {} {:>2} {} {}",
            WEEKDAYS[days.rem_euclid(7) as usize],
            MONTHS[(self.month - 1) as usize],
            self.day,
            self.clock(),
            self.year
        )
    }
}

/// A point in time as seconds and nanoseconds since the epoch, like Go's
/// `time.Time` without its zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnixTime {
    pub seconds: i64,
    /// Always below one second.
    pub nanos: u32,
}

impl UnixTime {
    pub fn now() -> UnixTime {
        UnixTime::from_system(SystemTime::now())
    }

    /// Also for times before the epoch.
    pub fn from_system(time: SystemTime) -> UnixTime {
        match time.duration_since(UNIX_EPOCH) {
            Ok(since) => UnixTime {
                seconds: since.as_secs() as i64,
                nanos: since.subsec_nanos(),
            },
            Err(before) => UnixTime::from_nanos(-(before.duration().as_nanos() as i128)),
        }
    }

    pub fn from_nanos(nanos: i128) -> UnixTime {
        let second = i128::from(NANOS_PER_SECOND);
        UnixTime {
            seconds: nanos.div_euclid(second) as i64,
            nanos: nanos.rem_euclid(second) as u32,
        }
    }

    pub fn from_seconds(seconds: i64) -> UnixTime {
        UnixTime { seconds, nanos: 0 }
    }

    pub fn as_nanos(&self) -> i128 {
        i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos)
    }

    pub fn to_system(self) -> SystemTime {
        if self.seconds >= 0 {
            UNIX_EPOCH + Duration::new(self.seconds as u64, self.nanos)
        } else {
            UNIX_EPOCH - Duration::from_secs(self.seconds.unsigned_abs())
                + Duration::from_nanos(u64::from(self.nanos))
        }
    }

    /// Go's `time.RFC3339` in a zone `offset` seconds east:
    /// `2006-01-02T15:04:05Z07:00`.
    pub fn rfc3339(&self, offset: i64) -> String {
        let reading = DateTime::at(self.seconds, offset);
        format!(
            "{}T{}{}",
            reading.date(),
            reading.clock(),
            zone_suffix(offset)
        )
    }

    /// Go's `time.RFC3339Nano`: the fraction without its trailing zeros.
    pub fn rfc3339_nano(&self, offset: i64) -> String {
        let reading = DateTime::at(self.seconds, offset);
        let fraction = format!("{:09}", self.nanos);
        let fraction = fraction.trim_end_matches('0');
        let point = if fraction.is_empty() { "" } else { "." };
        format!(
            "{}T{}{point}{fraction}{}",
            reading.date(),
            reading.clock(),
            zone_suffix(offset)
        )
    }

    /// moby's `RFC3339NanoFixed`: always nine fraction digits.
    pub fn rfc3339_nano_fixed(&self, offset: i64) -> String {
        let reading = DateTime::at(self.seconds, offset);
        format!(
            "{}T{}.{:09}{}",
            reading.date(),
            reading.clock(),
            self.nanos,
            zone_suffix(offset)
        )
    }

    /// Go's `time.Time.String()` of a whole-second time in a named zone:
    /// `2020-09-13 12:26:40 +0000 UTC`.
    pub fn go_string(&self, offset: i64, zone_name: &str) -> String {
        let reading = DateTime::at(self.seconds, offset);
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.abs() / 60;
        format!(
            "{} {} {sign}{:02}{:02} {zone_name}",
            reading.date(),
            reading.clock(),
            minutes / 60,
            minutes % 60
        )
    }
}

/// `Z` for UTC, else `±hh:mm`, as Go's `Z07:00`.
fn zone_suffix(offset: i64) -> String {
    if offset == 0 {
        return "Z".to_string();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Go's RFC3339Nano of a time in UTC, as the Engine API and runc write it.
pub fn rfc3339_nano(time: SystemTime) -> String {
    UnixTime::from_system(time).rfc3339_nano(0)
}

/// Go's RFC3339 of a time in UTC, as logrus writes `time`.
pub fn rfc3339(time: SystemTime) -> String {
    UnixTime::from_system(time).rfc3339(0)
}

/// moby's RFC3339NanoFixed of a time in UTC, as log timestamps are.
pub fn rfc3339_nano_fixed(time: SystemTime) -> String {
    UnixTime::from_system(time).rfc3339_nano_fixed(0)
}

/// Now, in nanoseconds since the epoch.
pub fn now_nanos() -> i64 {
    UnixTime::now().as_nanos() as i64
}

/// Go's zero `time.Time`, 0001-01-01T00:00:00Z.
pub const GO_ZERO_TIME: UnixTime = UnixTime {
    seconds: -62_135_596_800,
    nanos: 0,
};

/// A time in nanoseconds since the epoch, where 0 (or less) means "never"
/// and stands for Go's zero time.
pub fn from_nanos_or_zero(nanos: i64) -> UnixTime {
    if nanos <= 0 {
        return GO_ZERO_TIME;
    }
    UnixTime::from_nanos(i128::from(nanos))
}

/// Go's RFC3339Nano of `from_nanos_or_zero(nanos)`.
pub fn go_time(nanos: i64) -> String {
    from_nanos_or_zero(nanos).rfc3339_nano(0)
}

/// An RFC 3339 time as Go's `time.Parse(time.RFC3339Nano, …)` reads it:
/// `2006-01-02T15:04:05[.fraction](Z|±hh:mm)`, with the offset it named.
pub fn parse_rfc3339_zoned(text: &str) -> Option<(UnixTime, i64)> {
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if bytes.len() < 20 || !separators.iter().all(|&(at, c)| bytes[at] == c) {
        return None;
    }
    let number = |at: usize, width: usize| -> Option<u32> {
        let part = text.get(at..at + width)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let reading = DateTime {
        year: i64::from(number(0, 4)?),
        month: number(5, 2)?,
        day: number(8, 2)?,
        hour: number(11, 2)?,
        minute: number(14, 2)?,
        second: number(17, 2)?,
    };
    if !(1..=12).contains(&reading.month)
        || reading.day < 1
        || reading.day > days_in_month(reading.year, reading.month)
        || reading.hour > 23
        || reading.minute > 59
        || reading.second > 59
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Go keeps nine digits of a longer fraction.
        nanos = format!("{:0<9}", &fraction[..digits.min(9)]).parse().ok()?;
        rest = &fraction[digits..];
    }
    let offset = parse_zone(rest)?;
    let seconds = reading.unix(offset);
    Some((UnixTime { seconds, nanos }, offset))
}

/// `Z` or `±hh:mm`, in seconds east of UTC.
fn parse_zone(text: &str) -> Option<i64> {
    if text == "Z" {
        return Some(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = text[1..].split_once(':')?;
    let field = |part: &str| -> Option<i64> {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok())?
    };
    let (hours, minutes) = (field(hours)?, field(minutes)?);
    (hours < 24 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// An RFC 3339 time (see `parse_rfc3339_zoned`) as a point in time.
pub fn parse_rfc3339(text: &str) -> Option<UnixTime> {
    parse_rfc3339_zoned(text).map(|(time, _)| time)
}

#[cfg(test)]
#[path = "time_tests.rs"]
mod tests;
