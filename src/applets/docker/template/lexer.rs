//! Splits a Go text/template into tokens, with Go's rules for delimiters,
//! trim markers (`{{- ` and ` -}}`), comments and literals.
//!
//! The whole input is lexed up front; a lexical error becomes the last token,
//! so the parser reports whatever error Go's lazy lexer/parser pair would
//! meet first.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Space,
    /// `.Name` (the name without the dot).
    Field(String),
    /// `$` or `$name` (with the dollar).
    Variable(String),
    Ident(String),
    Keyword(Keyword),
    Bool(bool),
    Nil,
    Number(String),
    /// A quoted string literal as written, quotes included.
    Str(String),
    RawStr(String),
    CharConst(String),
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    /// Any other printable character inside an action (`,` among them).
    Char(char),
    Error(String),
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Keyword {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    /// Byte offset in the template text.
    pub pos: usize,
    pub line: usize,
}

impl Token {
    /// The token as Go's `item.String()` shows it in parse errors.
    pub fn describe(&self) -> String {
        let raw = match &self.tok {
            Tok::Eof => return "EOF".into(),
            Tok::Error(message) => return message.clone(),
            Tok::Keyword(kw) => return format!("<{}>", keyword_name(*kw)),
            // Go's lexer files dot and nil among the keywords.
            Tok::Char('.') => return "<.>".into(),
            Tok::Nil => return "<nil>".into(),
            Tok::Text(s) | Tok::Field(s) | Tok::Variable(s) | Tok::Ident(s) => {
                if matches!(self.tok, Tok::Field(_)) {
                    format!(".{s}")
                } else {
                    s.clone()
                }
            }
            Tok::Number(s) | Tok::Str(s) | Tok::RawStr(s) | Tok::CharConst(s) => s.clone(),
            Tok::LeftDelim => "{{".into(),
            Tok::RightDelim => "}}".into(),
            Tok::Space => " ".into(),
            Tok::Bool(b) => b.to_string(),
            Tok::Pipe => "|".into(),
            Tok::LeftParen => "(".into(),
            Tok::RightParen => ")".into(),
            Tok::Declare => ":=".into(),
            Tok::Assign => "=".into(),
            Tok::Char(c) => c.to_string(),
        };
        if raw.chars().count() > 10 {
            let head: String = raw.chars().take(10).collect();
            format!("{}...", super::funcs::go_quote(&head))
        } else {
            super::funcs::go_quote(&raw)
        }
    }
}

pub fn keyword_name(kw: Keyword) -> &'static str {
    match kw {
        Keyword::Block => "block",
        Keyword::Break => "break",
        Keyword::Continue => "continue",
        Keyword::Define => "define",
        Keyword::Else => "else",
        Keyword::End => "end",
        Keyword::If => "if",
        Keyword::Range => "range",
        Keyword::Template => "template",
        Keyword::With => "with",
    }
}

fn keyword(word: &str) -> Option<Keyword> {
    Some(match word {
        "block" => Keyword::Block,
        "break" => Keyword::Break,
        "continue" => Keyword::Continue,
        "define" => Keyword::Define,
        "else" => Keyword::Else,
        "end" => Keyword::End,
        "if" => Keyword::If,
        "range" => Keyword::Range,
        "template" => Keyword::Template,
        "with" => Keyword::With,
        _ => return None,
    })
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
}

pub fn lex(input: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        input,
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
    };
    lexer.run();
    lexer.tokens
}

impl Lexer<'_> {
    fn line_at(&self, pos: usize) -> usize {
        1 + self.input[..pos].matches('\n').count()
    }

    fn emit(&mut self, tok: Tok, pos: usize) {
        let line = self.line_at(pos);
        self.tokens.push(Token { tok, pos, line });
    }

    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn at_right_delim(&self) -> Option<(usize, bool)> {
        let rest = self.rest().as_bytes();
        if rest.len() >= 2 && is_space(rest[0]) && rest[1] == b'-' && rest[2..].starts_with(b"}}") {
            return Some((2 + RIGHT.len(), true));
        }
        if rest.starts_with(b"}}") {
            return Some((RIGHT.len(), false));
        }
        None
    }

    fn run(&mut self) {
        loop {
            // Text up to the next action.
            let Some(offset) = self.rest().find(LEFT) else {
                if self.pos < self.input.len() {
                    let text = self.rest().to_string();
                    self.emit(Tok::Text(text), self.pos);
                }
                self.emit(Tok::Eof, self.input.len());
                return;
            };
            let delim_pos = self.pos + offset;
            let after = &self.input[delim_pos + LEFT.len()..];
            let trim_left =
                after.len() >= 2 && after.as_bytes()[0] == b'-' && is_space(after.as_bytes()[1]);
            let mut text = &self.input[self.pos..delim_pos];
            if trim_left {
                text = text.trim_end_matches(|c: char| c.is_ascii() && is_space(c as u8));
            }
            if !text.is_empty() {
                let text = text.to_string();
                self.emit(Tok::Text(text), self.pos);
            }
            self.pos = delim_pos + LEFT.len() + if trim_left { 2 } else { 0 };
            if !self.left_delim(delim_pos) {
                return;
            }
        }
    }

    /// After `{{` (and its trim marker): a comment or an action. Returns
    /// false when lexing stopped at an error.
    fn left_delim(&mut self, delim_pos: usize) -> bool {
        if self.rest().starts_with("/*") {
            return self.comment(delim_pos);
        }
        self.emit(Tok::LeftDelim, delim_pos);
        self.paren_depth = 0;
        self.inside_action()
    }

    fn comment(&mut self, delim_pos: usize) -> bool {
        let Some(end) = self.rest().find("*/") else {
            self.emit(Tok::Error("unclosed comment".into()), delim_pos);
            return false;
        };
        self.pos += end + 2;
        match self.at_right_delim() {
            Some((len, trim)) => {
                self.pos += len;
                if trim {
                    self.skip_leading_space();
                }
                true
            }
            None => {
                self.emit(
                    Tok::Error("comment ends before closing delimiter".into()),
                    delim_pos,
                );
                false
            }
        }
    }

    fn skip_leading_space(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
        self.pos += rest.len() - trimmed.len();
    }

    fn inside_action(&mut self) -> bool {
        loop {
            if let Some((len, trim)) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    self.emit(Tok::Error("unclosed left paren".into()), self.pos);
                    return false;
                }
                let pos = self.pos + if trim { 2 } else { 0 };
                self.emit(Tok::RightDelim, pos);
                self.pos += len;
                if trim {
                    self.skip_leading_space();
                }
                return true;
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                self.emit(Tok::Error("unclosed action".into()), start);
                return false;
            };
            if c.is_ascii() && is_space(c as u8) {
                self.space();
                continue;
            }
            match c {
                '=' => {
                    self.pos += 1;
                    self.emit(Tok::Assign, start);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        self.emit(Tok::Error("expected :=".into()), start);
                        return false;
                    }
                    self.pos += 2;
                    self.emit(Tok::Declare, start);
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Tok::Pipe, start);
                }
                '"' => {
                    if !self.quoted('"', start) {
                        return false;
                    }
                }
                '`' => {
                    let Some(end) = self.rest()[1..].find('`') else {
                        self.emit(Tok::Error("unterminated raw quoted string".into()), start);
                        return false;
                    };
                    self.pos += end + 2;
                    let raw = self.input[start..self.pos].to_string();
                    self.emit(Tok::RawStr(raw), start);
                }
                '\'' => {
                    if !self.quoted('\'', start) {
                        return false;
                    }
                }
                '$' => {
                    self.pos += 1;
                    self.word_tail();
                    if !self.at_terminator() {
                        return false;
                    }
                    let name = self.input[start..self.pos].to_string();
                    self.emit(Tok::Variable(name), start);
                }
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    if next.is_some_and(|n| n.is_ascii_digit()) {
                        if !self.number(start) {
                            return false;
                        }
                    } else if next.is_some_and(is_alnum) {
                        self.pos += 1;
                        self.word_tail();
                        if !self.at_terminator() {
                            return false;
                        }
                        let name = self.input[start + 1..self.pos].to_string();
                        self.emit(Tok::Field(name), start);
                    } else {
                        self.pos += 1;
                        self.emit(Tok::Char('.'), start);
                    }
                }
                '+' | '-' | '0'..='9' => {
                    if !self.number(start) {
                        return false;
                    }
                }
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.emit(Tok::LeftParen, start);
                }
                ')' => {
                    self.pos += 1;
                    if self.paren_depth == 0 {
                        self.emit(Tok::Error("unexpected right paren".into()), start);
                        return false;
                    }
                    self.paren_depth -= 1;
                    self.emit(Tok::RightParen, start);
                }
                c if is_alnum(c) => {
                    self.word_tail();
                    if !self.at_terminator() {
                        return false;
                    }
                    let word = &self.input[start..self.pos];
                    let tok = if let Some(kw) = keyword(word) {
                        Tok::Keyword(kw)
                    } else {
                        match word {
                            "true" => Tok::Bool(true),
                            "false" => Tok::Bool(false),
                            "nil" => Tok::Nil,
                            _ => Tok::Ident(word.to_string()),
                        }
                    };
                    self.emit(tok, start);
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.pos += 1;
                    self.emit(Tok::Char(c), start);
                }
                c => {
                    self.emit(
                        Tok::Error(format!(
                            "unrecognized character in action: U+{:04X} {}",
                            c as u32,
                            super::funcs::go_quote_rune(c)
                        )),
                        start,
                    );
                    return false;
                }
            }
        }
    }

    fn space(&mut self) {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !(c.is_ascii() && is_space(c as u8)) {
                break;
            }
            // A space followed by `-}}` belongs to the trim marker.
            if self.at_right_delim().is_some_and(|(_, trim)| trim) {
                break;
            }
            self.pos += 1;
        }
        if self.pos > start {
            self.emit(Tok::Space, start);
        }
    }

    /// Words must end at a space, punctuation that can follow them, or the
    /// right delimiter; otherwise Go reports the offending character.
    fn at_terminator(&mut self) -> bool {
        let Some(c) = self.peek() else {
            return true;
        };
        if (c.is_ascii() && is_space(c as u8))
            || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
            || self.rest().starts_with(RIGHT)
        {
            return true;
        }
        self.emit(
            Tok::Error(format!(
                "bad character U+{:04X} {}",
                c as u32,
                super::funcs::go_quote_rune(c)
            )),
            self.pos,
        );
        false
    }

    fn word_tail(&mut self) {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn quoted(&mut self, quote: char, start: usize) -> bool {
        let mut chars = self.rest().char_indices().skip(1);
        loop {
            match chars.next() {
                Some((_, '\\')) => {
                    if chars.next().is_none_or(|(_, c)| c == '\n') {
                        break;
                    }
                }
                Some((_, '\n')) | None => break,
                Some((i, c)) if c == quote => {
                    self.pos += i + 1;
                    let text = self.input[start..self.pos].to_string();
                    let tok = if quote == '"' {
                        Tok::Str(text)
                    } else {
                        Tok::CharConst(text)
                    };
                    self.emit(tok, start);
                    return true;
                }
                Some(_) => {}
            }
        }
        let message = if quote == '"' {
            "unterminated quoted string"
        } else {
            "unterminated character constant"
        };
        self.emit(Tok::Error(message.into()), start);
        false
    }

    /// Scans a number the way Go's lexer does: loosely, leaving the exact
    /// syntax check to the parser, but it must end at a terminator.
    fn number(&mut self, start: usize) -> bool {
        let bytes = self.input.as_bytes();
        let mut i = self.pos;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        if i + 1 < bytes.len() && bytes[i] == b'0' {
            match bytes[i + 1] | 0x20 {
                b'x' => {
                    i += 2;
                    digits = b"0123456789abcdefABCDEF_";
                }
                b'o' => {
                    i += 2;
                    digits = b"01234567_";
                }
                b'b' => {
                    i += 2;
                    digits = b"01_";
                }
                _ => {}
            }
        }
        let accept = |i: &mut usize, set: &[u8]| {
            while *i < bytes.len() && set.contains(&bytes[*i]) {
                *i += 1;
            }
        };
        accept(&mut i, digits);
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            accept(&mut i, digits);
        }
        if i < bytes.len() && (bytes[i] | 0x20 == b'e') && digits.len() == 11 {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                i += 1;
            }
            accept(&mut i, b"0123456789_");
        }
        if i < bytes.len() && bytes[i] == b'i' {
            i += 1;
        }
        if i < bytes.len() && (bytes[i] as char).is_ascii_alphanumeric() {
            i += 1;
            let text = &self.input[start..i];
            self.emit(
                Tok::Error(format!(
                    "bad number syntax: {}",
                    super::funcs::go_quote(text)
                )),
                start,
            );
            return false;
        }
        self.pos = i;
        let text = self.input[start..i].to_string();
        self.emit(Tok::Number(text), start);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<Tok> {
        lex(input).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_field() {
        assert_eq!(
            kinds("id={{.ID}}\n"),
            vec![
                Tok::Text("id=".into()),
                Tok::LeftDelim,
                Tok::Field("ID".into()),
                Tok::RightDelim,
                Tok::Text("\n".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers_eat_surrounding_space() {
        assert_eq!(
            kinds("a  \n{{- .X -}}\n  b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Field("X".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn negative_number_is_not_a_trim_marker() {
        assert_eq!(
            kinds("{{-3}}"),
            vec![
                Tok::LeftDelim,
                Tok::Number("-3".into()),
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(
            kinds("a {{- /* note */ -}} b"),
            vec![Tok::Text("a".into()), Tok::Text("b".into()), Tok::Eof]
        );
        assert_eq!(
            kinds("{{/* x */ .A}}").last().unwrap(),
            &Tok::Error("comment ends before closing delimiter".into())
        );
    }

    #[test]
    fn declarations_pipes_and_literals() {
        assert_eq!(
            kinds(r#"{{$x := index .L "a" | printf `%s` 'c' 1.5 true nil}}"#)
                .into_iter()
                .filter(|t| *t != Tok::Space)
                .collect::<Vec<_>>(),
            vec![
                Tok::LeftDelim,
                Tok::Variable("$x".into()),
                Tok::Declare,
                Tok::Ident("index".into()),
                Tok::Field("L".into()),
                Tok::Str("\"a\"".into()),
                Tok::Pipe,
                Tok::Ident("printf".into()),
                Tok::RawStr("`%s`".into()),
                Tok::CharConst("'c'".into()),
                Tok::Number("1.5".into()),
                Tok::Bool(true),
                Tok::Nil,
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn lexical_errors() {
        let last = |s: &str| kinds(s).pop().unwrap();
        assert_eq!(last("{{.A"), Tok::Error("unclosed action".into()));
        assert_eq!(
            last("{{\"abc}}"),
            Tok::Error("unterminated quoted string".into())
        );
        assert_eq!(last("{{(.A}}"), Tok::Error("unclosed left paren".into()));
        assert_eq!(last("{{.A)}}"), Tok::Error("unexpected right paren".into()));
        assert_eq!(
            last("{{3x}}"),
            Tok::Error("bad number syntax: \"3x\"".into())
        );
        assert_eq!(last("{{/* x"), Tok::Error("unclosed comment".into()));
    }
}
