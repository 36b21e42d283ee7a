//! Numbers, sizes and durations as docker's flags parse them, with the
//! exact texts of go-units, Go's strconv and Go's time package.

use std::time::Duration;

/// Go's `strconv.ParseInt(s, 10, bits)` with its error text.
pub fn parse_int(text: &str, bits: u32) -> Result<i64, String> {
    let invalid = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(text));
    let range = || {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            quote(text)
        )
    };
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let value: i128 = text.parse().map_err(|_| range())?;
    let limit = 1i128 << (bits - 1);
    if value < -limit || value >= limit {
        return Err(range());
    }
    Ok(value as i64)
}

/// Go's `strconv.ParseInt(s, 0, bits)`, as pflag's int flags use it:
/// `0x10`, `0o17`, `0b101` and a leading `0` for octal are accepted.
pub fn parse_int_auto(text: &str, bits: u32) -> Result<i64, String> {
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1i128, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(hex) = lower.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = lower.strip_prefix("0o") {
        (8, oct)
    } else if let Some(bin) = lower.strip_prefix("0b") {
        (2, bin)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        return parse_int(text, bits);
    };
    let invalid = || format!("strconv.ParseInt: parsing {}: invalid syntax", quote(text));
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    let value = i128::from_str_radix(digits, radix).map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            quote(text)
        )
    })?;
    parse_int(&(sign * value).to_string(), bits).map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            quote(text)
        )
    })
}

/// Go's `strconv.ParseUint(s, 0, bits)` for pflag's uint flags.
pub fn parse_uint_auto(text: &str, bits: u32) -> Result<u64, String> {
    if text.starts_with(['-', '+']) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            quote(text)
        ));
    }
    match parse_int_auto(text, 64) {
        Ok(value) if value >= 0 && (value as u128) < 1u128 << bits => Ok(value as u64),
        Ok(_) => Err(format!(
            "strconv.ParseUint: parsing {}: value out of range",
            quote(text)
        )),
        Err(_) => parse_uint(text, bits),
    }
}

/// Go's `strconv.ParseUint(s, 10, bits)` with its error text.
pub fn parse_uint(text: &str, bits: u32) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.ParseUint: parsing {}: invalid syntax",
            quote(text)
        ));
    }
    let value: u128 = text.parse().unwrap_or(u128::MAX);
    if value >= 1u128 << bits {
        return Err(format!(
            "strconv.ParseUint: parsing {}: value out of range",
            quote(text)
        ));
    }
    Ok(value as u64)
}

/// Go's `strconv.ParseBool`, which boolean flags use for `--rm=false`.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "strconv.ParseBool: parsing {}: invalid syntax",
            quote(text)
        )),
    }
}

fn quote(text: &str) -> String {
    crate::applets::docker::template::go_quote(text)
}

/// go-units `RAMInBytes`: `64m`, `1g`, `512k`, `1.5g`, `100`, case-insensitive,
/// with optional `b`/`ib` suffixes, binary multiples.
pub fn ram_in_bytes(text: &str) -> Result<i64, String> {
    parse_size(text, 1024)
}

/// go-units `FromHumanSize`: the same syntax with decimal multiples.
pub fn from_human_size(text: &str) -> Result<i64, String> {
    parse_size(text, 1000)
}

/// go-units' `parseSize`: the number is everything up to the last digit,
/// dot or space; the suffix after it is `b`, or a unit letter alone or
/// followed by `b` or `ib`, case-insensitive.
fn parse_size(text: &str, base: i64) -> Result<i64, String> {
    let Some(sep) = text.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else {
        return Err(format!("invalid size: '{text}'"));
    };
    let (number, suffix) = if text.as_bytes()[sep] == b' ' {
        (&text[..sep], &text[sep + 1..])
    } else {
        (&text[..sep + 1], &text[sep + 1..])
    };
    let size: f64 = parse_go_float(number)?;
    if size < 0.0 {
        return Err(format!("invalid size: '{text}'"));
    }
    if suffix.is_empty() {
        return Ok(size as i64);
    }
    let lower = suffix.to_ascii_lowercase();
    let bad = || format!("invalid suffix: '{lower}'");
    if suffix.len() > 3 {
        return Err(format!("invalid suffix: '{suffix}'"));
    }
    let mut chars = lower.chars();
    let multiplier = match chars.next() {
        Some('b') if lower.len() == 1 => return Ok(size as i64),
        Some('k') => base,
        Some('m') => base.pow(2),
        Some('g') => base.pow(3),
        Some('t') => base.pow(4),
        Some('p') => base.pow(5),
        _ => return Err(bad()),
    };
    let rest = &lower[1..];
    if !matches!(rest, "" | "b" | "ib") || (rest.len() == 1 && lower.len() != 2) {
        return Err(bad());
    }
    Ok((size * multiplier as f64) as i64)
}

/// Go's `strconv.ParseFloat(text, 64)` for the forms sizes use.
fn parse_go_float(text: &str) -> Result<f64, String> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(value) if plain => Ok(value),
        _ => Err(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            quote(text)
        )),
    }
}

/// `--memory-swap`: a size, or -1 for unlimited swap.
pub fn mem_swap_bytes(text: &str) -> Result<i64, String> {
    if text == "-1" {
        return Ok(-1);
    }
    ram_in_bytes(text)
}

/// `--cpus 1.5` as NanoCpus: an exact decimal, at most nine places.
pub fn nano_cpus(text: &str) -> Result<i64, String> {
    let invalid = || format!("failed to parse {text} as a rational number");
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if let Some((numerator, denominator)) = body.split_once('/') {
        let n: i128 = numerator.parse().map_err(|_| invalid())?;
        let d: i128 = denominator.parse().map_err(|_| invalid())?;
        if d == 0 {
            return Err(invalid());
        }
        if (n * 1_000_000_000) % d != 0 {
            return Err("value is too precise".into());
        }
        let nano = n * 1_000_000_000 / d;
        return Ok(if negative { -nano } else { nano } as i64);
    }
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(invalid());
    }
    let significant = fraction.trim_end_matches('0');
    if significant.len() > 9 {
        return Err("value is too precise".into());
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let fraction_nanos: i128 = format!("{significant:0<9}").parse().unwrap_or(0);
    let nano = whole * 1_000_000_000 + fraction_nanos;
    Ok(if negative { -nano } else { nano } as i64)
}

/// Go's `time.ParseDuration`: `10s`, `1m30s`, `1.5h`, `-2ms`, `300us`.
/// Returns nanoseconds, which may be negative.
pub fn go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(text));
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
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let scale: f64 = match unit {
            "" => return Err(format!("time: missing unit in duration {}", quote(text))),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    quote(other),
                    quote(text)
                ));
            }
        };
        let value: f64 = number.parse().map_err(|_| invalid())?;
        total += value * scale;
        if total > i64::MAX as f64 {
            return Err(invalid());
        }
    }
    let nanos = total.round() as i64;
    Ok(if negative { -nanos } else { nanos })
}

/// A non-negative Go duration as a `Duration`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let nanos = go_duration(text)?;
    Ok(Duration::from_nanos(nanos.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_in_bytes_as_go_units() {
        // go-units size_test.go (TestRAMInBytes) and docker's flag errors.
        let ok = [
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("32k", 32 * 1024),
            ("32K", 32 * 1024),
            ("32kb", 32 * 1024),
            ("32Kb", 32 * 1024),
            ("32Mb", 32 * 1024 * 1024),
            ("32Gb", 32 * 1024 * 1024 * 1024),
            ("32Tb", 32 * 1024_i64.pow(4)),
            ("32Pb", 32 * 1024_i64.pow(5)),
            ("32PB", 32 * 1024_i64.pow(5)),
            ("32P", 32 * 1024_i64.pow(5)),
            ("32.3", 32),
            ("32.3 mb", 33869004),
            ("32.3mib", 33869004),
            ("64m", 67108864),
            ("1g", 1073741824),
            ("1.5g", 1610612736),
            ("512k", 524288),
            ("64mb", 67108864),
        ];
        for (text, want) in ok {
            assert_eq!(ram_in_bytes(text), Ok(want), "{text}");
        }
        // What the Docker CLI 28 answered for each (go-units 0.5's parseSize).
        let bad = [
            ("", "invalid size: ''"),
            ("hello", "invalid size: 'hello'"),
            ("-32", "invalid size: '-32'"),
            ("-1", "invalid size: '-1'"),
            (
                " 32 ",
                "strconv.ParseFloat: parsing \" 32\": invalid syntax",
            ),
            (
                "32m b",
                "strconv.ParseFloat: parsing \"32m\": invalid syntax",
            ),
            (
                "1.2.3",
                "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax",
            ),
            ("32bm", "invalid suffix: 'bm'"),
            ("1x", "invalid suffix: 'x'"),
            ("1kx", "invalid suffix: 'kx'"),
            ("1kbb", "invalid suffix: 'kbb'"),
            ("1KBBB", "invalid suffix: 'KBBB'"),
        ];
        for (text, want) in bad {
            assert_eq!(ram_in_bytes(text), Err(want.to_string()), "{text:?}");
        }
        assert_eq!(ram_in_bytes("1."), Ok(1));
        assert_eq!(ram_in_bytes(".5k"), Ok(512));
        assert_eq!(ram_in_bytes("1e3"), Ok(1000));
        assert_eq!(from_human_size("32kb"), Ok(32000));
        assert_eq!(from_human_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(mem_swap_bytes("-1"), Ok(-1));
        assert_eq!(mem_swap_bytes("x"), Err("invalid size: 'x'".into()));
    }

    #[test]
    fn cpus_as_nano_cpus() {
        assert_eq!(nano_cpus("1.5"), Ok(1_500_000_000));
        assert_eq!(nano_cpus("2"), Ok(2_000_000_000));
        assert_eq!(nano_cpus("0.000000001"), Ok(1));
        assert_eq!(nano_cpus(".5"), Ok(500_000_000));
        assert_eq!(nano_cpus("3/2"), Ok(1_500_000_000));
        assert_eq!(
            nano_cpus("1.0000000001"),
            Err("value is too precise".into())
        );
        assert_eq!(
            nano_cpus("abc"),
            Err("failed to parse abc as a rational number".into())
        );
    }

    #[test]
    fn go_durations() {
        let ok = [
            ("10s", 10_000_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("300ms", 300_000_000),
            ("-2us", -2000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("0", 0),
            (".5s", 500_000_000),
        ];
        for (text, want) in ok {
            assert_eq!(go_duration(text), Ok(want), "{text}");
        }
        assert_eq!(go_duration("x"), Err("time: invalid duration \"x\"".into()));
        assert_eq!(
            go_duration("1"),
            Err("time: missing unit in duration \"1\"".into())
        );
        assert_eq!(
            go_duration("1x"),
            Err("time: unknown unit \"x\" in duration \"1x\"".into())
        );
        assert_eq!(go_duration(""), Err("time: invalid duration \"\"".into()));
    }

    #[test]
    fn go_integer_and_bool_errors() {
        assert_eq!(
            parse_int("x", 64),
            Err("strconv.ParseInt: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(parse_int("-5", 64), Ok(-5));
        assert_eq!(
            parse_int("99999999999", 32),
            Err("strconv.ParseInt: parsing \"99999999999\": value out of range".into())
        );
        assert_eq!(
            parse_uint("x", 16),
            Err("strconv.ParseUint: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(
            parse_uint("70000", 16),
            Err("strconv.ParseUint: parsing \"70000\": value out of range".into())
        );
        assert_eq!(
            parse_bool("maybe"),
            Err("strconv.ParseBool: parsing \"maybe\": invalid syntax".into())
        );
        assert_eq!(parse_bool("T"), Ok(true));
        assert_eq!(parse_int_auto("0x10", 64), Ok(16));
        assert_eq!(parse_int_auto("010", 64), Ok(8));
        assert_eq!(parse_int_auto("-0b11", 64), Ok(-3));
        assert_eq!(parse_int_auto("12", 64), Ok(12));
        assert_eq!(
            parse_int_auto("0x", 64),
            Err("strconv.ParseInt: parsing \"0x\": invalid syntax".into())
        );
        assert_eq!(parse_uint_auto("0x10", 16), Ok(16));
        assert_eq!(
            parse_uint_auto("x", 16),
            Err("strconv.ParseUint: parsing \"x\": invalid syntax".into())
        );
        assert_eq!(parse_bool("0"), Ok(false));
    }
}
