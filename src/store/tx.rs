//! Tables and the generic operations of read and write transactions.

use super::{Result, StoreError, db_error};
use redb::{
    ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

type Definition = TableDefinition<'static, &'static str, &'static [u8]>;

/// Every table; all map a string key to bytes (JSON records, or a plain id
/// for the index tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `schema_version`, the engine ID and other single values.
    Meta,
    /// Container id -> container record.
    Containers,
    /// Container name (without `/`) -> container id.
    ContainerNames,
    /// Image id (`sha256:...`) -> image record.
    Images,
    /// Normalised reference (`docker.io/library/busybox:latest`) -> image id.
    Tags,
    /// Layer chain id -> layer record (the tar and diff live in files).
    Layers,
    /// Exec id -> exec record.
    Execs,
    /// Volume name -> volume record (for the volumes issue).
    Volumes,
    /// Network id -> network record.
    Networks,
}

impl Table {
    pub const ALL: &'static [Table] = &[
        Table::Meta,
        Table::Containers,
        Table::ContainerNames,
        Table::Images,
        Table::Tags,
        Table::Layers,
        Table::Execs,
        Table::Volumes,
        Table::Networks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Containers => "containers",
            Table::ContainerNames => "container_names",
            Table::Images => "images",
            Table::Tags => "tags",
            Table::Layers => "layers",
            Table::Execs => "execs",
            Table::Volumes => "volumes",
            Table::Networks => "networks",
        }
    }

    fn definition(self) -> Definition {
        TableDefinition::new(self.name())
    }
}

fn encode<T: Serialize>(table: Table, key: &str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| StoreError::Record {
        table: table.name(),
        key: key.to_string(),
        action: "encoded",
        source,
    })
}

fn decode<T: DeserializeOwned>(table: Table, key: &str, bytes: &[u8]) -> Result<T> {
    crate::api::body::from_json_slice(bytes).map_err(|source| StoreError::Record {
        table: table.name(),
        key: key.to_string(),
        action: "decoded",
        source,
    })
}

fn get_from(
    table_handle: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    Ok(table_handle
        .get(key)
        .map_err(db_error("read record"))?
        .map(|guard| guard.value().to_vec()))
}

fn list_from(
    table_handle: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut entries = Vec::new();
    for entry in table_handle.iter().map_err(db_error("iterate table"))? {
        let (key, value) = entry.map_err(db_error("iterate table"))?;
        entries.push((key.value().to_string(), value.value().to_vec()));
    }
    Ok(entries)
}

/// A consistent snapshot.
pub struct ReadTx {
    txn: ReadTransaction,
}

impl ReadTx {
    pub(super) fn new(txn: ReadTransaction) -> ReadTx {
        ReadTx { txn }
    }

    pub fn get_raw(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>> {
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        get_from(&handle, key)
    }

    pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>> {
        self.get_raw(table, key)?
            .map(|bytes| decode(table, key, &bytes))
            .transpose()
    }

    /// Every record, in key order.
    pub fn list_raw(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>> {
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        list_from(&handle)
    }

    pub fn list<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<(String, T)>> {
        self.list_raw(table)?
            .into_iter()
            .map(|(key, bytes)| decode(table, &key, &bytes).map(|value| (key, value)))
            .collect()
    }

    pub fn count(&self, table: Table) -> Result<u64> {
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        handle.len().map_err(db_error("count records"))
    }
}

/// One atomic change; see `Store::write`.
pub struct WriteTx {
    txn: WriteTransaction,
}

impl WriteTx {
    pub(super) fn new(txn: WriteTransaction) -> WriteTx {
        WriteTx { txn }
    }

    pub(super) fn commit(self) -> Result<()> {
        self.txn.commit().map_err(db_error("commit"))
    }

    pub(super) fn abort(self) {
        let _ = self.txn.abort();
    }

    pub(super) fn touch(&mut self, table: Table) -> Result<()> {
        self.txn
            .open_table(table.definition())
            .map_err(db_error("create table"))?;
        Ok(())
    }

    pub fn get_raw(&self, table: Table, key: &str) -> Result<Option<Vec<u8>>> {
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        get_from(&handle, key)
    }

    pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>> {
        self.get_raw(table, key)?
            .map(|bytes| decode(table, key, &bytes))
            .transpose()
    }

    pub fn list_raw(&self, table: Table) -> Result<Vec<(String, Vec<u8>)>> {
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        list_from(&handle)
    }

    pub fn put_raw(&mut self, table: Table, key: &str, value: &[u8]) -> Result<()> {
        let mut handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        handle
            .insert(key, value)
            .map_err(db_error("write record"))?;
        Ok(())
    }

    pub fn put<T: Serialize>(&mut self, table: Table, key: &str, value: &T) -> Result<()> {
        let bytes = encode(table, key, value)?;
        self.put_raw(table, key, &bytes)
    }

    /// Removes `key`; whether it was there.
    pub fn delete(&mut self, table: Table, key: &str) -> Result<bool> {
        let mut handle = self
            .txn
            .open_table(table.definition())
            .map_err(db_error("open table"))?;
        let removed = handle.remove(key).map_err(db_error("delete record"))?;
        Ok(removed.is_some())
    }

    /// Maps container `name` to `id` in the name index, or fails with
    /// `NameInUse` when another container holds it. Idempotent for the
    /// same id.
    pub fn reserve_name(&mut self, name: &str, id: &str) -> Result<()> {
        if let Some(holder) = self.get_raw(Table::ContainerNames, name)? {
            let holder = String::from_utf8_lossy(&holder).into_owned();
            if holder != id {
                return Err(StoreError::NameInUse {
                    name: name.to_string(),
                    id: holder,
                });
            }
            return Ok(());
        }
        self.put_raw(Table::ContainerNames, name, id.as_bytes())
    }

    /// Moves container `id` from name `old` to `new` in the index;
    /// `NameInUse` when another container holds `new`.
    pub fn move_name(&mut self, old: &str, new: &str, id: &str) -> Result<()> {
        self.reserve_name(new, id)?;
        self.release_name(old, id)?;
        Ok(())
    }

    /// Removes `name` from the index if it points at `id`.
    pub fn release_name(&mut self, name: &str, id: &str) -> Result<bool> {
        match self.get_raw(Table::ContainerNames, name)? {
            Some(holder) if holder == id.as_bytes() => self.delete(Table::ContainerNames, name),
            _ => Ok(false),
        }
    }
}
