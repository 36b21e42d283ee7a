//! Errors as the Engine API reports them: a kind that picks moby's status
//! code, and a message sent as `{"message": "..."}`.

use super::types::ErrorResponse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 304: the object is already in the wanted state (start, stop).
    NotModified,
    /// 400: a bad parameter, body or version.
    InvalidParameter,
    /// 401: a remote source asked for credentials (import from a URL).
    Unauthorized,
    /// 403: a remote source refused access (import from a URL).
    Forbidden,
    /// 404: no such container, image, exec or route.
    NotFound,
    /// 409: a name in use, an image in use, a container running.
    Conflict,
    /// 500: a real fault inside the daemon.
    Internal,
    /// 501: a feature this daemon does not have.
    NotImplemented,
    /// 503: a service that is off (swarm).
    Unavailable,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::NotModified => 304,
            ErrorKind::InvalidParameter => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Internal => 500,
            ErrorKind::NotImplemented => 501,
            ErrorKind::Unavailable => 503,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ApiError {
        ApiError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::InvalidParameter, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Conflict, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorKind::Internal, message)
    }

    /// moby's answer to a path no route matches.
    pub fn page_not_found() -> ApiError {
        ApiError::not_found("page not found")
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The JSON body; 304 carries none.
    pub fn body(&self) -> Vec<u8> {
        if self.kind == ErrorKind::NotModified {
            return Vec::new();
        }
        let body = ErrorResponse {
            message: self.message.clone(),
        };
        let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_body() {
        assert_eq!(ApiError::invalid("x").status(), 400);
        assert_eq!(ApiError::conflict("x").status(), 409);
        assert_eq!(ApiError::page_not_found().status(), 404);
        assert_eq!(
            ApiError::page_not_found().body(),
            b"{\"message\":\"page not found\"}\n"
        );
        assert!(ApiError::new(ErrorKind::NotModified, "x").body().is_empty());
    }
}
