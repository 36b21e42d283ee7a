//! `.dockerignore`, as moby/patternmatcher reads (`ignorefile.ReadAll`) and
//! matches (`MatchesOrParentMatches`) it and as the CLI walks a context
//! with it: a UTF-8 BOM and `#` lines dropped, each pattern trimmed,
//! cleaned and relative, `!` re-including, the last matching pattern
//! winning, `*` `?` `[...]` within one path element and `**` across them,
//! and a path excluded when one of its parent directories is.

use crate::gofmt::path::clean;

/// The most patterns one `.dockerignore` may hold.
pub const MAX_PATTERNS: usize = 10_000;
/// The largest `.dockerignore` read.
pub const MAX_IGNORE_FILE: usize = 1 << 20;
const BAD_PATTERN: &str = "syntax error in pattern";

/// The patterns of one `.dockerignore`, in order.
#[derive(Debug, Clone, Default)]
pub struct IgnoreMatcher {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern without its `!`.
    text: String,
    exclusion: bool,
    kind: Kind,
    /// The pattern as tokens, used when `kind` is [`Kind::Tokens`].
    tokens: Vec<Token>,
}

/// How a pattern matches, chosen as patternmatcher's `compile` does: plain
/// text compares, a trailing or leading `**` alone is a prefix or suffix
/// test, anything else runs the tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Tokens,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// `*`: any run without `/`.
    Star,
    /// `?`: one character but `/`.
    One,
    /// `**` followed by more: any run ending in `/`, or nothing.
    Dirs,
    /// `**` at the end: anything (but a newline, as Go's `.`).
    Rest,
    Class(Class),
}

#[derive(Debug, Clone, PartialEq)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl IgnoreMatcher {
    /// Reads a `.dockerignore` file as `ignorefile.ReadAll`, then compiles
    /// its patterns.
    pub fn parse(contents: &[u8]) -> Result<IgnoreMatcher, String> {
        if contents.len() > MAX_IGNORE_FILE {
            return Err(format!(
                ".dockerignore is larger than {MAX_IGNORE_FILE} bytes"
            ));
        }
        let text = String::from_utf8_lossy(contents);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut patterns = Vec::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            let mut pattern = line.trim();
            if pattern.is_empty() {
                continue;
            }
            let invert = pattern.starts_with('!');
            if invert {
                pattern = pattern[1..].trim();
            }
            let mut cleaned = String::new();
            if !pattern.is_empty() {
                cleaned = clean(pattern);
                if cleaned.len() > 1 && cleaned.starts_with('/') {
                    cleaned.remove(0);
                }
            }
            patterns.push(if invert {
                format!("!{cleaned}")
            } else {
                cleaned
            });
        }
        IgnoreMatcher::new(&patterns)
    }

    /// Compiles patterns as `patternmatcher.New`.
    pub fn new(patterns: &[String]) -> Result<IgnoreMatcher, String> {
        if patterns.len() > MAX_PATTERNS {
            return Err(format!("more than {MAX_PATTERNS} ignore patterns"));
        }
        let mut compiled = Vec::with_capacity(patterns.len());
        for raw in patterns {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            let cleaned = clean(trimmed);
            let (exclusion, text) = match cleaned.strip_prefix('!') {
                Some("") => return Err("illegal exclusion pattern: \"!\"".into()),
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned),
            };
            let (kind, tokens) = compile(&text)?;
            compiled.push(Pattern {
                text,
                exclusion,
                kind,
                tokens,
            });
        }
        Ok(IgnoreMatcher { patterns: compiled })
    }

    /// The patterns as written after cleaning (with their `!`).
    pub fn patterns(&self) -> Vec<String> {
        let bang = |p: &Pattern| if p.exclusion { "!" } else { "" };
        self.patterns
            .iter()
            .map(|p| format!("{}{}", bang(p), p.text))
            .collect()
    }

    /// Whether `path` (slash-separated, relative to the context) is left
    /// out: the last pattern matching it or one of its parent directories
    /// decides. The context root itself is never excluded.
    pub fn is_excluded(&self, path: &str) -> bool {
        let file = clean(path);
        if file == "." {
            return false;
        }
        let parents: Vec<&str> = match file.rfind('/') {
            Some(end) => file[..end].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for pattern in &self.patterns {
            // An inclusion cannot change a match, nor an exclusion a miss.
            if pattern.exclusion != matched {
                continue;
            }
            let hit = pattern.matches(&file)
                || (1..=parents.len()).any(|n| pattern.matches(&parents[..n].join("/")));
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    /// For an excluded directory: whether the walk must still descend into
    /// it because a `!` pattern names something below it (the CLI's
    /// "exclusion exceptions"), compared as text as the CLI does.
    pub fn must_descend(&self, dir: &str) -> bool {
        let dir_slash = format!("{}/", clean(dir));
        self.patterns
            .iter()
            .any(|p| p.exclusion && format!("{}/", p.text).starts_with(&dir_slash))
    }

    /// Keeps the `.dockerignore` and the Dockerfile (relative path) in the
    /// context even when a pattern excludes them, as the CLI's
    /// `TrimBuildFilesFromExcludes` does: the builder needs both.
    pub fn keep_build_files(&mut self, dockerfile: &str) -> Result<(), String> {
        let mut extra = Vec::new();
        for file in [".dockerignore", dockerfile] {
            if self.is_excluded(file) {
                extra.push(format!("!{file}"));
            }
        }
        let mut all = self.patterns();
        all.extend(extra);
        *self = IgnoreMatcher::new(&all)?;
        Ok(())
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match self.kind {
            Kind::Exact => path == self.text,
            Kind::Prefix => path.starts_with(&self.text[..self.text.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.text[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|rest| rest == path)
            }
            Kind::Tokens => matches_tokens(&self.tokens, path),
        }
    }
}

/// Turns a cleaned pattern into tokens and decides its [`Kind`], following
/// the rules of patternmatcher's `compile`.
fn compile(pattern: &str) -> Result<(Kind, Vec<Token>), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut kind = Kind::Exact;
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let first = i == 0;
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        kind = Kind::Tokens;
                    }
                    tokens.push(Token::Rest);
                } else {
                    kind = Kind::Tokens;
                    tokens.push(Token::Dirs);
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                kind = Kind::Tokens;
                tokens.push(Token::Star);
            }
            '?' => {
                kind = Kind::Tokens;
                tokens.push(Token::One);
            }
            '\\' => match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    kind = Kind::Tokens;
                    tokens.push(Token::Char(next));
                }
                // `filepath.Match` refuses a pattern ending in an escape.
                None => return Err(BAD_PATTERN.into()),
            },
            '[' => {
                let (class, end) = parse_class(&chars, i)?;
                i = end;
                kind = Kind::Tokens;
                tokens.push(Token::Class(class));
            }
            _ => tokens.push(Token::Char(c)),
        }
    }
    Ok((kind, tokens))
}

/// A `[...]` class starting after its `[`, checked as `filepath.Match`
/// checks it (patternmatcher refuses what Match refuses): `^` negates, an
/// item is a character or `lo-hi`, `\x` escapes, and an unescaped `-` or
/// `]` cannot start or end a range; an unclosed class is bad too.
fn parse_class(chars: &[char], mut i: usize) -> Result<(Class, usize), String> {
    let mut class = Class {
        negated: false,
        ranges: Vec::new(),
    };
    if chars.get(i) == Some(&'^') {
        class.negated = true;
        i += 1;
    }
    let read = |i: &mut usize| -> Result<char, String> {
        let mut c = *chars.get(*i).ok_or(BAD_PATTERN)?;
        if c == '-' || c == ']' {
            return Err(BAD_PATTERN.into());
        }
        *i += 1;
        if c == '\\' {
            c = *chars.get(*i).ok_or(BAD_PATTERN)?;
            *i += 1;
        }
        Ok(c)
    };
    loop {
        if chars.get(i) == Some(&']') && !class.ranges.is_empty() {
            return Ok((class, i + 1));
        }
        let lo = read(&mut i)?;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') {
            i += 1;
            hi = read(&mut i)?;
            if hi < lo {
                return Err(BAD_PATTERN.into());
            }
        }
        class.ranges.push((lo, hi));
    }
}

/// Runs the tokens over the path as an automaton, one set of states per
/// character (no recursion, no backtracking: time is path × pattern, so
/// neither a long pattern nor many `*` can blow up). A state is a token
/// index, or for `**/` also "inside its `.*`, waiting for a `/`".
fn matches_tokens(tokens: &[Token], path: &str) -> bool {
    let n = tokens.len();
    // states[t] = at token t; states[n + 1 + t] = inside token t's `(.*/)`.
    let mut states = vec![false; 2 * (n + 1)];
    states[0] = true;
    close(tokens, &mut states);
    for c in path.chars() {
        let mut next = vec![false; states.len()];
        for t in 0..n {
            if states[n + 1 + t] {
                // Inside `(.*/)`: `.` takes anything but a newline, and a
                // slash may end the group.
                next[n + 1 + t] |= c != '\n';
                next[t + 1] |= c == '/';
            }
            if !states[t] {
                continue;
            }
            match &tokens[t] {
                Token::Char(want) => next[t + 1] |= c == *want,
                Token::One => next[t + 1] |= c != '/',
                Token::Class(class) => next[t + 1] |= class.contains(c),
                Token::Star => next[t] |= c != '/',
                Token::Rest => next[t] |= c != '\n',
                Token::Dirs => {
                    next[n + 1 + t] |= c != '\n';
                    next[t + 1] |= c == '/';
                }
            }
        }
        states = next;
        close(tokens, &mut states);
        if !states.iter().any(|&s| s) {
            return false;
        }
    }
    states[n]
}

/// Adds the states reachable without a character: `*`, `**` and `**/`
/// may match nothing.
fn close(tokens: &[Token], states: &mut [bool]) {
    for t in 0..tokens.len() {
        if states[t] && matches!(tokens[t], Token::Star | Token::Rest | Token::Dirs) {
            states[t + 1] = true;
        }
    }
}

impl Class {
    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

#[cfg(test)]
#[path = "ignore_tests.rs"]
mod tests;
