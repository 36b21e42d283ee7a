//! `docker build` with the classic builder, as Docker CLI 28 does it
//! with `DOCKER_BUILDKIT=0`: the context (a directory filtered by its
//! `.dockerignore`, or a tar or a lone Dockerfile on stdin) is sent as a
//! tar to `POST /build` and the daemon's stream is printed as it comes.

use super::{Session, stdout_is_terminal};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::Failure;
use crate::applets::docker::queries::encode_query;
use crate::build::ignore::IgnoreMatcher;
use crate::http::Headers;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

fn fail(message: impl Into<String>) -> Failure {
    Failure::new(1, message)
}

/// A tar of `entries` (path in the tar, file on disk), directories
/// included, in the order given.
fn tar_context(
    root: &Path,
    entries: &[String],
    extra: &[(&str, &[u8])],
) -> Result<Vec<u8>, Failure> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    for name in entries {
        let path = root.join(name);
        builder
            .append_path_with_name(&path, name)
            .map_err(|e| fail(format!("error checking context: {e}")))?;
    }
    for &(name, bytes) in extra {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        );
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes)
            .map_err(|e| fail(e.to_string()))?;
    }
    builder.into_inner().map_err(|e| fail(e.to_string()))
}

/// The context paths `.dockerignore` leaves in, parents before children,
/// each directory's entries sorted as Go's walk sorts them.
fn context_entries(root: &Path, matcher: &IgnoreMatcher) -> Result<Vec<String>, Failure> {
    let mut found = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let read = std::fs::read_dir(root.join(&dir))
            .map_err(|e| fail(format!("error checking context: {e}")))?;
        let mut names: Vec<String> = read
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let meta = std::fs::symlink_metadata(root.join(&rel))
                .map_err(|e| fail(format!("error checking context: {e}")))?;
            let excluded = matcher.is_excluded(&rel);
            if meta.is_dir() {
                if !excluded {
                    found.push(rel.clone());
                }
                if !excluded || matcher.must_descend(&rel) {
                    subdirs.push(rel);
                }
            } else if !excluded {
                found.push(rel);
            }
        }
        // Depth first, in name order.
        pending.extend(subdirs.into_iter().rev());
    }
    // A directory walk lists a directory's entries right after it.
    found.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    Ok(found)
}

/// The context tar and the Dockerfile name to send.
fn context(parsed: &Parsed) -> Result<(Vec<u8>, String), Failure> {
    let source = parsed.args[0].as_str();
    let file = parsed.value("file").unwrap_or_default().to_string();
    if source == "-" {
        if file == "-" {
            return Err(fail(
                "invalid argument: can't use stdin for both build context and dockerfile",
            ));
        }
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| fail(e.to_string()))?;
        if is_archive(&input) {
            return Ok((input, file));
        }
        let tar = tar_context(Path::new("/"), &[], &[("Dockerfile", &input)])?;
        return Ok((tar, "Dockerfile".into()));
    }
    if source.starts_with("http://") || source.starts_with("https://") || source.starts_with("git@")
    {
        return Err(fail(
            "remote build contexts are not supported by dockbox's client",
        ));
    }
    let root = Path::new(source);
    let meta = std::fs::metadata(root).map_err(|_| {
        fail(format!(
            "unable to prepare context: path {source:?} not found"
        ))
    })?;
    if !meta.is_dir() {
        return Err(fail(format!(
            "unable to prepare context: context must be a directory: {source}"
        )));
    }
    let ignore = std::fs::read(root.join(".dockerignore")).unwrap_or_default();
    let mut matcher = IgnoreMatcher::parse(&ignore).map_err(fail)?;
    let (dockerfile, stdin_file) = if file == "-" {
        let mut input = Vec::new();
        std::io::stdin()
            .read_to_end(&mut input)
            .map_err(|e| fail(e.to_string()))?;
        (format!(".dockerfile.{}", random_suffix()), Some(input))
    } else if file.is_empty() {
        ("Dockerfile".to_string(), None)
    } else {
        let path = Path::new(&file);
        let relative = path
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf());
        (relative.to_string_lossy().into_owned(), None)
    };
    if stdin_file.is_none() && !root.join(&dockerfile).exists() {
        return Err(fail(format!(
            "unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {}: no such file or directory",
            std::fs::canonicalize(root)
                .unwrap_or_else(|_| root.to_path_buf())
                .join(&dockerfile)
                .display()
        )));
    }
    matcher.keep_build_files(&dockerfile).map_err(fail)?;
    let mut entries = context_entries(root, &matcher)?;
    let Some(input) = stdin_file else {
        return Ok((tar_context(root, &entries, &[])?, dockerfile));
    };
    // As the Go CLI: the Dockerfile goes in under a random name that a
    // rewritten .dockerignore leaves out of COPY.
    entries.retain(|entry| entry != ".dockerignore");
    let mut ignore_text = if ignore.is_empty() {
        Vec::new()
    } else {
        let mut text = ignore.clone();
        text.push(b'\n');
        text
    };
    ignore_text.extend_from_slice(format!(".dockerignore\n{dockerfile}\n").as_bytes());
    let extra: [(&str, &[u8]); 2] = [
        (dockerfile.as_str(), &input),
        (".dockerignore", &ignore_text),
    ];
    let mut tar = tar_context(root, &entries, &extra)?;
    // The Go CLI's rewritten stream stops right after the last entry's
    // data; its size is what "Sending build context" shows.
    let padding = (512 - ignore_text.len() % 512) % 512;
    tar.truncate(tar.len().saturating_sub(1024 + padding));
    Ok((tar, dockerfile))
}

/// 20 random hex digits, as the Go CLI names a Dockerfile from stdin.
fn random_suffix() -> String {
    let mut bytes = [0u8; 10];
    if let Ok(mut random) = std::fs::File::open("/dev/urandom") {
        let _ = random.read_exact(&mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_archive(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
        || bytes.starts_with(b"BZh")
        || bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || (bytes.len() >= 262 && &bytes[257..262] == b"ustar")
}

/// `--build-arg K=V`, or `K` alone for the client's own `K` (null when
/// it has none), as a JSON map.
fn build_args(parsed: &Parsed) -> String {
    let mut args: BTreeMap<String, Option<String>> = BTreeMap::new();
    for arg in parsed.values("build-arg") {
        match arg.split_once('=') {
            Some((key, value)) => args.insert(key.to_string(), Some(value.to_string())),
            None => args.insert(arg.to_string(), std::env::var(arg).ok()),
        };
    }
    serde_json::to_string(&args).unwrap_or_default()
}

fn labels(parsed: &Parsed) -> String {
    let labels: BTreeMap<&str, &str> = parsed
        .values("label")
        .into_iter()
        .map(|label| label.split_once('=').unwrap_or((label, "")))
        .collect();
    serde_json::to_string(&labels).unwrap_or_default()
}

/// Docker CLI 28's notice for the legacy builder (it has no BuildKit
/// client here, and neither has dockbox).
fn legacy_notice() -> &'static str {
    let disabled = std::env::var("DOCKER_BUILDKIT").is_ok_and(|value| {
        matches!(
            value.as_str(),
            "0" | "f" | "F" | "false" | "FALSE" | "False"
        )
    });
    if disabled {
        "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n            environment-variable.\n\n"
    } else {
        "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n\n"
    }
}

pub fn build(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    eprint!("{}", legacy_notice());
    let (tar, dockerfile) = context(parsed)?;
    let quiet = parsed.is_true("quiet");
    let mut params: Vec<(&str, String)> = Vec::new();
    for tag in parsed.values("tag") {
        crate::gofmt::reference::Named::parse_normalized(tag).map_err(|e| {
            fail(format!(
                "invalid argument \"{tag}\" for \"-t, --tag\" flag: {e}"
            ))
        })?;
        params.push(("t", tag.to_string()));
    }
    params.push(("dockerfile", dockerfile));
    params.push(("buildargs", build_args(parsed)));
    params.push(("labels", labels(parsed)));
    params.push(("rm", if parsed.is_true("rm") { "1" } else { "0" }.into()));
    let flag = |name: &str| if parsed.is_true(name) { "1" } else { "0" }.to_string();
    params.push(("forcerm", flag("force-rm")));
    params.push(("nocache", flag("no-cache")));
    params.push(("pull", flag("pull")));
    params.push(("q", flag("quiet")));
    if let Some(target) = parsed.value("target").filter(|t| !t.is_empty()) {
        params.push(("target", target.to_string()));
    }
    let network = parsed.value("network").unwrap_or("default");
    params.push(("networkmode", network.to_string()));
    let query = encode_query(&mut params);
    let mut stdout = std::io::stdout().lock();
    if !quiet {
        let size = crate::gofmt::size::human_size(tar.len() as f64);
        let _ = write!(
            stdout,
            "Sending build context to Docker daemon {size:>8}\r\r\n"
        );
        let _ = stdout.flush();
    }
    let mut headers = Headers::new();
    headers.set("Content-Type", "application/x-tar");
    let mut body: &[u8] = &tar;
    let mut response = session.client.stream(
        "POST",
        &format!("/build?{query}"),
        &headers,
        Some(&mut body as &mut dyn Read),
    )?;
    let mut image_id = String::new();
    let shown = super::progress::display_with_aux(
        &mut response.body,
        &mut stdout,
        stdout_is_terminal(),
        &mut |aux| {
            if let Some(id) = aux.get("ID").and_then(|id| id.as_str()) {
                image_id = id.to_string();
            }
        },
    );
    shown?;
    if let Some(path) = parsed.value("iidfile").filter(|p| !p.is_empty()) {
        std::fs::write(path, &image_id)
            .map_err(|e| fail(format!("failed to write image ID to file: {e}")))?;
    }
    Ok(())
}
