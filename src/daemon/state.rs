//! The daemon's state, which every route shares: its settings, the
//! records, the image service, the running containers' shims, the
//! per-container operation locks and the event log. The fields stay here;
//! the rest of the daemon goes through the methods, which say what each
//! part is for.

use super::config::{Config, Flags};
use super::containers::change::{OperationGuard, OperationLocks};
use super::containers::shim_table::ShimTable;
use super::events::Events;
use super::image_service::ImageService;
use super::reload::{Reloadable, ReloadableValues};
use crate::store::Store;
use std::sync::{Arc, OnceLock, Weak};

pub struct Daemon {
    config: Config,
    store: Store,
    images: ImageService,
    /// A stable identity of this daemon's data root, as `/info` `ID`.
    engine_id: String,
    /// Running containers' shims and the waiters on them.
    shims: ShimTable,
    /// Per container: one request at a time acts on its process.
    operations: OperationLocks,
    /// The event log and the live `GET /events` streams.
    events: Events,
    /// Containers get their root by MS_MOVE and chroot, since pivot_root
    /// cannot leave the host's root behind: see [`super::no_pivot_root`].
    no_pivot_root: bool,
    /// Debug and labels: what SIGHUP may change.
    reloadable: Reloadable,
    /// The daemon itself, for the threads that outlive a request (the
    /// shims' exit monitors); set once it is shared.
    shared: OnceLock<Weak<Daemon>>,
    /// Containers' network namespaces, the default bridge and its addresses.
    networks: super::network_service::NetworkService,
    /// Which running containers hold each volume the daemon mounted.
    volume_holders: super::volume_local_mounts::VolumeHolders,
}

impl Daemon {
    /// The state of a daemon that starts with no running container, no
    /// operation under way and an empty event log.
    pub fn new(
        config: Config,
        store: Store,
        images: ImageService,
        engine_id: String,
        no_pivot_root: bool,
    ) -> Daemon {
        Daemon {
            networks: super::network_service::NetworkService::new(&config.exec_root),
            volume_holders: Default::default(),
            reloadable: Reloadable::new(&config),
            config,
            store,
            images,
            engine_id,
            shims: ShimTable::default(),
            operations: OperationLocks::default(),
            events: Events::default(),
            no_pivot_root,
            shared: OnceLock::new(),
        }
    }

    /// Keeps a weak handle of the shared daemon for the threads that
    /// outlive a request; called once after it is built.
    pub fn share(&self, shared: &Arc<Daemon>) {
        let _ = self.shared.set(Arc::downgrade(shared));
    }

    /// The shared daemon, while it lives (None before `share`).
    pub fn shared(&self) -> Option<Arc<Daemon>> {
        self.shared.get().and_then(Weak::upgrade)
    }

    pub fn volume_holders(&self) -> &super::volume_local_mounts::VolumeHolders {
        &self.volume_holders
    }

    pub fn networks(&self) -> &super::network_service::NetworkService {
        &self.networks
    }

    /// The settings the daemon started with (flags and config file).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The records: containers, images, tags, names.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The image store and the lock that orders changes to images.
    pub fn images(&self) -> &ImageService {
        &self.images
    }

    /// The stable identity of this daemon's data root (`/info` `ID`).
    pub fn engine_id(&self) -> &str {
        &self.engine_id
    }

    /// The running containers' shims and the waiters on their exits.
    pub fn shims(&self) -> &ShimTable {
        &self.shims
    }

    /// Waits until no other request acts on container `id`'s process, and
    /// keeps the others out until the guard is dropped.
    pub fn hold_operation(&self, id: &str) -> OperationGuard<'_> {
        self.operations.hold(id)
    }

    /// The event log and the live `GET /events` streams.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// Whether containers get their root by MS_MOVE and chroot instead of
    /// pivot_root.
    pub fn no_pivot_root(&self) -> bool {
        self.no_pivot_root
    }

    /// Debug and labels as they are now (SIGHUP may have changed them).
    pub fn reloaded_settings(&self) -> ReloadableValues {
        self.reloadable.get()
    }

    /// Rereads the config file that `flags` name, for SIGHUP.
    pub fn reload(&self, flags: &Flags) {
        self.reloadable.reload(flags)
    }

    /// The storage driver in use: the configured one, or overlay2 where
    /// it mounts and vfs elsewhere.
    pub fn storage_driver(&self) -> String {
        self.images.driver_kind().name().to_string()
    }
}
