//! The client's `config.json` (`--config`, `DOCKER_CONFIG`, `~/.docker`):
//! registry credentials for `X-Registry-Auth`, the current context and the
//! detach keys. A file that does not parse is a warning, as in the CLI.

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
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(_) => return Config::default(),
        };
        match serde_json::from_slice::<Json>(&text) {
            Ok(json) => Config::from_json(&json),
            Err(e) => {
                eprintln!(
                    "WARNING: Error loading config file: {}: {e}",
                    path.display()
                );
                Config::default()
            }
        }
    }

    fn from_json(json: &Json) -> Config {
        let text = |key: &str| {
            json.get(key)
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Config {
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

    /// `X-Registry-Auth` for `registry`: base64 of the JSON auth config,
    /// `e30=` (`{}`) when there is none, as the CLI sends it.
    pub fn registry_auth(&self, registry: &str) -> String {
        let Some(entry) = self.auths.get(registry) else {
            return "e30=".into();
        };
        let mut auth = serde_json::Map::new();
        if let Some(encoded) = entry.get("auth").and_then(Json::as_str)
            && let Some(decoded) = crate::gofmt::base64::decode_any(encoded)
            && let Some((user, password)) = String::from_utf8_lossy(&decoded).split_once(':')
        {
            auth.insert("username".into(), user.into());
            auth.insert("password".into(), password.into());
        }
        if let Some(token) = entry.get("identitytoken").and_then(Json::as_str) {
            auth.insert("identitytoken".into(), token.into());
        }
        auth.insert("serveraddress".into(), registry.into());
        crate::gofmt::base64::encode_url(Json::Object(auth).to_string().as_bytes())
    }
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
        let auth = config.registry_auth("registry.example");
        let decoded = String::from_utf8(crate::gofmt::base64::decode_any(&auth).unwrap()).unwrap();
        assert_eq!(
            decoded,
            r#"{"password":"pass","serveraddress":"registry.example","username":"user"}"#
        );
        assert_eq!(config.registry_auth("other"), "e30=");
    }
}
