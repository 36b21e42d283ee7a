//! Sizes and durations for humans, as github.com/docker/go-units writes
//! them: `4.26MB`, `64MiB`, `About a minute`.

use crate::applets::docker::template::{Value, sprintf};
use std::time::Duration;

const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

fn scale(mut size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    (size, units[i])
}

/// go-units `HumanSizeWithPrecision`: decimal units, `%.{precision}g`.
/// `docker ps -s` and `docker images` use precision 3.
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (size, unit) = scale(size, 1000.0, &DECIMAL_UNITS);
    format!("{}{unit}", g_format(size, precision))
}

/// go-units `HumanSize`: decimal units, four significant digits.
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

/// go-units `BytesSize`: binary units, four significant digits, as
/// `docker stats` shows memory (`64MiB`).
pub fn bytes_size(size: f64) -> String {
    let (size, unit) = scale(size, 1024.0, &BINARY_UNITS);
    format!("{}{unit}", g_format(size, 4))
}

fn g_format(value: f64, precision: usize) -> String {
    sprintf(
        &format!("%.{precision}g"),
        &[Value::Data(serde_json::Value::from(value))],
    )
}

/// go-units `HumanDuration`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Hours are rounded to the nearest; the bands below use that figure.
    let hours = (duration.as_secs_f64() / 3600.0 + 0.5) as u64;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", seconds / 3600 / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_size_as_go_units() {
        // go-units size_test.go and docker output.
        let cases = [
            (1000.0, "1kB"),
            (1024.0, "1.024kB"),
            (1000000.0, "1MB"),
            (1048576.0, "1.049MB"),
            (2.0 * 1000.0 * 1000.0, "2MB"),
            (3.42 * 1000.0 * 1000.0 * 1000.0, "3.42GB"),
            (5.372 * 1e12, "5.372TB"),
            (2.22 * 1e15, "2.22PB"),
            (1e18, "1EB"),
            (1e21, "1ZB"),
            (1e28, "1e+04YB"),
            (0.0, "0B"),
            (10.0, "10B"),
        ];
        for (size, want) in cases {
            assert_eq!(human_size(size), want, "{size}");
        }
    }

    #[test]
    fn precision_three_as_docker_ps_and_images() {
        let cases = [
            (4_258_000.0, "4.26MB"),
            (4_200_000.0, "4.2MB"),
            (1_234_567_890.0, "1.23GB"),
            (999_500.0, "1e+03kB"),
            (100.0, "100B"),
            (0.0, "0B"),
            (2.0, "2B"),
        ];
        for (size, want) in cases {
            assert_eq!(human_size_with_precision(size, 3), want, "{size}");
        }
    }

    #[test]
    fn bytes_size_as_docker_stats() {
        let cases = [
            (1024.0, "1KiB"),
            (1024.0 * 1024.0, "1MiB"),
            (1048576.0 * 64.0, "64MiB"),
            (3.42 * 1024.0 * 1024.0 * 1024.0, "3.42GiB"),
            (5.372 * 1024.0_f64.powi(4), "5.372TiB"),
            (2.22 * 1024.0_f64.powi(5), "2.22PiB"),
            (1000.0, "1000B"),
            (0.0, "0B"),
            (1.5 * 1024.0 * 1024.0, "1.5MiB"),
        ];
        for (size, want) in cases {
            assert_eq!(bytes_size(size), want, "{size}");
        }
    }

    #[test]
    fn human_duration_as_go_units() {
        let second = 1;
        let minute = 60;
        let hour = 3600;
        let day = 24 * hour;
        let week = 7 * day;
        let month = 30 * day;
        let year = 365 * day;
        let cases: Vec<(u64, &str)> = vec![
            (1, "1 second"),
            (45 * second, "45 seconds"),
            (59 * second, "59 seconds"),
            (60 * second, "About a minute"),
            (3 * minute, "3 minutes"),
            (35 * minute + 40, "35 minutes"),
            (59 * minute, "59 minutes"),
            (hour, "About an hour"),
            (hour + 29 * minute, "About an hour"),
            (hour + 31 * minute, "2 hours"),
            (3 * hour + 29 * minute, "3 hours"),
            (3 * hour + 31 * minute, "4 hours"),
            (24 * hour, "24 hours"),
            (day + 12 * hour, "36 hours"),
            (2 * day, "2 days"),
            (13 * day + 5 * hour, "13 days"),
            (2 * week, "2 weeks"),
            (4 * week + 3 * day, "4 weeks"),
            (month, "4 weeks"),
            (month + 2 * week, "6 weeks"),
            (2 * month, "2 months"),
            (5 * month + 2 * week, "5 months"),
            (24 * month, "24 months"),
            (24 * month + 2 * week, "2 years"),
            (3 * year + 2 * month, "3 years"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(Duration::from_secs(secs)), want, "{secs}s");
        }
        assert_eq!(
            human_duration(Duration::from_millis(450)),
            "Less than a second"
        );
    }
}
