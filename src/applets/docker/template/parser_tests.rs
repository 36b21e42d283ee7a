//! Parse trees and parse errors, with Go's wording.

use super::*;

fn err(text: &str) -> String {
    match parse(text, &|name| super::super::funcs::is_builtin(name)) {
        Ok(_) => panic!("{text:?} parsed"),
        Err(ParseError(message)) => message,
    }
}

fn ok(text: &str) -> Vec<Node> {
    match parse(text, &|name| super::super::funcs::is_builtin(name)) {
        Ok(nodes) => nodes,
        Err(ParseError(message)) => panic!("{text:?}: {message}"),
    }
}

#[test]
fn parse_errors_use_go_wording() {
    let cases = [
        // Checked against `docker version -f` (Docker CLI 28).
        ("{{.ID}", "template: :1: bad character U+007D '}'"),
        ("{{.A!}}", "template: :1: bad character U+0021 '!'"),
        ("{{.A !}}", "template: :1: unexpected \"!\" in operand"),
        ("{{.A,}}", "template: :1: unexpected \",\" in operand"),
        (
            "{{.A \u{2192}}}",
            "template: :1: unrecognized character in action: U+2192 '\u{2192}'",
        ),
        (
            "{{/* x */ .A}}",
            "template: :1: comment ends before closing delimiter",
        ),
        ("{{\"abc}}", "template: :1: unterminated quoted string"),
        ("{{3x}}", "template: :1: bad number syntax: \"3x\""),
        ("{{}}", "template: :1: missing value for command"),
        ("{{if}}{{end}}", "template: :1: missing value for if"),
        ("{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{if .A}}x", "template: :1: unexpected EOF"),
        ("a\n{{range .A}}", "template: :2: unexpected EOF"),
        ("{{nope .A}}", "template: :1: function \"nope\" not defined"),
        ("{{$x}}", "template: :1: undefined variable \"$x\""),
        (
            "{{.A | 3}}",
            "template: :1: non executable command in pipeline stage 2",
        ),
        (
            "{{range $a, 1}}{{end}}",
            "template: :1: range can only initialize variables",
        ),
        (
            "{{$a, $b := 1}}",
            "template: :1: too many declarations in command",
        ),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("{{.A", "template: :1: unclosed action"),
        ("{{(.A}}", "template: :1: unclosed left paren"),
        ("{{1.2.3}}", "template: :1: unexpected \".3\" in operand"),
        (
            "{{true.B}}",
            "template: :1: unexpected . after term \"true\"",
        ),
        (
            "{{if .A}}{{else}}{{else}}{{end}}",
            "template: :1: expected end; found {{else}}",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), want, "{text:?}");
    }
}

#[test]
fn variables_go_out_of_scope_at_end() {
    ok("{{range $i, $e := .}}{{$i}}{{$e}}{{end}}");
    ok("{{$x := 1}}{{if .}}{{$x = 2}}{{end}}{{$x}}");
    assert_eq!(
        err("{{with $y := .}}{{end}}{{$y}}"),
        "template: :1: undefined variable \"$y\""
    );
}

#[test]
fn else_if_chains_share_one_end() {
    let nodes = ok("{{if .A}}a{{else if .B}}b{{else}}c{{end}}");
    let Node::If(branch) = &nodes[0] else {
        panic!("not an if")
    };
    let else_list = branch.else_list.as_ref().unwrap();
    assert!(matches!(else_list[0], Node::If(_)));
}

#[test]
fn nodes_print_as_go_shows_them() {
    let nodes = ok(r#"{{index .Config.Labels "a" | printf "%s" | len}}{{(.A).B}}{{$x := .C.D}}"#);
    let shown: Vec<String> = nodes
        .iter()
        .map(|n| match n {
            Node::Action(pipe) => pipe.to_string(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            r#"index .Config.Labels "a" | printf "%s" | len"#,
            "(.A).B",
            "$x := .C.D"
        ]
    );
}

#[test]
fn numbers() {
    assert!(matches!(parse_number("42"), Some(Literal::Int(42))));
    assert!(matches!(parse_number("-0x1f"), Some(Literal::Int(-31))));
    assert!(matches!(parse_number("1_000"), Some(Literal::Int(1000))));
    assert!(matches!(parse_number("010"), Some(Literal::Int(8))));
    assert!(matches!(parse_number("1.5"), Some(Literal::Float(f)) if f == 1.5));
    assert!(matches!(parse_number("1e3"), Some(Literal::Float(f)) if f == 1000.0));
    assert!(parse_number("1__0").is_none());
    assert!(parse_number("0x").is_none());
}
