//! Integration response selection: `selectionPattern`s are regular
//! expressions matched against the whole of the Lambda error message or
//! the backend's status code; the response without a pattern is the
//! default.

use gureum_core::Value;
use regex_automata::meta::Regex;

/// `pattern` compiled to match whole strings (`None` when invalid).
pub fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

/// The integration response for `subject` among `responses` (by status
/// code): the first whose pattern matches, else the default.
pub(crate) fn choose<'a>(responses: &'a Value, subject: &str) -> Option<&'a Value> {
    let all = responses.as_object()?;
    let pattern = |r: &Value| {
        r.get("selectionPattern")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    };
    let matched = all.values().find(|r| {
        pattern(r)
            .and_then(|p| compile(&p))
            .is_some_and(|re| re.is_match(subject))
    });
    matched.or_else(|| all.values().find(|r| pattern(r).is_none()))
}
