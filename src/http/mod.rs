//! A small HTTP/1.1 layer on `httparse`, shared by the daemon (server) and
//! the `docker` applet (client). It exists because Docker's attach and exec
//! need both directions of one socket at once after an upgrade, which
//! tiny_http cannot give (see the README's design notes).

pub mod acceptor;
pub mod client;
pub mod fetch;
pub mod server;
pub mod wire;

#[cfg(test)]
mod acceptor_tests;
#[cfg(test)]
mod tests;

#[allow(unused_imports)] // The API other parts build on.
pub use acceptor::{Limits, serve, serve_with};
#[allow(unused_imports)] // The API other parts build on.
pub use client::{ClientConnection, ClientResponse, Upgrade};
#[allow(unused_imports)] // The API other parts build on.
pub use server::{Exchange, Handler, Hijacked, RequestHead, Response, serve_connection};
#[allow(unused_imports)] // The API other parts build on.
pub use wire::{ChunkedReader, ChunkedWriter, Headers, WireError};
