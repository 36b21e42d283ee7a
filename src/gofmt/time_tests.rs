use super::*;

const S: i128 = NANOS_PER_SECOND as i128;

fn at(seconds: i64, nanos: u32) -> UnixTime {
    UnixTime { seconds, nanos }
}

#[test]
fn calendar_round_trips() {
    let dates = [
        (0, (1970, 1, 1)),
        (-1, (1969, 12, 31)),
        (11_016, (2000, 2, 29)),
        (11_017, (2000, 3, 1)),
        (20_454, (2026, 1, 1)),
        (-719_162, (1, 1, 1)),
    ];
    for (days, (year, month, day)) in dates {
        assert_eq!(civil_from_days(days), (year, month, day), "{days}");
        assert_eq!(
            days_from_civil(year, month, day),
            days,
            "{year}-{month}-{day}"
        );
    }
    assert!(is_leap(2000) && is_leap(2024) && !is_leap(1900) && !is_leap(2026));
    assert_eq!(days_in_month(2024, 2), 29);
    assert_eq!(days_in_month(2100, 2), 28);
    assert_eq!(days_in_month(2026, 4), 30);
}

#[test]
fn formats_like_go() {
    // (time, offset east, RFC3339, RFC3339Nano, RFC3339NanoFixed)
    let cases = [
        (
            at(0, 0),
            0,
            "1970-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1970-01-01T00:00:00.000000000Z",
        ),
        (
            at(1_795_808_110, 90_000_000),
            0,
            "2026-11-27T19:35:10Z",
            "2026-11-27T19:35:10.09Z",
            "2026-11-27T19:35:10.090000000Z",
        ),
        (
            at(1_700_000_000, 120_000_000),
            0,
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20.12Z",
            "2023-11-14T22:13:20.120000000Z",
        ),
        (
            at(951_782_400, 0),
            0,
            "2000-02-29T00:00:00Z",
            "2000-02-29T00:00:00Z",
            "2000-02-29T00:00:00.000000000Z",
        ),
        (
            at(1_767_225_600, 1),
            -5 * 3600 - 1800,
            "2025-12-31T18:30:00-05:30",
            "2025-12-31T18:30:00.000000001-05:30",
            "2025-12-31T18:30:00.000000001-05:30",
        ),
        (
            at(-1, 500_000_000),
            3600,
            "1970-01-01T00:59:59+01:00",
            "1970-01-01T00:59:59.5+01:00",
            "1970-01-01T00:59:59.500000000+01:00",
        ),
    ];
    for (time, offset, plain, nano, fixed) in cases {
        assert_eq!(time.rfc3339(offset), plain);
        assert_eq!(time.rfc3339_nano(offset), nano);
        assert_eq!(time.rfc3339_nano_fixed(offset), fixed);
    }
    let system = UNIX_EPOCH + Duration::new(1_700_000_000, 120_000_000);
    assert_eq!(rfc3339_nano(system), "2023-11-14T22:13:20.12Z");
    assert_eq!(rfc3339(system), "2023-11-14T22:13:20Z");
    assert_eq!(rfc3339_nano_fixed(system), "2023-11-14T22:13:20.120000000Z");
    let before = UNIX_EPOCH - Duration::from_millis(1500);
    assert_eq!(rfc3339_nano(before), "1969-12-31T23:59:58.5Z");
    assert_eq!(UnixTime::from_system(before).to_system(), before);
}

#[test]
fn go_strings_and_zero_times() {
    assert_eq!(
        at(1_600_000_000, 0).go_string(0, "UTC"),
        "2020-09-13 12:26:40 +0000 UTC"
    );
    assert_eq!(
        at(0, 0).go_string(3600, "CET"),
        "1970-01-01 01:00:00 +0100 CET"
    );
    assert_eq!(
        at(0, 0).go_string(-8 * 3600, "PST"),
        "1969-12-31 16:00:00 -0800 PST"
    );
    assert_eq!(go_time(0), "0001-01-01T00:00:00Z");
    assert_eq!(go_time(-5), "0001-01-01T00:00:00Z");
    assert_eq!(
        from_nanos_or_zero(0).rfc3339_nano_fixed(0),
        "0001-01-01T00:00:00.000000000Z"
    );
    assert_eq!(
        go_time(1_700_000_000 * NANOS_PER_SECOND + 5),
        "2023-11-14T22:13:20.000000005Z"
    );
    assert_eq!(UnixTime::from_nanos(-1), at(-1, 999_999_999));
    assert_eq!(UnixTime::from_nanos(3 * S + 7).as_nanos(), 3 * S + 7);
}

#[test]
fn ansic_as_docker_version_shows_build_times() {
    let reading = |text: &str| {
        let (time, offset) = parse_rfc3339_zoned(text).unwrap();
        DateTime::at(time.seconds, offset).ansic()
    };
    assert_eq!(
        reading("2024-01-31T12:34:56.000000000+00:00"),
        "Wed Jan 31 12:34:56 2024"
    );
    assert_eq!(reading("2026-11-05T01:02:03Z"), "Thu Nov  5 01:02:03 2026");
    assert_eq!(
        reading("2026-11-05T01:02:03-10:00"),
        "Thu Nov  5 01:02:03 2026"
    );
}

#[test]
fn parses_rfc3339_as_go() {
    let good = [
        ("1970-01-01T00:00:00Z", at(0, 0)),
        ("2026-01-01T00:00:00Z", at(1_767_225_600, 0)),
        (
            "2024-02-29T12:34:56.123456789Z",
            at(1_709_210_096, 123_456_789),
        ),
        (
            "2024-02-29T12:34:56.1234567891Z",
            at(1_709_210_096, 123_456_789),
        ),
        ("2026-01-01T01:00:00+01:00", at(1_767_225_600, 0)),
        ("1969-12-31T23:00:00-01:00", at(0, 0)),
        (
            "2023-11-14T23:13:20.25+01:00",
            at(1_700_000_000, 250_000_000),
        ),
    ];
    for (text, want) in good {
        assert_eq!(parse_rfc3339(text), Some(want), "{text}");
    }
    for bad in [
        "",
        "2026-01-01",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:60Z",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00+0100",
        "2026-01-01T00:00:00Zx",
        "x026-01-01T00:00:00Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
}
