//! The dependency rules of README's architecture, checked on the source.
//!
//! Every `crate::...` and `super::...` path in `src/` is resolved to the
//! module it names; a file in a lower layer that names a module it must not
//! know fails the test with the file, the line and the rule. The rules are
//! data ([`RULES`]); the scanner has its own tests below, so a rule that
//! could never fire would show.

use std::path::{Path, PathBuf};

/// One rule: files below `from` must not name any module below one of
/// `forbidden`. Paths are module paths from the crate root.
struct Rule {
    from: &'static str,
    forbidden: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        from: "runtime",
        forbidden: &["applets", "daemon", "api", "http", "image", "store", "shim"],
        why: "the OCI runtime stands alone below everything",
    },
    Rule {
        from: "network",
        forbidden: &[
            "applets", "daemon", "api", "http", "image", "store", "shim", "runtime",
        ],
        why: "netlink and namespaces for networking know nothing of who asks for them",
    },
    Rule {
        from: "store",
        forbidden: &["http", "runtime", "daemon", "applets", "shim"],
        why: "the store keeps records and knows nothing of their users",
    },
    Rule {
        from: "shim",
        forbidden: &["daemon", "applets", "http", "store"],
        why: "the shim outlives the daemon and must not depend on it",
    },
    Rule {
        from: "applets::docker",
        forbidden: &[
            "runtime",
            "store",
            "daemon",
            "shim",
            "image",
            "http::server",
            "http::acceptor",
            // `docker build` filters its context with the ignore matcher,
            // the only piece of the builder the client shares.
            "build::dockerfile",
            "build::words",
        ],
        why: "the client shares only the API types (and the HTTP wire) with the daemon, and the builder's .dockerignore matcher",
    },
    Rule {
        from: "build",
        forbidden: &[
            "api", "applets", "daemon", "http", "image", "inroot", "network", "runtime", "shim",
            "store",
        ],
        why: "the Dockerfile parser, expander and ignore matcher are pure; the daemon drives them",
    },
    Rule {
        from: "gofmt",
        forbidden: &[
            "api", "applets", "daemon", "http", "image", "runtime", "shim", "store",
        ],
        why: "Go-compatible formats are pure and sit below every user",
    },
];

/// One resource of the daemon's API and the modules that hold its routes.
/// A module here is one file: `daemon::images` is `images/mod.rs`, not the
/// folder, so a resource's services may sit beside its routes.
struct Resource {
    name: &'static str,
    routes: &'static [&'static str],
}

/// The daemon's layers, from the top down: the top (the route table and
/// `run`) names every resource's routes; each resource's route modules use
/// the core (state, store access, events, shim table, image service), the
/// route types, the API errors and their own resource's modules, never
/// another resource's route modules; and every other daemon module (the
/// core, the services, the types, the errors) uses no route module at all.
const DAEMON_TOP: &[&str] = &["daemon", "daemon::handler"];
const DAEMON_RESOURCES: &[Resource] = &[
    Resource {
        name: "containers",
        routes: &[
            "daemon::containers",
            "daemon::containers::archive",
            "daemon::containers::attach",
            "daemon::containers::commit",
            "daemon::containers::diff",
            "daemon::containers::exec",
            "daemon::containers::lifecycle",
            "daemon::containers::manage",
            "daemon::containers::stats",
            "daemon::containers::update",
        ],
    },
    Resource {
        name: "images",
        routes: &[
            "daemon::images",
            "daemon::images::download",
            "daemon::images::filters",
            "daemon::images::list",
            "daemon::images::pull",
            "daemon::images::push",
            "daemon::images::remove",
            "daemon::images::transfer",
        ],
    },
    Resource {
        name: "system",
        routes: &["daemon::system"],
    },
    Resource {
        name: "auth",
        routes: &["daemon::login"],
    },
    Resource {
        name: "build",
        routes: &[
            "daemon::build",
            "daemon::build::cache",
            "daemon::build::context",
            "daemon::build::copy",
            "daemon::build::output",
            "daemon::build::prune",
            "daemon::build::steps",
        ],
    },
    Resource {
        name: "networks",
        routes: &["daemon::networks", "daemon::network_connect"],
    },
    Resource {
        name: "volumes",
        routes: &["daemon::volumes"],
    },
    Resource {
        name: "swarm",
        routes: &["daemon::swarm"],
    },
    Resource {
        name: "events",
        routes: &["daemon::events::stream"],
    },
];

/// Applets are independent of each other: only the table names them.
const APPLETS: &[&str] = &["docker", "docker_init", "dockerd", "runc", "shim"];
const APPLET_TABLE_FILES: &[&str] = &["applets::mod", "applets::multicall"];

#[derive(Debug, PartialEq)]
struct Reference {
    line: usize,
    target: Vec<String>,
}

/// The module path of a file below `src/`: `shim/serve.rs` → [shim, serve],
/// `shim/mod.rs` → [shim].
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.last_mut() {
        *last = last.trim_end_matches(".rs").to_string();
    }
    if matches!(parts.last().map(String::as_str), Some("mod") | Some("main")) {
        parts.pop();
    }
    parts
}

/// Removes `//` comments (doc comments included) so that prose naming a
/// module is not a dependency. String literals are left: a path in a string
/// is rare and, if it names a forbidden module, worth a look anyway.
fn strip_comment(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The paths of a use tree at the start of `text`: `a::b` gives [[a, b]],
/// `{a::{b, c}, d}` gives [[a, b], [a, c], [d]], also across lines.
/// Returns the paths and how many bytes they took.
fn use_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let bytes = text.as_bytes();
    let skip_space = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let mut at = skip_space(0);
    if bytes.get(at) == Some(&b'{') {
        let mut paths = Vec::new();
        at += 1;
        loop {
            at = skip_space(at);
            match bytes.get(at) {
                None => return (paths, at),
                Some(b'}') => return (paths, at + 1),
                Some(b',') => at += 1,
                Some(_) => {
                    let (inner, used) = use_tree(&text[at..]);
                    if used == 0 {
                        return (paths, at);
                    }
                    paths.extend(inner);
                    at += used;
                }
            }
        }
    }
    let start = at;
    while at < bytes.len() && is_ident_byte(bytes[at]) {
        at += 1;
    }
    if at == start {
        // `*` or anything else: the path so far is what is named.
        let used = if bytes.get(at) == Some(&b'*') {
            at + 1
        } else {
            at
        };
        return (vec![Vec::new()], used);
    }
    let name = &text[start..at];
    if text[at..].starts_with("::") {
        let (tails, used) = use_tree(&text[at + 2..]);
        let paths = tails
            .into_iter()
            .map(|tail| {
                let mut path = vec![name.to_string()];
                path.extend(tail);
                path
            })
            .collect();
        return (paths, at + 2 + used);
    }
    let head = if name == "self" {
        Vec::new()
    } else {
        vec![name.to_string()]
    };
    (vec![head], at)
}

/// The inline modules (`mod tests {`) each line of `text` is in. The
/// sources are rustfmt's: an inline module ends at the first line that is
/// `}` alone at the indentation of its `mod` line.
fn inline_modules(text: &str) -> Vec<Vec<String>> {
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut per_line = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        per_line.push(open.iter().map(|(_, name)| name.clone()).collect());
        if trimmed == "}" && open.last().is_some_and(|(at, _)| *at == indent) {
            open.pop();
            continue;
        }
        let declaration = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        if let Some(name) = declaration
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix('{'))
            .map(str::trim)
            .filter(|name| !name.is_empty() && name.bytes().all(is_ident_byte))
        {
            open.push((indent, name.to_string()));
        }
    }
    per_line
}

/// Every module path named in `source`, resolved against the file's own
/// module path `module` and, for `super`, the inline modules the path
/// stands in (`mod tests { use super::*; }` names the file's own module).
fn references(module: &[String], source: &str) -> Vec<Reference> {
    let text: String = source
        .lines()
        .map(strip_comment)
        .collect::<Vec<_>>()
        .join("\n");
    let inline = inline_modules(&text);
    let bytes = text.as_bytes();
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(at) = [
        text[search..].find("crate::"),
        text[search..].find("super::"),
    ]
    .into_iter()
    .flatten()
    .min()
    .map(|offset| search + offset)
    {
        search = at + 7;
        if at > 0 && (is_ident_byte(bytes[at - 1]) || bytes[at - 1] == b'$') {
            continue;
        }
        let mut rest = &text[at..];
        let mut base: Vec<String>;
        if let Some(after) = rest.strip_prefix("crate::") {
            base = Vec::new();
            rest = after;
        } else {
            // Each `super` leaves one module; a file's own module is its
            // path, so `super` from `shim/serve.rs` is `shim`.
            base = module.to_vec();
            if let Some(names) = inline.get(line_of(at) - 1) {
                base.extend(names.iter().cloned());
            }
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
        }
        let (paths, used) = use_tree(rest);
        search = text.len() - rest.len() + used.max(1);
        for tail in paths {
            let mut target = base.clone();
            target.extend(tail);
            found.push(Reference {
                line: line_of(at),
                target,
            });
        }
    }
    found
}

fn starts_with(path: &[String], prefix: &str) -> bool {
    let wanted: Vec<&str> = prefix.split("::").collect();
    path.len() >= wanted.len() && path.iter().zip(&wanted).all(|(a, b)| a == b)
}

/// The violations of [`RULES`] and of applet independence in one file.
fn violations(module: &[String], source: &str) -> Vec<String> {
    let joined = module.join("::");
    let mut broken = Vec::new();
    for reference in references(module, source) {
        let target = reference.target.join("::");
        for rule in RULES {
            if !starts_with(module, rule.from) {
                continue;
            }
            for forbidden in rule.forbidden {
                if starts_with(&reference.target, forbidden) {
                    broken.push(format!(
                        "{joined}:{}: names {target}, but {} must not use {forbidden} ({})",
                        reference.line, rule.from, rule.why
                    ));
                }
            }
        }
        let in_table = APPLET_TABLE_FILES
            .iter()
            .any(|f| *f == joined || (*f == "applets::mod" && joined == "applets"));
        if starts_with(module, "applets") && !in_table && module.len() >= 2 {
            let own = &module[1];
            if reference.target.len() >= 2
                && reference.target[0] == "applets"
                && APPLETS.contains(&reference.target[1].as_str())
                && &reference.target[1] != own
            {
                broken.push(format!(
                    "{joined}:{}: names {target}, but applet {own} must not use another applet",
                    reference.line
                ));
            }
        }
    }
    broken
}

/// The file a module path lands in: the longest of `modules` (the files'
/// module paths) that begins it. `daemon::containers::record::Status` is
/// in `daemon::containers::record`, `daemon::containers::routes` in
/// `daemon::containers`.
fn file_of<'m>(target: &[String], modules: &'m [Vec<String>]) -> Option<&'m Vec<String>> {
    modules
        .iter()
        .filter(|m| m.len() <= target.len() && target[..m.len()] == m[..])
        .max_by_key(|m| m.len())
}

/// The resource whose route modules include the file `module`.
fn route_resource(module: &str) -> Option<&'static Resource> {
    DAEMON_RESOURCES
        .iter()
        .find(|resource| resource.routes.contains(&module))
}

/// The violations of the daemon's layering in one file; `modules` are the
/// module paths of every file below `src/`.
fn daemon_violations(module: &[String], source: &str, modules: &[Vec<String>]) -> Vec<String> {
    let joined = module.join("::");
    if !starts_with(module, "daemon") || DAEMON_TOP.contains(&joined.as_str()) {
        return Vec::new();
    }
    // A file of tests (`#[path = "remove_tests.rs"] mod tests;`) belongs
    // to the module it tests.
    let tested = match module.split_last() {
        Some((last, parent)) if last == "tests" => parent.join("::"),
        _ => joined.clone(),
    };
    let own = route_resource(&tested);
    let mut broken = Vec::new();
    for reference in references(module, source) {
        let Some(file) = file_of(&reference.target, modules) else {
            continue;
        };
        let file = file.join("::");
        let Some(used) = route_resource(&file) else {
            continue;
        };
        let target = reference.target.join("::");
        match own {
            Some(own) if own.name == used.name => {}
            Some(own) => broken.push(format!(
                "{joined}:{}: names {target}, but the {} routes must not use the {} routes (move what both need below them)",
                reference.line, own.name, used.name
            )),
            None => broken.push(format!(
                "{joined}:{}: names {target}, but the daemon's core, services, types and errors must not use the {} routes",
                reference.line, used.name
            )),
        }
    }
    broken
}

/// The module paths of `files` (below `src`): from the file's path, or
/// where a `#[path = "..."] mod name;` declares it, from the declaring
/// module (`images/remove.rs`'s `#[path = "remove_tests.rs"] mod tests;`
/// makes `remove_tests.rs` the module `daemon::images::remove::tests`).
fn module_paths(src: &Path, files: &[PathBuf]) -> Vec<Vec<String>> {
    let mut modules: Vec<Vec<String>> = files
        .iter()
        .map(|file| module_path(file.strip_prefix(src).expect("below src")))
        .collect();
    // A declared file may itself declare one: repeat until nothing moves.
    loop {
        let mut moved = false;
        for (index, file) in files.iter().enumerate() {
            let source = std::fs::read_to_string(file).expect("read source");
            let dir = file.parent().expect("a file has a directory");
            let mut declared: Option<PathBuf> = None;
            for line in source.lines().map(str::trim) {
                if let Some(rest) = line.strip_prefix("#[path = \"") {
                    declared = rest.strip_suffix("\"]").map(|name| dir.join(name));
                } else if let Some(target) = declared.take_if(|_| !line.starts_with("#[")) {
                    let name = line
                        .strip_prefix("pub ")
                        .unwrap_or(line)
                        .strip_prefix("mod ")
                        .and_then(|rest| rest.strip_suffix(';'));
                    let (Some(name), Some(at)) = (name, files.iter().position(|f| *f == target))
                    else {
                        continue;
                    };
                    let mut module = modules[index].clone();
                    module.push(name.to_string());
                    if modules[at] != module {
                        modules[at] = module;
                        moved = true;
                    }
                }
            }
        }
        if !moved {
            return modules;
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn sources_keep_the_dependency_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found only {} files in src/", files.len());
    let modules = module_paths(&src, &files);
    let mut broken = Vec::new();
    for (file, module) in files.iter().zip(&modules) {
        let source = std::fs::read_to_string(file).expect("read source");
        broken.extend(violations(module, &source));
        broken.extend(daemon_violations(module, &source, &modules));
    }
    assert!(
        broken.is_empty(),
        "{} forbidden dependencies:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

fn path(text: &str) -> Vec<String> {
    text.split("::").map(str::to_string).collect()
}

#[test]
fn scanner_resolves_crate_super_and_groups() {
    let module = path("shim::serve");
    let found = references(
        &module,
        "use crate::{runtime::container, gofmt};\nlet t = super::super::daemon::x();\n// crate::daemon in prose\nuse super::protocol;\nuse crate::{\n    api::{self, body::Json},\n    store::*,\n};",
    );
    let targets: Vec<(usize, String)> = found
        .iter()
        .map(|r| (r.line, r.target.join("::")))
        .collect();
    assert_eq!(
        targets,
        vec![
            (1, "runtime::container".to_string()),
            (1, "gofmt".to_string()),
            (2, "daemon::x".to_string()),
            (4, "shim::protocol".to_string()),
            (5, "api".to_string()),
            (5, "api::body::Json".to_string()),
            (5, "store".to_string()),
        ]
    );
}

#[test]
fn a_forbidden_use_is_reported() {
    let broken = violations(&path("runtime::exec"), "use crate::daemon::Daemon;\n");
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].contains("runtime::exec:1: names daemon::Daemon"));
    let broken = violations(
        &path("applets::docker::run"),
        "use crate::applets::runc::x;\n",
    );
    assert_eq!(broken.len(), 1, "{broken:?}");
    let allowed = violations(
        &path("applets"),
        "mod x { use crate::applets::runc::main; }\n",
    );
    assert!(allowed.is_empty(), "{allowed:?}");
    let allowed = violations(&path("runtime::exec"), "use crate::gofmt::time;\n");
    assert!(allowed.is_empty(), "{allowed:?}");
}

#[test]
fn super_in_an_inline_module_names_the_file_itself() {
    let found = references(
        &path("daemon::containers::record"),
        "use super::lookup;\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::view;\n}\nuse super::names;\n",
    );
    let targets: Vec<String> = found.iter().map(|r| r.target.join("::")).collect();
    assert_eq!(
        targets,
        vec![
            "daemon::containers::lookup",
            "daemon::containers::record",
            "daemon::containers::view",
            "daemon::containers::names",
        ]
    );
}

#[test]
fn the_daemon_rules_are_reported() {
    let modules: Vec<Vec<String>> = [
        "daemon",
        "daemon::handler",
        "daemon::state",
        "daemon::system",
        "daemon::containers",
        "daemon::containers::record",
        "daemon::containers::stats",
        "daemon::images",
        "daemon::images::list",
        "daemon::image_service",
    ]
    .iter()
    .map(|m| path(m))
    .collect();
    // A route of one resource using another resource's route module.
    let broken = daemon_violations(
        &path("daemon::system"),
        "use super::images::list::disk_usage;\n",
        &modules,
    );
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].contains("system routes must not use the images routes"));
    // An item of a resource's mod.rs is in that route module too.
    let broken = daemon_violations(
        &path("daemon::containers"),
        "let n = crate::daemon::images::routes;\n",
        &modules,
    );
    assert_eq!(broken.len(), 1, "{broken:?}");
    // The core naming a route module.
    let broken = daemon_violations(
        &path("daemon::containers::record"),
        "use super::stats::Sample;\n",
        &modules,
    );
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].contains("core, services, types and errors must not use the containers"));
    // Allowed: a route using the core, services and its own resource's
    // files; the top naming every route.
    let allowed = daemon_violations(
        &path("daemon::containers::stats"),
        "use crate::daemon::state::Daemon;\nuse super::record::X;\nuse crate::daemon::image_service::Catalog;\nuse super::Y;\n",
        &modules,
    );
    assert!(allowed.is_empty(), "{allowed:?}");
    let allowed = daemon_violations(
        &path("daemon::handler"),
        "use super::images::routes;\nuse super::system::routes;\n",
        &modules,
    );
    assert!(allowed.is_empty(), "{allowed:?}");
}
