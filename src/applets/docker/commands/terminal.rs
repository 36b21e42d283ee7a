//! The local terminal while a container stream is attached: raw mode on
//! stdin (restored on every way out: the end of the stream, errors, and
//! the signals that end the client), the window size sent to the
//! container, and the signals the client catches and forwards, as the
//! Docker CLI does with `--sig-proxy`.

use super::hijack::Event;
use crate::applets::docker::client::Client;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::termios::{self, SetArg, Termios};
use std::os::fd::BorrowedFd;
use std::sync::Mutex;
use std::sync::mpsc::Sender;

/// The terminal state before raw mode, while raw mode is on.
static SAVED: Mutex<Option<Termios>> = Mutex::new(None);

fn stdin_fd() -> BorrowedFd<'static> {
    // SAFETY: fd 0 stays open for the life of the process.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// Raw mode on stdin for as long as the guard lives. `NORAW` in the
/// environment, or a stdin that is no terminal, leaves it as it is.
pub struct RawMode(());

impl RawMode {
    pub fn enable() -> Result<RawMode, String> {
        if !super::stdin_is_terminal() || std::env::var_os("NORAW").is_some_and(|v| !v.is_empty()) {
            return Ok(RawMode(()));
        }
        let original = termios::tcgetattr(stdin_fd()).map_err(|e| {
            format!("unable to set IO streams as raw terminal: tcgetattr stdin: {e}")
        })?;
        let mut raw = original.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &raw).map_err(|e| {
            format!("unable to set IO streams as raw terminal: tcsetattr stdin: {e}")
        })?;
        *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(original);
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as it was before raw mode; once.
pub fn restore() {
    if let Some(original) = SAVED.lock().unwrap_or_else(|e| e.into_inner()).take() {
        let _ = termios::tcsetattr(stdin_fd(), SetArg::TCSANOW, &original);
    }
}

fn raw_mode_on() -> bool {
    SAVED.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

/// The height and width of the terminal on stdout, or none.
pub fn size() -> Option<(u16, u16)> {
    if !super::stdout_is_terminal() {
        return None;
    }
    // SAFETY: winsize is plain data, filled by the ioctl.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize.
    if unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut size) } != 0 {
        return None;
    }
    Some((size.ws_row, size.ws_col))
}

/// `POST /containers/{id}/resize`. Zero sizes are not sent.
pub fn resize_to(client: &mut Client, id: &str, height: u16, width: u16) -> bool {
    resize_resource(client, &format!("/containers/{id}"), height, width)
}

/// `POST {resource}/resize` (a container's or an exec's). Zero sizes are
/// not sent.
pub fn resize_resource(client: &mut Client, resource: &str, height: u16, width: u16) -> bool {
    if height == 0 && width == 0 {
        return true;
    }
    let path = format!("{resource}/resize?h={height}&w={width}");
    client
        .send("POST", &path, &crate::http::Headers::new(), &[])
        .is_ok_and(|reply| reply.status < 400)
}

/// The first resize: retried ten times in the background when it fails
/// (the container may not be running yet), as the CLI does.
pub fn init_size(client: &mut Client, id: &str) {
    let Some((height, width)) = size() else {
        return;
    };
    if resize_to(client, id, height, width) {
        return;
    }
    let mut client = client.fork();
    let id = id.to_string();
    std::thread::spawn(move || {
        for retry in 0..10u64 {
            std::thread::sleep(std::time::Duration::from_millis((retry + 1) * 10));
            let (height, width) = size().unwrap_or((height, width));
            if resize_to(&mut client, &id, height, width) {
                return;
            }
        }
        eprintln!("failed to resize tty, using default size");
    });
}

/// What the signal thread does while a stream is attached.
pub struct SignalPlan {
    pub container: String,
    /// An exec of the container: the window size goes to it instead.
    pub exec: Option<String>,
    /// `--sig-proxy`: forward what the client receives.
    pub proxy: bool,
    /// Follow the terminal's size (a TTY on a terminal).
    pub resize: bool,
    /// Told of the first SIGINT or SIGTERM.
    pub cancel: Option<Sender<Event>>,
}

/// Signals synchronous faults raise; they stay with the process.
const FAULTS: &[Signal] = &[
    Signal::SIGBUS,
    Signal::SIGFPE,
    Signal::SIGILL,
    Signal::SIGSEGV,
    Signal::SIGTRAP,
    Signal::SIGSYS,
];

/// The name the API takes for a signal (Go's `signal.SignalMap` keys).
fn api_name(signal: Signal) -> String {
    signal.as_str().trim_start_matches("SIG").to_string()
}

/// Catches signals on a thread of its own from now on. Must be called
/// before any other thread starts, so they all inherit the blocked mask
/// (a thread that does not block a signal would take its default action).
pub fn watch_signals(plan: SignalPlan, client: &mut Client) -> Result<(), String> {
    let mut set = SigSet::empty();
    if plan.proxy {
        for signal in Signal::iterator() {
            if !FAULTS.contains(&signal)
                && !matches!(signal, Signal::SIGKILL | Signal::SIGSTOP | Signal::SIGPIPE)
            {
                set.add(signal);
            }
        }
    } else {
        for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGWINCH] {
            set.add(signal);
        }
    }
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
        .map_err(|e| format!("block signals: {e}"))?;
    let fd =
        SignalFd::with_flags(&set, SfdFlags::SFD_CLOEXEC).map_err(|e| format!("signalfd: {e}"))?;
    let mut client = client.fork();
    std::thread::spawn(move || {
        let mut terminations = 0;
        while let Ok(Some(info)) = fd.read_signal() {
            let Ok(signal) = Signal::try_from(info.ssi_signo as i32) else {
                continue;
            };
            if plan.resize
                && signal == Signal::SIGWINCH
                && let Some((height, width)) = size()
            {
                match &plan.exec {
                    Some(exec) => {
                        resize_resource(&mut client, &format!("/exec/{exec}"), height, width)
                    }
                    None => resize_to(&mut client, &plan.container, height, width),
                };
            }
            if plan.proxy && !matches!(signal, Signal::SIGCHLD | Signal::SIGURG) {
                let path = format!(
                    "/containers/{}/kill?signal={}",
                    plan.container,
                    api_name(signal)
                );
                let _ = client.send("POST", &path, &crate::http::Headers::new(), &[]);
            }
            if signal == Signal::SIGINT && raw_mode_on() {
                // moby/term's interrupt handler: a new line, the terminal
                // back, and a clean exit.
                restore();
                println!();
                std::process::exit(0);
            }
            if matches!(signal, Signal::SIGINT | Signal::SIGTERM) {
                terminations += 1;
                if terminations == 1
                    && let Some(cancel) = &plan.cancel
                {
                    let _ = cancel.send(Event::Cancelled);
                }
                if terminations >= 3 {
                    eprint!("\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n");
                    restore();
                    std::process::exit(1);
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_as_the_api_takes_them() {
        assert_eq!(api_name(Signal::SIGINT), "INT");
        assert_eq!(api_name(Signal::SIGUSR1), "USR1");
        assert_eq!(api_name(Signal::SIGWINCH), "WINCH");
    }
}
