//! `docker commit`, `docker diff` and `docker export`: a container's
//! filesystem as an image, as a list of changes, and as a tar.

use super::containers::path_escape;
use super::images::{check_output_path, copy_to_output};
use super::{Session, print, stdout_is_terminal};
use crate::api::container_view::FilesystemChange;
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::queries::encode_query;
use crate::gofmt::reference::Named;
use crate::http::Headers;

/// The `repo` and `tag` the CLI sends for `REPOSITORY[:TAG]`: the
/// familiar name and the tag, `latest` when none is given.
fn repo_and_tag(reference: &str) -> Result<(String, String), Failure> {
    if reference.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let named = Named::parse_normalized(reference).map_err(|e| Failure::new(1, e.to_string()))?;
    if named.digest().is_some() {
        return Err(Failure::new(
            1,
            "refusing to create a tag with a digest reference",
        ));
    }
    let tag = named.tag().unwrap_or("latest").to_string();
    Ok((named.familiar_name(), tag))
}

pub fn commit(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let container = &parsed.args[0];
    let (repo, tag) = repo_and_tag(parsed.args.get(1).map_or("", String::as_str))?;
    let text = |long: &str| parsed.value(long).unwrap_or_default().to_string();
    let mut params = vec![
        ("container", container.clone()),
        ("repo", repo),
        ("tag", tag),
        ("comment", text("message")),
        ("author", text("author")),
    ];
    for change in parsed.values("change") {
        params.push(("changes", change.to_string()));
    }
    if !parsed.is_true("pause") {
        params.push(("pause", "0".to_string()));
    }
    let query = encode_query(&mut params);
    let reply = session
        .client
        .call("POST", &format!("/commit?{query}"), &[])?;
    let answer: crate::api::exec::IdResponse = reply.decode()?;
    print(&format!("{}\n", answer.id));
    Ok(())
}

pub fn diff(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let path = format!("/containers/{}/changes", path_escape(&parsed.args[0]));
    let changes: Option<Vec<FilesystemChange>> = session.client.get(&path)?;
    let mut out = String::new();
    for change in changes.unwrap_or_default() {
        out.push_str(&change.line());
        out.push('\n');
    }
    print(&out);
    Ok(())
}

pub fn export(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let output = parsed.value("output").unwrap_or_default().to_string();
    if output.is_empty() && stdout_is_terminal() {
        return Err(Failure::new(
            1,
            "cowardly refusing to save to a terminal. Use the -o flag or redirect",
        ));
    }
    check_output_path(&output, "failed to export container")?;
    let path = format!("/containers/{}/export", path_escape(&parsed.args[0]));
    let mut response = session.client.stream("GET", &path, &Headers::new(), None)?;
    copy_to_output(&mut response.body, &output).map_err(|e| Failure::new(1, e.to_string()))
}
