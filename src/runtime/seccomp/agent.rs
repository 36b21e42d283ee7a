//! The seccomp agent protocol (runtime-spec `linux.seccomp.listenerPath`):
//! once the filter with SCMP_ACT_NOTIFY rules is loaded, the runtime
//! connects to the agent's unix socket and sends one message: the
//! container process state JSON (`ociVersion`, `fds: ["seccompFd"]`,
//! `pid`, `metadata` from `listenerMetadata`, `state` with status
//! "creating") with the listener fd attached (SCM_RIGHTS).
//!
//! runc's init hands the fd to its parent, which sends it. Our parent may
//! be gone by then (`create`), so it connects before the clone and the
//! init sends on that connection; the agent cannot tell the difference.

use oci_spec::runtime::{ContainerProcessState, SECCOMP_FD_NAME, State};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(
        "failed to connect with seccomp agent specified in the seccomp profile {path}: {source}"
    )]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot send seccomp fd to {path}: {source}")]
    Send {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A connection to the agent at `listenerPath`, made by the runtime.
#[derive(Debug)]
pub struct SeccompAgent {
    path: PathBuf,
    socket: UnixStream,
    metadata: Option<String>,
}

impl SeccompAgent {
    pub fn connect(path: &Path, metadata: Option<String>) -> Result<SeccompAgent, AgentError> {
        let socket = UnixStream::connect(path).map_err(|source| AgentError::Connect {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(SeccompAgent {
            path: path.to_path_buf(),
            socket,
            metadata,
        })
    }

    pub fn as_raw_fd(&self) -> i32 {
        self.socket.as_raw_fd()
    }

    /// Sends `state` (pid as the runtime sees it) and the listener, then
    /// closes both: the agent alone holds the listener from then on.
    pub fn send(self, state: State, listener: OwnedFd) -> Result<(), AgentError> {
        let mut message = ContainerProcessState::default();
        message.set_version(state.version().clone());
        message.set_fds(vec![SECCOMP_FD_NAME.to_string()]);
        message.set_pid(state.pid().unwrap_or(0));
        message.set_metadata(self.metadata.clone());
        message.set_state(state);
        let payload = serde_json::to_vec(&message).expect("the state serializes");
        send_with_fd(self.socket.as_raw_fd(), &payload, listener.as_raw_fd()).map_err(|source| {
            AgentError::Send {
                path: self.path.clone(),
                source,
            }
        })
    }
}

fn send_with_fd(socket: i32, payload: &[u8], fd: i32) -> Result<(), std::io::Error> {
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr() as *mut libc::c_void,
        iov_len: payload.len(),
    };
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: msghdr is plain data; every pointer set below outlives sendmsg.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = space as _;
    // SAFETY: control has room for one header with one fd (CMSG_SPACE).
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<i32>(), fd);
    }
    // SAFETY: the iovec's buffer is only read by sendmsg.
    let sent = unsafe { libc::sendmsg(socket, &message, libc::MSG_NOSIGNAL) };
    if sent < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if (sent as usize) < payload.len() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::WriteZero,
            "short write of the state",
        ));
    }
    Ok(())
}
