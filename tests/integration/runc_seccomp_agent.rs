//! SCMP_ACT_NOTIFY with `listenerPath`: the runtime sends the listener fd
//! and the container process state to the seccomp agent's socket, and the
//! agent answers the notified calls. A tiny agent runs in a thread here;
//! ours is compared with Debian's runc 1.1.5.

use crate::harness::{TempDir, stderr_of, stdout_of};
use crate::runc_bundle;
use crate::runc_support::Runtime;
use serde_json::json;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

/// What the agent answers every notified call with (an errno no mkdir
/// gives by itself).
const AGENT_ERRNO: i32 = libc::EHOSTDOWN;

/// What the agent saw: the state message and how many calls it answered.
struct AgentReport {
    state: serde_json::Value,
    fd_names_match: bool,
    answered: usize,
}

/// Accepts one connection, takes the state and the listener fd from it,
/// then answers notifications until the container's last task is gone.
fn serve_one_container(listener: UnixListener) -> Result<AgentReport, String> {
    let (connection, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    serve_connection(connection)
}

/// Waits up to 20 s for the next connection.
fn accept_within_20s(listener: &UnixListener) -> Result<UnixStream, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((connection, _)) => {
                connection
                    .set_nonblocking(false)
                    .map_err(|e| e.to_string())?;
                return Ok(connection);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() > deadline {
                    return Err("no connection to the agent within 20 s".into());
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

/// Takes the state and the listener fd from one connection, then answers
/// notifications until no task uses that filter any more.
fn serve_connection(connection: UnixStream) -> Result<AgentReport, String> {
    let (payload, fd) = receive_with_fd(connection.as_raw_fd())?;
    let state: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| format!("state JSON: {e}"))?;
    let fd_names_match = state["fds"] == json!(["seccompFd"]);
    let mut answered = 0;
    loop {
        let mut poll = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, ours.
        let ready = unsafe { libc::poll(&mut poll, 1, 20_000) };
        if ready <= 0 {
            return Err("no notification and no hang-up within 20 s".into());
        }
        if poll.revents & libc::POLLIN == 0 {
            break; // POLLHUP: no task uses the filter any more.
        }
        // SAFETY: seccomp_notif is plain data, filled by the kernel.
        let mut notification: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl writes one seccomp_notif.
        if unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut notification,
            )
        } != 0
        {
            continue; // The caller went away meanwhile.
        }
        // SAFETY: as above, plain data.
        let mut response: libc::seccomp_notif_resp = unsafe { std::mem::zeroed() };
        response.id = notification.id;
        response.error = -AGENT_ERRNO;
        // SAFETY: the ioctl reads one seccomp_notif_resp.
        if unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &mut response,
            )
        } == 0
        {
            answered += 1;
        }
    }
    Ok(AgentReport {
        state,
        fd_names_match,
        answered,
    })
}

fn receive_with_fd(socket: i32) -> Result<(Vec<u8>, OwnedFd), String> {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut iov = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    let mut control = vec![0u8; 64];
    // SAFETY: plain data; the pointers outlive recvmsg.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = control.len() as _;
    // SAFETY: message describes our buffers.
    let received = unsafe { libc::recvmsg(socket, &mut message, 0) };
    if received <= 0 {
        return Err(format!("recvmsg: {}", std::io::Error::last_os_error()));
    }
    buffer.truncate(received as usize);
    // SAFETY: the kernel filled message; we read its first header only.
    let fd = unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        if header.is_null() || (*header).cmsg_type != libc::SCM_RIGHTS {
            return Err("no fd attached to the state".into());
        }
        std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<i32>())
    };
    // SAFETY: the fd just arrived and is ours alone.
    Ok((buffer, unsafe { OwnedFd::from_raw_fd(fd) }))
}

fn notify_profile(socket: &Path) -> serde_json::Value {
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "listenerPath": socket,
        "listenerMetadata": "agent-metadata",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]
    })
}

#[test]
fn notify_rules_go_to_the_seccomp_agent() {
    let dir = TempDir::new("runc-seccomp-agent");
    let bundle = runc_bundle!(dir, &["sh", "-c", "mkdir /made; echo mkdir=$?"]);
    if std::env::consts::ARCH != "x86_64" {
        return crate::harness::report_skip("runc", "the profile is for x86_64");
    }
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    let bundle_dir = bundle.dir.to_str().unwrap();
    for runtime in [Runtime::ours(), debian] {
        let socket = dir.join(&format!("agent-{}.sock", runtime.name));
        let listener = UnixListener::bind(&socket).expect("bind the agent socket");
        let agent = std::thread::spawn(move || serve_one_container(listener));
        bundle.edit_config(|spec| {
            spec["root"]["readonly"] = json!(false);
            spec["linux"]["seccomp"] = notify_profile(&socket);
        });
        let _guard = runtime.guard("agent");
        let output = runtime.run(&["run", "-b", bundle_dir, "agent"]);
        assert!(
            output.status.success(),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        let report = agent
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("{}: {e}", runtime.name));
        // The agent's errno reached the container, and nothing was made.
        assert_eq!(stdout_of(&output).trim(), "mkdir=1", "{}", runtime.name);
        assert!(
            stderr_of(&output).contains("Host is down"),
            "{}: {}",
            runtime.name,
            stderr_of(&output)
        );
        assert!(
            !bundle.rootfs.path.join("made").exists(),
            "{}",
            runtime.name
        );
        assert!(report.answered >= 1, "{}", runtime.name);
        assert!(report.fd_names_match, "{}: {}", runtime.name, report.state);
        let state = &report.state;
        assert_eq!(state["metadata"], "agent-metadata", "{}", runtime.name);
        assert_eq!(state["state"]["id"], "agent", "{}", runtime.name);
        assert_eq!(state["state"]["status"], "creating", "{}", runtime.name);
        assert_eq!(state["state"]["bundle"], bundle_dir, "{}", runtime.name);
        let pid = state["pid"].as_i64().unwrap_or(0);
        assert!(pid > 1, "{}: {state}", runtime.name);
        assert_eq!(state["state"]["pid"], pid, "{}", runtime.name);
        assert!(state["ociVersion"].is_string(), "{}", runtime.name);
    }
}

#[test]
fn notify_needs_a_listener_path_and_spares_write() {
    let dir = TempDir::new("runc-seccomp-noagent");
    let bundle = runc_bundle!(dir, &["true"]);
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    let runtimes = [Runtime::ours(), debian];
    let bundle_dir = bundle.dir.to_str().unwrap();
    for (profile, expected) in [
        (
            json!({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/nonexistent"}),
            "SCMP_ACT_NOTIFY cannot be used as default action",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent",
                   "syscalls": [{"names": ["write"], "action": "SCMP_ACT_NOTIFY"}]}),
            "SCMP_ACT_NOTIFY cannot be used for the write syscall",
        ),
        (
            json!({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}),
            "listenerPath is not set",
        ),
    ] {
        bundle.edit_config(|spec| spec["linux"]["seccomp"] = profile.clone());
        for runtime in &runtimes {
            let _guard = runtime.guard("noagent");
            let output = runtime.run(&["run", "-b", bundle_dir, "noagent"]);
            assert!(!output.status.success(), "{}: {profile}", runtime.name);
            assert!(
                stderr_of(&output).contains(expected),
                "{}: {profile}: {}",
                runtime.name,
                stderr_of(&output)
            );
        }
    }
}

/// `exec` in a container whose profile notifies: runc hands the new
/// process's listener to the agent too, on a connection of its own, with
/// the container "running" under the init's pid and the new process's pid
/// as the message's.
#[test]
fn exec_hands_its_listener_to_the_seccomp_agent() {
    let dir = TempDir::new("runc-seccomp-agentexec");
    let bundle = runc_bundle!(dir, &["sleep", "1000"]);
    if std::env::consts::ARCH != "x86_64" {
        return crate::harness::report_skip("runc", "the profile is for x86_64");
    }
    let debian = match Runtime::debian() {
        Ok(runtime) => runtime,
        Err(reason) => return crate::harness::report_skip("runc", &reason),
    };
    let bundle_dir = bundle.dir.to_str().unwrap();
    for runtime in [Runtime::ours(), debian] {
        let name = runtime.name;
        let socket = dir.join(&format!("agent-exec-{name}.sock"));
        let listener = UnixListener::bind(&socket).expect("bind the agent socket");
        // The init's connection is served aside; the exec's is reported.
        let agent = std::thread::spawn(move || {
            let init = accept_within_20s(&listener)?;
            std::thread::spawn(move || serve_connection(init));
            serve_connection(accept_within_20s(&listener)?)
        });
        bundle.edit_config(|spec| {
            spec["root"]["readonly"] = json!(false);
            spec["linux"]["seccomp"] = notify_profile(&socket);
        });
        let _guard = runtime.guard("agentexec");
        runtime.ok(&["run", "-d", "-b", bundle_dir, "agentexec"]);
        let init_pid = runtime.state("agentexec")["pid"].as_i64().unwrap();
        let output = runtime.run(&[
            "exec",
            "agentexec",
            "sh",
            "-c",
            "mkdir /made; echo mkdir=$?",
        ]);
        let stderr = stderr_of(&output);
        assert!(output.status.success(), "{name}: {stderr}");
        assert_eq!(stdout_of(&output).trim(), "mkdir=1", "{name}: {stderr}");
        assert!(stderr.contains("Host is down"), "{name}: {stderr}");
        let report = agent
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.answered >= 1, "{name}");
        assert!(report.fd_names_match, "{name}: {}", report.state);
        let state = &report.state;
        assert_eq!(state["metadata"], "agent-metadata", "{name}");
        assert_eq!(state["state"]["id"], "agentexec", "{name}");
        assert_eq!(state["state"]["status"], "running", "{name}: {state}");
        assert_eq!(state["state"]["pid"], init_pid, "{name}: {state}");
        assert_eq!(state["state"]["bundle"], bundle_dir, "{name}");
        let pid = state["pid"].as_i64().unwrap_or(0);
        assert!(pid > 1 && pid != init_pid, "{name}: {state}");
        let _ = runtime.run(&["delete", "-f", "agentexec"]);
        crate::runc_support::reap(init_pid as i32);
    }
}
