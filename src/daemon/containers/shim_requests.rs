//! The daemon's side of the shim's requests: everything the daemon does
//! to a running container goes through here, as one request on the
//! container's shim socket (see `crate::shim::protocol`), and the shim
//! acts. The daemon never loads the runtime's state to act on a running
//! container itself; only a dead shim's container is cleaned up without
//! it (`dead_shim`). Here too: the rules around a request that every
//! route acting on a living container shares (hold, signal, thaw, gone).

use super::files::bundle_dir;
use super::record::Status;
use crate::api::ApiError;
use crate::daemon::log;
use crate::daemon::state::Daemon;
use crate::runtime::cgroups::stats::CgroupStats;
use crate::shim::protocol::{self, Kind, Reply, Request};
use oci_spec::runtime::LinuxResources;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU32, Ordering};

/// A registered connection to the container's shim; `output` to receive
/// the container's output.
pub fn connect(daemon: &Daemon, id: &str, output: bool) -> std::io::Result<UnixStream> {
    connect_versioned(daemon, id, output).map(|(stream, _)| stream)
}

/// As [`connect`], with the protocol version the shim announced.
fn connect_versioned(daemon: &Daemon, id: &str, output: bool) -> std::io::Result<(UnixStream, u8)> {
    // Through the directory's fd: the full path may not fit a socket
    // address.
    let dir = std::fs::File::open(bundle_dir(daemon, id))?;
    let path = format!(
        "/proc/self/fd/{}/{}",
        dir.as_raw_fd(),
        crate::shim::SOCKET_FILE
    );
    let mut stream = UnixStream::connect(&path)?;
    let version = protocol::greet(&mut stream, output)?;
    Ok((stream, version))
}

/// Why a request did not succeed.
#[derive(Debug)]
pub enum RequestError {
    /// The shim could not be reached or did not answer: it is gone (the
    /// container is exiting) or broken. A 500 as it stands.
    Unreachable(ApiError),
    /// The shim tried and answers why not: the runtime's error text.
    Refused(String),
}

impl RequestError {
    /// The API error, with `what` ("Cannot pause container ID") before a
    /// refusal's text.
    pub fn into_api(self, what: &str) -> ApiError {
        match self {
            RequestError::Unreachable(error) => error,
            RequestError::Refused(message) => ApiError::internal(format!("{what}: {message}")),
        }
    }
}

/// On a connection of its own, so replies never meet an attacher's
/// output; the tag still tells replies apart should that change.
fn next_tag() -> u32 {
    static TAGS: AtomicU32 = AtomicU32::new(1);
    TAGS.fetch_add(1, Ordering::Relaxed)
}

/// Asks the shim of container `id` to carry out `request` and returns
/// its successful reply.
pub fn request(daemon: &Daemon, id: &str, request: &Request) -> Result<Reply, RequestError> {
    let (mut stream, version) = connect_versioned(daemon, id, false)
        .map_err(|error| unreachable(id, "connect to", error))?;
    ask(&mut stream, version, id, request)
}

fn unreachable(id: &str, what: &str, error: std::io::Error) -> RequestError {
    RequestError::Unreachable(ApiError::internal(format!(
        "{what} the shim of {id}: {error}"
    )))
}

/// `request` on a greeted connection to a shim of protocol `version`.
fn ask(
    stream: &mut UnixStream,
    version: u8,
    id: &str,
    request: &Request,
) -> Result<Reply, RequestError> {
    if version < 2 {
        return legacy_request(stream, id, request);
    }
    match protocol::call(stream, next_tag(), request) {
        Ok(Reply::Error { message }) => Err(RequestError::Refused(message)),
        Ok(reply) => Ok(reply),
        Err(error) => Err(unreachable(id, "ask", error)),
    }
}

/// A shim of protocol 1 (started by an older dockbox before a live
/// restore) takes signals and window sizes as one-way frames, and nothing
/// else.
fn legacy_request(
    stream: &mut UnixStream,
    id: &str,
    request: &Request,
) -> Result<Reply, RequestError> {
    let sent = match request {
        Request::Signal { signal } => {
            protocol::write_frame(stream, Kind::Signal, &signal.to_be_bytes())
        }
        Request::Resize { height, width } => {
            let mut size = height.to_be_bytes().to_vec();
            size.extend_from_slice(&width.to_be_bytes());
            protocol::write_frame(stream, Kind::Resize, &size)
        }
        _ => {
            return Err(RequestError::Refused(format!(
                "the shim of {id} is from an older dockbox and takes no requests: restart the container"
            )));
        }
    };
    sent.map(|()| Reply::Done)
        .map_err(|error| unreachable(id, "write to", error))
}

/// Sends `signal` to the container's init.
pub fn signal(daemon: &Daemon, id: &str, signal: i32) -> Result<(), ApiError> {
    request(daemon, id, &Request::Signal { signal })
        .map(drop)
        .map_err(|e| e.into_api(&format!("Cannot kill container {id}")))
}

/// Freezes (`true`) or thaws the container; the error names the
/// operation as moby does.
pub fn set_paused(daemon: &Daemon, id: &str, paused: bool) -> Result<(), ApiError> {
    let (ask, what) = if paused {
        (Request::Pause, "Cannot pause container")
    } else {
        (Request::Resume, "Cannot unpause container")
    };
    request(daemon, id, &ask)
        .map(drop)
        .map_err(|e| e.into_api(&format!("{what} {id}")))
}

/// Writes new limits into the running container's cgroup.
pub fn update(daemon: &Daemon, id: &str, resources: LinuxResources) -> Result<(), ApiError> {
    let ask = Request::Update {
        resources: Box::new(resources),
    };
    request(daemon, id, &ask)
        .map(drop)
        .map_err(|e| e.into_api(&format!("Cannot update container {id}")))
}

/// The host pids in the container's cgroup, sorted.
pub fn pids(daemon: &Daemon, id: &str) -> Result<Vec<i32>, ApiError> {
    let what = format!("list the processes of {id}");
    match request(daemon, id, &Request::Pids).map_err(|e| e.into_api(&what))? {
        Reply::Pids { pids } => Ok(pids),
        other => Err(unexpected(&what, &other)),
    }
}

/// One sample of the container's cgroup statistics.
pub fn stats(daemon: &Daemon, id: &str) -> Result<CgroupStats, ApiError> {
    let what = format!("read the stats of {id}");
    match request(daemon, id, &Request::Stats).map_err(|e| e.into_api(&what))? {
        Reply::Stats { stats } => Ok(*stats),
        other => Err(unexpected(&what, &other)),
    }
}

/// Sets the size of the container's pty; a container without one
/// ignores it.
pub fn resize(daemon: &Daemon, id: &str, height: u16, width: u16) -> Result<(), ApiError> {
    request(daemon, id, &Request::Resize { height, width })
        .map(drop)
        .map_err(|e| e.into_api(&format!("resize the terminal of {id}")))
}

fn unexpected(what: &str, reply: &Reply) -> ApiError {
    ApiError::internal(format!("{what}: the shim answered {reply:?}"))
}

/// Sends `signal` to a container its record calls running; false when
/// it is not. A shim that is already gone means the process is exiting
/// and its exit not yet recorded: waits briefly for that and answers
/// false; true when the signal went out.
pub fn signal_living(daemon: &Daemon, id: &str, seen: u64, signal: i32) -> Result<bool, ApiError> {
    let sent = {
        // Held while the record is read and the signal sent: a start under
        // way finishes first, so the signal reaches the process the record
        // names and never a next run's init before its start.
        let _operation = daemon.hold_operation(id);
        if !daemon.find_container(id).is_ok_and(|r| r.is_running()) {
            return Ok(false);
        }
        self::signal(daemon, id, signal)
    };
    let Err(error) = sent else {
        return Ok(true);
    };
    let stopped = || {
        daemon
            .find_container(id)
            .map_or(true, |record| !record.is_running())
    };
    if stopped()
        || daemon
            .shims()
            .wait_exit(id, seen, Some(std::time::Duration::from_secs(3)))
        || stopped()
    {
        return Ok(false);
    }
    Err(error)
}

/// A request to a container's shim failed: when its process has gone
/// (the shim deletes the runtime state and closes its socket just before
/// the daemon records the exit), that is the answer (409), not the
/// shim's error. `seen` is
/// the exit count from before the request; call it without the hold.
pub fn gone_or(daemon: &Daemon, id: &str, seen: u64, error: ApiError) -> ApiError {
    let exited = daemon
        .shims()
        .wait_exit(id, seen, Some(std::time::Duration::from_secs(5)));
    if exited || daemon.find_container(id).is_ok_and(|r| !r.is_running()) {
        return ApiError::conflict(format!("Container {id} is not running"));
    }
    error
}

/// A frozen process only acts on a signal once thawed: after signalling
/// a paused container, moby resumes it so the signal lands. The exit may
/// be recorded first, so a refused state change is fine.
pub fn thaw_after_signal(daemon: &Daemon, id: &str) {
    let _operation = daemon.hold_operation(id);
    let paused = daemon
        .find_container(id)
        .is_ok_and(|record| record.state.status == Status::Paused);
    if !paused {
        return;
    }
    match set_paused(daemon, id, false) {
        Ok(()) => {
            let _ = daemon.update_container(id, |rec| Ok(rec.mark_unpaused()?));
        }
        Err(error) => log::warn(&error.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame the scripted shim received, once it is done.
    type Received = std::thread::JoinHandle<Option<(Kind, Vec<u8>)>>;

    /// A shim's end of a fresh connection that answers one request with
    /// `answer` (or hangs up when `None`) and returns the frame it got.
    fn shim_answering(answer: Option<Reply>) -> (UnixStream, Received) {
        let (daemon_end, mut shim_end) = UnixStream::pair().unwrap();
        let shim = std::thread::spawn(move || {
            let frame = protocol::read_frame(&mut shim_end).unwrap();
            if let (Some((Kind::Request, payload)), Some(reply)) = (&frame, answer) {
                let (tag, _) = protocol::decode_request(payload).unwrap();
                let reply = protocol::encode_reply(tag, &reply).unwrap();
                std::io::Write::write_all(&mut shim_end, &reply).unwrap();
            }
            frame
        });
        (daemon_end, shim)
    }

    #[test]
    fn replies_and_refusals_of_a_current_shim() {
        let (mut stream, shim) = shim_answering(Some(Reply::Pids { pids: vec![4, 2] }));
        let reply = ask(&mut stream, protocol::VERSION, "c1", &Request::Pids).unwrap();
        assert_eq!(reply, Reply::Pids { pids: vec![4, 2] });
        assert_eq!(shim.join().unwrap().unwrap().0, Kind::Request);

        let refusal = Reply::Error {
            message: "container not paused".into(),
        };
        let (mut stream, _shim) = shim_answering(Some(refusal));
        let error = ask(&mut stream, protocol::VERSION, "c1", &Request::Resume).unwrap_err();
        let answer = error.into_api("Cannot unpause container c1");
        assert_eq!(
            (answer.status(), answer.message.as_str()),
            (500, "Cannot unpause container c1: container not paused")
        );

        let (mut stream, _shim) = shim_answering(None);
        let error = ask(&mut stream, protocol::VERSION, "c1", &Request::Pause).unwrap_err();
        assert!(
            matches!(&error, RequestError::Unreachable(e) if e.message.starts_with("ask the shim of c1: ")),
            "{error:?}"
        );
    }

    #[test]
    fn shims_of_protocol_1_get_signals_as_frames_and_refuse_the_rest() {
        let (mut stream, shim) = shim_answering(None);
        let signal = Request::Signal { signal: 15 };
        assert_eq!(ask(&mut stream, 1, "old", &signal).unwrap(), Reply::Done);
        let (kind, payload) = shim.join().unwrap().unwrap();
        assert_eq!((kind, protocol::be_i32(&payload)), (Kind::Signal, Some(15)));

        let (mut stream, _shim) = shim_answering(None);
        let error = ask(&mut stream, 1, "old", &Request::Pause).unwrap_err();
        assert!(
            matches!(&error, RequestError::Refused(m) if m.contains("older dockbox")),
            "{error:?}"
        );
    }
}
