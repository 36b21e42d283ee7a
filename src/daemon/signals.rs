//! SIGTERM and SIGINT (shutdown) and SIGHUP (reload the configuration)
//! arrive through a signalfd, so the accept loops can
//! poll for them next to their sockets. The mask must be set before any
//! thread starts, so that every thread inherits it.

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

pub enum Received {
    /// SIGTERM or SIGINT, by Go's name for it, which dockerd logs.
    Shutdown(&'static str),
    /// SIGHUP.
    Reload,
}

pub struct ShutdownSignals {
    fd: SignalFd,
}

impl ShutdownSignals {
    pub fn block() -> nix::Result<ShutdownSignals> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGTERM);
        mask.add(Signal::SIGINT);
        mask.add(Signal::SIGHUP);
        mask.thread_block()?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)?;
        Ok(ShutdownSignals { fd })
    }

    /// Blocks until one of the signals arrives.
    pub fn wait(&self) -> nix::Result<Received> {
        loop {
            match self.fd.read_signal() {
                Ok(Some(info)) if info.ssi_signo == libc::SIGINT as u32 => {
                    return Ok(Received::Shutdown("interrupt"));
                }
                Ok(Some(info)) if info.ssi_signo == libc::SIGHUP as u32 => {
                    return Ok(Received::Reload);
                }
                Ok(Some(_)) => return Ok(Received::Shutdown("terminated")),
                Ok(None) | Err(nix::errno::Errno::EINTR) => continue,
                Err(errno) => return Err(errno),
            }
        }
    }
}
