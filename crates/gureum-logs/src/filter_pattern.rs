//! CloudWatch Logs' filter-pattern language, pure (no I/O): what
//! `FilterLogEvents`, metric filters, subscription filters and
//! `TestMetricFilter` match events with.
//!
//! Four forms, as AWS's "Filter pattern syntax" page describes them:
//!
//! - **terms**: `ERROR`, `"out of memory"`, `ERROR -Exiting`, `?ERROR ?WARN`:
//!   case-sensitive substrings; plain terms must all appear, `?` terms are
//!   alternatives (at least one must appear), `-` terms must not appear;
//!   `%regex%` terms match a regular expression anywhere in the message;
//! - **JSON**: `{ $.status = 404 }`, `{ ($.user = "bob*") && ($.ms > 100) }`,
//!   `{ $.x IS NULL }`, `{ $.x NOT EXISTS }`, `{ $.flag IS TRUE }`,
//!   `{ $.items[0].id = 7 }`, `{ $.path = %^/api% }`: the message is parsed as
//!   JSON and the expression evaluated over it (`&&`, `||`, parentheses;
//!   `=` and `!=` on strings with `*` wildcards, all six comparisons on
//!   numbers);
//! - **space-delimited**: `[ip, user, ..., status = 4*, bytes > 1000]`: the
//!   message is split on spaces (text inside `"…"` or `[…]` is one field, the
//!   quotes or brackets stripped), fields are bound to the names by
//!   position, `...` stands for any number of fields, and each condition
//!   must hold;
//! - **empty**: every event.
//!
//! [`Pattern::parse`] validates once; [`Pattern::matches`] is then a pure
//! function of the message. [`Pattern::extract`] gives the named values a
//! space-delimited pattern bound (`TestMetricFilter`'s `extractedValues`)
//! and [`Pattern::value_of`] reads a metric value selector (`$.latency`,
//! `$bytes`).

use regex_automata::meta::Regex;
use serde_json::Value;

/// Why a pattern does not parse. The reason is AWS's own sentence for the
/// cases whose wording is known (an unclosed `{`, a bad term); callers
/// answer it after their operation's prefix, and only the prefix
/// otherwise ([`PatternError::aws_reason`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError(pub String);

/// AWS's reason for a `{` without its `}`.
const UNCLOSED_JSON: &str = "If a filter pattern starts with '{' it must end with '}'";

impl PatternError {
    /// The reason, when it is AWS's wording.
    pub fn aws_reason(&self) -> Option<&str> {
        (self.0 == UNCLOSED_JSON || self.0.starts_with("Invalid character(s) in term"))
            .then_some(self.0.as_str())
    }
}

/// A parsed filter pattern.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// The empty pattern: every event.
    All,
    /// Terms, phrases, alternatives and exclusions.
    Terms(Terms),
    /// A JSON expression.
    Json(JsonExpr),
    /// A space-delimited pattern.
    Spaced(Vec<SpacedField>),
}

/// One term of a terms pattern.
#[derive(Clone, Debug)]
pub enum Term {
    /// A substring, case-sensitive.
    Text(String),
    /// A regular expression (`%…%`), found anywhere.
    Regex(Regex),
}

impl Term {
    fn found_in(&self, message: &str) -> bool {
        match self {
            Term::Text(t) => message.contains(t.as_str()),
            Term::Regex(r) => r.is_match(message),
        }
    }
}

/// A terms pattern.
#[derive(Clone, Debug, Default)]
pub struct Terms {
    /// Every one must appear.
    pub required: Vec<Term>,
    /// At least one must appear (when any are given).
    pub any: Vec<Term>,
    /// None may appear.
    pub excluded: Vec<Term>,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// A string, possibly with `*` wildcards.
    Text(String),
    /// A regular expression (`%…%`).
    Regex(Regex),
}

/// One step of a JSON selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `.name`
    Field(String),
    /// `[n]`
    Index(usize),
}

/// A JSON pattern's expression.
#[derive(Clone, Debug)]
pub enum JsonExpr {
    /// Both hold.
    And(Box<JsonExpr>, Box<JsonExpr>),
    /// Either holds.
    Or(Box<JsonExpr>, Box<JsonExpr>),
    /// `selector op literal`.
    Compare(Vec<Step>, Op, Literal),
    /// `selector IS NULL`.
    IsNull(Vec<Step>),
    /// `selector NOT EXISTS`.
    NotExists(Vec<Step>),
    /// `selector IS TRUE` / `IS FALSE`.
    IsBool(Vec<Step>, bool),
}

/// One field of a space-delimited pattern.
#[derive(Clone, Debug)]
pub enum SpacedField {
    /// `...`: any number of fields.
    Ellipsis,
    /// A named field with its conditions (`status = 4*`,
    /// `a = 1 || a = 2`), each naming a field of the pattern.
    Named {
        /// The field's name.
        name: String,
        /// Conditions joined by `&&` (`false`) or `||` (`true`).
        conditions: Vec<(String, Op, Literal)>,
        /// Whether the conditions are joined by `||`.
        any: bool,
    },
}

impl Pattern {
    /// Parses `text` (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let t = text.trim();
        if t.is_empty() || t == "\"\"" {
            return Ok(Pattern::All);
        }
        if let Some(inner) = t.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or_else(|| PatternError(UNCLOSED_JSON.into()))?;
            let mut p = Lexer::new(inner);
            let e = parse_or(&mut p)?;
            p.skip_ws();
            if !p.done() {
                return Err(PatternError(format!("unexpected text: {}", p.rest())));
            }
            return Ok(Pattern::Json(e));
        }
        if let Some(inner) = t.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| PatternError("unclosed [".into()))?;
            return parse_spaced(inner).map(Pattern::Spaced);
        }
        parse_terms(t).map(Pattern::Terms)
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Terms(t) => {
                t.required.iter().all(|x| x.found_in(message))
                    && (t.any.is_empty() || t.any.iter().any(|x| x.found_in(message)))
                    && !t.excluded.iter().any(|x| x.found_in(message))
            }
            Pattern::Json(e) => match serde_json::from_str::<Value>(message) {
                Ok(v) => eval_json(e, &v),
                Err(_) => false,
            },
            Pattern::Spaced(fields) => bind_spaced(fields, message).is_some(),
        }
    }

    /// When `message` matches, the values a space-delimited pattern bound,
    /// by `$name`, in the pattern's order (empty for other forms).
    pub fn extract(&self, message: &str) -> Option<Vec<(String, String)>> {
        match self {
            Pattern::Spaced(fields) => bind_spaced(fields, message)
                .map(|b| b.into_iter().map(|(k, v)| (format!("${k}"), v)).collect()),
            _ => self.matches(message).then(Vec::new),
        }
    }

    /// The value `selector` (`$.a.b`, `$name`) reads from `message`, as
    /// text (numbers as written), when it finds one.
    pub fn value_of(&self, message: &str, selector: &str) -> Option<String> {
        if let Some(path) = selector.strip_prefix('$') {
            if path.starts_with('.') || path.starts_with('[') {
                let steps = parse_selector_steps(path).ok()?;
                let v: Value = serde_json::from_str(message).ok()?;
                return match select(&v, &steps)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                };
            }
            if let Pattern::Spaced(fields) = self {
                return bind_spaced(fields, message)?
                    .into_iter()
                    .find(|(k, _)| k == path)
                    .map(|(_, v)| v);
            }
            return None;
        }
        Some(selector.to_string())
    }
}

/// `*` wildcards, anything else literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn regex(source: &str) -> Result<Regex, PatternError> {
    Regex::new(source).map_err(|e| PatternError(format!("bad regex: {e}")))
}

fn parse_terms(text: &str) -> Result<Terms, PatternError> {
    let mut terms = Terms::default();
    let mut p = Lexer::new(text);
    loop {
        p.skip_ws();
        if p.done() {
            break;
        }
        let kind = match p.peek() {
            Some('?') => {
                p.bump();
                1
            }
            Some('-') => {
                p.bump();
                2
            }
            _ => 0,
        };
        let term = match p.peek() {
            Some('"') => Term::Text(p.quoted()?),
            Some('%') => {
                p.bump();
                let body = p.until('%')?;
                Term::Regex(regex(&body)?)
            }
            _ => {
                let word = p.word(|c| !c.is_whitespace());
                if word.is_empty() {
                    return Err(PatternError("empty term".into()));
                }
                if word.contains('"') {
                    return Err(PatternError(format!(
                        "Invalid character(s) in term '{word}'"
                    )));
                }
                Term::Text(word)
            }
        };
        match kind {
            1 => terms.any.push(term),
            2 => terms.excluded.push(term),
            _ => terms.required.push(term),
        }
    }
    Ok(terms)
}

/// A cursor over pattern text.
struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { text, at: 0 }
    }
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }
    fn done(&self) -> bool {
        self.at >= self.text.len()
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.at += c.len_utf8();
        }
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(s) {
            self.at += s.len();
            true
        } else {
            false
        }
    }
    fn eat_keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let r = self.rest();
        if r.get(..kw.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kw))
            && !r[kw.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.at += kw.len();
            true
        } else {
            false
        }
    }
    fn word(&mut self, keep: impl Fn(char) -> bool) -> String {
        let start = self.at;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        self.text[start..self.at].to_string()
    }
    /// A `"…"` string (backslash escapes the next character).
    fn quoted(&mut self) -> Result<String, PatternError> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(PatternError("unclosed quote".into())),
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    if let Some(c) = self.peek() {
                        out.push(c);
                        self.bump();
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.bump();
                }
            }
        }
    }
    fn until(&mut self, end: char) -> Result<String, PatternError> {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c == end {
                let s = self.text[start..self.at].to_string();
                self.bump();
                return Ok(s);
            }
            self.bump();
        }
        Err(PatternError(format!("missing closing {end}")))
    }
    fn op(&mut self) -> Option<Op> {
        self.skip_ws();
        for (s, op) in [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.rest().starts_with(s) {
                self.at += s.len();
                return Some(op);
            }
        }
        None
    }
    /// A literal: `"quoted"`, `%regex%`, a number or a bare word.
    fn literal(&mut self, stop: &[char]) -> Result<Literal, PatternError> {
        self.skip_ws();
        match self.peek() {
            Some('"') => Ok(Literal::Text(self.quoted()?)),
            Some('%') => {
                self.bump();
                Ok(Literal::Regex(regex(&self.until('%')?)?))
            }
            _ => {
                let w = self.word(|c| !c.is_whitespace() && !stop.contains(&c));
                if w.is_empty() {
                    return Err(PatternError("missing value".into()));
                }
                Ok(match w.parse::<f64>() {
                    Ok(n) if !w.contains('*') => Literal::Number(n),
                    _ => Literal::Text(w),
                })
            }
        }
    }
}

fn parse_selector_steps(path: &str) -> Result<Vec<Step>, PatternError> {
    let mut steps = Vec::new();
    let mut p = Lexer::new(path);
    while !p.done() {
        match p.peek() {
            Some('.') => {
                p.bump();
                let name = p.word(|c| c != '.' && c != '[');
                if name.is_empty() {
                    return Err(PatternError(format!("bad selector: ${path}")));
                }
                steps.push(Step::Field(name));
            }
            Some('[') => {
                p.bump();
                let n = p.until(']')?;
                let i = n
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| PatternError(format!("bad index: {n}")))?;
                steps.push(Step::Index(i));
            }
            _ => return Err(PatternError(format!("bad selector: ${path}"))),
        }
    }
    if steps.is_empty() {
        return Err(PatternError("empty selector".into()));
    }
    Ok(steps)
}

fn parse_or(p: &mut Lexer) -> Result<JsonExpr, PatternError> {
    let mut left = parse_and(p)?;
    while p.eat("||") {
        let right = parse_and(p)?;
        left = JsonExpr::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn parse_and(p: &mut Lexer) -> Result<JsonExpr, PatternError> {
    let mut left = parse_unary(p)?;
    while p.eat("&&") {
        let right = parse_unary(p)?;
        left = JsonExpr::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn parse_unary(p: &mut Lexer) -> Result<JsonExpr, PatternError> {
    if p.eat("(") {
        let e = parse_or(p)?;
        if !p.eat(")") {
            return Err(PatternError("missing )".into()));
        }
        return Ok(e);
    }
    p.skip_ws();
    if p.peek() != Some('$') {
        return Err(PatternError(format!(
            "expected a selector at: {}",
            p.rest()
        )));
    }
    p.bump();
    let path = p.word(|c| !c.is_whitespace() && !"=!<>()&|".contains(c));
    let steps = parse_selector_steps(&path)?;
    if p.eat_keyword("IS") {
        if p.eat_keyword("NULL") {
            return Ok(JsonExpr::IsNull(steps));
        }
        if p.eat_keyword("TRUE") {
            return Ok(JsonExpr::IsBool(steps, true));
        }
        if p.eat_keyword("FALSE") {
            return Ok(JsonExpr::IsBool(steps, false));
        }
        return Err(PatternError("expected NULL, TRUE or FALSE after IS".into()));
    }
    if p.eat_keyword("NOT") {
        if p.eat_keyword("EXISTS") {
            return Ok(JsonExpr::NotExists(steps));
        }
        return Err(PatternError("expected EXISTS after NOT".into()));
    }
    let op = p
        .op()
        .ok_or_else(|| PatternError(format!("expected an operator at: {}", p.rest())))?;
    let lit = p.literal(&['(', ')', '&', '|'])?;
    if matches!(lit, Literal::Text(_) | Literal::Regex(_)) && !matches!(op, Op::Eq | Op::Ne) {
        return Err(PatternError("strings compare only with = and !=".into()));
    }
    Ok(JsonExpr::Compare(steps, op, lit))
}

fn select<'v>(v: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    let mut cur = v;
    for s in steps {
        cur = match (s, cur) {
            (Step::Field(name), Value::Object(m)) => m.get(name)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn compare_number(a: f64, op: Op, b: f64) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
    }
}

fn text_matches(lit: &Literal, text: &str) -> bool {
    match lit {
        Literal::Text(p) => glob(p, text),
        Literal::Regex(r) => r.is_match(text),
        Literal::Number(n) => text.parse::<f64>().is_ok_and(|x| x == *n),
    }
}

fn eval_json(e: &JsonExpr, v: &Value) -> bool {
    match e {
        JsonExpr::And(a, b) => eval_json(a, v) && eval_json(b, v),
        JsonExpr::Or(a, b) => eval_json(a, v) || eval_json(b, v),
        JsonExpr::IsNull(s) => matches!(select(v, s), Some(Value::Null)),
        JsonExpr::NotExists(s) => select(v, s).is_none(),
        JsonExpr::IsBool(s, b) => select(v, s).and_then(Value::as_bool) == Some(*b),
        JsonExpr::Compare(s, op, lit) => {
            let Some(field) = select(v, s) else {
                return false;
            };
            match (lit, field) {
                (Literal::Number(n), Value::Number(x)) => {
                    x.as_f64().is_some_and(|x| compare_number(x, *op, *n))
                }
                (Literal::Number(_), _) => false,
                (_, Value::String(text)) => text_matches(lit, text) == (*op == Op::Eq),
                (_, Value::Bool(b)) => text_matches(lit, &b.to_string()) == (*op == Op::Eq),
                (_, Value::Number(x)) => text_matches(lit, &x.to_string()) == (*op == Op::Eq),
                _ => false,
            }
        }
    }
}

fn parse_spaced(inner: &str) -> Result<Vec<SpacedField>, PatternError> {
    let mut fields = Vec::new();
    let mut p = Lexer::new(inner);
    loop {
        p.skip_ws();
        if p.done() {
            if fields.is_empty() {
                return Ok(fields);
            }
            return Err(PatternError("missing field after ,".into()));
        }
        if p.eat("...") {
            fields.push(SpacedField::Ellipsis);
        } else {
            let mut conditions = Vec::new();
            let mut any = None;
            let name = p.word(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
            if name.is_empty() {
                return Err(PatternError(format!(
                    "expected a field name at: {}",
                    p.rest()
                )));
            }
            if let Some(op) = p.op() {
                conditions.push((name.clone(), op, p.literal(&[',', '&', '|'])?));
                loop {
                    let joined_or = if p.eat("||") {
                        true
                    } else if p.eat("&&") {
                        false
                    } else {
                        break;
                    };
                    if any.is_some_and(|a| a != joined_or) {
                        return Err(PatternError("mixed && and || in one field".into()));
                    }
                    any = Some(joined_or);
                    p.skip_ws();
                    let other = p.word(|c| c.is_alphanumeric() || c == '_' || c == '-');
                    let op = p
                        .op()
                        .ok_or_else(|| PatternError("expected an operator".into()))?;
                    conditions.push((other, op, p.literal(&[',', '&', '|'])?));
                }
            }
            fields.push(SpacedField::Named {
                name,
                conditions,
                any: any.unwrap_or(false),
            });
        }
        p.skip_ws();
        if p.done() {
            return Ok(fields);
        }
        if !p.eat(",") {
            return Err(PatternError(format!("expected , at: {}", p.rest())));
        }
    }
}

/// The message's space-delimited fields: `"…"` and `[…]` are one field
/// each, without their quotes or brackets.
pub fn split_fields(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = message.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let close = match b[i] {
            b'"' => Some(b'"'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            if let Some(end) = b[i + 1..].iter().position(|&c| c == close) {
                out.push(&message[i + 1..i + 1 + end]);
                i += end + 2;
                continue;
            }
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push(&message[start..i]);
    }
    out
}

fn bind_positions<'m>(
    fields: &[SpacedField],
    tokens: &[&'m str],
    bound: &mut Vec<(String, &'m str)>,
) -> bool {
    match fields.split_first() {
        None => tokens.is_empty(),
        Some((SpacedField::Ellipsis, rest)) => {
            // Fields after the ellipsis bind from the end when no other
            // ellipsis follows (the common `[..., status, bytes]`).
            for skip in (0..=tokens.len()).rev() {
                let mark = bound.len();
                if bind_positions(rest, &tokens[skip..], bound) {
                    return true;
                }
                bound.truncate(mark);
            }
            false
        }
        Some((SpacedField::Named { name, .. }, rest)) => match tokens.split_first() {
            Some((tok, more)) => {
                bound.push((name.clone(), tok));
                if bind_positions(rest, more, bound) {
                    return true;
                }
                bound.pop();
                false
            }
            None => false,
        },
    }
}

fn spaced_condition(value: &str, op: Op, lit: &Literal) -> bool {
    match lit {
        Literal::Number(n) => value
            .parse::<f64>()
            .is_ok_and(|x| compare_number(x, op, *n)),
        _ => match op {
            Op::Eq => text_matches(lit, value),
            Op::Ne => !text_matches(lit, value),
            _ => false,
        },
    }
}

fn bind_spaced(fields: &[SpacedField], message: &str) -> Option<Vec<(String, String)>> {
    let tokens = split_fields(message);
    let mut bound = Vec::new();
    if !bind_positions(fields, &tokens, &mut bound) {
        return None;
    }
    for f in fields {
        if let SpacedField::Named {
            conditions, any, ..
        } = f
        {
            if conditions.is_empty() {
                continue;
            }
            let check = |(n, op, lit): &(String, Op, Literal)| {
                bound
                    .iter()
                    .find(|(k, _)| k == n)
                    .is_some_and(|(_, v)| spaced_condition(v, *op, lit))
            };
            let ok = if *any {
                conditions.iter().any(check)
            } else {
                conditions.iter().all(check)
            };
            if !ok {
                return None;
            }
        }
    }
    Some(bound.into_iter().map(|(k, v)| (k, v.to_string())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, message: &str) -> bool {
        Pattern::parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
            .matches(message)
    }

    #[test]
    fn the_empty_pattern_matches_everything() {
        assert!(m("", "anything"));
        assert!(m("  ", ""));
    }

    #[test]
    fn terms_are_case_sensitive_substrings_and_all_must_appear() {
        assert!(m("ERROR", "[ERROR] disk full"));
        assert!(!m("ERROR", "error: disk full"));
        assert!(m("ERROR disk", "ERROR: disk full"));
        assert!(!m("ERROR memory", "ERROR: disk full"));
    }

    #[test]
    fn a_quoted_phrase_is_one_term() {
        assert!(m("\"disk full\"", "ERROR: disk full"));
        assert!(!m("\"full disk\"", "ERROR: disk full"));
    }

    #[test]
    fn question_marked_terms_are_alternatives() {
        assert!(m("?ERROR ?WARN", "WARN low memory"));
        assert!(m("?ERROR ?WARN", "ERROR x"));
        assert!(!m("?ERROR ?WARN", "INFO ok"));
    }

    #[test]
    fn minus_terms_exclude() {
        assert!(m("ERROR -Exiting", "ERROR retrying"));
        assert!(!m("ERROR -Exiting", "ERROR Exiting now"));
    }

    #[test]
    fn regex_terms_match_anywhere() {
        assert!(m("%user-[0-9]+%", "login by user-42 ok"));
        assert!(!m("%user-[0-9]+%", "login by user-x"));
    }

    #[test]
    fn json_equality_on_strings_numbers_and_wildcards() {
        let msg = r#"{"eventType":"UpdateTrail","status":404,"user":{"name":"bob-admin"}}"#;
        assert!(m(r#"{ $.eventType = "UpdateTrail" }"#, msg));
        assert!(m("{ $.eventType = UpdateTrail }", msg));
        assert!(m("{ $.status = 404 }", msg));
        assert!(m("{ $.user.name = bob* }", msg));
        assert!(!m("{ $.user.name = alice* }", msg));
        assert!(m("{ $.eventType != \"Other\" }", msg));
        assert!(!m("{ $.missing != \"Other\" }", msg));
    }

    #[test]
    fn json_numeric_comparisons() {
        let msg = r#"{"latency": 1500, "size": 0.5}"#;
        assert!(m("{ $.latency > 1000 }", msg));
        assert!(m("{ $.latency >= 1500 }", msg));
        assert!(!m("{ $.latency < 1000 }", msg));
        assert!(m("{ $.size <= 0.5 }", msg));
        assert!(m("{ $.latency != 1 }", msg));
    }

    #[test]
    fn json_and_or_and_parentheses() {
        let msg = r#"{"a": 1, "b": "x", "c": true}"#;
        assert!(m("{ ($.a = 1) && ($.b = \"x\") }", msg));
        assert!(!m("{ ($.a = 2) && ($.b = \"x\") }", msg));
        assert!(m("{ ($.a = 2) || ($.b = \"x\") }", msg));
        assert!(m("{ $.a = 2 || ($.a = 1 && $.c IS TRUE) }", msg));
    }

    #[test]
    fn json_null_exists_and_booleans() {
        let msg = r#"{"n": null, "t": true, "f": false}"#;
        assert!(m("{ $.n IS NULL }", msg));
        assert!(!m("{ $.t IS NULL }", msg));
        assert!(m("{ $.gone NOT EXISTS }", msg));
        assert!(!m("{ $.n NOT EXISTS }", msg));
        assert!(m("{ $.t IS TRUE }", msg));
        assert!(m("{ $.f IS FALSE }", msg));
        assert!(!m("{ $.f IS TRUE }", msg));
    }

    #[test]
    fn json_arrays_by_index() {
        let msg = r#"{"items":[{"id":7},{"id":8}], "tags":["a","b"]}"#;
        assert!(m("{ $.items[1].id = 8 }", msg));
        assert!(m("{ $.tags[0] = \"a\" }", msg));
        assert!(!m("{ $.tags[5] = \"a\" }", msg));
    }

    #[test]
    fn json_regex_values() {
        assert!(m("{ $.path = %^/api/% }", r#"{"path":"/api/users"}"#));
        assert!(!m("{ $.path = %^/api/% }", r#"{"path":"/web"}"#));
    }

    #[test]
    fn a_json_pattern_never_matches_text_that_is_not_json() {
        assert!(!m("{ $.a = 1 }", "a = 1"));
    }

    #[test]
    fn awss_reasons_for_unclosed_braces_and_bad_terms() {
        let e = Pattern::parse("{ $.a = 1").expect_err("unclosed");
        assert_eq!(
            e.aws_reason(),
            Some("If a filter pattern starts with '{' it must end with '}'")
        );
        let e = Pattern::parse("a\"b").expect_err("bad term");
        assert_eq!(e.aws_reason(), Some("Invalid character(s) in term 'a\"b'"));
        assert_eq!(Pattern::parse("{ a }").expect_err("x").aws_reason(), None);
    }

    #[test]
    fn non_ascii_text_never_panics() {
        for text in [
            "{ $.a IS é }",
            "{ $.é = \"ü\" }",
            "[é, ü = ö*]",
            "ö ?ü -é",
            "{ $.a NOTé }",
        ] {
            if let Ok(p) = Pattern::parse(text) {
                p.matches("é ü ö {\"é\": \"ü\"}");
            }
        }
        assert!(m("{ $.é = \"ü*\" }", "{\"é\": \"üx\"}"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "{ $.a = 1",
            "{ a = 1 }",
            "{ $.a > \"x\" }",
            "{ $.a }",
            "[a, b",
            "\"unclosed",
            "[a,,b]",
            "%(unclosed%",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }

    const APACHE: &str =
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534"#;

    #[test]
    fn space_delimited_fields_bind_by_position() {
        let p = Pattern::parse("[ip, user, username, timestamp, request, status_code, bytes]")
            .expect("parse");
        let got = p.extract(APACHE).expect("matches");
        assert_eq!(
            got[3],
            ("$timestamp".into(), "10/Oct/2000:13:25:15 -0700".into())
        );
        assert_eq!(
            got[4],
            ("$request".into(), "GET /apache_pb.gif HTTP/1.0".into())
        );
        assert_eq!(got[6], ("$bytes".into(), "1534".into()));
        // Without an ellipsis, the count must agree.
        assert!(!m("[ip, user]", APACHE));
    }

    #[test]
    fn space_delimited_conditions_and_wildcards() {
        assert!(m(
            "[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]",
            APACHE
        ));
        assert!(!m(
            "[ip, user, username, timestamp, request, status_code = 5*, bytes]",
            APACHE
        ));
        assert!(!m(
            "[ip, user, username, timestamp, request, status_code, bytes < 1000]",
            APACHE
        ));
        assert!(m("[ip, user, username != alice, ...]", APACHE));
        assert!(m("[..., status = 404 || status = 500, bytes]", APACHE));
    }

    #[test]
    fn an_ellipsis_takes_any_number_of_fields() {
        assert!(m("[..., status, bytes > 1000]", APACHE));
        assert!(m("[ip = 127.0.0.1, ...]", APACHE));
        assert!(m("[ip, ..., bytes]", APACHE));
        assert!(!m("[ip, ..., bytes = 1]", APACHE));
    }

    #[test]
    fn metric_values_come_from_json_or_named_fields() {
        let p = Pattern::parse("[..., status, bytes]").expect("parse");
        assert_eq!(p.value_of(APACHE, "$bytes"), Some("1534".into()));
        assert_eq!(p.value_of(APACHE, "1"), Some("1".into()));
        let j = Pattern::parse("{ $.ms > 0 }").expect("parse");
        assert_eq!(j.value_of(r#"{"ms": 12.5}"#, "$.ms"), Some("12.5".into()));
        assert_eq!(j.value_of(r#"{"x": 1}"#, "$.ms"), None);
    }

    #[test]
    fn globs() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("a*b*c", "a-c-b"));
        assert!(!glob("ab*ba", "aba"));
    }
}
