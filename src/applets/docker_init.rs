//! The `docker-init` applet: a minimal init for `docker run --init`. It
//! runs PROGRAM as its child, forwards every signal it gets to it, reaps
//! the zombies re-parented to it, and exits with the child's code
//! (128+signal when it was killed), as tini does.

use crate::version;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;

const USAGE: &str = "Usage: docker-init [OPTIONS] PROGRAM -- [ARGS]\n\nReaps zombies and forwards signals to PROGRAM.";

pub fn main(args: Vec<OsString>) -> i32 {
    let mut rest = args.iter().skip(1).peekable();
    while let Some(arg) = rest.peek() {
        match arg.to_str() {
            Some("--version") => {
                // dockerd reads this line for `docker info`; it expects tini's shape.
                println!("tini version 0.19.0 - git.dockbox-{}", version::COMMIT);
                return 0;
            }
            Some("-h" | "--help") => {
                println!("{USAGE}");
                return 0;
            }
            Some("--") => {
                rest.next();
                break;
            }
            // tini's flags that change nothing for us (-s, -g, -v, ...).
            Some(flag) if flag.starts_with('-') => {
                rest.next();
            }
            _ => break,
        }
    }
    let argv: Vec<CString> = rest
        .filter_map(|arg| CString::new(arg.as_bytes()).ok())
        .collect();
    if argv.is_empty() {
        eprintln!("docker-init: no program given\n{USAGE}");
        return 1;
    }
    supervise(&argv)
}

fn supervise(argv: &[CString]) -> i32 {
    // SAFETY: sigset_t manipulation and sigprocmask on our own thread;
    // the child only calls async-signal-safe functions before execvp.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::sigprocmask(libc::SIG_SETMASK, &all, &mut old);
        let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        pointers.push(std::ptr::null());
        let child = libc::fork();
        if child < 0 {
            eprintln!("docker-init: fork: {}", std::io::Error::last_os_error());
            return 1;
        }
        if child == 0 {
            libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
            libc::execvp(pointers[0], pointers.as_ptr());
            let code = if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOENT) {
                127
            } else {
                126
            };
            libc::_exit(code);
        }
        loop {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let signal = libc::sigwaitinfo(&all, &mut info);
            if signal < 0 {
                continue;
            }
            if signal != libc::SIGCHLD {
                libc::kill(child, signal);
                continue;
            }
            loop {
                let mut status = 0;
                let reaped = libc::waitpid(-1, &mut status, libc::WNOHANG);
                if reaped <= 0 {
                    break;
                }
                if reaped == child {
                    return crate::runtime::container::exit_code(status);
                }
            }
        }
    }
}
