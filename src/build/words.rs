//! Shell-word expansion of Dockerfile arguments, as buildkit's
//! `frontend/dockerfile/shell/lex.go` does for the classic builder: `$x`,
//! `${x}`, `${x:-w}`, `${x-w}`, `${x:+w}`, `${x+w}`, `${x:?w}`, `${x?w}`,
//! single quotes taken literally, double quotes with `$` expanded, the
//! escape character (`\` or the `# escape=` one) escaping the next
//! character, and the quotes removed from the result.
//!
//! Values are inserted once and never expanded again, so one pass is linear
//! in its output; the output itself is bounded ([`MAX_EXPANDED`]) because
//! `ENV a=$a$a` repeated doubles a value at every step.

use crate::gofmt::quote::go_quote;

/// The longest result one word may expand to.
pub const MAX_EXPANDED: usize = 1 << 20;
/// How deeply `${a:-${b:-...}}` may nest (each level is one recursion).
const MAX_NESTING: usize = 64;

/// Where expansion looks variables up: Docker's `KEY=value` list, the last
/// definition of a key winning as buildkit's `BuildEnvs` map does.
pub trait Vars {
    fn get(&self, name: &str) -> Option<&str>;
}

impl Vars for [String] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find_map(|entry| match entry.split_once('=') {
                Some((key, value)) if key == name => Some(value),
                None if entry == name => Some(""),
                _ => None,
            })
    }
}

impl Vars for Vec<String> {
    fn get(&self, name: &str) -> Option<&str> {
        Vars::get(self.as_slice(), name)
    }
}

/// One word expanded (`ProcessWord`): spaces between words are kept.
/// Errors read as buildkit's (`failed to process "${x": syntax error:
/// missing '}'`).
pub fn expand_word(source: &str, escape: char, vars: &dyn Vars) -> Result<String, String> {
    run(source, escape, vars).map(|(word, _)| word)
}

/// The text expanded and then split into words at unquoted white space
/// (`ProcessWords`), as EXPOSE reads its ports.
pub fn expand_words(source: &str, escape: char, vars: &dyn Vars) -> Result<Vec<String>, String> {
    run(source, escape, vars).map(|(_, words)| words.finish())
}

fn run(source: &str, escape: char, vars: &dyn Vars) -> Result<(String, Words), String> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        pos: 0,
        escape,
        vars,
        depth: 0,
    };
    lexer
        .until(None)
        .map_err(|e| format!("failed to process {}: {e}", go_quote(source)))
}

/// Words being split: a word ends at white space that came from the text
/// or from a variable's value, never at quoted or escaped white space.
#[derive(Default)]
struct Words {
    done: Vec<String>,
    word: String,
    in_word: bool,
}

impl Words {
    fn split_char(&mut self, c: char) {
        if c.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.done.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.raw_char(c);
        }
    }

    fn raw_char(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }

    fn raw_str(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.done.push(self.word);
        }
        self.done
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    vars: &'a dyn Vars,
    depth: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn push(out: &mut String, text: &str) -> Result<(), String> {
        if out.len() + text.len() > MAX_EXPANDED {
            return Err(format!("expansion longer than {MAX_EXPANDED} bytes"));
        }
        out.push_str(text);
        Ok(())
    }

    /// Reads up to `stop` (consumed) or the end; reaching the end while
    /// looking for `stop` is an error.
    fn until(&mut self, stop: Option<char>) -> Result<(String, Words), String> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.pos += 1;
                return Ok((result, words));
            }
            match c {
                '\'' | '"' => {
                    let quoted = if c == '\'' {
                        self.single_quoted()?
                    } else {
                        self.double_quoted()?
                    };
                    Self::push(&mut result, &quoted)?;
                    words.raw_str(&quoted);
                }
                '$' => {
                    let value = self.dollar()?;
                    Self::push(&mut result, &value)?;
                    value.chars().for_each(|v| words.split_char(v));
                }
                _ => {
                    self.pos += 1;
                    let literal = if c == self.escape {
                        // An escape at the very end is dropped.
                        let Some(escaped) = self.next() else { break };
                        words.raw_char(escaped);
                        escaped
                    } else {
                        words.split_char(c);
                        c
                    };
                    Self::push(&mut result, literal.encode_utf8(&mut [0; 4]))?;
                }
            }
        }
        match stop {
            Some(stop) => Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            )),
            None => Ok((result, words)),
        }
    }

    /// `'...'`: everything literal, no escapes.
    fn single_quoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    );
                }
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    /// `"..."`: `$` expands; the escape character escapes only `"`, `$`
    /// and itself and is kept before anything else.
    fn double_quoted(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    );
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('$') => {
                    let value = self.dollar()?;
                    Self::push(&mut out, &value)?;
                }
                Some(c) => {
                    self.pos += 1;
                    let mut c = c;
                    if c == self.escape {
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                self.pos += 1;
                                c = n;
                            }
                            Some(_) => {}
                        }
                    }
                    Self::push(&mut out, c.encode_utf8(&mut [0; 4]))?;
                }
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(str::to_string)
    }

    fn dollar(&mut self) -> Result<String, String> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(self.lookup(&name).unwrap_or_default());
        }
        self.pos += 1;
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.name();
        match self.next() {
            Some('}') => Ok(self.lookup(&name).unwrap_or_default()),
            Some(':') => {
                let modifier = self.next();
                let word = self.modifier_word()?;
                match modifier {
                    Some(m @ ('-' | '+' | '?')) => self.modify(&name, m, true, word),
                    other => Err(format!(
                        "unsupported modifier ({}) in substitution",
                        other.map(String::from).unwrap_or_default()
                    )),
                }
            }
            Some(m @ ('-' | '+' | '?')) => {
                let word = self.modifier_word()?;
                self.modify(&name, m, false, word)
            }
            _ => Err("missing ':' in substitution".into()),
        }
    }

    /// The word after a modifier, up to the closing `}`; it may itself hold
    /// quotes and substitutions.
    fn modifier_word(&mut self) -> Result<String, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!("substitutions nested deeper than {MAX_NESTING}"));
        }
        let result = self.until(Some('}'));
        self.depth -= 1;
        match result {
            Ok((word, _)) => Ok(word),
            Err(_) if self.peek().is_none() => Err("syntax error: missing '}'".into()),
            Err(e) => Err(e),
        }
    }

    /// `${name:-word}` and friends; with `colon` an empty value counts as
    /// unset.
    fn modify(
        &self,
        name: &str,
        modifier: char,
        colon: bool,
        word: String,
    ) -> Result<String, String> {
        let value = self.lookup(name);
        let usable = value.as_deref().filter(|v| !colon || !v.is_empty());
        match modifier {
            '-' => Ok(usable.map(str::to_string).unwrap_or(word)),
            '+' => Ok(if usable.is_some() {
                word
            } else {
                String::new()
            }),
            _ => match (&value, usable) {
                (_, Some(v)) => Ok(v.to_string()),
                (None, _) => Err(format!(
                    "{name}: {}",
                    or(&word, "is not allowed to be unset")
                )),
                (Some(_), None) => Err(format!(
                    "{name}: {}",
                    or(&word, "is not allowed to be empty")
                )),
            },
        }
    }

    /// A variable name: letters, digits and `_`; a leading digit run
    /// (`$1`) or one special parameter (`$@`, `$#`...) stands alone.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && "@*#?-$!0".contains(c) {
                self.pos += 1;
                return c.to_string();
            }
            if !c.is_alphanumeric() && c != '_' {
                break;
            }
            name.push(c);
            self.pos += 1;
        }
        name
    }
}

fn or<'a>(word: &'a str, default: &'a str) -> &'a str {
    if word.is_empty() { default } else { word }
}

#[cfg(test)]
#[path = "words_tests.rs"]
mod tests;
