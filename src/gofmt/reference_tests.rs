use super::*;

const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn full(text: &str) -> String {
    Named::parse_with_default_tag(text).unwrap().to_string()
}

fn familiar(text: &str) -> String {
    Named::parse_with_default_tag(text).unwrap().familiar()
}

fn error(text: &str) -> String {
    Named::parse_normalized(text).unwrap_err().to_string()
}

#[test]
fn normalises_like_docker() {
    let cases = [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("user/img", "docker.io/user/img:latest"),
        ("index.docker.io/user/img", "docker.io/user/img:latest"),
        ("docker.io/busybox", "docker.io/library/busybox:latest"),
        ("localhost/x", "localhost/x:latest"),
        ("localhost:5000/x", "localhost:5000/x:latest"),
        ("example.com:5000/a/b:v1", "example.com:5000/a/b:v1"),
        ("quay.io/a/b/c:v1", "quay.io/a/b/c:v1"),
        ("[::1]:5000/x", "[::1]:5000/x:latest"),
        ("a__b-c--d.e_f", "docker.io/library/a__b-c--d.e_f:latest"),
        // A first component with capitals is a registry, as in the CLI.
        ("User/img", "User/img:latest"),
        ("UPPER.io/x", "UPPER.io/x:latest"),
    ];
    for (text, want) in cases {
        assert_eq!(full(text), want, "{text}");
    }
    assert_eq!(
        full(&format!("busybox@sha256:{HEX}")),
        format!("docker.io/library/busybox@sha256:{HEX}")
    );
    assert_eq!(
        full(&format!("busybox:1@sha256:{HEX}")),
        format!("docker.io/library/busybox:1@sha256:{HEX}")
    );
    let named = Named::parse_normalized("example.com:5000/a/b:v1").unwrap();
    assert_eq!(named.domain(), "example.com:5000");
    assert_eq!(named.path, "a/b");
    assert_eq!(named.tag(), Some("v1"));
    assert_eq!(named.name(), "example.com:5000/a/b");
    assert_eq!(Named::parse_normalized("busybox").unwrap().tag(), None);
}

#[test]
fn familiar_forms() {
    let cases = [
        ("docker.io/library/busybox", "busybox:latest"),
        ("user/img:v2", "user/img:v2"),
        ("docker.io/library/a/b", "library/a/b:latest"),
        ("localhost:5000/x", "localhost:5000/x:latest"),
        ("nope:1", "nope:1"),
    ];
    for (text, want) in cases {
        assert_eq!(familiar(text), want, "{text}");
    }
    let digested = Named::parse_normalized(&format!("busybox@sha256:{HEX}")).unwrap();
    assert_eq!(digested.familiar(), format!("busybox@sha256:{HEX}"));
    assert_eq!(digested.tag(), None);
    assert_eq!(digested.digest(), Some(format!("sha256:{HEX}").as_str()));
    assert_eq!(digested.familiar_name(), "busybox");
    assert_eq!(digested.with_tag("v1").unwrap().familiar(), "busybox:v1");
    assert!(digested.with_tag("-v1").is_err());
    assert_eq!(familiar_name("docker.io/library/busybox"), "busybox");
    assert_eq!(familiar_name("docker.io/user/x"), "user/x");
    assert_eq!(familiar_name("docker.io/library/a/b"), "library/a/b");
    assert_eq!(familiar_name("quay.io/library/x"), "quay.io/library/x");
}

#[test]
fn rejects_with_docker_wording() {
    // What the Docker CLI 28 answered for `docker tag busybox <text>`.
    let cases = [
        (
            "Busybox",
            "invalid reference format: repository name (library/Busybox) must be lowercase",
        ),
        (
            "Bad:tag",
            "invalid reference format: repository name (library/Bad) must be lowercase",
        ),
        (
            "a/B",
            "invalid reference format: repository name (a/B) must be lowercase",
        ),
        (
            "localhost/X",
            "invalid reference format: repository name (X) must be lowercase",
        ),
        ("a:-x", "invalid reference format"),
        ("bad_host:x/y", "invalid reference format"),
        ("busybox:t@x", "invalid reference format"),
        (
            "a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "invalid checksum digest length",
        ),
        (&format!("a@sha512:{HEX}"), "invalid checksum digest length"),
        (&format!("a@md5:{HEX}"), "unsupported digest algorithm"),
        (
            &format!("a@sha256:{}", HEX.to_uppercase()),
            "invalid checksum digest format",
        ),
        (
            HEX,
            &format!("invalid repository name ({HEX}), cannot specify 64-byte hexadecimal strings"),
        ),
        (
            &format!("a/{}", "b".repeat(260)),
            "repository name must not be more than 255 characters",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(error(text), want, "{text}");
    }
    for bad in [
        "",
        "busybox:",
        ":tag",
        "a//b",
        "-a",
        "a-",
        "a b",
        "a:",
        "a__-b",
        "a@sha256:12",
        "a/b/",
        "a:b:c",
    ] {
        assert!(Named::parse_normalized(bad).is_err(), "{bad:?} accepted");
    }
    assert!(Named::parse_normalized(&format!("x:{}", "t".repeat(129))).is_err());
    assert!(Named::parse_normalized(&format!("a@sha384:{}", "a".repeat(96))).is_ok());
}
