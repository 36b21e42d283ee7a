//! Image bodies of the Engine API with moby's field names: the list
//! summary, inspect, history, delete and prune answers, and the JSON
//! progress messages of load, import and pull.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One entry of `GET /images/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageSummary {
    pub containers: i64,
    pub created: i64,
    pub id: String,
    pub labels: Option<BTreeMap<String, String>>,
    pub parent_id: String,
    pub repo_digests: Vec<String>,
    pub repo_tags: Vec<String>,
    pub shared_size: i64,
    pub size: i64,
    /// Only below API 1.44, where it equals `Size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
}

/// `GET /images/{name}/json`. `Config` is the image config's own
/// `config` object, passed through so no field the image carries is lost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    /// RFC 3339 with nanoseconds; omitted when the config has no time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub docker_version: String,
    pub author: String,
    pub config: serde_json::Value,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub os: String,
    pub size: i64,
    /// Only below API 1.44.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_size: Option<i64>,
    pub graph_driver: GraphDriverData,
    #[serde(rename = "RootFS")]
    pub root_fs: ImageRootFs,
    pub metadata: ImageMetadata,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GraphDriverData {
    pub name: String,
    pub data: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageMetadata {
    /// `0001-01-01T00:00:00Z` (Go's zero time) until the image is tagged.
    pub last_tag_time: String,
}

/// One entry of `GET /images/{name}/history`, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HistoryItem {
    pub id: String,
    pub created: i64,
    pub created_by: String,
    pub tags: Option<Vec<String>>,
    pub size: i64,
    pub comment: String,
}

/// One line of `DELETE /images/{name}` and of a prune report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteItem {
    Untagged(String),
    Deleted(String),
}

/// `POST /images/prune`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImagePruneReport {
    pub images_deleted: Option<Vec<DeleteItem>>,
    #[serde(default)]
    pub space_reclaimed: u64,
}

/// A message of a JSON progress stream (load, import, pull).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(
        default,
        rename = "errorDetail",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_detail: Option<ErrorDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The layer or object a progress line is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The bar as the daemon drew it, for clients that do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(
        default,
        rename = "progressDetail",
        skip_serializing_if = "Option::is_none"
    )]
    pub progress_detail: Option<ProgressDetail>,
    /// Side results (a pushed digest, a built image's ID), not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// jsonmessage's `code`: the exit status a client takes (a failed
    /// build step's); absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: i64,
    #[serde(default)]
    pub message: String,
}

fn is_zero(code: &i64) -> bool {
    *code == 0
}

/// jsonmessage's `JSONProgress`: bytes done of a total (0 when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressDetail {
    pub current: i64,
    pub total: i64,
}

impl ProgressMessage {
    pub fn stream(text: impl Into<String>) -> ProgressMessage {
        ProgressMessage {
            stream: Some(text.into()),
            ..ProgressMessage::default()
        }
    }

    pub fn status(text: impl Into<String>) -> ProgressMessage {
        ProgressMessage {
            status: Some(text.into()),
            ..ProgressMessage::default()
        }
    }

    pub fn error(message: impl Into<String>) -> ProgressMessage {
        let message = message.into();
        ProgressMessage {
            error_detail: Some(ErrorDetail {
                code: 0,
                message: message.clone(),
            }),
            error: Some(message),
            ..ProgressMessage::default()
        }
    }

    /// The message as one line of the stream, ended by `\r\n` as moby's
    /// stream formatter writes it.
    pub fn line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.extend_from_slice(b"\r\n");
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shapes_are_mobys() {
        let deleted = vec![
            DeleteItem::Untagged("busybox:latest".into()),
            DeleteItem::Deleted("sha256:ab".into()),
        ];
        assert_eq!(
            serde_json::to_string(&deleted).unwrap(),
            r#"[{"Untagged":"busybox:latest"},{"Deleted":"sha256:ab"}]"#
        );
        assert_eq!(
            String::from_utf8(ProgressMessage::error("boom").line()).unwrap(),
            "{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\r\n"
        );
        assert_eq!(
            ProgressMessage::stream("Loaded image: busybox:latest\n").line(),
            b"{\"stream\":\"Loaded image: busybox:latest\\n\"}\r\n"
        );
        let summary = serde_json::to_value(ImageSummary::default()).unwrap();
        for key in ["Id", "ParentId", "RepoTags", "SharedSize", "Containers"] {
            assert!(summary.get(key).is_some(), "{key} missing");
        }
        assert!(summary.get("VirtualSize").is_none());
        let inspect = serde_json::to_value(ImageInspect::default()).unwrap();
        for key in ["RootFS", "GraphDriver", "Metadata", "DockerVersion"] {
            assert!(inspect.get(key).is_some(), "{key} missing");
        }
        let report = serde_json::to_string(&ImagePruneReport::default()).unwrap();
        assert_eq!(report, r#"{"ImagesDeleted":null,"SpaceReclaimed":0}"#);
    }
}
