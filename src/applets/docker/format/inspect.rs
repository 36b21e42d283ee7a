//! `docker inspect` output over the daemon's raw JSON: the indented array
//! by default, one compact array for `--format json`, or a template run
//! per object with Go's `missingkey=error` (docker/cli's inspector falls
//! back to the raw map that way when its typed structs do not fit).

use crate::applets::docker::template::{Template, Value};

pub enum InspectFormat {
    Indented,
    Json,
    Template(Template),
}

/// The inspect format for `-f/--format`; a template that does not parse
/// is exit status 64 with docker's message.
pub fn inspect_format(format: &str) -> Result<InspectFormat, (i32, String)> {
    match format {
        "" => Ok(InspectFormat::Indented),
        "json" => Ok(InspectFormat::Json),
        text => Template::parse(text)
            .map(InspectFormat::Template)
            .map_err(|e| (64, format!("template parsing error: {e}"))),
    }
}

/// Renders the raw objects. Returns what goes to stdout and the
/// per-object errors (docker then exits 1 and prints them, joined by
/// newlines, after the output).
pub fn render_inspect(format: &InspectFormat, raw_objects: &[&[u8]]) -> (String, Vec<String>) {
    match format {
        InspectFormat::Indented | InspectFormat::Json => {
            if raw_objects.is_empty() {
                return ("[]\n".into(), Vec::new());
            }
            let mut array = b"[".to_vec();
            for (i, raw) in raw_objects.iter().enumerate() {
                if i > 0 {
                    array.push(b',');
                }
                array.extend_from_slice(raw);
            }
            array.push(b']');
            let indent = matches!(format, InspectFormat::Indented).then_some("    ");
            match reformat_json(&array, indent) {
                Ok(mut text) => {
                    text.push('\n');
                    (text, Vec::new())
                }
                Err(e) => (String::new(), vec![e]),
            }
        }
        InspectFormat::Template(template) => {
            let mut out = String::new();
            let mut errors = Vec::new();
            for raw in raw_objects {
                let data: serde_json::Value = match serde_json::from_slice(raw) {
                    Ok(data) => data,
                    Err(e) => {
                        errors.push(format!("unable to read inspect data: {e}"));
                        continue;
                    }
                };
                match template.execute_strict(&Value::Data(data)) {
                    Ok(text) => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    Err(e) => errors.push(format!("template parsing error: {e}")),
                }
            }
            if out.is_empty() {
                out.push('\n');
            }
            (out, errors)
        }
    }
}

/// Go's `json.Indent(dst, src, "", indent)` or, without an indent,
/// `json.Compact`: the same tokens in the same order, strings untouched.
pub fn reformat_json(text: &[u8], indent: Option<&str>) -> Result<String, String> {
    serde_json::from_slice::<serde::de::IgnoredAny>(text).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        if let Some(indent) = indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(indent);
            }
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => {
                out.push(c);
                if indent.is_some() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The object a stub daemon served to the Docker CLI 28; expected texts
    // are what `docker inspect` printed for it.
    const WEB: &[u8] = br#"{"Id":"4f66ad9a0b2e","Name":"/web","Args":["-c","echo hi"],"State":{"Status":"exited","ExitCode":3,"Health":null},"Config":{"Labels":{"a":"1","com.example.b":"two"},"Env":["PATH=/bin","A=b"],"Image":"busybox"},"HostConfig":{"Memory":67108864,"Binds":null},"Mounts":[],"Empty":{}}"#;

    fn template(format: &str) -> (String, Vec<String>) {
        let format = inspect_format(format).unwrap_or_else(|(_, e)| panic!("{e}"));
        render_inspect(&format, &[WEB])
    }

    #[test]
    fn default_output_is_indented_in_source_order() {
        let (out, errors) = render_inspect(&InspectFormat::Indented, &[WEB]);
        assert!(errors.is_empty());
        assert_eq!(
            out,
            r#"[
    {
        "Id": "4f66ad9a0b2e",
        "Name": "/web",
        "Args": [
            "-c",
            "echo hi"
        ],
        "State": {
            "Status": "exited",
            "ExitCode": 3,
            "Health": null
        },
        "Config": {
            "Labels": {
                "a": "1",
                "com.example.b": "two"
            },
            "Env": [
                "PATH=/bin",
                "A=b"
            ],
            "Image": "busybox"
        },
        "HostConfig": {
            "Memory": 67108864,
            "Binds": null
        },
        "Mounts": [],
        "Empty": {}
    }
]
"#
        );
        assert_eq!(render_inspect(&InspectFormat::Indented, &[]).0, "[]\n");
    }

    #[test]
    fn json_format_is_one_compact_array() {
        let (out, _) = render_inspect(&InspectFormat::Json, &[WEB, b"{ \"Id\" : \"x\" }"]);
        assert_eq!(
            out,
            format!("[{},{{\"Id\":\"x\"}}]\n", String::from_utf8_lossy(WEB))
        );
    }

    #[test]
    fn templates_run_per_object() {
        let cases = [
            ("{{.State.ExitCode}}", "3\n"),
            ("{{.HostConfig.Memory}}", "67108864\n"),
            ("{{index .Config.Labels \"zz\"}}", "\n"),
            ("{{.Config.Env}}", "[PATH=/bin A=b]\n"),
            ("{{range .Mounts}}x{{else}}none{{end}}", "none\n"),
            ("{{eq .State.ExitCode 3}}", "true\n"),
            (
                "{{json .Config.Labels}}",
                "{\"a\":\"1\",\"com.example.b\":\"two\"}\n",
            ),
        ];
        for (format, want) in cases {
            assert_eq!(template(format), (want.to_string(), Vec::new()), "{format}");
        }
    }

    #[test]
    fn missing_keys_are_errors() {
        assert_eq!(
            template("{{.Nope}}"),
            (
                "\n".to_string(),
                vec!["template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"".to_string()]
            )
        );
        assert_eq!(
            template("{{.Nope.Deeper}}").1,
            vec!["template parsing error: template: :1:7: executing \"\" at <.Nope.Deeper>: map has no entry for key \"Nope\"".to_string()]
        );
        assert_eq!(
            template("{{.State.Health.Status}}").1,
            vec!["template parsing error: template: :1:8: executing \"\" at <.State.Health.Status>: nil pointer evaluating interface {}.Status".to_string()]
        );
    }

    #[test]
    fn bad_templates_exit_64() {
        let Err((code, message)) = inspect_format("{{.ID}") else {
            panic!("parsed")
        };
        assert_eq!(code, 64);
        assert_eq!(
            message,
            "template parsing error: template: :1: bad character U+007D '}'"
        );
    }

    #[test]
    fn reformat_keeps_strings_and_escapes() {
        assert_eq!(
            reformat_json(br#"{"a" : "x, y: [z]", "b":"\u003c\"q\""}"#, None).unwrap(),
            r#"{"a":"x, y: [z]","b":"\u003c\"q\""}"#
        );
        assert!(reformat_json(b"{bad", None).is_err());
    }
}
