//! Typed conveniences over the tables, one transaction each. Callers that
//! change several tables at once use `Store::write` directly.

use super::{Commit, Result, Store, StoreError, Table, WriteTx};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

impl Store {
    /// Records a new container and its name together; `NameInUse` when the
    /// name is taken, and nothing is written then.
    #[cfg(test)]
    pub fn create_container<T: Serialize>(&self, id: &str, name: &str, record: &T) -> Result<()> {
        self.create_container_with(id, name, record, |_| Ok(()))
    }

    /// [`Store::create_container`], with `also` writing the records that
    /// come with the container (the volumes made for it) in the same
    /// transaction: all are written or none.
    pub fn create_container_with<T: Serialize>(
        &self,
        id: &str,
        name: &str,
        record: &T,
        also: impl FnOnce(&mut WriteTx) -> Result<()>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.reserve_name(name, id)?;
            tx.put(Table::Containers, id, record)?;
            also(tx)
        })
    }

    /// Reads container `id`, lets `change` alter it, and writes it back,
    /// all in one write transaction: writers take turns, so no change made
    /// between the read and the write is lost. This is the only way to
    /// change a stored container. `change` may touch other tables through
    /// the transaction (a rename moves the name); when it fails, nothing
    /// is written. `Missing` when there is no such container.
    pub fn update_container<T, R, E>(
        &self,
        commit: Commit,
        id: &str,
        change: impl FnOnce(&mut WriteTx, &mut T) -> Result<R, E>,
    ) -> Result<R, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<StoreError>,
    {
        self.write_as(commit, |tx| {
            let mut record: T =
                tx.get(Table::Containers, id)?
                    .ok_or_else(|| StoreError::Missing {
                        table: Table::Containers.name(),
                        key: id.to_string(),
                    })?;
            let value = change(tx, &mut record)?;
            tx.put(Table::Containers, id, &record)?;
            Ok(value)
        })
    }

    pub fn get_container<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>> {
        self.read(|tx| tx.get(Table::Containers, id))
    }

    pub fn list_containers<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>> {
        self.read(|tx| tx.list(Table::Containers))
    }

    /// Removes a container's record and every name that points at it in
    /// one transaction. The names are found in the index, not taken from
    /// the caller's copy of the record, which a rename may have outdated.
    pub fn delete_container(&self, id: &str) -> Result<bool> {
        self.write(|tx| {
            for (name, holder) in tx.list_raw(Table::ContainerNames)? {
                if holder == id.as_bytes() {
                    tx.delete(Table::ContainerNames, &name)?;
                }
            }
            tx.delete(Table::Containers, id)
        })
    }

    pub fn container_id_by_name(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .read(|tx| tx.get_raw(Table::ContainerNames, name))?
            .map(utf8))
    }

    /// For the daemon's tests, which seed images; the daemon itself writes
    /// images and tags together in its own transactions.
    #[cfg(test)]
    pub fn put_image<T: Serialize>(&self, id: &str, record: &T) -> Result<()> {
        self.write(|tx| tx.put(Table::Images, id, record))
    }

    /// Points `reference` at `image_id`, replacing what it named before
    /// (for the daemon's tests, as `put_image`).
    #[cfg(test)]
    pub fn set_tag(&self, reference: &str, image_id: &str) -> Result<()> {
        self.write(|tx| tx.put_raw(Table::Tags, reference, image_id.as_bytes()))
    }

    pub fn get_image<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>> {
        self.read(|tx| tx.get(Table::Images, id))
    }

    pub fn count(&self, table: Table) -> Result<u64> {
        self.read(|tx| tx.count(table))
    }

    pub fn get_meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.read(|tx| tx.get_raw(Table::Meta, key))?.map(utf8))
    }

    pub fn put_meta(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| tx.put_raw(Table::Meta, key, value.as_bytes()))
    }
}
