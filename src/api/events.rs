//! Event messages of `GET /events`, in moby's field order (API 1.50):
//! the deprecated `status`, `id` and `from` first (filled for container
//! and image events, which the CLI and docker-py still read), then
//! `Type`, `Action`, `Actor`, `scope`, `time` and `timeNano`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The object an event is about: its ID and attributes (for containers
/// their labels, `image` and `name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "ID", default)]
    pub id: String,
    /// Go's map encodes with sorted keys; a missing map decodes empty.
    #[serde(rename = "Attributes", default, deserialize_with = "null_as_empty")]
    pub attributes: BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(rename = "Type", default)]
    pub kind: String,
    #[serde(rename = "Action", default)]
    pub action: String,
    #[serde(rename = "Actor", default)]
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub time: i64,
    #[serde(rename = "timeNano", default, skip_serializing_if = "is_zero")]
    pub time_nano: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// The event types moby sends.
pub const CONTAINER: &str = "container";
pub const IMAGE: &str = "image";
pub const DAEMON: &str = "daemon";
pub const NETWORK: &str = "network";
pub const VOLUME: &str = "volume";
pub const BUILDER: &str = "builder";

impl Message {
    /// A local event at `time_nano` (nanoseconds since the epoch), with the
    /// deprecated fields moby fills for container and image events.
    pub fn local(kind: &str, action: &str, actor: Actor, time_nano: i64) -> Message {
        let (id, status, from) = match kind {
            CONTAINER => (
                actor.id.clone(),
                action.to_string(),
                actor.attributes.get("image").cloned().unwrap_or_default(),
            ),
            IMAGE => (actor.id.clone(), action.to_string(), String::new()),
            _ => Default::default(),
        };
        Message {
            status,
            id,
            from,
            kind: kind.to_string(),
            action: action.to_string(),
            actor,
            scope: "local".into(),
            time: time_nano.div_euclid(1_000_000_000),
            time_nano,
        }
    }

    /// One line of the stream as Go's JSON encoder writes it: HTML
    /// characters escaped, a newline at the end.
    pub fn to_json_line(&self) -> Vec<u8> {
        let text = serde_json::to_string(self).unwrap_or_default();
        let mut line = go_escape(&text).into_bytes();
        line.push(b'\n');
        line
    }
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029. They
/// only occur inside strings of serde's output, so a plain replacement
/// keeps the document valid.
pub fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_events_carry_the_legacy_fields_in_moby_order() {
        let actor = Actor {
            id: "abc".into(),
            attributes: [("name", "web"), ("image", "busybox"), ("a", "<&>")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let message = Message::local(CONTAINER, "start", actor, 1_600_000_000_123_456_789);
        assert_eq!(
            String::from_utf8(message.to_json_line()).unwrap(),
            "{\"status\":\"start\",\"id\":\"abc\",\"from\":\"busybox\",\"Type\":\"container\",\
             \"Action\":\"start\",\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"a\":\"\\u003c\\u0026\\u003e\",\
             \"image\":\"busybox\",\"name\":\"web\"}},\"scope\":\"local\",\"time\":1600000000,\
             \"timeNano\":1600000000123456789}\n"
        );
        let back: Message = serde_json::from_slice(&message.to_json_line()).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn other_events_have_no_legacy_fields_and_decode_without_attributes() {
        let message = Message::local(DAEMON, "reload", Actor::default(), 5_000_000_000);
        let text = serde_json::to_string(&message).unwrap();
        assert!(text.starts_with("{\"Type\":\"daemon\""), "{text}");
        let bare: Message = serde_json::from_str(
            r#"{"Type":"image","Action":"pull","Actor":{"ID":"x","Attributes":null}}"#,
        )
        .unwrap();
        assert!(bare.actor.attributes.is_empty());
        assert_eq!(bare.time, 0);
    }
}
