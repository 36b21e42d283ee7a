//! The container's terminal: a pty from the container's own devpts, the
//! slave as controlling terminal on fds 0-2, and the master handed to the
//! caller over `--console-socket` with SCM_RIGHTS (runc's recvtty protocol:
//! the payload is the master's name, the fd rides along).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

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
    let slave = open_peer(&master, &slave_path)?;
    Ok(Pty {
        master,
        slave,
        slave_path,
    })
}

/// The other end of `master`, through TIOCGPTPEER: never by the path
/// /dev/pts/N, which whoever can mount in the container may have swapped
/// for something else (the CVE-2025-52565 class). Kernels before 4.13 lack
/// the ioctl; there the path is opened and must be a terminal.
fn open_peer(master: &OwnedFd, slave_path: &str) -> Result<OwnedFd, ConsoleError> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes open flags and returns a new fd.
    let peer = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags) };
    if peer >= 0 {
        // SAFETY: fresh fd that we own.
        return Ok(unsafe { OwnedFd::from_raw_fd(peer) });
    }
    let errno = std::io::Error::last_os_error().raw_os_error();
    if !matches!(errno, Some(libc::EINVAL) | Some(libc::ENOTTY)) {
        return Err(error("TIOCGPTPEER", slave_path));
    }
    let c_slave = CString::new(slave_path).expect("no NUL");
    // SAFETY: the path is NUL-terminated.
    let slave = unsafe { libc::open(c_slave.as_ptr(), flags | libc::O_NOFOLLOW) };
    if slave < 0 {
        return Err(error("open", slave_path));
    }
    // SAFETY: fresh fd that we own.
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    // SAFETY: isatty on our own fd.
    if unsafe { libc::isatty(slave.as_raw_fd()) } != 1 {
        return Err(ConsoleError {
            op: "open the terminal",
            target: slave_path.to_string(),
            source: std::io::Error::from_raw_os_error(libc::ENOTTY),
        });
    }
    Ok(slave)
}

/// Sends `fd` over the connected unix socket with `name` as the payload.
pub fn send_fd(socket: RawFd, name: &str, fd: RawFd) -> Result<(), ConsoleError> {
    super::scm::send_with_fds(socket, name.as_bytes(), &[fd]).map_err(|source| ConsoleError {
        op: "send the pty master over",
        target: "--console-socket".into(),
        source,
    })
}

/// Makes `pty.slave` the controlling terminal on fds 0, 1 and 2 of a
/// session leader, and binds it onto /dev/console.
pub fn attach_slave(pty: &Pty) -> Result<(), ConsoleError> {
    bind_console(pty)?;
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
/// writable /dev to create the mount point in. Both ends go through
/// /proc/self/fd: the source is the pty's own slave fd, and the target the
/// file just opened without following a symlink, so that neither a
/// swapped /dev/pts/N nor a /dev/console replaced in between redirects the
/// bind.
pub(super) fn bind_console(pty: &Pty) -> Result<(), ConsoleError> {
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
    // SAFETY: fresh fd that we own.
    let target = unsafe { OwnedFd::from_raw_fd(fd) };
    let fd_path = |fd: &OwnedFd| CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    let source = fd_path(&pty.slave).expect("no NUL");
    let target = fd_path(&target).expect("no NUL");
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
        return Err(error(
            "bind onto /dev/console",
            format!("{} (as {source:?})", pty.slave_path),
        ));
    }
    Ok(())
}

/// Receives one fd sent with [`send_fd`] over `socket`.
pub fn receive_fd(socket: &UnixStream) -> Result<OwnedFd, ConsoleError> {
    let mut name = [0u8; 256];
    let mut iov = libc::iovec {
        iov_base: name.as_mut_ptr().cast(),
        iov_len: name.len(),
    };
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
    let mut control = vec![0u8; space];
    // SAFETY: msghdr is plain data; every pointer set below outlives recvmsg.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = space as _;
    // SAFETY: message describes our buffers.
    let got = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC) };
    if got < 0 {
        return Err(error("receive the pty master", "console socket"));
    }
    // SAFETY: the header, when present, lies inside `control`.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        if header.is_null() || (*header).cmsg_type != libc::SCM_RIGHTS {
            return Err(ConsoleError {
                op: "receive the pty master",
                target: "console socket".into(),
                source: std::io::Error::from_raw_os_error(libc::EBADMSG),
            });
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<RawFd>());
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// Puts the caller's terminal (stdin, when it is one) in raw mode for the
/// relay and back afterwards.
struct RawMode {
    saved: Option<libc::termios>,
}

impl RawMode {
    fn enter() -> RawMode {
        // SAFETY: termios is plain data filled by tcgetattr.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 and a writable termios.
        if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
            return RawMode { saved: None };
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw edits the struct in place.
        unsafe {
            libc::cfmakeraw(&mut raw);
            libc::tcsetattr(0, libc::TCSANOW, &raw);
        }
        RawMode { saved: Some(saved) }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            // SAFETY: restoring the attributes read in enter().
            unsafe { libc::tcsetattr(0, libc::TCSANOW, saved) };
        }
    }
}

/// The window size of the caller's terminal (the first of fds 0-2 that is
/// one), as (rows, columns).
pub fn caller_window_size() -> Option<(u16, u16)> {
    // SAFETY: winsize is plain data.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    (0..3)
        // SAFETY: TIOCGWINSZ fills a winsize.
        .find(|&fd| unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0)
        .map(|_| (size.ws_row, size.ws_col))
}

/// Copies the caller's window size to the pty; the kernel then sends
/// SIGWINCH to the container's foreground group.
fn copy_window_size(master: &OwnedFd) {
    if let Some((rows, columns)) = caller_window_size() {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads a winsize.
        unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    }
}

/// Relays between the caller's stdio and the container's pty until the
/// container side closes: stdin to the master, the master to stdout. The
/// window size follows the caller's whenever `resized` (set by the
/// caller's SIGWINCH handler) turns true.
pub fn relay(master: &OwnedFd, resized: &AtomicBool) {
    copy_window_size(master);
    let _raw = RawMode::enter();
    let mut buffer = [0u8; 8192];
    let mut stdin_open = true;
    loop {
        let mut polls = [
            libc::pollfd {
                fd: master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if stdin_open { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if resized.swap(false, Ordering::Relaxed) {
            copy_window_size(master);
        }
        // SAFETY: two valid pollfds (a negative fd is skipped).
        let ready = unsafe { libc::poll(polls.as_mut_ptr(), 2, -1) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if polls[0].revents != 0 {
            // SAFETY: reading into a local buffer.
            let got =
                unsafe { libc::read(master.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
            // EIO: every slave fd is closed, the container is done.
            if got <= 0 {
                return;
            }
            write_all(1, &buffer[..got as usize]);
        }
        if polls[1].revents != 0 {
            // SAFETY: reading into a local buffer.
            let got = unsafe { libc::read(0, buffer.as_mut_ptr().cast(), buffer.len()) };
            if got <= 0 {
                stdin_open = false;
            } else {
                write_all(master.as_raw_fd(), &buffer[..got as usize]);
            }
        }
    }
}

fn write_all(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing from a valid slice.
        let written = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if written <= 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        bytes = &bytes[written as usize..];
    }
}
