//! The container's init: runs in the cloned child, inside the new
//! namespaces, and turns itself into the user's process. Errors go back to
//! the parent over the sync socket; nothing here returns.

use super::caps::CapabilityPlan;
use super::cgroups::{self, CgroupPaths};
use super::console;
use super::fds::{self, KeptFds};
use super::hooks::{self, HookStage};
use super::mount_sources::BindSourceFds;
use super::process::{PreparedProcess, ProcessError};
use super::rootfs::{self, RootfsSetup};
use super::seccomp::{CompiledSeccomp, SeccompAgent};
use super::sync::{Message, SyncSocket};
use oci_spec::runtime::Spec;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// When the init waits for the parent's `Proceed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentWait {
    /// The parent has nothing to do for us.
    Never,
    /// Before anything else: id maps to write, creation hooks to run
    /// before pivot_root.
    First,
    /// Only the cgroup to join: we set up the rootfs meanwhile (the
    /// kernel's first cgroup.procs write can take a scheduler tick or
    /// more) and wait before anything of the user's applies.
    BeforeProcess,
}

/// What the parent hands the init; prepared before the clone so that the
/// child only acts.
pub struct InitContext {
    pub spec: Spec,
    pub rootfs: PathBuf,
    pub no_pivot: bool,
    pub process: PreparedProcess,
    pub sync: SyncSocket,
    pub console_socket: Option<UnixStream>,
    /// O_PATH fd of `exec.fifo`: `create` blocks on it until `start`.
    /// None for `run`, which goes straight on.
    pub exec_fifo: Option<OwnedFd>,
    pub new_user_namespace: bool,
    /// The parent has work to do before we go on (id maps, cgroups): wait
    /// for its `Proceed`.
    pub wait_for_parent: ParentWait,
    /// The cgroup we move ourselves into, first thing.
    pub cgroup_to_enter: Option<CgroupEntry>,
    /// Make the cgroup namespace once in our cgroup, so that it is rooted
    /// there (the clone left it out).
    pub unshare_cgroup_namespace: bool,
    /// The container has a mount namespace, new or joined by path (runc's
    /// `Namespaces.Contains(NEWNS)`): pivot_root and the finishing steps.
    /// Without one the mounts are made where we are and we only chroot.
    pub mount_namespace: bool,
    /// A UTS namespace, new or joined: the hostname may be set.
    pub uts_namespace: bool,
    /// fds 3..3+extra_fds stay open in the container (LISTEN_FDS and
    /// --preserve-fds); all others are closed first thing in the init.
    pub extra_fds: i32,
    /// Name of the fresh session keyring to join, unless --no-new-keyring.
    pub session_keyring: Option<String>,
    pub capabilities: Option<CapabilityPlan>,
    pub seccomp: Option<CompiledSeccomp>,
    /// Where the listener of a filter with SCMP_ACT_NOTIFY rules goes.
    pub seccomp_agent: Option<SeccompAgent>,
    /// For the state JSON of the in-container hooks.
    pub id: String,
    pub bundle: PathBuf,
}

/// A cgroup the init enters by itself.
pub struct CgroupEntry {
    pub paths: CgroupPaths,
    /// clone3 already put us in its unified directory.
    pub placed_in_unified: bool,
}

impl InitContext {
    /// Records, in the child, whether the clone placed it in its cgroup v2
    /// directory.
    pub fn placed_by_clone(&mut self, placed: bool) {
        if let Some(entry) = &mut self.cgroup_to_enter {
            entry.placed_in_unified = placed;
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum InitError {
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Rootfs(#[from] rootfs::RootfsError),
    #[error(transparent)]
    Console(#[from] console::ConsoleError),
    #[error(transparent)]
    Sync(#[from] super::sync::SyncError),
    #[error("{0}")]
    Other(String),
}

impl From<String> for InitError {
    fn from(text: String) -> InitError {
        InitError::Other(text)
    }
}

fn last_os(op: &str) -> InitError {
    InitError::Other(format!("{op}: {}", std::io::Error::last_os_error()))
}

/// Never returns: the process becomes the container's, or exits.
pub fn run(mut context: InitContext) -> ! {
    // Before any mount: the --log path still resolves on the host.
    super::debug(|| "init: in the new namespaces, setting the container up".to_string());
    let error = match steps(&mut context) {
        Ok(error) => error,
        Err(error) => error,
    };
    let text = format!("unable to start container process: {error}");
    if context.sync.send(&Message::Failed(text.clone())).is_err() {
        eprintln!("{text}");
    }
    // SAFETY: _exit skips the parent's atexit handlers, which are not ours.
    unsafe { libc::_exit(1) }
}

/// Waits for the parent's `Proceed`, keeping the bind source fds it may
/// send first.
fn wait_for_parent(context: &InitContext) -> Result<BindSourceFds, InitError> {
    let mut bind_sources = BindSourceFds::default();
    loop {
        match context.sync.receive_with_fds()? {
            (Some(Message::Proceed), _) => return Ok(bind_sources),
            (Some(Message::MountSources(indices)), fds) => bind_sources.add(indices, fds)?,
            (other, _) => {
                return Err(InitError::Other(format!(
                    "expected the parent's go-ahead, got {other:?}"
                )));
            }
        }
    }
}

/// First of all, before any path is resolved in the container, the init
/// drops every fd it inherited from the runtime and its caller (see
/// [`fds`]); the console socket goes as soon as the pty is sent. From then
/// on it holds stdio, the spec's passed fds, the sync socket and the exec
/// fifo, and the last two are no directories.
fn steps(context: &mut InitContext) -> Result<InitError, InitError> {
    let console_socket = context.console_socket.take();
    let internal: Vec<RawFd> = [Some(context.sync.as_raw_fd())]
        .into_iter()
        .chain([context.exec_fifo.as_ref().map(AsRawFd::as_raw_fd)])
        .chain([console_socket.as_ref().map(AsRawFd::as_raw_fd)])
        .chain([context.seccomp_agent.as_ref().map(SeccompAgent::as_raw_fd)])
        .flatten()
        .collect();
    fds::close_all_but(KeptFds {
        passed: context.extra_fds,
        internal: &internal,
    })?;
    // The agent wants our pid as the runtime sees it; the host's /proc
    // still says it, until the rootfs replaces it.
    let seccomp_agent =
        (context.seccomp_agent.take()).map(|agent| (agent, own_pid_in_proc().unwrap_or(0)));
    let context = &*context;
    set_up_container(context, console_socket)?;
    become_process(context, seccomp_agent)
}

/// Namespaces, cgroup, rootfs, hostname, sysctls and terminal.
fn set_up_container(
    context: &InitContext,
    console_socket: Option<UnixStream>,
) -> Result<(), InitError> {
    let bind_sources = match context.wait_for_parent {
        ParentWait::First => wait_for_parent(context)?,
        _ => BindSourceFds::default(),
    };
    if context.new_user_namespace {
        // Become root of the new namespace, so that files we create are
        // owned by a mapped id.
        // SAFETY: plain syscalls.
        if unsafe { libc::setresgid(0, 0, 0) } != 0 || unsafe { libc::setresuid(0, 0, 0) } != 0 {
            return Err(last_os("become root in the user namespace"));
        }
    }
    if let Some(entry) = &context.cgroup_to_enter {
        enter_cgroup(entry, &context.spec)?;
    }
    // SAFETY: a plain syscall.
    if context.unshare_cgroup_namespace && unsafe { libc::unshare(libc::CLONE_NEWCGROUP) } != 0 {
        return Err(last_os("unshare the cgroup namespace"));
    }
    // SAFETY: plain syscalls; setsid fails only for a group leader, which
    // a fresh child is not.
    unsafe {
        libc::setsid();
        // Nobody in the container may ptrace us or open our /proc files.
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    if let Some(name) = &context.session_keyring {
        join_session_keyring(name)?;
    }
    let process = &context.process;
    rootfs::setup_rootfs_with(
        &RootfsSetup {
            spec: &context.spec,
            rootfs: &context.rootfs,
            no_pivot: context.no_pivot,
            mount_namespace: context.mount_namespace,
            console: None,
            bind_sources: Some(&bind_sources),
        },
        || run_hooks(context, HookStage::CreateContainer).map_err(Into::into),
    )?;
    // Host directories: gone before anything resolves the cwd.
    drop(bind_sources);
    // As root, before finish_rootfs may make / read-only and before the
    // umask, so the directories get the usual 0755.
    process.make_cwd()?;
    if context.uts_namespace {
        process.set_hostnames()?;
    } else if process.hostname.is_some() {
        return Err(InitError::Other(
            "unable to set hostname without a private UTS namespace".into(),
        ));
    }
    process.write_sysctls()?;
    if process.terminal {
        let socket = console_socket
            .ok_or_else(|| InitError::Other("terminal without a console socket".into()))?;
        let pty = console::open_pty(process.console_size)?;
        console::send_fd(socket.as_raw_fd(), "/dev/ptmx", pty.master.as_raw_fd())?;
        console::attach_slave(&pty)?;
    }
    if context.mount_namespace {
        rootfs::finish_rootfs(&context.spec)?;
    }
    if context.wait_for_parent == ParentWait::BeforeProcess {
        wait_for_parent(context)?;
    }
    Ok(())
}

/// Limits, cwd, seccomp, user, then exec. Nothing after a seccomp filter
/// may need a call that the filter could deny and we could do without:
/// fds, signals and the cwd come first.
fn become_process(
    context: &InitContext,
    mut seccomp_agent: Option<(SeccompAgent, i32)>,
) -> Result<InitError, InitError> {
    let process = &context.process;
    process.write_oom_score_adj()?;
    process.apply_limits()?;
    reset_signals();
    let cwd_entered = process.enter_cwd_as_root()?;
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
    // while we still have it, as runc does.
    let seccomp_last = process.no_new_privileges;
    if let (Some(seccomp), false) = (&context.seccomp, seccomp_last) {
        install_seccomp(context, seccomp, seccomp_agent.take())?;
    }
    switch_user(process, context.capabilities.as_ref())?;
    if !cwd_entered {
        process.enter_cwd()?;
    }
    let executable = process.find_executable()?;
    let home = process.home_env();
    // With no_new_privs the filter goes on as late as runc 1.1.5 puts it:
    // after the lookups, but before `create` returns, so that a profile
    // that cannot load fails `create`, and the startContainer hooks run
    // under it as they do under runc.
    if let (Some(seccomp), true) = (&context.seccomp, seccomp_last) {
        install_seccomp(context, seccomp, seccomp_agent.take())?;
    }
    if let Some(fifo) = &context.exec_fifo {
        context.sync.send(&Message::Ready)?;
        wait_for_start(fifo)?;
    }
    run_hooks(context, HookStage::StartContainer)?;
    Ok(InitError::Process(process.exec(&executable, home.as_ref())))
}

/// Loads the filters; a listener goes to the seccomp agent with the
/// state, and both close here, before exec.
fn install_seccomp(
    context: &InitContext,
    seccomp: &CompiledSeccomp,
    agent: Option<(SeccompAgent, i32)>,
) -> Result<(), InitError> {
    let listener = super::seccomp::install(seccomp).map_err(|e| InitError::Other(e.to_string()))?;
    let (Some(listener), Some((agent, pid))) = (listener, agent) else {
        return Ok(());
    };
    let state = hooks::container_state(
        &context.id,
        oci_spec::runtime::ContainerState::Creating,
        Some(pid),
        &context.bundle,
        context.spec.annotations().as_ref(),
    );
    agent
        .send(pid, state, listener)
        .map_err(|e| InitError::Other(e.to_string()))
}

/// Our pid in the namespace of the mounted /proc (the runtime's, before
/// the rootfs is set up).
fn own_pid_in_proc() -> Option<i32> {
    std::fs::read_link("/proc/self")
        .ok()
        .and_then(|target| target.to_str()?.parse().ok())
}

/// Enters the cgroup our parent made. The previous container of the same
/// id may still be removing its directories (its shim deletes them as it
/// ends), so one that vanished is made again with its limits, once.
fn enter_cgroup(entry: &CgroupEntry, spec: &Spec) -> Result<(), InitError> {
    let cgroup = cgroups::from_paths(entry.paths.clone());
    if cgroup.enter(entry.placed_in_unified).is_ok() {
        return Ok(());
    }
    let again = || -> Result<(), cgroups::CgroupError> {
        cgroup.create()?;
        if let Some(resources) = super::prepare::resources_with_default_devices(spec) {
            cgroup.set(&resources)?;
        }
        cgroup.enter(entry.placed_in_unified)
    };
    again().map_err(|e| InitError::Other(e.to_string()))
}

/// setuid with the capability sets around it: keep-caps and the bounding
/// set before, the other four sets after, so a non-root user keeps what the
/// spec gives it.
pub(crate) fn switch_user(
    process: &PreparedProcess,
    capabilities: Option<&CapabilityPlan>,
) -> Result<(), String> {
    process.give_stdio_to_user().map_err(|e| e.to_string())?;
    if let Some(plan) = capabilities {
        plan.prepare_for_setuid().map_err(|e| e.to_string())?;
    }
    process.become_user().map_err(|e| e.to_string())?;
    if let Some(plan) = capabilities {
        plan.apply_after_setuid().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// An in-container hook stage; the pid is ours as the container sees it,
/// as runc passes it.
fn run_hooks(context: &InitContext, stage: HookStage) -> Result<(), InitError> {
    let Some(hook_list) = context.spec.hooks() else {
        return Ok(());
    };
    let status = match stage {
        HookStage::StartContainer => oci_spec::runtime::ContainerState::Created,
        _ => oci_spec::runtime::ContainerState::Creating,
    };
    let state = hooks::container_state(
        &context.id,
        status,
        Some(std::process::id() as i32),
        &context.bundle,
        context.spec.annotations().as_ref(),
    );
    hooks::run_stage(stage, Some(hook_list), &state, |_| {})
        .map_err(|e| InitError::Other(e.to_string()))
}

/// A new session keyring, so the container cannot read the caller's keys.
/// Kernels without keyrings (ENOSYS) or that forbid it (EACCES, as in some
/// user namespaces) are fine, as for runc.
fn join_session_keyring(name: &str) -> Result<(), InitError> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_int = 1;
    let c_name = std::ffi::CString::new(name).expect("ids have no NUL");
    // SAFETY: keyctl reads the NUL-terminated name.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            c_name.as_ptr(),
        )
    };
    if rc < 0 {
        let error = std::io::Error::last_os_error();
        if !matches!(
            error.raw_os_error(),
            Some(libc::ENOSYS) | Some(libc::EACCES)
        ) {
            return Err(InitError::Other(format!(
                "join session keyring {name}: {error}"
            )));
        }
    }
    Ok(())
}

/// The launcher's signal dispositions (Rust ignores SIGPIPE, `run`
/// forwards signals) and mask must not reach the container: an ignored
/// signal stays ignored across execve.
pub(crate) fn reset_signals() {
    for signal in 1..libc::SIGRTMAX() {
        if signal != libc::SIGKILL && signal != libc::SIGSTOP {
            // SAFETY: restoring default dispositions.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
    }
    // SAFETY: an empty set, initialised by sigemptyset.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    }
}

/// Opens the exec FIFO for writing, which blocks until `start` opens it
/// for reading, then writes the byte that `start` waits for.
fn wait_for_start(fifo: &OwnedFd) -> Result<(), InitError> {
    let path =
        std::ffi::CString::new(format!("/proc/self/fd/{}", fifo.as_raw_fd())).expect("no NUL");
    let fd = loop {
        // SAFETY: the path is NUL-terminated.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        if fd >= 0 {
            break fd;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Err(last_os("open exec fifo"));
        }
    };
    // SAFETY: writing one byte from a static buffer to our own fd.
    let written = unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) };
    // SAFETY: closing our own fd.
    unsafe { libc::close(fd) };
    if written != 1 {
        return Err(last_os("write exec fifo"));
    }
    Ok(())
}
