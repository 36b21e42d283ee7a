//! The swarm endpoints (`/swarm`, `/services`, `/nodes`, `/tasks`,
//! `/secrets`, `/configs`) of a daemon that is not in a swarm and cannot
//! make or join one. They answer as moby's do on a node outside any swarm,
//! so clients that probe or tear down swarm state (the CLI's `node ls`,
//! docker-py's `swarm.leave(force=True)`) get the answers they expect
//! instead of a 404:
//!
//! - manager actions: 503 "This node is not a swarm manager. Use ..."
//!   (moby's `errNoManager` for a node with no swarm node);
//! - `POST /swarm/leave`: 503 "This node is not part of a swarm";
//! - `POST /swarm/init` and `/swarm/join`, which moby would carry out: 501,
//!   since dockbox has no swarm mode, rather than a 503 that reads as a
//!   swarm that is only temporarily unavailable.
//!
//! The request checks moby makes before it reaches the cluster (the JSON
//! body, `filters`, `version`, the logs streams) come first, with its
//! messages, so a malformed request gets the same 400 it would there.

use super::route::{Call, Reply, Route};
use super::state::Daemon;
use crate::api::{ApiError, ErrorKind, Router};

/// moby's answer to a manager action on a node outside any swarm.
pub const NOT_A_MANAGER: &str = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.";

/// moby's answer to leaving when there is no swarm to leave.
pub const NOT_IN_A_SWARM: &str = "This node is not part of a swarm";

/// dockbox's answer to making or joining a swarm.
pub const NO_SWARM_MODE: &str =
    "swarm mode is not supported by dockbox: this node cannot initialize or join a swarm";

pub fn routes(router: &mut Router<Route>) {
    router
        .add("POST", "/swarm/init", init_or_join)
        .add("POST", "/swarm/join", init_or_join)
        .add("POST", "/swarm/leave", leave)
        .add("GET", "/swarm", manager_action)
        .add("GET", "/swarm/unlockkey", manager_action)
        .add("POST", "/swarm/update", update_swarm)
        .add("POST", "/swarm/unlock", manager_action_with_body)
        .add("GET", "/services", listing)
        .add("GET", "/services/{id}", inspect_service)
        .add("POST", "/services/create", manager_action_with_body)
        .add("POST", "/services/{id}/update", update_service)
        .add("DELETE", "/services/{id}", manager_action)
        .add("GET", "/services/{id}/logs", logs)
        .add("GET", "/nodes", listing)
        .add("GET", "/nodes/{id}", manager_action)
        .add("DELETE", "/nodes/{id}", manager_action)
        .add("POST", "/nodes/{id}/update", update_node)
        .add("GET", "/tasks", listing)
        .add("GET", "/tasks/{id}", manager_action)
        .add("GET", "/tasks/{id}/logs", logs)
        .add("GET", "/secrets", listing)
        .add("POST", "/secrets/create", manager_action_with_body)
        .add("DELETE", "/secrets/{id}", manager_action)
        .add("GET", "/secrets/{id}", manager_action)
        .add("POST", "/secrets/{id}/update", update_secret)
        .add("GET", "/configs", listing)
        .add("POST", "/configs/create", manager_action_with_body)
        .add("DELETE", "/configs/{id}", manager_action)
        .add("GET", "/configs/{id}", manager_action)
        .add("POST", "/configs/{id}/update", update_config);
}

fn not_a_manager() -> ApiError {
    ApiError::new(ErrorKind::Unavailable, NOT_A_MANAGER)
}

/// The body must be JSON (or empty), as moby's `ReadJSON` checks.
fn check_body(call: &mut Call<'_, '_>) -> Result<(), ApiError> {
    call.read_json::<serde_json::Value>().map(drop)
}

/// Go's `strconv.ParseUint(text, 10, 64)` error, or `None` when it parses.
fn parse_uint_error(text: &str) -> Option<String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .is_err()
            .then(|| format!("strconv.ParseUint: parsing {text:?}: value out of range"));
    }
    Some(format!(
        "strconv.ParseUint: parsing {text:?}: invalid syntax"
    ))
}

/// The `version` an update names the object's version by; `detailed`
/// says whether moby's message carries the value and the parse error.
fn check_version(call: &Call<'_, '_>, object: &str, detailed: bool) -> Result<(), ApiError> {
    let raw = call.query.get("version").unwrap_or("");
    match parse_uint_error(raw) {
        None => Ok(()),
        Some(error) if detailed => Err(ApiError::invalid(format!(
            "invalid {object} version '{raw}': {error}"
        ))),
        Some(_) => Err(ApiError::invalid(format!("invalid {object} version"))),
    }
}

fn init_or_join(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    Err(ApiError::new(ErrorKind::NotImplemented, NO_SWARM_MODE))
}

fn leave(_daemon: &Daemon, _call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    Err(ApiError::new(ErrorKind::Unavailable, NOT_IN_A_SWARM))
}

fn manager_action(_daemon: &Daemon, _call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    Err(not_a_manager())
}

fn manager_action_with_body(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    Err(not_a_manager())
}

fn listing(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    call.query.filters()?;
    Err(not_a_manager())
}

fn inspect_service(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    if let Some(value) = call.query.get("insertDefaults").filter(|v| !v.is_empty())
        && !matches!(
            value,
            "1" | "t"
                | "T"
                | "true"
                | "TRUE"
                | "True"
                | "0"
                | "f"
                | "F"
                | "false"
                | "FALSE"
                | "False"
        )
    {
        return Err(ApiError::invalid(format!(
            "invalid value for insertDefaults: {value}: strconv.ParseBool: parsing {value:?}: invalid syntax"
        )));
    }
    Err(not_a_manager())
}

fn update_swarm(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    check_version(call, "swarm", true)?;
    Err(not_a_manager())
}

fn update_service(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    check_version(call, "service", true)?;
    Err(not_a_manager())
}

fn update_node(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    check_version(call, "node", true)?;
    Err(not_a_manager())
}

fn update_secret(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    check_version(call, "secret", false)?;
    Err(not_a_manager())
}

fn update_config(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    check_body(call)?;
    check_version(call, "config", false)?;
    Err(not_a_manager())
}

/// Service and task logs: moby refuses a request for no stream (a plain
/// error, so 500) before it looks for the service or task.
fn logs(_daemon: &Daemon, call: &mut Call<'_, '_>) -> Result<Reply, ApiError> {
    if !(call.query.bool("stdout") || call.query.bool("stderr")) {
        return Err(ApiError::internal(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    Err(not_a_manager())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_checked_as_go_parses_them() {
        assert_eq!(parse_uint_error("12"), None);
        assert_eq!(
            parse_uint_error("").as_deref(),
            Some("strconv.ParseUint: parsing \"\": invalid syntax")
        );
        assert_eq!(
            parse_uint_error("-1").as_deref(),
            Some("strconv.ParseUint: parsing \"-1\": invalid syntax")
        );
        assert_eq!(
            parse_uint_error("99999999999999999999").as_deref(),
            Some("strconv.ParseUint: parsing \"99999999999999999999\": value out of range")
        );
    }
}
