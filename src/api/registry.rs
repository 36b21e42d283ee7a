//! `POST /auth`'s body and answer (moby's `registry.AuthConfig` and
//! `AuthenticateOKBody`), shared by `docker login` and the daemon.

use serde::{Deserialize, Serialize};

/// The credentials a client sends: a user name and password, or an
/// identity token from an earlier login.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
pub struct AuthConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serveraddress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identitytoken: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub registrytoken: String,
}

/// A login's answer; the identity token is empty unless the registry's
/// token server gave a refresh token.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Serialize)]
pub struct AuthenticateOk {
    #[serde(rename = "IdentityToken", default)]
    pub identity_token: String,
    #[serde(rename = "Status", default)]
    pub status: String,
}
