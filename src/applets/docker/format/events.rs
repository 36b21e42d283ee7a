//! `docker events` lines without `--format`:
//! `2026-11-27T21:00:00.000000000Z container start 4f66… (image=busybox, name=web)`.

use super::rows::Zone;
use crate::gofmt::time::UnixTime;
use serde_json::Value as Json;

/// Go's `RFC3339NanoFixed` layout of a Unix time in nanoseconds:
/// always nine fraction digits, `Z` for UTC, else `+hh:mm`.
pub fn rfc3339_nano_fixed(nanos: i128, zone: &Zone) -> String {
    UnixTime::from_nanos(nanos).rfc3339_nano_fixed(zone.offset)
}

/// One event message from `GET /events` as docker prints it.
pub fn event_line(event: &Json, zone: &Zone) -> String {
    let mut line = String::new();
    let time_nano = event.get("timeNano").and_then(Json::as_i64).unwrap_or(0);
    let time = event.get("time").and_then(Json::as_i64).unwrap_or(0);
    if time_nano != 0 {
        line.push_str(&rfc3339_nano_fixed(time_nano as i128, zone));
        line.push(' ');
    } else if time != 0 {
        line.push_str(&rfc3339_nano_fixed(time as i128 * 1_000_000_000, zone));
        line.push(' ');
    }
    let text = |key: &str| event.get(key).and_then(Json::as_str).unwrap_or_default();
    let actor_id = event
        .pointer("/Actor/ID")
        .and_then(Json::as_str)
        .unwrap_or_default();
    line.push_str(&format!("{} {} {actor_id}", text("Type"), text("Action")));
    if let Some(attributes) = event.pointer("/Actor/Attributes").and_then(Json::as_object)
        && !attributes.is_empty()
    {
        // Sorted by key, not by `key=value`: `a` comes before `a.b`.
        let mut keys: Vec<&String> = attributes.keys().collect();
        keys.sort();
        let pairs: Vec<String> = keys
            .into_iter()
            .map(|k| format!("{k}={}", attributes[k].as_str().unwrap_or_default()))
            .collect();
        line.push_str(&format!(" ({})", pairs.join(", ")));
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    /// Lines as `docker events` (CLI 28) printed them for the same messages.
    fn event_lines() {
        let event = json!({
            "Type": "container", "Action": "start",
            "Actor": {"ID": "4f66ad9a0b2e", "Attributes": {"name": "web", "image": "busybox"}},
            "time": 1600000000, "timeNano": 1600000000123456789_i64
        });
        assert_eq!(
            event_line(&event, &Zone::utc()),
            "2020-09-13T12:26:40.123456789Z container start 4f66ad9a0b2e (image=busybox, name=web)\n"
        );
        let cet = Zone {
            offset: 3600,
            name: "CET".into(),
        };
        let bare = json!({"Type": "network", "Action": "connect", "Actor": {"ID": "n1", "Attributes": {}}, "time": 1600000000});
        assert_eq!(
            event_line(&bare, &cet),
            "2020-09-13T13:26:40.000000000+01:00 network connect n1\n"
        );
        let prefixed = json!({"Type": "container", "Action": "x", "Actor": {"ID": "c", "Attributes": {"a.b": "1", "a": "2"}}});
        assert_eq!(
            event_line(&prefixed, &Zone::utc()),
            "container x c (a=2, a.b=1)\n"
        );
        let no_time = json!({"Type": "image", "Action": "pull", "Actor": {"ID": "busybox"}});
        assert_eq!(event_line(&no_time, &Zone::utc()), "image pull busybox\n");
    }
}
