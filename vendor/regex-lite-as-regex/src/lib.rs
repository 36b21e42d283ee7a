//! `regex`'s API as far as oci-spec uses it, from regex-lite (see this
//! crate's Cargo.toml for why).

pub use regex_lite::*;
