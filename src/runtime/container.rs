//! The container lifecycle as runc's command line drives it: create,
//! start, run, state, kill and delete, each an `impl Container` block.

use super::cgroups::CgroupManager;
use super::clone::{Cloned, clone_child, clone_child_into};
use super::hooks::{self, HookStage};
use super::init::{self, InitContext};
use super::mount_sources;
use super::namespaces::{NamespaceError, NamespacePlan, write_id_maps};
use super::prepare::{Security, open_cgroup, resources_with_default_devices};
use super::process::{PreparedProcess, ProcessError};
use super::seccomp::SeccompAgent;
use super::state::{self, State, StateDir, StateError, Status};
use super::sync::{Message, SyncSocket};
use oci_spec::runtime::{LinuxNamespaceType, Spec};
use serde::Serialize;
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Namespace(#[from] NamespaceError),
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Sync(#[from] super::sync::SyncError),
    #[error(transparent)]
    Console(#[from] super::console::ConsoleError),
    #[error(transparent)]
    SelfExe(#[from] super::selfexe::SelfExeError),
    #[error(transparent)]
    Cgroup(#[from] super::cgroups::CgroupError),
    #[error(transparent)]
    Capability(#[from] super::caps::CapError),
    #[error(transparent)]
    Seccomp(#[from] super::seccomp::SeccompError),
    #[error(transparent)]
    Hook(#[from] super::hooks::HookError),
    #[error(transparent)]
    SeccompAgent(#[from] super::seccomp::AgentError),
    #[error("{0}")]
    Spec(String),
    #[error("{op} {target}: {source}")]
    Os {
        op: &'static str,
        target: String,
        source: std::io::Error,
    },
    #[error("container not running")]
    NotRunning,
    #[error("no such process")]
    NoSuchProcess,
    #[error("cannot start a container that has stopped")]
    StartStopped,
    #[error("cannot start an already running container")]
    StartRunning,
    #[error("cannot start a container in the {0} state")]
    StartOther(&'static str),
    #[error("cannot delete container {id} that is not stopped: {status}")]
    DeleteNotStopped { id: String, status: &'static str },
    #[error("{0}")]
    Failed(String),
}

impl RuntimeError {
    pub(crate) fn os(op: &'static str, target: impl Into<String>) -> RuntimeError {
        RuntimeError::Os {
            op,
            target: target.into(),
            source: std::io::Error::last_os_error(),
        }
    }
}

/// Reads a bundle's config.json. Capability names this build does not
/// know are dropped with runc's warning instead of failing the parse.
pub fn load_spec(config: &Path) -> Result<Spec, RuntimeError> {
    let failed =
        |e: &dyn std::fmt::Display| RuntimeError::Spec(format!("{}: {e}", config.display()));
    let bytes = std::fs::read(config).map_err(|source| RuntimeError::Os {
        op: "read",
        target: config.display().to_string(),
        source,
    })?;
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| failed(&e))?;
    if let Some(process) = value.get_mut("process") {
        let unknown = super::caps::take_unknown_names(process);
        if !unknown.is_empty() {
            super::warn(&super::caps::unknown_names_warning(&unknown));
        }
    }
    serde_json::from_value(value).map_err(|e| failed(&e))
}

/// Flags of `create` and `run`.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub bundle: PathBuf,
    pub pid_file: Option<PathBuf>,
    pub console_socket: Option<PathBuf>,
    pub no_pivot: bool,
    pub no_new_keyring: bool,
    pub preserve_fds: u32,
    /// `run` in the foreground with process.terminal and no console
    /// socket: allocate the pty for the caller, who gets the master back
    /// (see [`Launched::console`]) and relays it, as runc does.
    pub own_terminal: bool,
}

/// What [`Container::run`] hands back.
#[derive(Debug)]
pub struct Launched {
    pub container: Container,
    /// Host pid of the init, our child: the caller may wait for it.
    pub pid: i32,
    /// The pty master when [`CreateOptions::own_terminal`] applied.
    pub console: Option<OwnedFd>,
}

/// A container known by its state directory.
#[derive(Debug)]
pub struct Container {
    pub id: String,
    pub dir: StateDir,
    pub state: Option<State>,
}

/// runc's `state` output; `list --format json` prints the same objects.
#[derive(Debug, Serialize)]
pub struct StateReport {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub id: String,
    pub pid: i32,
    pub status: &'static str,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub annotations: HashMap<String, String>,
    pub owner: String,
}

/// How a launch ends: `create` leaves the init waiting for `start`, `run`
/// lets it go on at once (no FIFO round trip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Launch {
    Create,
    Run,
}

impl Container {
    pub fn load(root: &Path, id: &str) -> Result<Container, RuntimeError> {
        let dir = StateDir::of(root, id)?;
        let state = dir.load()?;
        Ok(Container {
            id: id.to_string(),
            dir,
            state,
        })
    }

    pub fn status(&self) -> Status {
        let status = state::status_of(&self.dir, self.state.as_ref());
        if matches!(status, Status::Running | Status::Created) {
            let frozen = self.cgroup().and_then(|cgroup| cgroup.freezer_state().ok());
            if frozen.is_some_and(|state| state != super::cgroups::FreezerState::Thawed) {
                return Status::Paused;
            }
        }
        status
    }

    /// The manager of the cgroup recorded at create, if any.
    pub fn cgroup(&self) -> Option<Box<dyn CgroupManager>> {
        let paths = self.state.as_ref()?.cgroup_paths.clone()?;
        Some(super::cgroups::from_paths(paths))
    }

    pub fn report(&self) -> StateReport {
        let status = self.status();
        let state = self.state.as_ref();
        StateReport {
            oci_version: state.map(|s| s.oci_version.clone()).unwrap_or_default(),
            id: self.id.clone(),
            pid: match (status, state) {
                (Status::Stopped, _) | (_, None) => 0,
                (_, Some(state)) => state.pid,
            },
            status: status.as_str(),
            bundle: state.map(|s| s.bundle.clone()).unwrap_or_default(),
            rootfs: state.map(|s| s.rootfs.clone()).unwrap_or_default(),
            created: state.map(|s| s.created.clone()).unwrap_or_default(),
            annotations: state.map(|s| s.annotations.clone()).unwrap_or_default(),
            owner: String::new(),
        }
    }
}

/// Create.
impl Container {
    /// Sets the container up and leaves its init blocked before execve
    /// until [`Container::start`]. The pid file is written before return.
    pub fn create(
        root: &Path,
        id: &str,
        options: &CreateOptions,
    ) -> Result<Container, RuntimeError> {
        Ok(Container::launch(root, id, options, Launch::Create)?.container)
    }

    /// create + start in one go, without the exec FIFO round trip.
    pub fn run(root: &Path, id: &str, options: &CreateOptions) -> Result<Launched, RuntimeError> {
        Container::launch(root, id, options, Launch::Run)
    }

    fn launch(
        root: &Path,
        id: &str,
        options: &CreateOptions,
        launch: Launch,
    ) -> Result<Launched, RuntimeError> {
        state::validate_id(id)?;
        let bundle = std::fs::canonicalize(&options.bundle).map_err(|source| RuntimeError::Os {
            op: "open bundle",
            target: options.bundle.display().to_string(),
            source,
        })?;
        let config = bundle.join("config.json");
        let spec = load_spec(&config)?;
        super::debug(|| format!("container {id}: loaded {}", config.display()));
        let root_path = spec
            .root()
            .as_ref()
            .map(|r| r.path().clone())
            .ok_or_else(|| RuntimeError::Spec("config.json has no root.path".into()))?;
        let rootfs =
            std::fs::canonicalize(bundle.join(&root_path)).map_err(|source| RuntimeError::Os {
                op: "rootfs",
                target: bundle.join(&root_path).display().to_string(),
                source,
            })?;
        let plan = NamespacePlan::from_spec(&spec)?;
        let sysctl = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref());
        for key in sysctl.into_iter().flat_map(|map| map.keys()) {
            plan.check_sysctl(key)?;
        }
        let (extra_env, listen_fds) = listen_fds();
        let mut process = PreparedProcess::from_spec(&spec, &extra_env)?;
        let security = Security::from_spec(&spec)?;
        if let Some(hooks) = spec.hooks() {
            hooks::validate(hooks)?;
        }
        let cgroup = open_cgroup(&spec, id)?;
        if let Some(cgroup) = &cgroup {
            check_cgroup_unused(cgroup.as_ref())?;
        }
        let own_terminal = process.terminal
            && options.console_socket.is_none()
            && options.own_terminal
            && launch == Launch::Run;
        if own_terminal && process.console_size.is_none() {
            // Sized before the user's process starts, not after.
            process.console_size = super::console::caller_window_size();
        }
        if process.terminal && options.console_socket.is_none() && !own_terminal {
            return Err(RuntimeError::Spec(
                "cannot allocate tty if runc will detach without setting console socket".into(),
            ));
        }
        if !process.terminal && options.console_socket.is_some() {
            return Err(RuntimeError::Spec(
                "cannot use console socket if runc will not detach or allocate tty".into(),
            ));
        }
        if !plan.has(LinuxNamespaceType::Mount) && restricts_paths(&spec) {
            return Err(RuntimeError::Spec(
                "unable to restrict sys entries without a private MNT namespace".into(),
            ));
        }
        let notifies = security.seccomp.as_ref().is_some_and(|s| s.has_listener());
        let seccomp_agent = connect_seccomp_agent(&spec, notifies)?;
        let (console_socket, console_receiver) = if own_terminal {
            let (ours, theirs) = UnixStream::pair().map_err(|source| RuntimeError::Os {
                op: "socketpair",
                target: "console".into(),
                source,
            })?;
            (Some(theirs), Some(ours))
        } else {
            let socket = options
                .console_socket
                .as_deref()
                .map(super::console::connect)
                .transpose()?;
            (socket, None)
        };

        let dir = StateDir::claim(root, id)?;
        if let Some(seccomp) = &security.seccomp
            && let Err(error) =
                state::write_atomically(&dir.seccomp_path(), &seccomp.to_bytes(), 0o600)
        {
            let _ = dir.remove();
            return Err(error.into());
        }
        let mut container = Container {
            id: id.to_string(),
            dir,
            state: None,
        };
        let result = container.spawn(
            InitParts {
                spec,
                bundle,
                rootfs,
                process,
                plan,
                console_socket,
                seccomp_agent,
                extra_fds: listen_fds + options.preserve_fds as i32,
                security,
                cgroup: cgroup.as_deref(),
            },
            options,
            launch,
        );
        let pid = match result {
            Ok(pid) => pid,
            Err(error) => {
                if let Some(cgroup) = &cgroup {
                    let _ = cgroup.destroy();
                }
                let _ = container.dir.remove();
                return Err(error);
            }
        };
        super::debug(|| match launch {
            Launch::Create => format!("init {pid} is ready, blocked on the exec fifo"),
            Launch::Run => format!("init {pid} runs the container's process"),
        });
        // runc 1.1.5 runs poststart in `create`, once the init waits on the
        // fifo; a failure destroys the container (poststop included).
        let poststart_status = match launch {
            Launch::Create => oci_spec::runtime::ContainerState::Created,
            Launch::Run => oci_spec::runtime::ContainerState::Running,
        };
        if let Err(error) = container.run_runtime_hooks(HookStage::Poststart, poststart_status) {
            let _ = container.kill(libc::SIGKILL, false);
            reap(pid);
            let _ = container.delete(true);
            return Err(error.into());
        }
        // The init sent the master before it exec'd, so it is waiting here.
        let console = match console_receiver {
            Some(receiver) => match super::console::receive_fd(&receiver) {
                Ok(master) => Some(master),
                Err(error) => {
                    let _ = container.kill(libc::SIGKILL, false);
                    reap(pid);
                    let _ = container.dir.remove();
                    return Err(error.into());
                }
            },
            None => None,
        };
        Ok(Launched {
            container,
            pid,
            console,
        })
    }
}

/// What `launch` has parsed and opened, on its way into the init.
struct InitParts<'a> {
    spec: Spec,
    bundle: PathBuf,
    rootfs: PathBuf,
    process: PreparedProcess,
    plan: NamespacePlan,
    console_socket: Option<UnixStream>,
    seccomp_agent: Option<SeccompAgent>,
    extra_fds: i32,
    security: Security,
    cgroup: Option<&'a dyn CgroupManager>,
}

/// The connection to `linux.seccomp.listenerPath`, when the profile has
/// SCMP_ACT_NOTIFY rules (`notifies`): the init, or exec's new process,
/// sends the listener on it.
pub(super) fn connect_seccomp_agent(
    spec: &Spec,
    notifies: bool,
) -> Result<Option<SeccompAgent>, RuntimeError> {
    if !notifies {
        return Ok(None);
    }
    let profile = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref());
    let path = profile
        .and_then(|p| p.listener_path().as_ref())
        .filter(|path| !path.as_os_str().is_empty())
        .ok_or(super::seccomp::SeccompError::NoListenerPath)?;
    let metadata = profile.and_then(|p| p.listener_metadata().clone());
    Ok(Some(SeccompAgent::connect(path, metadata)?))
}

/// Masked or read-only paths are mounts over the container's view; without
/// a mount namespace they would cover the host's, so runc refuses them.
fn restricts_paths(spec: &Spec) -> bool {
    spec.linux().as_ref().is_some_and(|linux| {
        linux.masked_paths().as_ref().is_some_and(|p| !p.is_empty())
            || linux
                .readonly_paths()
                .as_ref()
                .is_some_and(|p| !p.is_empty())
    })
}

/// LISTEN_FDS as runc passes it on: only when LISTEN_PID names us, the fds
/// 3..3+N go to the container with LISTEN_FDS=N and LISTEN_PID=1.
fn listen_fds() -> (Vec<String>, i32) {
    let count: i32 = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let for_us = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|pid| pid.parse::<u32>().ok())
        == Some(std::process::id());
    if count > 0 && for_us {
        (
            vec![format!("LISTEN_FDS={count}"), "LISTEN_PID=1".to_string()],
            count,
        )
    } else {
        (Vec::new(), 0)
    }
}

impl Container {
    fn spawn(
        &mut self,
        parts: InitParts<'_>,
        options: &CreateOptions,
        launch: Launch,
    ) -> Result<i32, RuntimeError> {
        let exec_fifo = match launch {
            Launch::Create => Some(make_exec_fifo(&self.dir.fifo_path())?),
            Launch::Run => None,
        };
        let (parent_end, child_end) = SyncSocket::pair()?;
        let new_user_namespace = parts.plan.creates(LinuxNamespaceType::User);
        let mount_namespace = parts.plan.has(LinuxNamespaceType::Mount);
        let bind_sources =
            mount_sources::to_send(new_user_namespace, mount_namespace, &parts.spec)?;
        let creation_hooks = has_creation_hooks(&parts.spec);
        // Outside user namespaces the init moves itself into its cgroup
        // (see CgroupManager::enter), so the directories and limits come
        // first, and nobody waits for anybody.
        let self_placed = parts.cgroup.filter(|_| {
            !new_user_namespace
                && !parts.plan.joins_kind(LinuxNamespaceType::User)
                && !creation_hooks
        });
        if let Some(cgroup) = self_placed {
            cgroup.create()?;
            if let Some(resources) = resources_with_default_devices(&parts.spec) {
                cgroup.set(&resources)?;
            }
            super::debug(|| {
                let paths = cgroup.paths();
                let dirs: Vec<_> = paths.unified.iter().chain(paths.v1.values()).collect();
                format!("cgroup made and limited before the clone: {dirs:?}")
            });
        }
        let wait_for_parent = if new_user_namespace || creation_hooks {
            init::ParentWait::First
        } else if parts.cgroup.is_some() && self_placed.is_none() {
            init::ParentWait::BeforeProcess
        } else {
            init::ParentWait::Never
        };
        // A cgroup namespace made at clone time would be rooted at our
        // cgroup, not the container's: the init unshares it once inside.
        let mut flags = parts.plan.clone_flags;
        let unshare_cgroup_namespace = flags & libc::CLONE_NEWCGROUP != 0
            && parts.cgroup.is_some()
            && (self_placed.is_some() || wait_for_parent == init::ParentWait::First);
        if unshare_cgroup_namespace {
            flags &= !libc::CLONE_NEWCGROUP;
        }
        let unified_dir = self_placed.and_then(|cgroup| cgroup.v2_dir_fd());
        let unified_dir = unified_dir.as_ref().map(|fd| fd.as_fd());
        let mut context = InitContext {
            rootfs: parts.rootfs.clone(),
            no_pivot: options.no_pivot,
            new_user_namespace,
            wait_for_parent,
            cgroup_to_enter: self_placed.map(|cgroup| init::CgroupEntry {
                paths: cgroup.paths(),
                placed_in_unified: false,
            }),
            unshare_cgroup_namespace,
            mount_namespace,
            uts_namespace: parts.plan.has(LinuxNamespaceType::Uts),
            process: parts.process,
            sync: child_end,
            console_socket: parts.console_socket,
            exec_fifo,
            extra_fds: parts.extra_fds,
            session_keyring: (!options.no_new_keyring).then(|| format!("_ses.{}", self.id)),
            spec: parts.spec,
            capabilities: parts.security.capabilities,
            seccomp: parts.security.seccomp,
            seccomp_agent: parts.seccomp_agent,
            id: self.id.clone(),
            bundle: parts.bundle.clone(),
        };
        let mut pid = 0;
        super::debug(|| format!("cloning the init with namespace flags {flags:#x}"));
        if parts.plan.joins.is_empty() {
            let child = clone_child_into(flags, unified_dir)?;
            if child.pid == 0 {
                context.placed_by_clone(child.placed_in_cgroup);
                init::run(context);
            }
            pid = child.pid;
        } else {
            // setns(user) cannot be undone, so a helper joins and clones
            // the init as our child (CLONE_PARENT), reports its pid, exits.
            let helper = clone_child(0)?;
            if helper == 0 {
                let outcome = parts
                    .plan
                    .enter_joins()
                    .map_err(RuntimeError::from)
                    .and_then(|()| clone_child_into(flags | libc::CLONE_PARENT, unified_dir));
                match outcome {
                    Ok(Cloned {
                        pid: 0,
                        placed_in_cgroup,
                    }) => {
                        context.placed_by_clone(placed_in_cgroup);
                        init::run(context)
                    }
                    Ok(init) => {
                        let _ = context.sync.send(&Message::InitPid(init.pid));
                    }
                    Err(error) => {
                        let _ = context.sync.send(&Message::Failed(error.to_string()));
                    }
                }
                // SAFETY: leave the helper without running our atexit.
                unsafe { libc::_exit(0) };
            }
            reap(helper);
        }
        let InitContext {
            sync: child_end,
            console_socket,
            exec_fifo,
            spec,
            ..
        } = context;
        drop((child_end, console_socket, exec_fifo));
        let outcome = self.follow_init(
            &parent_end,
            &mut pid,
            Parent {
                new_user_namespace,
                bind_sources: &bind_sources,
                spec: &spec,
                bundle: &parts.bundle,
                cgroup: parts.cgroup.filter(|_| self_placed.is_none()),
            },
            launch,
        );
        if let Err(error) = outcome {
            if pid > 0 {
                // SAFETY: the init is our child; kill and reap it.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                reap(pid);
            }
            return Err(error);
        }
        let (start_time, _) = state::proc_stat(pid).unwrap_or((0, true));
        let state = State {
            id: self.id.clone(),
            pid,
            start_time,
            bundle: parts.bundle,
            rootfs: parts.rootfs,
            created: crate::gofmt::time::rfc3339_nano(std::time::SystemTime::now()),
            annotations: spec.annotations().clone().unwrap_or_default(),
            oci_version: spec.version().clone(),
            own_pid_namespace: parts.plan.clone_flags & libc::CLONE_NEWPID != 0,
            host_pid_namespace: !parts.plan.creates(LinuxNamespaceType::Pid)
                && !parts.plan.joins_kind(LinuxNamespaceType::Pid),
            cgroup_paths: parts.cgroup.map(|cgroup| cgroup.paths()),
        };
        self.dir.save(&state)?;
        if let Some(pid_file) = &options.pid_file {
            state::write_atomically(pid_file, pid.to_string().as_bytes(), 0o644)?;
        }
        self.state = Some(state);
        Ok(pid)
    }

    /// Reads the init's messages until it is ready (create) or has
    /// exec'd (run: the close-on-exec socket reaches end-of-file).
    fn follow_init(
        &self,
        sync: &SyncSocket,
        pid: &mut i32,
        parent: Parent<'_>,
        launch: Launch,
    ) -> Result<(), RuntimeError> {
        // The init waits for us only when we have work to do for it: each
        // round trip costs a scheduler wake-up on a loaded machine.
        let mut released = !parent_step_needed(parent.new_user_namespace, parent.cgroup.is_some());
        // The helper and the init write to one socket: an init that need
        // not wait for us may report before the helper has said its pid.
        let mut early: Option<Message> = None;
        loop {
            if *pid > 0 && !released {
                super::debug(|| format!("init {pid} waits for the parent's step"));
                if parent.new_user_namespace {
                    write_id_maps(*pid, parent.spec)?;
                }
                if !parent.bind_sources.is_empty() {
                    mount_sources::send_to_init(*pid, parent.bind_sources, sync)?;
                }
                if let Some(cgroup) = parent.cgroup {
                    // Limits first, then the init: it may be setting up its
                    // rootfs meanwhile, and must never see the device rules
                    // half written (deny all, then the allowed ones).
                    cgroup.create()?;
                    if let Some(resources) = resources_with_default_devices(parent.spec) {
                        cgroup.set(&resources)?;
                    }
                    cgroup.apply(*pid)?;
                }
                // The namespaces exist and the init is in its cgroup, but
                // nothing of the user's has run: where the runtime-side
                // creation hooks belong.
                if let Some(hooks) = parent.spec.hooks() {
                    let state = hooks::container_state(
                        &self.id,
                        oci_spec::runtime::ContainerState::Creating,
                        Some(*pid),
                        parent.bundle,
                        parent.spec.annotations().as_ref(),
                    );
                    for stage in [HookStage::Prestart, HookStage::CreateRuntime] {
                        hooks::run_stage(stage, Some(hooks), &state, |_| {})?;
                    }
                }
                if let Err(error) = sync.send(&Message::Proceed) {
                    // An init that failed before it read the go-ahead has
                    // said why.
                    if let Ok(Some(Message::Failed(text))) = sync.receive() {
                        return Err(RuntimeError::Failed(text));
                    }
                    return Err(error.into());
                }
                released = true;
                super::debug(|| format!("init {pid} released by the parent"));
            }
            if *pid == 0 {
                match sync.receive()? {
                    Some(Message::InitPid(init_pid)) => {
                        super::debug(|| {
                            format!("namespace helper cloned the init: pid {init_pid}")
                        });
                        *pid = init_pid
                    }
                    Some(Message::Failed(text)) => return Err(RuntimeError::Failed(text)),
                    Some(Message::Ready) if released && early.is_none() => {
                        early = Some(Message::Ready);
                    }
                    other => {
                        return Err(RuntimeError::Failed(format!(
                            "namespace helper: unexpected {other:?}"
                        )));
                    }
                }
                continue;
            }
            super::debug(|| format!("waiting for init {pid} to set up and report"));
            let report = match early.take() {
                Some(message) => Some(message),
                None => sync.receive()?,
            };
            return match (report, launch) {
                (Some(Message::Ready), Launch::Create) => Ok(()),
                (None, Launch::Run) => Ok(()),
                (Some(Message::Failed(text)), _) => Err(RuntimeError::Failed(text)),
                (None, Launch::Create) => Err(RuntimeError::Failed(
                    "container init exited prematurely".into(),
                )),
                (other, _) => Err(RuntimeError::Failed(format!(
                    "container init: unexpected {other:?}"
                ))),
            };
        }
    }
}

/// As runc 1.1.5 before it claims the id: a cgroup that already holds
/// processes is used all the same, with a warning; a frozen one is
/// refused, since it would freeze the init before it could report.
/// A cgroup that does not exist yet reads as neither.
fn check_cgroup_unused(cgroup: &dyn CgroupManager) -> Result<(), RuntimeError> {
    if let Ok(pids) = cgroup.pids()
        && !pids.is_empty()
    {
        super::warn(&format!(
            "container's cgroup is not empty: {} process(es) found",
            pids.len()
        ));
    }
    if let Ok(super::cgroups::FreezerState::Frozen) = cgroup.freezer_state() {
        return Err(RuntimeError::Failed(
            "container's cgroup unexpectedly frozen".into(),
        ));
    }
    Ok(())
}

/// What the parent does for the init before it lets it go on.
struct Parent<'a> {
    new_user_namespace: bool,
    /// Bind sources the init may not reach: we open them for it.
    bind_sources: &'a [mount_sources::BindSource],
    spec: &'a Spec,
    bundle: &'a Path,
    cgroup: Option<&'a dyn CgroupManager>,
}

/// prestart and createRuntime hooks run before pivot_root, so the init
/// waits for them first.
fn has_creation_hooks(spec: &Spec) -> bool {
    spec.hooks().as_ref().is_some_and(|hooks| {
        [HookStage::Prestart, HookStage::CreateRuntime]
            .iter()
            .any(|stage| !stage.hooks_in(hooks).is_empty())
    })
}

/// Whether the init must wait for the parent's `Proceed` at some point:
/// id maps to write, or a cgroup to join before anything of the user's runs.
pub(crate) fn parent_step_needed(new_user_namespace: bool, cgroup: bool) -> bool {
    new_user_namespace || cgroup
}

fn make_exec_fifo(path: &Path) -> Result<OwnedFd, RuntimeError> {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| RuntimeError::Spec("state path has a NUL byte".into()))?;
    // SAFETY: the path is NUL-terminated. The mode lets a non-root init
    // open it for writing.
    if unsafe { libc::mkfifo(c_path.as_ptr(), 0o622) } != 0 {
        return Err(RuntimeError::os("mkfifo", path.display().to_string()));
    }
    // mkfifo honours the umask: set the mode again.
    // SAFETY: the path is NUL-terminated.
    unsafe { libc::chmod(c_path.as_ptr(), 0o622) };
    // SAFETY: the path is NUL-terminated.
    let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(RuntimeError::os("open", path.display().to_string()));
    }
    // SAFETY: fresh fd that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// waitpid, retried on EINTR; returns the raw wait status.
pub fn reap(pid: i32) -> Option<i32> {
    let mut status = 0;
    loop {
        // SAFETY: status is writable.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc == pid {
            return Some(status);
        }
        if rc < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// The shell convention for a wait status: the exit code, or 128+signal.
pub fn exit_code(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        255
    }
}

/// A pidfd, to wait for a process that is not our child.
pub(crate) fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: plain syscall; the fd is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: fresh fd that we own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Waits up to `timeout_ms` for the process behind `pidfd` to exit.
pub(crate) fn wait_pidfd(pidfd: &OwnedFd, timeout_ms: i32) -> bool {
    let mut poll = libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut poll, 1, timeout_ms) };
        if rc >= 0 {
            return rc > 0;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}
