//! `docker build` with the classic builder: the pure pieces the daemon's
//! build route drives. [`dockerfile`] parses a Dockerfile into stages of
//! steps, [`words`] expands a step's variables as it runs, [`ignore`]
//! decides which context paths a `.dockerignore` leaves out.
//!
//! Nothing here touches the daemon, HTTP, the store or the runtime; it
//! depends on `gofmt` and std only (see `tests/integration/layering.rs`).

pub mod dockerfile;
pub mod ignore;
pub mod words;
