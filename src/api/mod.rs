//! The Engine API as data: the bodies shared by daemon and client, version
//! negotiation, query and filter parsing, routes, and errors with their
//! status codes. Nothing here does I/O.

pub mod body;
pub mod container;
pub mod container_check;
pub mod container_view;
pub mod detach_keys;
pub mod error;
pub mod events;
pub mod image;
pub mod prune;
pub mod query;
pub mod router;
pub mod stats;
pub mod types;
pub mod version;

#[allow(unused_imports)] // The API other parts build on.
pub use error::{ApiError, ErrorKind};
#[allow(unused_imports)] // The API other parts build on.
pub use query::{Filters, Query};
#[allow(unused_imports)] // The API other parts build on.
pub use router::{Match, Params, Router};
#[allow(unused_imports)] // The API other parts build on.
pub use version::{ApiVersion, DEFAULT_API_VERSION, MIN_API_VERSION};
