use super::*;

fn env() -> Vec<String> {
    [
        "PWD=/home",
        "SHELL=bash",
        "KOREAN=한국어",
        "EMPTY=",
        "SPACED=a  b",
        "PWD=/root",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn expands_words_as_buildkit_lex() {
    // Cases after buildkit shell/envVarTest: input, expected (or error).
    let cases: &[(&str, &str)] = &[
        ("hello", "hello"),
        ("he'll'o", "hello"),
        ("he\"l\"o", "helo"),
        ("he\\'llo", "he'llo"),
        ("'hello\\'", "hello\\"),
        ("\"hello\\\"\"", "hello\""),
        ("\"a\\b\"", "a\\b"),
        ("\"a\\$b\"", "a$b"),
        ("$PWD", "/root"),
        ("${PWD}", "/root"),
        ("${PWD}x", "/rootx"),
        ("$PWDx", ""),
        ("\\$PWD", "$PWD"),
        ("'$PWD'", "$PWD"),
        ("\"$PWD\"", "/root"),
        ("$KOREAN", "한국어"),
        ("${KOREAN}x", "한국어x"),
        ("$", "$"),
        ("a$", "a$"),
        ("$ x", "$ x"),
        ("${missing:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${missing-def}", "def"),
        ("${PWD:-def}", "/root"),
        ("${missing:+alt}", ""),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${PWD:+alt}", "alt"),
        ("${missing:-${SHELL:-x}}", "bash"),
        ("${missing:-'q }'}", "q }"),
        ("${missing:-a\\}b}", "a}b"),
        ("$1x", "x"),
        ("$@", ""),
        ("trailing\\", "trailing"),
        ("${PWD:?boom}", "/root"),
    ];
    let vars = env();
    for (input, want) in cases {
        assert_eq!(
            expand_word(input, '\\', &vars).as_deref(),
            Ok(*want),
            "{input}"
        );
    }
}

#[test]
fn reports_buildkit_errors() {
    let cases: &[(&str, &str)] = &[
        ("${", "syntax error: missing '}'"),
        ("${PWD", "missing ':' in substitution"),
        ("${PWD:-x", "syntax error: missing '}'"),
        ("${}", "syntax error: bad substitution"),
        ("${:x}", "syntax error: bad substitution"),
        ("${PWD:x}", "unsupported modifier (x) in substitution"),
        ("${PWD#x}", "missing ':' in substitution"),
        (
            "'abc",
            "unexpected end of statement while looking for matching single-quote",
        ),
        (
            "\"abc",
            "unexpected end of statement while looking for matching double-quote",
        ),
        ("${missing:?}", "missing: is not allowed to be unset"),
        ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
        ("${EMPTY?}", ""),
        ("${missing?gone}", "missing: gone"),
    ];
    let vars = env();
    for (input, want) in cases {
        let got = expand_word(input, '\\', &vars);
        if want.is_empty() {
            assert_eq!(got.as_deref(), Ok(""), "{input}");
            continue;
        }
        let expected = format!("failed to process {}: {want}", go_quote(input));
        assert_eq!(got, Err(expected), "{input}");
    }
}

#[test]
fn backtick_escape_token() {
    let vars = env();
    assert_eq!(expand_word("`$PWD", '`', &vars).unwrap(), "$PWD");
    assert_eq!(expand_word("C:\\dir", '`', &vars).unwrap(), "C:\\dir");
    assert_eq!(expand_word("\"a`\"b\"", '`', &vars).unwrap(), "a\"b");
}

#[test]
fn splits_words_after_expansion() {
    let vars = env();
    let split = |s: &str| expand_words(s, '\\', &vars).unwrap();
    assert_eq!(split("80 443/tcp"), ["80", "443/tcp"]);
    assert_eq!(split("$SPACED c"), ["a", "b", "c"]);
    assert_eq!(split("\"$SPACED\" c"), ["a  b", "c"]);
    assert_eq!(split("a\\ b"), ["a b"]);
    assert_eq!(split("  "), Vec::<String>::new());
}

#[test]
fn expansion_is_bounded() {
    // A value doubled at every ENV would grow without end.
    let big = vec![format!("A={}", "x".repeat(MAX_EXPANDED / 2 + 1))];
    let err = expand_word("$A$A", '\\', &big).unwrap_err();
    assert!(err.contains("expansion longer than"), "{err}");
    let nested = "${a:-".repeat(MAX_NESTING + 1) + &"}".repeat(MAX_NESTING + 1);
    let err = expand_word(&nested, '\\', &big).unwrap_err();
    assert!(err.contains("nested deeper"), "{err}");
}
