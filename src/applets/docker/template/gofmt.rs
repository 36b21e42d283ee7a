//! Go's `fmt` as templates reach it: `%v` printing of values, `Sprint`,
//! `Sprintln` and `Sprintf` with the verbs and flags used in practice, and
//! Go's `%!verb(type=value)` complaints for mismatches.

use super::value::Value;
use crate::gofmt::float::{format_e, format_g};
use serde_json::Value as Json;

/// `%v` of a value, as `fmt.Print` shows it.
pub fn print_value(value: &Value) -> String {
    match value {
        Value::Missing => "<nil>".into(),
        Value::Object(object) => object
            .go_print()
            .unwrap_or_else(|| print_json(&object.to_json())),
        Value::Data(json) => print_json(json),
    }
}

pub fn print_json(json: &Json) -> String {
    match json {
        Json::Null => "<nil>".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => match n.as_u64() {
                Some(u) => u.to_string(),
                None => format_g(n.as_f64().unwrap_or(0.0), None),
            },
        },
        Json::String(s) => s.clone(),
        Json::Array(items) => {
            let inner: Vec<String> = items.iter().map(print_json).collect();
            format!("[{}]", inner.join(" "))
        }
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", print_json(&map[*k])))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

fn is_string(value: &Value) -> bool {
    matches!(value, Value::Data(Json::String(_)))
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !is_string(arg) && !is_string(&args[i - 1]) {
            out.push(' ');
        }
        out.push_str(&print_value(arg));
    }
    out
}

/// `fmt.Sprintln`: always spaces, and a newline.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(print_value).collect();
    format!("{}\n", parts.join(" "))
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = take_number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(take_number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        out.push_str(&format_one(verb, spec, arg));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|arg| match arg {
                Value::Missing | Value::Data(Json::Null) => "<nil>".to_string(),
                _ => format!("{}={}", arg.type_name(), print_value(arg)),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

fn take_number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut number: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        number = Some(number.unwrap_or(0) * 10 + d as usize);
        chars.next();
    }
    number
}

fn bad_verb(verb: char, arg: &Value) -> String {
    match arg {
        Value::Missing | Value::Data(Json::Null) => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", arg.type_name(), print_value(arg)),
    }
}

fn format_one(verb: char, spec: Spec, arg: &Value) -> String {
    let json = match arg {
        Value::Data(json) => json.clone(),
        Value::Object(object) => object.to_json(),
        Value::Missing => Json::Null,
    };
    if let Json::Array(items) = &json
        && verb != 'v'
    {
        // Go applies the verb to each element of a slice.
        let inner: Vec<String> = items
            .iter()
            .map(|item| {
                format_one(
                    verb,
                    Spec {
                        width: None,
                        ..spec
                    },
                    &Value::Data(item.clone()),
                )
            })
            .collect();
        return pad(format!("[{}]", inner.join(" ")), spec);
    }
    let body = match (&json, verb) {
        (Json::Null, 'v') => "<nil>".to_string(),
        (Json::Null, _) => return bad_verb(verb, arg),
        (_, 'v') => {
            if let Json::Number(n) = &json
                && n.is_f64()
            {
                return format_number_text(
                    format_g(n.as_f64().unwrap_or(0.0), spec.precision),
                    spec,
                );
            }
            if let Json::Number(n) = &json {
                return format_number_text(n.to_string(), spec);
            }
            print_json(&json)
        }
        (Json::String(s), 's') => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        (Json::String(s), 'q') => super::funcs::go_quote(s),
        (Json::String(s), 'x') => s.bytes().map(|b| format!("{b:02x}")).collect(),
        (Json::String(s), 'X') => s.bytes().map(|b| format!("{b:02X}")).collect(),
        (Json::Bool(b), 't') => b.to_string(),
        (Json::Number(n), 'd' | 'x' | 'X' | 'o' | 'b' | 'c' | 'q') if !n.is_f64() => {
            let i = n.as_i64().unwrap_or(i64::MAX);
            match verb {
                'd' => return format_number_text(i.to_string(), spec),
                'x' => return format_number_text(signed_radix(i, |u| format!("{u:x}")), spec),
                'X' => return format_number_text(signed_radix(i, |u| format!("{u:X}")), spec),
                'o' => return format_number_text(signed_radix(i, |u| format!("{u:o}")), spec),
                'b' => return format_number_text(signed_radix(i, |u| format!("{u:b}")), spec),
                'c' => char::from_u32(i as u32).unwrap_or('\u{FFFD}').to_string(),
                _ => super::funcs::go_quote_rune(char::from_u32(i as u32).unwrap_or('\u{FFFD}')),
            }
        }
        (Json::Number(n), 'f' | 'F' | 'e' | 'E' | 'g' | 'G') => {
            let f = n.as_f64().unwrap_or(0.0);
            let text = match verb {
                'f' | 'F' => format!("{:.*}", spec.precision.unwrap_or(6), f),
                'e' | 'E' => {
                    let text = format_e(f, spec.precision.unwrap_or(6));
                    if verb == 'E' {
                        text.to_uppercase()
                    } else {
                        text
                    }
                }
                _ => {
                    let text = format_g(f, spec.precision);
                    if verb == 'G' {
                        text.to_uppercase()
                    } else {
                        text
                    }
                }
            };
            return format_number_text(text, spec);
        }
        _ => return bad_verb(verb, arg),
    };
    pad(body, spec)
}

fn signed_radix(i: i64, render: impl Fn(u64) -> String) -> String {
    if i < 0 {
        format!("-{}", render(i.unsigned_abs()))
    } else {
        render(i as u64)
    }
}

/// Sign flags and zero padding for numbers, then width.
fn format_number_text(mut text: String, spec: Spec) -> String {
    if !text.starts_with('-') {
        if spec.plus {
            text.insert(0, '+');
        } else if spec.space {
            text.insert(0, ' ');
        }
    }
    if spec.zero && !spec.minus {
        if let Some(width) = spec.width {
            let len = text.chars().count();
            if len < width {
                let sign_len = usize::from(text.starts_with(['-', '+', ' ']));
                let zeros = "0".repeat(width - len);
                text.insert_str(sign_len, &zeros);
            }
        }
        return text;
    }
    pad(text, spec)
}

fn pad(text: String, spec: Spec) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = " ".repeat(width - len);
    if spec.minus {
        text + &fill
    } else {
        fill + &text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(json: Json) -> Value {
        Value::Data(json)
    }

    #[test]
    fn sprintf_verbs_as_go() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%s", vec![v(json!("abc"))], "abc"),
            ("%-10s|", vec![v(json!("abc"))], "abc       |"),
            ("%10s|", vec![v(json!("abc"))], "       abc|"),
            ("%.2s", vec![v(json!("abc"))], "ab"),
            ("%d", vec![v(json!(42))], "42"),
            ("%05d", vec![v(json!(-42))], "-0042"),
            ("%+d", vec![v(json!(42))], "+42"),
            ("%x", vec![v(json!(255))], "ff"),
            ("%x", vec![v(json!("hi"))], "6869"),
            ("%q", vec![v(json!("a\"b\n"))], r#""a\"b\n""#),
            ("%v", vec![v(json!([1, "a"]))], "[1 a]"),
            ("%v", vec![v(json!({"b": 2, "a": 1}))], "map[a:1 b:2]"),
            ("%s", vec![v(json!(["x", "y"]))], "[x y]"),
            ("%v", vec![v(json!(1e6))], "1e+06"),
            ("%v", vec![v(json!(1.5))], "1.5"),
            ("%.2f", vec![v(json!(1.23456))], "1.23"),
            ("%f", vec![v(json!(2))], "2.000000"),
            ("%e", vec![v(json!(1500000.0))], "1.500000e+06"),
            ("%t", vec![v(json!(true))], "true"),
            ("%d%%", vec![v(json!(5))], "5%"),
            ("%d", vec![v(json!("x"))], "%!d(string=x)"),
            ("%s", vec![v(json!(5))], "%!s(int=5)"),
            ("%s", vec![Value::Missing], "%!s(<nil>)"),
            ("%v", vec![Value::null()], "<nil>"),
            ("%s %s", vec![v(json!("a"))], "a %!s(MISSING)"),
            ("%s", vec![v(json!("a")), v(json!(1))], "a%!(EXTRA int=1)"),
            ("%z", vec![v(json!(1))], "%!z(int=1)"),
            ("%", vec![], "%!(NOVERB)"),
        ];
        for (format, args, want) in cases {
            assert_eq!(sprintf(format, &args), want, "{format:?}");
        }
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        assert_eq!(sprint(&[v(json!("a")), v(json!("b"))]), "ab");
        assert_eq!(sprint(&[v(json!(1)), v(json!(2))]), "1 2");
        assert_eq!(sprint(&[v(json!("a")), v(json!(2))]), "a2");
        assert_eq!(sprintln(&[v(json!("a")), v(json!(2))]), "a 2\n");
    }
}
