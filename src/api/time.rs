//! Go's time formats as the Engine API writes them, in UTC.

use std::time::{SystemTime, UNIX_EPOCH};

/// `2006-01-02T15:04:05.999999999Z`: RFC3339Nano with trailing zeros of the
/// fraction removed, as Go's `time.RFC3339Nano` prints (Created, SystemTime).
pub fn rfc3339_nano(time: SystemTime) -> String {
    let (seconds, nanos) = split(time);
    let mut text = civil(seconds);
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// `2006-01-02T15:04:05.000000000Z`: nine digits always, as in log
/// timestamps (moby's RFC3339NanoFixed).
pub fn rfc3339_nano_fixed(time: SystemTime) -> String {
    let (seconds, nanos) = split(time);
    format!("{}.{nanos:09}Z", civil(seconds))
}

fn split(time: SystemTime) -> (i64, u32) {
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) => (since.as_secs() as i64, since.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let nanos = before.subsec_nanos();
            if nanos == 0 {
                (-(before.as_secs() as i64), 0)
            } else {
                (-(before.as_secs() as i64) - 1, 1_000_000_000 - nanos)
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch (proleptic Gregorian,
/// Howard Hinnant's days-from-civil inverse).
fn civil(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_like_go() {
        let at = |secs: u64, nanos: u32| UNIX_EPOCH + Duration::new(secs, nanos);
        assert_eq!(rfc3339_nano(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(at(1_700_000_000, 120_000_000)),
            "2023-11-14T22:13:20.12Z"
        );
        assert_eq!(
            rfc3339_nano_fixed(at(1_700_000_000, 120_000_000)),
            "2023-11-14T22:13:20.120000000Z"
        );
        // A leap day.
        assert_eq!(rfc3339_nano(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
    }
}
