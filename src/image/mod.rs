//! Images: references, the content-addressed store, the layer applier,
//! docker load/save/import and the graph drivers that turn layers into a
//! container's root filesystem. No HTTP and no database here: the daemon
//! persists the records this module returns.

mod at;
pub mod config;
pub mod digest;
pub mod driver;
pub mod layer;
pub mod reference;
pub mod store;

#[cfg(test)]
mod test_util;
