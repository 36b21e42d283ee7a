//! The Engine API front, at the top of the daemon: the route table that
//! names every resource's routes, version prefix and negotiation, the
//! headers every response carries, and errors as `{"message": ...}`.

use super::log;
use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::version::{DEFAULT_API_VERSION, negotiate, split_version_prefix};
use crate::api::{ApiError, Match, Query, Router};
use crate::http::{Exchange, Handler, Headers, Response};
use crate::version::DOCKER_COMPAT_VERSION;
use std::io;
use std::sync::Arc;

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
        super::events::stream::routes(&mut router);
        super::networks::routes(&mut router);
        super::volumes::routes(&mut router);
        super::build::routes(&mut router);
        super::swarm::routes(&mut router);
        super::login::routes(&mut router);
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
