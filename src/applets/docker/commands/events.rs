//! `docker events`: the daemon's event stream, printed as each event
//! arrives, in docker's line format or through a `--format` template
//! over Go's `events.Message`.

use super::{Session, print};
use crate::api::events::{Actor, Message};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::format::{Zone, event_line};
use crate::applets::docker::parse::filters::{collect_filters, filters_json};
use crate::applets::docker::queries::encode_query;
use crate::applets::docker::template::{Object, Template, Value};
use crate::gofmt::timestamp::get_timestamp;
use crate::http::Headers;
use serde_json::Value as Json;
use std::io::BufReader;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The query of `GET /events`: `since`/`until` converted as docker/cli
/// converts them (durations before now, dates, Unix times) and the filters.
pub fn events_query(parsed: &Parsed, now: i64, local_offset: i64) -> Result<String, String> {
    let mut params = Vec::new();
    for key in ["since", "until"] {
        if let Some(value) = parsed.value(key).filter(|v| !v.is_empty()) {
            params.push((key, get_timestamp(value, now, local_offset)?));
        }
    }
    if let Some(filters) = filters_json(&collect_filters(parsed.values("filter"))?) {
        params.push(("filters", filters));
    }
    Ok(encode_query(&mut params))
}

/// The user's template, checked as docker/cli checks it: parsed, then run
/// over an empty message so that unknown fields fail before any request.
fn event_template(format: &str) -> Result<Option<Template>, Failure> {
    let text = match format {
        "" => return Ok(None),
        "json" => "{{json .}}",
        other => other,
    };
    let parse_error = |e: String| Failure::new(64, format!("Error parsing format: {e}"));
    let template = Template::parse(text).map_err(|e| parse_error(e.to_string()))?;
    let empty = Value::Object(Rc::new(MessageObject {
        message: Message::default(),
        type_name: "*events.Message",
    }));
    template
        .execute(&empty)
        .map_err(|e| parse_error(e.to_string()))?;
    Ok(Some(template))
}

pub fn events(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let template = event_template(parsed.value("format").unwrap_or(""))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let query =
        events_query(parsed, now, Zone::local(now).offset).map_err(|e| Failure::new(1, e))?;
    let path = if query.is_empty() {
        "/events".to_string()
    } else {
        format!("/events?{query}")
    };
    let response = session.client.stream("GET", &path, &Headers::new(), None)?;
    // One JSON value after another, as Go's json.Decoder reads them; the
    // stream ending between two is the normal end.
    let reader = BufReader::new(response.body);
    for decoded in serde_json::Deserializer::from_reader(reader).into_iter::<Message>() {
        let message = decoded.map_err(|e| {
            Failure::new(
                1,
                if e.is_eof() {
                    "unexpected EOF".to_string()
                } else {
                    e.to_string()
                },
            )
        })?;
        match &template {
            None => {
                let zone = Zone::local(message.time_nano.div_euclid(1_000_000_000));
                print(&event_line(&message, &zone));
            }
            Some(template) => {
                let object = Value::Object(Rc::new(MessageObject {
                    message,
                    type_name: "events.Message",
                }));
                let text = template
                    .execute(&object)
                    .map_err(|e| Failure::new(1, e.to_string()))?;
                print(&format!("{text}\n"));
            }
        }
    }
    Ok(())
}

/// Go's json.Encoder without HTML escaping, as docker's `json` template
/// function uses it: still escapes U+2028 and U+2029.
fn plain_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// `events.Message` as a template sees it: Go struct fields, unknown ones
/// an error, `{{json .}}` in the struct's field order.
struct MessageObject {
    message: Message,
    type_name: &'static str,
}

impl Object for MessageObject {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn call(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        let m = &self.message;
        let value = match name {
            "Status" => m.status.clone().into(),
            "ID" => m.id.clone().into(),
            "From" => m.from.clone().into(),
            "Type" => m.kind.clone().into(),
            "Action" => m.action.clone().into(),
            "Scope" => m.scope.clone().into(),
            "Time" => m.time.into(),
            "TimeNano" => m.time_nano.into(),
            "Actor" => Value::Object(Rc::new(ActorObject(m.actor.clone()))),
            _ => return None,
        };
        Some(Ok(value))
    }

    fn to_json(&self) -> Json {
        serde_json::to_value(&self.message).unwrap_or(Json::Null)
    }

    fn json_text(&self) -> Option<String> {
        Some(plain_json(&self.message))
    }

    fn go_print(&self) -> Option<String> {
        let m = &self.message;
        Some(format!(
            "{{{} {} {} {} {} {} {} {} {}}}",
            m.status,
            m.id,
            m.from,
            m.kind,
            m.action,
            print_actor(&m.actor),
            m.scope,
            m.time,
            m.time_nano
        ))
    }
}

/// `%v` of an events.Actor: `{ID map[k:v ...]}`.
fn print_actor(actor: &Actor) -> String {
    let attributes: Vec<String> = actor
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    format!("{{{} map[{}]}}", actor.id, attributes.join(" "))
}

struct ActorObject(Actor);

impl Object for ActorObject {
    fn type_name(&self) -> &str {
        "events.Actor"
    }

    fn call(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "ID" => Some(Ok(self.0.id.clone().into())),
            "Attributes" => Some(Ok(Value::Data(
                serde_json::to_value(&self.0.attributes).unwrap_or(Json::Null),
            ))),
            _ => None,
        }
    }

    fn to_json(&self) -> Json {
        serde_json::to_value(&self.0).unwrap_or(Json::Null)
    }

    fn json_text(&self) -> Option<String> {
        Some(plain_json(&self.0))
    }

    fn go_print(&self) -> Option<String> {
        Some(print_actor(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::applets::docker::args::{find_command, parse};

    fn parsed(flags: &[&str]) -> Parsed {
        let args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        parse(find_command("events").unwrap(), &args).unwrap()
    }

    #[test]
    fn query_converts_times_and_filters_as_the_cli_does() {
        let now = 1_600_000_000;
        assert_eq!(events_query(&parsed(&[]), now, 0).unwrap(), "");
        assert_eq!(
            events_query(
                &parsed(&[
                    "--since",
                    "10m",
                    "--until",
                    "2020-09-13T12:26:40Z",
                    "-f",
                    "event=die",
                    "-f",
                    "container=web"
                ]),
                now,
                0
            )
            .unwrap(),
            "filters=%7B%22container%22%3A%7B%22web%22%3Atrue%7D%2C%22event%22%3A%7B%22die%22%3Atrue%7D%7D&since=1599999400&until=1600000000.000000000"
        );
        assert!(events_query(&parsed(&["--since", "yesterday"]), now, 0).is_err());
    }

    #[test]
    fn templates_see_go_struct_fields() {
        let mut message = Message::local(
            "container",
            "start",
            Actor {
                id: "abc".into(),
                attributes: [("name".to_string(), "a<b".to_string())].into(),
            },
            1_600_000_000_000_000_001,
        );
        message.from = "busybox".into();
        let render = |format: &str| {
            let template = event_template(format).unwrap().unwrap();
            let object = Value::Object(Rc::new(MessageObject {
                message: message.clone(),
                type_name: "events.Message",
            }));
            template.execute(&object).unwrap()
        };
        assert_eq!(
            render("{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Time}}"),
            "container start abc a<b 1600000000"
        );
        assert_eq!(
            render("json"),
            r#"{"status":"start","id":"abc","from":"busybox","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"a<b"}},"scope":"local","time":1600000000,"timeNano":1600000000000000001}"#
        );
        assert_eq!(
            render("{{.Actor}} {{.}}"),
            "{abc map[name:a<b]} {start abc busybox container start {abc map[name:a<b]} local 1600000000 1600000000000000001}"
        );
        assert_eq!(
            render("{{json .Actor}}"),
            r#"{"ID":"abc","Attributes":{"name":"a<b"}}"#
        );
        let bad = event_template("{{.Nope}}").err().unwrap();
        assert_eq!(bad.code, 64);
        assert!(
            bad.message.starts_with("Error parsing format: template: "),
            "{}",
            bad.message
        );
        assert!(bad.message.contains("*events.Message"), "{}", bad.message);
        assert_eq!(event_template("{{.Foo").err().unwrap().code, 64);
    }
}
