//! Routes: a method and a path pattern with `{name}` parameters, where
//! `{name*}` takes one or more segments (image references contain `/`).

use super::query::percent_decode;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

struct Route<T> {
    method: &'static str,
    segments: Vec<Segment>,
    target: T,
}

/// Path parameters of a matched route, percent-decoded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The outcome of a lookup: a route, or nothing for this path at all.
pub enum Match<'r, T> {
    Found(&'r T, Params),
    /// The path matched some route but under another method; moby answers
    /// these like unknown paths, with 404 "page not found".
    MethodNotAllowed,
    NotFound,
}

pub struct Router<T> {
    routes: Vec<Route<T>>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router { routes: Vec::new() }
    }
}

impl<T> Router<T> {
    pub fn new() -> Router<T> {
        Router::default()
    }

    /// Adds a route; `pattern` looks like `/containers/{id}/json`.
    pub fn add(&mut self, method: &'static str, pattern: &str, target: T) -> &mut Router<T> {
        let segments = pattern
            .split('/')
            .filter(|part| !part.is_empty())
            .map(
                |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('*') {
                        Some(rest) => Segment::Rest(rest.to_string()),
                        None => Segment::Param(name.to_string()),
                    },
                    None => Segment::Literal(part.to_string()),
                },
            )
            .collect();
        self.routes.push(Route {
            method,
            segments,
            target,
        });
        self
    }

    /// Finds the route for `method` and `path` (without the version
    /// prefix). As in moby's router, HEAD matches only HEAD routes.
    pub fn find(&self, method: &str, path: &str) -> Match<'_, T> {
        let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        let mut path_known = false;
        for route in &self.routes {
            let Some(params) = match_segments(&route.segments, &parts) else {
                continue;
            };
            if route.method == method {
                return Match::Found(&route.target, params);
            }
            path_known = true;
        }
        if path_known {
            Match::MethodNotAllowed
        } else {
            Match::NotFound
        }
    }
}

fn match_segments(segments: &[Segment], parts: &[&str]) -> Option<Params> {
    let mut params = HashMap::new();
    if match_from(segments, parts, &mut params) {
        Some(Params(params))
    } else {
        None
    }
}

fn match_from(segments: &[Segment], parts: &[&str], params: &mut HashMap<String, String>) -> bool {
    let Some((segment, rest_segments)) = segments.split_first() else {
        return parts.is_empty();
    };
    match segment {
        Segment::Literal(literal) => {
            parts.first().is_some_and(|part| part == literal)
                && match_from(rest_segments, &parts[1..], params)
        }
        Segment::Param(name) => {
            let Some(part) = parts.first() else {
                return false;
            };
            let Some(value) = percent_decode(part, false) else {
                return false;
            };
            params.insert(name.clone(), value);
            match_from(rest_segments, &parts[1..], params)
        }
        Segment::Rest(name) => {
            // The longest run of segments that lets the rest match.
            for take in (1..=parts.len()).rev() {
                let mut attempt = params.clone();
                if match_from(rest_segments, &parts[take..], &mut attempt) {
                    let Some(value) = percent_decode(&parts[..take].join("/"), false) else {
                        return false;
                    };
                    attempt.insert(name.clone(), value);
                    *params = attempt;
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<&'static str> {
        let mut router = Router::new();
        router
            .add("GET", "/_ping", "ping")
            .add("HEAD", "/_ping", "ping-head")
            .add("GET", "/containers/{id}/json", "inspect")
            .add("POST", "/containers/{id}/start", "start")
            .add("GET", "/images/{name*}/json", "image")
            .add("DELETE", "/images/{name*}", "rmi");
        router
    }

    fn found(router: &Router<&'static str>, method: &str, path: &str) -> Option<(String, Params)> {
        match router.find(method, path) {
            Match::Found(target, params) => Some((target.to_string(), params)),
            _ => None,
        }
    }

    #[test]
    fn params_and_rest_segments() {
        let router = router();
        let (target, params) = found(&router, "GET", "/containers/abc/json").unwrap();
        assert_eq!(
            (target.as_str(), params.get("id")),
            ("inspect", Some("abc"))
        );
        let (target, params) = found(
            &router,
            "GET",
            "/images/docker.io/library/busybox:latest/json",
        )
        .unwrap();
        assert_eq!(target, "image");
        assert_eq!(params.get("name"), Some("docker.io/library/busybox:latest"));
        let (_, params) = found(&router, "DELETE", "/images/a%2Fb/c").unwrap();
        assert_eq!(params.get("name"), Some("a/b/c"));
        assert_eq!(found(&router, "HEAD", "/_ping").unwrap().0, "ping-head");
    }

    #[test]
    fn misses() {
        let router = router();
        assert!(matches!(router.find("GET", "/nope"), Match::NotFound));
        assert!(matches!(
            router.find("HEAD", "/containers/x/json"),
            Match::MethodNotAllowed
        ));
        assert!(matches!(
            router.find("GET", "/containers/json"),
            Match::NotFound
        ));
        assert!(matches!(
            router.find("POST", "/containers/x/json"),
            Match::MethodNotAllowed
        ));
        // Only DELETE /images/{name*} takes this path.
        assert!(matches!(
            router.find("GET", "/images/json"),
            Match::MethodNotAllowed
        ));
        assert!(matches!(router.find("GET", "/images"), Match::NotFound));
    }
}
