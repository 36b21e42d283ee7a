//! `docker events` lines without `--format`:
//! `2026-11-27T21:00:00.000000000Z container start 4f66… (image=busybox, name=web)`.

use super::rows::Zone;
use crate::api::events::Message;
use crate::gofmt::time::UnixTime;

/// Go's `RFC3339NanoFixed` layout of a Unix time in nanoseconds:
/// always nine fraction digits, `Z` for UTC, else `+hh:mm`.
pub fn rfc3339_nano_fixed(nanos: i128, zone: &Zone) -> String {
    UnixTime::from_nanos(nanos).rfc3339_nano_fixed(zone.offset)
}

/// One event message from `GET /events` as docker prints it.
pub fn event_line(event: &Message, zone: &Zone) -> String {
    let mut line = String::new();
    if event.time_nano != 0 {
        line.push_str(&rfc3339_nano_fixed(event.time_nano as i128, zone));
        line.push(' ');
    } else if event.time != 0 {
        line.push_str(&rfc3339_nano_fixed(
            event.time as i128 * 1_000_000_000,
            zone,
        ));
        line.push(' ');
    }
    line.push_str(&format!(
        "{} {} {}",
        event.kind, event.action, event.actor.id
    ));
    let attributes = &event.actor.attributes;
    if !attributes.is_empty() {
        // Sorted by key, not by `key=value`: `a` comes before `a.b`.
        let pairs: Vec<String> = attributes
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
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

    fn event_line(event: &serde_json::Value, zone: &Zone) -> String {
        super::event_line(&serde_json::from_value(event.clone()).unwrap(), zone)
    }

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
