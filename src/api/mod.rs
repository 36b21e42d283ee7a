//! The Engine API as data: the bodies shared by daemon and client, version
//! negotiation, query and filter parsing, routes, and errors with their
//! status codes. Nothing here does I/O.

pub mod archive;
pub mod body;
pub mod container;
pub mod container_check;
pub mod container_view;
pub mod detach_keys;
pub mod error;
pub mod events;
pub mod exec;
pub mod image;
pub mod network;
pub mod prune;
pub mod query;
pub mod registry;
pub mod router;
pub mod stats;
pub mod types;
pub mod version;
pub mod volume;

pub use error::{ApiError, ErrorKind};
pub use query::{Filters, Query};
pub use router::{Match, Params, Router};
pub use version::ApiVersion;
