//! Go's text/template as docker's `--format` uses it, evaluated over the
//! Engine API's JSON (`inspect`) or over table rows (`ps`, `images`).
//!
//! Errors carry Go's text (`template: :1: unexpected "}" in operand`);
//! callers add docker's prefix (`template parsing error: `) where docker
//! does.

mod exec;
mod funcs;
mod gofmt;
mod lexer;
mod parser;
mod value;

pub use funcs::go_quote;
pub use value::{Object, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    nodes: Vec<parser::Node>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let nodes = parser::parse(text, &funcs::is_builtin).map_err(|e| TemplateError(e.0))?;
        Ok(Template {
            text: text.to_string(),
            nodes,
        })
    }

    pub fn execute(&self, data: &Value) -> Result<String, TemplateError> {
        let (out, result) = exec::Exec::new(&self.text, data.clone(), false).run(&self.nodes);
        result.map(|_| out).map_err(TemplateError)
    }

    /// Runs with Go's `missingkey=error`, as `docker inspect -f` does over
    /// the daemon's JSON: a key the object lacks is an error.
    pub fn execute_strict(&self, data: &Value) -> Result<String, TemplateError> {
        let (out, result) = exec::Exec::new(&self.text, data.clone(), false)
            .missing_key_error(true)
            .run(&self.nodes);
        result.map(|_| out).map_err(TemplateError)
    }

    /// Renders a table header the way docker/cli does: over the header
    /// names, with the string functions passing their input through. Keeps
    /// the output written before an error: docker prints that partial
    /// header and ignores the error.
    pub fn execute_header_partial(&self, data: &Value) -> (String, Option<TemplateError>) {
        let (out, result) = exec::Exec::new(&self.text, data.clone(), true).run(&self.nodes);
        (out, result.err().map(TemplateError))
    }
}

#[cfg(test)]
mod tests;
