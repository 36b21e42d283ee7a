//! The values a template works on: JSON data as the Engine API returns it
//! (docker decodes `inspect` output into maps, so a missing key is
//! `<no value>`, not an error), and struct-like row objects for `ps` and
//! `images` whose unknown fields are errors, as with Go structs.

use crate::gofmt::float::shortest_digits;
use serde_json::Value as Json;
use std::rc::Rc;

/// A row of a table command (`ps`, `images`, `stats`): named fields and
/// methods such as `.Label "k"`, like docker/cli's formatter contexts.
pub trait Object {
    /// The Go type name shown in errors (`*formatter.ContainerContext`).
    fn type_name(&self) -> &str;
    /// Evaluates field or method `name` with `args`; `None` when the row
    /// has no such field.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>>;
    /// What `{{json .}}` prints for the row.
    fn to_json(&self) -> Json;
    /// The exact text of `{{json .}}` for objects that are plain Go
    /// structs (fields in declaration order, no HTML escaping); `None`
    /// prints `to_json` HTML-escaped, as the table rows' MarshalJSON does.
    fn json_text(&self) -> Option<String> {
        None
    }
    /// `%v` of a plain Go struct (`{field field ...}` in declaration
    /// order); `None` prints `to_json` as a map.
    fn go_print(&self) -> Option<String> {
        None
    }
}

#[derive(Clone)]
pub enum Value {
    /// Go's invalid reflect.Value: a missing map key. Prints `<no value>`.
    Missing,
    Data(Json),
    Object(Rc<dyn Object>),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Missing => f.write_str("Missing"),
            Value::Data(json) => write!(f, "Data({json})"),
            Value::Object(object) => write!(f, "Object({})", object.type_name()),
        }
    }
}

impl From<Json> for Value {
    fn from(json: Json) -> Self {
        Value::Data(json)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Data(Json::String(s.to_string()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Data(Json::String(s))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Data(Json::from(n))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Data(Json::Bool(b))
    }
}

impl Value {
    pub fn null() -> Self {
        Value::Data(Json::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Data(Json::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Go's `truth`: the zero value of its type is false.
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing => false,
            Value::Object(_) => true,
            Value::Data(json) => match json {
                Json::Null => false,
                Json::Bool(b) => *b,
                Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Json::String(s) => !s.is_empty(),
                Json::Array(a) => !a.is_empty(),
                Json::Object(o) => !o.is_empty(),
            },
        }
    }

    /// The Go type name of the value as `encoding/json` decodes it into an
    /// `interface{}`, used in error messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::Missing => "<nil>".into(),
            Value::Object(object) => object.type_name().to_string(),
            Value::Data(json) => json_type_name(json).into(),
        }
    }
}

pub fn json_type_name(json: &Json) -> &'static str {
    match json {
        Json::Null => "<nil>",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float64",
        Json::Number(_) => "int",
        Json::String(_) => "string",
        Json::Array(_) => "[]interface {}",
        Json::Object(_) => "map[string]interface {}",
    }
}

/// Go's `encoding/json` text for a value, as docker's `json` function
/// produces it: HTML characters not escaped, map keys sorted, floats in
/// Go's shortest form.
pub fn go_json(json: &Json) -> String {
    let mut out = String::new();
    write_json(&mut out, json, false);
    out
}

/// `json.Marshal`'s text, which escapes `<`, `>` and `&`: what docker's
/// table rows produce through their own MarshalJSON.
pub fn go_json_html_escaped(json: &Json) -> String {
    let mut out = String::new();
    write_json(&mut out, json, true);
    out
}

fn write_json(out: &mut String, json: &Json, html: bool) {
    match json {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => out.push_str(&i.to_string()),
            (None, Some(u)) => out.push_str(&u.to_string()),
            _ => out.push_str(&json_float(n.as_f64().unwrap_or(0.0))),
        },
        Json::String(s) => write_json_string(out, s, html),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item, html);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key, html);
                out.push(':');
                write_json(out, value, html);
            }
            out.push('}');
        }
    }
}

fn write_json_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's JSON float form: shortest digits, exponent only below 1e-6 or from
/// 1e21 on, with a two-digit minimum exponent stripped of its leading zero.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (digits, exp) = shortest_digits(f);
        let mut mantissa = digits[..1].to_string();
        if digits.len() > 1 {
            mantissa.push('.');
            mantissa.push_str(&digits[1..]);
        }
        let sign = if f < 0.0 { "-" } else { "" };
        let e = exp - 1;
        let esign = if e < 0 { '-' } else { '+' };
        return format!("{sign}{mantissa}e{esign}{}", e.abs());
    }
    let text = format!("{f}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_json_matches_encoding_json() {
        let cases = [
            (json!({"b": 1, "a": "<x&y>"}), r#"{"a":"<x&y>","b":1}"#),
            (
                json!([1.5, 1e21, 1e-7, 100000000.0]),
                "[1.5,1e+21,1e-7,100000000]",
            ),
            (json!("tab\tnl\n\u{1}"), r#""tab\tnl\n\u0001""#),
            (json!(null), "null"),
        ];
        for (input, want) in cases {
            assert_eq!(go_json(&input), want);
        }
        assert_eq!(
            go_json_html_escaped(&json!("a->b&<")),
            r#""a-\u003eb\u0026\u003c""#
        );
    }

    #[test]
    fn truth_is_go_zero_value_test() {
        assert!(!Value::Missing.truth());
        assert!(!Value::Data(json!(0)).truth());
        assert!(!Value::Data(json!("")).truth());
        assert!(!Value::Data(json!([])).truth());
        assert!(!Value::Data(json!({})).truth());
        assert!(!Value::Data(json!(null)).truth());
        assert!(Value::Data(json!(0.5)).truth());
        assert!(Value::Data(json!("0")).truth());
    }
}
