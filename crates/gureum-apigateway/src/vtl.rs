//! The Velocity subset API Gateway's mapping templates use.
//!
//! Text with references (`$x`, `$!x`, `${x}`, `$x.y`, `$x.m(args)`,
//! `$x[0]`) and the directives `#set`, `#if`/`#elseif`/`#else`/`#end`,
//! `#foreach` (`$foreach.hasNext`, `.index`, `.count`), `##` and `#* *#`
//! comments. Expressions: literals (strings, numbers, booleans, lists,
//! maps), references, `! && || == != < <= > >=`, `and`/`or`/`not`,
//! `+ - * / %`. The roots API Gateway gives are `$input` (`body`,
//! `json(path)`, `path(path)`, `params()`, `params(name)`), `$util`
//! (`escapeJavaScript`, `base64Encode`/`Decode`, `urlEncode`/`Decode`,
//! `parseJson`), `$context` and `$stageVariables`. Values print as Java
//! prints them (`{a=1, b=2}`, `[1, 2]`), as Velocity does on AWS.

mod eval;
mod parse;

use gureum_core::Value;
use std::collections::BTreeMap;

/// The request parameters `$input.params()` exposes.
#[derive(Clone, Debug, Default)]
pub struct Params {
    /// Path parameters.
    pub path: BTreeMap<String, String>,
    /// Query string parameters (the last value of each).
    pub querystring: BTreeMap<String, String>,
    /// Headers (the last value of each).
    pub header: BTreeMap<String, String>,
}

/// What a template reads.
pub struct Input<'a> {
    /// The body (`$input.body`), parsed as JSON by `json`/`path`.
    pub body: &'a str,
    /// `$input.params()`.
    pub params: &'a Params,
    /// `$context`.
    pub context: &'a Value,
    /// `$stageVariables`.
    pub stage_variables: &'a Value,
}

/// Renders `template` over `input`; `Err` when the template does not parse
/// or fails (API Gateway then answers 500).
pub fn render(template: &str, input: &Input<'_>) -> Result<String, String> {
    let nodes = parse::template(template)?;
    let mut ev = eval::Evaluator::new(input);
    let mut out = String::new();
    ev.nodes(&nodes, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
