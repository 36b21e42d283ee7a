//! Typed messages between the launcher's stages (the runc process, the
//! namespace-joining helper and the container's init) over one
//! SOCK_SEQPACKET socketpair: one datagram per message, so no framing.

use serde::{Deserialize, Serialize};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

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
    /// Parent to init, before `Proceed`: O_PATH fds of bind sources,
    /// opened as the host's root in the init's mount namespace, attached
    /// in this order; the numbers are their indices in the spec's mounts.
    MountSources(Vec<usize>),
}

/// The most fds one SCM_RIGHTS message may carry (the kernel's SCM_MAX_FD).
pub const MAX_FDS_PER_MESSAGE: usize = 253;

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
        self.send_with_fds(message, &[])
    }

    /// `message` with `fds` attached (SCM_RIGHTS), at most
    /// [`MAX_FDS_PER_MESSAGE`] of them.
    pub fn send_with_fds(
        &self,
        message: &Message,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec(message).expect("messages serialise");
        let raw: Vec<RawFd> = fds.iter().map(AsRawFd::as_raw_fd).collect();
        super::scm::send_with_fds(self.fd.as_raw_fd(), &bytes, &raw)
            .map_err(|source| SyncError::Io { op: "send", source })
    }

    /// The next message, or None when every peer has closed its end. fds
    /// attached to it are closed.
    pub fn receive(&self) -> Result<Option<Message>, SyncError> {
        self.receive_with_fds().map(|(message, _)| message)
    }

    /// The next message with the fds attached to it, close-on-exec.
    pub fn receive_with_fds(&self) -> Result<(Option<Message>, Vec<OwnedFd>), SyncError> {
        let mut buffer = vec![0u8; 64 * 1024];
        let fd_bytes = (MAX_FDS_PER_MESSAGE * std::mem::size_of::<RawFd>()) as u32;
        // SAFETY: CMSG_SPACE is a pure size computation.
        let mut control = vec![0u8; unsafe { libc::CMSG_SPACE(fd_bytes) } as usize];
        loop {
            let mut iov = libc::iovec {
                iov_base: buffer.as_mut_ptr().cast(),
                iov_len: buffer.len(),
            };
            // SAFETY: msghdr is plain data; every pointer set below outlives recvmsg.
            let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
            header.msg_iov = &mut iov;
            header.msg_iovlen = 1;
            header.msg_control = control.as_mut_ptr().cast();
            header.msg_controllen = control.len() as _;
            // SAFETY: header describes our buffers.
            let got =
                unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut header, libc::MSG_CMSG_CLOEXEC) };
            if got >= 0 {
                // SAFETY: the kernel filled header's control part.
                let fds = unsafe { attached_fds(&header) };
                if got == 0 {
                    return Ok((None, fds));
                }
                return serde_json::from_slice(&buffer[..got as usize])
                    .map(|message| (Some(message), fds))
                    .map_err(SyncError::Malformed);
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

/// The fds of every SCM_RIGHTS header of a received message, owned.
///
/// # Safety
/// `header` must come from a successful recvmsg into live buffers.
unsafe fn attached_fds(header: &libc::msghdr) -> Vec<OwnedFd> {
    let mut fds = Vec::new();
    // SAFETY: the caller's promise; every header lies inside the control
    // buffer and its data holds (cmsg_len - CMSG_LEN(0)) bytes of fds.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(header);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                for index in 0..bytes / std::mem::size_of::<RawFd>() {
                    fds.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(
                        data.add(index),
                    )));
                }
            }
            cmsg = libc::CMSG_NXTHDR(header, cmsg);
        }
    }
    fds
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

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

    #[test]
    fn fds_travel_with_their_message() {
        let (a, b) = SyncSocket::pair().unwrap();
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        a.send_with_fds(
            &Message::MountSources(vec![3, 5]),
            &[file.as_fd(), file.as_fd()],
        )
        .unwrap();
        let (message, fds) = b.receive_with_fds().unwrap();
        assert_eq!(message, Some(Message::MountSources(vec![3, 5])));
        assert_eq!(fds.len(), 2);
        let same =
            |fd: &OwnedFd| std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        assert_eq!(same(&fds[0]), same(&fds[1]));
        assert_eq!(same(&fds[0]), std::fs::read_link("/proc/self/exe").unwrap());
    }
}
