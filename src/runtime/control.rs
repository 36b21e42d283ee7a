//! The lifecycle of an existing container: start, kill and delete.

use super::cgroups::CgroupManager;
use super::container::{Container, RuntimeError, pidfd_open, wait_pidfd};
use super::hooks::{self, HookStage};
use super::state::Status;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// How long delete waits for a killed init to go away.
const KILL_WAIT_MS: i32 = 10_000;

/// Start.
impl Container {
    /// Releases an init that `create` left waiting: reads its byte from the
    /// exec FIFO, then removes the FIFO, so the status becomes running.
    pub fn start(&mut self) -> Result<(), RuntimeError> {
        match self.status() {
            Status::Created => {}
            Status::Stopped => return Err(RuntimeError::StartStopped),
            Status::Running => return Err(RuntimeError::StartRunning),
            other => return Err(RuntimeError::StartOther(other.as_str())),
        }
        let state = self.state.as_ref().expect("created has state");
        // The pidfd first: the init is blocked opening the FIFO until we
        // open it, so it is surely alive now. Once we open the FIFO it may
        // write its byte, exec, exit and be reaped by its parent at once,
        // and a pidfd asked for after that would wrongly say it never ran.
        let pidfd = pidfd_open(state.pid).ok_or(RuntimeError::StartStopped)?;
        super::debug(|| format!("start: opening the exec fifo of init {}", state.pid));
        let fifo_path = self.dir.fifo_path();
        let c_path = std::ffi::CString::new(fifo_path.as_os_str().as_encoded_bytes())
            .map_err(|_| RuntimeError::Spec("state path has a NUL byte".into()))?;
        // Non-blocking open: the init's blocked open for writing completes,
        // and an init that died cannot leave us hanging.
        // SAFETY: the path is NUL-terminated.
        let fd = unsafe {
            libc::open(
                c_path.as_ptr(),
                libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(RuntimeError::Os {
                op: "open exec fifo",
                target: fifo_path.display().to_string(),
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: fresh fd that we own.
        let fifo = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut polls = [
            libc::pollfd {
                fd: fifo.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        loop {
            // SAFETY: two valid pollfds.
            let rc = unsafe { libc::poll(polls.as_mut_ptr(), 2, -1) };
            if rc < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(RuntimeError::Os {
                    op: "poll exec fifo",
                    target: fifo_path.display().to_string(),
                    source: std::io::Error::last_os_error(),
                });
            }
            if polls[0].revents & libc::POLLIN != 0 {
                break;
            }
            if polls[1].revents != 0 || polls[0].revents & libc::POLLHUP != 0 {
                return Err(RuntimeError::StartStopped);
            }
        }
        let mut byte = [0u8; 1];
        // SAFETY: reading one byte into a local buffer.
        let got = unsafe { libc::read(fifo.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
        if got != 1 {
            return Err(RuntimeError::StartStopped);
        }
        std::fs::remove_file(&fifo_path).map_err(|source| RuntimeError::Os {
            op: "remove",
            target: fifo_path.display().to_string(),
            source,
        })?;
        super::debug(|| "start: the init read the fifo and execs the process".to_string());
        Ok(())
    }

    /// The runtime-side hooks after creation, poststart and poststop, with
    /// the container's state as `status`: a poststart failure is returned
    /// (the caller destroys the container, as runc 1.1.5), a poststop one
    /// is logged as an error, as runc's delete logs it, and the delete
    /// goes on.
    pub fn run_runtime_hooks(
        &self,
        stage: HookStage,
        status: oci_spec::runtime::ContainerState,
    ) -> Result<(), hooks::HookError> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        let config = state.bundle.join("config.json");
        let Ok(spec) = oci_spec::runtime::Spec::load(&config) else {
            return Ok(());
        };
        let Some(hook_list) = spec.hooks() else {
            return Ok(());
        };
        let hook_state = hooks::container_state(
            &self.id,
            status,
            Some(state.pid),
            &state.bundle,
            Some(&state.annotations),
        );
        hooks::run_stage(stage, Some(hook_list), &hook_state, |error| {
            super::log_error(&error.to_string());
        })
    }
}

/// Kill.
impl Container {
    /// Sends `signal` to the init, or with `all` to every process in the
    /// container's pid namespace.
    pub fn kill(&self, signal: i32, all: bool) -> Result<(), RuntimeError> {
        if all && let Some(cgroup) = self.cgroup() {
            return self.signal_cgroup(cgroup.as_ref(), signal);
        }
        let state = match (self.status(), &self.state) {
            // As runc: with --all a stopped container has nobody left to
            // signal, which is no error.
            (Status::Stopped, _) if all => return Ok(()),
            (Status::Stopped, _) | (_, None) => return Err(RuntimeError::NotRunning),
            (_, Some(state)) => state,
        };
        if all && state.own_pid_namespace {
            for pid in pids_in_namespace_of(state.pid) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, signal) };
            }
            return Ok(());
        }
        // SAFETY: as above.
        if unsafe { libc::kill(state.pid, signal) } != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::ESRCH) {
                return Err(RuntimeError::NoSuchProcess);
            }
            return Err(RuntimeError::Os {
                op: "kill",
                target: state.pid.to_string(),
                source: error,
            });
        }
        Ok(())
    }
}

/// Kill --all.
impl Container {
    /// `kill --all` as runc does it: every process in the container's
    /// cgroup, which also holds exec'd processes of a container that shares
    /// the host's pid namespace, and whatever a stopped container left
    /// behind. The cgroup is frozen meanwhile so that nothing forks past
    /// the signal; a paused container stays paused, except that SIGKILL
    /// must thaw it to be delivered.
    fn signal_cgroup(&self, cgroup: &dyn CgroupManager, signal: i32) -> Result<(), RuntimeError> {
        let status = self.status();
        if matches!(status, Status::Creating) {
            return Err(RuntimeError::NotRunning);
        }
        let pids = match cgroup.pids() {
            Ok(pids) => pids,
            // A stopped container whose cgroup is already gone.
            Err(_) if status == Status::Stopped => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        if pids.is_empty() {
            return Ok(());
        }
        let was_frozen = status == Status::Paused;
        let froze = !was_frozen && cgroup.freeze().is_ok();
        // Again once frozen: a process may have forked meanwhile.
        let pids = cgroup.pids().unwrap_or(pids);
        for pid in pids {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe { libc::kill(pid, signal) };
        }
        if froze || (was_frozen && signal == libc::SIGKILL) {
            cgroup.thaw()?;
        }
        Ok(())
    }
}

/// Every host pid whose pid namespace is that of `init`, init first.
fn pids_in_namespace_of(init: i32) -> Vec<i32> {
    let Ok(namespace) = std::fs::read_link(format!("/proc/{init}/ns/pid")) else {
        return Vec::new();
    };
    let mut pids = vec![init];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != init
            && std::fs::read_link(format!("/proc/{pid}/ns/pid"))
                .ok()
                .as_ref()
                == Some(&namespace)
        {
            pids.push(pid);
        }
    }
    pids
}

/// Delete.
impl Container {
    /// Removes a stopped or created container; a running one only with
    /// `force`, which kills it first. Waits until the init is gone, so no
    /// process, mount or state remains.
    pub fn delete(self, force: bool) -> Result<(), RuntimeError> {
        match self.status() {
            Status::Stopped => {}
            Status::Created => self.kill_and_wait()?,
            Status::Running | Status::Paused if force => self.kill_and_wait()?,
            Status::Creating if force => {}
            status => {
                return Err(RuntimeError::DeleteNotStopped {
                    id: self.id.clone(),
                    status: status.as_str(),
                });
            }
        }
        if let Some(cgroup) = self.cgroup() {
            let _ = cgroup.thaw();
            let in_host_pid_namespace = self.state.as_ref().is_some_and(|s| s.host_pid_namespace);
            if in_host_pid_namespace {
                // The init's death took nobody with it: as runc, kill
                // whatever is left in the cgroup and wait for it to leave.
                self.kill_rest_of_cgroup(cgroup.as_ref())?;
            }
            // Otherwise a cgroup that still holds processes is shared with
            // another container (one that joined our pid namespace with the
            // same cgroupsPath, a pod): it stays for its last user. runc
            // would kill that one too.
            if cgroup.pids().map(|pids| pids.is_empty()).unwrap_or(true) {
                cgroup.destroy()?;
            }
        }
        // Logged, never returned: poststop's policy.
        let _ = self.run_runtime_hooks(
            HookStage::Poststop,
            oci_spec::runtime::ContainerState::Stopped,
        );
        self.dir.remove()?;
        Ok(())
    }

    /// SIGKILL to every process in the cgroup (frozen meanwhile, so that
    /// none forks past it), then waits until the cgroup is empty.
    fn kill_rest_of_cgroup(&self, cgroup: &dyn CgroupManager) -> Result<(), RuntimeError> {
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_millis(KILL_WAIT_MS as u64);
        loop {
            let pids = cgroup.pids().unwrap_or_default();
            if pids.is_empty() {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(RuntimeError::Failed(format!(
                    "container {}: processes {pids:?} did not exit after SIGKILL",
                    self.id
                )));
            }
            let froze = cgroup.freeze().is_ok();
            for pid in cgroup.pids().unwrap_or(pids) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            if froze {
                let _ = cgroup.thaw();
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    fn kill_and_wait(&self) -> Result<(), RuntimeError> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        let Some(pidfd) = pidfd_open(state.pid) else {
            return Ok(());
        };
        if !state.init_alive() {
            return Ok(());
        }
        // SAFETY: signalling through our pidfd cannot hit a reused pid.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                pidfd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) {
            return Err(RuntimeError::Os {
                op: "kill",
                target: state.pid.to_string(),
                source: std::io::Error::last_os_error(),
            });
        }
        // A frozen init takes its SIGKILL only once thawed.
        if let Some(cgroup) = self.cgroup() {
            let _ = cgroup.thaw();
        }
        if !wait_pidfd(&pidfd, KILL_WAIT_MS) {
            return Err(RuntimeError::Failed(format!(
                "container init {} did not exit after SIGKILL",
                state.pid
            )));
        }
        Ok(())
    }
}
