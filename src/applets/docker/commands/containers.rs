//! The container commands the daemon serves without a running process:
//! `ps`, `create`, `rm`, `rename`, `container prune` and `inspect`.

use super::{Session, confirm, joined, print};
use crate::api::container::{CreateResponse, PruneReport};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, Reply, daemon_error};
use crate::applets::docker::format::{
    CONTAINER_HEADER, ContainerRow, container_format, inspect_format, render, render_inspect,
};
use crate::applets::docker::queries::{container_prune_query, ps_query, query_escape};
use crate::applets::docker::request::{ClientContext, create_request};
use crate::applets::docker::template::Value;
use crate::gofmt::reference::Named;
use crate::http::Headers;
use serde_json::Value as Json;
use std::rc::Rc;

/// Go's `url.PathEscape` for one path segment.
pub fn path_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The end of a command over several objects: failures make exit status
/// 1; errors `-f` forgives are printed all the same.
pub fn finish(errors: Vec<String>, ignored: Vec<String>) -> Result<(), Failure> {
    if errors.is_empty() {
        if !ignored.is_empty() {
            eprintln!("{}", ignored.join("\n"));
        }
        return Ok(());
    }
    let mut all = ignored;
    all.extend(errors);
    Err(joined(&all))
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

pub fn ps(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let source = parsed.value("format").unwrap_or_default();
    if !source.is_empty() {
        if parsed.is_true("quiet") {
            eprintln!(
                "WARNING: Ignoring custom format, because both --format and --quiet are set."
            );
        }
        check_ps_format(source)?;
    }
    let query = ps_query(parsed).map_err(|e| Failure::new(1, e))?;
    let list = session
        .client
        .get_json(&with_query("/containers/json", &query))?;
    let format = container_format(source, parsed.is_true("quiet"), parsed.is_true("size"));
    let (now, zone) = (session.now(), session.zone());
    let truncate = !parsed.is_true("no-trunc");
    let rows: Vec<Value> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|summary| {
            Value::Object(Rc::new(ContainerRow {
                summary,
                truncate,
                now,
                zone: zone.clone(),
            }))
        })
        .collect();
    let out = render(&format, &Value::Object(Rc::new(CONTAINER_HEADER)), &rows)
        .map_err(|e| Failure::new(1, e))?;
    print(&out);
    Ok(())
}

/// The CLI runs a `--format` once over an empty row before listing (to
/// see whether it reads `.Size`), so a bad template fails even with no
/// containers.
fn check_ps_format(format: &str) -> Result<(), Failure> {
    let template = crate::applets::docker::template::Template::parse(format)
        .map_err(|e| Failure::new(1, format!("failed to parse template: {e}")))?;
    let empty = ContainerRow {
        summary: Json::Object(Default::default()),
        truncate: true,
        now: std::time::SystemTime::UNIX_EPOCH,
        zone: crate::applets::docker::format::Zone::utc(),
    };
    template
        .execute(&Value::Object(Rc::new(empty)))
        .map(|_| ())
        .map_err(|e| Failure::new(1, format!("failed to execute template: {e}")))
}

pub fn create(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let id = create_container(session, parsed, "create")?;
    print(&format!("{id}\n"));
    Ok(())
}

/// The create step of `docker create` and `docker run` (`command`): the
/// request from the flags, a pull when the image is missing (or always
/// with `--pull always`), and the daemon's warnings on stderr. Returns the
/// new container's ID. Flag errors come with the command's help line and
/// exit status 125; the others are the plain message with status 1.
pub fn create_container(
    session: &mut Session,
    parsed: &Parsed,
    command: &str,
) -> Result<String, Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
    let lookup = |name: &str| std::env::var(name).ok();
    let context = ClientContext {
        lookup_env: &lookup,
        cwd: &cwd,
    };
    let with_help = |e: String| {
        Failure::new(
            125,
            format!("docker: {e}\n\nRun 'docker {command} --help' for more information"),
        )
    };
    let request = create_request(parsed, command == "run", &context).map_err(with_help)?;
    let mut cid_file = CidFile::create(parsed.value("cidfile").unwrap_or_default())?;
    let image = parsed.args.first().cloned().unwrap_or_default();
    // Tagged `latest` when the image names neither tag nor digest.
    let named = Named::parse_with_default_tag(&image).map_err(|e| with_help(e.to_string()))?;
    let mut params = Vec::new();
    if let Some(name) = &request.name {
        params.push(("name", name.clone()));
    }
    if let Some(platform) = &request.platform {
        params.push(("platform", platform.clone()));
    }
    let query = crate::applets::docker::queries::encode_query(&mut params);
    let path = with_query("/containers/create", &query);
    let body = serde_json::to_vec(&request.body).expect("JSON encodes");
    if request.pull == "always" {
        pull(session, &named)?;
    }
    let mut reply = session.client.send("POST", &path, &Headers::new(), &body)?;
    if reply.status == 404 && request.pull == "missing" {
        eprintln!("Unable to find image '{}' locally", named.familiar());
        pull(session, &named)?;
        reply = session.client.send("POST", &path, &Headers::new(), &body)?;
    }
    if reply.status >= 400 {
        return Err(daemon_error(&reply));
    }
    let created: CreateResponse = reply.decode()?;
    for warning in &created.warnings {
        eprintln!("WARNING: {warning}");
    }
    cid_file.write(&created.id)?;
    Ok(created.id)
}

/// An OS error as Go prints it (`no such file or directory`), which the
/// CLI's exit statuses are read from.
fn go_error_text(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(errno) => nix::errno::Errno::from_raw(errno).desc().to_lowercase(),
        None => error.to_string(),
    }
}

/// `--cidfile`: made before the container (an existing file is an
/// error), given the ID once it exists, and removed when the create fails.
struct CidFile {
    path: String,
    file: Option<std::fs::File>,
    written: bool,
}

impl CidFile {
    fn create(path: &str) -> Result<CidFile, Failure> {
        let mut cid = CidFile {
            path: path.to_string(),
            file: None,
            written: false,
        };
        if path.is_empty() {
            return Ok(cid);
        }
        if std::fs::metadata(path).is_ok() {
            return Err(Failure::new(
                1,
                format!(
                    "container ID file found, make sure the other container isn't running or delete {path}"
                ),
            ));
        }
        let file = std::fs::File::create(path).map_err(|e| {
            Failure::new(
                1,
                format!(
                    "failed to create the container ID file: open {path}: {}",
                    go_error_text(&e)
                ),
            )
        })?;
        cid.file = Some(file);
        Ok(cid)
    }

    fn write(&mut self, id: &str) -> Result<(), Failure> {
        use std::io::Write;
        if let Some(file) = self.file.as_mut() {
            file.write_all(id.as_bytes()).map_err(|e| {
                Failure::new(
                    1,
                    format!(
                        "failed to write the container ID to the file: {}",
                        go_error_text(&e)
                    ),
                )
            })?;
            self.written = true;
        }
        Ok(())
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if self.file.take().is_some() && !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `POST /images/create?fromImage=...`, its progress on stderr.
fn pull(session: &mut Session, named: &Named) -> Result<(), Failure> {
    let mut params = vec![("fromImage", named.name())];
    params.push((
        "tag",
        named
            .digest()
            .or(named.tag())
            .unwrap_or(crate::gofmt::reference::DEFAULT_TAG)
            .to_string(),
    ));
    let query = crate::applets::docker::queries::encode_query(&mut params);
    let mut headers = Headers::new();
    headers.set("X-Registry-Auth", session.registry_auth(named.domain())?);
    let mut response =
        session
            .client
            .stream("POST", &format!("/images/create?{query}"), &headers, None)?;
    super::progress::display(&mut response.body, &mut std::io::stderr())
}

pub fn remove(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let mut params = Vec::new();
    for (flag, key) in [("force", "force"), ("link", "link"), ("volumes", "v")] {
        if parsed.is_true(flag) {
            params.push((key, "1".to_string()));
        }
    }
    let query = crate::applets::docker::queries::encode_query(&mut params);
    let mut errors = Vec::new();
    let mut ignored = Vec::new();
    for name in &parsed.args {
        if name.trim_matches('/').is_empty() {
            errors.push("Error: container name cannot be empty".to_string());
            continue;
        }
        let path = with_query(&format!("/containers/{}", path_escape(name)), &query);
        let reply = session.client.send("DELETE", &path, &Headers::new(), &[])?;
        if reply.status < 400 {
            print(&format!("{name}\n"));
        } else if parsed.is_true("force") && reply.status == 404 {
            // Reported, but with -f a missing container is no failure.
            ignored.push(daemon_error(&reply).message);
        } else {
            errors.push(daemon_error(&reply).message);
        }
    }
    finish(errors, ignored)
}

pub fn rename(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let (old, new) = (parsed.args[0].trim(), parsed.args[1].trim());
    if old.is_empty() || new.is_empty() {
        return Err(Failure::new(
            1,
            "Error: neither old nor new names may be empty",
        ));
    }
    let path = format!(
        "/containers/{}/rename?name={}",
        path_escape(old),
        query_escape(new)
    );
    let reply = session.client.send("POST", &path, &Headers::new(), &[])?;
    if reply.status >= 400 {
        return Err(Failure::new(
            1,
            format!(
                "{}\nError: failed to rename container named {old}",
                daemon_error(&reply).message
            ),
        ));
    }
    Ok(())
}

pub fn prune(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    container_prune_query(parsed).map_err(|e| Failure::new(1, e))?;
    if !parsed.is_true("force") && !confirm("WARNING! This will remove all stopped containers.") {
        return Ok(());
    }
    let (space, output) = prune_stopped(session, parsed)?;
    super::prune::print_report(space, &output);
    Ok(())
}

/// `POST /containers/prune` with the `--filter` values of `parsed`, and
/// what the CLI prints of its report: the space reclaimed and the list of
/// deleted containers (empty when none).
pub fn prune_stopped(session: &mut Session, parsed: &Parsed) -> Result<(u64, String), Failure> {
    let query = container_prune_query(parsed).map_err(|e| Failure::new(1, e))?;
    let report: PruneReport = session
        .client
        .call("POST", &with_query("/containers/prune", &query), &[])?
        .decode()?;
    let deleted = report.containers_deleted.unwrap_or_default();
    if deleted.is_empty() {
        return Ok((0, String::new()));
    }
    let mut output = String::from("Deleted Containers:\n");
    for id in deleted {
        output.push_str(&id);
        output.push('\n');
    }
    Ok((report.space_reclaimed, output))
}

const OBJECT_TYPES: &[&str] = &[
    "config",
    "container",
    "image",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "task",
    "volume",
];

/// The inspect request of one object type.
fn inspect_path(kind: &str, name: &str, size: bool) -> Option<String> {
    let name = path_escape(name);
    Some(match kind {
        "container" if size => format!("/containers/{name}/json?size=1"),
        "container" => format!("/containers/{name}/json"),
        "image" => format!("/images/{name}/json"),
        "network" => format!("/networks/{name}"),
        "volume" => format!("/volumes/{name}"),
        "plugin" => format!("/plugins/{name}/json"),
        "config" => format!("/configs/{name}"),
        "node" => format!("/nodes/{name}"),
        "secret" => format!("/secrets/{name}"),
        "service" => format!("/services/{name}"),
        "task" => format!("/tasks/{name}"),
        _ => return None,
    })
}

/// `docker inspect`, and `container inspect`/`image inspect` through
/// `kind`.
pub fn inspect(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let kind = match parsed.command.name {
        "container inspect" => "container".to_string(),
        "image inspect" => "image".to_string(),
        _ => parsed.value("type").unwrap_or_default().to_string(),
    };
    if !kind.is_empty() && !OBJECT_TYPES.contains(&kind.as_str()) {
        let list: Vec<String> = OBJECT_TYPES.iter().map(|t| format!("{t:?}")).collect();
        return Err(Failure::new(
            1,
            format!("unknown type: {kind:?}: must be one of {}", list.join(", ")),
        ));
    }
    let size = parsed.is_true("size");
    inspect_each(session, parsed, |session, name| {
        inspect_one(session, &kind, name, size)
    })
}

/// The inspect commands' common shape: each named object fetched in
/// turn (`Ok(body)` or the daemon's message), those found rendered
/// together in `--format`, then every error joined with exit status 1.
pub fn inspect_each(
    session: &mut Session,
    parsed: &Parsed,
    mut fetch: impl FnMut(&mut Session, &str) -> Result<Result<Vec<u8>, String>, Failure>,
) -> Result<(), Failure> {
    let format = inspect_format(parsed.value("format").unwrap_or_default())
        .map_err(|(code, message)| Failure::new(code, message))?;
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut errors = Vec::new();
    for name in &parsed.args {
        match fetch(session, name)? {
            Ok(body) => found.push(body),
            Err(message) => errors.push(message),
        }
    }
    let raws: Vec<&[u8]> = found.iter().map(Vec::as_slice).collect();
    let (out, render_errors) = render_inspect(&format, &raws);
    print(&out);
    errors.extend(render_errors);
    finish(errors, Vec::new())
}

/// One object's JSON from `GET path`, or the daemon's error message.
pub fn fetch_object(session: &mut Session, path: &str) -> Result<Result<Vec<u8>, String>, Failure> {
    let reply = session.client.send("GET", path, &Headers::new(), &[])?;
    Ok(answer(reply))
}

/// One object: its JSON, or the message for stderr. A failed connection
/// ends the whole command.
fn inspect_one(
    session: &mut Session,
    kind: &str,
    name: &str,
    size: bool,
) -> Result<Result<Vec<u8>, String>, Failure> {
    if !kind.is_empty() {
        let path = inspect_path(kind, name, size).expect("type checked above");
        let reply = session.client.send("GET", &path, &Headers::new(), &[])?;
        return Ok(answer(reply));
    }
    for kind in ["container", "image", "network", "volume", "plugin"] {
        let path = inspect_path(kind, name, size).expect("known type");
        let reply = session.client.send("GET", &path, &Headers::new(), &[])?;
        if reply.status == 404 {
            continue;
        }
        return Ok(answer(reply));
    }
    Ok(Err(format!("Error: No such object: {name}")))
}

fn answer(reply: Reply) -> Result<Vec<u8>, String> {
    if reply.status >= 400 {
        Err(daemon_error(&reply).message)
    } else {
        Ok(reply.body)
    }
}
