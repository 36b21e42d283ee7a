//! Byte sizes as github.com/docker/go-units reads and writes them:
//! `RAMInBytes` (`512m`, `1.5g`, `1GiB`: binary multiples),
//! `FromHumanSize` (decimal multiples), `HumanSize` (`4.26MB`) and
//! `BytesSize` (`1.5GiB`), with go-units' error texts.

use super::float::format_g;
use super::quote::go_quote;

const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// go-units `RAMInBytes`: `64m`, `1g`, `512k`, `1.5g`, `100`, any case,
/// with optional `b`/`ib` suffixes, binary multiples.
pub fn ram_in_bytes(text: &str) -> Result<i64, String> {
    parse_size(text, 1024)
}

/// go-units `FromHumanSize`: the same syntax with decimal multiples, as
/// moby's json-file log driver reads `max-size`.
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
            go_quote(text)
        )),
    }
}

fn scale(mut size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    (size, units[i])
}

/// go-units `HumanSizeWithPrecision`: decimal units, `%.{precision}g`.
/// `docker ps -s`, `docker images` and `docker stats` use precision 3.
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (size, unit) = scale(size, 1000.0, &DECIMAL_UNITS);
    format!("{}{unit}", format_g(size, Some(precision)))
}

/// go-units `HumanSize`: decimal units, four significant digits, as pull
/// progress bars show sizes.
pub fn human_size(size: f64) -> String {
    human_size_with_precision(size, 4)
}

/// go-units `BytesSize`: binary units, four significant digits, as
/// `docker stats` shows memory (`64MiB`).
pub fn bytes_size(size: f64) -> String {
    let (size, unit) = scale(size, 1024.0, &BINARY_UNITS);
    format!("{}{unit}", format_g(size, Some(4)))
}

#[cfg(test)]
#[path = "size_tests.rs"]
mod tests;
