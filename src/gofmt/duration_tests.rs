use super::*;

const SECOND: i64 = 1_000_000_000;

#[test]
fn parses_as_go_parse_duration() {
    // Go's time_test.go parseDurationTests, and what the copies tested.
    let ok = [
        ("0", 0),
        ("5s", 5 * SECOND),
        ("30s", 30 * SECOND),
        ("1478s", 1478 * SECOND),
        ("-5s", -5 * SECOND),
        ("+5s", 5 * SECOND),
        ("-0", 0),
        ("+0", 0),
        ("5.0s", 5 * SECOND),
        ("5.6s", 5 * SECOND + 600_000_000),
        ("5.s", 5 * SECOND),
        (".5s", SECOND / 2),
        ("1.0s", SECOND),
        ("1.00s", SECOND),
        ("1.004s", SECOND + 4_000_000),
        ("100.00100s", 100 * SECOND + 1_000_000),
        ("10ns", 10),
        ("11us", 11_000),
        ("12\u{b5}s", 12_000),
        ("12\u{3bc}s", 12_000),
        ("13ms", 13_000_000),
        ("14s", 14 * SECOND),
        ("15m", 15 * 60 * SECOND),
        ("16h", 16 * 3600 * SECOND),
        ("3h30m", (3 * 3600 + 30 * 60) * SECOND),
        ("10.5s4m", 4 * 60 * SECOND + 10 * SECOND + SECOND / 2),
        ("-2m3.4s", -(2 * 60 * SECOND + 3 * SECOND + 400_000_000)),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006),
        ("39h9m14.425s", 140_954_425_000_000),
        ("52763797000ns", 52_763_797_000),
        ("0.3333333333333333333h", 20 * 60 * SECOND),
        ("9007199254740993ns", 9_007_199_254_740_993),
        ("9223372036854775807ns", i64::MAX),
        ("9223372036854775.807us", i64::MAX),
        ("-9223372036854775808ns", i64::MIN),
        ("0.100000000000000000000h", 6 * 60 * SECOND),
        ("1.5h", 5400 * SECOND),
        ("300ms", 300_000_000),
        ("-2us", -2_000),
    ];
    for (text, want) in ok {
        assert_eq!(parse_duration(text), Ok(want), "{text}");
    }
    let bad = [
        ("", "time: invalid duration \"\""),
        ("3", "time: missing unit in duration \"3\""),
        ("-", "time: invalid duration \"-\""),
        ("s", "time: invalid duration \"s\""),
        (".", "time: invalid duration \".\""),
        ("-.", "time: invalid duration \"-.\""),
        (".s", "time: invalid duration \".s\""),
        ("+.s", "time: invalid duration \"+.s\""),
        ("1x", "time: unknown unit \"x\" in duration \"1x\""),
        ("1d", "time: unknown unit \"d\" in duration \"1d\""),
        (
            "9223372036854775808ns",
            "time: invalid duration \"9223372036854775808ns\"",
        ),
        (
            "9223372036854775.808us",
            "time: invalid duration \"9223372036854775.808us\"",
        ),
        (
            "9223372036854ms775us808ns",
            "time: invalid duration \"9223372036854ms775us808ns\"",
        ),
        (
            "-9223372036854775809ns",
            "time: invalid duration \"-9223372036854775809ns\"",
        ),
    ];
    for (text, want) in bad {
        assert_eq!(parse_duration(text), Err(want.to_string()), "{text:?}");
    }
}

#[test]
fn human_durations_as_go_units() {
    let (second, minute, hour) = (1, 60, 3600);
    let (day, week, month, year) = (24 * hour, 7 * 24 * hour, 30 * 24 * hour, 365 * 24 * hour);
    let cases: Vec<(u64, &str)> = vec![
        (0, "Less than a second"),
        (1, "1 second"),
        (45 * second, "45 seconds"),
        (59 * second, "59 seconds"),
        (60 * second, "About a minute"),
        (90 * second, "About a minute"),
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
        (3 * day, "3 days"),
        (13 * day + 5 * hour, "13 days"),
        (2 * week, "2 weeks"),
        (3 * week, "3 weeks"),
        (4 * week + 3 * day, "4 weeks"),
        (month, "4 weeks"),
        (month + 2 * week, "6 weeks"),
        (2 * month, "2 months"),
        (5 * month + 2 * week, "5 months"),
        (24 * month, "24 months"),
        (24 * month + 2 * week, "2 years"),
        (3 * year, "3 years"),
        (3 * year + 2 * month, "3 years"),
    ];
    for (secs, want) in cases {
        assert_eq!(human_duration(Duration::from_secs(secs)), want, "{secs}s");
        assert_eq!(human_duration_nanos(secs as i64 * SECOND), want, "{secs}s");
    }
    assert_eq!(
        human_duration(Duration::from_millis(450)),
        "Less than a second"
    );
    assert_eq!(human_duration_nanos(-SECOND), "Less than a second");
}

#[test]
fn go_duration_strings() {
    let cases = [
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5\u{b5}s"),
        (250_000_000, "250ms"),
        (SECOND, "1s"),
        (1_500_000_000, "1.5s"),
        (90 * SECOND, "1m30s"),
        (3600 * SECOND, "1h0m0s"),
        (3661 * SECOND + 5_000_000, "1h1m1.005s"),
        (-2 * SECOND, "-2s"),
    ];
    for (nanos, want) in cases {
        assert_eq!(go_duration_string(nanos), want, "{nanos}");
    }
}
