//! Cases the text corpus cannot hold (bytes, sizes) and the API the
//! builder uses.

use super::*;

#[test]
fn bom_and_crlf_are_read_as_go_scanner() {
    let text = b"\xef\xbb\xbf# escape=`\r\nFROM busybox\r\nRUN a `\r\n  b\r\n";
    let file = parse("Dockerfile", text).unwrap();
    assert_eq!(file.escape, '`');
    assert_eq!(file.stages[0].steps[0].original, "RUN a   b");
    assert_eq!(
        (
            file.stages[0].steps[0].start_line,
            file.stages[0].steps[0].end_line
        ),
        (3, 4)
    );
}

#[test]
fn sizes_are_bounded() {
    let long = format!("FROM busybox\nRUN {}\n", "x".repeat(lexer::MAX_LINE));
    assert_eq!(
        parse("Dockerfile", long.as_bytes()).unwrap_err(),
        "failed to parse Dockerfile: dockerfile line greater than max allowed size of 65535"
    );
    let fits = format!("FROM busybox\nRUN {}\n", "x".repeat(lexer::MAX_LINE - 4));
    assert!(parse("Dockerfile", fits.as_bytes()).is_ok());
    let huge = vec![b'#'; MAX_DOCKERFILE + 1];
    assert!(
        parse("Dockerfile", &huge)
            .unwrap_err()
            .contains("larger than")
    );
    let many = "FROM busybox\n".to_string() + &"USER a\n".repeat(MAX_INSTRUCTIONS);
    assert!(
        parse("Dockerfile", many.as_bytes())
            .unwrap_err()
            .contains("more than 10000 instructions")
    );
}

#[test]
fn errors_name_the_dockerfile() {
    assert_eq!(
        parse("build/Dockerfile.dev", b"").unwrap_err(),
        "the Dockerfile (build/Dockerfile.dev) cannot be empty"
    );
    assert_eq!(
        parse("Dockerfile.dev", b"# escape=?\nFROM x\n").unwrap_err(),
        "failed to parse Dockerfile.dev: invalid escape token '?' does not match ` or \\"
    );
}

#[test]
fn stages_are_found_by_name_or_index() {
    let file = parse("Dockerfile", b"FROM a AS Build\nFROM b\nFROM c AS 2\n");
    // `2` is not a valid stage name: names start with a letter.
    assert!(file.is_err());
    let file = parse("Dockerfile", b"FROM a AS Build\nFROM b\n").unwrap();
    assert_eq!(file.stage("build"), Some(0));
    assert_eq!(file.stage("BUILD"), Some(0));
    assert_eq!(file.stage("1"), Some(1));
    assert_eq!(file.stage("2"), None);
    assert_eq!(file.stage("other"), None);
}

#[test]
fn syntax_directive_is_reported_for_the_builder_to_warn() {
    let file = parse("Dockerfile", b"# syntax=docker/dockerfile:1.4\nFROM a\n").unwrap();
    assert_eq!(file.syntax.as_deref(), Some("docker/dockerfile:1.4"));
    assert!(
        file.syntax_warning()
            .unwrap()
            .contains("docker/dockerfile:1.4")
    );
    let plain = parse("Dockerfile", b"FROM a\n").unwrap();
    assert_eq!(plain.syntax_warning(), None);
}

#[test]
fn onbuild_triggers_parse_when_a_child_builds() {
    let file = parse(
        "Dockerfile",
        b"FROM a\nONBUILD RUN echo \"hi\" \\\n  there\n",
    )
    .unwrap();
    let Instruction::Onbuild(trigger) = &file.stages[0].steps[0].instruction else {
        panic!("not ONBUILD");
    };
    assert_eq!(trigger, "RUN echo \"hi\"   there");
    let step = parse_trigger(trigger).unwrap();
    assert_eq!(step.original, "RUN echo \"hi\"   there");
    assert_eq!(
        step.instruction,
        Instruction::Run(Run {
            command: CommandLine {
                args: vec!["echo \"hi\"   there".into()],
                prepend_shell: true,
            },
            flags_used: vec![],
        })
    );
    assert_eq!(
        parse_trigger("FOO x").unwrap_err(),
        "unknown instruction: FOO"
    );
    assert_eq!(
        parse_trigger("RUN a\nRUN b").unwrap_err(),
        "onbuild trigger should be a single expression"
    );
}

#[test]
fn env_lists_resolve_last_definition() {
    let vars: Vec<String> = vec!["A=1".into(), "B".into(), "A=2".into()];
    let step = parse("Dockerfile", b"FROM x\nWORKDIR /$A/$B/$C\n").unwrap();
    let expanded = step.stages[0].steps[0]
        .instruction
        .expand('\\', &vars)
        .unwrap();
    assert_eq!(expanded, Instruction::Workdir("/2//".into()));
}

#[test]
fn argument_counts_as_buildkit_instructions_tests() {
    let error_of = |line: &str| {
        let text = format!("FROM scratch\n{line}\n");
        parse("Dockerfile", text.as_bytes()).unwrap_err()
    };
    for command in ["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"] {
        let want =
            format!("dockerfile parse error line 2: {command} requires exactly one argument");
        assert_eq!(error_of(command), want);
    }
    for command in [
        "ENV",
        "LABEL",
        "ONBUILD",
        "HEALTHCHECK",
        "EXPOSE",
        "VOLUME",
        "ARG",
    ] {
        let want =
            format!("dockerfile parse error line 2: {command} requires at least one argument");
        assert_eq!(error_of(command), want);
    }
    for command in ["ADD", "COPY"] {
        let want = format!(
            "dockerfile parse error line 2: {command} requires at least two arguments, but only one was provided. Destination could not be determined"
        );
        assert_eq!(error_of(&format!("{command} arg1")), want);
    }
    assert_eq!(
        error_of("MAINTAINER --boo joe@example.com"),
        "dockerfile parse error line 2: Unknown flag: boo"
    );
    assert_eq!(
        error_of("CMD --doit=true a"),
        "dockerfile parse error line 2: Unknown flag: doit"
    );
    // One dash is no flag: it starts the command.
    let file = parse("Dockerfile", b"FROM scratch\nRUN -x a\n").unwrap();
    assert_eq!(
        file.stages[0].steps[0].instruction,
        Instruction::Run(Run {
            command: CommandLine {
                args: vec!["-x a".into()],
                prepend_shell: true,
            },
            flags_used: vec![],
        })
    );
}

#[test]
fn onbuild_chains_do_not_recurse() {
    let text = format!("FROM scratch\n{}RUN x\n", "ONBUILD ".repeat(8_000));
    assert_eq!(
        parse("Dockerfile", text.as_bytes()).unwrap_err(),
        "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    );
}

#[test]
fn target_keeps_stages_up_to_it() {
    let text = b"ARG A\nFROM a AS base\nFROM b AS Test\nRUN x\nFROM c\n";
    let mut file = parse("Dockerfile", text).unwrap();
    assert_eq!(file.step_count(), 5);
    file.truncate_to_target("test").unwrap();
    assert_eq!(file.stages.len(), 2);
    assert_eq!(file.step_count(), 4);
    assert_eq!(
        file.truncate_to_target("nope").unwrap_err(),
        "failed to reach build target nope in Dockerfile"
    );
}
