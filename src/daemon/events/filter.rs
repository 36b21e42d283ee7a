//! Which events a `filters` query selects, with moby's matching rules, and
//! the `since`/`until` times of the query.

use crate::api::events::{CONTAINER, DAEMON, IMAGE, Message};
use crate::api::{ApiError, Filters};
use crate::image::reference::Reference;

/// A `filters` query over events. Every key narrows: `event`, `type` and
/// `scope` match exactly, `container` and `daemon` by ID or name or a
/// prefix of either, `image` by ID or name with or without its tag,
/// `label` by `key` or `key=value` among the attributes. Other keys are
/// accepted and ignored, as moby does.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    filters: Filters,
}

/// Event actions that carry a suffix (`exec_start: sh -c ...`), which a
/// bare filter value matches as a prefix.
const PREFIXED_ACTIONS: &[&str] = &["health_status", "exec_create", "exec_start"];

impl EventFilter {
    pub fn new(filters: Filters) -> EventFilter {
        EventFilter { filters }
    }

    pub fn includes(&self, message: &Message) -> bool {
        self.matches_action(&message.action)
            && self.filters.matches_exact("type", &message.kind)
            && self.filters.matches_exact("scope", &message.scope)
            && self.matches_actor(message, DAEMON)
            && self.matches_actor(message, CONTAINER)
            && [
                "plugin", "volume", "network", "node", "service", "secret", "config",
            ]
            .iter()
            .all(|kind| self.matches_actor(message, kind))
            && self.matches_image(message)
            && self.matches_labels(message)
    }

    fn matches_action(&self, action: &str) -> bool {
        let wanted = self.filters.get("event");
        if wanted
            .iter()
            .any(|w| PREFIXED_ACTIONS.contains(&w.as_str()))
        {
            return fuzzy(wanted, action);
        }
        self.filters.matches_exact("event", action)
    }

    /// moby's per-type name filter: it looks at the actor whatever the
    /// event's type, so `container=x` also drops image events.
    fn matches_actor(&self, message: &Message, key: &str) -> bool {
        let wanted = self.filters.get(key);
        let name = message
            .actor
            .attributes
            .get("name")
            .map(String::as_str)
            .unwrap_or("");
        fuzzy(wanted, &message.actor.id) || fuzzy(wanted, name)
    }

    /// The actor's ID, the image of a container event or the name of an
    /// image event, each also without its tag.
    fn matches_image(&self, message: &Message) -> bool {
        let key = if message.kind == IMAGE {
            "name"
        } else {
            "image"
        };
        let name = message
            .actor
            .attributes
            .get(key)
            .map(String::as_str)
            .unwrap_or("");
        let id = message.actor.id.as_str();
        [id, name]
            .into_iter()
            .flat_map(|text| [text.to_string(), strip_tag(text)])
            .any(|candidate| self.filters.matches_exact("image", &candidate))
    }

    fn matches_labels(&self, message: &Message) -> bool {
        let wanted = self.filters.get("label");
        if !self.filters.contains("label") || wanted.is_empty() {
            return true;
        }
        let attributes = &message.actor.attributes;
        !attributes.is_empty()
            && wanted.iter().all(|label| match label.split_once('=') {
                Some((key, value)) => attributes.get(key).is_some_and(|v| v == value),
                None => attributes.contains_key(label.as_str()),
            })
    }
}

/// moby's FuzzyMatch: no values match everything, else a value equal to
/// `source` or a prefix of it.
fn fuzzy(wanted: &[String], source: &str) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| source.starts_with(w.as_str()))
}

/// The familiar name without tag or digest (`busybox` for
/// `docker.io/library/busybox:latest`); the text itself when it is no
/// reference.
fn strip_tag(text: &str) -> String {
    Reference::parse_normalized(text)
        .map(|reference| reference.familiar_name())
        .unwrap_or_else(|_| text.to_string())
}

/// A `since`/`until` value: Unix seconds with an optional fraction
/// (`crate::gofmt::timestamp::parse_unix_nanos`); `None` when empty. The
/// result is in nanoseconds since the epoch.
pub fn parse_event_time(key: &str, value: &str) -> Result<Option<i64>, ApiError> {
    crate::gofmt::timestamp::parse_unix_nanos(value)
        .map_err(|why| ApiError::invalid(format!("invalid value for '{key}': {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::events::Actor;
    use std::collections::BTreeMap;

    fn message(kind: &str, action: &str, id: &str, attributes: &[(&str, &str)]) -> Message {
        let attributes: BTreeMap<String, String> = attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let actor = Actor {
            id: id.into(),
            attributes,
        };
        Message::local(kind, action, actor, 1)
    }

    fn filter(json: &str) -> EventFilter {
        EventFilter::new(Filters::parse(json).unwrap())
    }

    #[test]
    fn container_and_event_filters() {
        let start = message(
            CONTAINER,
            "start",
            "4f66ad9a0b2e",
            &[
                ("name", "web"),
                ("image", "busybox:latest"),
                ("tier", "front"),
            ],
        );
        let tag = message(IMAGE, "tag", "sha256:abc", &[("name", "busybox:1")]);
        assert!(EventFilter::default().includes(&start));
        assert!(filter(r#"{"event":["start","die"]}"#).includes(&start));
        assert!(!filter(r#"{"event":["sta"]}"#).includes(&start));
        assert!(filter(r#"{"container":["web"]}"#).includes(&start));
        assert!(filter(r#"{"container":["4f66"]}"#).includes(&start));
        assert!(filter(r#"{"container":["we"]}"#).includes(&start));
        assert!(!filter(r#"{"container":["db"]}"#).includes(&start));
        // The name filters look at any actor, as moby's do.
        assert!(!filter(r#"{"container":["web"]}"#).includes(&tag));
        assert!(filter(r#"{"type":["image"]}"#).includes(&tag));
        assert!(!filter(r#"{"type":["image"]}"#).includes(&start));
        assert!(filter(r#"{"scope":["local"]}"#).includes(&start));
        assert!(!filter(r#"{"scope":["swarm"]}"#).includes(&start));
        let exec = message(CONTAINER, "exec_start: sh -c true", "c", &[]);
        assert!(filter(r#"{"event":["exec_start"]}"#).includes(&exec));
        assert!(!filter(r#"{"event":["exec_die"]}"#).includes(&exec));
    }

    #[test]
    fn image_and_label_filters() {
        let start = message(
            CONTAINER,
            "start",
            "c1",
            &[
                ("name", "web"),
                ("image", "busybox:latest"),
                ("tier", "front"),
            ],
        );
        let tag = message(IMAGE, "tag", "sha256:abc", &[("name", "busybox:1")]);
        for value in [
            "busybox",
            "busybox:latest",
            "docker.io/library/busybox:latest",
        ] {
            let json = format!(r#"{{"image":["{value}"]}}"#);
            assert_eq!(
                filter(&json).includes(&start),
                value != "docker.io/library/busybox:latest",
                "{value}"
            );
        }
        assert!(filter(r#"{"image":["busybox"]}"#).includes(&tag));
        assert!(filter(r#"{"image":["sha256:abc"]}"#).includes(&tag));
        assert!(!filter(r#"{"image":["alpine"]}"#).includes(&tag));
        assert!(filter(r#"{"label":["tier"]}"#).includes(&start));
        assert!(filter(r#"{"label":["tier=front"]}"#).includes(&start));
        assert!(!filter(r#"{"label":["tier=back"]}"#).includes(&start));
        assert!(!filter(r#"{"label":["tier","other"]}"#).includes(&start));
        assert!(!filter(r#"{"label":["tier"]}"#).includes(&message(CONTAINER, "x", "c", &[])));
    }

    #[test]
    fn event_times_as_moby_parses_them() {
        assert_eq!(parse_event_time("since", "").unwrap(), None);
        assert_eq!(
            parse_event_time("since", "1600000000.5").unwrap(),
            Some(1_600_000_000_500_000_000)
        );
        assert_eq!(
            parse_event_time("since", "abc").unwrap_err().message,
            "invalid value for 'since': invalid timestamp \"abc\": invalid seconds \"abc\": invalid syntax"
        );
    }
}
