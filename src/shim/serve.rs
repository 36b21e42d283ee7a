//! The shim process: launch, relay, log, serve attachers, answer the
//! requests that act on the container, record the exit.

use super::jsonlog::LogWriter;
use super::protocol::{self, Kind, Reply, Request};
use super::{ShimConfig, ShimState};
use crate::runtime::container::{Container, CreateOptions, RuntimeError};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{0}")]
    Launch(String),
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ShimError + use<> {
    let path = path.to_path_buf();
    move |source| ShimError::Io { op, path, source }
}

/// Where the container's input goes: a pipe or the pty master.
type Input = Arc<Mutex<Option<File>>>;

struct Shared {
    /// Every registered client, and whether it wants the output; all of
    /// them get the exit.
    listeners: Arc<Mutex<Vec<(u64, bool, UnixStream)>>>,
    next_client: std::sync::atomic::AtomicU64,
    /// Serialises log lines and broadcasts, so every attacher sees the
    /// same order as the log.
    log: Mutex<Option<LogWriter>>,
    input: Input,
    console: Option<File>,
    container: Mutex<Option<Container>>,
    pid: i32,
    /// The init as a pidfd: a signal after its reaping fails instead of
    /// reaching a process that reused the pid.
    pidfd: Option<OwnedFd>,
    execs: super::exec::Execs,
}

impl Shared {
    fn output(&self, stream: u8, bytes: &[u8]) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(writer) = log.as_mut() {
            let _ = writer.write(stream, bytes);
        }
        let kind = if stream == 2 {
            Kind::Stderr
        } else {
            Kind::Stdout
        };
        let frame = protocol::encode(kind, bytes);
        let mut listeners = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        // A gone attacher is dropped, never a reason to stop the output.
        listeners.retain_mut(|(_, wants, client)| !*wants || client.write_all(&frame).is_ok());
    }
}

/// Runs the shim for the bundle `bundle`. `ready` gets `ok PID\n` once the
/// container is created and the socket serves, or the error; the daemon
/// waits for it.
pub fn run(bundle: &Path, mut ready: File) -> Result<i32, ShimError> {
    let config_path = bundle.join(super::CONFIG_FILE);
    let config: ShimConfig =
        serde_json::from_slice(&std::fs::read(&config_path).map_err(io_err("read", &config_path))?)
            .map_err(|e| ShimError::Launch(format!("parse {}: {e}", config_path.display())))?;
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    // Relative names: a socket path must fit in 108 bytes, and exec roots
    // below temp dirs are long.
    std::env::set_current_dir(bundle).map_err(io_err("chdir to", bundle))?;
    let socket_path = bundle.join(super::SOCKET_FILE);
    let _ = std::fs::remove_file(&socket_path);
    let listener =
        UnixListener::bind(super::SOCKET_FILE).map_err(io_err("listen on", &socket_path))?;
    let launched = launch(bundle, &config);
    let (container, input, outputs, console) = match launched {
        Ok(parts) => parts,
        Err(error) => {
            let _ = writeln!(ready, "error: {error}");
            let _ = std::fs::remove_file(&socket_path);
            return Err(error);
        }
    };
    let pid = container.state.as_ref().map_or(0, |s| s.pid);
    let log = match &config.log_path {
        Some(path) => Some(
            LogWriter::open(path, config.log_max_size, config.log_max_file)
                .map_err(io_err("open log", path))?,
        ),
        None => None,
    };
    let shared = Arc::new(Shared {
        listeners: Arc::new(Mutex::new(Vec::new())),
        next_client: Default::default(),
        log: Mutex::new(log),
        input: Arc::new(Mutex::new(input)),
        console,
        container: Mutex::new(Some(container)),
        pid,
        pidfd: pidfd_open(pid),
        execs: Default::default(),
    });
    let state = ShimState {
        pid,
        ..ShimState::default()
    };
    super::write_state(bundle, &state).map_err(io_err("write state in", bundle))?;
    // One copier for all outputs, stdout first when both are ready: the
    // log keeps the order in which the container wrote.
    let copier = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || copy_outputs(&shared, outputs))
    };
    {
        let shared = Arc::clone(&shared);
        let bundle = bundle.to_path_buf();
        std::thread::spawn(move || accept_clients(&listener, &shared, &bundle));
    }
    let _ = writeln!(ready, "ok {pid}");
    drop(ready);
    let status = wait_for_init(&shared);
    shared.execs.kill_all();
    let _ = copier.join();
    if let Some(writer) = shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_mut()
    {
        let _ = writer.flush();
    }
    let code = crate::runtime::container::exit_code(status);
    // Read before the launcher's delete removes the cgroup.
    let oom_killed = code == 128 + libc::SIGKILL && super::oom::was_oom_killed(bundle);
    let final_state = ShimState {
        pid,
        running: false,
        exited: true,
        exit_code: code,
        oom_killed,
        finished_at: crate::gofmt::time::now_nanos(),
    };
    // The launcher's state goes first: once the daemon hears of the exit
    // it may start the container again under the same id.
    if let Some(container) = shared
        .container
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        && let Ok(loaded) = Container::load(&config.runtime_root, &container.id)
    {
        let _ = loaded.delete(true);
    }
    let _ = super::write_state(bundle, &final_state);
    let exit = serde_json::to_vec(&final_state).unwrap_or_default();
    let frame = protocol::encode(Kind::Exit, &exit);
    for (_, _, mut client) in shared
        .listeners
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain(..)
    {
        let _ = client.write_all(&frame);
    }
    let _ = std::fs::remove_file(&socket_path);
    Ok(0)
}

type Launched = (Container, Option<File>, Vec<(u8, File)>, Option<File>);

/// Creates the container with our pipes (or a pty) as its stdio. The init
/// inherits fds 0-2, so they are pointed at the pipes for the fork and
/// back at /dev/null after it.
fn launch(bundle: &Path, config: &ShimConfig) -> Result<Launched, ShimError> {
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(io_err("open", Path::new("/dev/null")))?;
    let mut options = CreateOptions {
        bundle: bundle.to_path_buf(),
        no_pivot: config.no_pivot,
        ..CreateOptions::default()
    };
    let pipe = |name: &str| std::io::pipe().map_err(io_err("create pipe for", Path::new(name)));
    let mut input = None;
    let mut outputs = Vec::new();
    let mut console_listener = None;
    let mut child_ends: Vec<(RawFd, OwnedFd)> = Vec::new();
    if config.tty {
        let path = bundle.join(super::CONSOLE_SOCKET_FILE);
        let _ = std::fs::remove_file(&path);
        console_listener = Some(
            UnixListener::bind(super::CONSOLE_SOCKET_FILE).map_err(io_err("listen on", &path))?,
        );
        options.console_socket = Some(PathBuf::from(super::CONSOLE_SOCKET_FILE));
        child_ends.push((
            0,
            null.try_clone()
                .map_err(io_err("dup", Path::new("/dev/null")))?
                .into(),
        ));
    } else {
        if config.open_stdin {
            let (reader, writer) = pipe("stdin")?;
            input = Some(File::from(OwnedFd::from(writer)));
            child_ends.push((0, reader.into()));
        } else {
            child_ends.push((
                0,
                null.try_clone()
                    .map_err(io_err("dup", Path::new("/dev/null")))?
                    .into(),
            ));
        }
        for stream in [1u8, 2] {
            let (reader, writer) = pipe("output")?;
            outputs.push((stream, File::from(OwnedFd::from(reader))));
            child_ends.push((RawFd::from(stream), writer.into()));
        }
    }
    for (target, fd) in &child_ends {
        // SAFETY: dup2 onto our own standard fds.
        unsafe { libc::dup2(fd.as_raw_fd(), *target) };
    }
    if !config.tty {
        // stdout/stderr of a pipe-backed container: ours are the pipes now.
        for fd in [1, 2] {
            if child_ends.iter().all(|(t, _)| *t != fd) {
                // SAFETY: dup2 onto our own standard fds.
                unsafe { libc::dup2(null.as_raw_fd(), fd) };
            }
        }
    } else {
        for fd in [1, 2] {
            // SAFETY: dup2 onto our own standard fds.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
    let created = Container::create(&config.runtime_root, &config.id, &options);
    for fd in 0..3 {
        // SAFETY: dup2 onto our own standard fds; the pipes' write ends
        // must close here, or the readers would never see EOF.
        unsafe { libc::dup2(null.as_raw_fd(), fd) };
    }
    drop(child_ends);
    let container = created.map_err(|e| ShimError::Launch(e.to_string()))?;
    let mut console = None;
    if let Some(listener) = console_listener {
        let (stream, _) = listener
            .accept()
            .map_err(io_err("accept on", Path::new("console socket")))?;
        let master = crate::runtime::console::receive_fd(&stream)
            .map_err(|e| ShimError::Launch(e.to_string()))?;
        let master = File::from(master);
        let _ = std::fs::remove_file(bundle.join(super::CONSOLE_SOCKET_FILE));
        input = Some(
            master
                .try_clone()
                .map_err(io_err("dup", Path::new("pty master")))?,
        );
        outputs.push((
            1,
            master
                .try_clone()
                .map_err(io_err("dup", Path::new("pty master")))?,
        ));
        console = Some(master);
    }
    Ok((container, input, outputs, console))
}

fn copy_outputs(shared: &Shared, outputs: Vec<(u8, File)>) {
    pump_outputs(outputs, |stream, bytes| shared.output(stream, bytes));
}

/// Reads every output (stream number and pipe or pty) as it becomes
/// readable and hands each chunk to `sink`, until all have ended: the
/// container's and each exec's output take this one loop.
pub(super) fn pump_outputs(mut outputs: Vec<(u8, File)>, mut sink: impl FnMut(u8, &[u8])) {
    let mut buffer = vec![0u8; 32 * 1024];
    while !outputs.is_empty() {
        let mut polls: Vec<libc::pollfd> = outputs
            .iter()
            .map(|(_, file)| libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: polls is a valid array of pollfds of the given length.
        let ready = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, -1) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let mut finished = Vec::new();
        for (index, poll) in polls.iter().enumerate() {
            if poll.revents == 0 {
                continue;
            }
            let (stream, file) = &mut outputs[index];
            match file.read(&mut buffer) {
                Ok(0) => finished.push(index),
                Ok(n) => sink(*stream, &buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EIO: the pty's last slave closed.
                Err(_) => finished.push(index),
            }
        }
        for index in finished.into_iter().rev() {
            outputs.remove(index);
        }
    }
}

/// Reaps every child (we are the subreaper) until the init exits; returns
/// its wait status. An exec's exit is recorded on the way.
fn wait_for_init(shared: &Shared) -> i32 {
    loop {
        let mut status = 0;
        // SAFETY: status is writable.
        let rc = unsafe { libc::waitpid(-1, &mut status, 0) };
        if rc == shared.pid {
            return status;
        }
        if rc > 0 {
            shared.execs.reaped(rc, status);
        }
        if rc < 0 {
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                // No children: the init is gone without a status.
                return 255 << 8;
            }
        }
    }
}

fn accept_clients(listener: &UnixListener, shared: &Arc<Shared>, bundle: &Path) {
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        let shared = Arc::clone(shared);
        let bundle = bundle.to_path_buf();
        std::thread::spawn(move || serve_client(client, &shared, &bundle));
    }
}

fn serve_client(mut client: UnixStream, shared: &Shared, bundle: &Path) {
    let Ok(Some((Kind::Hello, wants))) = protocol::read_frame(&mut client) else {
        return;
    };
    let number = shared
        .next_client
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    {
        let state = super::read_state(bundle).unwrap_or_default();
        let mut listeners = shared.listeners.lock().unwrap_or_else(|e| e.into_inner());
        if protocol::write_frame(&mut client, Kind::Hello, &[protocol::VERSION]).is_err() {
            return;
        }
        if state.exited {
            let exit = serde_json::to_vec(&state).unwrap_or_default();
            let _ = protocol::write_frame(&mut client, Kind::Exit, &exit);
            return;
        }
        if let Ok(clone) = client.try_clone() {
            // An attacher that stops reading is dropped after a while
            // instead of stalling the container's output and log.
            let _ = clone.set_write_timeout(Some(std::time::Duration::from_secs(10)));
            listeners.push((number, wants.first() == Some(&1), clone));
        }
    }
    // Once the connection has started an exec, its input is that process's.
    let mut exec: Option<super::exec::ExecInput> = None;
    while let Ok(Some((kind, payload))) = protocol::read_frame(&mut client) {
        match kind {
            Kind::Stdin if exec.is_some() => {
                if let Some(exec) = exec.as_mut() {
                    exec.write(&payload);
                }
            }
            Kind::CloseStdin if exec.is_some() => {
                if let Some(exec) = exec.as_mut() {
                    exec.close();
                }
            }
            Kind::Stdin => {
                if let Some(input) = shared
                    .input
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_mut()
                {
                    let _ = input.write_all(&payload);
                }
            }
            // A pty has no half-close: its input stays open.
            Kind::CloseStdin if shared.console.is_none() => {
                shared
                    .input
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
            }
            Kind::Request => {
                if let Some(started) = answer(shared, &mut client, &payload) {
                    exec = Some(started);
                }
            }
            // Protocol 1's one-way forms, for a daemon from before requests.
            Kind::Resize => {
                if let Some(size) = payload.get(..4) {
                    let height = u16::from_be_bytes([size[0], size[1]]);
                    let width = u16::from_be_bytes([size[2], size[3]]);
                    resize(shared, height, width);
                }
            }
            Kind::Signal => {
                if let Some(number) = protocol::be_i32(&payload) {
                    let _ = signal(shared, number);
                }
            }
            Kind::Start => start(shared, bundle, &mut client),
            _ => {}
        }
    }
    shared
        .listeners
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(n, _, _)| *n != number);
}

/// Releases the created init and answers `Started` (or `Failed`) while
/// holding the container. The exit path takes the container before it
/// broadcasts the exit, so a container that exits at once is still heard
/// to start before it is heard to exit.
fn start(shared: &Shared, bundle: &Path, client: &mut UnixStream) {
    let mut container = shared.container.lock().unwrap_or_else(|e| e.into_inner());
    let started = match container.as_mut() {
        Some(container) => container.start().map_err(|e| e.to_string()),
        None => Err("the container has exited".to_string()),
    };
    match started {
        Ok(()) => {
            let state = ShimState {
                pid: shared.pid,
                running: true,
                ..ShimState::default()
            };
            let _ = super::write_state(bundle, &state);
            let _ = protocol::write_frame(client, Kind::Started, &shared.pid.to_be_bytes());
            drop(container);
            super::memory::release_startup_code();
        }
        Err(message) => {
            let _ = protocol::write_frame(client, Kind::Failed, message.as_bytes());
        }
    }
}

fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    // SAFETY: plain syscall; the fd is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a fresh fd that we own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn resize(shared: &Shared, height: u16, width: u16) -> Reply {
    // A container without a pty has no window to size.
    let Some(console) = &shared.console else {
        return Reply::Done;
    };
    let winsize = libc::winsize {
        ws_row: height,
        ws_col: width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from a valid pointer.
    if unsafe { libc::ioctl(console.as_raw_fd(), libc::TIOCSWINSZ, &winsize) } < 0 {
        let error = io::Error::last_os_error();
        return Reply::Error {
            message: format!("set the window size of the pty: {error}"),
        };
    }
    Reply::Done
}

/// Sends `number` to the init through its pidfd, never by pid: a pid
/// may be reused once the init is reaped. An init that has just exited is
/// no error: its exit is on its way to every client.
fn signal(shared: &Shared, number: i32) -> Reply {
    let Some(pidfd) = &shared.pidfd else {
        return Reply::Error {
            message: format!(
                "send signal {number} to pid {}: no pidfd for the init",
                shared.pid
            ),
        };
    };
    // SAFETY: plain syscall on a pidfd we own.
    let sent = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            number,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if sent == 0 {
        return Reply::Done;
    }
    let error = io::Error::last_os_error();
    if error.raw_os_error() == Some(libc::ESRCH) {
        return Reply::Done;
    }
    Reply::Error {
        message: format!("send signal {number} to pid {}: {error}", shared.pid),
    }
}

/// Acts on the container for `request`. The container is held meanwhile,
/// so the exit (which takes it to delete it) waits for the act to finish.
fn act(shared: &Shared, request: Request) -> Reply {
    let with_container = |act: &dyn Fn(&Container) -> Result<Reply, RuntimeError>| {
        let container = shared.container.lock().unwrap_or_else(|e| e.into_inner());
        match container.as_ref() {
            Some(container) => act(container).unwrap_or_else(|error| Reply::Error {
                message: error.to_string(),
            }),
            None => Reply::Error {
                message: "the container has exited".into(),
            },
        }
    };
    match request {
        Request::Signal { signal: number } => signal(shared, number),
        Request::Resize { height, width } => resize(shared, height, width),
        Request::Pause => with_container(&|c| c.pause().map(|()| Reply::Done)),
        Request::Resume => with_container(&|c| c.resume().map(|()| Reply::Done)),
        Request::Update { resources } => {
            with_container(&|c| c.update(&resources).map(|()| Reply::Done))
        }
        Request::Pids => with_container(&|c| c.pids().map(|pids| Reply::Pids { pids })),
        Request::Stats => with_container(&|c| {
            let stats = c.stats_event()?.data.unwrap_or_default();
            Ok(Reply::Stats {
                stats: Box::new(stats),
            })
        }),
        Request::ExecResize { id, height, width } => shared.execs.resize(&id, height, width),
        Request::ExecSignal { id, signal } => shared.execs.signal(&id, signal),
        Request::Exec(_) => Reply::Error {
            message: "an exec is started on its own connection".into(),
        },
    }
}

/// Starts an exec for its connection, holding the container so that the
/// exit does not delete it meanwhile; the reply is written there.
fn start_exec(
    shared: &Shared,
    client: &mut UnixStream,
    tag: u32,
    request: protocol::ExecRequest,
) -> Option<super::exec::ExecInput> {
    let container = shared.container.lock().unwrap_or_else(|e| e.into_inner());
    let Some(container) = container.as_ref() else {
        let reply = Reply::Error {
            message: "the container has exited".into(),
        };
        if let Ok(frame) = protocol::encode_reply(tag, &reply) {
            let _listeners = shared.listeners.lock().unwrap_or_else(|e| e.into_inner());
            let _ = client.write_all(&frame);
        }
        return None;
    };
    let frames = Arc::clone(&shared.listeners);
    shared
        .execs
        .start(container, (tag, request), client, frames)
}

/// Answers one `Request` frame with its `Reply`. The reply is written
/// under the listeners' lock, which every output and exit frame to this
/// client is written under too, so frames never interleave. An exec
/// returns its input, for this connection.
fn answer(
    shared: &Shared,
    client: &mut UnixStream,
    payload: &[u8],
) -> Option<super::exec::ExecInput> {
    let Ok((tag, request)) = protocol::decode_request(payload) else {
        return None;
    };
    if let Ok(Request::Exec(request)) = request {
        return start_exec(shared, client, tag, *request);
    }
    let reply = match request {
        Ok(request) => act(shared, request),
        Err(message) => Reply::Error { message },
    };
    let frame = protocol::encode_reply(tag, &reply).or_else(|error| {
        let message = format!("encode the reply: {error}");
        protocol::encode_reply(tag, &Reply::Error { message })
    });
    if let Ok(frame) = frame {
        let _listeners = shared.listeners.lock().unwrap_or_else(|e| e.into_inner());
        let _ = client.write_all(&frame);
    }
    None
}

/// The applet's entry: `dockbox-shim BUNDLE`. The daemon gives the ready
/// pipe as fd 3.
pub fn main_with(bundle: &Path) -> Result<i32, ShimError> {
    // SAFETY: fd 3 is the ready pipe the daemon passed; we own it now.
    let ready = unsafe { File::from_raw_fd(3) };
    // SAFETY: fcntl on our fd.
    unsafe { libc::fcntl(3, libc::F_SETFD, libc::FD_CLOEXEC) };
    run(bundle, ready)
}
