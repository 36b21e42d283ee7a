//! A registry's error answers in distribution's `errcode` terms, worded as
//! its client words them (`HandleErrorResponse`): an OAuth `error` in the
//! Bearer challenge first, then the body's `errors` (or a token server's
//! `details`), so that the daemon's messages read like moby's.

use super::auth::parse_challenges;
use super::transport::Answer;

/// At most this much of an error answer is read.
const MAX_ERROR_BODY: u64 = 64 << 10;

/// One error: its code (`UNAUTHORIZED`) and message.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistryError {
    pub code: String,
    pub message: String,
}

impl RegistryError {
    /// A code with its own message, as `ErrorCode.WithDetail` leaves it.
    pub fn of_code(code: &str) -> RegistryError {
        RegistryError {
            code: code.to_string(),
            message: default_message(code).to_string(),
        }
    }

    /// `unauthorized: authentication required`: errcode's `Error()`.
    pub fn text(&self) -> String {
        format!(
            "{}: {}",
            self.code.to_lowercase().replace('_', " "),
            self.message
        )
    }
}

/// The messages distribution registers for the codes a client meets.
fn default_message(code: &str) -> &'static str {
    match code {
        "UNAUTHORIZED" => "authentication required",
        "DENIED" => "requested access to the resource is denied",
        "TOOMANYREQUESTS" => "too many requests",
        "MANIFEST_UNKNOWN" => "manifest unknown",
        "NAME_UNKNOWN" => "repository name not known to registry",
        "BLOB_UNKNOWN" => "blob unknown to registry",
        _ => "unknown error",
    }
}

/// What a failed answer said.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The first error, when the answer was worded in errcode terms; moby
    /// judges a pull's failure by it alone.
    pub error: Option<RegistryError>,
    /// The text moby shows.
    pub text: String,
}

impl Failure {
    pub fn code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.code.as_str())
    }

    fn of(error: RegistryError) -> Failure {
        Failure {
            text: error.text(),
            error: Some(error),
        }
    }
}

#[derive(serde::Deserialize)]
struct Body {
    #[serde(default)]
    errors: Vec<BodyError>,
    #[serde(default)]
    details: String,
}

#[derive(serde::Deserialize)]
struct BodyError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// distribution's `HandleErrorResponse` on an answer that is not a success.
pub fn failure_of(answer: &mut Answer) -> Failure {
    if !(400..500).contains(&answer.status) {
        return Failure {
            error: None,
            text: format!("received unexpected HTTP status: {}", answer.status_text()),
        };
    }
    let from_challenge = parse_challenges(&answer.header_values("WWW-Authenticate"))
        .into_iter()
        .filter(|c| c.scheme == "bearer")
        .find_map(|challenge| {
            let code = match challenge.parameter("error") {
                "invalid_token" => "UNAUTHORIZED",
                "insufficient_scope" => "DENIED",
                _ => return None,
            };
            let mut error = RegistryError::of_code(code);
            let description = challenge.parameter("error_description");
            if !description.is_empty() {
                error.message = description.to_string();
            }
            Some(error)
        });
    let body = answer.read_up_to(MAX_ERROR_BODY);
    if let Some(error) = from_challenge {
        return Failure::of(error);
    }
    body_failure(answer.status, &body)
}

/// `parseHTTPErrorResponse`: a token server's `details`, a registry's
/// `errors`, or the body quoted.
fn body_failure(status: u16, body: &[u8]) -> Failure {
    let parsed = serde_json::from_slice::<Body>(body);
    if let Ok(parsed) = &parsed {
        if !parsed.details.is_empty() {
            let code = match status {
                401 => "UNAUTHORIZED",
                429 => "TOOMANYREQUESTS",
                _ => "UNKNOWN",
            };
            return Failure::of(RegistryError {
                code: code.to_string(),
                message: parsed.details.clone(),
            });
        }
        if let Some(first) = parsed.errors.first() {
            let code = first.code.to_uppercase();
            let message = if first.message.is_empty() {
                default_message(&code).to_string()
            } else {
                first.message.clone()
            };
            return Failure::of(RegistryError { code, message });
        }
    }
    if status == 401 {
        return Failure::of(RegistryError::of_code("UNAUTHORIZED"));
    }
    let reason = match parsed {
        Err(_) if body.is_empty() => "unexpected end of JSON input".to_string(),
        Err(error) => error.to_string(),
        Ok(_) => "no error details found in HTTP response body".to_string(),
    };
    Failure {
        error: None,
        text: format!(
            "error parsing HTTP {status} response body: {reason}: {}",
            crate::gofmt::quote::go_quote(&String::from_utf8_lossy(body))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Headers;

    fn answer(status: u16, challenge: Option<&str>, body: &str) -> Answer {
        let mut headers = Headers::new();
        if let Some(challenge) = challenge {
            headers.add("WWW-Authenticate", challenge);
        }
        Answer {
            status,
            reason: String::new(),
            headers,
            body: Box::new(std::io::Cursor::new(body.as_bytes().to_vec())),
        }
    }

    #[test]
    fn failures_are_worded_as_distributions_client_words_them() {
        let text = |a: &mut Answer| failure_of(a).text;
        let scope = r#"Bearer realm="http://t/token",service="s",scope="repository:p:pull",error="insufficient_scope""#;
        assert_eq!(
            text(&mut answer(
                401,
                Some(scope),
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}"
            )),
            "denied: requested access to the resource is denied"
        );
        assert_eq!(
            text(&mut answer(401, Some(r#"Basic realm="r""#), "")),
            "unauthorized: authentication required"
        );
        assert_eq!(
            text(&mut answer(
                401,
                None,
                r#"{"details":"incorrect username or password"}"#
            )),
            "unauthorized: incorrect username or password"
        );
        let unknown = failure_of(&mut answer(
            404,
            None,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
        ));
        assert_eq!(unknown.code(), Some("MANIFEST_UNKNOWN"));
        assert_eq!(unknown.text, "manifest unknown: manifest unknown");
        assert_eq!(
            text(&mut answer(400, None, "")),
            "error parsing HTTP 400 response body: unexpected end of JSON input: \"\""
        );
        let mut server = answer(503, None, "");
        server.reason = "Service Unavailable".into();
        assert_eq!(
            text(&mut server),
            "received unexpected HTTP status: 503 Service Unavailable"
        );
    }
}
