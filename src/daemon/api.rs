//! The Engine API front: version prefix and negotiation, routing, the
//! headers every response carries, and errors as `{"message": ...}`.

use super::{Daemon, log};
use crate::api::version::{DEFAULT_API_VERSION, negotiate, split_version_prefix};
use crate::api::{ApiError, ApiVersion, Match, Params, Query, Router};
use crate::http::{Exchange, Handler, Headers, Response};
use crate::version::DOCKER_COMPAT_VERSION;
use serde::Serialize;
use std::io;
use std::sync::Arc;

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

/// The headers moby's version middleware puts on every response.
pub fn default_headers() -> Headers {
    let mut headers = Headers::new();
    headers.add("Api-Version", DEFAULT_API_VERSION.to_string());
    headers.add("Docker-Experimental", "false");
    headers.add("Ostype", "linux");
    headers.add("Server", format!("Docker/{DOCKER_COMPAT_VERSION} (linux)"));
    headers
}

pub struct ApiHandler {
    daemon: Arc<Daemon>,
    router: Router<Route>,
}

impl ApiHandler {
    pub fn new(daemon: Arc<Daemon>) -> ApiHandler {
        let mut router = Router::new();
        super::system::routes(&mut router);
        super::containers::routes(&mut router);
        super::images::routes(&mut router);
        super::events::routes(&mut router);
        super::networks::routes(&mut router);
        super::volumes::routes(&mut router);
        super::build::routes(&mut router);
        super::swarm::routes(&mut router);
        ApiHandler { daemon, router }
    }

    fn dispatch(&self, exchange: &mut Exchange<'_>) -> Result<Reply, ApiError> {
        let head = exchange.head();
        let (requested, path) = split_version_prefix(&head.path);
        let (route, params) = match self.router.find(&head.method, path) {
            Match::Found(route, params) => (*route, params),
            Match::MethodNotAllowed | Match::NotFound => return Err(ApiError::page_not_found()),
        };
        let version = negotiate(requested)?;
        let query = Query::parse(&head.query)?;
        let mut call = Call {
            exchange,
            params,
            query,
            version,
        };
        route(&self.daemon, &mut call)
    }
}

fn error_response(error: &ApiError) -> Response {
    let mut response = Response::new(error.status(), "application/json", error.body());
    if error.status() == 304 {
        response.headers = Headers::new();
    }
    response
}

impl Handler for ApiHandler {
    fn handle(&self, exchange: &mut Exchange<'_>) -> io::Result<()> {
        log::debug(&format!(
            "Calling {} {}",
            exchange.method(),
            exchange.head().path
        ));
        match self.dispatch(exchange) {
            Ok(Reply::Json(status, body)) => {
                exchange.respond(Response::new(status, "application/json", body))
            }
            Ok(Reply::Response(response)) => exchange.respond(response),
            Ok(Reply::Done) => Ok(()),
            Err(error) => {
                if error.status() >= 500 {
                    log::error(&format!(
                        "Handler for {} {} returned error: {}",
                        exchange.method(),
                        exchange.head().path,
                        error.message
                    ));
                } else {
                    log::debug(&format!(
                        "Handler for {} {} returned error: {}",
                        exchange.method(),
                        exchange.head().path,
                        error.message
                    ));
                }
                exchange.respond(error_response(&error))
            }
        }
    }
}
