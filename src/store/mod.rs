//! The daemon's state in one redb database under the data root. It knows
//! nothing of HTTP. Every state change is one transaction (redb commits are
//! durable and atomic), so a daemon killed at any instant reopens to the
//! last committed state. Records are JSON bytes keyed by id; big blobs
//! (layers, logs) stay in files and are only referenced from here.

mod records;
mod tx;

#[cfg(test)]
mod tests;

pub use tx::{ReadTx, Table, WriteTx};

use redb::{Database, ReadableDatabase};
use std::path::{Path, PathBuf};

/// The layout version this build writes. Opening a newer store fails;
/// opening an older one runs the migrations up to this version.
pub const SCHEMA_VERSION: u64 = 1;
const SCHEMA_KEY: &str = "schema_version";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("open store {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: redb::DatabaseError,
    },
    #[error("store: {operation}: {source}")]
    Database {
        operation: &'static str,
        source: redb::Error,
    },
    #[error("store: {table} record {key:?} cannot be {action}: {source}")]
    Record {
        table: &'static str,
        key: String,
        action: &'static str,
        source: serde_json::Error,
    },
    #[error("store {}: schema version {found} is newer than this dockbox supports ({SCHEMA_VERSION})", path.display())]
    SchemaTooNew { path: PathBuf, found: u64 },
    #[error("store: schema version record is corrupt: {0:?}")]
    SchemaCorrupt(String),
    /// The name index already maps `name` to container `id`.
    #[error("name {name:?} is already in use by container {id:?}")]
    NameInUse { name: String, id: String },
    #[error("store: no {table} record {key:?}")]
    Missing { table: &'static str, key: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How a write transaction commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// On disk when the commit returns.
    Durable,
    /// Without waiting for the disk: lost if the daemon dies before the
    /// next durable commit (which makes it durable too); the database stays
    /// consistent either way. Only for a change that a durable one is about
    /// to follow and that a restart would redo (an auto-removed container's
    /// exit, recorded just before its removal), or that may be lost (a
    /// health probe's result that leaves the health status as it was).
    Deferred,
}

pub(crate) fn db_error<E: Into<redb::Error>>(
    operation: &'static str,
) -> impl FnOnce(E) -> StoreError {
    move |source| StoreError::Database {
        operation,
        source: source.into(),
    }
}

/// The open database. Only the daemon opens it; the daemon's data-root lock
/// keeps a second daemon away.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens the database at `path`, creating it and its tables when absent
    /// and checking the schema version.
    pub fn open(path: &Path) -> Result<Store> {
        let db = Database::create(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Store {
            db,
            path: path.to_path_buf(),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    fn prepare_schema(&self) -> Result<()> {
        let path = self.path.clone();
        self.write(move |tx| {
            // Opening each table creates it, so readers never meet a
            // missing table.
            for table in Table::ALL {
                tx.touch(*table)?;
            }
            let found = match tx.get_raw(Table::Meta, SCHEMA_KEY)? {
                None => {
                    tx.put_raw(
                        Table::Meta,
                        SCHEMA_KEY,
                        SCHEMA_VERSION.to_string().as_bytes(),
                    )?;
                    SCHEMA_VERSION
                }
                Some(bytes) => std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|text| text.parse::<u64>().ok())
                    .ok_or_else(|| {
                        StoreError::SchemaCorrupt(String::from_utf8_lossy(&bytes).into_owned())
                    })?,
            };
            if found > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew { path, found });
            }
            // Migrations from older layouts go here, version by version,
            // inside this same transaction.
            if found < SCHEMA_VERSION {
                tx.put_raw(
                    Table::Meta,
                    SCHEMA_KEY,
                    SCHEMA_VERSION.to_string().as_bytes(),
                )?;
            }
            Ok(())
        })
    }

    /// Runs `work` in one read snapshot.
    pub fn read<T>(&self, work: impl FnOnce(&ReadTx) -> Result<T>) -> Result<T> {
        let txn = self
            .db
            .begin_read()
            .map_err(db_error("begin read transaction"))?;
        work(&ReadTx::new(txn))
    }

    /// Runs `work` in one write transaction, committed when it returns `Ok`
    /// and rolled back when it returns `Err`. redb runs one write
    /// transaction at a time, so what `work` reads stays true until it
    /// commits. Its error type may carry the caller's own refusals.
    pub fn write<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce(&mut WriteTx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write_as(Commit::Durable, work)
    }

    /// [`Store::write`] with the given kind of commit.
    pub fn write_as<T, E: From<StoreError>>(
        &self,
        commit: Commit,
        work: impl FnOnce(&mut WriteTx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut txn = self
            .db
            .begin_write()
            .map_err(db_error("begin write transaction"))?;
        if commit == Commit::Deferred {
            txn.set_durability(redb::Durability::None)
                .map_err(db_error("defer the commit"))?;
        }
        let mut tx = WriteTx::new(txn);
        match work(&mut tx) {
            Ok(value) => {
                tx.commit()?;
                Ok(value)
            }
            Err(error) => {
                tx.abort();
                Err(error)
            }
        }
    }
}
