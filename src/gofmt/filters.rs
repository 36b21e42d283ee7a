//! The `filters` query parameter of the Engine API, moby's `filters.Args`:
//! a JSON object of filter names, each with its values, in the map form the
//! Docker CLI sends (`{"label":{"a=b":true}}`) or the list form of old
//! clients and docker-py (`{"label":["a=b"]}`).

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Filters by name, each with its set of values; both sorted, as Go's JSON
/// encoding of maps sorts them.
pub type FilterArgs = BTreeMap<String, BTreeSet<String>>;

/// `filters.ToJSON`: the map form, or `None` when there are no filters
/// (the CLI then leaves the parameter out).
pub fn to_json(filters: &FilterArgs) -> Option<String> {
    if filters.is_empty() {
        return None;
    }
    let map: Map<String, Value> = filters
        .iter()
        .map(|(name, values)| {
            let set: Map<String, Value> = values
                .iter()
                .map(|value| (value.clone(), Value::Bool(true)))
                .collect();
            (name.clone(), Value::Object(set))
        })
        .collect();
    Some(Value::Object(map).to_string())
}

/// `filters.FromJSON` in either form: each name with its values in the
/// order given, without repeats; in the map form only values set to true
/// count. An empty text is no filters. Errors are the message of a 400.
pub fn from_json(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut filters = BTreeMap::new();
    if text.trim().is_empty() {
        return Ok(filters);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid filter: {e}"))?;
    let Value::Object(map) = value else {
        return Err(format!(
            "invalid filter: expected a JSON object, got {text}"
        ));
    };
    for (name, values) in map {
        let list = filter_values(&name, values)?;
        let entry: &mut Vec<String> = filters.entry(name).or_default();
        for value in list {
            if !entry.contains(&value) {
                entry.push(value);
            }
        }
    }
    Ok(filters)
}

fn filter_values(name: &str, values: Value) -> Result<Vec<String>, String> {
    match values {
        Value::Object(set) => Ok(set
            .into_iter()
            .filter(|(_, enabled)| enabled.as_bool() == Some(true))
            .map(|(value, _)| value)
            .collect()),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(format!(
                    "invalid filter: value {other} of {name:?} is not a string"
                )),
            })
            .collect(),
        other => Err(format!(
            "invalid filter: values of {name:?} must be a list or a set, got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &[&str])]) -> FilterArgs {
        pairs
            .iter()
            .map(|(name, values)| {
                let set = values.iter().map(|v| v.to_string()).collect();
                (name.to_string(), set)
            })
            .collect()
    }

    #[test]
    fn encodes_the_map_form_as_the_cli_sends_it() {
        // Query parameters captured from `docker ps -f ...` (CLI 28).
        let cases: [(FilterArgs, Option<&str>); 4] = [
            (
                args(&[
                    ("status", &["running", "exited"]),
                    ("label", &["a=b"]),
                    ("name", &["x"]),
                ]),
                Some(
                    r#"{"label":{"a=b":true},"name":{"x":true},"status":{"exited":true,"running":true}}"#,
                ),
            ),
            (
                args(&[("label", &["b", "a"])]),
                Some(r#"{"label":{"a":true,"b":true}}"#),
            ),
            (args(&[("", &["x"])]), Some(r#"{"":{"x":true}}"#)),
            (FilterArgs::new(), None),
        ];
        for (filters, want) in cases {
            assert_eq!(to_json(&filters).as_deref(), want);
        }
    }

    #[test]
    fn decodes_both_forms() {
        let map =
            from_json(r#"{"label":{"a=b":true,"c":true,"off":false},"status":{"exited":true}}"#)
                .unwrap();
        let list = from_json(r#"{"label":["a=b","c","c"],"status":["exited"]}"#).unwrap();
        assert_eq!(map, list);
        assert_eq!(map["label"], ["a=b", "c"]);
        let round_trip =
            to_json(&args(&[("label", &["a=b", "c"]), ("status", &["exited"])])).unwrap();
        assert_eq!(from_json(&round_trip).unwrap(), map);
        assert!(from_json("").unwrap().is_empty());
        assert!(from_json("  ").unwrap().is_empty());
        let errors = [
            ("[1]", "invalid filter: expected a JSON object, got [1]"),
            (
                r#"{"a":"b"}"#,
                "invalid filter: values of \"a\" must be a list or a set, got \"b\"",
            ),
            (
                r#"{"a":[1]}"#,
                "invalid filter: value 1 of \"a\" is not a string",
            ),
        ];
        for (text, want) in errors {
            assert_eq!(from_json(text).unwrap_err(), want, "{text}");
        }
        assert!(from_json("{").unwrap_err().starts_with("invalid filter: "));
    }
}
