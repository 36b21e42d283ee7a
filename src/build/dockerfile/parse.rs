//! One logical line to a node (command, flags, arguments), with the
//! argument rules of buildkit's `parser/line_parsers.go` and
//! `split_command.go`: JSON (exec) form or its fallback, words with their
//! quotes kept for later expansion, `name=value` pairs, flags before the
//! arguments.

use crate::gofmt::quote::go_quote;

const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// A parsed line before its instruction's rules apply.
#[derive(Debug, Clone)]
pub struct Node {
    /// The instruction name in lower case.
    pub command: String,
    pub flags: Vec<String>,
    /// The arguments as buildkit's `nodeArgs` lists them (for ONBUILD, the
    /// trigger's command then its arguments).
    pub args: Vec<String>,
    /// The arguments came from a JSON array (exec form).
    pub json: bool,
    /// The line as written, continuations joined.
    pub original: String,
}

/// buildkit's `reWhitespace`: `[\t\v\f\r ]+`.
fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

fn split_blank(text: &str) -> Vec<String> {
    text.split(is_blank)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn node_from_line(line: &str, escape: char) -> Result<Node, String> {
    let trimmed = line.trim();
    let (command, rest) = match trimmed.find(is_blank) {
        Some(at) => (&trimmed[..at], trimmed[at..].trim_start_matches(is_blank)),
        None => (trimmed, ""),
    };
    let command = command.to_lowercase();
    let (rest, flags) = extract_flags(rest);
    let rest = rest.trim();
    let mut node = Node {
        command: command.clone(),
        flags,
        args: Vec::new(),
        json: false,
        original: line.to_string(),
    };
    match command.as_str() {
        "add" | "copy" | "volume" => match parse_json(rest)? {
            Some(args) => (node.args, node.json) = (args, true),
            None => node.args = split_blank(rest),
        },
        "cmd" | "entrypoint" | "run" | "shell" => (node.args, node.json) = maybe_json(rest)?,
        "arg" => node.args = words(rest, escape),
        "env" | "label" => node.args = name_values(rest, &command.to_uppercase(), escape)?,
        "expose" | "from" => node.args = split_blank(rest),
        "maintainer" | "stopsignal" | "user" | "workdir" if !rest.is_empty() => {
            node.args = vec![rest.to_string()]
        }
        "healthcheck" => (node.args, node.json) = health_args(rest)?,
        "onbuild"
            if rest
                .split(is_blank)
                .next()
                .unwrap_or("")
                .eq_ignore_ascii_case("onbuild") =>
        {
            // `ONBUILD ONBUILD` is refused whatever follows; not parsing
            // the chain keeps a line of repeated ONBUILDs from recursing.
            node.args = vec!["onbuild".into()];
        }
        "onbuild" if !rest.is_empty() => {
            let trigger = node_from_line(rest, escape)?;
            // Only the heredoc check reads this: a trigger in exec form
            // holds no heredoc.
            node.json = trigger.json;
            node.args = std::iter::once(trigger.command)
                .chain(trigger.args)
                .collect();
        }
        // Unknown instructions parse; their arguments are dropped and
        // the instruction is refused later, as buildkit does.
        _ => {}
    }
    Ok(node)
}

/// `CMD`-like arguments: a JSON array of strings, or the whole text.
fn maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match parse_json(rest)? {
        Some(args) => (args, true),
        None => (vec![rest.to_string()], false),
    })
}

/// A JSON array of strings, as Go's decoder reads the first value (what
/// follows it is ignored). Text that is not a JSON array is `None` (the
/// caller falls back to shell form); an array holding anything but
/// strings is an error.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    let Some(Ok(serde_json::Value::Array(items))) = stream.next() else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(NOT_STRING_ARRAY.to_string()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// HEALTHCHECK: the type word, then `CMD`-like arguments.
fn health_args(rest: &str) -> Result<(Vec<String>, bool), String> {
    let sep = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let (kind, command) = rest.split_at(sep);
    let (args, json) = maybe_json(command.trim_start())?;
    Ok((
        std::iter::once(kind.to_string()).chain(args).collect(),
        json,
    ))
}

/// `ENV`/`LABEL`: `name value` (the rest of the line is the value) or
/// `name=value ...` words, quotes kept for expansion.
fn name_values(rest: &str, command: &str, escape: char) -> Result<Vec<String>, String> {
    let words = words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        let Some(at) = rest.find(is_blank) else {
            return Err(format!("{command} must have two arguments"));
        };
        let value = rest[at..].trim_start_matches(is_blank);
        return Ok(vec![rest[..at].to_string(), value.to_string()]);
    }
    let mut pairs = Vec::with_capacity(words.len() * 2);
    for word in &words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                go_quote(word)
            ));
        };
        pairs.push(key.to_string());
        pairs.push(value.to_string());
    }
    Ok(pairs)
}

/// Space-separated words with their quotes and escapes kept (buildkit's
/// `parseWords`): only the splitting is decided here.
pub fn words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut blank_ok = false;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    blank_ok = true;
                }
                if c == escape {
                    let Some(next) = chars.next() else { continue };
                    word.push(c);
                    word.push(next);
                    continue;
                }
                word.push(c);
            }
            Some(q) => {
                if c == q {
                    quote = None;
                }
                if c == escape && q != '\'' {
                    let Some(next) = chars.next() else {
                        quote = None;
                        continue;
                    };
                    word.push(c);
                    word.push(next);
                    continue;
                }
                word.push(c);
            }
        }
    }
    if blank_ok || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Leading `--flag[=value]` words (buildkit's `extractBuilderFlags`, with
/// its fixed `\` escape and quote removal); a bare `--` ends them.
fn extract_flags(line: &str) -> (&str, Vec<String>) {
    let mut flags = Vec::new();
    let mut pos = 0;
    loop {
        let rest = &line[pos..];
        let start = pos + (rest.len() - rest.trim_start().len());
        if !line[start..].starts_with("--") {
            return (&line[start..], flags);
        }
        let (word, end) = flag_word(line, start);
        if word == "--" {
            return (&line[end..], flags);
        }
        flags.push(word);
        if end == line.len() {
            return ("", flags);
        }
        pos = end;
    }
}

/// One flag word from `start`: quotes removed, `\` escaping; returns the
/// word and where it ended.
fn flag_word(line: &str, start: usize) -> (String, usize) {
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if quote.is_none() && c.is_whitespace() {
            return (word, start + i);
        }
        if Some(c) == quote {
            quote = None;
            continue;
        }
        if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
            continue;
        }
        if c == '\\' {
            match chars.next() {
                Some((_, next)) => word.push(next),
                None if quote.is_some() => quote = None,
                None => {}
            }
            continue;
        }
        word.push(c);
    }
    (word, line.len())
}

/// Whether shell-form RUN, COPY or ADD arguments hold a heredoc
/// (`<<EOF`, `<<-EOF`, `3<<"EOF"`), which only BuildKit reads.
pub fn has_heredoc(args: &[String], json: bool, escape: char) -> bool {
    if json {
        return false;
    }
    let text = args.join(" ");
    words(&text, escape).iter().any(|word| {
        let after_fd = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = after_fd.strip_prefix("<<") else {
            return false;
        };
        let name = rest.strip_prefix('-').unwrap_or(rest).trim_start();
        let name = name.trim_matches(|c| c == '"' || c == '\'');
        !name.is_empty() && !name.contains('<')
    })
}
