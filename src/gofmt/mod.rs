//! Go-compatible formats in one place, pure code that depends on nothing
//! else in the crate, so the runtime, the shim, the store, the daemon, the
//! image code and the docker client all read and write them the same way
//! Go's standard library, go-units and distribution/reference do.

pub mod base64;
pub mod duration;
pub mod filters;
pub mod float;
pub mod path;
pub mod quote;
pub mod reference;
pub mod size;
pub mod strconv;
pub mod time;
pub mod timestamp;
pub mod ulimit;
pub mod url;
