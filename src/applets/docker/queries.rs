//! Query strings of the list and lifecycle requests, as the Docker CLI 28
//! builds them from flags (keys sorted, values escaped as Go's
//! `url.Values.Encode` does).

use super::args::Parsed;
use super::parse::filters::{Filters, collect_filters, filters_json};
use crate::gofmt::timestamp::get_timestamp;
use serde_json::Value as Json;

/// `url.Values.Encode`: `key=value` pairs sorted by key, joined by `&`.
pub fn encode_query(params: &mut [(&str, String)]) -> String {
    params.sort_by(|a, b| a.0.cmp(b.0));
    params
        .iter()
        .map(|(key, value)| format!("{}={}", query_escape(key), query_escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An integer flag, zero when not given (pflag's zero value).
fn int(parsed: &Parsed, long: &str) -> i64 {
    parsed.int(long).unwrap_or_default()
}

pub use crate::gofmt::url::query_escape;

/// Records which fields a template reads, as docker/cli runs a `--format`
/// over an empty row to learn whether `.Size` needs `size=1`.
struct FieldRecorder(std::cell::RefCell<Vec<String>>);

impl crate::applets::docker::template::Object for FieldRecorder {
    fn type_name(&self) -> &str {
        "*formatter.ContainerContext"
    }

    fn call(
        &self,
        name: &str,
        _args: &[crate::applets::docker::template::Value],
    ) -> Option<Result<crate::applets::docker::template::Value, String>> {
        self.0.borrow_mut().push(name.to_string());
        Some(Ok("".into()))
    }

    /// `{{json .}}` reads every field (Go's MarshalJSON calls each
    /// method), `.Size` included.
    fn to_json(&self) -> Json {
        self.0.borrow_mut().push("Size".to_string());
        Json::Object(serde_json::Map::new())
    }
}

/// Whether a `docker ps --format` reads `.Size`.
pub fn format_uses_size(format: &str) -> bool {
    use crate::applets::docker::template::{Template, Value};
    // The CLI runs the flag's text as given: `json` and a `table` prefix
    // are plain text to it here.
    let Ok(template) = Template::parse(format) else {
        return false;
    };
    let recorder = std::rc::Rc::new(FieldRecorder(Default::default()));
    let _ = template.execute(&Value::Object(recorder.clone()));
    recorder.0.borrow().iter().any(|name| name == "Size")
}

/// The query of `GET /containers/json` for `docker ps` flags, keys sorted
/// as Go's `url.Values.Encode` sorts them.
pub fn ps_query(parsed: &Parsed) -> Result<String, String> {
    let mut limit = int(parsed, "last");
    if parsed.is_true("latest") && limit == -1 {
        limit = 1;
    }
    let format = parsed.value("format").unwrap_or_default();
    // `.Size` in a format asks for sizes, unless -q or an explicit --size.
    let size = parsed.is_true("size")
        || (!format.is_empty()
            && !parsed.is_true("quiet")
            && !parsed.is_set("size")
            && format_uses_size(format));
    let filters = filters_json(&collect_filters(parsed.values("filter"))?);
    let mut params = Vec::new();
    if parsed.is_true("all") {
        params.push("all=1".to_string());
    }
    if let Some(filters) = filters {
        params.push(format!("filters={}", query_escape(&filters)));
    }
    if limit > 0 {
        params.push(format!("limit={limit}"));
    }
    if size {
        params.push("size=1".to_string());
    }
    Ok(params.join("&"))
}

/// `docker logs`: both streams, and `follow`, `timestamps`, `details`,
/// `since`/`until` (converted as `--since` values are) and `tail`.
/// `now` is Unix seconds and `local_offset` the local zone's offset.
pub fn logs_query(parsed: &Parsed, now: i64, local_offset: i64) -> Result<String, String> {
    let mut params = vec![("stdout", "1".to_string()), ("stderr", "1".to_string())];
    for (flag, key) in [
        ("follow", "follow"),
        ("timestamps", "timestamps"),
        ("details", "details"),
    ] {
        if parsed.is_true(flag) {
            params.push((key, "1".into()));
        }
    }
    for key in ["since", "until"] {
        if let Some(value) = parsed.value(key).filter(|v| !v.is_empty()) {
            params.push((key, get_timestamp(value, now, local_offset)?));
        }
    }
    params.push(("tail", parsed.value("tail").unwrap_or("all").to_string()));
    Ok(encode_query(&mut params))
}

/// `docker images [REPOSITORY[:TAG]]`: `all` and the filters, the
/// positional argument becoming a `reference` filter.
pub fn images_query(parsed: &Parsed) -> Result<String, String> {
    let mut filters = collect_filters(parsed.values("filter"))?;
    if let Some(reference) = parsed.args.first() {
        filters
            .entry("reference".into())
            .or_default()
            .insert(reference.clone());
    }
    let mut params = Vec::new();
    if parsed.is_true("all") {
        params.push(("all", "1".to_string()));
    }
    if let Some(filters) = filters_json(&filters) {
        params.push(("filters", filters));
    }
    Ok(encode_query(&mut params))
}

/// `docker kill`: the signal when given.
pub fn kill_query(parsed: &Parsed) -> String {
    let mut params = Vec::new();
    if let Some(signal) = parsed.value("signal").filter(|s| !s.is_empty()) {
        params.push(("signal", signal.to_string()));
    }
    encode_query(&mut params)
}

/// `docker image prune`: the filters plus `dangling`, false with `-a`.
pub fn image_prune_query(parsed: &Parsed) -> Result<String, String> {
    let mut filters: Filters = collect_filters(parsed.values("filter"))?;
    let dangling = if parsed.is_true("all") {
        "false"
    } else {
        "true"
    };
    filters
        .entry("dangling".into())
        .or_default()
        .insert(dangling.into());
    let mut params = vec![("filters", filters_json(&filters).unwrap_or_default())];
    Ok(encode_query(&mut params))
}

/// `docker container prune`: the filters, if any.
pub fn container_prune_query(parsed: &Parsed) -> Result<String, String> {
    let filters = collect_filters(parsed.values("filter"))?;
    let mut params = Vec::new();
    if let Some(filters) = filters_json(&filters) {
        params.push(("filters", filters));
    }
    Ok(encode_query(&mut params))
}

#[cfg(test)]
#[path = "queries_tests.rs"]
mod tests;
