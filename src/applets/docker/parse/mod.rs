//! Values of `run`/`create` flags, parsed as the
//! Docker CLI parses them, with its error texts. Errors are the bare
//! messages; the argument layer adds docker's framing
//! (`invalid argument "x" for "-m, --memory" flag: ...` for values checked
//! while flags are read, `docker: ...` for those checked afterwards).

pub mod filters;
pub mod host;
pub mod kv;
pub mod mounts;
pub mod ports;
pub mod units;
