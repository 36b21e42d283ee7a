//! `POST /auth`: `docker login`'s credentials checked against the
//! registry they name (see `distribution::login`), nothing stored: the
//! client keeps them.

use super::distribution::{self, Credentials};
use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::registry::{AuthConfig, AuthenticateOk};
use crate::api::{ApiError, Router};

pub fn routes(router: &mut Router<Route>) {
    router.add("POST", "/auth", login);
}

fn login(daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    let config: AuthConfig = call.read_json()?.unwrap_or_default();
    let credentials = Credentials::from_json(&serde_json::json!({
        "username": config.username,
        "password": config.password,
        "identitytoken": config.identitytoken,
    }));
    let identity_token = distribution::login(
        &config.serveraddress,
        credentials,
        &daemon.config().registries,
    )?;
    Reply::json(
        200,
        &AuthenticateOk {
            identity_token,
            status: "Login Succeeded".into(),
        },
    )
}
