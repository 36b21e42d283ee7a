//! `GET /containers/json`: moby's filters over the records, newest first.

use super::lookup::{ImageLookup, find_container};
use super::record::{ContainerRecord, Status};
use crate::api::{ApiError, Filters};
use crate::store::Store;

pub const ACCEPTED_FILTERS: &[&str] = &[
    "ancestor",
    "before",
    "expose",
    "exited",
    "health",
    "id",
    "isolation",
    "is-task",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
];

fn invalid_filter(key: &str, value: &str) -> ApiError {
    ApiError::invalid(format!("invalid filter '{key}={value}'"))
}

/// moby's filters match `name` and `id` as regular expressions. dockbox
/// has no regex engine; it reads `^` and `$` anchors and matches the rest
/// literally, which covers how these filters are used.
pub fn pattern_matches(pattern: &str, text: &str) -> bool {
    let (anchored_start, rest) = match pattern.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let (anchored_end, literal) = match rest.strip_suffix('$') {
        Some(literal) => (true, literal),
        None => (false, rest),
    };
    match (anchored_start, anchored_end) {
        (true, true) => text == literal,
        (true, false) => text.starts_with(literal),
        (false, true) => text.ends_with(literal),
        (false, false) => text.contains(literal),
    }
}

/// `label` filter values (`key` or `key=value`) all present in `labels`.
pub fn labels_match(
    filters: &Filters,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    filters
        .get("label")
        .iter()
        .all(|wanted| match wanted.split_once('=') {
            Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
            None => labels.contains_key(wanted.as_str()),
        })
}

/// The checked and resolved list options.
pub struct Selection {
    all: bool,
    limit: Option<usize>,
    filters: Filters,
    statuses: Vec<Status>,
    exit_codes: Vec<i64>,
    ancestors: Vec<String>,
    before: Option<i64>,
    since: Option<i64>,
}

impl Selection {
    pub fn new(
        store: &Store,
        images: &dyn ImageLookup,
        all: bool,
        limit: Option<i64>,
        filters: Filters,
    ) -> Result<Selection, ApiError> {
        filters.validate(ACCEPTED_FILTERS)?;
        let mut statuses = Vec::new();
        for value in filters.get("status") {
            statuses.push(Status::parse(value).ok_or_else(|| invalid_filter("status", value))?);
        }
        let mut exit_codes = Vec::new();
        for value in filters.get("exited") {
            exit_codes.push(value.parse().map_err(|_| invalid_filter("exited", value))?);
        }
        for value in filters.get("health") {
            if !matches!(
                value.as_str(),
                "starting" | "healthy" | "unhealthy" | "none"
            ) {
                return Err(ApiError::invalid(format!(
                    "Unrecognised filter value for health: {value}"
                )));
            }
        }
        for value in filters.get("is-task") {
            if !matches!(value.as_str(), "true" | "false" | "1" | "0") {
                return Err(invalid_filter("is-task", value));
            }
        }
        let ancestors = filters
            .get("ancestor")
            .iter()
            .filter_map(|name| images.resolve(name).ok().map(|image| image.id))
            .collect();
        let created_of = |key: &str| -> Result<Option<i64>, ApiError> {
            match filters.get(key).first() {
                None => Ok(None),
                Some(what) => Ok(Some(find_container(store, what)?.created)),
            }
        };
        Ok(Selection {
            // A status filter lists stopped containers too, as in moby.
            all: all || !statuses.is_empty() || limit.is_some_and(|l| l > 0),
            limit: limit.filter(|l| *l > 0).map(|l| l as usize),
            before: created_of("before")?,
            since: created_of("since")?,
            filters,
            statuses,
            exit_codes,
            ancestors,
        })
    }

    fn includes(&self, record: &ContainerRecord) -> bool {
        let status = record.status();
        let alive = matches!(
            status,
            Status::Running | Status::Paused | Status::Restarting
        );
        if !self.all && !alive {
            return false;
        }
        let name = format!("/{}", record.name);
        let filters = &self.filters;
        let any = |key: &str, text: &str| {
            let wanted = filters.get(key);
            wanted.is_empty() || wanted.iter().any(|p| pattern_matches(p, text))
        };
        if !any("id", &record.id) || !(any("name", &name) || any("name", &record.name)) {
            return false;
        }
        if !self.statuses.is_empty() && !self.statuses.contains(&status) {
            return false;
        }
        let exited_with_listed_code = status == Status::Exited
            && record.state.started_at != 0
            && self.exit_codes.contains(&record.state.exit_code);
        if !self.exit_codes.is_empty() && !exited_with_listed_code {
            return false;
        }
        let labels = record.config.labels.clone().unwrap_or_default();
        if !labels_match(filters, &labels) {
            return false;
        }
        if filters.contains("ancestor") && !self.ancestors.contains(&record.image_id) {
            return false;
        }
        if self.before.is_some_and(|before| record.created >= before)
            || self.since.is_some_and(|since| record.created <= since)
        {
            return false;
        }
        let health = filters.get("health");
        if !health.is_empty() {
            let status = record
                .state
                .health
                .as_ref()
                .map_or("none", |health| health.status.as_str());
            if !health.iter().any(|wanted| wanted == status) {
                return false;
            }
        }
        if filters
            .get("is-task")
            .iter()
            .any(|v| v == "true" || v == "1")
        {
            return false;
        }
        // No networks or published ports exist yet.
        if ["network", "publish", "expose"]
            .iter()
            .any(|k| filters.contains(k))
        {
            return false;
        }
        let volumes = filters.get("volume");
        if !volumes.is_empty() {
            let points = super::view::mount_points(record);
            if !points.iter().any(|p| {
                volumes
                    .iter()
                    .any(|v| *v == p.source || *v == p.destination || *v == p.name)
            }) {
                return false;
            }
        }
        if !filters.get("isolation").is_empty()
            && !filters
                .get("isolation")
                .iter()
                .any(|i| i == "default" || *i == record.host_config.isolation)
        {
            return false;
        }
        true
    }

    /// The matching records, newest first, at most `limit`.
    pub fn apply(&self, mut records: Vec<ContainerRecord>) -> Vec<ContainerRecord> {
        records.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let selected = records.into_iter().filter(|r| self.includes(r));
        match self.limit {
            Some(limit) => selected.take(limit).collect(),
            None => selected.collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(pattern_matches("web", "/my-web-1"));
        assert!(pattern_matches("^/web", "/web-1"));
        assert!(!pattern_matches("^web", "/web-1"));
        assert!(pattern_matches("^/web$", "/web"));
        assert!(!pattern_matches("^/web$", "/web2"));
        assert!(pattern_matches("1$", "/web1"));
    }

    #[test]
    fn labels() {
        let labels = [("a".to_string(), "1".to_string())].into();
        let f = |text: &str| Filters::parse(text).unwrap();
        assert!(labels_match(&f(r#"{"label":["a"]}"#), &labels));
        assert!(labels_match(&f(r#"{"label":["a=1"]}"#), &labels));
        assert!(!labels_match(&f(r#"{"label":["a=2"]}"#), &labels));
        assert!(!labels_match(&f(r#"{"label":["a","b"]}"#), &labels));
        assert!(labels_match(&f("{}"), &labels));
    }
}
