//! The Engine API daemon: its settings, the data-root lock, the sockets,
//! the store, and the routes it serves. The `dockerd` applet parses the
//! command line and calls `run`.

pub mod build;
pub mod config;
pub mod containers;
pub mod distribution;
pub mod errors;
pub mod events;
pub mod handler;
pub mod host;
pub mod image_service;
pub mod images;
pub mod lock;
pub mod log;
pub mod login;
pub mod network_connect;
pub mod network_records;
pub mod network_service;
pub mod networks;
pub mod reload;
pub mod route;
pub mod signals;
pub mod socket;
pub mod state;
pub mod swarm;
pub mod system;
pub mod volume_local_mounts;
pub mod volume_service;
pub mod volumes;

use crate::store::Store;
use config::Config;
use errors::DaemonError;
use state::Daemon;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The store's file below the data root.
pub const STORE_FILE: &str = "dockbox.db";
const ENGINE_ID_KEY: &str = "engine_id";

/// As dockerd: `DOCKER_RAMDISK` (any non-empty value) in the daemon's
/// environment asks for the MS_MOVE and chroot switch; so does a host
/// whose root is the initramfs, where pivot_root always fails.
pub fn no_pivot_root(ramdisk_env: Option<&std::ffi::OsStr>) -> bool {
    ramdisk_env.is_some_and(|value| !value.is_empty())
        || crate::runtime::rootfs::host_root_is_initramfs()
}

fn make_dir(path: &Path, mode: u32) -> Result<(), DaemonError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
        .map_err(|source| DaemonError::Io {
            operation: "create directory",
            path: path.to_path_buf(),
            source,
        })
}

/// A random UUID (version 4), made once per data root.
fn new_engine_id() -> Result<String, DaemonError> {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: getrandom writes at most the given length into our buffer.
        let n = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if n < 0 {
            let source = std::io::Error::last_os_error();
            if source.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(DaemonError::Io {
                operation: "getrandom for",
                path: PathBuf::from("engine id"),
                source,
            });
        }
        filled += n as usize;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// Raises the soft limit on open descriptors to the hard one, as dockerd
/// does: every connection and container costs descriptors, and the soft
/// default (1024 under most inits) runs out long before memory does. The
/// hard limit stays: raising it needs CAP_SYS_RESOURCE, which a daemon in a
/// restricted bounding set lacks. Shims and containers inherit the raised
/// soft limit, as they inherit containerd's under dockerd.
fn raise_open_files_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if let Err(errno) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                log::warn(&format!(
                    "raise the open files limit from {soft} to {hard}: {errno}"
                ));
            }
        }
        Ok(_) => {}
        Err(errno) => log::warn(&format!("read the open files limit: {errno}")),
    }
}

/// Runs the daemon until SIGTERM or SIGINT. Everything it made for the
/// run (sockets, pidfile, lock) is removed on return, error or not.
/// `flags` are kept for SIGHUP, which rereads the file they name.
pub fn run(flags: config::Flags, config: Config, warnings: Vec<String>) -> Result<(), DaemonError> {
    // Before any thread exists, so every thread inherits the mask.
    let signals = signals::ShutdownSignals::block().map_err(DaemonError::Signals)?;
    log::set_level(config.log_level);
    for warning in &warnings {
        log::warn(warning);
    }
    raise_open_files_limit();
    make_dir(&config.data_root, 0o711)?;
    let _lock = lock::DataRootLock::acquire(&config.data_root)?;
    let _pidfile = lock::PidFile::create(&config.pidfile)?;
    make_dir(&config.exec_root, 0o700)?;
    let store = Store::open(&config.data_root.join(STORE_FILE))?;
    network_records::ensure_predefined(&store, &config.data_root).map_err(|e| DaemonError::Io {
        operation: "create",
        path: PathBuf::from("the predefined networks"),
        source: std::io::Error::other(e.message),
    })?;
    let engine_id = match store.get_meta(ENGINE_ID_KEY)? {
        Some(id) => id,
        None => {
            let id = new_engine_id()?;
            store.put_meta(ENGINE_ID_KEY, &id)?;
            id
        }
    };
    let images = image_service::ImageService::open(
        &config.data_root,
        config.storage_driver.as_deref(),
        &store,
    )?;
    let mut sockets = config
        .sockets
        .iter()
        .map(|path| socket::ApiSocket::bind(path, &config.group, config.group_explicit))
        .collect::<Result<Vec<_>, _>>()?;
    if config.systemd_sockets {
        sockets.extend(socket::ApiSocket::from_systemd()?);
    }
    let no_pivot_root = no_pivot_root(std::env::var_os("DOCKER_RAMDISK").as_deref());
    let daemon = Arc::new(Daemon::new(config, store, images, engine_id, no_pivot_root));
    containers::shims::restore(&daemon);
    let handler: Arc<dyn crate::http::Handler> =
        Arc::new(handler::ApiHandler::new(Arc::clone(&daemon)));
    let defaults = Arc::new(handler::default_headers());
    let (stop_reader, mut stop_writer) = std::io::pipe().map_err(|source| DaemonError::Io {
        operation: "create",
        path: PathBuf::from("stop pipe"),
        source,
    })?;
    log::info("Daemon has completed initialization");
    std::thread::scope(|scope| {
        for socket in &sockets {
            let handler = Arc::clone(&handler);
            let defaults = Arc::clone(&defaults);
            let stop = stop_reader.as_fd();
            scope.spawn(move || {
                log::info(&format!("API listen on {}", socket.path().display()));
                if let Err(e) = crate::http::serve(&socket.listener, handler, defaults, stop) {
                    log::error(&format!("serve {}: {e}", socket.path().display()));
                }
            });
        }
        loop {
            match signals.wait() {
                Ok(signals::Received::Reload) => daemon.reload(&flags),
                Ok(signals::Received::Shutdown(name)) => {
                    log::info(&format!("Processing signal '{name}'"));
                    break;
                }
                Err(errno) => {
                    log::error(&format!("wait for signals: {errno}"));
                    break;
                }
            }
        }
        // Wakes every accept loop; connection threads end with the process.
        let _ = stop_writer.write_all(b"x");
        if !daemon.config().live_restore {
            containers::shims::stop_all(&daemon);
        }
        // After the stops, so that streams carry their `die` events.
        daemon.events().close(std::time::Duration::from_secs(2));
    });
    drop(sockets);
    log::info("Daemon shutdown complete");
    Ok(())
}
