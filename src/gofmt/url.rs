//! Go's `net/url` query encoding: `url.QueryEscape` and
//! `url.Values.Encode`, as the CLI builds API queries and distribution's
//! client builds token requests.

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`, every
/// other byte as `%XX` in upper case.
pub fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; `None` for a
/// broken escape or bytes that are not UTF-8.
pub fn query_unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(at + 1..at + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 2;
            }
            b => out.push(b),
        }
        at += 1;
    }
    String::from_utf8(out).ok()
}

/// Go's `url.Values.Encode`: `key=value` pairs sorted by key (values of
/// one key in the order given), each side query-escaped, joined by `&`.
pub fn encode_values(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(key, value)| format!("{}={}", query_escape(key), query_escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Go's `url.ParseQuery` of a well-formed query: pairs in order, a key
/// without `=` has an empty value; pairs that do not unescape are left out.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((query_unescape(key)?, query_unescape(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_encodes_as_go_does() {
        assert_eq!(
            query_escape("repository:a/b:push,pull"),
            "repository%3Aa%2Fb%3Apush%2Cpull"
        );
        assert_eq!(query_escape("a b~"), "a+b~");
        let pairs = [
            ("service".to_string(), "registry.docker.io".to_string()),
            (
                "scope".to_string(),
                "repository:library/busybox:pull".to_string(),
            ),
            ("scope".to_string(), "registry:catalog:*".to_string()),
        ];
        assert_eq!(
            encode_values(&pairs),
            "scope=repository%3Alibrary%2Fbusybox%3Apull&scope=registry%3Acatalog%3A%2A&service=registry.docker.io"
        );
        assert_eq!(
            parse_query("a=1&b&c=x+y%2F&bad=%zz"),
            [
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), String::new()),
                ("c".to_string(), "x y/".to_string())
            ]
        );
    }
}
