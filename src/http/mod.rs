//! A small HTTP/1.1 layer on `httparse`, shared by the daemon (server) and
//! the `docker` applet (client). It exists because Docker's attach and exec
//! need both directions of one socket at once after an upgrade, which
//! tiny_http cannot give (see the README's design notes).

pub mod acceptor;
pub mod client;
pub mod fetch;
pub mod server;
pub mod tls;
pub mod wire;

#[cfg(test)]
mod acceptor_tests;
#[cfg(test)]
mod tests;

pub use acceptor::serve;
pub use client::ClientConnection;
pub use server::{Exchange, Handler, Response};
pub use wire::Headers;
