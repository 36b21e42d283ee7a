//! The container record the store keeps, and its state machine:
//! created -> running <-> paused, running -> exited | restarting | dead,
//! exited | restarting -> running, and removing on the way out. Each
//! change is a method here; callers persist the record in one store
//! transaction (`Containers::save`).

use super::health::HealthState;
use crate::api::container::{ContainerConfig, HostConfig, NetworkingConfig};
use crate::api::container_view::ContainerState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The states of moby's `State.StateString`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Created,
        Status::Running,
        Status::Paused,
        Status::Restarting,
        Status::Removing,
        Status::Exited,
        Status::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Restarting => "restarting",
            Status::Removing => "removing",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("container {id} cannot {action} while {status}")]
pub struct StateError {
    pub id: String,
    pub action: &'static str,
    pub status: &'static str,
}

/// The run state; times are nanoseconds since the epoch, 0 for never.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunState {
    pub status: Status,
    pub pid: i64,
    pub exit_code: i64,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub error: String,
    pub started_at: i64,
    pub finished_at: i64,
    /// From the first start with a healthcheck on; kept after the
    /// container stops, as moby keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthState>,
}

impl Default for RunState {
    fn default() -> Self {
        RunState {
            status: Status::Created,
            pid: 0,
            exit_code: 0,
            oom_killed: false,
            error: String::new(),
            started_at: 0,
            finished_at: 0,
            health: None,
        }
    }
}

/// Everything the daemon knows of one container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerRecord {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    /// Nanoseconds since the epoch.
    pub created: i64,
    /// The process: Entrypoint and Cmd, first word apart.
    pub path: String,
    pub args: Vec<String>,
    pub state: RunState,
    /// `sha256:...` of the image config.
    #[serde(rename = "ImageID")]
    pub image_id: String,
    /// The image as the user named it (`Config.Image`).
    pub image_name: String,
    /// The config with the image's defaults merged in.
    pub config: ContainerConfig,
    pub host_config: HostConfig,
    pub networking_config: Option<NetworkingConfig>,
    pub restart_count: i64,
    /// The storage driver that holds the rootfs.
    pub driver: String,
    /// From `SecurityOpt`: `no-new-privileges[=bool]`.
    pub no_new_privileges: bool,
    /// From `SecurityOpt`: "" for the default profile, `unconfined`, or
    /// a profile's JSON.
    pub seccomp_profile: String,
    pub app_armor_profile: String,
    pub has_been_started: bool,
    /// Set by `docker stop`, cleared by start: unless-stopped uses it.
    pub manually_stopped: bool,
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Vec<String>,
    /// The volumes it mounts, named and anonymous, settled at create.
    #[serde(default)]
    pub volume_mounts: Vec<crate::daemon::volume_service::VolumeMount>,
    /// The network of the running container; none when it is not running
    /// or shares the host's.
    #[serde(default)]
    pub sandbox: Option<crate::daemon::network_service::Sandbox>,
    /// The ID of each network the container has joined, by name: moby keeps
    /// `NetworkID` in inspect after the container stops.
    #[serde(default, rename = "NetworkIDs")]
    pub network_ids: BTreeMap<String, String>,
}

impl ContainerRecord {
    /// The container's directory below the data root.
    pub fn dir(&self, data_root: &Path) -> PathBuf {
        container_dir(data_root, &self.id)
    }

    pub fn hostname_path(&self, data_root: &Path) -> PathBuf {
        self.dir(data_root).join("hostname")
    }

    pub fn hosts_path(&self, data_root: &Path) -> PathBuf {
        self.dir(data_root).join("hosts")
    }

    pub fn resolv_conf_path(&self, data_root: &Path) -> PathBuf {
        self.dir(data_root).join("resolv.conf")
    }

    /// The json-file log, `<dir>/<id>-json.log` as moby names it.
    pub fn log_path(&self, data_root: &Path) -> PathBuf {
        self.dir(data_root).join(format!("{}-json.log", self.id))
    }

    pub fn status(&self) -> Status {
        self.state.status
    }

    /// Whether a process exists (running, paused or restarting between
    /// runs counts as alive for removal).
    pub fn is_running(&self) -> bool {
        matches!(self.state.status, Status::Running | Status::Paused)
    }

    fn refuse(&self, action: &'static str) -> StateError {
        StateError {
            id: self.id.clone(),
            action,
            status: self.state.status.as_str(),
        }
    }

    /// The init process started with `pid` at `at` (ns).
    pub fn mark_started(&mut self, pid: i64, at: i64) -> Result<(), StateError> {
        match self.state.status {
            Status::Created | Status::Exited | Status::Restarting => {}
            _ => return Err(self.refuse("start")),
        }
        self.state = RunState {
            status: Status::Running,
            pid,
            exit_code: 0,
            oom_killed: false,
            error: String::new(),
            started_at: at,
            finished_at: self.state.finished_at,
            health: self.state.health.take(),
        };
        self.restart_health();
        self.has_been_started = true;
        self.manually_stopped = false;
        Ok(())
    }

    /// moby's `initHealthMonitor`, at each start and when a daemon finds
    /// the container running again: a container with a probe is starting
    /// again, with no failures; without one its health stays as it was.
    pub fn restart_health(&mut self) {
        if super::health::probe_command(&self.config).is_some() {
            self.state.health = Some(HealthState::restarted(self.state.health.take()));
        }
    }

    /// The init process exited with `code` at `at`.
    pub fn mark_exited(&mut self, code: i64, oom_killed: bool, at: i64) -> Result<(), StateError> {
        if !matches!(self.state.status, Status::Running | Status::Paused) {
            return Err(self.refuse("exit"));
        }
        self.state.status = Status::Exited;
        self.state.pid = 0;
        self.state.exit_code = code;
        self.state.oom_killed = oom_killed;
        self.state.finished_at = at;
        Ok(())
    }

    /// A start failed before the process ran: moby keeps the container
    /// stopped with the error and exit code 128 (or 126/127 for a
    /// command that cannot run).
    /// A container claimed by a removal meanwhile stays so.
    pub fn mark_start_failed(&mut self, code: i64, error: &str, at: i64) {
        if !matches!(self.state.status, Status::Removing | Status::Dead) {
            self.state.status = if self.has_been_started {
                Status::Exited
            } else {
                Status::Created
            };
        }
        self.state.pid = 0;
        self.state.exit_code = code;
        self.state.error = error.to_string();
        self.state.finished_at = at;
    }

    pub fn mark_paused(&mut self) -> Result<(), StateError> {
        if self.state.status != Status::Running {
            return Err(self.refuse("pause"));
        }
        self.state.status = Status::Paused;
        Ok(())
    }

    pub fn mark_unpaused(&mut self) -> Result<(), StateError> {
        if self.state.status != Status::Paused {
            return Err(self.refuse("unpause"));
        }
        self.state.status = Status::Running;
        Ok(())
    }

    /// The process exited and the restart policy will start it again.
    pub fn mark_restarting(&mut self, code: i64, at: i64) -> Result<(), StateError> {
        if !matches!(self.state.status, Status::Running | Status::Paused) {
            return Err(self.refuse("restart"));
        }
        self.state.status = Status::Restarting;
        self.state.pid = 0;
        self.state.exit_code = code;
        self.state.finished_at = at;
        self.restart_count += 1;
        Ok(())
    }

    /// `docker stop`: unless-stopped must not bring it back.
    pub fn mark_manually_stopped(&mut self) {
        self.manually_stopped = true;
    }

    /// `docker stop` of a container waiting to be restarted: no process
    /// to signal, so it ends as exited with its last run's code (moby
    /// cancels the pending restart the same way).
    pub fn mark_restart_cancelled(&mut self) -> Result<(), StateError> {
        if self.state.status != Status::Restarting {
            return Err(self.refuse("cancel the restart of"));
        }
        self.manually_stopped = true;
        self.state.status = Status::Exited;
        Ok(())
    }

    pub fn mark_removing(&mut self) {
        self.state.status = Status::Removing;
    }

    /// The container cannot be used any more (its removal failed).
    pub fn mark_dead(&mut self, error: &str) {
        self.state.status = Status::Dead;
        self.state.pid = 0;
        self.state.error = error.to_string();
    }

    /// The `State` object of inspect.
    pub fn state_view(&self) -> ContainerState {
        let status = self.state.status;
        ContainerState {
            status: status.as_str().to_string(),
            running: matches!(status, Status::Running | Status::Paused),
            paused: status == Status::Paused,
            restarting: status == Status::Restarting,
            oom_killed: self.state.oom_killed,
            dead: status == Status::Dead,
            pid: self.state.pid,
            exit_code: self.state.exit_code,
            error: self.state.error.clone(),
            started_at: crate::gofmt::time::go_time(self.state.started_at),
            finished_at: crate::gofmt::time::go_time(self.state.finished_at),
            health: self.state.health.as_ref().map(HealthState::view),
        }
    }
}

pub fn container_dir(data_root: &Path, id: &str) -> PathBuf {
    data_root.join("containers").join(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ContainerRecord {
        ContainerRecord {
            id: "c".repeat(64),
            name: "x".to_string(),
            ..ContainerRecord::default()
        }
    }

    #[test]
    fn lifecycle() {
        let mut c = record();
        assert_eq!(c.status(), Status::Created);
        assert!(c.mark_exited(0, false, 1).is_err());
        c.mark_started(42, 10).unwrap();
        assert!(c.is_running() && c.has_been_started);
        assert!(c.mark_started(43, 11).is_err());
        c.mark_paused().unwrap();
        assert!(c.state_view().running && c.state_view().paused);
        assert!(c.mark_paused().is_err());
        c.mark_unpaused().unwrap();
        c.mark_exited(137, true, 20).unwrap();
        let view = c.state_view();
        assert_eq!(
            (
                view.status.as_str(),
                view.exit_code,
                view.oom_killed,
                view.pid
            ),
            ("exited", 137, true, 0)
        );
        assert!(view.finished_at.starts_with("1970-01-01T00:00:00.00000002"));
        c.mark_started(50, 30).unwrap();
        c.mark_restarting(1, 40).unwrap();
        assert_eq!((c.restart_count, c.state_view().restarting), (1, true));
        c.mark_started(51, 50).unwrap();
        assert_eq!(c.state.exit_code, 0);
        let err = record().mark_unpaused().unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("container {} cannot unpause while created", "c".repeat(64))
        );
    }

    #[test]
    fn never_started_shows_go_zero_times() {
        let view = record().state_view();
        assert_eq!(view.started_at, "0001-01-01T00:00:00Z");
        assert_eq!(view.status, "created");
    }

    #[test]
    fn round_trips_through_json() {
        let mut c = record();
        c.mark_started(7, 9).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"Status\":\"running\""));
        assert_eq!(serde_json::from_str::<ContainerRecord>(&json).unwrap(), c);
    }
}
