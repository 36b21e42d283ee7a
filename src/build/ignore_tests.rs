use super::*;

fn matcher(patterns: &[&str]) -> IgnoreMatcher {
    let owned: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
    IgnoreMatcher::new(&owned).unwrap()
}

#[test]
fn reads_ignore_files_as_ignorefile_readall() {
    let file = b"\xef\xbb\xbf# comment\n  \n/abs/path\n!/keep/./this/\n  spaced  \n#x\n \t# not a comment\r\n!  sub/../y\n../up\n";
    let m = IgnoreMatcher::parse(file).unwrap();
    assert_eq!(
        m.patterns(),
        [
            "abs/path",
            "!keep/this",
            "spaced",
            "# not a comment",
            "!y",
            "../up"
        ]
    );
}

#[test]
fn matches_as_patternmatcher() {
    // (patterns, path, excluded), after patternmatcher_test.go's cases.
    let cases: &[(&[&str], &str, bool)] = &[
        (&["fileutils.go"], "fileutils.go", true),
        (&["*.go"], "fileutils.go", true),
        (&["*.go"], "dir/fileutils.go", false),
        (&["**/*.go"], "dir/fileutils.go", true),
        (&["**/*.go"], "fileutils.go", true),
        (&["**"], "anything/at/all", true),
        (&["**/"], "file", true),
        (&["dir/**"], "dir/file", true),
        (&["dir/**"], "dir", false),
        (&["dir/**"], "dirx/file", false),
        (&["**/foo"], "a/b/foo", true),
        (&["**/foo"], "foo", true),
        (&["**/foo"], "xfoo", false),
        (&["**foo"], "xfoo", true),
        (&["a/**/b"], "a/b", true),
        (&["a/**/b"], "a/x/y/b", true),
        (&["a/**/b"], "a/xb", false),
        (&["a/**"], "a/x/y", true),
        // A `**` inside an element still ends in a slash: `^a(.*/)?b$`.
        (&["a**b"], "axx/b", true),
        (&["a**b"], "axx/yyb", false),
        (&["a**b"], "axb", false),
        (&["abc.def"], "abcxdef", false),
        (&["ab?"], "abc", true),
        (&["ab?"], "ab/", false),
        (&["a?c"], "a/c", false),
        (&["[a-c]x"], "bx", true),
        (&["[a-c]x"], "dx", false),
        (&["[^a-c]x"], "dx", true),
        (&["[!a]x"], "!x", true),
        (&["[!a]x"], "bx", false),
        (&["[\\]a]"], "]", true),
        (&["[a\\-z]"], "-", true),
        (&["[a\\-z]"], "b", false),
        (&["a\\*b"], "a*b", true),
        (&["a\\*b"], "axb", false),
        (&["a(b)+c|d{e}$"], "a(b)+c|d{e}$", true),
        (&["dir"], "dir/sub/file", true),
        (&["dir/sub"], "dir/sub/file", true),
        (&["sub"], "dir/sub/file", false),
        (&["*/sub"], "dir/sub/file", true),
        (&["docs", "!docs/README.md"], "docs/README.md", false),
        (&["docs", "!docs/README.md"], "docs/other.md", true),
        (&["*.md", "!README.md", "README.md"], "README.md", true),
        (&["*", "!keep"], "keep", false),
        (&["*", "!keep"], "keep/inner", false),
        (&["*", "!keep", "keep/x"], "keep/x", true),
        (&["./a//b/"], "a/b", true),
        (&["**"], ".", false),
    ];
    for (patterns, path, want) in cases {
        assert_eq!(
            matcher(patterns).is_excluded(path),
            *want,
            "{patterns:?} {path}"
        );
    }
}

#[test]
fn refuses_bad_patterns() {
    // filepath.Match's rules, after patternmatcher's matchTests.
    for bad in [
        "[", "a[b", "[z-a]", "[\\", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]", "[^", "\\", "a\\",
    ] {
        let err = IgnoreMatcher::new(&[bad.to_string()]).unwrap_err();
        assert_eq!(err, "syntax error in pattern", "{bad}");
    }
    let err = IgnoreMatcher::new(&["!".to_string()]).unwrap_err();
    assert_eq!(err, "illegal exclusion pattern: \"!\"");
}

#[test]
fn excluded_directories_are_walked_only_for_exceptions() {
    let m = matcher(&["vendor", "!vendor/keep/me.txt", "build"]);
    assert!(m.is_excluded("vendor"));
    assert!(m.must_descend("vendor"));
    assert!(m.must_descend("vendor/keep"));
    assert!(!m.must_descend("build"));
    assert!(!m.must_descend("vendor/other"));
    assert!(!m.is_excluded("vendor/keep/me.txt"));
    assert!(m.is_excluded("vendor/keep/other.txt"));
}

#[test]
fn dockerfile_and_dockerignore_are_always_sent() {
    let mut m = matcher(&["*", "!src"]);
    m.keep_build_files("build/Dockerfile.dev").unwrap();
    assert!(!m.is_excluded(".dockerignore"));
    assert!(!m.is_excluded("build/Dockerfile.dev"));
    assert!(m.is_excluded("build/other"));
    assert!(!m.is_excluded("src/main.rs"));
    let mut plain = matcher(&["*.tmp"]);
    plain.keep_build_files("Dockerfile").unwrap();
    assert_eq!(plain.patterns(), ["*.tmp"]);
}

#[test]
fn many_stars_stay_fast() {
    let m = matcher(&["*a*a*a*a*a*a*a*a*a*a*a*a*b"]);
    assert!(!m.is_excluded(&"a".repeat(200)));
}

#[test]
fn long_patterns_stay_linear() {
    // Deep wildcards would overflow a recursive matcher's stack.
    let stars = "*".repeat(200_001) + "x";
    let m = matcher(&[&stars]);
    assert!(m.is_excluded("abcx"));
    assert!(!m.is_excluded("abc"));
    let dirs = "**/".repeat(50_000) + "x";
    let m = matcher(&[&dirs]);
    assert!(m.is_excluded("a/b/c/x"));
    assert!(!m.is_excluded("a/b/c/y"));
}
