//! Runs a parsed template over a value with Go's text/template semantics:
//! variables, pipelines, field chains, `if`/`with`/`range` and Go's
//! execution errors (`template: :1:2: executing "" at <.Foo>: ...`).

use super::funcs::{self, Param, check_param};
use super::gofmt;
use super::parser::{Arg, Branch, Command, Literal, Node, Pipe};
use super::value::Value;
use serde_json::Value as Json;

pub struct Exec<'t> {
    text: &'t str,
    header: bool,
    /// Go's `missingkey=error`: a missing map key fails instead of
    /// giving `<no value>` (docker's inspect fallback runs this way).
    missing_key_error: bool,
    vars: Vec<(String, Value)>,
    out: String,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type Result<T> = std::result::Result<T, String>;

impl<'t> Exec<'t> {
    pub fn new(text: &'t str, data: Value, header: bool) -> Self {
        Exec {
            text,
            header,
            missing_key_error: false,
            vars: vec![("$".into(), data)],
            out: String::new(),
        }
    }

    pub fn missing_key_error(mut self, enabled: bool) -> Self {
        self.missing_key_error = enabled;
        self
    }

    /// Runs the template; on error the output written before the failing
    /// action comes back with it, as Go leaves it in the writer.
    pub fn run(mut self, nodes: &[Node]) -> (String, Result<()>) {
        let dot = self.vars[0].1.clone();
        let result = self.walk(&dot, nodes).map(|_| ());
        (self.out, result)
    }

    /// Go's error text for a failure at a node: the node's line and
    /// byte column, and the node as written.
    fn error_at(&self, pos: usize, context: &dyn std::fmt::Display, message: &str) -> String {
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let column = match before.rfind('\n') {
            Some(newline) => pos - newline - 1,
            None => pos,
        };
        format!("template: :{line}:{column}: executing \"\" at <{context}>: {message}")
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node]) -> Result<Flow> {
        for node in nodes {
            match self.walk_node(dot, node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_node(&mut self, dot: &Value, node: &Node) -> Result<Flow> {
        match node {
            Node::Text(text) => self.out.push_str(text),
            Node::Action(pipe) => {
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    match value {
                        Value::Missing => self.out.push_str("<no value>"),
                        other => self.out.push_str(&gofmt::print_value(&other)),
                    }
                }
            }
            Node::If(branch) | Node::With(branch) => {
                let is_with = matches!(node, Node::With(_));
                let mark = self.vars.len();
                let value = self.eval_pipeline(dot, &branch.pipe)?;
                let flow = if value.truth() {
                    let new_dot = if is_with { value } else { dot.clone() };
                    self.walk(&new_dot, &branch.list)?
                } else if let Some(else_list) = &branch.else_list {
                    self.walk(dot, else_list)?
                } else {
                    Flow::Normal
                };
                self.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Range(branch) => {
                let mark = self.vars.len();
                self.walk_range(dot, node, branch)?;
                self.vars.truncate(mark);
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_range(&mut self, dot: &Value, node: &Node, branch: &Branch) -> Result<()> {
        let pipe = &branch.pipe;
        let value = self.eval_commands(dot, pipe)?;
        let items: Vec<(Value, Value)> = match &value {
            Value::Data(Json::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (Value::from(i as i64), Value::Data(item.clone())))
                .collect(),
            Value::Data(Json::Object(map)) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                keys.into_iter()
                    .map(|k| (Value::from(k.as_str()), Value::Data(map[k].clone())))
                    .collect()
            }
            Value::Data(Json::Number(n)) if n.is_i64() => {
                if pipe.decl.len() > 1 {
                    return Err(self.error_at(
                        pipe.pos,
                        node,
                        "can't use range over int with two variables",
                    ));
                }
                (0..n.as_i64().unwrap_or(0))
                    .map(|i| (Value::from(i), Value::from(i)))
                    .collect()
            }
            Value::Missing | Value::Data(Json::Null) => Vec::new(),
            other => {
                let (pos, context) = last_evaluated(pipe, node);
                return Err(self.error_at(
                    pos,
                    &context,
                    &format!("range can't iterate over {}", gofmt::print_value(other)),
                ));
            }
        };
        if items.is_empty() {
            if let Some(else_list) = &branch.else_list {
                self.walk(dot, else_list)?;
            }
            return Ok(());
        }
        let mark = self.vars.len();
        for (index, element) in items {
            match pipe.decl.as_slice() {
                [] => {}
                [one] => self.bind(pipe, one, element.clone())?,
                [first, second] => {
                    self.bind(pipe, first, index)?;
                    self.bind(pipe, second, element.clone())?;
                }
                _ => {}
            }
            let flow = self.walk(&element, &branch.list)?;
            self.vars.truncate(mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(())
    }

    fn bind(&mut self, pipe: &Pipe, name: &str, value: Value) -> Result<()> {
        if pipe.is_assign {
            match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                Some(slot) => {
                    slot.1 = value;
                    Ok(())
                }
                None => {
                    let (pos, context) = last_evaluated(pipe, &name);
                    Err(self.error_at(pos, &context, &format!("undefined variable: {name}")))
                }
            }
        } else {
            self.vars.push((name.to_string(), value));
            Ok(())
        }
    }

    fn var(&self, pos: usize, name: &str) -> Result<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, value)) => Ok(value.clone()),
            None => Err(self.error_at(pos, &name, &format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value> {
        let value = self.eval_commands(dot, pipe)?;
        for name in &pipe.decl {
            self.bind(pipe, name, value.clone())?;
        }
        Ok(value)
    }

    fn eval_commands(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let result = self.eval_command(dot, cmd, value.take())?;
            // An interface holding nil is no value at all (Go's "lovely"
            // unwrapping of interface results).
            value = Some(match result {
                Value::Data(Json::Null) => Value::Missing,
                other => other,
            });
        }
        Ok(value.unwrap_or(Value::Missing))
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, last: Option<Value>) -> Result<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field(pos, names) => {
                self.eval_field_chain(dot, dot.clone(), *pos, first, names, cmd, last)
            }
            Arg::Chain(pos, node, names) => {
                if matches!(node.as_ref(), Arg::Nil(_)) {
                    return Err(self.error_at(
                        *pos,
                        first,
                        &format!("indirection through explicit nil in {first}"),
                    ));
                }
                let receiver = self.eval_arg(dot, node)?;
                self.eval_field_chain(dot, receiver, *pos, first, names, cmd, last)
            }
            Arg::Variable(pos, names) => {
                let value = self.var(*pos, &names[0])?;
                if names.len() == 1 {
                    self.not_a_function(cmd, &last)?;
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, *pos, first, &names[1..], cmd, last)
            }
            Arg::Ident(pos, name) => self.eval_function(dot, *pos, name, cmd, last),
            Arg::Pipe(_, pipe) => {
                self.not_a_function(cmd, &last)?;
                self.eval_pipeline(dot, pipe)
            }
            Arg::Nil(pos) => {
                self.not_a_function(cmd, &last)?;
                Err(self.error_at(*pos, first, "nil is not a command"))
            }
            literal => {
                self.not_a_function(cmd, &last)?;
                self.eval_arg(dot, literal)
            }
        }
    }

    fn not_a_function(&self, cmd: &Command, last: &Option<Value>) -> Result<()> {
        if cmd.args.len() > 1 || last.is_some() {
            let first = &cmd.args[0];
            return Err(self.error_at(
                first.pos(),
                first,
                &format!("can't give argument to non-function {first}"),
            ));
        }
        Ok(())
    }

    /// Evaluates an argument in operand position.
    fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> Result<Value> {
        Ok(match arg {
            Arg::Dot(_) => dot.clone(),
            Arg::Nil(_) => Value::null(),
            Arg::Bool(_, b) => (*b).into(),
            Arg::Number(_, _, Literal::Int(i)) => (*i).into(),
            Arg::Number(_, _, Literal::Float(f)) => Value::Data(
                serde_json::Number::from_f64(*f)
                    .map(Json::Number)
                    .unwrap_or(Json::Null),
            ),
            Arg::Str(_, _, s) => s.as_str().into(),
            Arg::Field(pos, names) => {
                let empty = Command {
                    pos: *pos,
                    args: vec![arg.clone()],
                };
                self.eval_field_chain(dot, dot.clone(), *pos, arg, names, &empty, None)?
            }
            Arg::Variable(pos, names) => {
                let value = self.var(*pos, &names[0])?;
                let empty = Command {
                    pos: *pos,
                    args: vec![arg.clone()],
                };
                if names.len() == 1 {
                    value
                } else {
                    self.eval_field_chain(dot, value, *pos, arg, &names[1..], &empty, None)?
                }
            }
            Arg::Chain(..) | Arg::Ident(..) => {
                let cmd = Command {
                    pos: arg.pos(),
                    args: vec![arg.clone()],
                };
                self.eval_command(dot, &cmd, None)?
            }
            Arg::Pipe(_, pipe) => self.eval_pipeline(dot, pipe)?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        pos: usize,
        node: &Arg,
        names: &[String],
        cmd: &Command,
        last: Option<Value>,
    ) -> Result<Value> {
        let n = names.len();
        for name in &names[..n - 1] {
            receiver = self.eval_field(dot, pos, node, name, &[], None, receiver)?;
        }
        self.eval_field(
            dot,
            pos,
            node,
            &names[n - 1],
            &cmd.args[1..],
            last,
            receiver,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        pos: usize,
        node: &Arg,
        name: &str,
        args: &[Arg],
        last: Option<Value>,
        receiver: Value,
    ) -> Result<Value> {
        let has_args = !args.is_empty() || last.is_some();
        match receiver {
            Value::Missing if self.missing_key_error => Err(self.error_at(
                pos,
                node,
                &format!("nil data; no entry for key {}", funcs::go_quote(name)),
            )),
            Value::Missing => Ok(Value::Missing),
            Value::Object(object) => {
                let mut values = Vec::new();
                for arg in args {
                    values.push(self.eval_arg(dot, arg)?);
                }
                values.extend(last);
                match object.call(name, &values) {
                    // Go checks a method's argument count before calling it,
                    // so that error has no "error calling" prefix.
                    Some(Err(e)) if e.starts_with("wrong number of args for ") => {
                        Err(self.error_at(pos, node, &e))
                    }
                    Some(result) => result.map_err(|e| {
                        self.error_at(pos, node, &format!("error calling {name}: {e}"))
                    }),
                    None => Err(self.error_at(
                        pos,
                        node,
                        &format!("can't evaluate field {name} in type {}", object.type_name()),
                    )),
                }
            }
            Value::Data(Json::Object(map)) => {
                if has_args {
                    return Err(self.error_at(
                        pos,
                        node,
                        &format!("{name} is not a method but has arguments"),
                    ));
                }
                match map.get(name) {
                    Some(value) => Ok(Value::Data(value.clone())),
                    None if self.missing_key_error => Err(self.error_at(
                        pos,
                        node,
                        &format!("map has no entry for key {}", funcs::go_quote(name)),
                    )),
                    None => Ok(Value::Missing),
                }
            }
            Value::Data(Json::Null) => Err(self.error_at(
                pos,
                node,
                &format!("nil pointer evaluating interface {{}}.{name}"),
            )),
            other => Err(self.error_at(
                pos,
                node,
                &format!("can't evaluate field {name} in type {}", other.type_name()),
            )),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        pos: usize,
        name: &str,
        cmd: &Command,
        last: Option<Value>,
    ) -> Result<Value> {
        let ident = Arg::Ident(pos, name.to_string());
        let Some(func) = funcs::lookup(name, self.header) else {
            return Err(self.error_at(pos, &ident, &format!("{name:?} is not a defined function")));
        };
        let args = &cmd.args[1..];
        if name == "and" || name == "or" {
            return self.eval_and_or(dot, name == "and", cmd, args, last);
        }
        let given = args.len() + usize::from(last.is_some());
        let fixed = func.params.len();
        if (func.variadic.is_none() && given != fixed) || given < fixed {
            let want = if func.variadic.is_some() {
                format!("at least {fixed}")
            } else {
                fixed.to_string()
            };
            return Err(self.error_at(
                pos,
                &ident,
                &format!("wrong number of args for {name}: want {want} got {given}"),
            ));
        }
        let param_of = |i: usize| -> Param {
            func.params
                .get(i)
                .copied()
                .or(func.variadic)
                .unwrap_or(Param::Any)
        };
        let mut values = Vec::with_capacity(given);
        for (i, arg) in args.iter().enumerate() {
            if let Some(message) = literal_mismatch(param_of(i), arg) {
                return Err(self.error_at(arg.pos(), arg, &message));
            }
            let value = self.eval_arg(dot, arg)?;
            let value =
                check_param(param_of(i), value).map_err(|e| self.error_at(arg.pos(), arg, &e))?;
            values.push(value);
        }
        if let Some(last) = last {
            let value = check_param(param_of(values.len()), last)
                .map_err(|e| self.error_at(cmd.pos, cmd, &e))?;
            values.push(value);
        }
        (func.call)(&values)
            .map_err(|e| self.error_at(cmd.pos, cmd, &format!("error calling {name}: {e}")))
    }

    /// `and` and `or` stop at the first argument that decides the result
    /// and return that argument itself.
    fn eval_and_or(
        &mut self,
        dot: &Value,
        is_and: bool,
        cmd: &Command,
        args: &[Arg],
        last: Option<Value>,
    ) -> Result<Value> {
        if args.is_empty() && last.is_none() {
            let name = if is_and { "and" } else { "or" };
            return Err(self.error_at(
                cmd.pos,
                &cmd.args[0],
                &format!("wrong number of args for {name}: want at least 1 got 0"),
            ));
        }
        let mut value = Value::Missing;
        for arg in args {
            value = check_param(Param::Any, self.eval_arg(dot, arg)?)?;
            if value.truth() != is_and {
                return Ok(value);
            }
        }
        if let Some(last) = last {
            value = check_param(Param::Any, last)?;
        }
        Ok(value)
    }
}

/// The node Go's executor visited last in a pipeline, which its errors
/// after evaluation (range, assignment) name: the last argument of the
/// last command.
fn last_evaluated(pipe: &Pipe, fallback: &dyn std::fmt::Display) -> (usize, String) {
    match pipe.cmds.last().and_then(|cmd| cmd.args.last()) {
        Some(arg) => (arg.pos(), arg.to_string()),
        None => (pipe.pos, fallback.to_string()),
    }
}

/// A literal passed where a typed parameter is declared is checked by
/// its syntax, with Go's wording.
fn literal_mismatch(param: Param, arg: &Arg) -> Option<String> {
    let is_literal = matches!(
        arg,
        Arg::Bool(..) | Arg::Number(..) | Arg::Str(..) | Arg::Nil(_)
    );
    if !is_literal || param == Param::Any {
        return None;
    }
    match (param, arg) {
        (Param::Str, Arg::Str(..)) | (Param::Int, Arg::Number(_, _, Literal::Int(_))) => None,
        (Param::StrList, Arg::Nil(_)) => None,
        (Param::Str, Arg::Nil(_)) => Some("cannot assign nil to string".into()),
        (Param::Int, Arg::Nil(_)) => Some("cannot assign nil to int".into()),
        (Param::Str, _) => Some(format!("expected string; found {arg}")),
        (Param::Int, _) => Some(format!("expected integer; found {arg}")),
        _ => Some(format!("can't handle {arg} for arg of type []string")),
    }
}
