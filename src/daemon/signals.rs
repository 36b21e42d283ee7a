//! SIGTERM and SIGINT arrive through a signalfd, so the accept loops can
//! poll for them next to their sockets. The mask must be set before any
//! thread starts, so that every thread inherits it.

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

pub struct ShutdownSignals {
    fd: SignalFd,
    mask: SigSet,
}

impl ShutdownSignals {
    pub fn block() -> nix::Result<ShutdownSignals> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGTERM);
        mask.add(Signal::SIGINT);
        mask.thread_block()?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)?;
        Ok(ShutdownSignals { fd, mask })
    }

    /// Blocks until SIGTERM or SIGINT arrives; its name.
    pub fn wait(&self) -> nix::Result<&'static str> {
        loop {
            match self.fd.read_signal() {
                // Go's names for them, which dockerd logs.
                Ok(Some(info)) if info.ssi_signo == libc::SIGINT as u32 => return Ok("interrupt"),
                Ok(Some(_)) => return Ok("terminated"),
                Ok(None) | Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => return Err(errno),
            }
        }
    }

    /// The mask to lift in children (shims) the daemon starts.
    pub fn mask(&self) -> &SigSet {
        &self.mask
    }
}
