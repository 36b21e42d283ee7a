//! OCI lifecycle hooks (runtime-spec config.md "POSIX-platform Hooks" and
//! runtime.md "Lifecycle").
//!
//! Where each stage runs and what its failure does:
//!
//! | stage           | called during                              | runs in (path resolves in) | on failure |
//! |-----------------|--------------------------------------------|----------------------------|------------|
//! | prestart        | create, namespaces made, before pivot_root | runtime namespace          | fatal      |
//! | createRuntime   | create, namespaces made, before pivot_root | runtime namespace          | fatal      |
//! | createContainer | create, before pivot_root                  | container's namespaces     | fatal      |
//! | startContainer  | start, before the user process is executed | container's namespaces     | fatal      |
//! | poststart       | create, once the init waits on the fifo    | runtime namespace          | fatal      |
//! | poststop        | delete, after the container is destroyed   | runtime namespace          | logged     |
//!
//! "Fatal" means the runtime returns the error, stops the container and
//! continues with its destruction (runtime.md steps 3-7 jump to step 12);
//! the remaining hooks of that stage do not run. "Logged" means the first
//! failure ends the stage too, but the runtime only logs it (as an error)
//! and the operation succeeds. Poststart at `create`, and fatal, is runc
//! 1.1.5's reading (its `create` starts the init and runs them there);
//! engines built on runc 1.1 expect it.
//!
//! The launcher calls [`run_stage`] from the runtime process for prestart,
//! createRuntime, poststart and poststop, and from inside the container's
//! init process (already in the container's namespaces, mount namespace
//! before pivot_root for createContainer, after it for startContainer) for
//! the other two. Running a hook therefore uses only fork+exec, pipes,
//! poll(2) and waitpid(2): no threads.
//!
//! Each hook gets `path` executed with `args` as its argv (`args[0]` is
//! argv[0]; `path` when `args` is empty, as runc does), exactly `env` as
//! its environment, the container state JSON on stdin, and its own process
//! group, which is SIGKILLed when `timeout` seconds pass. Its stdout and
//! stderr go into the error when it fails, as runc reports them.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use oci_spec::runtime::{ContainerState, Hook, Hooks, State};

#[cfg(test)]
mod tests;

/// How much of a hook's stdout and stderr is kept for the error message.
const CAPTURE_LIMIT: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HookStage {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

/// What a failing hook does to the operation (runtime.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// The operation fails and the container is destroyed.
    Fatal,
    /// The failure ends the stage and is logged; the lifecycle goes on.
    Log,
}

impl HookStage {
    /// Every stage in lifecycle order.
    pub const ALL: [HookStage; 6] = [
        HookStage::Prestart,
        HookStage::CreateRuntime,
        HookStage::CreateContainer,
        HookStage::StartContainer,
        HookStage::Poststart,
        HookStage::Poststop,
    ];

    /// The name config.json uses (and `features` lists).
    pub fn name(self) -> &'static str {
        match self {
            HookStage::Prestart => "prestart",
            HookStage::CreateRuntime => "createRuntime",
            HookStage::CreateContainer => "createContainer",
            HookStage::StartContainer => "startContainer",
            HookStage::Poststart => "poststart",
            HookStage::Poststop => "poststop",
        }
    }

    pub fn failure_policy(self) -> FailurePolicy {
        match self {
            HookStage::Poststop => FailurePolicy::Log,
            _ => FailurePolicy::Fatal,
        }
    }

    /// This stage's hooks in `hooks` (empty when absent).
    pub fn hooks_in(self, hooks: &Hooks) -> &[Hook] {
        let list = match self {
            HookStage::Prestart => hooks.prestart(),
            HookStage::CreateRuntime => hooks.create_runtime(),
            HookStage::CreateContainer => hooks.create_container(),
            HookStage::StartContainer => hooks.start_container(),
            HookStage::Poststart => hooks.poststart(),
            HookStage::Poststop => hooks.poststop(),
        };
        list.as_deref().unwrap_or(&[])
    }
}

impl std::fmt::Display for HookStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("invalid {stage} hook #{index}: path {} is not absolute", path.display())]
    RelativePath {
        stage: HookStage,
        index: usize,
        path: PathBuf,
    },
    #[error("invalid {stage} hook #{index} ({}): timeout must be greater than zero, got {timeout}", path.display())]
    BadTimeout {
        stage: HookStage,
        index: usize,
        path: PathBuf,
        timeout: i64,
    },
    #[error("error running hook #{index} ({stage}, {}): {operation}: {source}", path.display())]
    Io {
        stage: HookStage,
        index: usize,
        path: PathBuf,
        operation: &'static str,
        source: std::io::Error,
    },
    #[error("error running hook #{index} ({stage}, {}): error running hook: {status}, stdout: {stdout}, stderr: {stderr}", path.display())]
    Failed {
        stage: HookStage,
        index: usize,
        path: PathBuf,
        /// `exit status N` or `signal: N`, as runc words it.
        status: String,
        stdout: String,
        stderr: String,
    },
    #[error("error running hook #{index} ({stage}, {}): hook ran past specified timeout of {timeout}.0s, stdout: {stdout}, stderr: {stderr}", path.display())]
    Timeout {
        stage: HookStage,
        index: usize,
        path: PathBuf,
        timeout: i64,
        stdout: String,
        stderr: String,
    },
    #[error("hooks: serializing the container state: {0}")]
    State(#[from] serde_json::Error),
}

/// Checks every hook of every stage (absolute path, positive timeout), for
/// `create` to reject a bad config before anything runs.
pub fn validate(hooks: &Hooks) -> Result<(), HookError> {
    for stage in HookStage::ALL {
        for (index, hook) in stage.hooks_in(hooks).iter().enumerate() {
            validate_hook(stage, index, hook)?;
        }
    }
    Ok(())
}

fn validate_hook(stage: HookStage, index: usize, hook: &Hook) -> Result<(), HookError> {
    if !hook.path().is_absolute() {
        return Err(HookError::RelativePath {
            stage,
            index,
            path: hook.path().clone(),
        });
    }
    if let Some(timeout) = hook.timeout().filter(|t| *t <= 0) {
        return Err(HookError::BadTimeout {
            stage,
            index,
            path: hook.path().clone(),
            timeout,
        });
    }
    Ok(())
}

/// The state hooks read (runtime-spec runtime.md "State"): `pid` is the
/// container process's pid in the runtime's pid namespace, as runc passes
/// it to every stage, in-container ones included.
pub fn container_state(
    id: &str,
    status: ContainerState,
    pid: Option<i32>,
    bundle: &Path,
    annotations: Option<&HashMap<String, String>>,
) -> State {
    let mut state = State::default();
    state.set_version(crate::version::OCI_SPEC_VERSION.to_string());
    state.set_id(id.to_string());
    state.set_status(status);
    state.set_pid(pid);
    state.set_bundle(bundle.to_path_buf());
    state.set_annotations(annotations.filter(|a| !a.is_empty()).cloned());
    state
}

/// The state JSON hooks read on stdin.
pub fn state_json(state: &State) -> Result<Vec<u8>, HookError> {
    Ok(serde_json::to_vec(state)?)
}

/// Runs `stage`'s hooks from `hooks` up to the first failure, as runc:
/// a fatal stage returns it; a logged stage hands it to `log` and returns
/// Ok.
pub fn run_stage(
    stage: HookStage,
    hooks: Option<&Hooks>,
    state: &State,
    log: impl FnOnce(&HookError),
) -> Result<(), HookError> {
    let Some(list) = hooks.map(|hooks| stage.hooks_in(hooks)) else {
        return Ok(());
    };
    if list.is_empty() {
        return Ok(());
    }
    let input = state_json(state)?;
    for (index, hook) in list.iter().enumerate() {
        if let Err(error) = run_hook(stage, index, hook, &input) {
            match stage.failure_policy() {
                FailurePolicy::Fatal => return Err(error),
                FailurePolicy::Log => {
                    log(&error);
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Runs one hook to completion with `state_json` on its stdin.
pub fn run_hook(
    stage: HookStage,
    index: usize,
    hook: &Hook,
    state_json: &[u8],
) -> Result<(), HookError> {
    validate_hook(stage, index, hook)?;
    let io_error = |operation: &'static str, source: std::io::Error| HookError::Io {
        stage,
        index,
        path: hook.path().clone(),
        operation,
        source,
    };
    let mut command = Command::new(hook.path());
    match hook.args().as_deref() {
        Some([argv0, rest @ ..]) => {
            command.arg0(argv0).args(rest);
        }
        _ => {
            command.arg0(hook.path());
        }
    }
    command
        .env_clear()
        .envs(
            hook.env()
                .iter()
                .flatten()
                .map(|entry| entry.split_once('=').unwrap_or((entry.as_str(), ""))),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().map_err(|e| io_error("spawn", e))?;
    // A timeout too large for the clock is no deadline at all.
    let deadline = hook
        .timeout()
        .and_then(|seconds| Instant::now().checked_add(Duration::from_secs(seconds as u64)));
    let outcome = pump(&mut child, state_json, deadline).map_err(|e| io_error("poll", e));
    let (status, stdout, stderr) = match outcome {
        Ok(done) => done,
        Err(error) => {
            kill_group(&mut child);
            return Err(error);
        }
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).trim_end().to_string();
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(HookError::Failed {
            stage,
            index,
            path: hook.path().clone(),
            status: describe(status),
            stdout: text(stdout),
            stderr: text(stderr),
        }),
        None => Err(HookError::Timeout {
            stage,
            index,
            path: hook.path().clone(),
            timeout: hook.timeout().unwrap_or_default(),
            stdout: text(stdout),
            stderr: text(stderr),
        }),
    }
}

/// Feeds stdin and collects stdout and stderr until the hook exits or the
/// deadline passes (then its process group is killed and the status is
/// None). Returns as soon as the hook itself has exited, even when a
/// process it left behind still holds the pipes open.
type Pumped = (Option<ExitStatus>, Vec<u8>, Vec<u8>);

fn pump(child: &mut Child, input: &[u8], deadline: Option<Instant>) -> std::io::Result<Pumped> {
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    for fd in [
        stdin.as_ref().map(|s| s.as_raw_fd()),
        stdout.as_ref().map(|s| s.as_raw_fd()),
        stderr.as_ref().map(|s| s.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd)?;
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut written = 0;
    if input.is_empty() {
        stdin = None;
    }
    loop {
        if let Some(status) = child.try_wait()? {
            drain(&mut stdout, &mut out);
            drain(&mut stderr, &mut err);
            return Ok((Some(status), out, err));
        }
        let now = Instant::now();
        if deadline.is_some_and(|deadline| now >= deadline) {
            kill_group(child);
            drain(&mut stdout, &mut out);
            drain(&mut stderr, &mut err);
            return Ok((None, out, err));
        }
        // With every pipe closed only the exit is left to wait for; poll
        // then just sleeps. Otherwise it also wakes on output, so a hook
        // costs no more than its own run time plus one slice.
        let slice = deadline.map_or(Duration::from_millis(10), |deadline| {
            (deadline - now).min(Duration::from_millis(10))
        });
        let mut fds = Vec::with_capacity(3);
        if let Some(pipe) = &stdin {
            fds.push(pollfd(pipe.as_raw_fd(), libc::POLLOUT));
        }
        let readers = [
            stdout.as_ref().map(|s| s.as_raw_fd()),
            stderr.as_ref().map(|s| s.as_raw_fd()),
        ];
        for fd in readers.into_iter().flatten() {
            fds.push(pollfd(fd, libc::POLLIN));
        }
        // SAFETY: `fds` is a valid array of pollfd of the given length.
        let ready = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                slice.as_millis().max(1) as libc::c_int,
            )
        };
        if ready < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        if let Some(pipe) = &mut stdin {
            match pipe.write(&input[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // EPIPE: the hook does not read its stdin, which is its
                // right (runc ignores it too).
                Err(_) => written = input.len(),
            }
            if written == input.len() {
                stdin = None;
            }
        }
        read_some(&mut stdout, &mut out);
        read_some(&mut stderr, &mut err);
    }
}

fn pollfd(fd: i32, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Reads what is available now; closes the pipe at EOF or on error.
fn read_some<R: Read>(pipe: &mut Option<R>, into: &mut Vec<u8>) {
    let Some(reader) = pipe else {
        return;
    };
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                *pipe = None;
                return;
            }
            Ok(n) => {
                let room = CAPTURE_LIMIT.saturating_sub(into.len());
                into.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(_) => {
                *pipe = None;
                return;
            }
        }
    }
}

fn drain<R: Read>(pipe: &mut Option<R>, into: &mut Vec<u8>) {
    read_some(pipe, into);
    *pipe = None;
}

fn set_nonblocking(fd: i32) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// SIGKILLs the hook's process group (it leads its own) and reaps the hook.
fn kill_group(child: &mut Child) {
    // SAFETY: kill has no memory-safety preconditions; the negative pid
    // names the group the hook leads.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
    let _ = child.kill();
    let _ = child.wait();
}

/// Go's wording for a failed command, which runc's messages carry.
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("signal: {}", signal_name(signal)),
        _ => status.to_string(),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGKILL => "killed".into(),
        libc::SIGTERM => "terminated".into(),
        libc::SIGINT => "interrupt".into(),
        libc::SIGHUP => "hangup".into(),
        libc::SIGABRT => "aborted".into(),
        libc::SIGSEGV => "segmentation fault".into(),
        libc::SIGPIPE => "broken pipe".into(),
        // A seccomp filter's SCMP_ACT_TRAP and kill actions.
        libc::SIGSYS => "bad system call".into(),
        other => format!("signal {other}"),
    }
}
