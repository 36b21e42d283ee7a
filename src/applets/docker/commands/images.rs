//! The image commands: `images`, `rmi`, `tag`, `load`, `save`, `import`,
//! `history` and `image prune`.

use super::containers::path_escape;
use super::{Session, confirm, print, stdin_is_terminal, stdout_is_terminal};
use crate::api::image::{DeleteItem, HistoryItem, ImagePruneReport};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error};
use crate::applets::docker::format::{
    IMAGE_HEADER, ImageRow, Zone, ellipsis, image_format, image_rows, render, running_for,
    truncate_id,
};
use crate::applets::docker::queries::{encode_query, image_prune_query, images_query};
use crate::applets::docker::template::Value;
use crate::gofmt::reference::{DEFAULT_TAG, Named};
use crate::gofmt::size::human_size_with_precision;
use crate::http::Headers;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// Go's `os.Open` error text: `open PATH: no such file or directory`.
fn open_error(path: &str, error: &std::io::Error) -> Failure {
    Failure::new(
        1,
        format!(
            "open {path}: {}",
            crate::applets::docker::parse::kv::go_errno_text(error)
        ),
    )
}

pub fn list(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let query = images_query(parsed).map_err(|e| Failure::new(1, e))?;
    let list = session
        .client
        .get_json(&with_query("/images/json", &query))?;
    let source = match parsed.value("format").unwrap_or_default() {
        "" => "table",
        format => format,
    };
    let digests = parsed.is_true("digests");
    let format = image_format(source, parsed.is_true("quiet"), digests);
    let (now, zone) = (session.now(), session.zone());
    let truncate = !parsed.is_true("no-trunc");
    let mut rows = Vec::new();
    for summary in list.as_array().cloned().unwrap_or_default() {
        for (repository, tag, digest) in
            image_rows(&summary, digests, format.contains("{{.Digest}}"))
        {
            rows.push(Value::Object(Rc::new(ImageRow {
                summary: summary.clone(),
                repository,
                tag,
                digest,
                truncate,
                now,
                zone: zone.clone(),
            })));
        }
    }
    let out = render(&format, &Value::Object(Rc::new(IMAGE_HEADER)), &rows)
        .map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}

pub fn remove(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let mut params = Vec::new();
    if parsed.is_true("force") {
        params.push(("force", "1".to_string()));
    }
    if parsed.is_true("no-prune") {
        params.push(("noprune", "1".to_string()));
    }
    let query = encode_query(&mut params);
    let mut errors = Vec::new();
    let mut ignored = Vec::new();
    for name in &parsed.args {
        let path = with_query(&format!("/images/{}", path_escape(name)), &query);
        let reply = session.client.send("DELETE", &path, &Headers::new(), &[])?;
        if reply.status == 404 && parsed.is_true("force") {
            ignored.push(daemon_error(&reply).message);
            continue;
        }
        if reply.status >= 400 {
            errors.push(daemon_error(&reply).message);
            continue;
        }
        let mut out = String::new();
        for item in reply.decode::<Vec<DeleteItem>>()? {
            match item {
                DeleteItem::Untagged(untagged) => out.push_str(&format!("Untagged: {untagged}\n")),
                DeleteItem::Deleted(deleted) => out.push_str(&format!("Deleted: {deleted}\n")),
            }
        }
        print(&out);
    }
    super::containers::finish(errors, ignored)
}

fn reference_error(text: &str, error: String) -> Failure {
    Failure::new(
        1,
        format!("Error parsing reference: {text:?} is not a valid repository/tag: {error}"),
    )
}

pub fn tag(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let (source, target) = (&parsed.args[0], &parsed.args[1]);
    if source.is_empty() || source.contains(char::is_whitespace) {
        return Err(reference_error(source, "invalid reference format".into()));
    }
    let named =
        Named::parse_normalized(target).map_err(|e| reference_error(target, e.to_string()))?;
    if named.digest().is_some() {
        return Err(Failure::new(
            1,
            "refusing to create a tag with a digest reference",
        ));
    }
    let mut params = vec![
        ("repo", named.name()),
        ("tag", named.tag().unwrap_or(DEFAULT_TAG).to_string()),
    ];
    let query = encode_query(&mut params);
    session.client.call(
        "POST",
        &format!("/images/{}/tag?{query}", path_escape(source)),
        &[],
    )?;
    Ok(())
}

pub fn load(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let input = parsed.value("input").unwrap_or_default().to_string();
    let mut source: Box<dyn Read> = if input.is_empty() {
        if stdin_is_terminal() {
            return Err(Failure::new(
                1,
                "requested load from stdin, but stdin is empty",
            ));
        }
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&input).map_err(|e| open_error(&input, &e))?)
    };
    let terminal = stdout_is_terminal();
    let quiet = parsed.is_true("quiet") || !terminal;
    let mut params = Vec::new();
    if quiet {
        params.push(("quiet", "1".to_string()));
    }
    if let Some(platform) = parsed.value("platform").filter(|p| !p.is_empty()) {
        params.push(("platforms", platform_list(platform)));
    }
    let query = encode_query(&mut params);
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/x-tar");
    let mut response = session.client.stream(
        "POST",
        &with_query("/images/load", &query),
        &headers,
        Some(&mut source),
    )?;
    let is_json = response
        .headers
        .get("Content-Type")
        .is_some_and(|t| t.starts_with("application/json"));
    let mut stdout = std::io::stdout().lock();
    if is_json {
        super::progress::display_with(&mut response.body, &mut stdout, terminal)
    } else {
        std::io::copy(&mut response.body, &mut stdout)
            .map(|_| ())
            .map_err(|e| Failure::new(1, format!("error reading daemon response: {e}")))
    }
}

pub fn save(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let output = parsed.value("output").unwrap_or_default().to_string();
    if output.is_empty() && stdout_is_terminal() {
        return Err(Failure::new(
            1,
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        ));
    }
    check_output_path(&output, "failed to save image")?;
    let mut params: Vec<(&str, String)> = Vec::new();
    let names: Vec<String> = parsed
        .args
        .iter()
        .map(|n| format!("names={}", crate::applets::docker::queries::query_escape(n)))
        .collect();
    if let Some(platform) = parsed.value("platform").filter(|p| !p.is_empty()) {
        params.push(("platform", platform_list(platform)));
    }
    let mut query = names.join("&");
    let extra = encode_query(&mut params);
    if !extra.is_empty() {
        query = format!("{extra}&{query}");
    }
    let mut response = session.client.stream(
        "GET",
        &format!("/images/get?{query}"),
        &Headers::new(),
        None,
    )?;
    copy_to_output(&mut response.body, &output)
        .map_err(|e| Failure::new(1, format!("failed to save image: {e}")))
}

/// The CLI's ValidateOutputPath: the directory `-o` names must exist;
/// `context` goes before the message (`failed to save image`).
pub fn check_output_path(output: &str, context: &str) -> Result<(), Failure> {
    if output.is_empty() {
        return Ok(());
    }
    let path = std::path::Path::new(output);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let invalid = |why: String| Failure::new(1, format!("{context}: invalid output path: {why}"));
    match std::fs::metadata(dir) {
        Err(e) => Err(invalid(format!(
            "stat {}: {}",
            dir.display(),
            crate::applets::docker::parse::kv::go_errno_text(&e)
        ))),
        Ok(meta) if !meta.is_dir() => Err(invalid(format!(
            "{:?} must be a directory",
            dir.display().to_string()
        ))),
        Ok(_) => Ok(()),
    }
}

/// Copies a tar answer to stdout (`output` empty) or to the file
/// `output`, written beside it and renamed into place, so a failure never
/// leaves a truncated archive under the asked name.
pub fn copy_to_output(body: &mut dyn Read, output: &str) -> std::io::Result<()> {
    if output.is_empty() {
        let mut stdout = std::io::stdout().lock();
        std::io::copy(body, &mut stdout)?;
        return stdout.flush();
    }
    let target = std::path::Path::new(output);
    let temp = target.with_file_name(format!(
        ".{}.dockbox-save-{}",
        target.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        std::io::copy(body, &mut file)?;
        file.sync_all()?;
        std::fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

pub fn import(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.args.len() > 2 {
        return Err(Failure::new(
            1,
            format!(
                "docker: 'docker import' requires at least 1 and at most 2 arguments\n\nUsage:  {}\n\nSee 'docker import --help' for more information",
                parsed.command.usage
            ),
        ));
    }
    let source = parsed.args[0].clone();
    let repository = parsed.args.get(1).cloned().unwrap_or_default();
    if !repository.is_empty() {
        Named::parse_normalized(&repository).map_err(|e| Failure::new(1, e.to_string()))?;
    }
    let is_url = source.starts_with("http://") || source.starts_with("https://");
    let mut body: Option<Box<dyn Read>> = None;
    let from = if is_url {
        source.clone()
    } else if source == "-" {
        body = Some(Box::new(std::io::stdin().lock()));
        "-".to_string()
    } else {
        let file = std::fs::File::open(&source).map_err(|e| open_error(&source, &e))?;
        body = Some(Box::new(file));
        "-".to_string()
    };
    let mut params = vec![
        ("fromSrc", from),
        ("repo", repository),
        ("tag", String::new()),
        (
            "message",
            parsed.value("message").unwrap_or_default().to_string(),
        ),
    ];
    for change in parsed.values("change") {
        params.push(("changes", change.to_string()));
    }
    if let Some(platform) = parsed.value("platform").filter(|p| !p.is_empty()) {
        params.push(("platform", platform.to_string()));
    }
    let query = encode_query(&mut params);
    let path = format!("/images/create?{query}");
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/x-tar");
    let mut response = match body.as_mut() {
        Some(body) => {
            session
                .client
                .stream("POST", &path, &headers, Some(body as &mut dyn Read))?
        }
        None => session.client.stream("POST", &path, &headers, None)?,
    };
    let mut stdout = std::io::stdout().lock();
    super::progress::display_with(&mut response.body, &mut stdout, stdout_is_terminal())
}

/// RFC 3339 in `zone`, as Go's `time.Format(time.RFC3339)`.
fn rfc3339(seconds: i64, zone: &Zone) -> String {
    crate::gofmt::time::UnixTime::from_seconds(seconds).rfc3339(zone.offset)
}

pub fn history(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let name = &parsed.args[0];
    let items: Vec<HistoryItem> = session
        .client
        .get(&format!("/images/{}/history", path_escape(name)))?;
    let human = parsed.value("human") != Some("false");
    let truncate = !parsed.is_true("no-trunc");
    let source = match parsed.value("format").unwrap_or_default() {
        "" => "table",
        format => format,
    };
    let format = match source {
        "table" if parsed.is_true("quiet") => "{{.ID}}",
        "table" if !human => {
            "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
        }
        "table" => "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        custom => custom,
    };
    let (now, zone) = (session.now(), session.zone());
    let rows: Vec<Value> = items
        .into_iter()
        .map(|item| {
            let id = item.id.as_str();
            let created = item.created;
            let size = item.size;
            let created_by = item.created_by.replace('\t', " ");
            let created_at = rfc3339(created, &zone);
            let since = if !human {
                created_at.clone()
            } else if created <= 946_684_800 {
                String::new()
            } else {
                running_for(UNIX_EPOCH + Duration::from_secs(created as u64), now)
            };
            HistoryRow {
                id: if truncate { truncate_id(id) } else { id }.to_string(),
                created_at,
                created_since: since,
                created_by: if truncate {
                    ellipsis(&created_by, 45)
                } else {
                    created_by
                },
                size: if human {
                    human_size_with_precision(size as f64, 3)
                } else {
                    size.to_string()
                },
                comment: item.comment.clone(),
            }
            .value()
        })
        .collect();
    let header = HistoryRow {
        id: "IMAGE".into(),
        created_since: "CREATED".into(),
        created_at: "CREATED AT".into(),
        created_by: "CREATED BY".into(),
        size: "SIZE".into(),
        comment: "COMMENT".into(),
    }
    .value();
    let out = render(format, &header, &rows).map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}

pub fn prune(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    image_prune_query(parsed).map_err(|e| Failure::new(1, e))?;
    let warning = if parsed.is_true("all") {
        "WARNING! This will remove all images without at least one container associated to them."
    } else {
        "WARNING! This will remove all dangling images."
    };
    if !parsed.is_true("force") && !confirm(warning) {
        return Ok(());
    }
    let (space, output) = prune_unused(session, parsed)?;
    super::prune::print_report(space, &output);
    Ok(())
}

/// `POST /images/prune` with the `--filter` values of `parsed` (dangling
/// images only unless `--all`), and what the CLI prints of its report:
/// the space reclaimed and the list of untagged and deleted images
/// (empty when none).
pub fn prune_unused(session: &mut Session, parsed: &Parsed) -> Result<(u64, String), Failure> {
    let query = image_prune_query(parsed).map_err(|e| Failure::new(1, e))?;
    let report: ImagePruneReport = session
        .client
        .call("POST", &with_query("/images/prune", &query), &[])?
        .decode()?;
    let deleted = report.images_deleted.unwrap_or_default();
    if deleted.is_empty() {
        return Ok((0, String::new()));
    }
    let mut output = String::from("Deleted Images:\n");
    for item in &deleted {
        // The CLI prints one line per item.
        match item {
            DeleteItem::Untagged(untagged) if !untagged.is_empty() => {
                output.push_str(&format!("untagged: {untagged}\n"))
            }
            DeleteItem::Untagged(_) => output.push_str("deleted: \n"),
            DeleteItem::Deleted(deleted) => output.push_str(&format!("deleted: {deleted}\n")),
        }
    }
    Ok((report.space_reclaimed, output))
}

/// A `docker history` row as its templates see it (and its header).
#[derive(serde::Serialize)]
struct HistoryRow {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "CreatedAt")]
    created_at: String,
    #[serde(rename = "CreatedSince")]
    created_since: String,
    #[serde(rename = "CreatedBy")]
    created_by: String,
    #[serde(rename = "Size")]
    size: String,
    #[serde(rename = "Comment")]
    comment: String,
}

impl HistoryRow {
    fn value(&self) -> Value {
        Value::Data(serde_json::to_value(self).expect("strings encode"))
    }
}

/// `--platform` as the one-element JSON list the API takes.
fn platform_list(platform: &str) -> String {
    serde_json::to_string(&[platform]).expect("strings encode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_in_zones() {
        assert_eq!(rfc3339(1_767_225_600, &Zone::utc()), "2026-01-01T00:00:00Z");
        let zone = Zone {
            offset: -5 * 3600 - 1800,
            name: "X".into(),
        };
        assert_eq!(rfc3339(1_767_225_600, &zone), "2025-12-31T18:30:00-05:30");
    }
}
