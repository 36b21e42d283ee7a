//! What a route is: the call it gets (exchange, path parameters, query,
//! negotiated version) and the reply it gives. Every resource's routes
//! and the route table build on these; they name no route themselves.

use super::state::Daemon;
use crate::api::{ApiError, ApiVersion, Params, Query};
use crate::http::{Exchange, Response};
use serde::Serialize;

/// Everything a route gets: the exchange (to read the body or stream),
/// the path parameters, the query, and the negotiated version.
pub struct Call<'a, 'c> {
    pub exchange: &'a mut Exchange<'c>,
    pub params: Params,
    pub query: Query,
    pub version: ApiVersion,
}

/// The largest JSON request body a route reads (create bodies with inline
/// seccomp profiles are the biggest, at tens of KiB).
pub const MAX_JSON_BODY: u64 = 16 << 20;

impl Call<'_, '_> {
    /// A path parameter the route pattern guarantees.
    pub fn param(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .get(name)
            .ok_or_else(|| ApiError::internal(format!("route has no parameter {name:?}")))
    }

    /// Reads and decodes a JSON body; `None` when the body is empty.
    pub fn read_json<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>, ApiError> {
        let body = self
            .exchange
            .read_body(MAX_JSON_BODY)
            .map_err(|e| ApiError::invalid(format!("read request body: {e}")))?;
        let content_type = self.exchange.header("Content-Type").map(str::to_string);
        crate::api::body::decode_json(content_type.as_deref(), &body)
    }
}

/// What a route answers; `Done` when it wrote its answer itself (streams,
/// hijacks).
pub enum Reply {
    Json(u16, Vec<u8>),
    Response(Response),
    Done,
}

impl Reply {
    /// `value` as JSON with a trailing newline, as Go's encoder writes it.
    pub fn json(status: u16, value: &impl Serialize) -> Result<Reply, ApiError> {
        let mut body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(format!("encode response: {e}")))?;
        body.push(b'\n');
        Ok(Reply::Json(status, body))
    }
}

pub type Route = fn(&Daemon, &mut Call<'_, '_>) -> Result<Reply, ApiError>;
