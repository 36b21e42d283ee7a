//! The daemon's exec instances, kept as files beside the exec root so that
//! they outlive a daemon restart: `execs/<container>/<exec>.json` (what
//! the create asked for), `<exec>.started` (made once, by the one start
//! that wins), and `<exec>.state.json`, the record the container's shim
//! keeps of the running process (pid, running, exit code). Also the OCI
//! process an exec runs as, built from the container's spec, and its
//! launch through the shim, which the exec routes and the health monitor
//! share.

use super::files::bundle_dir;
use super::record::{ContainerRecord, Status};
use crate::api::ApiError;
use crate::api::exec::{ExecConfig, ExecInspect, ExecProcessConfig};
use crate::daemon::state::Daemon;
use crate::shim::protocol::{self, ExecRecord, ExecRequest, Request};
use oci_spec::runtime::{
    BoxBuilder, Capability, LinuxCapabilitiesBuilder, Process, Spec, UserBuilder,
};
use serde::{Deserialize, Serialize};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the create stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredExec {
    pub id: String,
    pub container_id: String,
    pub config: ExecConfig,
}

impl StoredExec {
    fn dir(daemon: &Daemon, container_id: &str) -> PathBuf {
        daemon.config().exec_root.join("execs").join(container_id)
    }

    fn path(&self, daemon: &Daemon, suffix: &str) -> PathBuf {
        Self::dir(daemon, &self.container_id).join(format!("{}{suffix}", self.id))
    }

    /// Where the shim keeps its record of the process.
    pub fn record_path(&self, daemon: &Daemon) -> PathBuf {
        self.path(daemon, ".state.json")
    }

    pub fn save(&self, daemon: &Daemon) -> Result<(), ApiError> {
        let dir = Self::dir(daemon, &self.container_id);
        std::fs::create_dir_all(&dir).map_err(|e| {
            ApiError::internal(format!("create the exec directory {}: {e}", dir.display()))
        })?;
        let path = self.path(daemon, ".json");
        let bytes = serde_json::to_vec(self)
            .map_err(|e| ApiError::internal(format!("encode exec {}: {e}", self.id)))?;
        std::fs::write(&path, bytes)
            .map_err(|e| ApiError::internal(format!("write {}: {e}", path.display())))
    }

    /// Finds exec `id` among every container's.
    pub fn find(daemon: &Daemon, id: &str) -> Result<StoredExec, ApiError> {
        let missing = || ApiError::not_found(format!("No such exec instance: {id}"));
        if id.is_empty() || id.contains('/') || id.contains('.') {
            return Err(missing());
        }
        let root = daemon.config().exec_root.join("execs");
        let entries = std::fs::read_dir(&root).map_err(|_| missing())?;
        for entry in entries.flatten() {
            let path = entry.path().join(format!("{id}.json"));
            if let Ok(bytes) = std::fs::read(&path) {
                return serde_json::from_slice(&bytes)
                    .map_err(|e| ApiError::internal(format!("read {}: {e}", path.display())));
            }
        }
        Err(missing())
    }

    /// Claims the one start of this exec; false when it was started before.
    pub fn claim_start(&self, daemon: &Daemon) -> bool {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.path(daemon, ".started"))
            .is_ok()
    }

    pub fn record(&self, daemon: &Daemon) -> Option<ExecRecord> {
        crate::shim::exec::read_record(&self.record_path(daemon))
    }

    /// Records an exit the shim could not (a process that never started).
    pub fn record_failure(&self, daemon: &Daemon, code: i32) {
        let record = ExecRecord {
            pid: 0,
            running: false,
            exit_code: Some(code),
        };
        let _ = crate::shim::exec::write_record(&self.record_path(daemon), &record);
    }

    /// Forgets this exec (a finished health probe).
    pub fn remove(&self, daemon: &Daemon) {
        for suffix in [".json", ".started", ".state.json"] {
            let _ = std::fs::remove_file(self.path(daemon, suffix));
        }
    }

    /// Removes a container's execs with the container.
    pub fn remove_all(daemon: &Daemon, container_id: &str) {
        let _ = std::fs::remove_dir_all(Self::dir(daemon, container_id));
    }

    /// The command as moby's events name it: `exec_start: sh -c true`.
    pub fn command_line(&self) -> String {
        self.config.cmd.clone().unwrap_or_default().join(" ")
    }

    pub fn inspect(&self, daemon: &Daemon) -> ExecInspect {
        let record = self.record(daemon).unwrap_or_default();
        let cmd = self.config.cmd.clone().unwrap_or_default();
        let (entrypoint, arguments) = match cmd.split_first() {
            Some((first, rest)) => (first.clone(), rest.to_vec()),
            None => (String::new(), Vec::new()),
        };
        ExecInspect {
            id: self.id.clone(),
            running: record.running,
            exit_code: record.exit_code,
            process_config: ExecProcessConfig {
                tty: self.config.tty,
                entrypoint,
                arguments,
                privileged: self.config.privileged,
                user: self.config.user.clone(),
            },
            open_stdin: self.config.attach_stdin,
            open_stderr: self.config.attach_stderr,
            open_stdout: self.config.attach_stdout,
            can_remove: false,
            container_id: self.container_id.clone(),
            detach_keys: self.config.detach_keys.clone(),
            pid: record.pid,
        }
    }
}

/// Why an exec did not start, worded as moby words it.
pub enum LaunchFailure {
    /// Before the runtime: the user, the spec.
    Setup(String),
    /// The runtime's (or the shim's) refusal.
    Runtime(String),
}

impl LaunchFailure {
    pub fn exit_code(&self) -> i32 {
        START_FAILURE_CODE
    }
}

impl std::fmt::Display for LaunchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaunchFailure::Setup(message) => f.write_str(message),
            LaunchFailure::Runtime(message) => {
                write!(
                    f,
                    "OCI runtime exec failed: exec failed: {message}: unknown"
                )
            }
        }
    }
}

/// Asks the container's shim to start the exec on a connection of its
/// own, which then carries the process's stdio.
pub fn launch(
    daemon: &Daemon,
    stored: &StoredExec,
    stdin: bool,
) -> Result<UnixStream, LaunchFailure> {
    let record = daemon
        .find_container(&stored.container_id)
        .map_err(|e| LaunchFailure::Setup(e.message))?;
    let spec = load_spec(&bundle_dir(daemon, &record.id)).map_err(LaunchFailure::Setup)?;
    let process = exec_process(&record, &spec, &stored.config).map_err(LaunchFailure::Setup)?;
    let request = Request::Exec(Box::new(ExecRequest {
        id: stored.id.clone(),
        process,
        stdin: stdin || stored.config.tty,
        record: stored.record_path(daemon),
    }));
    let mut connection = super::shim_requests::connect(daemon, &record.id, false)
        .map_err(|e| LaunchFailure::Setup(format!("connect to the shim of {}: {e}", record.id)))?;
    match protocol::call(&mut connection, 1, &request) {
        Ok(protocol::Reply::ExecStarted { .. }) => Ok(connection),
        Ok(protocol::Reply::Error { message }) => Err(LaunchFailure::Runtime(message)),
        Ok(other) => Err(LaunchFailure::Setup(format!("the shim answered {other:?}"))),
        Err(error) => Err(LaunchFailure::Setup(format!("start the exec: {error}"))),
    }
}

/// moby's refusal to exec into a container that is not running; a
/// paused one is named as the client named it (`asked`).
pub fn check_running(record: &ContainerRecord, asked: &str) -> Result<(), ApiError> {
    let id = &record.id;
    match record.state.status {
        Status::Running => Ok(()),
        Status::Paused => Err(ApiError::conflict(format!(
            "Container {asked} is paused, unpause the container before exec"
        ))),
        Status::Restarting => Err(ApiError::conflict(format!(
            "Container {id} is restarting, wait until the container is running"
        ))),
        _ => Err(ApiError::conflict(format!("Container {id} is not running"))),
    }
}

/// The exit code dockerd 20.10 records for an exec whose process could
/// not start, whatever the reason (a missing command included).
pub const START_FAILURE_CODE: i32 = 126;

/// The process of the exec: the container's own process (capabilities,
/// rlimits, no_new_privileges, user), with the exec's command, terminal,
/// user, working directory and environment as moby merges it.
pub fn exec_process(
    record: &ContainerRecord,
    spec: &Spec,
    config: &ExecConfig,
) -> Result<Process, String> {
    let mut process = spec
        .process()
        .clone()
        .ok_or("the container's spec has no process")?;
    process.set_args(config.cmd.clone());
    process.set_terminal(Some(config.tty));
    let console = match config.console_size {
        Some([height, width]) if config.tty && (height, width) != (0, 0) => Some(
            BoxBuilder::default()
                .height(u32::from(height))
                .width(u32::from(width))
                .build()
                .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    process.set_console_size(console);
    if !config.working_dir.is_empty() {
        process.set_cwd(PathBuf::from(&config.working_dir));
    }
    let rootfs = spec
        .root()
        .as_ref()
        .map(|root| root.path().clone())
        .unwrap_or_default();
    let user_spec = if config.user.is_empty() {
        &record.config.user
    } else {
        &config.user
    };
    let group_add = record.host_config.group_add.clone().unwrap_or_default();
    let user = super::user::resolve_in_rootfs(&rootfs, user_spec, &group_add)
        .map_err(|e| e.to_string())?;
    process.set_user(
        UserBuilder::default()
            .uid(user.uid)
            .gid(user.gid)
            .additional_gids(user.additional_gids.clone())
            .build()
            .map_err(|e| e.to_string())?,
    );
    let mut env = exec_environment(record, config.tty, &user.home);
    for var in config.env.iter().flatten() {
        let key = var.split('=').next().unwrap_or("");
        match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(slot) => *slot = var.clone(),
            None => env.push(var.clone()),
        }
    }
    process.set_env(Some(env));
    if config.privileged {
        process.set_capabilities(Some(privileged_capabilities()?));
    }
    Ok(process)
}

/// The container's environment, with TERM for the exec's own terminal
/// (not the container's).
fn exec_environment(record: &ContainerRecord, tty: bool, home: &str) -> Vec<String> {
    let mut env = super::spec::environment(record, home);
    let container_term = record.config.tty && !record_sets(record, "TERM");
    if container_term && !tty {
        env.retain(|e| e != "TERM=xterm");
    }
    if tty && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.insert(2.min(env.len()), "TERM=xterm".into());
    }
    env
}

fn record_sets(record: &ContainerRecord, key: &str) -> bool {
    record
        .config
        .env
        .iter()
        .flatten()
        .any(|e| e.split('=').next() == Some(key))
}

/// Every capability the daemon has, for `--privileged` on this exec only;
/// the inheritable and ambient sets stay empty, as Docker leaves them.
fn privileged_capabilities() -> Result<oci_spec::runtime::LinuxCapabilities, String> {
    let set: oci_spec::runtime::Capabilities = super::caps::own_bounding_set()
        .iter()
        .filter_map(|name| Capability::from_str(name.strip_prefix("CAP_")?).ok())
        .collect();
    let mut capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .build()
        .map_err(|e| e.to_string())?;
    capabilities.set_inheritable(None);
    capabilities.set_ambient(None);
    Ok(capabilities)
}

/// The container's spec, as the daemon wrote it into the bundle.
pub fn load_spec(bundle: &Path) -> Result<Spec, String> {
    let path = bundle.join("config.json");
    Spec::load(&path).map_err(|e| format!("load {}: {e}", path.display()))
}
