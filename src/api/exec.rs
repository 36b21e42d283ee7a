//! The exec bodies of the Engine API, with moby's field names: the create
//! body (`ExecConfig`), the start body and the inspect answer.

use serde::{Deserialize, Serialize};

/// `POST /containers/{id}/exec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecConfig {
    pub user: String,
    pub privileged: bool,
    pub tty: bool,
    pub console_size: Option<[u16; 2]>,
    pub attach_stdin: bool,
    pub attach_stderr: bool,
    pub attach_stdout: bool,
    pub detach: bool,
    pub detach_keys: String,
    pub env: Option<Vec<String>>,
    pub working_dir: String,
    pub cmd: Option<Vec<String>>,
}

/// `POST /exec/{id}/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecStartConfig {
    pub detach: bool,
    pub tty: bool,
    pub console_size: Option<[u16; 2]>,
}

/// The answer to a create: the exec's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdResponse {
    #[serde(rename = "Id")]
    pub id: String,
}

/// `ProcessConfig` of an inspect, lower-case as moby spells it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecProcessConfig {
    pub tty: bool,
    pub entrypoint: String,
    pub arguments: Vec<String>,
    pub privileged: bool,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub user: String,
}

/// `GET /exec/{id}/json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecInspect {
    #[serde(rename = "ID")]
    pub id: String,
    pub running: bool,
    pub exit_code: Option<i32>,
    pub process_config: ExecProcessConfig,
    pub open_stdin: bool,
    pub open_stderr: bool,
    pub open_stdout: bool,
    pub can_remove: bool,
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    pub detach_keys: String,
    pub pid: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies_read_as_docker_sends_them() {
        let body = r#"{"User":"nobody","Privileged":false,"Tty":true,"ConsoleSize":[24,80],"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":["A=b"],"WorkingDir":"/tmp","Cmd":["sh"]}"#;
        let config: ExecConfig = serde_json::from_str(body).unwrap();
        assert_eq!(config.console_size, Some([24, 80]));
        assert_eq!(config.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert_eq!(config.working_dir, "/tmp");
        let empty: ExecConfig = serde_json::from_str("{}").unwrap();
        assert!(empty.cmd.is_none());
        let inspect = serde_json::to_value(ExecInspect::default()).unwrap();
        assert!(inspect["ExitCode"].is_null());
        assert!(inspect["ProcessConfig"]["entrypoint"].is_string());
        assert!(inspect.get("ContainerID").is_some());
    }
}
