//! The runc commands over the launcher.

use super::args::{Create, Delete, Kill, List, Run};
use crate::runtime::container::{exit_code, reap};
use crate::runtime::state::{list_ids, owner_of};
use crate::runtime::{Container, CreateOptions, Launched, RuntimeError, console, selfexe};
use anyhow::Context;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

pub fn create(root: &Path, create: Create) -> anyhow::Result<i32> {
    selfexe::reexec_sealed()?;
    let options = CreateOptions {
        bundle: create.bundle,
        pid_file: create.pid_file,
        console_socket: create.console_socket,
        no_pivot: create.no_pivot,
        no_new_keyring: create.no_new_keyring,
        preserve_fds: create.preserve_fds,
        own_terminal: false,
    };
    Container::create(root, &create.id, &options).context("runc create failed")?;
    Ok(0)
}

/// The init's host pid, for the signal handler of a foreground `run`.
static FOREGROUND_INIT: AtomicI32 = AtomicI32::new(0);
/// Set while we relay the container's pty: SIGWINCH then resizes it.
static RELAYING: AtomicBool = AtomicBool::new(false);
static RESIZED: AtomicBool = AtomicBool::new(false);

extern "C" fn forward_signal(signal: libc::c_int) {
    if signal == libc::SIGWINCH && RELAYING.load(Ordering::Relaxed) {
        RESIZED.store(true, Ordering::Relaxed);
        return;
    }
    let pid = FOREGROUND_INIT.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Signals a foreground `run` passes on to the container, as runc does.
const FORWARDED: &[libc::c_int] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

pub fn run(root: &Path, run: Run) -> anyhow::Result<i32> {
    selfexe::reexec_sealed()?;
    let options = CreateOptions {
        bundle: run.bundle,
        pid_file: run.pid_file,
        console_socket: run.console_socket,
        no_pivot: run.no_pivot,
        no_new_keyring: run.no_new_keyring,
        preserve_fds: run.preserve_fds,
        own_terminal: !run.detach,
    };
    // Handlers go in before the clone so no signal is lost in between;
    // the init resets them when it execs.
    if !run.detach {
        for &signal in FORWARDED {
            // SAFETY: installing a handler that only calls kill.
            unsafe { libc::signal(signal, forward_signal as *const () as libc::sighandler_t) };
        }
    }
    let Launched {
        container,
        pid,
        console,
    } = Container::run(root, &run.id, &options).context("runc run failed")?;
    if run.detach {
        return Ok(0);
    }
    FOREGROUND_INIT.store(pid, Ordering::Relaxed);
    if let Some(master) = console {
        RELAYING.store(true, Ordering::Relaxed);
        console::relay(&master, &RESIZED);
        RELAYING.store(false, Ordering::Relaxed);
    }
    let status = reap(pid).context("wait for the container process")?;
    if !run.keep {
        container.delete(true)?;
    }
    Ok(exit_code(status))
}

pub fn start(root: &Path, id: &str) -> anyhow::Result<i32> {
    Container::load(root, id)?.start()?;
    Ok(0)
}

pub fn state(root: &Path, id: &str) -> anyhow::Result<i32> {
    let container = Container::load(root, id)?;
    println!("{}", serde_json::to_string_pretty(&container.report())?);
    Ok(0)
}

pub fn list(root: &Path, list: &List) -> anyhow::Result<i32> {
    // Like runc, only containers with a state file: that skips foreign
    // directories and ones still being created.
    let containers: Vec<Container> = list_ids(root)?
        .iter()
        .filter_map(|id| Container::load(root, id).ok())
        .filter(|container| container.state.is_some())
        .collect();
    if list.quiet {
        for container in &containers {
            println!("{}", container.id);
        }
        return Ok(0);
    }
    let reports: Vec<_> = containers
        .iter()
        .map(|container| {
            let mut report = container.report();
            report.owner = owner_of(&container.dir);
            report
        })
        .collect();
    match list.format.as_str() {
        "json" => {
            // runc prints a nil slice, `null`, when there are none.
            if reports.is_empty() {
                println!("null");
            } else {
                println!("{}", serde_json::to_string(&reports)?);
            }
        }
        "table" => {
            let mut rows = vec![[
                "ID".to_string(),
                "PID".into(),
                "STATUS".into(),
                "BUNDLE".into(),
                "CREATED".into(),
                "OWNER".into(),
            ]];
            for report in &reports {
                rows.push([
                    report.id.clone(),
                    report.pid.to_string(),
                    report.status.to_string(),
                    report.bundle.display().to_string(),
                    report.created.clone(),
                    report.owner.clone(),
                ]);
            }
            print!("{}", table(&rows));
        }
        other => anyhow::bail!("invalid format option {other:?}"),
    }
    Ok(0)
}

/// Go's tabwriter as runc sets it up: min width 12, padding 3, spaces.
fn table(rows: &[[String; 6]]) -> String {
    let mut widths = [0usize; 6];
    for row in rows {
        for (column, cell) in row.iter().enumerate() {
            widths[column] = widths[column].max(cell.len());
        }
    }
    let mut out = String::new();
    for row in rows {
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                out.push_str(cell);
            } else {
                let width = (widths[column] + 3).max(12);
                out.push_str(&format!("{cell:<width$}"));
            }
        }
        out.push('\n');
    }
    out
}

pub fn kill(root: &Path, kill: &Kill) -> anyhow::Result<i32> {
    let signal = parse_signal(kill.signal.as_deref().unwrap_or("SIGTERM"))?;
    Container::load(root, &kill.id)?.kill(signal, kill.all)?;
    Ok(0)
}

pub fn delete(root: &Path, delete: &Delete) -> anyhow::Result<i32> {
    match Container::load(root, &delete.id) {
        Ok(container) => container.delete(delete.force)?,
        Err(RuntimeError::State(crate::runtime::state::StateError::NotExist)) if delete.force => {}
        Err(error) => return Err(error.into()),
    }
    Ok(0)
}

/// A number, `KILL` or `SIGKILL` (any case), like runc.
fn parse_signal(text: &str) -> anyhow::Result<i32> {
    if let Ok(number) = text.parse::<i32>() {
        return Ok(number);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    let number = match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ILL" => libc::SIGILL,
        "TRAP" => libc::SIGTRAP,
        "ABRT" | "IOT" => libc::SIGABRT,
        "BUS" => libc::SIGBUS,
        "FPE" => libc::SIGFPE,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "SEGV" => libc::SIGSEGV,
        "USR2" => libc::SIGUSR2,
        "PIPE" => libc::SIGPIPE,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "STKFLT" => libc::SIGSTKFLT,
        "CHLD" => libc::SIGCHLD,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "TSTP" => libc::SIGTSTP,
        "TTIN" => libc::SIGTTIN,
        "TTOU" => libc::SIGTTOU,
        "URG" => libc::SIGURG,
        "XCPU" => libc::SIGXCPU,
        "XFSZ" => libc::SIGXFSZ,
        "VTALRM" => libc::SIGVTALRM,
        "PROF" => libc::SIGPROF,
        "WINCH" => libc::SIGWINCH,
        "IO" | "POLL" => libc::SIGIO,
        "PWR" => libc::SIGPWR,
        "SYS" => libc::SIGSYS,
        _ => anyhow::bail!("unknown signal {text:?}"),
    };
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_like_runc() {
        assert_eq!(parse_signal("9").unwrap(), 9);
        assert_eq!(parse_signal("KILL").unwrap(), 9);
        assert_eq!(parse_signal("SIGKILL").unwrap(), 9);
        assert_eq!(parse_signal("sigterm").unwrap(), 15);
        assert!(parse_signal("NOPE").is_err());
    }

    #[test]
    fn table_pads_like_tabwriter() {
        let header = table(&[[
            "ID".into(),
            "PID".into(),
            "STATUS".into(),
            "BUNDLE".into(),
            "CREATED".into(),
            "OWNER".into(),
        ]]);
        assert_eq!(
            header,
            "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n"
        );
    }
}
