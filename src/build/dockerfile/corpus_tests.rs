//! The corpus in `src/build/testdata/dockerfile/`: each `*.txt` file is a
//! Dockerfile, then optionally `=== env` with `KEY=value` lines (each step
//! is then also shown expanded, `~>`), then `=== expect` with the parse as
//! [`dump`] writes it, or `error: <message>`.

use super::*;
use crate::gofmt::quote::go_quote;

fn quoted(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

fn command_line(name: &str, line: &CommandLine) -> String {
    let form = if line.prepend_shell { "shell" } else { "exec" };
    format!("{name} {form} {}", quoted(&line.args))
}

fn pairs(name: &str, kvs: &[KeyValue]) -> String {
    let items: Vec<String> = kvs
        .iter()
        .map(|kv| format!("{}={}", go_quote(&kv.key), go_quote(&kv.value)))
        .collect();
    format!("{name} {}", items.join(" "))
}

fn copy(name: &str, c: &Copy) -> String {
    let mut out = format!("{name} {} -> {}", quoted(&c.sources), go_quote(&c.dest));
    if let Some(from) = &c.from {
        out += &format!(" from={}", go_quote(from));
    }
    for (flag, value) in [("chown", &c.chown), ("chmod", &c.chmod)] {
        if !value.is_empty() {
            out += &format!(" {flag}={}", go_quote(value));
        }
    }
    if c.link {
        out += " link";
    }
    out
}

/// One instruction in the corpus's notation.
fn dump(instruction: &Instruction) -> String {
    match instruction {
        Instruction::From(f) => {
            let mut out = format!("FROM {}", go_quote(&f.base));
            if let Some(name) = &f.name {
                out += &format!(" AS {}", go_quote(name));
            }
            if let Some(platform) = &f.platform {
                out += &format!(" platform={}", go_quote(platform));
            }
            out
        }
        Instruction::Arg(decls) => {
            let items: Vec<String> = decls
                .iter()
                .map(|d| match &d.default {
                    Some(v) => format!("{}={}", go_quote(&d.name), go_quote(v)),
                    None => go_quote(&d.name),
                })
                .collect();
            format!("ARG {}", items.join(" "))
        }
        Instruction::Env(kvs) => pairs("ENV", kvs),
        Instruction::Label(kvs) => pairs("LABEL", kvs),
        Instruction::Run(run) => {
            let mut out = command_line("RUN", &run.command);
            if !run.flags_used.is_empty() {
                out += &format!(" flags={}", run.flags_used.join(","));
            }
            out
        }
        Instruction::Cmd(line) => command_line("CMD", line),
        Instruction::Entrypoint(line) => command_line("ENTRYPOINT", line),
        Instruction::Shell(args) => format!("SHELL {}", quoted(args)),
        Instruction::Expose(ports) => format!("EXPOSE {}", quoted(ports)),
        Instruction::Volume(paths) => format!("VOLUME {}", quoted(paths)),
        Instruction::User(v) => format!("USER {}", go_quote(v)),
        Instruction::Workdir(v) => format!("WORKDIR {}", go_quote(v)),
        Instruction::StopSignal(v) => format!("STOPSIGNAL {}", go_quote(v)),
        Instruction::Maintainer(v) => format!("MAINTAINER {}", go_quote(v)),
        Instruction::Onbuild(v) => format!("ONBUILD {}", go_quote(v)),
        Instruction::Copy(c) => copy("COPY", c),
        Instruction::Add(c) => copy("ADD", c),
        Instruction::Healthcheck(Healthcheck::Disabled) => "HEALTHCHECK NONE".into(),
        Instruction::Healthcheck(Healthcheck::Check {
            test,
            interval,
            timeout,
            start_period,
            start_interval,
            retries,
        }) => format!(
            "HEALTHCHECK {} interval={interval} timeout={timeout} start-period={start_period} start-interval={start_interval} retries={retries}",
            quoted(test)
        ),
    }
}

fn dump_step(out: &mut String, step: &Step, env: Option<&Vec<String>>, escape: char) {
    let refusal = step.instruction.classic_refusal();
    out.push_str(&format!(
        "{}-{} {}\n",
        step.start_line, step.end_line, step.original
    ));
    out.push_str(&format!("  => {}\n", dump(&step.instruction)));
    if let Some(refusal) = refusal {
        out.push_str(&format!("  refused: {refusal}\n"));
    }
    if let Some(env) = env {
        match step.instruction.expand(escape, env) {
            Ok(expanded) => out.push_str(&format!("  ~> {}\n", dump(&expanded))),
            Err(e) => out.push_str(&format!("  ~> error: {e}\n")),
        }
    }
}

fn render(text: &str, env: Option<&Vec<String>>) -> String {
    let dockerfile = match parse("Dockerfile", text.as_bytes()) {
        Ok(d) => d,
        Err(e) => return format!("error: {e}\n"),
    };
    let mut out = String::new();
    if dockerfile.escape != '\\' {
        out.push_str(&format!("escape: {}\n", dockerfile.escape));
    }
    if let Some(syntax) = &dockerfile.syntax {
        out.push_str(&format!("syntax: {syntax}\n"));
    }
    for warning in &dockerfile.warnings {
        out.push_str(&format!("warning: {}\n", go_quote(warning)));
    }
    for step in &dockerfile.meta_args {
        dump_step(&mut out, step, env, dockerfile.escape);
    }
    for (index, stage) in dockerfile.stages.iter().enumerate() {
        out.push_str(&format!("stage {index}\n"));
        dump_step(&mut out, &stage.step, env, dockerfile.escape);
        for step in &stage.steps {
            dump_step(&mut out, step, env, dockerfile.escape);
        }
    }
    out.push_str(&format!("steps: {}\n", dockerfile.step_count()));
    out
}

struct Case {
    dockerfile: String,
    env: Option<Vec<String>>,
    expect: String,
}

fn read_case(contents: &str) -> Case {
    let (dockerfile, rest) = contents
        .split_once("=== ")
        .map(|(d, r)| (d.to_string(), format!("=== {r}")))
        .unwrap_or_else(|| panic!("no === expect section"));
    let (env_part, expect) = rest
        .split_once("=== expect\n")
        .unwrap_or_else(|| panic!("no === expect section"));
    let env = env_part.strip_prefix("=== env\n").map(|lines| {
        lines
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    });
    Case {
        dockerfile,
        env,
        expect: expect.to_string(),
    }
}

#[test]
fn corpus() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/build/testdata/dockerfile");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "corpus missing: {}", dir.display());
    let mut failures = Vec::new();
    for path in &names {
        let case = read_case(&std::fs::read_to_string(path).unwrap());
        let got = render(&case.dockerfile, case.env.as_ref());
        if got != case.expect {
            failures.push(format!(
                "--- {}\n=== expect\n{}=== got\n{}",
                path.display(),
                case.expect,
                got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
