//! Go's `strconv` integer parsing with its exact error texts, which Docker
//! passes on to users (flags, ulimits).

use super::quote::go_quote;

/// Go's `strconv.ParseInt(s, 10, bits)` with its error text.
pub fn parse_int(text: &str, bits: u32) -> Result<i64, String> {
    let invalid = || {
        format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(text)
        )
    };
    let range = || {
        format!(
            "strconv.ParseInt: parsing {}: value out of range",
            go_quote(text)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go_strconv() {
        let cases: &[(&str, u32, Result<i64, &str>)] = &[
            ("-5", 64, Ok(-5)),
            ("+7", 64, Ok(7)),
            (
                "x",
                64,
                Err("strconv.ParseInt: parsing \"x\": invalid syntax"),
            ),
            (
                "",
                64,
                Err("strconv.ParseInt: parsing \"\": invalid syntax"),
            ),
            (
                "1_000",
                64,
                Err("strconv.ParseInt: parsing \"1_000\": invalid syntax"),
            ),
            (
                "99999999999",
                32,
                Err("strconv.ParseInt: parsing \"99999999999\": value out of range"),
            ),
            ("9223372036854775807", 64, Ok(i64::MAX)),
            (
                "9223372036854775808",
                64,
                Err("strconv.ParseInt: parsing \"9223372036854775808\": value out of range"),
            ),
        ];
        for (text, bits, want) in cases {
            assert_eq!(
                parse_int(text, *bits),
                want.map_err(str::to_string),
                "{text}"
            );
        }
    }
}
