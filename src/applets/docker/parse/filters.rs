//! `--filter name=value` as docker/cli collects it (opts.FilterOpt) and
//! the `filters` query parameter it sends: `{"name":{"value":true}}`.

use std::collections::{BTreeMap, BTreeSet};

/// Filters by name, each with its set of values; both sorted, as Go's
/// JSON encoding of maps sorts them.
pub type Filters = BTreeMap<String, BTreeSet<String>>;

/// Splits one `--filter` value: the name is trimmed and lower-cased, the
/// value trimmed.
pub fn parse_filter(value: &str) -> Result<(String, String), String> {
    let Some((name, val)) = value.split_once('=') else {
        return Err("bad format of filter (expected name=value)".into());
    };
    Ok((name.trim().to_lowercase(), val.trim().to_string()))
}

/// Collects `--filter` values; empty ones are ignored, as docker does.
pub fn collect_filters<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Filters, String> {
    let mut filters = Filters::new();
    for value in values {
        if value.is_empty() {
            continue;
        }
        let (name, val) = parse_filter(value)?;
        filters.entry(name).or_default().insert(val);
    }
    Ok(filters)
}

/// The `filters` query parameter, or `None` when there are no filters
/// (docker then leaves the parameter out).
pub fn filters_json(filters: &Filters) -> Option<String> {
    if filters.is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = filters
        .iter()
        .map(|(name, values)| {
            let set: serde_json::Map<String, serde_json::Value> = values
                .iter()
                .map(|v| (v.clone(), serde_json::Value::Bool(true)))
                .collect();
            (name.clone(), serde_json::Value::Object(set))
        })
        .collect();
    Some(crate::applets::docker::template::go_json(
        &serde_json::Value::Object(map),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_as_docker_ps_sends_them() {
        // Query parameters captured from `docker ps -f ...` (CLI 28).
        let filters =
            collect_filters(["status=running", "label=a=b", "name= x ", "status=exited"]).unwrap();
        assert_eq!(
            filters_json(&filters).unwrap(),
            r#"{"label":{"a=b":true},"name":{"x":true},"status":{"exited":true,"running":true}}"#
        );
        let filters = collect_filters(["label=a", "LABEL=b"]).unwrap();
        assert_eq!(
            filters_json(&filters).unwrap(),
            r#"{"label":{"a":true,"b":true}}"#
        );
        let filters = collect_filters(["=x"]).unwrap();
        assert_eq!(filters_json(&filters).unwrap(), r#"{"":{"x":true}}"#);
        assert_eq!(filters_json(&collect_filters([""]).unwrap()), None);
        assert_eq!(
            collect_filters(["bogus"]).unwrap_err(),
            "bad format of filter (expected name=value)"
        );
    }
}
