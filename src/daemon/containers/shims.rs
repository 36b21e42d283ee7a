//! The daemon's side of the shims: starting one per container, the
//! monitor that learns of each exit (and applies AutoRemove and the
//! restart policy), the wait registry, and finding shims again after a
//! daemon restart (live restore).

use super::record::{ContainerRecord, Status};
use super::shim_requests::{self, connect};
use crate::api::ApiError;
use crate::daemon::log;
use crate::daemon::network_service::Sandbox;
use crate::daemon::state::Daemon;
use crate::gofmt::size::from_human_size;
use crate::gofmt::time::now_nanos;
use crate::shim::protocol::{self, Kind};
use crate::shim::{ShimConfig, ShimState};

use std::io::BufRead;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use std::sync::Arc;
use std::time::Duration;

/// The container's root filesystem, made on its first start.
pub fn rootfs(daemon: &Daemon, record: &ContainerRecord) -> Result<PathBuf, String> {
    let image = crate::image::Digest::parse(&record.image_id).map_err(|e| e.to_string())?;
    let _changes = daemon.images().lock();
    match daemon.images().mount_rootfs(&record.id, &image) {
        Ok(path) => Ok(path),
        Err(_) => daemon
            .images()
            .create_rootfs(&record.id, &image)
            .map_err(|e| e.to_string()),
    }
}

fn log_limits(record: &ContainerRecord) -> (Option<PathBuf>, u64, u32) {
    let log = &record.host_config.log_config;
    let size = log
        .config
        .get("max-size")
        .and_then(|text| from_human_size(text).ok())
        .map_or(0, |bytes| bytes.max(0) as u64);
    let files = log
        .config
        .get("max-file")
        .and_then(|text| text.parse().ok())
        .unwrap_or(1);
    (None, size, files)
}

/// The exit code moby gives a start that failed before the process ran.
fn start_failure_code(message: &str) -> i64 {
    if message.contains("executable file not found")
        || message.contains("no such file or directory")
        || message.contains("No such file")
    {
        127
    } else if message.contains("permission denied") {
        126
    } else {
        128
    }
}

/// `POST /containers/{id}/start` and restarts: spawns the shim, hands
/// waiting attachers their connections, then lets the container run.
pub fn start(daemon: &Daemon, id: &str) -> Result<(), ApiError> {
    let record = daemon.find_container(id)?;
    if !daemon.shims().claim_start(&record.id) {
        return Err(ApiError::conflict(format!(
            "container {} is already being started",
            record.id
        )));
    }
    // Held from the check of the record to the start recorded: signals,
    // pauses and removals wait rather than meet a half-started container.
    let operation = daemon.hold_operation(&record.id);
    let started = start_claimed(daemon, &record.id, operation);
    daemon.shims().release_start(&record.id);
    started
}

fn start_claimed(
    daemon: &Daemon,
    id: &str,
    operation: super::change::OperationGuard<'_>,
) -> Result<(), ApiError> {
    let record = daemon.find_container(id)?;
    if record.is_running() {
        return Err(ApiError::new(
            crate::api::ErrorKind::NotModified,
            "container already started",
        ));
    }
    if matches!(record.status(), Status::Removing | Status::Dead) {
        return Err(ApiError::conflict(
            "container is marked for removal and cannot be started",
        ));
    }
    let launched = prepare_mounts(&record)
        .and_then(|()| super::volume_mounts::acquire_devices(daemon, &record))
        .map_err(StartError::Setup)
        .and_then(|()| {
            super::networking::joins(daemon.store(), &record).map_err(StartError::Network)
        })
        .and_then(|joins| launch(daemon, &record, &joins).map_err(StartError::Task));
    match launched {
        Ok((pid, sandbox)) => {
            let marked = daemon.update_container(&record.id, |rec| {
                rec.mark_started(pid as i64, now_nanos())?;
                for endpoint in sandbox.iter().flat_map(|sandbox| &sandbox.endpoints) {
                    rec.network_ids
                        .insert(endpoint.network_name.clone(), endpoint.network_id.clone());
                }
                rec.sandbox = sandbox.clone();
                Ok(())
            });
            if let Err(error) = marked {
                // Claimed by a removal while it launched: it must not run
                // behind a record that does not say so.
                let _ = shim_requests::signal(daemon, &record.id, libc::SIGKILL);
                return Err(error);
            }
            daemon.log_container_event(&record, "start", &[]);
            log::info(&format!("container {} started, pid {pid}", record.id));
            super::health_monitor::watch(daemon, &record.id);
            Ok(())
        }
        Err(error) => {
            let message = error.message();
            super::volume_mounts::release_devices(daemon, &record);
            // Attachers waiting for this start give up.
            drop(daemon.shims().take_pending(&record.id));
            let code = start_failure_code(message);
            daemon.update_container(&record.id, |rec| {
                rec.mark_start_failed(code, message, now_nanos());
                Ok(())
            })?;
            let _ = std::fs::remove_dir_all(super::files::bundle_dir(daemon, &record.id));
            daemon.shims().note_exit(&record.id, code);
            // The removal holds the container itself.
            drop(operation);
            // As moby: an AutoRemove container goes with its failed start,
            // which is what `run --rm` waits for (condition=removed).
            if record.host_config.auto_remove
                && let Err(removal) =
                    super::remove::remove_container(daemon, &record.id, true, true)
                && removal.status() != 404
            {
                log::warn(&format!("auto-remove {id}: {}", removal.message));
            }
            daemon.shims().notify();
            Err(match error {
                StartError::Network(missing) => missing,
                other => ApiError::internal(other.answer()),
            })
        }
    }
}

/// Why a start failed: while preparing the mounts, before any task
/// existed (moby answers these as they are), or in the runtime (behind
/// its "failed to create task for container: ").
enum StartError {
    Setup(String),
    /// A network it is configured for is gone (or never was): 404.
    Network(ApiError),
    Task(String),
}

impl StartError {
    fn message(&self) -> &str {
        match self {
            StartError::Setup(message) | StartError::Task(message) => message,
            StartError::Network(error) => &error.message,
        }
    }

    fn answer(&self) -> String {
        match self {
            StartError::Setup(message) => message.clone(),
            StartError::Network(error) => error.message.clone(),
            StartError::Task(message) => format!("failed to create task for container: {message}"),
        }
    }
}

/// What moby does to the binds before it builds the spec: makes the
/// missing sources of `Binds`, then checks that shared and slave binds
/// sit on mounts that can propagate.
fn prepare_mounts(record: &ContainerRecord) -> Result<(), String> {
    super::spec_mounts::create_bind_sources(record)?;
    let mounts = crate::runtime::mounts::MountInfo::read_own().map_err(|e| e.to_string())?;
    super::spec_mounts::check_bind_propagation(record, &mounts)
}

/// Wires the container's network, then launches it; a failed launch
/// gives the network back.
fn launch(
    daemon: &Daemon,
    record: &ContainerRecord,
    joins: &[crate::daemon::network_service::Join],
) -> Result<(i32, Option<Sandbox>), String> {
    let sandbox = daemon
        .networks()
        .attach(&record.host_config.network_mode, joins)
        .map_err(|e| format!("failed to set up the container's network: {e}"))?;
    let launched = super::files::write_hosts(record, &daemon.config().data_root, sandbox.as_ref())
        .map_err(|e| e.to_string())
        .and_then(|()| launch_in(daemon, record, sandbox.as_ref()));
    match launched {
        Ok(pid) => Ok((pid, sandbox)),
        Err(error) => {
            if let Some(sandbox) = &sandbox {
                daemon.networks().detach(sandbox);
            }
            Err(error)
        }
    }
}

/// Names the namespace the daemon made in the spec, for the runtime to
/// join instead of making one.
fn join_network_namespace(spec: &mut oci_spec::runtime::Spec, sandbox: &Sandbox) {
    let namespaces = spec
        .linux_mut()
        .as_mut()
        .and_then(|linux| linux.namespaces_mut().as_mut());
    for namespace in namespaces.into_iter().flatten() {
        if namespace.typ() == oci_spec::runtime::LinuxNamespaceType::Network {
            namespace.set_path(Some(PathBuf::from(&sandbox.sandbox_key)));
        }
    }
}

fn launch_in(
    daemon: &Daemon,
    record: &ContainerRecord,
    sandbox: Option<&Sandbox>,
) -> Result<i32, String> {
    let rootfs = rootfs(daemon, record)?;
    if !record.has_been_started {
        super::volume_mounts::populate_from_image(&rootfs, &record.volume_mounts)?;
    }
    let settings = super::spec_settings::SpecSettings::detect().map_err(|e| e.to_string())?;
    let host = &record.host_config;
    let capabilities = super::caps::effective(
        host.privileged,
        &settings.bounding_caps,
        host.cap_add.as_deref().unwrap_or(&[]),
        host.cap_drop.as_deref().unwrap_or(&[]),
    );
    let seccomp = move |profile: &str| super::seccomp::filter_for(&capabilities, profile);
    let mut spec = daemon
        .build_spec(record, &rootfs, &settings, Some(&seccomp))
        .map_err(|e| e.to_string())?;
    if let Some(sandbox) = sandbox {
        join_network_namespace(&mut spec, sandbox);
    }
    let bundle = super::files::bundle_dir(daemon, &record.id);
    let _ = std::fs::remove_dir_all(&bundle);
    std::fs::create_dir_all(&bundle).map_err(|e| format!("create {}: {e}", bundle.display()))?;
    spec.save(bundle.join("config.json"))
        .map_err(|e| format!("write the bundle's config.json: {e}"))?;
    let (_, max_size, max_file) = log_limits(record);
    let log_path = (record.host_config.log_config.kind != "none")
        .then(|| record.log_path(&daemon.config().data_root));
    let config = ShimConfig {
        id: record.id.clone(),
        runtime_root: super::files::runtime_root(daemon),
        log_path,
        log_max_size: max_size,
        log_max_file: max_file,
        tty: record.config.tty,
        open_stdin: record.config.open_stdin,
        no_pivot: daemon.no_pivot_root(),
    };
    let bytes = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
    std::fs::write(bundle.join(crate::shim::CONFIG_FILE), bytes)
        .map_err(|e| format!("write shim.json: {e}"))?;
    spawn_shim(&bundle, &daemon.shims().shim_program(&settings.init_binary))?;
    let mut monitor = connect(daemon, &record.id, false).map_err(|e| format!("shim: {e}"))?;
    for waiter in daemon.shims().take_pending(&record.id) {
        if let Ok(stream) = connect(daemon, &record.id, true) {
            let _ = waiter.send(stream);
        }
    }
    protocol::write_frame(&mut monitor, Kind::Start, &[]).map_err(|e| format!("shim: {e}"))?;
    let pid = loop {
        match protocol::read_frame(&mut monitor) {
            Ok(Some((Kind::Started, payload))) => break protocol::be_i32(&payload).unwrap_or(0),
            Ok(Some((Kind::Failed, message))) => {
                return Err(String::from_utf8_lossy(&message).into_owned());
            }
            Ok(Some((Kind::Exit, _))) | Ok(None) => {
                return Err("the shim exited before the start".into());
            }
            Ok(Some(_)) => {}
            Err(e) => return Err(format!("shim: {e}")),
        }
    };
    let id = record.id.clone();
    let table = daemon.shared();
    std::thread::spawn(move || {
        if let Some(daemon) = table {
            monitor_exit(&daemon, &id, monitor);
        }
    });
    Ok(pid)
}

/// Starts `dockbox-shim BUNDLE` in its own session, so it outlives us, and
/// waits for its ready line on fd 3.
fn spawn_shim(bundle: &Path, binary: &Path) -> Result<(), String> {
    let (mut ready_read, ready_write) = std::io::pipe().map_err(|e| format!("pipe: {e}"))?;
    let ready_write = OwnedFd::from(ready_write);
    let raw = ready_write.as_raw_fd();
    let stderr = std::fs::File::create(bundle.join("shim.log"))
        .map_err(|e| format!("create shim.log: {e}"))?;
    let mut command = Command::new(binary);
    command
        .arg0("dockbox-shim")
        .arg(bundle)
        .current_dir(bundle)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            // The daemon blocks SIGTERM, SIGINT and SIGHUP in every thread
            // to read them from a signalfd; a shim (and the hooks and
            // processes it starts) must not inherit that mask.
            let mut unblocked: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut unblocked);
            if libc::sigprocmask(libc::SIG_SETMASK, &unblocked, std::ptr::null_mut()) != 0
                || libc::setsid() < 0
                || libc::dup2(raw, 3) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("start the shim: {e}"))?;
    drop(ready_write);
    drop(command);
    // One line, not EOF: the created init holds a copy of the pipe until
    // it execs.
    let mut answer = String::new();
    let _ = std::io::BufReader::new(&mut ready_read).read_line(&mut answer);
    // The shim lives as long as its container; reap it whenever it ends.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    match answer.trim().strip_prefix("ok ") {
        Some(_) => Ok(()),
        None => {
            let message = answer
                .trim()
                .strip_prefix("error: ")
                .unwrap_or(answer.trim());
            if message.is_empty() {
                let log = std::fs::read_to_string(bundle.join("shim.log")).unwrap_or_default();
                Err(format!("the shim failed: {}", log.trim()))
            } else {
                Err(message.to_string())
            }
        }
    }
}

/// Reads the monitor connection until the exit, then records it.
fn monitor_exit(daemon: &Arc<Daemon>, id: &str, mut stream: UnixStream) {
    let mut exit = None;
    while let Ok(Some((kind, payload))) = protocol::read_frame(&mut stream) {
        if kind == Kind::Exit {
            exit = serde_json::from_slice::<ShimState>(&payload).ok();
            break;
        }
    }
    match exit.or_else(|| {
        crate::shim::read_state(&super::files::bundle_dir(daemon, id)).filter(|s| s.exited)
    }) {
        Some(state) => record_exit(daemon, id, &state, None),
        None => record_dead_shim(daemon, id),
    }
}

/// The shim of `id` is gone without a recorded exit: it was killed.
fn record_dead_shim(daemon: &Arc<Daemon>, id: &str) {
    let state = super::dead_shim::end_container(daemon, id);
    record_exit(daemon, id, &state, Some(super::dead_shim::DIE_EVENT_CODE));
}

/// Records the exit in `state`; `die_code` is the `die` event's exit code
/// when it differs from the recorded one.
fn record_exit(daemon: &Arc<Daemon>, id: &str, state: &ShimState, die_code: Option<i64>) {
    daemon.shims().wait_for_start(id);
    let code = i64::from(state.exit_code);
    let Ok(record) = daemon.find_container(id) else {
        daemon.shims().note_exit(id, code);
        return;
    };
    let shutting_down = daemon.shims().shutting_down();
    // An auto-removed container's record goes at once, durably (AutoRemove
    // has no restart policy); should we die first, the restart finds the
    // shim gone and redoes both.
    let commit = if record.host_config.auto_remove {
        crate::store::Commit::Deferred
    } else {
        crate::store::Commit::Durable
    };
    // Held until this run's bundle is gone: a start that finds the exit
    // recorded makes a bundle of its own at the same path, which this
    // removal must not take with it (its shim then failed to start:
    // "No such file or directory").
    let operation = daemon.hold_operation(id);
    // The policy is read from the record being changed, so a `stop` or an
    // `update --restart` that came meanwhile counts.
    let marked = daemon.update_container_as(commit, id, |rec| {
        let restart = restart_delay(rec, code).filter(|_| !shutting_down);
        match restart {
            Some(_) => rec.mark_restarting(code, state.finished_at)?,
            None => rec.mark_exited(code, state.oom_killed, state.finished_at)?,
        }
        // As moby's cleanup at every exit: the container lists no exec
        // (their records stay inspectable).
        rec.exec_ids.clear();
        let shown = rec.clone();
        Ok((restart, shown, rec.sandbox.take()))
    });
    let (restart, record, sandbox) = match marked {
        Ok(marked) => marked,
        Err(error) => {
            log::warn(&format!("record the exit of {id}: {}", error.message));
            let sandbox = record.sandbox.clone();
            (None, record, sandbox)
        }
    };
    if let Some(sandbox) = &sandbox {
        daemon.networks().detach(sandbox);
    }
    super::volume_mounts::release_devices(daemon, &record);
    log::info(&format!("container {id} exited with code {code}"));
    // Before waiters wake: `stop` and `wait` answer after `die` is logged.
    if state.oom_killed {
        daemon.log_container_event(&record, "oom", &[]);
    }
    let ran_for = (state.finished_at - record.state.started_at).max(0) / 1_000_000_000;
    let die = [
        ("exitCode", die_code.unwrap_or(code).to_string()),
        ("execDuration", ran_for.to_string()),
    ];
    daemon.log_container_event(&record, "die", &die);
    let _ = std::fs::remove_dir_all(super::files::bundle_dir(daemon, id));
    // Before the auto-removal below, which holds the container itself.
    drop(operation);
    daemon.shims().note_exit(id, code);
    if record.host_config.auto_remove && restart.is_none() {
        if let Err(error) = super::remove::remove_container(daemon, id, true, true)
            && error.status() != 404
        {
            log::warn(&format!("auto-remove {id}: {}", error.message));
        }
        daemon.shims().notify();
        return;
    }
    if let Some(delay) = restart {
        let daemon = Arc::clone(daemon);
        let id = id.to_string();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            let still_wanted = daemon
                .find_container(&id)
                .is_ok_and(|r| r.status() == Status::Restarting && !r.manually_stopped);
            if still_wanted && let Err(error) = start(&daemon, &id) {
                log::warn(&format!("restart {id}: {}", error.message));
            }
        });
    }
}

/// Docker's restart policies, with its back-off: 100 ms doubling per
/// restart, capped at a minute.
fn restart_delay(record: &ContainerRecord, code: i64) -> Option<Duration> {
    let policy = &record.host_config.restart_policy;
    let wanted = match policy.name.as_str() {
        "always" => true,
        "unless-stopped" => !record.manually_stopped,
        "on-failure" => {
            code != 0
                && (policy.maximum_retry_count == 0
                    || record.restart_count < policy.maximum_retry_count)
        }
        _ => false,
    };
    if !wanted || record.manually_stopped {
        return None;
    }
    let shift = record.restart_count.clamp(0, 10) as u32;
    Some(Duration::from_millis(100u64 << shift).min(Duration::from_secs(60)))
}

/// Shutdown without `--live-restore`: every running container gets its
/// stop signal, and SIGKILL after its stop timeout, as moby does. This is
/// not a manual stop: restart policies apply at the next start.
pub fn stop_all(daemon: &Daemon) {
    daemon.shims().begin_shutdown();
    let Ok(records) = daemon.store().list_containers::<ContainerRecord>() else {
        return;
    };
    std::thread::scope(|scope| {
        for (_, record) in records.into_iter().filter(|(_, r)| r.is_running()) {
            scope.spawn(move || {
                let seen = daemon.shims().exits(&record.id);
                let signal = super::signal::parse_signal(&record.config.stop_signal)
                    .unwrap_or(libc::SIGTERM);
                let timeout = record.config.stop_timeout.unwrap_or(10).max(0) as u64;
                let _ = shim_requests::signal(daemon, &record.id, signal);
                if !daemon
                    .shims()
                    .wait_exit(&record.id, seen, Some(Duration::from_secs(timeout)))
                {
                    let _ = shim_requests::signal(daemon, &record.id, libc::SIGKILL);
                    daemon
                        .shims()
                        .wait_exit(&record.id, seen, Some(Duration::from_secs(10)));
                }
            });
        }
    });
}

/// Live restore: on start-up, reconnect to the shims of containers the
/// store has as running, and record the exits that happened meanwhile.
/// `always` and `unless-stopped` containers that are not running come back.
pub fn restore(daemon: &Arc<Daemon>) {
    daemon.share(daemon);
    let Ok(records) = daemon.store().list_containers::<ContainerRecord>() else {
        return;
    };
    let networks = crate::daemon::network_records::list(daemon.store()).unwrap_or_default();
    for (_, record) in records {
        let id = record.id.clone();
        match record.status() {
            Status::Running | Status::Paused => match connect(daemon, &id, false) {
                Ok(stream) => {
                    if let Some(sandbox) = &record.sandbox {
                        daemon.networks().restore(sandbox, &networks);
                    }
                    let names = super::volume_mounts::local_mounts(daemon.store(), &record);
                    let names: Vec<String> = names.into_iter().map(|(name, _)| name).collect();
                    daemon.volume_holders().adopt(&id, &names);
                    log::info(&format!("restored container {id}"));
                    resume_health(daemon, &record);
                    let daemon = Arc::clone(daemon);
                    std::thread::spawn(move || monitor_exit(&daemon, &id, stream));
                }
                Err(_) => {
                    match crate::shim::read_state(&super::files::bundle_dir(daemon, &id))
                        .filter(|s| s.exited)
                    {
                        Some(state) => record_exit(daemon, &id, &state, None),
                        None => record_dead_shim(daemon, &id),
                    }
                }
            },
            Status::Restarting => {
                let _ = daemon.update_container(&id, |rec| {
                    rec.state.status = Status::Exited;
                    Ok(())
                });
                restart_on_boot(daemon, &record);
            }
            Status::Exited => {
                end_orphan_shim(daemon, &id);
                restart_on_boot(daemon, &record);
            }
            _ => end_orphan_shim(daemon, &id),
        }
    }
    super::volume_mounts::unmount_unheld(daemon);
}

/// A restored container's healthcheck starts over, as moby's restore
/// does: starting, no failures, the log kept; then it is monitored again.
/// A paused one keeps its health as it was (moby resets only a running
/// one) and is probed again once unpaused.
fn resume_health(daemon: &Daemon, record: &ContainerRecord) {
    if super::health::probe_command(&record.config).is_none() {
        return;
    }
    if record.status() == Status::Paused {
        super::health_monitor::watch(daemon, &record.id);
        return;
    }
    let restarted = daemon.update_container(&record.id, |rec| {
        rec.restart_health();
        Ok(())
    });
    match restarted {
        Ok(()) => super::health_monitor::watch(daemon, &record.id),
        Err(error) => log::warn(&format!(
            "restore the healthcheck of {}: {}",
            record.id, error.message
        )),
    }
}

/// A shim of a container the store has as not running: the daemon died
/// between launching it and the start. Its created init is killed, so the
/// shim exits and nothing half-started stays behind.
fn end_orphan_shim(daemon: &Daemon, id: &str) {
    let bundle = super::files::bundle_dir(daemon, id);
    if !bundle.exists() {
        return;
    }
    if let Ok(mut stream) = connect(daemon, id, false) {
        let _ = shim_requests::signal(daemon, id, libc::SIGKILL);
        // The shim closes the connection when it exits.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        while let Ok(Some(_)) = protocol::read_frame(&mut stream) {}
    }
    let _ = std::fs::remove_dir_all(&bundle);
}

fn restart_on_boot(daemon: &Arc<Daemon>, record: &ContainerRecord) {
    let policy = record.host_config.restart_policy.name.as_str();
    let wanted = policy == "always" || (policy == "unless-stopped" && !record.manually_stopped);
    if wanted && let Err(error) = start(daemon, &record.id) {
        log::warn(&format!("restart {}: {}", record.id, error.message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_max_size_is_decimal_as_moby_json_file_reads_it() {
        // moby's json-file driver reads max-size with go-units' FromHumanSize.
        let cases = [
            ("10m", 10_000_000),
            ("1k", 1000),
            ("2048", 2048),
            ("1.5kb", 1500),
            ("nope", 0),
        ];
        for (max_size, want) in cases {
            let mut record = ContainerRecord::default();
            let config = &mut record.host_config.log_config.config;
            config.insert("max-size".into(), max_size.into());
            config.insert("max-file".into(), "3".into());
            assert_eq!(log_limits(&record), (None, want, 3), "{max_size}");
        }
    }

    #[test]
    fn restart_policies_and_back_off() {
        let mut record = ContainerRecord::default();
        assert_eq!(restart_delay(&record, 1), None);
        record.host_config.restart_policy.name = "on-failure".into();
        record.host_config.restart_policy.maximum_retry_count = 2;
        assert_eq!(restart_delay(&record, 0), None);
        assert_eq!(restart_delay(&record, 1), Some(Duration::from_millis(100)));
        record.restart_count = 1;
        assert_eq!(restart_delay(&record, 1), Some(Duration::from_millis(200)));
        record.restart_count = 2;
        assert_eq!(restart_delay(&record, 1), None);
        record.host_config.restart_policy.name = "always".into();
        assert_eq!(restart_delay(&record, 0), Some(Duration::from_millis(400)));
        record.manually_stopped = true;
        assert_eq!(restart_delay(&record, 0), None);
    }
}
