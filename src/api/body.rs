//! Request bodies in JSON, checked as moby's `httputils.ReadJSON` does.

use super::error::ApiError;
use serde::de::DeserializeOwned;

/// Checks that `content_type` is `application/json` (parameters allowed).
/// No Content-Type is fine when there is no body.
pub fn check_json_content_type(content_type: Option<&str>, has_body: bool) -> Result<(), ApiError> {
    let Some(content_type) = content_type.filter(|ct| !ct.trim().is_empty()) else {
        return if has_body {
            Err(ApiError::invalid(
                "unsupported Content-Type header (): must be 'application/json'",
            ))
        } else {
            Ok(())
        };
    };
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.is_empty() || mime.contains(char::is_whitespace) || !mime.contains('/') {
        return Err(ApiError::invalid(format!(
            "malformed Content-Type header ({content_type}): mime: no media type"
        )));
    }
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::invalid(format!(
            "unsupported Content-Type header ({content_type}): must be 'application/json'"
        )));
    }
    Ok(())
}

/// Reads JSON into one of the API's types through a `serde_json::Value`.
///
/// Typed decodes of request bodies, stored records and the client's
/// answers all go through this one deserializer, so serde's code for each
/// of the large API structs exists once instead of once per input kind
/// (slice and value): 46 KB less static binary when it was introduced.
/// Records and answers are small; the extra pass costs microseconds.
pub fn from_json_value<T: DeserializeOwned>(value: serde_json::Value) -> serde_json::Result<T> {
    serde_json::from_value(value)
}

/// [`from_json_value`] for bytes.
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    from_json_value(serde_json::from_slice(bytes)?)
}

/// Decodes a JSON request body; `None` for an empty body, which callers
/// treat as "no options" the way moby does.
pub fn decode_json<T: DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<T>, ApiError> {
    let has_body = !body.is_empty();
    check_json_content_type(content_type, has_body)?;
    if !has_body {
        return Ok(None);
    }
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<serde_json::Value>();
    let value = match stream.next() {
        None => {
            return Err(ApiError::invalid(
                "invalid JSON: got EOF while reading request body",
            ));
        }
        Some(Err(e)) => return Err(ApiError::invalid(format!("invalid JSON: {e}"))),
        Some(Ok(value)) => value,
    };
    let rest = &body[stream.byte_offset()..];
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("unexpected content after JSON"));
    }
    from_json_value(value)
        .map(Some)
        .map_err(|e| ApiError::invalid(format!("invalid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Options {
        detach: bool,
    }

    #[test]
    fn json_bodies() {
        let json = Some("application/json; charset=utf-8");
        assert_eq!(
            decode_json::<Options>(json, br#"{"Detach":true}"#).unwrap(),
            Some(Options { detach: true })
        );
        assert_eq!(decode_json::<Options>(None, b"").unwrap(), None);
        let wrong_type = decode_json::<Options>(json, br#"{"Detach":"yes"}"#).unwrap_err();
        assert_eq!(wrong_type.status(), 400);
        assert!(
            wrong_type.message.starts_with("invalid JSON: "),
            "{wrong_type}"
        );
        assert_eq!(
            decode_json::<Options>(json, b"   ").unwrap_err().message,
            "invalid JSON: got EOF while reading request body"
        );
        assert_eq!(
            decode_json::<Options>(json, br#"{"Detach":true} {}"#)
                .unwrap_err()
                .message,
            "unexpected content after JSON"
        );
        assert_eq!(
            decode_json::<Options>(Some("text/plain"), b"{}")
                .unwrap_err()
                .message,
            "unsupported Content-Type header (text/plain): must be 'application/json'"
        );
    }
}
