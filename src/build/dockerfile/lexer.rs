//! From bytes to logical lines, as buildkit's `parser.Parse` reads a
//! Dockerfile: parser directives on the first lines, comments, the escape
//! character continuing a line, comment lines inside a continuation
//! skipped, empty continuation lines skipped with a warning.

/// Go's `bufio.Scanner` refuses longer lines (`MaxScanTokenSize - 1`).
pub const MAX_LINE: usize = 64 * 1024 - 1;

/// One instruction's text with its continuations joined, and the lines
/// (from 1) it spans.
#[derive(Debug, Clone)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug)]
pub struct Lexed {
    pub escape: char,
    pub syntax: Option<String>,
    pub lines: Vec<Line>,
    pub warnings: Vec<String>,
}

/// Parser directives: `# escape=` and `# syntax=` (any case), each once,
/// recognised only until the first line that is not one.
struct Directives {
    escape: char,
    syntax: Option<String>,
    done: bool,
    seen_escape: bool,
    seen_syntax: bool,
}

impl Directives {
    fn look_at(&mut self, line: &str) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((key, value)) = directive(line) else {
            self.done = true;
            return Ok(());
        };
        let seen = match key.to_ascii_lowercase().as_str() {
            "escape" => &mut self.seen_escape,
            "syntax" => &mut self.seen_syntax,
            _ => {
                self.done = true;
                return Ok(());
            }
        };
        let key = key.to_ascii_lowercase();
        if *seen {
            return Err(format!("only one {key} parser directive can be used"));
        }
        *seen = true;
        if key == "escape" {
            self.escape = match value {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(format!(
                        "invalid escape token '{value}' does not match ` or \\"
                    ));
                }
            };
        } else {
            self.syntax = Some(value.to_string());
        }
        Ok(())
    }
}

/// Go's `\s`: RE2's Perl class, ASCII only.
fn is_re_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`: the key and the value.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start_matches(is_re_space);
    let key_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if key_len == 0 {
        return None;
    }
    let (key, rest) = rest.split_at(key_len);
    let rest = rest.trim_start_matches(is_re_space).strip_prefix('=')?;
    if rest.is_empty() {
        return None;
    }
    let value = rest.trim_matches(is_re_space);
    if value.is_empty() {
        // `.+?` takes one character even when it is a space.
        return Some((key, &rest[..1]));
    }
    Some((key, value))
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The line without a continuation escape at its end (and the blanks
/// after it), and whether the instruction ends here. An escape preceded by
/// another escape does not continue, as buildkit's regular expression
/// `([^\\])\\[ \t]*$|^\\[ \t]*$` decides.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let Some(before) = trimmed.strip_suffix(escape) else {
        return (line.to_string(), true);
    };
    if before.is_empty() || !before.ends_with(escape) {
        return (before.to_string(), false);
    }
    (line.to_string(), true)
}

/// Splits the text as Go's `bufio.ScanLines` (a final `\r` dropped, no
/// empty line after the last newline).
fn physical_lines(text: &str) -> Vec<&str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect()
}

pub fn lex(text: &str) -> Result<Lexed, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut directives = Directives {
        escape: '\\',
        syntax: None,
        done: false,
        seen_escape: false,
        seen_syntax: false,
    };
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    let physical = physical_lines(text);
    if physical.iter().any(|line| line.len() > MAX_LINE) {
        return Err(format!(
            "dockerfile line greater than max allowed size of {MAX_LINE}"
        ));
    }
    let mut iter = physical.into_iter();
    let mut number = 0;
    while let Some(raw) = iter.next() {
        let token = raw.trim_start();
        directives.look_at(token)?;
        number += 1;
        let start = number;
        let first = if token.starts_with('#') { "" } else { token };
        let (mut line, mut ended) = trim_continuation(first, directives.escape);
        if ended && line.is_empty() {
            continue;
        }
        let mut empty_continuation = false;
        while !ended {
            let Some(raw) = iter.next() else { break };
            directives.look_at(raw)?;
            number += 1;
            if is_comment(raw) {
                continue;
            }
            if raw.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (more, end) = trim_continuation(raw, directives.escape);
            line.push_str(&more);
            ended = end;
        }
        if empty_continuation {
            warnings.push(format!(
                "[WARNING]: Empty continuation line found in:\n    {line}"
            ));
        }
        lines.push(Line {
            start,
            end: number,
            text: line,
        });
    }
    if !warnings.is_empty() {
        warnings.push(
            "[WARNING]: Empty continuation lines will become errors in a future release.".into(),
        );
    }
    if lines.is_empty() {
        return Err("file with no instructions".into());
    }
    Ok(Lexed {
        escape: directives.escape,
        syntax: directives.syntax,
        lines,
        warnings,
    })
}
