//! `docker logs` (one container's log, split onto stdout and stderr, or
//! raw with a TTY; `-f` follows it) and `docker wait`.

use super::Session;
use super::attach::inspect;
use super::containers::path_escape;
use super::hijack::{copy_flushing, demux};
use crate::api::container::WaitResponse;
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::{Failure, daemon_error};
use crate::applets::docker::queries::logs_query;
use crate::gofmt::timestamp::get_timestamp;
use crate::http::Headers;

pub fn logs(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let container = inspect(&mut session.client, &parsed.args[0])?;
    let id = container.id;
    let tty = container.config.tty;
    let now = session
        .now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let offset = session.zone().offset;
    // The Go client names the value that fails.
    for key in ["since", "until"] {
        if let Some(value) = parsed.value(key).filter(|v| !v.is_empty()) {
            get_timestamp(value, now, offset)
                .map_err(|e| Failure::new(1, format!("invalid value for \"{key}\": {e}")))?;
        }
    }
    let query = logs_query(parsed, now, offset).map_err(|e| Failure::new(1, e))?;
    let path = format!("/containers/{}/logs?{query}", path_escape(&id));
    let mut response = session.client.stream("GET", &path, &Headers::new(), None)?;
    let copied = if tty {
        copy_flushing(&mut response.body, &mut std::io::stdout())
    } else {
        demux(
            &mut response.body,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        )
    };
    match copied {
        Ok(()) => Ok(()),
        // A reader that went away (`docker logs x | head`): the Go CLI
        // dies of the SIGPIPE, and so do we.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // SAFETY: back to the default action, then the signal to
            // ourselves; nothing runs after it.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::raise(libc::SIGPIPE);
            }
            Ok(())
        }
        Err(e) => Err(Failure::new(1, e.to_string())),
    }
}

/// `docker wait`: each container's exit status, in order; failures are
/// listed together at the end.
pub fn wait(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for name in &parsed.args {
        let path = format!("/containers/{}/wait", path_escape(name));
        let reply = session.client.send("POST", &path, &Headers::new(), &[])?;
        if reply.status >= 400 {
            errors.push(daemon_error(&reply).message);
            continue;
        }
        let answer: WaitResponse = reply.decode()?;
        let code = answer.status_code.unwrap_or_default();
        super::print(&format!("{code}\n"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(super::joined(&errors))
    }
}
