//! Image references as the CLI checks them before sending
//! (distribution/reference's `ParseNormalizedNamed`): `busybox` is
//! `docker.io/library/busybox`, names are lowercase path components,
//! tags are `[\w][\w.-]{0,127}`.

#[derive(Debug, PartialEq)]
pub struct Named {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Named {
    /// `docker.io/library/busybox`
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The name as users write it: `busybox`, `example.com/x`.
    pub fn familiar_name(&self) -> String {
        if self.domain == "docker.io" {
            match self.path.strip_prefix("library/") {
                Some(short) if !short.contains('/') => short.to_string(),
                _ => self.path.clone(),
            }
        } else {
            self.name()
        }
    }

    /// The familiar name with `:latest` added when there is no tag or digest.
    pub fn familiar_tagged(&self) -> String {
        let mut text = self.familiar_name();
        match (&self.tag, &self.digest) {
            (None, None) => text.push_str(":latest"),
            (tag, digest) => {
                if let Some(tag) = tag {
                    text.push(':');
                    text.push_str(tag);
                }
                if let Some(digest) = digest {
                    text.push('@');
                    text.push_str(digest);
                }
            }
        }
        text
    }
}

const INVALID: &str = "invalid reference format";

fn is_component(part: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    let bytes = part.as_bytes();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let separator = &part[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes[1..]
            .iter()
            .all(|&b| word(b) || b == b'.' || b == b'-')
}

fn is_domain(domain: &str) -> bool {
    let host = match domain.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return false,
        None => domain,
    };
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_digest(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Parses and normalises a reference; errors are reference's messages.
pub fn parse_normalized(text: &str) -> Result<Named, String> {
    if text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(format!(
            "invalid repository name repository name ({text}) cannot be 64-byte hexadecimal strings"
        ));
    }
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => {
            if !is_digest(digest) {
                return Err(INVALID.into());
            }
            (rest, Some(digest.to_string()))
        }
        None => (text, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(colon) => {
            let tag = &rest[last_slash + colon + 1..];
            if !is_tag(tag) {
                return Err(INVALID.into());
            }
            (&rest[..last_slash + colon], Some(tag.to_string()))
        }
        None => (rest, None),
    };
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    if path.to_lowercase() != path
        && path.to_lowercase().split('/').all(is_component)
        && is_domain(&domain)
    {
        return Err(format!(
            "{INVALID}: repository name ({path}) must be lowercase"
        ));
    }
    if !is_domain(&domain) || !path.split('/').all(is_component) {
        return Err(INVALID.into());
    }
    if domain.len() + 1 + path.len() > 255 {
        return Err("repository name must not be more than 255 characters".into());
    }
    Ok(Named {
        domain,
        path,
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_docker_hub_names() {
        let named = parse_normalized("busybox").unwrap();
        assert_eq!(named.name(), "docker.io/library/busybox");
        assert_eq!(named.familiar_tagged(), "busybox:latest");
        let named = parse_normalized("example.com:5000/a/b:v1").unwrap();
        assert_eq!(named.domain, "example.com:5000");
        assert_eq!(named.familiar_tagged(), "example.com:5000/a/b:v1");
        assert_eq!(
            parse_normalized("nope:1").unwrap().familiar_tagged(),
            "nope:1"
        );
    }

    #[test]
    fn rejects_what_the_cli_rejects() {
        assert_eq!(
            parse_normalized("Bad:tag").unwrap_err(),
            "invalid reference format: repository name (library/Bad) must be lowercase"
        );
        assert_eq!(parse_normalized("a b").unwrap_err(), INVALID);
        assert_eq!(parse_normalized("a:").unwrap_err(), INVALID);
        assert_eq!(parse_normalized("a:-x").unwrap_err(), INVALID);
        assert_eq!(parse_normalized("a__-b").unwrap_err(), INVALID);
    }
}
