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
//! `exec` does the same for its new process, whose filter is the
//! container's: the state then says "running", its pid is the init's, and
//! the message's own pid is the new process's.

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

    /// Sends the filtered process's pid and the container's `state` (pids
    /// as the runtime sees them) with the listener, then closes both: the
    /// agent alone holds the listener from then on. For the init both
    /// pids are the init's; for `exec`, `process_pid` is the new process.
    pub fn send(self, process_pid: i32, state: State, listener: OwnedFd) -> Result<(), AgentError> {
        let mut message = ContainerProcessState::default();
        message.set_version(state.version().clone());
        message.set_fds(vec![SECCOMP_FD_NAME.to_string()]);
        message.set_pid(process_pid);
        message.set_metadata(self.metadata.clone());
        message.set_state(state);
        let payload = serde_json::to_vec(&message).expect("the state serializes");
        crate::runtime::scm::send_with_fds(
            self.socket.as_raw_fd(),
            &payload,
            &[listener.as_raw_fd()],
        )
        .map_err(|source| AgentError::Send {
            path: self.path.clone(),
            source,
        })
    }
}
