//! Go's float formatting (`strconv.FormatFloat`'s `e` and `g` forms), which
//! fmt's `%e`, `%g` and go-units' sizes print with.

/// The shortest decimal digits that round-trip `f` and the position of the
/// decimal point relative to them (`0.0123` gives ("123", -1)).
pub fn shortest_digits(f: f64) -> (String, i32) {
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// Go's `%e`: mantissa with `precision` digits, exponent of at least two
/// digits (`1.500000e+06`).
pub fn format_e(f: f64, precision: usize) -> String {
    let text = format!("{:.*e}", precision, f);
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Go's `%g`/`%v` for floats: shortest digits, `%e` form when the exponent
/// is below -4 or at least the precision (6 for the shortest form... or
/// the digit count when that is larger, as strconv does).
pub fn format_g(f: f64, precision: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (digits, point) = match precision {
        None => shortest_digits(f),
        Some(p) => {
            let p = p.max(1);
            let text = format!("{:.*e}", p - 1, f.abs());
            let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
            let mut digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
            while digits.len() > 1 && digits.ends_with('0') {
                digits.pop();
            }
            (digits, exp.parse::<i32>().unwrap_or(0) + 1)
        }
    };
    let mut eprec = precision.map(|p| p.max(1) as i32).unwrap_or(6);
    if precision.is_some() && eprec > digits.len() as i32 && digits.len() as i32 >= point {
        eprec = digits.len() as i32;
    }
    if precision.is_none() {
        eprec = 6;
    }
    let exp = point - 1;
    let sign = if f < 0.0 { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let mut mantissa = digits[..1].to_string();
        if digits.len() > 1 {
            mantissa.push('.');
            mantissa.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{esign}{:02}", exp.abs());
    }
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        let cases = [
            (100000.0, "100000"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (123456789.0, "1.23456789e+08"),
        ];
        for (f, want) in cases {
            assert_eq!(format_g(f, None), want, "{f}");
        }
    }
}
