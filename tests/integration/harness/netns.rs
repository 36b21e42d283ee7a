//! Runs children in a fresh network namespace with only `lo`, brought up, so
//! nothing a test does reaches the host's interfaces.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes `command` start in a new network namespace of its own.
pub fn in_new_netns(command: &mut Command) -> &mut Command {
    // SAFETY: the closure runs between fork and exec and makes only raw
    // syscalls (unshare, socket, ioctl, close), which are async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            bring_loopback_up()
        })
    }
}

/// `ip link set lo up`, without needing iproute2: SIOCSIFFLAGS on `lo`.
fn bring_loopback_up() -> std::io::Result<()> {
    // SAFETY: plain syscalls on a socket we own; `request` is a zeroed ifreq
    // with a NUL-terminated name.
    unsafe {
        let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if socket < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *slot = *byte as libc::c_char;
        }
        let mut result = libc::ioctl(socket, libc::SIOCGIFFLAGS, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
            result = libc::ioctl(socket, libc::SIOCSIFFLAGS, &request);
        }
        let error = std::io::Error::last_os_error();
        libc::close(socket);
        if result != 0 { Err(error) } else { Ok(()) }
    }
}
