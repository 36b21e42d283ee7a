//! `docker run`: create (pulling a missing image), attach, wait, start,
//! then follow the stream and end with the container's exit status, in
//! the order and with the exit statuses of docker/cli's run.go.

use super::attach::{
    StreamEnd, check_tty, detach_keys, exit_status, follow, open_attach, status_result, watch_exit,
};
use super::containers::create_container;
use super::hijack::{self, Streams};
use super::terminal::{self, SignalPlan};
use super::{Session, print};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error};
use crate::http::Headers;
use std::sync::mpsc::channel;

/// docker/cli's `toStatusError`: a failure that comes from the container's
/// command gets 127 (not found) or 126 (cannot be invoked), any other
/// 125; all with the `docker run --help` hint.
pub fn to_status_error(message: &str) -> Failure {
    let code = if message.contains("executable file not found")
        || message.contains("no such file or directory")
        || message.contains("system cannot find the file specified")
    {
        127
    } else if message.contains("permission denied") || message.contains("is a directory") {
        126
    } else {
        125
    };
    Failure::new(
        code,
        format!("docker: {message}\n\nRun 'docker run --help' for more information"),
    )
}

/// The attached streams `run` asks for, from `-a` and `-i` as the
/// create request sets them.
fn attached_streams(parsed: &Parsed) -> (bool, bool, bool) {
    let picked: Vec<String> = parsed
        .values("attach")
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let has = |name: &str| picked.iter().any(|s| s == name);
    (
        has("stdin") || parsed.is_true("interactive"),
        picked.is_empty() || has("stdout"),
        picked.is_empty() || has("stderr"),
    )
}

pub fn run(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let detach = parsed.is_true("detach");
    let tty = parsed.is_true("tty");
    let auto_remove = parsed.is_true("rm");
    let (stdin, stdout, stderr) = if detach {
        (false, false, false)
    } else {
        attached_streams(parsed)
    };
    if detach && !parsed.values("attach").is_empty() {
        // The flags are checked first: a bad value is reported before the
        // conflict, as in the CLI.
        let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
        let lookup = |name: &str| std::env::var(name).ok();
        let context = crate::applets::docker::request::ClientContext {
            lookup_env: &lookup,
            cwd: &cwd,
        };
        crate::applets::docker::request::create_request(parsed, false, &context).map_err(|e| {
            Failure::new(
                125,
                format!("docker: {e}\n\nRun 'docker run --help' for more information"),
            )
        })?;
        return Err(Failure::new(
            1,
            "conflicting options: cannot specify both --attach and --detach",
        ));
    }
    if !detach {
        check_tty(stdin, tty)?;
    }
    let id = match create_container(session, parsed, "run") {
        Ok(id) => id,
        Err(failure) if failure.code == 125 => return Err(failure),
        Err(failure) => return Err(to_status_error(&failure.message)),
    };
    if !(stdin || stdout || stderr) {
        return run_detached(session, &id, auto_remove);
    }
    let (keys, key_bytes) = detach_keys(session, parsed.value("detach-keys"));
    let streams = Streams {
        stdin,
        stdout,
        stderr,
        tty,
        // With a TTY the CLI writes the container's stderr to stdout.
        stderr_to_stdout: tty,
        detach_keys: key_bytes,
    };
    let resize = tty && super::stdout_is_terminal();
    terminal::watch_signals(
        SignalPlan {
            container: id.clone(),
            exec: None,
            proxy: parsed.is_true("sig-proxy"),
            resize,
            // run streams on whatever the client's context does.
            cancel: None,
        },
        &mut session.client,
    )
    .map_err(|e| Failure::new(1, e))?;
    let hijacked = open_attach(&mut session.client, &id, &streams, &keys)?;
    let (events, received) = channel();
    let raw = hijack::start(hijacked, &streams, events.clone()).map_err(|e| Failure::new(1, e))?;
    let condition = if auto_remove { "removed" } else { "next-exit" };
    let waiting = watch_exit(&mut session.client, &id, condition, events);
    if let Err(failure) = start_container(session, &id) {
        drop(raw);
        if auto_remove && waiting.is_ok() {
            exit_status(&received, None);
        }
        return Err(to_status_error(&failure.message));
    }
    if resize {
        terminal::init_size(&mut session.client, &id);
    }
    let end = follow(&received, &streams, true);
    drop(raw);
    match end? {
        StreamEnd::Detached | StreamEnd::Cancelled(_) => Ok(()),
        StreamEnd::Finished(seen) => {
            if waiting.is_err() {
                return status_result(125);
            }
            status_result(exit_status(&received, seen))
        }
    }
}

/// `run -d`: the wait is opened as in the CLI, the ID printed (the CLI
/// prints it while the start is on its way, so it shows even when the
/// start fails) and the container started.
fn run_detached(session: &mut Session, id: &str, auto_remove: bool) -> Result<(), Failure> {
    let (events, received) = channel();
    let condition = if auto_remove { "removed" } else { "next-exit" };
    let waiting = watch_exit(&mut session.client, id, condition, events);
    print(&format!("{id}\n"));
    if let Err(failure) = start_container(session, id) {
        if auto_remove && waiting.is_ok() {
            exit_status(&received, None);
        }
        return Err(to_status_error(&failure.message));
    }
    Ok(())
}

fn start_container(session: &mut Session, id: &str) -> Result<(), Failure> {
    let reply = session.client.send(
        "POST",
        &format!("/containers/{id}/start"),
        &Headers::new(),
        &[],
    )?;
    if reply.status >= 400 {
        return Err(daemon_error(&reply));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_errors_map_to_exit_statuses() {
        let not_found = to_status_error(
            "Error response from daemon: failed to create task for container: exec: \"x\": executable file not found in $PATH",
        );
        assert_eq!(not_found.code, 127);
        assert!(
            not_found
                .message
                .ends_with("\n\nRun 'docker run --help' for more information")
        );
        assert_eq!(
            to_status_error("exec: \"/etc/passwd\": permission denied").code,
            126
        );
        assert_eq!(to_status_error("exec: \"/etc\": is a directory").code, 126);
        assert_eq!(to_status_error("No such image: x").code, 125);
    }
}
