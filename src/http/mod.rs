//! A small HTTP/1.1 layer on `httparse`, shared by the daemon (server) and
//! the `docker` applet (client). It exists because Docker's attach and exec
//! need both directions of one socket at once after an upgrade, which
//! tiny_http cannot give (see the README's design notes).

pub mod client;
pub mod server;
pub mod wire;

#[cfg(test)]
mod tests;

pub use client::{ClientConnection, ClientResponse};
pub use server::{
    Exchange, Handler, Hijacked, HijackedReader, RequestHead, Response, serve, serve_connection,
};
pub use wire::{ChunkedReader, ChunkedWriter, Headers, WireError};
