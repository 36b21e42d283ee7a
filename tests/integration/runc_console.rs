//! process.terminal: the pty master arrives over --console-socket with
//! SCM_RIGHTS (runc's recvtty protocol) and the container's stdio is the
//! slave, its controlling terminal, sized as process.consoleSize says.

use crate::harness::{TempDir, report_skip, stderr_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::Path;

/// Receives one fd (and its name) from the first connection on `listener`.
pub fn receive_master(listener: &UnixListener) -> (String, OwnedFd) {
    let (stream, _) = listener.accept().expect("runtime connects");
    let mut name = [0u8; 4096];
    let mut iov = libc::iovec {
        iov_base: name.as_mut_ptr().cast(),
        iov_len: name.len(),
    };
    let mut control = [0u8; 64];
    // SAFETY: msghdr is plain data; the buffers outlive recvmsg.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control.len();
    // SAFETY: receiving into the buffers described by message.
    let got = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC) };
    assert!(got > 0, "recvmsg: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel filled a control header when it passed an fd.
    let fd = unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        assert!(!header.is_null(), "no fd received");
        assert_eq!((*header).cmsg_type, libc::SCM_RIGHTS);
        std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<i32>())
    };
    // SAFETY: the fd was just received and is ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    (
        String::from_utf8_lossy(&name[..got as usize]).into_owned(),
        fd,
    )
}

/// Runs the bundle with a console socket; returns what the terminal showed.
pub fn run_with_terminal(runtime: &Runtime, bundle_dir: &Path, socket: &Path) -> String {
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket).unwrap();
    let receiver = std::thread::spawn(move || {
        let (name, master) = receive_master(&listener);
        let mut terminal = std::fs::File::from(master);
        let mut seen = Vec::new();
        // Reads end with EIO once the last slave fd closes.
        let _ = terminal.read_to_end(&mut seen);
        (name, String::from_utf8_lossy(&seen).into_owned())
    });
    let _guard = runtime.guard("tty");
    // Detached, as containerd runs it (runc refuses a console socket for a
    // foreground run).
    let output = runtime.run(&[
        "run",
        "-d",
        "--console-socket",
        socket.to_str().unwrap(),
        "-b",
        bundle_dir.to_str().unwrap(),
        "tty",
    ]);
    assert!(
        output.status.success(),
        "{}: {}",
        runtime.name,
        stderr_of(&output)
    );
    let (name, seen) = receiver.join().unwrap();
    assert_eq!(name, "/dev/ptmx", "{}", runtime.name);
    seen
}

#[test]
fn terminal_through_console_socket() {
    let dir = TempDir::new("runc-tty");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["terminal"] = json!(true);
        spec["process"]["consoleSize"] = json!({"height": 40, "width": 100});
        spec["process"]["args"] = json!([
            "sh",
            "-c",
            "tty; stty size; test -t 0 && test -t 2 && echo stdio-is-tty; \
             cat /proc/self/stat | cut -d' ' -f7 | grep -qv '^0$' && echo has-ctty"
        ]);
    });
    let ours = Runtime::ours();
    let seen = run_with_terminal(&ours, &bundle.dir, &dir.join("console.sock"));
    assert_eq!(seen, "/dev/pts/0\r\n40 100\r\nstdio-is-tty\r\nhas-ctty\r\n");
    match Runtime::debian() {
        Ok(runc) => {
            let theirs = run_with_terminal(&runc, &bundle.dir, &dir.join("runc.sock"));
            assert_eq!(seen, theirs);
        }
        Err(reason) => report_skip("terminal_through_console_socket (runc part)", &reason),
    }
}

#[test]
fn terminal_without_console_socket_is_refused() {
    let dir = TempDir::new("runc-notty");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| spec["process"]["terminal"] = json!(true));
    let ours = Runtime::ours();
    let _guard = ours.guard("notty");
    let output = ours.run(&["create", "-b", bundle.dir.to_str().unwrap(), "notty"]);
    assert!(!output.status.success());
    assert!(
        stderr_of(&output).contains("console socket"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(ours.ok(&["list", "-q"]), "");
}

#[test]
fn foreground_run_relays_its_own_terminal() {
    let dir = TempDir::new("runc-fgtty");
    let bundle = runc_bundle!(dir, &["true"]);
    bundle.edit_config(|spec| {
        spec["process"]["terminal"] = json!(true);
        spec["process"]["args"] =
            json!(["sh", "-c", "tty; test -t 1 && echo stdout-is-tty; exit 3"]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("fg");
    // No console socket: runc's own relay between our stdio and the pty.
    let output = ours.run(&["run", "-b", bundle.dir.to_str().unwrap(), "fg"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr_of(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "/dev/pts/0\r\nstdout-is-tty\r\n"
    );
    assert_eq!(ours.ok(&["list", "-q"]), "");
}

#[test]
fn foreground_terminal_follows_window_size() {
    let dir = TempDir::new("runc-winch");
    let bundle = runc_bundle!(dir, &["true"]);
    crate::require!(crate::harness::need_command("script").map(|_| ()));
    bundle.edit_config(|spec| {
        spec["process"]["terminal"] = json!(true);
        spec["process"]["args"] = json!(["sh", "-c", "stty size; sleep 1; stty size"]);
    });
    let ours = Runtime::ours();
    let _guard = ours.guard("winch");
    // `script` gives the runtime a terminal; resize it, then SIGWINCH.
    let inner = format!(
        "stty rows 10 cols 20; {} --root {} run -b {} winch & P=$!; sleep 0.5; \
         stty rows 50 cols 60; kill -WINCH $P; wait $P",
        ours.exe.display(),
        ours.root.path().display(),
        bundle.dir.display()
    );
    let output =
        crate::runc_support::output_via_files(std::process::Command::new("script").args([
            "-qec",
            &inner,
            "/dev/null",
        ]));
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = String::from_utf8_lossy(&output.stdout).replace('\r', "");
    assert_eq!(text, "10 20\n50 60\n");
}
