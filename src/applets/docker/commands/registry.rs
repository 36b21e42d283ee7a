//! `docker pull` and `docker push`: one progress stream each, drawn as
//! the Go CLI draws it (bars in place on a terminal, plain lines off one).

use super::containers::path_escape;
use super::{Session, print, stdout_is_terminal};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::queries::encode_query;
use crate::gofmt::reference::{DEFAULT_TAG, Named};
use crate::http::Headers;

fn parse_reference(text: &str) -> Result<Named, Failure> {
    Named::parse_normalized(text).map_err(|e| Failure::new(1, e.to_string()))
}

/// Shows a progress stream on stdout, or swallows it with `-q` (an error
/// in it still fails the command).
fn show(body: &mut impl std::io::Read, quiet: bool) -> Result<(), Failure> {
    if quiet {
        return super::progress::display_with(body, &mut std::io::sink(), false);
    }
    let mut stdout = std::io::stdout().lock();
    super::progress::display_with(body, &mut stdout, stdout_is_terminal())
}

pub fn pull(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    if parsed.is_true("all-tags") {
        return Err(Failure::new(
            1,
            "docker pull --all-tags is not supported by dockbox yet",
        ));
    }
    let mut named = parse_reference(&parsed.args[0])?;
    let quiet = parsed.is_true("quiet");
    if named.tag().is_none() && named.digest().is_none() {
        named = named
            .with_tag(DEFAULT_TAG)
            .map_err(|e| Failure::new(1, e.to_string()))?;
        if !quiet {
            print(&format!("Using default tag: {DEFAULT_TAG}\n"));
        }
    }
    let tag = named
        .digest()
        .or(named.tag())
        .unwrap_or(DEFAULT_TAG)
        .to_string();
    let mut params = vec![("fromImage", named.name()), ("tag", tag)];
    if let Some(platform) = parsed.value("platform").filter(|p| !p.is_empty()) {
        params.push(("platform", platform.to_string()));
    }
    let query = encode_query(&mut params);
    let mut headers = Headers::new();
    headers.set("X-Registry-Auth", session.registry_auth(named.domain())?);
    let mut response =
        session
            .client
            .stream("POST", &format!("/images/create?{query}"), &headers, None)?;
    show(&mut response.body, quiet)?;
    // The Go CLI ends with the reference in full.
    print(&format!("{named}\n"));
    Ok(())
}

pub fn push(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let named = parse_reference(&parsed.args[0])?;
    let all_tags = parsed.is_true("all-tags");
    if all_tags && named.tag().is_some() {
        return Err(Failure::new(1, "tag can't be used with --all-tags/-a"));
    }
    let tag = match named.tag() {
        Some(tag) => tag.to_string(),
        None if all_tags => String::new(),
        None => {
            print(&format!("Using default tag: {DEFAULT_TAG}\n"));
            DEFAULT_TAG.to_string()
        }
    };
    let mut params = vec![("tag", tag)];
    let query = encode_query(&mut params);
    let mut headers = Headers::new();
    headers.set("X-Registry-Auth", session.registry_auth(named.domain())?);
    let escaped: Vec<String> = named.name().split('/').map(path_escape).collect();
    let path = format!("/images/{}/push?{query}", escaped.join("/"));
    let mut response = session.client.stream("POST", &path, &headers, None)?;
    show(&mut response.body, parsed.is_true("quiet"))
}
