//! The event-pattern language (EventBridge user guide, "Event patterns" and
//! "Content filtering"), as a pure module: [`Pattern::parse`] validates a
//! pattern as AWS does and [`Pattern::matches`] decides an event.
//!
//! A pattern is an object whose leaves are arrays of matchers (OR between
//! them, AND between fields); an object value descends into the event.
//! Event arrays are flattened: a field matches when any element does.

use serde_json::Value;
use std::net::IpAddr;

/// Why a pattern is refused: the reason AWS puts after "Event pattern is
/// not valid. Reason: ".
pub type Reason = String;

/// A parsed, validated event pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    root: Node,
}

#[derive(Clone, Debug)]
struct Node {
    conds: Vec<Cond>,
}

#[derive(Clone, Debug)]
enum Cond {
    Nested(String, Node),
    Leaf(String, Vec<Matcher>),
    Or(Vec<Node>),
}

#[derive(Clone, Debug)]
enum Matcher {
    Exact(Value),
    Prefix(String, bool),
    Suffix(String, bool),
    EqualsIgnoreCase(String),
    Wildcard(String),
    AnythingBut(AnythingBut),
    Numeric(Vec<(NumOp, f64)>),
    Exists(bool),
    Cidr(IpAddr, u8),
}

#[derive(Clone, Debug)]
enum AnythingBut {
    Values(Vec<Value>),
    Prefix(String),
    Suffix(String),
    IgnoreCase(Vec<String>),
    Wildcard(Vec<String>),
}

#[derive(Clone, Copy, Debug)]
enum NumOp {
    Lt,
    Le,
    Eq,
    Gt,
    Ge,
}

impl Pattern {
    /// Parses and validates `text`, a pattern as JSON.
    pub fn parse(text: &str) -> Result<Pattern, Reason> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("Filter is not valid JSON: {e}"))?;
        Pattern::from_value(&value)
    }

    /// Validates a pattern already parsed as JSON.
    pub fn from_value(value: &Value) -> Result<Pattern, Reason> {
        let Value::Object(_) = value else {
            return Err("Filter is not an object".to_string());
        };
        Ok(Pattern {
            root: parse_node(value)?,
        })
    }

    /// Whether `event` (the event's JSON) matches.
    pub fn matches(&self, event: &Value) -> bool {
        match_node(&self.root, &[event])
    }
}

fn parse_node(value: &Value) -> Result<Node, Reason> {
    let Value::Object(map) = value else {
        return Err("Filter is not an object".to_string());
    };
    if map.is_empty() {
        return Err("Empty objects are not allowed".to_string());
    }
    let mut conds = Vec::with_capacity(map.len());
    for (key, v) in map {
        if key == "$or" {
            let Value::Array(items) = v else {
                return Err("Or relationship must be an array of objects".to_string());
            };
            if items.len() < 2 {
                return Err("Or relationship must contain at least two objects".to_string());
            }
            let nodes = items.iter().map(parse_node).collect::<Result<_, _>>()?;
            conds.push(Cond::Or(nodes));
            continue;
        }
        match v {
            Value::Object(_) => conds.push(Cond::Nested(key.clone(), parse_node(v)?)),
            Value::Array(items) => {
                let matchers = items.iter().map(parse_matcher).collect::<Result<_, _>>()?;
                conds.push(Cond::Leaf(key.clone(), matchers));
            }
            _ => return Err(format!("\"{key}\" must be an object or an array")),
        }
    }
    Ok(Node { conds })
}

fn string_arg<'a>(op: &str, v: &'a Value) -> Result<&'a str, Reason> {
    v.as_str()
        .ok_or_else(|| format!("{op} match pattern must be a string"))
}

fn parse_matcher(value: &Value) -> Result<Matcher, Reason> {
    let map = match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {
            return Ok(Matcher::Exact(value.clone()))
        }
        Value::Array(_) => {
            return Err("Match value must be String, number, true, false, or null".to_string())
        }
        Value::Object(map) => map,
    };
    if map.len() != 1 {
        return Err("Only one key allowed in match expression".to_string());
    }
    let Some((op, arg)) = map.iter().next() else {
        return Err("Empty objects are not allowed".to_string());
    };
    match op.as_str() {
        "prefix" | "suffix" => {
            let is_prefix = op == "prefix";
            let (text, ci) = match arg {
                Value::Object(inner) if inner.len() == 1 => match inner.get("equals-ignore-case") {
                    Some(s) => (string_arg("equals-ignore-case", s)?, true),
                    None => return Err(format!("Unsupported {op} pattern: {arg}")),
                },
                _ => (string_arg(op, arg)?, false),
            };
            Ok(if is_prefix {
                Matcher::Prefix(text.to_string(), ci)
            } else {
                Matcher::Suffix(text.to_string(), ci)
            })
        }
        "equals-ignore-case" => Ok(Matcher::EqualsIgnoreCase(string_arg(op, arg)?.to_string())),
        "wildcard" => {
            let text = string_arg(op, arg)?;
            check_wildcard(text)?;
            Ok(Matcher::Wildcard(text.to_string()))
        }
        "exists" => match arg {
            Value::Bool(b) => Ok(Matcher::Exists(*b)),
            _ => Err("exists match pattern must be either true or false.".to_string()),
        },
        "numeric" => parse_numeric(arg),
        "cidr" => {
            let text = string_arg(op, arg)?;
            parse_cidr(text)
                .map(|(ip, bits)| Matcher::Cidr(ip, bits))
                .ok_or_else(|| format!("Nonstandard IP address: {text}"))
        }
        "anything-but" => parse_anything_but(arg).map(Matcher::AnythingBut),
        other => Err(format!("Unrecognized match type {other}")),
    }
}

fn check_wildcard(text: &str) -> Result<(), Reason> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if !matches!(bytes.get(i + 1), Some(b'*' | b'\\')) {
                    return Err(format!("Invalid escape character at pos {}", i + 1));
                }
                i += 2;
            }
            b'*' if bytes.get(i + 1) == Some(&b'*') => {
                return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn parse_numeric(arg: &Value) -> Result<Matcher, Reason> {
    let Value::Array(items) = arg else {
        return Err("Value of numeric must be an array.".to_string());
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return Err(
            "Invalid member in numeric match: numeric match needs one or two \
                    comparisons, each an operator and a number"
                .to_string(),
        );
    }
    let mut ops = Vec::new();
    for pair in items.chunks(2) {
        let Some(op_text) = pair[0].as_str() else {
            return Err(format!("Invalid member in numeric match: {}", pair[0]));
        };
        let op = match op_text {
            "<" => NumOp::Lt,
            "<=" => NumOp::Le,
            "=" => NumOp::Eq,
            ">" => NumOp::Gt,
            ">=" => NumOp::Ge,
            other => return Err(format!("Unrecognized numeric range operator: {other}")),
        };
        let Some(n) = pair[1].as_f64().filter(|_| pair[1].is_number()) else {
            return Err(format!("Value of {op_text} must be numeric"));
        };
        ops.push((op, n));
    }
    if ops.len() == 2 {
        let lower = matches!(ops[0].0, NumOp::Gt | NumOp::Ge);
        let upper = matches!(ops[1].0, NumOp::Lt | NumOp::Le);
        if !lower || !upper {
            return Err(
                "Bad numeric range: a range is a lower bound (> or >=) then an \
                        upper bound (< or <=)"
                    .to_string(),
            );
        }
        if ops[0].1 >= ops[1].1 {
            return Err("Bad numeric range: bottom must be less than top".to_string());
        }
    }
    Ok(Matcher::Numeric(ops))
}

fn parse_anything_but(arg: &Value) -> Result<AnythingBut, Reason> {
    match arg {
        Value::String(_) | Value::Number(_) => Ok(AnythingBut::Values(vec![arg.clone()])),
        Value::Array(items) => {
            if items.iter().any(|v| !(v.is_string() || v.is_number())) {
                return Err(
                    "Inside anything but list, start|null|boolean is not supported.".to_string(),
                );
            }
            Ok(AnythingBut::Values(items.clone()))
        }
        Value::Object(inner) if inner.len() == 1 => {
            let Some((op, v)) = inner.iter().next() else {
                return Err("Empty objects are not allowed".to_string());
            };
            let list = |v: &Value| -> Result<Vec<String>, Reason> {
                match v {
                    Value::String(s) => Ok(vec![s.clone()]),
                    Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string).ok_or_else(|| {
                            format!("Inside anything-but/{op} list, number|start|null|boolean is not supported.")
                        }))
                        .collect(),
                    _ => Err(format!("anything-but/{op} match pattern must be a string or an array of strings")),
                }
            };
            match op.as_str() {
                "prefix" => Ok(AnythingBut::Prefix(string_arg("prefix", v)?.to_string())),
                "suffix" => Ok(AnythingBut::Suffix(string_arg("suffix", v)?.to_string())),
                "equals-ignore-case" => Ok(AnythingBut::IgnoreCase(list(v)?)),
                "wildcard" => {
                    let items = list(v)?;
                    for w in &items {
                        check_wildcard(w)?;
                    }
                    Ok(AnythingBut::Wildcard(items))
                }
                other => Err(format!("Unsupported anything-but pattern: {other}")),
            }
        }
        _ => {
            Err("Value of anything-but must be an array or single string/number value.".to_string())
        }
    }
}

/// `a.b.c.d/n` or an IPv6 prefix, with the prefix length in range.
fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// Every value at `key` under `values`, arrays flattened.
fn children<'a>(values: &[&'a Value], key: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    for v in values {
        if let Some(child) = v.get(key) {
            flatten(child, &mut out);
        } else if let Value::Array(items) = v {
            for item in items {
                if let Some(child) = item.get(key) {
                    flatten(child, &mut out);
                }
            }
        }
    }
    out
}

fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

fn match_node(node: &Node, values: &[&Value]) -> bool {
    node.conds.iter().all(|cond| match cond {
        Cond::Nested(key, inner) => {
            let kids: Vec<&Value> = children(values, key)
                .into_iter()
                .filter(|v| v.is_object())
                .collect();
            !kids.is_empty() && match_node(inner, &kids) || kids.is_empty() && only_absence(inner)
        }
        Cond::Leaf(key, matchers) => {
            let leaves: Vec<&Value> = children(values, key)
                .into_iter()
                .filter(|v| !v.is_object())
                .collect();
            matchers.iter().any(|m| match_leaf(m, &leaves))
        }
        Cond::Or(nodes) => nodes.iter().any(|n| match_node(n, values)),
    })
}

/// Whether a nested pattern matches an absent object (every leaf asks for
/// `exists: false`).
fn only_absence(node: &Node) -> bool {
    node.conds.iter().all(|c| match c {
        Cond::Nested(_, inner) => only_absence(inner),
        Cond::Leaf(_, ms) => ms.iter().any(|m| matches!(m, Matcher::Exists(false))),
        Cond::Or(nodes) => nodes.iter().any(only_absence),
    })
}

fn match_leaf(m: &Matcher, leaves: &[&Value]) -> bool {
    match m {
        Matcher::Exists(want) => leaves.is_empty() != *want,
        _ => leaves.iter().any(|v| match_value(m, v)),
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn match_value(m: &Matcher, v: &Value) -> bool {
    let s = v.as_str();
    match m {
        Matcher::Exact(want) => same_value(want, v),
        Matcher::Prefix(p, false) => s.is_some_and(|s| s.starts_with(p.as_str())),
        Matcher::Prefix(p, true) => {
            s.is_some_and(|s| s.to_lowercase().starts_with(&p.to_lowercase()))
        }
        Matcher::Suffix(p, false) => s.is_some_and(|s| s.ends_with(p.as_str())),
        Matcher::Suffix(p, true) => {
            s.is_some_and(|s| s.to_lowercase().ends_with(&p.to_lowercase()))
        }
        Matcher::EqualsIgnoreCase(p) => s.is_some_and(|s| s.to_lowercase() == p.to_lowercase()),
        Matcher::Wildcard(p) => s.is_some_and(|s| wildcard(p, s)),
        Matcher::Numeric(ops) => v.as_f64().filter(|_| v.is_number()).is_some_and(|n| {
            ops.iter().all(|(op, x)| match op {
                NumOp::Lt => n < *x,
                NumOp::Le => n <= *x,
                NumOp::Eq => n == *x,
                NumOp::Gt => n > *x,
                NumOp::Ge => n >= *x,
            })
        }),
        Matcher::Exists(_) => true,
        Matcher::Cidr(net, bits) => s
            .and_then(|s| s.parse::<IpAddr>().ok())
            .is_some_and(|ip| in_cidr(ip, *net, *bits)),
        Matcher::AnythingBut(ab) => match ab {
            AnythingBut::Values(list) => !list.iter().any(|w| same_value(w, v)),
            AnythingBut::Prefix(p) => s.is_some_and(|s| !s.starts_with(p.as_str())),
            AnythingBut::Suffix(p) => s.is_some_and(|s| !s.ends_with(p.as_str())),
            AnythingBut::IgnoreCase(list) => s.is_some_and(|s| {
                let lower = s.to_lowercase();
                !list.iter().any(|w| w.to_lowercase() == lower)
            }),
            AnythingBut::Wildcard(list) => s.is_some_and(|s| !list.iter().any(|w| wildcard(w, s))),
        },
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits as u32)
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits as u32)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// `*` matches any run of characters; `\*` a star and `\\` a backslash.
pub(crate) fn wildcard(pattern: &str, text: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => toks.push(Tok::Star),
            '\\' => toks.push(Tok::Ch(chars.next().unwrap_or('\\'))),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Ch(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
