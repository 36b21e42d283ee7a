//! Typed messages between the launcher's stages (the runc process, the
//! namespace-joining helper and the container's init) over one
//! SOCK_SEQPACKET socketpair: one datagram per message, so no framing.

use serde::{Deserialize, Serialize};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum Message {
    /// Parent to init: the parent's share of the setup is done (user
    /// namespace id maps; cgroup placement belongs here too); go on.
    Proceed,
    /// Helper to parent: the host pid of the init it cloned.
    InitPid(i32),
    /// Init to parent: everything is set up; it now waits for `start`.
    Ready,
    /// Any stage to parent: setup failed; the text is the whole story.
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync socket {op}: {source}")]
    Io {
        op: &'static str,
        source: std::io::Error,
    },
    #[error("sync socket: malformed message: {0}")]
    Malformed(serde_json::Error),
}

/// One end of the socketpair.
#[derive(Debug)]
pub struct SyncSocket {
    fd: OwnedFd,
}

impl AsRawFd for SyncSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

impl SyncSocket {
    /// Both ends, close-on-exec: an exec in the init closes its end, which
    /// the parent sees as end-of-file.
    pub fn pair() -> Result<(SyncSocket, SyncSocket), SyncError> {
        let mut fds = [0; 2];
        // SAFETY: fds is a writable array of two ints.
        let rc = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
                0,
                fds.as_mut_ptr(),
            )
        };
        if rc != 0 {
            return Err(SyncError::Io {
                op: "socketpair",
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: both fds are fresh and ours.
        unsafe {
            Ok((
                SyncSocket {
                    fd: OwnedFd::from_raw_fd(fds[0]),
                },
                SyncSocket {
                    fd: OwnedFd::from_raw_fd(fds[1]),
                },
            ))
        }
    }

    pub fn send(&self, message: &Message) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec(message).expect("messages serialise");
        loop {
            // SAFETY: bytes is readable for its length.
            let sent = unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if sent >= 0 {
                return Ok(());
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(SyncError::Io {
                    op: "send",
                    source: error,
                });
            }
        }
    }

    /// The next message, or None when every peer has closed its end.
    pub fn receive(&self) -> Result<Option<Message>, SyncError> {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: buffer is writable for its length.
            let got = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    0,
                )
            };
            if got > 0 {
                return serde_json::from_slice(&buffer[..got as usize])
                    .map(Some)
                    .map_err(SyncError::Malformed);
            }
            if got == 0 {
                return Ok(None);
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(SyncError::Io {
                    op: "receive",
                    source: error,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cross_and_eof_is_seen() {
        let (a, b) = SyncSocket::pair().unwrap();
        a.send(&Message::InitPid(42)).unwrap();
        a.send(&Message::Failed("x".into())).unwrap();
        assert_eq!(b.receive().unwrap(), Some(Message::InitPid(42)));
        assert_eq!(b.receive().unwrap(), Some(Message::Failed("x".into())));
        drop(a);
        assert_eq!(b.receive().unwrap(), None);
    }
}
