//! Exec processes: new processes in the running container, started by the
//! shim (so they are its children, reaped with the init's other orphans),
//! their stdio relayed on the connection that asked for them, their exit
//! code recorded in a file the daemon reads even after its own restart,
//! and killed when the init exits.

use super::protocol::{self, ExecRecord, ExecRequest, Kind, Reply};
use crate::runtime::container::Container;
use crate::runtime::exec::ExecOptions;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

/// One exec process the shim started.
pub struct ExecProcess {
    id: String,
    pid: i32,
    record: PathBuf,
    console: Option<File>,
    exit: Mutex<Option<i32>>,
    exited: Condvar,
}

impl ExecProcess {
    fn finish(&self, code: i32) {
        let _ = write_record(
            &self.record,
            &ExecRecord {
                pid: self.pid,
                running: false,
                exit_code: Some(code),
            },
        );
        *self.exit.lock().unwrap_or_else(|e| e.into_inner()) = Some(code);
        self.exited.notify_all();
    }

    fn wait(&self) -> i32 {
        let mut exit = self.exit.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(code) = *exit {
                return code;
            }
            exit = self.exited.wait(exit).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The shim's exec processes by pid, and the lock that makes our fds 0-2
/// theirs for the moment of the fork.
#[derive(Default)]
pub struct Execs {
    by_pid: Mutex<HashMap<i32, Arc<ExecProcess>>>,
    stdio: Mutex<()>,
}

/// Replaces the record file atomically.
pub fn write_record(path: &Path, record: &ExecRecord) -> io::Result<()> {
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, serde_json::to_vec(record).map_err(io::Error::other)?)?;
    std::fs::rename(&temp, path)
}

pub fn read_record(path: &Path) -> Option<ExecRecord> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// A started exec: the process, its input, its outputs by stream number.
type Launched = (Arc<ExecProcess>, Option<File>, Vec<(u8, File)>);

/// What the connection keeps of its exec: where its `Stdin` goes.
pub struct ExecInput {
    input: Option<File>,
    tty: bool,
}

impl Execs {
    /// Starts `request` in `container` and answers `tag` on `client`:
    /// `ExecStarted`, then a thread relays the output and the exit code
    /// there; or the error. `frames` is the lock every frame to the client
    /// is written under.
    pub fn start<T: Send + 'static>(
        &self,
        container: &Container,
        (tag, request): (u32, ExecRequest),
        client: &mut UnixStream,
        frames: Arc<Mutex<T>>,
    ) -> Option<ExecInput> {
        let (reply, started) = match self.launch(container, request) {
            Ok((process, input, outputs)) => {
                let reply = Reply::ExecStarted { pid: process.pid };
                (reply, Some((process, input, outputs)))
            }
            Err(message) => (Reply::Error { message }, None),
        };
        {
            let _frames = frames.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(frame) = protocol::encode_reply(tag, &reply) {
                let _ = client.write_all(&frame);
            }
        }
        let (process, input, outputs) = started?;
        let tty = process.console.is_some();
        if let Ok(client) = client.try_clone() {
            std::thread::spawn(move || relay(&process, outputs, client, &frames));
        }
        Some(ExecInput { input, tty })
    }

    fn launch(&self, container: &Container, request: ExecRequest) -> Result<Launched, String> {
        let tty = request.process.terminal().unwrap_or(false);
        let null = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| format!("open /dev/null: {e}"))?;
        let pipe = || io::pipe().map_err(|e| format!("create a pipe for the exec: {e}"));
        let mut child_ends: Vec<OwnedFd> = Vec::new();
        let mut input = None;
        let mut outputs = Vec::new();
        if tty {
            for _ in 0..3 {
                child_ends.push(null.try_clone().map_err(|e| e.to_string())?.into());
            }
        } else {
            if request.stdin {
                let (reader, writer) = pipe()?;
                input = Some(File::from(OwnedFd::from(writer)));
                child_ends.push(reader.into());
            } else {
                child_ends.push(null.try_clone().map_err(|e| e.to_string())?.into());
            }
            for stream in [1u8, 2] {
                let (reader, writer) = pipe()?;
                outputs.push((stream, File::from(OwnedFd::from(reader))));
                child_ends.push(writer.into());
            }
        }
        let options = ExecOptions {
            process: request.process,
            console_socket: None,
            pid_file: None,
            preserve_fds: 0,
            own_terminal: tty,
            ignore_paused: false,
            sub_cgroups: Default::default(),
        };
        // Registered under the same lock the reaper takes, so an exec that
        // exits at once is still known by the time its pid is looked up.
        let mut by_pid = self.by_pid.lock().unwrap_or_else(|e| e.into_inner());
        let executed = {
            let _stdio = self.stdio.lock().unwrap_or_else(|e| e.into_inner());
            for (target, fd) in child_ends.iter().enumerate() {
                // SAFETY: dup2 onto our own standard fds, which nothing
                // else in the shim uses.
                unsafe { libc::dup2(fd.as_raw_fd(), target as RawFd) };
            }
            let executed = container.exec(&options);
            for target in 0..3 {
                // SAFETY: as above; the pipes' child ends must close here.
                unsafe { libc::dup2(null.as_raw_fd(), target) };
            }
            executed
        };
        drop(child_ends);
        let executed = executed.map_err(|e| e.to_string())?;
        let console = executed.console.map(File::from);
        if let Some(master) = &console {
            let dup = |file: &File| file.try_clone().map_err(|e| format!("dup the pty: {e}"));
            input = Some(dup(master)?);
            outputs.push((1, dup(master)?));
        }
        let process = Arc::new(ExecProcess {
            id: request.id,
            pid: executed.pid,
            record: request.record,
            console,
            exit: Mutex::new(None),
            exited: Condvar::new(),
        });
        let running = ExecRecord {
            pid: process.pid,
            running: true,
            exit_code: None,
        };
        let _ = write_record(&process.record, &running);
        by_pid.insert(process.pid, Arc::clone(&process));
        Ok((process, input, outputs))
    }

    /// The reaper found `pid`: records the exit when it is an exec's.
    pub fn reaped(&self, pid: i32, status: i32) {
        let process = self
            .by_pid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&pid);
        if let Some(process) = process {
            process.finish(crate::runtime::container::exit_code(status));
        }
    }

    /// The init has exited: the execs still running are killed (a
    /// container without its own pid namespace keeps them otherwise) and
    /// reaped, so their records are final.
    pub fn kill_all(&self) {
        let remaining: Vec<Arc<ExecProcess>> = self
            .by_pid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, process)| process)
            .collect();
        for process in remaining {
            // SAFETY: our unreaped child: its pid cannot have been reused.
            unsafe { libc::kill(process.pid, libc::SIGKILL) };
            let mut status = 0;
            // SAFETY: status is writable.
            unsafe { libc::waitpid(process.pid, &mut status, 0) };
            process.finish(crate::runtime::container::exit_code(status));
        }
    }

    /// Signals exec `id` while it runs. Its pid is our child's until the
    /// reaper waits for it; the reaper then removes it under this lock at
    /// once, so the pid could only be another process's if the kernel
    /// handed it out again within that moment (it allocates pids
    /// cyclically, so that takes the whole pid space in between).
    pub fn signal(&self, id: &str, signal: i32) -> Reply {
        let by_pid = self.by_pid.lock().unwrap_or_else(|e| e.into_inner());
        let Some(process) = by_pid.values().find(|p| p.id == id) else {
            return Reply::Error {
                message: format!("exec {id} is not running"),
            };
        };
        // SAFETY: kill takes plain integers.
        if unsafe { libc::kill(process.pid, signal) } < 0 {
            let error = io::Error::last_os_error();
            return Reply::Error {
                message: format!("signal exec {id}: {error}"),
            };
        }
        Reply::Done
    }

    pub fn resize(&self, id: &str, height: u16, width: u16) -> Reply {
        let by_pid = self.by_pid.lock().unwrap_or_else(|e| e.into_inner());
        let Some(process) = by_pid.values().find(|p| p.id == id) else {
            return Reply::Error {
                message: format!("exec {id} is not running"),
            };
        };
        let Some(console) = &process.console else {
            return Reply::Done;
        };
        let size = libc::winsize {
            ws_row: height,
            ws_col: width,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize from a valid pointer.
        if unsafe { libc::ioctl(console.as_raw_fd(), libc::TIOCSWINSZ, &size) } < 0 {
            let error = io::Error::last_os_error();
            return Reply::Error {
                message: format!("set the window size of exec {id}'s pty: {error}"),
            };
        }
        Reply::Done
    }
}

/// Copies the exec's output to its client until both ends close (a gone
/// client is no reason to stop draining: the process would block), then
/// sends its exit code.
fn relay<T>(
    process: &ExecProcess,
    outputs: Vec<(u8, File)>,
    mut client: UnixStream,
    frames: &Mutex<T>,
) {
    let mut connected = true;
    super::serve::pump_outputs(outputs, |stream, bytes| {
        if !connected {
            return;
        }
        let kind = if stream == 2 {
            Kind::Stderr
        } else {
            Kind::Stdout
        };
        let _frames = frames.lock().unwrap_or_else(|e| e.into_inner());
        connected = protocol::write_frame(&mut client, kind, bytes).is_ok();
    });
    let code = process.wait();
    if connected {
        let _frames = frames.lock().unwrap_or_else(|e| e.into_inner());
        let _ = protocol::write_frame(&mut client, Kind::ExecExit, &code.to_be_bytes());
    }
}

impl ExecInput {
    pub fn write(&mut self, bytes: &[u8]) {
        if let Some(input) = self.input.as_mut() {
            let _ = input.write_all(bytes);
        }
    }

    /// A pipe is half-closed; a pty has no half-close and keeps its
    /// input.
    pub fn close(&mut self) {
        if !self.tty {
            self.input = None;
        }
    }
}
