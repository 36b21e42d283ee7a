//! The functions a docker template can call: Go's text/template builtins
//! and docker/cli's additions (`json`, `join`, `split`, `lower`, `upper`,
//! `title`, `pad`, `truncate`), plus Go string quoting helpers.

use super::gofmt;
use super::value::{Value, go_json, go_json_html_escaped};
pub use crate::gofmt::quote::{go_quote, go_quote_rune, go_unquote};
use serde_json::Value as Json;

/// The parameter types a function declares; arguments are checked against
/// them before the call, as Go's reflection-based call does.
#[derive(Clone, Copy, PartialEq)]
pub enum Param {
    Any,
    Str,
    Int,
    StrList,
}

pub struct Func {
    pub name: &'static str,
    pub params: &'static [Param],
    /// Type of the trailing variadic parameter, if any.
    pub variadic: Option<Param>,
    pub call: fn(&[Value]) -> Result<Value, String>,
}

use Param::{Any, Int, Str, StrList};

const BUILTINS: &[Func] = &[
    // `and`/`or` are evaluated lazily by the executor; listed for lookup.
    Func {
        name: "and",
        params: &[Any],
        variadic: Some(Any),
        call: |_| unreachable_call(),
    },
    Func {
        name: "eq",
        params: &[Any],
        variadic: Some(Any),
        call: eq,
    },
    Func {
        name: "ge",
        params: &[Any, Any],
        variadic: None,
        call: |a| ordered(a, |o| o.is_ge()),
    },
    Func {
        name: "gt",
        params: &[Any, Any],
        variadic: None,
        call: |a| ordered(a, |o| o.is_gt()),
    },
    Func {
        name: "html",
        params: &[],
        variadic: Some(Any),
        call: html,
    },
    Func {
        name: "index",
        params: &[Any],
        variadic: Some(Any),
        call: index,
    },
    Func {
        name: "join",
        params: &[StrList, Str],
        variadic: None,
        call: join,
    },
    Func {
        name: "js",
        params: &[],
        variadic: Some(Any),
        call: js,
    },
    Func {
        name: "json",
        params: &[Any],
        variadic: None,
        call: json,
    },
    Func {
        name: "le",
        params: &[Any, Any],
        variadic: None,
        call: |a| ordered(a, |o| o.is_le()),
    },
    Func {
        name: "len",
        params: &[Any],
        variadic: None,
        call: len,
    },
    Func {
        name: "lower",
        params: &[Str],
        variadic: None,
        call: |a| Ok(str_arg(&a[0]).to_lowercase().into()),
    },
    Func {
        name: "lt",
        params: &[Any, Any],
        variadic: None,
        call: |a| ordered(a, |o| o.is_lt()),
    },
    Func {
        name: "ne",
        params: &[Any, Any],
        variadic: None,
        call: ne,
    },
    Func {
        name: "not",
        params: &[Any],
        variadic: None,
        call: |a| Ok((!a[0].truth()).into()),
    },
    Func {
        name: "or",
        params: &[Any],
        variadic: Some(Any),
        call: |_| unreachable_call(),
    },
    Func {
        name: "pad",
        params: &[Str, Int, Int],
        variadic: None,
        call: pad,
    },
    Func {
        name: "print",
        params: &[],
        variadic: Some(Any),
        call: |a| Ok(gofmt::sprint(a).into()),
    },
    Func {
        name: "printf",
        params: &[Str],
        variadic: Some(Any),
        call: |a| Ok(gofmt::sprintf(str_arg(&a[0]), &a[1..]).into()),
    },
    Func {
        name: "println",
        params: &[],
        variadic: Some(Any),
        call: |a| Ok(gofmt::sprintln(a).into()),
    },
    Func {
        name: "slice",
        params: &[Any],
        variadic: Some(Int),
        call: slice,
    },
    Func {
        name: "split",
        params: &[Str, Str],
        variadic: None,
        call: split,
    },
    Func {
        name: "title",
        params: &[Str],
        variadic: None,
        call: |a| Ok(title(str_arg(&a[0])).into()),
    },
    Func {
        name: "truncate",
        params: &[Str, Int],
        variadic: None,
        call: truncate,
    },
    Func {
        name: "upper",
        params: &[Str],
        variadic: None,
        call: |a| Ok(str_arg(&a[0]).to_uppercase().into()),
    },
    Func {
        name: "urlquery",
        params: &[],
        variadic: Some(Any),
        call: urlquery,
    },
];

/// docker/cli's `HeaderFunctions`: while rendering a table header the
/// column names pass through these unchanged.
const HEADER_FUNCS: &[Func] = &[
    Func {
        name: "join",
        params: &[Str, Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "json",
        params: &[Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "lower",
        params: &[Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "split",
        params: &[Str, Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "title",
        params: &[Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "truncate",
        params: &[Str, Int],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
    Func {
        name: "upper",
        params: &[Str],
        variadic: None,
        call: |a| Ok(a[0].clone()),
    },
];

fn unreachable_call() -> Result<Value, String> {
    Err("and/or are evaluated by the executor".into())
}

pub fn is_builtin(name: &str) -> bool {
    lookup(name, false).is_some()
}

pub fn lookup(name: &str, header: bool) -> Option<&'static Func> {
    let find = |table: &'static [Func]| table.iter().find(|f| f.name == name);
    if header && let Some(func) = find(HEADER_FUNCS) {
        return Some(func);
    }
    find(BUILTINS)
}

/// Checks one argument against its declared parameter type, with Go's
/// wording for a mismatch.
pub fn check_param(param: Param, value: Value) -> Result<Value, String> {
    let expected = match param {
        Any => {
            return Ok(match value {
                Value::Missing => Value::null(),
                other => other,
            });
        }
        Str => "string",
        Int => "int",
        StrList => "[]string",
    };
    let fits = match (&value, param) {
        (Value::Data(Json::String(_)), Str) => true,
        (Value::Data(Json::Number(n)), Int) => n.is_i64(),
        (Value::Data(Json::Array(items)), StrList) => items.iter().all(Json::is_string),
        (Value::Data(Json::Null), StrList) => true,
        _ => false,
    };
    match value {
        _ if fits => Ok(value),
        Value::Missing => Err(format!("invalid value; expected {expected}")),
        other => Err(format!(
            "wrong type for value; expected {expected}; got {}",
            other.type_name()
        )),
    }
}

fn str_arg(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn int_arg(value: &Value) -> i64 {
    match value {
        Value::Data(Json::Number(n)) => n.as_i64().unwrap_or_default(),
        _ => 0,
    }
}

fn json(args: &[Value]) -> Result<Value, String> {
    let text = match &args[0] {
        Value::Object(object) => object
            .json_text()
            .unwrap_or_else(|| go_json_html_escaped(&object.to_json())),
        Value::Data(json) => go_json(json),
        Value::Missing => "null".into(),
    };
    Ok(text.into())
}

fn join(args: &[Value]) -> Result<Value, String> {
    let parts: Vec<&str> = match &args[0] {
        Value::Data(Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    Ok(parts.join(str_arg(&args[1])).into())
}

fn split(args: &[Value]) -> Result<Value, String> {
    let (s, sep) = (str_arg(&args[0]), str_arg(&args[1]));
    let parts: Vec<Json> = if sep.is_empty() {
        // Go splits after each UTF-8 sequence.
        s.chars().map(|c| Json::String(c.to_string())).collect()
    } else {
        s.split(sep).map(|p| Json::String(p.to_string())).collect()
    };
    Ok(Value::Data(Json::Array(parts)))
}

/// `strings.Title`: upper-cases each letter that follows a separator:
/// any ASCII character but letters, digits and `_`, or Unicode space.
pub fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphabetic() || c.is_numeric() {
            false
        } else {
            c.is_whitespace()
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut previous = ' ';
    for c in s.chars() {
        if is_separator(previous) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

fn pad(args: &[Value]) -> Result<Value, String> {
    let source = str_arg(&args[0]);
    if source.is_empty() {
        return Ok("".into());
    }
    let (prefix, suffix) = (int_arg(&args[1]), int_arg(&args[2]));
    if prefix < 0 || suffix < 0 {
        return Err("strings: negative Repeat count".into());
    }
    Ok(format!(
        "{}{source}{}",
        " ".repeat(prefix as usize),
        " ".repeat(suffix as usize)
    )
    .into())
}

fn truncate(args: &[Value]) -> Result<Value, String> {
    let source = str_arg(&args[0]);
    let length = int_arg(&args[1]);
    if length < 0 {
        return Err(format!("slice bounds out of range [:{length}]"));
    }
    let length = length as usize;
    if source.len() < length {
        return Ok(source.into());
    }
    // Go slices bytes; stay on a character boundary rather than emit
    // broken UTF-8.
    let mut end = length;
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    Ok(source[..end].into())
}

fn len(args: &[Value]) -> Result<Value, String> {
    let n = match &args[0] {
        Value::Data(Json::String(s)) => s.len(),
        Value::Data(Json::Array(a)) => a.len(),
        Value::Data(Json::Object(o)) => o.len(),
        Value::Data(Json::Null) | Value::Missing => {
            return Err("len of nil pointer".into());
        }
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok((n as i64).into())
}

/// `index x 1 2`: successive indexing of lists and maps. A key missing
/// from a map of strings (labels, options) gives "", as indexing Go's
/// `map[string]string` does; elsewhere Go's `interface{}` zero value, nil.
fn index(args: &[Value]) -> Result<Value, String> {
    let mut item = args[0].clone();
    for key in &args[1..] {
        item = match (&item, key) {
            (Value::Data(Json::Array(items)), Value::Data(Json::Number(n))) => {
                let i = n
                    .as_i64()
                    .ok_or_else(|| "cannot index slice/array with type float64".to_string())?;
                if i < 0 || i as usize >= items.len() {
                    return Err(format!("index out of range: {i}"));
                }
                Value::Data(items[i as usize].clone())
            }
            (Value::Data(Json::Array(_)), other) => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                ));
            }
            (Value::Data(Json::String(s)), Value::Data(Json::Number(n))) => {
                let i = n.as_i64().unwrap_or(-1);
                if i < 0 || i as usize >= s.len() {
                    return Err(format!("index out of range: {i}"));
                }
                Value::from(s.as_bytes()[i as usize] as i64)
            }
            (Value::Data(Json::Object(map)), Value::Data(Json::String(k))) => match map.get(k) {
                Some(value) => Value::Data(value.clone()),
                None if map.values().all(Json::is_string) => "".into(),
                None => Value::Missing,
            },
            (Value::Data(Json::Object(_)), other) => {
                return Err(format!(
                    "value has type {}; should be string",
                    other.type_name()
                ));
            }
            (Value::Data(Json::Null) | Value::Missing, _) => {
                return Err("index of untyped nil".into());
            }
            (other, _) => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(args: &[Value]) -> Result<Value, String> {
    let bounds: Vec<i64> = args[1..].iter().map(int_arg).collect();
    if bounds.len() > 2 {
        return Err("too many slice indexes: 3".into());
    }
    let check = |len: usize| -> Result<(usize, usize), String> {
        let low = bounds.first().copied().unwrap_or(0);
        let high = bounds.get(1).copied().unwrap_or(len as i64);
        if low < 0 || high < low || high as usize > len {
            return Err(format!(
                "index out of range: {}",
                if high as usize > len { high } else { low }
            ));
        }
        Ok((low as usize, high as usize))
    };
    match &args[0] {
        Value::Data(Json::String(s)) => {
            let (low, high) = check(s.len())?;
            Ok(String::from_utf8_lossy(&s.as_bytes()[low..high])
                .into_owned()
                .into())
        }
        Value::Data(Json::Array(items)) => {
            let (low, high) = check(items.len())?;
            Ok(Value::Data(Json::Array(items[low..high].to_vec())))
        }
        other => Err(format!("can't slice item of type {}", other.type_name())),
    }
}

/// Comparison classes as Go's `eq` sees them: numbers compare by value
/// (the daemon's JSON carries Go's int fields as numbers).
fn comparable(a: &Value, b: &Value) -> Result<std::cmp::Ordering, String> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Data(Json::Number(x)), Value::Data(Json::Number(y))) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return Ok(x.cmp(&y));
            }
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal))
        }
        (Value::Data(Json::String(x)), Value::Data(Json::String(y))) => Ok(x.cmp(y)),
        (Value::Data(Json::Bool(x)), Value::Data(Json::Bool(y))) => Ok(x.cmp(y)),
        (Value::Data(Json::Null), _) | (_, Value::Data(Json::Null)) => {
            Err("invalid type for comparison".into())
        }
        _ => Err("incompatible types for comparison".into()),
    }
}

fn eq(args: &[Value]) -> Result<Value, String> {
    if args.len() < 2 {
        return Err("missing argument for comparison".into());
    }
    for other in &args[1..] {
        let equal = match (&args[0], other) {
            (Value::Data(Json::Null), Value::Data(Json::Null)) => true,
            (Value::Data(Json::Array(_) | Json::Object(_)), _)
            | (_, Value::Data(Json::Array(_) | Json::Object(_))) => {
                return Err("non-comparable types".into());
            }
            (a, b) => comparable(a, b)?.is_eq(),
        };
        if equal {
            return Ok(true.into());
        }
    }
    Ok(false.into())
}

fn ne(args: &[Value]) -> Result<Value, String> {
    let equal = eq(args)?;
    Ok((!equal.truth()).into())
}

fn ordered(args: &[Value], test: fn(std::cmp::Ordering) -> bool) -> Result<Value, String> {
    if matches!(args[0], Value::Data(Json::Bool(_)))
        || matches!(args[1], Value::Data(Json::Bool(_)))
    {
        return Err("invalid type for comparison".into());
    }
    Ok(test(comparable(&args[0], &args[1])?).into())
}

fn html(args: &[Value]) -> Result<Value, String> {
    let text = gofmt::sprint(args);
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Ok(out.into())
}

fn js(args: &[Value]) -> Result<Value, String> {
    let text = gofmt::sprint(args);
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    Ok(out.into())
}

fn urlquery(args: &[Value]) -> Result<Value, String> {
    let text = gofmt::sprint(args);
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
        let func = lookup(name, false).unwrap();
        (func.call)(&args)
    }

    fn text(result: Result<Value, String>) -> String {
        gofmt::print_value(&result.unwrap())
    }

    #[test]
    fn docker_string_functions() {
        assert_eq!(text(call("lower", vec!["AbC".into()])), "abc");
        assert_eq!(text(call("upper", vec!["AbC".into()])), "ABC");
        assert_eq!(
            text(call("title", vec!["hello wORLD-foo_bar x'y".into()])),
            "Hello WORLD-Foo_bar X'Y"
        );
        assert_eq!(
            text(call("pad", vec!["x".into(), 2.into(), 1.into()])),
            "  x "
        );
        assert_eq!(text(call("pad", vec!["".into(), 2.into(), 1.into()])), "");
        assert_eq!(
            text(call("truncate", vec!["abcdef".into(), 3.into()])),
            "abc"
        );
        assert_eq!(text(call("truncate", vec!["ab".into(), 3.into()])), "ab");
        assert_eq!(
            text(call("split", vec!["a:b:c".into(), ":".into()])),
            "[a b c]"
        );
        assert_eq!(
            text(call(
                "join",
                vec![Value::Data(json!(["a", "b"])), ", ".into()]
            )),
            "a, b"
        );
        assert_eq!(
            text(call(
                "json",
                vec![Value::Data(json!({"b": [1], "a": "<>"}))]
            )),
            r#"{"a":"<>","b":[1]}"#
        );
        assert_eq!(text(call("json", vec![Value::Missing])), "null");
    }

    #[test]
    fn index_lists_and_maps() {
        let data = Value::Data(json!({"l": {"a": "1"}, "n": [10, 20], "m": {"x": 1}}));
        let labels = call("index", vec![data.clone(), "l".into()]).unwrap();
        assert_eq!(text(call("index", vec![labels.clone(), "a".into()])), "1");
        assert_eq!(text(call("index", vec![labels, "zz".into()])), "");
        let numbers = call("index", vec![data.clone(), "n".into()]).unwrap();
        assert_eq!(text(call("index", vec![numbers.clone(), 1.into()])), "20");
        assert_eq!(
            call("index", vec![numbers, 5.into()]).unwrap_err(),
            "index out of range: 5"
        );
        let mixed = call("index", vec![data, "m".into()]).unwrap();
        assert!(matches!(
            call("index", vec![mixed, "q".into()]).unwrap(),
            Value::Missing
        ));
    }

    #[test]
    fn comparisons() {
        let t = |name: &str, a: Value, b: Value| call(name, vec![a, b]).map(|v| v.truth());
        assert_eq!(t("eq", 1.into(), Value::Data(json!(1.0))), Ok(true));
        assert_eq!(t("eq", "a".into(), "a".into()), Ok(true));
        assert_eq!(t("ne", "a".into(), "b".into()), Ok(true));
        assert_eq!(t("lt", 1.into(), 2.into()), Ok(true));
        assert_eq!(t("ge", "b".into(), "a".into()), Ok(true));
        assert_eq!(
            t("eq", "a".into(), 1.into()),
            Err("incompatible types for comparison".into())
        );
        assert_eq!(
            t("lt", true.into(), false.into()),
            Err("invalid type for comparison".into())
        );
        assert!(
            call("eq", vec![1.into(), 2.into(), 1.into()])
                .unwrap()
                .truth()
        );
    }

    #[test]
    fn param_checks_use_go_wording() {
        assert_eq!(
            check_param(Param::Str, 1.into()).unwrap_err(),
            "wrong type for value; expected string; got int"
        );
        assert_eq!(
            check_param(Param::Str, Value::Missing).unwrap_err(),
            "invalid value; expected string"
        );
        assert_eq!(
            check_param(Param::StrList, Value::Data(json!([1]))).unwrap_err(),
            "wrong type for value; expected []string; got []interface {}"
        );
        assert!(matches!(
            check_param(Param::Any, Value::Missing),
            Ok(Value::Data(Json::Null))
        ));
    }
}
