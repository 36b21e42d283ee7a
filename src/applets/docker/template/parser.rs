//! Builds the parse tree of a Go text/template from the lexer's tokens,
//! reporting errors with Go's wording: `template: :LINE: MESSAGE`.

use super::funcs;
use super::lexer::{Keyword, Tok, Token, keyword_name, lex};

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub pos: usize,
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Literal {
    Int(i64),
    Float(f64),
}

#[derive(Debug, Clone)]
pub enum Arg {
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, String, Literal),
    /// The literal as written and its value.
    Str(usize, String, String),
    /// `.A.B`
    Field(usize, Vec<String>),
    /// `$x.A.B`: the variable name first.
    Variable(usize, Vec<String>),
    Ident(usize, String),
    Pipe(usize, Box<Pipe>),
    /// `(pipe).A.B` and other fields chained on a term.
    Chain(usize, Box<Arg>, Vec<String>),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Dot(p)
            | Arg::Nil(p)
            | Arg::Bool(p, _)
            | Arg::Number(p, ..)
            | Arg::Str(p, ..)
            | Arg::Field(p, _)
            | Arg::Variable(p, _)
            | Arg::Ident(p, _)
            | Arg::Pipe(p, _)
            | Arg::Chain(p, ..) => *p,
        }
    }
}

/// The source form of nodes, as Go's `Node.String()` shows them in
/// execution errors (`at <.Foo>`).
impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, text, _) | Arg::Str(_, text, _) => f.write_str(text),
            Arg::Field(_, names) => {
                for name in names {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            Arg::Variable(_, names) => f.write_str(&names.join(".")),
            Arg::Ident(_, name) => f.write_str(name),
            Arg::Pipe(_, pipe) => write!(f, "({pipe})"),
            Arg::Chain(_, node, fields) => {
                match node.as_ref() {
                    Arg::Pipe(..) => write!(f, "{node}")?,
                    other => write!(f, "({other})")?,
                }
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
        }
    }
}

/// Go's `Node.String()` for whole nodes, used as the context of errors
/// raised by `range`.
impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |f: &mut std::fmt::Formatter<'_>, nodes: &[Node]| -> std::fmt::Result {
            nodes.iter().try_for_each(|n| write!(f, "{n}"))
        };
        let branch =
            |f: &mut std::fmt::Formatter<'_>, name: &str, b: &Branch| -> std::fmt::Result {
                write!(f, "{{{{{name} {}}}}}", b.pipe)?;
                list(f, &b.list)?;
                if let Some(else_list) = &b.else_list {
                    f.write_str("{{else}}")?;
                    list(f, else_list)?;
                }
                f.write_str("{{end}}")
            };
        match self {
            Node::Text(text) => f.write_str(text),
            Node::Action(pipe) => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => branch(f, "if", b),
            Node::Range(b) => branch(f, "range", b),
            Node::With(b) => branch(f, "with", b),
            Node::Break => f.write_str("{{break}}"),
            Node::Continue => f.write_str("{{continue}}"),
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match arg {
                Arg::Pipe(_, pipe) => write!(f, "({pipe})")?,
                other => write!(f, "{other}")?,
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.decl.is_empty() {
            let op = if self.is_assign { "=" } else { ":=" };
            write!(f, "{} {op} ", self.decl.join(", "))?;
        }
        for (i, cmd) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cmd}")?;
        }
        Ok(())
    }
}

pub struct ParseError(pub String);

struct Parser<'f> {
    tokens: Vec<Token>,
    index: usize,
    /// Declared variables, innermost last; `$` is always there.
    vars: Vec<String>,
    range_depth: usize,
    is_func: &'f dyn Fn(&str) -> bool,
}

/// What ended a list of nodes: `{{end}}`, `{{else}}` (with the token
/// following `else`, for `else if`/`else with`) or the end of input.
enum ListEnd {
    End,
    Else(Option<Keyword>),
    Eof,
}

pub fn parse(text: &str, is_func: &dyn Fn(&str) -> bool) -> Result<Vec<Node>, ParseError> {
    let mut parser = Parser {
        tokens: lex(text),
        index: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        is_func,
    };
    let (list, end) = parser.list()?;
    match end {
        ListEnd::Eof => Ok(list),
        ListEnd::End => Err(parser.error_at_prev("unexpected {{end}}")),
        ListEnd::Else(_) => Err(parser.error_at_prev("unexpected {{else}}")),
    }
}

impl Parser<'_> {
    fn next(&mut self) -> Token {
        let token = self.tokens[self.index.min(self.tokens.len() - 1)].clone();
        if self.index < self.tokens.len() {
            self.index += 1;
        }
        token
    }

    fn backup(&mut self) {
        self.index -= 1;
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.index.min(self.tokens.len() - 1)]
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let token = self.next();
            if token.tok != Tok::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let token = self.next_non_space();
        self.backup();
        token
    }

    fn error(&self, line: usize, message: &str) -> ParseError {
        ParseError(format!("template: :{line}: {message}"))
    }

    fn error_at_prev(&self, message: &str) -> ParseError {
        let line = self.tokens[self.index.saturating_sub(1)].line;
        self.error(line, message)
    }

    fn unexpected(&self, token: &Token, context: &str) -> ParseError {
        if let Tok::Error(message) = &token.tok {
            return self.error(token.line, message);
        }
        self.error(
            token.line,
            &format!("unexpected {} in {context}", token.describe()),
        )
    }

    fn list(&mut self) -> Result<(Vec<Node>, ListEnd), ParseError> {
        let mut nodes = Vec::new();
        loop {
            let token = self.next();
            match token.tok {
                Tok::Eof => return Ok((nodes, ListEnd::Eof)),
                Tok::Text(text) => nodes.push(Node::Text(text)),
                Tok::LeftDelim => {
                    let keyword = self.peek_non_space();
                    match keyword.tok {
                        Tok::Keyword(Keyword::End) => {
                            self.next_non_space();
                            self.expect_right_delim("end")?;
                            return Ok((nodes, ListEnd::End));
                        }
                        Tok::Keyword(Keyword::Else) => {
                            self.next_non_space();
                            let follower = self.peek_non_space();
                            return match follower.tok {
                                Tok::Keyword(kw @ (Keyword::If | Keyword::With)) => {
                                    // `{{else if}}` continues as a nested block
                                    // that shares the outer `{{end}}`.
                                    Ok((nodes, ListEnd::Else(Some(kw))))
                                }
                                _ => {
                                    self.expect_right_delim("else")?;
                                    Ok((nodes, ListEnd::Else(None)))
                                }
                            };
                        }
                        _ => nodes.push(self.action()?),
                    }
                }
                Tok::Error(message) => return Err(self.error(token.line, &message)),
                _ => return Err(self.unexpected(&token, "input")),
            }
        }
    }

    fn expect_right_delim(&mut self, context: &str) -> Result<(), ParseError> {
        let token = self.next_non_space();
        if token.tok != Tok::RightDelim {
            return Err(self.unexpected(&token, context));
        }
        Ok(())
    }

    fn action(&mut self) -> Result<Node, ParseError> {
        let token = self.next_non_space();
        match token.tok {
            Tok::Keyword(Keyword::If) => self.branch(Keyword::If).map(Node::If),
            Tok::Keyword(Keyword::Range) => self.branch(Keyword::Range).map(Node::Range),
            Tok::Keyword(Keyword::With) => self.branch(Keyword::With).map(Node::With),
            Tok::Keyword(kw @ (Keyword::Break | Keyword::Continue)) => {
                let name = keyword_name(kw);
                if self.range_depth == 0 {
                    return Err(
                        self.error(token.line, &format!("{{{{{name}}}}} outside {{{{range}}}}"))
                    );
                }
                let end = self.next_non_space();
                if end.tok != Tok::RightDelim {
                    return Err(self.unexpected(&end, &format!("{{{{{name}}}}}")));
                }
                Ok(if kw == Keyword::Break {
                    Node::Break
                } else {
                    Node::Continue
                })
            }
            Tok::Keyword(kw @ (Keyword::Define | Keyword::Template | Keyword::Block)) => Err(self
                .error(
                    token.line,
                    &format!(
                        "{{{{{}}}}} is not supported by docker formats",
                        keyword_name(kw)
                    ),
                )),
            _ => {
                self.backup();
                let pipe = self.pipeline("command")?;
                Ok(Node::Action(pipe))
            }
        }
    }

    /// `if`, `range` and `with`: pipeline, list, optional else, end. The
    /// variables they declare go out of scope at `{{end}}`.
    fn branch(&mut self, kind: Keyword) -> Result<Branch, ParseError> {
        let scope = self.vars.len();
        let context = keyword_name(kind);
        let pipe = self.pipeline(context)?;
        if kind == Keyword::Range {
            self.range_depth += 1;
        }
        let (list, end) = self.list()?;
        if kind == Keyword::Range {
            self.range_depth -= 1;
        }
        let else_list = match end {
            ListEnd::End => None,
            ListEnd::Eof => return Err(self.error_at_prev("unexpected EOF")),
            ListEnd::Else(Some(chained)) => {
                // `{{else if ...}}` is `{{else}}{{if ...}}...{{end}}{{end}}`
                // with the inner end shared.
                self.next_non_space();
                let inner = self.branch(chained)?;
                Some(vec![if chained == Keyword::If {
                    Node::If(inner)
                } else {
                    Node::With(inner)
                }])
            }
            ListEnd::Else(None) => {
                let (else_list, end) = self.list()?;
                match end {
                    ListEnd::End => {}
                    ListEnd::Eof => return Err(self.error_at_prev("unexpected EOF")),
                    ListEnd::Else(_) => {
                        return Err(self.error_at_prev("expected end; found {{else}}"));
                    }
                }
                Some(else_list)
            }
        };
        self.vars.truncate(scope);
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str) -> Result<Pipe, ParseError> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        let end = if context == "parenthesized pipeline" {
            Tok::RightParen
        } else {
            Tok::RightDelim
        };
        loop {
            let token = self.next_non_space();
            if token.tok == end {
                if pipe.cmds.is_empty() {
                    return Err(self.error(token.line, &format!("missing value for {context}")));
                }
                for (stage, cmd) in pipe.cmds.iter().enumerate().skip(1) {
                    if matches!(
                        cmd.args[0],
                        Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::Str(..)
                    ) {
                        return Err(self.error(
                            token.line,
                            &format!("non executable command in pipeline stage {}", stage + 1),
                        ));
                    }
                }
                if end == Tok::RightParen {
                    self.backup();
                }
                return Ok(pipe);
            }
            match token.tok {
                Tok::Bool(_)
                | Tok::CharConst(_)
                | Tok::Char('.')
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::RawStr(_)
                | Tok::Str(_)
                | Tok::Variable(_)
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    /// `$x :=`, `$x =` and, in `range`, `$i, $e :=`. Like Go, an
    /// assignment also makes the name known to the parser; whether it was
    /// declared is checked when the template runs.
    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> Result<(), ParseError> {
        loop {
            let save = self.index;
            let token = self.peek_non_space();
            let Tok::Variable(name) = token.tok.clone() else {
                return Ok(());
            };
            self.next_non_space();
            let follower = self.peek_non_space();
            match follower.tok {
                Tok::Declare | Tok::Assign => {
                    self.next_non_space();
                    pipe.is_assign = follower.tok == Tok::Assign;
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    return Ok(());
                }
                Tok::Char(',') => {
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        let next = self.peek_non_space();
                        if matches!(
                            next.tok,
                            Tok::Variable(_) | Tok::RightDelim | Tok::RightParen
                        ) {
                            continue;
                        }
                        return Err(self.error(next.line, "range can only initialize variables"));
                    }
                    return Err(
                        self.error(token.line, &format!("too many declarations in {context}"))
                    );
                }
                _ => {
                    self.index = save;
                    return Ok(());
                }
            }
        }
    }

    fn check_variable(&self, name: &str, line: usize) -> Result<(), ParseError> {
        if self.vars.iter().any(|v| v == name) {
            Ok(())
        } else {
            Err(self.error(
                line,
                &format!("undefined variable {}", funcs::go_quote(name)),
            ))
        }
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            pos: start.pos,
            args: Vec::new(),
        };
        loop {
            self.skip_spaces();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.error(start.line, "empty command"));
        }
        Ok(cmd)
    }

    fn skip_spaces(&mut self) {
        while self.peek().tok == Tok::Space {
            self.index += 1;
        }
    }

    /// A term possibly followed by `.Field` chains.
    fn operand(&mut self) -> Result<Option<Arg>, ParseError> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let mut fields = Vec::new();
        // Go places a chained field at its first `.Field` token.
        let pos = self.peek().pos;
        while let Tok::Field(name) = &self.peek().tok {
            fields.push(name.clone());
            self.index += 1;
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        Ok(Some(match term {
            Arg::Field(_, mut names) => {
                names.extend(fields);
                Arg::Field(pos, names)
            }
            Arg::Variable(_, mut names) => {
                names.extend(fields);
                Arg::Variable(pos, names)
            }
            Arg::Bool(..) | Arg::Str(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                let line = self.tokens[self.index - 1].line;
                return Err(self.error(
                    line,
                    &format!("unexpected . after term {}", go_quote_arg(&term)),
                ));
            }
            other => Arg::Chain(pos, Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, ParseError> {
        let token = self.next();
        let pos = token.pos;
        Ok(Some(match token.tok {
            Tok::Ident(name) => {
                if !(self.is_func)(&name) {
                    return Err(self.error(
                        token.line,
                        &format!("function {} not defined", funcs::go_quote(&name)),
                    ));
                }
                Arg::Ident(pos, name)
            }
            Tok::Char('.') => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable(name) => {
                self.check_variable(&name, token.line)?;
                Arg::Variable(pos, vec![name])
            }
            Tok::Field(name) => Arg::Field(pos, vec![name]),
            Tok::Bool(b) => Arg::Bool(pos, b),
            Tok::CharConst(text) => {
                let value = funcs::go_unquote(&text)
                    .ok()
                    .and_then(|s| {
                        let mut chars = s.chars();
                        let c = chars.next()?;
                        chars.next().is_none().then_some(c)
                    })
                    .ok_or_else(|| {
                        self.error(token.line, &format!("malformed character constant: {text}"))
                    })?;
                Arg::Number(pos, text, Literal::Int(value as i64))
            }
            Tok::Number(text) => {
                let value = parse_number(&text).ok_or_else(|| {
                    self.error(
                        token.line,
                        &format!("illegal number syntax: {}", funcs::go_quote(&text)),
                    )
                })?;
                Arg::Number(pos, text, value)
            }
            Tok::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline")?;
                let close = self.next();
                if close.tok != Tok::RightParen {
                    return Err(self.error(
                        close.line,
                        &format!("unclosed right paren: unexpected {}", close.describe()),
                    ));
                }
                Arg::Pipe(pos, Box::new(pipe))
            }
            Tok::Str(text) | Tok::RawStr(text) => {
                let value = funcs::go_unquote(&text)
                    .map_err(|_| self.error(token.line, &format!("bad string syntax: {text}")))?;
                Arg::Str(pos, text, value)
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn go_quote_arg(arg: &Arg) -> String {
    funcs::go_quote(&arg.to_string())
}

/// Go's number literals as text/template accepts them: decimal, hex, octal
/// and binary integers with `_` separators, and decimal floats.
pub fn parse_number(text: &str) -> Option<Literal> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let radix_int = |digits: &str, radix: u32| {
        i64::from_str_radix(digits, radix)
            .ok()
            .map(|v| if negative { -v } else { v })
    };
    if let Some(hex) = lower.strip_prefix("0x") {
        return radix_int(hex, 16).map(Literal::Int);
    }
    if let Some(oct) = lower.strip_prefix("0o") {
        return radix_int(oct, 8).map(Literal::Int);
    }
    if let Some(bin) = lower.strip_prefix("0b") {
        return radix_int(bin, 2).map(Literal::Int);
    }
    if lower.bytes().all(|b| b.is_ascii_digit()) {
        if lower.len() > 1 && lower.starts_with('0') {
            return radix_int(&lower[1..], 8).map(Literal::Int);
        }
        if let Some(v) = radix_int(&lower, 10) {
            return Some(Literal::Int(v));
        }
    }
    if lower.ends_with('i') {
        return None;
    }
    let value: f64 = lower.parse().ok()?;
    Some(Literal::Float(if negative { -value } else { value }))
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
