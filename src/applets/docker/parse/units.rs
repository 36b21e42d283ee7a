//! Numbers as docker's flags parse them, with the exact texts of Go's
//! strconv; sizes and durations are `crate::gofmt`'s.

use crate::gofmt::size::ram_in_bytes;
use crate::gofmt::strconv::parse_int;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_swap_takes_minus_one() {
        assert_eq!(mem_swap_bytes("-1"), Ok(-1));
        assert_eq!(mem_swap_bytes("1g"), Ok(1 << 30));
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
