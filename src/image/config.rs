//! The parts of an image config JSON that the daemon needs. The raw bytes
//! stay the source of truth (the image ID is their hash); this is a view of
//! them, and a writer for the configs that `docker import` creates.

use super::digest::Digest;
use crate::gofmt::time::parse_rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub docker_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub rootfs: RootFs,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// A set such as ExposedPorts or Volumes: JSON object keys with `{}` values.
pub type KeySet = BTreeMap<String, Empty>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The container defaults an image carries (Docker's container.Config, the
/// fields an image sets).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<KeySet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<KeySet>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid image config: {0}")]
    Json(#[from] serde_json::Error),
    #[error("invalid image config: rootfs type {0:?} is not \"layers\"")]
    RootFsType(String),
}

impl ImageConfig {
    pub fn parse(raw: &[u8]) -> Result<ImageConfig, ConfigError> {
        let config: ImageConfig = serde_json::from_slice(raw)?;
        if config.rootfs.kind != "layers" {
            return Err(ConfigError::RootFsType(config.rootfs.kind));
        }
        Ok(config)
    }

    /// `created` as Unix seconds, the `Created` of `GET /images/json`;
    /// 0 when missing or unreadable, as Docker shows it.
    pub fn created_unix(&self) -> i64 {
        self.created
            .as_deref()
            .and_then(parse_rfc3339)
            .map_or(0, |time| time.seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_docker_writes_and_ignores_the_rest() {
        let raw = br#"{"architecture":"amd64","config":{"Hostname":"","Env":["PATH=/bin"],
            "Cmd":["sh"],"Healthcheck":{"Test":["NONE"]},"OnBuild":null,"Labels":{"a":"b"},
            "ExposedPorts":{"80/tcp":{}},"WorkingDir":"/w","StopSignal":"SIGQUIT"},
            "created":"2026-01-01T00:00:00Z","os":"linux",
            "rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}"#;
        let config = ImageConfig::parse(raw).unwrap();
        let container = config.config.unwrap();
        assert_eq!(container.cmd.unwrap(), ["sh"]);
        assert_eq!(container.working_dir, "/w");
        assert_eq!(container.stop_signal.as_deref(), Some("SIGQUIT"));
        assert!(container.exposed_ports.unwrap().contains_key("80/tcp"));
        assert_eq!(config.rootfs.diff_ids.len(), 1);
        assert!(ImageConfig::parse(br#"{"rootfs":{"type":"other"}}"#).is_err());
        assert!(
            ImageConfig::parse(br#"{"rootfs":{"type":"layers","diff_ids":["md5:1"]}}"#).is_err()
        );
        assert!(ImageConfig::parse(b"[]").is_err());
    }

    #[test]
    fn created_times_parse() {
        let config = ImageConfig {
            created: Some("2026-01-01T00:00:00Z".into()),
            ..ImageConfig::default()
        };
        assert_eq!(config.created_unix(), 1_767_225_600);
        assert_eq!(ImageConfig::default().created_unix(), 0);
    }
}
