//! docker/cli's formatter `Context.Write`: picks the format (`table`,
//! `json`, a custom template), renders one line per row, and for tables
//! renders the header over the column names and aligns everything with
//! docker's tabwriter.

use super::tabwriter::TabWriter;
use crate::applets::docker::template::{Template, Value};

const TABLE_PREFIX: &str = "table";

/// The template text docker runs for a `--format` value, and whether the
/// output is a table: the `table` prefix is dropped, `json` means
/// `{{json .}}`, surrounding spaces go, and the two-character sequences
/// `\t` and `\n` become a tab and a newline.
pub fn resolve_format(format: &str) -> (String, bool) {
    let is_table = format.starts_with(TABLE_PREFIX);
    let text = if is_table {
        &format[TABLE_PREFIX.len()..]
    } else if format == "json" {
        "{{json .}}"
    } else {
        format
    };
    let text = text
        .trim_matches(' ')
        .replace("\\t", "\t")
        .replace("\\n", "\n");
    (text, is_table)
}

/// Renders `rows` with `format`. `header` maps field names to column
/// titles (docker's `SubHeaderContext`). Errors are what docker prints.
pub fn render(format: &str, header: &Value, rows: &[Value]) -> Result<String, String> {
    let (text, is_table) = resolve_format(format);
    let template = Template::parse(&text).map_err(|e| format!("template parsing error: {e}"))?;
    let mut body = String::new();
    for row in rows {
        let line = template
            .execute(row)
            // docker/cli's contextFormat wraps execution errors as parse
            // errors too.
            .map_err(|e| format!("template parsing error: {e}"))?;
        body.push_str(&line);
        body.push('\n');
    }
    if !is_table {
        return Ok(body);
    }
    // docker ignores header errors and keeps what was rendered before
    // the failing action (a `.Label "x"` column has no header).
    let (header_text, _) = template.execute_header_partial(header);
    let mut writer = TabWriter::docker();
    writer.write(&header_text);
    writer.write("\n");
    writer.write(&body);
    Ok(writer.finish())
}

const DEFAULT_CONTAINER_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
const QUIET_FORMAT: &str = "{{.ID}}";

/// `docker ps`'s format for `--format`, `-q` and `-s` (NewContainerFormat).
pub fn container_format(source: &str, quiet: bool, size: bool) -> String {
    match source {
        "" | TABLE_PREFIX => {
            if quiet {
                return QUIET_FORMAT.into();
            }
            let mut format = DEFAULT_CONTAINER_TABLE.to_string();
            if size {
                format.push_str("\\t{{.Size}}");
            }
            format
        }
        "raw" => {
            if quiet {
                return "container_id: {{.ID}}".into();
            }
            let mut format = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n".to_string();
            if size {
                format.push_str("size: {{.Size}}\\n");
            }
            format
        }
        custom => {
            if quiet {
                QUIET_FORMAT.into()
            } else {
                custom.into()
            }
        }
    }
}

const DEFAULT_IMAGE_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
const DEFAULT_IMAGE_TABLE_DIGEST: &str = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";

/// `docker images`'s format for `--format`, `-q` and `--digests`
/// (NewImageFormat). The command passes `table` when no format is set.
pub fn image_format(source: &str, quiet: bool, digest: bool) -> String {
    match source {
        TABLE_PREFIX => match (quiet, digest) {
            (true, _) => QUIET_FORMAT.into(),
            (false, true) => DEFAULT_IMAGE_TABLE_DIGEST.into(),
            (false, false) => DEFAULT_IMAGE_TABLE.into(),
        },
        "raw" => match (quiet, digest) {
            (true, _) => "image_id: {{.ID}}".into(),
            (false, true) => "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n".into(),
            (false, false) => "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n".into(),
        },
        custom => {
            let mut format = custom.to_string();
            if format.starts_with(TABLE_PREFIX) && digest && !format.contains("{{.Digest}}") {
                format.push_str("\t{{.Digest}}");
            }
            format
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header() -> Value {
        Value::Data(
            json!({"ID": "CONTAINER ID", "Names": "NAMES", "Image": "IMAGE", "Status": "STATUS"}),
        )
    }

    fn rows() -> Vec<Value> {
        vec![
            Value::Data(
                json!({"ID": "4f66ad9a0b2e", "Names": "web", "Image": "busybox", "Status": "Up 3 seconds"}),
            ),
            Value::Data(
                json!({"ID": "1a2b3c4d5e6f", "Names": "database-server", "Image": "postgres:16", "Status": "Exited (0) 5 seconds ago"}),
            ),
        ]
    }

    #[test]
    fn format_resolution() {
        assert_eq!(
            resolve_format("table {{.ID}}\\t{{.Names}}"),
            ("{{.ID}}\t{{.Names}}".into(), true)
        );
        assert_eq!(resolve_format("json"), ("{{json .}}".into(), false));
        assert_eq!(resolve_format("  {{.ID}}\\n "), ("{{.ID}}\n".into(), false));
        assert_eq!(resolve_format("table"), (String::new(), true));
    }

    #[test]
    fn tables_have_headers_and_align() {
        let out = render(
            "table {{.ID}}\\t{{.Image}}\\t{{.Status}}\\t{{.Names}}",
            &header(),
            &rows(),
        )
        .unwrap();
        assert_eq!(
            out,
            "CONTAINER ID   IMAGE         STATUS                     NAMES\n\
             4f66ad9a0b2e   busybox       Up 3 seconds               web\n\
             1a2b3c4d5e6f   postgres:16   Exited (0) 5 seconds ago   database-server\n"
        );
    }

    #[test]
    fn header_functions_leave_titles_alone() {
        let out = render(
            "table {{.Names | upper}}\\t{{lower .Image}}",
            &header(),
            &rows()[..1],
        )
        .unwrap();
        assert_eq!(out, "NAMES     IMAGE\nWEB       busybox\n");
    }

    #[test]
    fn header_stops_at_a_failing_action() {
        // A method with an argument cannot run on the header map.
        let rows = vec![Value::Data(json!({"ID": "4f66ad9a0b2e"}))];
        let out = render("table {{.ID}}\\t{{.ID | printf \"%s\"}}", &header(), &rows).unwrap();
        assert_eq!(
            out,
            "CONTAINER ID   CONTAINER ID\n4f66ad9a0b2e   4f66ad9a0b2e\n"
        );
        let out = render("table {{.ID}}\\t{{.Names \"x\"}}", &header(), &[]).unwrap();
        assert_eq!(out, "CONTAINER ID   \n");
    }

    #[test]
    fn plain_formats_print_one_line_per_row() {
        assert_eq!(
            render("{{.ID}}", &header(), &rows()).unwrap(),
            "4f66ad9a0b2e\n1a2b3c4d5e6f\n"
        );
        assert_eq!(render("{{.ID}}", &header(), &[]).unwrap(), "");
        assert_eq!(
            render("json", &header(), &rows()[..1]).unwrap(),
            "{\"ID\":\"4f66ad9a0b2e\",\"Image\":\"busybox\",\"Names\":\"web\",\"Status\":\"Up 3 seconds\"}\n"
        );
        // An empty table still has its header.
        assert_eq!(
            render("table {{.ID}}", &header(), &[]).unwrap(),
            "CONTAINER ID\n"
        );
    }

    #[test]
    fn errors_carry_docker_prefix() {
        assert_eq!(
            render("{{.ID}", &header(), &rows()).unwrap_err(),
            "template parsing error: template: :1: bad character U+007D '}'"
        );
    }

    #[test]
    fn default_formats() {
        assert_eq!(container_format("", false, false), DEFAULT_CONTAINER_TABLE);
        assert_eq!(container_format("table", true, false), "{{.ID}}");
        assert!(container_format("", false, true).ends_with("\\t{{.Size}}"));
        assert_eq!(container_format("{{.Names}}", true, false), "{{.ID}}");
        assert_eq!(
            image_format("table", false, true),
            DEFAULT_IMAGE_TABLE_DIGEST
        );
        assert_eq!(
            image_format("table {{.ID}}", false, true),
            "table {{.ID}}\t{{.Digest}}"
        );
        assert_eq!(image_format("{{.ID}}", false, true), "{{.ID}}");
    }
}
