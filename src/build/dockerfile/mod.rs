//! The Dockerfile as the classic builder reads it: [`parse`] turns the
//! bytes into global ARGs and stages of typed steps, each keeping its
//! original text for `Step N/M : ...` and `#(nop)` history. Words are not
//! expanded here: the builder calls [`Instruction::expand`] per step with
//! the variables in effect at that point.
//!
//! Behaviour follows buildkit's parser and instructions packages as moby
//! 20.10 vendors them (the reference the tests compare with), checked
//! against Debian's dockerd 20.10. Where 20.10 refuses something a newer
//! classic builder knows, the newer behaviour is taken: `${x-w}` and
//! `${x+w}` expand (20.10: "missing ':' in substitution"), HEALTHCHECK
//! takes `--start-interval`, and RUN `--network`/`--security` and COPY/ADD
//! `--link` parse and are refused as the step runs with the "requires
//! BuildKit" text (20.10: "Unknown flag: ..." before the build starts).
//! Heredocs, which 20.10 would read as instructions, are refused up front.

mod instruction;
mod lexer;
mod parse;

// The builder's vocabulary; the route that uses it comes next.
#[allow(unused_imports)]
pub use instruction::{
    ArgDecl, BUILDKIT_HINT, CommandLine, Copy, From, Healthcheck, Instruction, KeyValue, Run,
};

/// The largest Dockerfile read (moby has no limit; ours keeps a request
/// from holding the daemon's memory).
pub const MAX_DOCKERFILE: usize = 2 << 20;
/// The most instructions one Dockerfile may hold.
pub const MAX_INSTRUCTIONS: usize = 10_000;

/// One instruction with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub instruction: Instruction,
    /// The instruction as written, continuations joined and trimmed: what
    /// `Step N/M : ...` prints.
    pub original: String,
    /// First and last line (from 1).
    pub start_line: usize,
    pub end_line: usize,
}

/// A `FROM` and the steps up to the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub from: From,
    /// The FROM line's step (its instruction is `Instruction::From`).
    pub step: Step,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dockerfile {
    /// `\` or the `# escape=` directive's character.
    pub escape: char,
    /// The `# syntax=` directive's value: BuildKit's frontend image, which
    /// the classic builder ignores.
    pub syntax: Option<String>,
    /// Parser warnings (empty continuation lines), one message each, for
    /// the builder to print as Docker does.
    pub warnings: Vec<String>,
    /// ARGs before the first FROM: the only variables FROM lines see.
    pub meta_args: Vec<Step>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// Steps counted as the classic builder numbers them (`Step N/M`):
    /// global ARGs, FROMs and every other instruction.
    pub fn step_count(&self) -> usize {
        self.meta_args.len() + self.stages.iter().map(|s| 1 + s.steps.len()).sum::<usize>()
    }

    /// The stage a name or an index (`COPY --from`, `--target`) refers
    /// to.
    pub fn stage(&self, name: &str) -> Option<usize> {
        let lower = name.to_lowercase();
        let named = self
            .stages
            .iter()
            .position(|s| s.from.name.as_deref() == Some(lower.as_str()));
        named.or_else(|| name.parse().ok().filter(|&i: &usize| i < self.stages.len()))
    }

    /// Keeps the stages up to `--target` (a stage name, any case), as the
    /// classic builder does before building.
    pub fn truncate_to_target(&mut self, target: &str) -> Result<(), String> {
        let Some(index) = self.stages.iter().position(|s| {
            s.from
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(target))
        }) else {
            return Err(format!(
                "failed to reach build target {target} in Dockerfile"
            ));
        };
        self.stages.truncate(index + 1);
        Ok(())
    }

    /// What the builder may print for a `# syntax=` directive it ignores.
    pub fn syntax_warning(&self) -> Option<String> {
        self.syntax.as_ref().map(|image| {
            format!("[WARNING]: the syntax directive ({image}) is ignored by the legacy builder; it requires BuildKit")
        })
    }
}

/// Parses a Dockerfile named `name` (for the messages, e.g.
/// `Dockerfile`). Errors are Docker's texts: `the Dockerfile (NAME) cannot
/// be empty`, `failed to parse NAME: ...` for line-level problems,
/// `dockerfile parse error line N: ...` for an instruction's arguments.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Dockerfile, String> {
    if bytes.is_empty() {
        return Err(format!("the Dockerfile ({name}) cannot be empty"));
    }
    if bytes.len() > MAX_DOCKERFILE {
        return Err(format!(
            "failed to parse {name}: the Dockerfile is larger than {MAX_DOCKERFILE} bytes"
        ));
    }
    let text = String::from_utf8_lossy(bytes);
    let lexed = lexer::lex(&text).map_err(|e| format!("failed to parse {name}: {e}"))?;
    if lexed.lines.len() > MAX_INSTRUCTIONS {
        return Err(format!(
            "failed to parse {name}: more than {MAX_INSTRUCTIONS} instructions"
        ));
    }
    let mut nodes = Vec::with_capacity(lexed.lines.len());
    for line in &lexed.lines {
        let node = parse::node_from_line(&line.text, lexed.escape)
            .map_err(|e| format!("failed to parse {name}: {e}"))?;
        nodes.push((line, node));
    }
    let mut dockerfile = Dockerfile {
        escape: lexed.escape,
        syntax: lexed.syntax.clone(),
        warnings: lexed.warnings.clone(),
        meta_args: Vec::new(),
        stages: Vec::new(),
    };
    for (line, node) in nodes {
        let step = step(line, &node, lexed.escape)
            .map_err(|e| format!("dockerfile parse error line {}: {e}", line.start))?;
        dockerfile.add(step)?;
    }
    Ok(dockerfile)
}

fn step(line: &lexer::Line, node: &parse::Node, escape: char) -> Result<Step, String> {
    refuse_heredoc(node, escape)?;
    Ok(Step {
        instruction: instruction::instruction(node)?,
        original: node.original.trim().to_string(),
        start_line: line.start,
        end_line: line.end,
    })
}

/// Heredocs are BuildKit syntax; the classic builder would read their
/// bodies as instructions, so they are refused up front.
fn refuse_heredoc(node: &parse::Node, escape: char) -> Result<(), String> {
    let args = match node.command.as_str() {
        "run" | "copy" | "add" => &node.args[..],
        "onbuild"
            if matches!(
                node.args.first().map(String::as_str),
                Some("run" | "copy" | "add")
            ) =>
        {
            &node.args[1..]
        }
        _ => return Ok(()),
    };
    if parse::has_heredoc(args, node.json, escape) {
        return Err(format!(
            "heredocs (<<EOF) require BuildKit. {BUILDKIT_HINT}"
        ));
    }
    Ok(())
}

impl Dockerfile {
    fn add(&mut self, step: Step) -> Result<(), String> {
        match (&step.instruction, self.stages.last_mut()) {
            (Instruction::From(from), _) => self.stages.push(Stage {
                from: from.clone(),
                step,
                steps: Vec::new(),
            }),
            (Instruction::Arg(_), None) => self.meta_args.push(step),
            (_, Some(stage)) => stage.steps.push(step),
            (_, None) => return Err("no build stage in current context".into()),
        }
        Ok(())
    }
}

/// Parses one ONBUILD trigger when a child image builds, as moby's
/// `dispatchTriggeredOnBuild`: the text alone, default escape.
pub fn parse_trigger(trigger: &str) -> Result<Step, String> {
    let lexed = lexer::lex(trigger)?;
    let [line] = &lexed.lines[..] else {
        return Err("onbuild trigger should be a single expression".into());
    };
    let node = parse::node_from_line(&line.text, lexed.escape)?;
    let step = step(line, &node, lexed.escape)?;
    if let Instruction::From(_) = step.instruction {
        return Err("*instructions.Stage is not a command type".into());
    }
    Ok(step)
}

#[cfg(test)]
#[path = "corpus_tests.rs"]
mod corpus_tests;

#[cfg(test)]
#[path = "parse_tests.rs"]
mod parse_tests;
