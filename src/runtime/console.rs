//! The container's terminal: a pty from the container's own devpts, the
//! slave as controlling terminal on fds 0-2, and the master handed to the
//! caller over `--console-socket` with SCM_RIGHTS (runc's recvtty protocol:
//! the payload is the master's name, the fd rides along).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("console: {op} {target}: {source}")]
pub struct ConsoleError {
    op: &'static str,
    target: String,
    source: std::io::Error,
}

fn error(op: &'static str, target: impl Into<String>) -> ConsoleError {
    ConsoleError {
        op,
        target: target.into(),
        source: std::io::Error::last_os_error(),
    }
}

/// Connects to the caller's console socket (done in the parent, before the
/// rootfs hides the path).
pub fn connect(path: &Path) -> Result<UnixStream, ConsoleError> {
    UnixStream::connect(path).map_err(|source| ConsoleError {
        op: "connect",
        target: path.display().to_string(),
        source,
    })
}

/// A fresh pty pair from /dev/ptmx (the container's, after pivot_root).
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
    pub slave_path: String,
}

pub fn open_pty(size: Option<(u16, u16)>) -> Result<Pty, ConsoleError> {
    // SAFETY: the path is NUL-terminated.
    let master = unsafe {
        libc::open(
            c"/dev/ptmx".as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if master < 0 {
        return Err(error("open", "/dev/ptmx"));
    }
    // SAFETY: fresh fd that we own.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads an int.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) } != 0 {
        return Err(error("unlockpt", "/dev/ptmx"));
    }
    let mut number: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes an unsigned int.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut number) } != 0 {
        return Err(error("ptsname", "/dev/ptmx"));
    }
    if let Some((rows, columns)) = size {
        let winsize = libc::winsize {
            ws_row: rows,
            ws_col: columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads a winsize.
        if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &winsize) } != 0 {
            return Err(error("set window size", "/dev/ptmx"));
        }
    }
    let slave_path = format!("/dev/pts/{number}");
    let c_slave = CString::new(slave_path.clone()).expect("no NUL");
    // SAFETY: the path is NUL-terminated.
    let slave = unsafe {
        libc::open(
            c_slave.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if slave < 0 {
        return Err(error("open", slave_path));
    }
    Ok(Pty {
        master,
        // SAFETY: fresh fd that we own.
        slave: unsafe { OwnedFd::from_raw_fd(slave) },
        slave_path,
    })
}

/// Sends `fd` over the connected unix socket with `name` as the payload.
pub fn send_fd(socket: RawFd, name: &str, fd: RawFd) -> Result<(), ConsoleError> {
    let mut payload = name.as_bytes().to_vec();
    let mut iov = libc::iovec {
        iov_base: payload.as_mut_ptr().cast(),
        iov_len: payload.len(),
    };
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
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
        (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
    }
    // SAFETY: message is fully initialised.
    if unsafe { libc::sendmsg(socket, &message, libc::MSG_NOSIGNAL) } < 0 {
        return Err(error("send the pty master over", "--console-socket"));
    }
    Ok(())
}

/// Makes `pty.slave` the controlling terminal on fds 0, 1 and 2 of a
/// session leader, and binds it onto /dev/console.
pub fn attach_slave(pty: &Pty) -> Result<(), ConsoleError> {
    bind_console(&pty.slave_path)?;
    for target in 0..3 {
        // SAFETY: dup2 onto the standard fds.
        if unsafe { libc::dup2(pty.slave.as_raw_fd(), target) } < 0 {
            return Err(error("dup2", pty.slave_path.clone()));
        }
    }
    // SAFETY: TIOCSCTTY with arg 0 on our own terminal.
    if unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } != 0 {
        return Err(error("set controlling terminal", pty.slave_path.clone()));
    }
    Ok(())
}

/// runc binds the pty onto /dev/console so that programs writing to the
/// console reach the caller's terminal. Skipped when the container has no
/// writable /dev to create the mount point in.
fn bind_console(slave_path: &str) -> Result<(), ConsoleError> {
    let target = c"/dev/console";
    // SAFETY: the path is NUL-terminated; O_NOFOLLOW keeps us off symlinks.
    let fd = unsafe {
        libc::open(
            target.as_ptr(),
            libc::O_CREAT | libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0o600,
        )
    };
    if fd < 0 {
        return Ok(());
    }
    // SAFETY: closing the fd just created.
    unsafe { libc::close(fd) };
    let source = CString::new(slave_path).expect("no NUL");
    // SAFETY: NUL-terminated paths; no data argument.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(error("bind onto /dev/console", slave_path.to_string()));
    }
    Ok(())
}
