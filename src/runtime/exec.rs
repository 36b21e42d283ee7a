//! `runc exec`: a new process in a living container. It joins the init's
//! namespaces and cgroup, and gets the container's capabilities (or the
//! ones given), the seccomp program compiled at create (loaded from the
//! state directory, not compiled again) and the process's rlimits.
//!
//! A helper forked from us joins the cgroup (host paths still resolve),
//! then the namespaces, and clones the process with CLONE_PARENT so that
//! it is our child (we wait for it) and is born in the pid namespace.

use super::caps::CapabilityPlan;
use super::cgroups::SubCgroups;
use super::clone::{clone_child, clone_child_into};
use super::container::{Container, RuntimeError, reap};
use super::fds::{KeptFds, close_all_but};
use super::init::{reset_signals, switch_user};
use super::process::PreparedProcess;
use super::seccomp::CompiledSeccomp;
use super::seccomp::SeccompAgent;
use super::state::{self, Status};
use super::sync::{Message, SyncSocket};
use oci_spec::runtime::Process;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Flags of `exec`, the process already built from `--process` or the
/// command line.
#[derive(Debug)]
pub struct ExecOptions {
    pub process: Process,
    pub console_socket: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    pub preserve_fds: u32,
    /// A terminal without a console socket in the foreground: the caller
    /// gets the pty master and relays it.
    pub own_terminal: bool,
    /// `--ignore-paused`: exec into a frozen container anyway; the process
    /// starts (and the command returns) once it is resumed.
    pub ignore_paused: bool,
    /// `--cgroup`: existing sub-cgroups to join instead of the container's.
    pub sub_cgroups: SubCgroups,
}

/// What [`Container::exec`] hands back.
#[derive(Debug)]
pub struct Executed {
    /// Host pid of the new process, our child.
    pub pid: i32,
    pub console: Option<OwnedFd>,
}

/// Namespaces in the order they are joined: the user namespace first (it
/// owns the others), the mount namespace late (it changes our root).
const NAMESPACES: &[(&str, libc::c_int)] = &[
    ("user", libc::CLONE_NEWUSER),
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("net", libc::CLONE_NEWNET),
    ("pid", libc::CLONE_NEWPID),
    ("cgroup", libc::CLONE_NEWCGROUP),
    ("mnt", libc::CLONE_NEWNS),
];

/// The init's namespaces that differ from ours, opened.
fn open_namespaces(pid: i32) -> Result<Vec<(OwnedFd, libc::c_int)>, RuntimeError> {
    let mut opened = Vec::new();
    for (name, flag) in NAMESPACES {
        let theirs = format!("/proc/{pid}/ns/{name}");
        let (Ok(their_meta), Ok(our_meta)) = (
            std::fs::metadata(&theirs),
            std::fs::metadata(format!("/proc/self/ns/{name}")),
        ) else {
            continue;
        };
        if their_meta.ino() == our_meta.ino() && their_meta.dev() == our_meta.dev() {
            continue;
        }
        let file = std::fs::File::open(&theirs).map_err(|source| RuntimeError::Os {
            op: "open",
            target: theirs.clone(),
            source,
        })?;
        opened.push((OwnedFd::from(file), *flag));
    }
    Ok(opened)
}

impl Container {
    pub fn exec(&self, options: &ExecOptions) -> Result<Executed, RuntimeError> {
        let state = match self.status() {
            Status::Running | Status::Created => self.state.as_ref().expect("has state"),
            Status::Paused if options.ignore_paused => self.state.as_ref().expect("has state"),
            Status::Paused => {
                return Err(RuntimeError::Failed(
                    "cannot exec in a paused container (use --ignore-paused to override)".into(),
                ));
            }
            _ => {
                return Err(RuntimeError::Failed(
                    "cannot exec in a stopped container".into(),
                ));
            }
        };
        let config = state.bundle.join("config.json");
        let mut spec = super::container::load_spec(&config)?;
        spec.set_process(Some(options.process.clone()));
        let mut process = PreparedProcess::from_spec(&spec, &[])?;
        process.hostname = None;
        process.domainname = None;
        process.sysctl.clear();
        if process.terminal && options.console_socket.is_none() && !options.own_terminal {
            return Err(RuntimeError::Spec(
                "cannot allocate tty if runc will detach without setting console socket".into(),
            ));
        }
        if !process.terminal && options.console_socket.is_some() {
            return Err(RuntimeError::Spec(
                "cannot use console socket if runc will not detach or allocate tty".into(),
            ));
        }
        if process.terminal && options.own_terminal && process.console_size.is_none() {
            process.console_size = super::console::caller_window_size();
        }
        super::prepare::refuse_unsupported_labels(Some(&options.process))?;
        let capabilities = options
            .process
            .capabilities()
            .as_ref()
            .map(CapabilityPlan::new)
            .transpose()?;
        let seccomp = match std::fs::read(self.dir.seccomp_path()) {
            Ok(bytes) => Some(CompiledSeccomp::from_bytes(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(RuntimeError::Os {
                    op: "read",
                    target: self.dir.seccomp_path().display().to_string(),
                    source,
                });
            }
        };
        let notifies = seccomp.as_ref().is_some_and(CompiledSeccomp::has_listener);
        let seccomp_agent = super::container::connect_seccomp_agent(&spec, notifies)?
            .map(|agent| ExecAgent::new(agent, &self.id, state))
            .transpose()?;
        let cgroup = self.exec_cgroup(&options.sub_cgroups)?;
        let namespaces = open_namespaces(state.pid)?;
        let (console_socket, console_receiver) = match (process.terminal, &options.console_socket) {
            (false, _) => (None, None),
            (true, Some(path)) => (Some(super::console::connect(path)?), None),
            (true, None) => {
                let (ours, theirs) = UnixStream::pair().map_err(|source| RuntimeError::Os {
                    op: "socketpair",
                    target: "console".into(),
                    source,
                })?;
                (Some(theirs), Some(ours))
            }
        };
        let (parent_end, child_end) = SyncSocket::pair()?;
        let setup = ExecSetup {
            process,
            capabilities,
            seccomp,
            seccomp_agent,
            console_socket,
            extra_fds: options.preserve_fds as i32,
        };

        // The helper is born in the unified directory where clone3 can, and
        // enters the v1 ones itself: both skip the slow cgroup.procs path.
        let unified_dir = cgroup.as_ref().and_then(|cgroup| cgroup.v2_dir_fd());
        let helper = clone_child_into(0, unified_dir.as_ref().map(|fd| fd.as_fd()))?;
        if helper.pid == 0 {
            let outcome = (|| -> Result<i32, String> {
                if let Some(cgroup) = &cgroup {
                    if !options.sub_cgroups.is_empty() {
                        // SAFETY: getpid cannot fail.
                        let helper_pid = unsafe { libc::getpid() };
                        super::cgroups::check_joinable(&cgroup.paths(), helper_pid)
                            .map_err(|e| e.to_string())?;
                    }
                    cgroup
                        .enter(helper.placed_in_cgroup)
                        .map_err(|e| e.to_string())?;
                }
                for (fd, flag) in &namespaces {
                    // SAFETY: setns on an fd we opened.
                    if unsafe { libc::setns(fd.as_raw_fd(), *flag) } != 0 {
                        return Err(format!(
                            "setns {flag:#x}: {}",
                            std::io::Error::last_os_error()
                        ));
                    }
                }
                clone_child(libc::CLONE_PARENT).map_err(|e| e.to_string())
            })();
            match outcome {
                Ok(0) => {
                    drop(namespaces);
                    let error = match setup.become_process(child_end.as_raw_fd()) {
                        Ok(error) | Err(error) => error,
                    };
                    // The caller says "exec failed"; this is runc's inner part.
                    let text = format!("unable to start container process: {error}");
                    if child_end.send(&Message::Failed(text.clone())).is_err() {
                        eprintln!("{text}");
                    }
                }
                Ok(pid) => {
                    let _ = child_end.send(&Message::InitPid(pid));
                }
                Err(error) => {
                    let _ = child_end.send(&Message::Failed(error));
                }
            }
            // SAFETY: leave without running the parent's atexit handlers.
            unsafe { libc::_exit(1) };
        }
        drop(child_end);
        drop(setup);
        reap(helper.pid);
        let pid = match parent_end.receive()? {
            Some(Message::InitPid(pid)) => pid,
            Some(Message::Failed(text)) => return Err(RuntimeError::Failed(text)),
            other => {
                return Err(RuntimeError::Failed(format!(
                    "exec helper: unexpected {other:?}"
                )));
            }
        };
        let fail = |error: RuntimeError| {
            // SAFETY: our child; kill and reap it.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            reap(pid);
            error
        };
        match parent_end.receive() {
            Ok(None) => {}
            Ok(Some(Message::Failed(text))) => {
                reap(pid);
                return Err(RuntimeError::Failed(text));
            }
            Ok(other) => {
                return Err(fail(RuntimeError::Failed(format!(
                    "exec: unexpected {other:?}"
                ))));
            }
            Err(error) => return Err(fail(error.into())),
        }
        let console = match console_receiver {
            Some(receiver) => {
                Some(super::console::receive_fd(&receiver).map_err(|e| fail(e.into()))?)
            }
            None => None,
        };
        if let Some(pid_file) = &options.pid_file {
            state::write_atomically(pid_file, pid.to_string().as_bytes(), 0o644)
                .map_err(|e| fail(e.into()))?;
        }
        Ok(Executed { pid, console })
    }
}

impl Container {
    /// The cgroup an exec'd process joins: the container's, or the
    /// `--cgroup` sub-cgroups below it.
    fn exec_cgroup(
        &self,
        sub_cgroups: &SubCgroups,
    ) -> Result<Option<Box<dyn super::cgroups::CgroupManager>>, RuntimeError> {
        let paths = self.state.as_ref().and_then(|s| s.cgroup_paths.clone());
        match paths {
            None if sub_cgroups.is_empty() => Ok(None),
            None => Err(RuntimeError::Failed(
                "--cgroup: the container has no cgroup".into(),
            )),
            Some(paths) => Ok(Some(super::cgroups::from_paths(
                sub_cgroups.apply_to(&paths)?,
            ))),
        }
    }
}

/// What the new process applies to itself, in the container's namespaces.
struct ExecSetup {
    process: PreparedProcess,
    capabilities: Option<CapabilityPlan>,
    seccomp: Option<CompiledSeccomp>,
    seccomp_agent: Option<ExecAgent>,
    console_socket: Option<UnixStream>,
    extra_fds: i32,
}

/// The seccomp agent exec's new process hands its listener to, as runc
/// does: the container's state ("running", the init's pid) and the new
/// process's pid as the runtime sees it.
struct ExecAgent {
    agent: SeccompAgent,
    state: oci_spec::runtime::State,
    /// The runtime's /proc: in the container's mount namespace, its
    /// `self` still names the new process by the runtime's pid.
    runtime_proc: OwnedFd,
}

impl ExecAgent {
    fn new(
        agent: SeccompAgent,
        id: &str,
        container: &state::State,
    ) -> Result<ExecAgent, RuntimeError> {
        let runtime_proc = std::fs::File::open("/proc").map_err(|source| RuntimeError::Os {
            op: "open",
            target: "/proc".into(),
            source,
        })?;
        Ok(ExecAgent {
            agent,
            state: super::hooks::container_state(
                id,
                oci_spec::runtime::ContainerState::Running,
                Some(container.pid),
                &container.bundle,
                Some(&container.annotations),
            ),
            runtime_proc: runtime_proc.into(),
        })
    }

    /// With our pid read, the runtime's /proc closed.
    fn ready(self) -> Result<ReadyAgent, String> {
        Ok(ReadyAgent {
            pid: self.own_pid()?,
            agent: self.agent,
            state: self.state,
        })
    }

    /// Our pid in the runtime's pid namespace.
    fn own_pid(&self) -> Result<i32, String> {
        let mut buffer = [0u8; 32];
        // SAFETY: readlinkat into a local buffer of the given size.
        let length = unsafe {
            libc::readlinkat(
                self.runtime_proc.as_raw_fd(),
                c"self".as_ptr(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
            )
        };
        let text = usize::try_from(length)
            .ok()
            .and_then(|length| std::str::from_utf8(&buffer[..length]).ok());
        text.and_then(|text| text.parse().ok()).ok_or_else(|| {
            format!(
                "readlink /proc/self (the runtime's): {}",
                std::io::Error::last_os_error()
            )
        })
    }
}

impl ExecSetup {
    /// Returns only with the error that stopped it. Like the init, it first
    /// drops every fd but stdio, the --preserve-fds ones and `sync`, and
    /// enters the cwd before any seccomp filter.
    fn become_process(mut self, sync: RawFd) -> Result<String, String> {
        let console_socket = self.console_socket.take();
        // The runtime's /proc is read and closed before the fds are.
        let mut seccomp_agent = match self.seccomp_agent.take() {
            Some(exec_agent) => Some(exec_agent.ready()?),
            None => None,
        };
        let agent_socket = seccomp_agent.as_ref().map(|ready| ready.agent.as_raw_fd());
        let internal: Vec<RawFd> = [
            Some(sync),
            console_socket.as_ref().map(AsRawFd::as_raw_fd),
            agent_socket,
        ]
        .into_iter()
        .flatten()
        .collect();
        close_all_but(KeptFds {
            passed: self.extra_fds,
            internal: &internal,
        })?;
        let process = &self.process;
        // SAFETY: a fresh child is no group leader, so setsid succeeds.
        unsafe { libc::setsid() };
        if let Some(socket) = console_socket {
            let pty = super::console::open_pty(process.console_size).map_err(|e| e.to_string())?;
            super::console::send_fd(socket.as_raw_fd(), "/dev/ptmx", pty.master.as_raw_fd())
                .map_err(|e| e.to_string())?;
            super::console::attach_slave(&pty).map_err(|e| e.to_string())?;
        }
        process.apply_limits().map_err(|e| e.to_string())?;
        reset_signals();
        let cwd_entered = process.enter_cwd_as_root().map_err(|e| e.to_string())?;
        let seccomp_last = process.no_new_privileges;
        if let (Some(seccomp), false) = (&self.seccomp, seccomp_last) {
            install_seccomp(seccomp, seccomp_agent.take())?;
        }
        switch_user(process, self.capabilities.as_ref())?;
        if !cwd_entered {
            process.enter_cwd().map_err(|e| e.to_string())?;
        }
        let executable = process.find_executable().map_err(|e| e.to_string())?;
        let home = process.home_env();
        if let (Some(seccomp), true) = (&self.seccomp, seccomp_last) {
            install_seccomp(seccomp, seccomp_agent.take())?;
        }
        Ok(process.exec(&executable, home.as_ref()).to_string())
    }
}

/// An [`ExecAgent`] in the new process, which knows its runtime pid.
struct ReadyAgent {
    pid: i32,
    agent: SeccompAgent,
    state: oci_spec::runtime::State,
}

/// Loads the container's filters; a listener goes to the seccomp agent
/// (with our pid), and both close here, before exec.
fn install_seccomp(seccomp: &CompiledSeccomp, agent: Option<ReadyAgent>) -> Result<(), String> {
    let listener = super::seccomp::install(seccomp).map_err(|e| e.to_string())?;
    match (listener, agent) {
        (Some(listener), Some(ready)) => ready
            .agent
            .send(ready.pid, ready.state, listener)
            .map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}
