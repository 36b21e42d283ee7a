//! The client's `config.json` (`--config`, `DOCKER_CONFIG`, `~/.docker`):
//! registry credentials for `X-Registry-Auth` (see `credentials`), the
//! current context and the detach keys. A file that does not parse is a
//! warning, as in the CLI. `docker login` and `logout` write it back
//! with every key it had.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct Config {
    /// `auths`: registry host to its entry (`auth`, `identitytoken`, ...).
    pub auths: BTreeMap<String, Json>,
    pub current_context: Option<String>,
    pub detach_keys: Option<String>,
    /// `statsFormat`: `docker stats`'s format when `--format` is not given.
    pub stats_format: Option<String>,
    /// `credsStore`: the credential helper for every registry.
    pub creds_store: Option<String>,
    /// `credHelpers`: a registry's own credential helper.
    pub cred_helpers: BTreeMap<String, String>,
    /// The file, and what it held, so that a save keeps every other key.
    path: PathBuf,
    raw: serde_json::Map<String, Json>,
}

/// The config directory: `--config`, then `DOCKER_CONFIG`, then
/// `$HOME/.docker`.
pub fn config_dir(flag: Option<&str>) -> PathBuf {
    if let Some(dir) = flag.filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    Path::new(&home).join(".docker")
}

impl Config {
    /// Loads `dir/config.json`; a missing file is an empty config, a bad
    /// one a warning on stderr and an empty config.
    pub fn load(dir: &Path) -> Config {
        let path = dir.join("config.json");
        let empty = || Config {
            path: path.clone(),
            ..Config::default()
        };
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(_) => return empty(),
        };
        match serde_json::from_slice::<Json>(&text) {
            Ok(json) => Config {
                path: path.clone(),
                ..Config::from_json(&json)
            },
            Err(e) => {
                eprintln!(
                    "WARNING: Error loading config file: {}: {e}",
                    path.display()
                );
                empty()
            }
        }
    }

    /// The file the config was read from (and is saved to).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the config back as the Go CLI does: tab-indented JSON with
    /// no final newline, through a temporary file renamed over the old one,
    /// which keeps its mode (a new file is 0600: it may hold passwords).
    pub fn save(&mut self) -> Result<(), String> {
        let mut json = self.raw.clone();
        json.insert(
            "auths".into(),
            Json::Object(self.auths.clone().into_iter().collect()),
        );
        let bytes = go_indented(&json).into_bytes();
        let dir = self.path.parent().unwrap_or(Path::new("."));
        write_replacing(dir, &self.path, &bytes)
            .map_err(|e| format!("Error saving credentials: {e}"))
    }

    fn from_json(json: &Json) -> Config {
        let text = |key: &str| {
            json.get(key)
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Config {
            creds_store: text("credsStore"),
            cred_helpers: json
                .get("credHelpers")
                .and_then(Json::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            raw: json.as_object().cloned().unwrap_or_default(),
            path: PathBuf::new(),
            auths: json
                .get("auths")
                .and_then(Json::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            current_context: text("currentContext"),
            detach_keys: text("detachKeys"),
            stats_format: text("statsFormat"),
        }
    }
}

/// The Go CLI's `ConfigFile` fields in its order; other keys follow.
const FIELD_ORDER: &[&str] = &[
    "auths",
    "HttpHeaders",
    "psFormat",
    "imagesFormat",
    "networksFormat",
    "pluginsFormat",
    "volumesFormat",
    "statsFormat",
    "detachKeys",
    "credsStore",
    "credHelpers",
    "serviceInspectFormat",
    "servicesFormat",
    "tasksFormat",
    "secretFormat",
    "configFormat",
    "nodesFormat",
    "pruneFilters",
    "proxies",
    "experimental",
    "currentContext",
    "cliPluginsExtraDirs",
    "plugins",
    "aliases",
    "features",
];

/// Go's `json.MarshalIndent(config, "", "\t")`: the struct's fields in
/// order, maps sorted, `<`, `>` and `&` escaped, no final newline.
fn go_indented(json: &serde_json::Map<String, Json>) -> String {
    let pretty = |value: &Json| {
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        serde::Serialize::serialize(value, &mut serializer).expect("JSON values encode");
        String::from_utf8_lossy(&bytes).replace('\n', "\n\t")
    };
    let known = FIELD_ORDER.iter().filter_map(|k| json.get_key_value(*k));
    let others = json
        .iter()
        .filter(|(k, _)| !FIELD_ORDER.contains(&k.as_str()));
    let fields: Vec<String> = known
        .chain(others)
        .map(|(key, value)| format!("\t{}: {}", Json::from(key.as_str()), pretty(value)))
        .collect();
    go_html_escape(&format!("{{\n{}\n}}", fields.join(",\n")))
}

/// Go's JSON encoder escapes these in strings (the only place they can
/// be in a JSON text).
pub fn go_html_escape(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Writes `bytes` to a new 0600 file in `dir`, gives it the mode of the
/// file it replaces, syncs it and renames it over `path` (a symlink's
/// target, as the CLI follows it).
fn write_replacing(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::create_dir_all(dir)?;
    let target = std::fs::read_link(path)
        .map(|link| dir.join(link))
        .unwrap_or_else(|_| path.to_path_buf());
    let temp = dir.join(format!("config.json{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| match std::fs::metadata(&target) {
            Ok(old) => file.set_permissions(std::fs::Permissions::from_mode(
                old.permissions().mode() & 0o7777,
            )),
            Err(_) => Ok(()),
        })
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, &target));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_context_and_detach_keys() {
        let json = serde_json::json!({
            "auths": {"registry.example": {"auth": "dXNlcjpwYXNz"}},
            "currentContext": "default",
            "detachKeys": "ctrl-x,x"
        });
        let config = Config::from_json(&json);
        assert_eq!(config.current_context.as_deref(), Some("default"));
        assert_eq!(config.detach_keys.as_deref(), Some("ctrl-x,x"));
        let auth = config.registry_auth("registry.example").unwrap();
        let decoded = String::from_utf8(crate::gofmt::base64::decode_any(&auth).unwrap()).unwrap();
        assert_eq!(
            decoded,
            r#"{"username":"user","password":"pass","serveraddress":"registry.example"}"#
        );
        assert_eq!(config.registry_auth("other").unwrap(), "e30=");
    }

    #[test]
    fn saves_as_the_go_cli_indents_and_orders_its_fields() {
        let json = serde_json::json!({
            "zzz": 1,
            "psFormat": "<x>",
            "credHelpers": {"b": "h", "a": "h"},
            "auths": {"h:1": {"auth": "dTpw"}, "e": {}},
        });
        assert_eq!(
            go_indented(json.as_object().unwrap()),
            "{\n\t\"auths\": {\n\t\t\"e\": {},\n\t\t\"h:1\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t},\n\t\"psFormat\": \"\\u003cx\\u003e\",\n\t\"credHelpers\": {\n\t\t\"a\": \"h\",\n\t\t\"b\": \"h\"\n\t},\n\t\"zzz\": 1\n}"
        );
    }
}
