//! `--filter name=value` as docker/cli collects it (opts.FilterOpt) and
//! the `filters` query parameter it sends: `{"name":{"value":true}}`.

pub use crate::gofmt::filters::FilterArgs as Filters;

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
    crate::gofmt::filters::to_json(filters)
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
