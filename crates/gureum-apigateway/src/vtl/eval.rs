//! Evaluates parsed templates.

use super::parse::{Access, Expr, Node, Reference};
use super::Input;
use base64::Engine;
use gureum_core::Value;
use serde_json::json;
use std::collections::HashMap;

/// AWS's cap on `#foreach` iterations.
const MAX_ITERATIONS: usize = 1000;

pub(crate) struct Evaluator<'a> {
    input: &'a Input<'a>,
    vars: HashMap<String, Value>,
    parsed_body: Option<Value>,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(input: &'a Input<'a>) -> Self {
        let mut vars = HashMap::new();
        vars.insert("context".to_string(), input.context.clone());
        vars.insert("stageVariables".to_string(), input.stage_variables.clone());
        Evaluator {
            input,
            vars,
            parsed_body: None,
        }
    }

    pub(crate) fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Ref { r, quiet, raw } => match self.reference(r)? {
                    Value::Null if *quiet => {}
                    Value::Null => out.push_str(raw),
                    v => out.push_str(&display(&v)),
                },
                Node::Set(name, e) => {
                    let v = self.expr(e)?;
                    self.vars.insert(name.clone(), v);
                }
                Node::If(arms, otherwise) => {
                    let mut taken = false;
                    for (cond, body) in arms {
                        if truthy(&self.expr(cond)?) {
                            self.nodes(body, out)?;
                            taken = true;
                            break;
                        }
                    }
                    if let (false, Some(body)) = (taken, otherwise) {
                        self.nodes(body, out)?;
                    }
                }
                Node::Foreach(var, e, body) => {
                    let items: Vec<Value> = match self.expr(e)? {
                        Value::Array(a) => a,
                        Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let saved = (
                        self.vars.get(var).cloned(),
                        self.vars.get("foreach").cloned(),
                    );
                    let n = items.len().min(MAX_ITERATIONS);
                    for (i, item) in items.into_iter().take(n).enumerate() {
                        self.vars.insert(var.clone(), item);
                        self.vars.insert(
                            "foreach".into(),
                            json!({"index": i, "count": i + 1, "hasNext": i + 1 < n, "first": i == 0, "last": i + 1 == n}),
                        );
                        self.vars.insert("velocityCount".into(), json!(i + 1));
                        self.nodes(body, out)?;
                    }
                    for (name, old) in [(var.as_str(), saved.0), ("foreach", saved.1)] {
                        match old {
                            Some(v) => self.vars.insert(name.to_string(), v),
                            None => self.vars.remove(name),
                        };
                    }
                }
            }
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> Result<Value, String> {
        Ok(match e {
            Expr::Lit(v) => v.clone(),
            Expr::Interp(nodes) => {
                let mut s = String::new();
                self.nodes(nodes, &mut s)?;
                Value::String(s)
            }
            Expr::Ref(r) => self.reference(r)?,
            Expr::List(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Map(pairs) => {
                let mut m = serde_json::Map::new();
                for (k, v) in pairs {
                    let k = display(&self.expr(k)?);
                    m.insert(k, self.expr(v)?);
                }
                Value::Object(m)
            }
            Expr::Not(e) => Value::Bool(!truthy(&self.expr(e)?)),
            Expr::Bin(op, l, r) => {
                let l = self.expr(l)?;
                match op.as_str() {
                    "&&" => return Ok(Value::Bool(truthy(&l) && truthy(&self.expr(r)?))),
                    "||" => return Ok(Value::Bool(truthy(&l) || truthy(&self.expr(r)?))),
                    _ => {}
                }
                binary(op, &l, &self.expr(r)?)?
            }
        })
    }

    fn reference(&mut self, r: &Reference) -> Result<Value, String> {
        let mut chain = r.chain.iter();
        let mut value = match r.root.as_str() {
            "input" => match chain.next() {
                Some(Access::Prop(p)) if p == "body" => Value::String(self.input.body.to_string()),
                Some(Access::Call(m, args)) => {
                    let args = self.args(args)?;
                    self.input_call(m, &args)?
                }
                _ => Value::Null,
            },
            "util" => match chain.next() {
                Some(Access::Call(m, args)) => {
                    let args = self.args(args)?;
                    util(m, &args)?
                }
                _ => Value::Null,
            },
            root => self.vars.get(root).cloned().unwrap_or(Value::Null),
        };
        for step in chain {
            value = match step {
                Access::Prop(p) => property(&value, p),
                Access::Index(e) => {
                    let i = self.expr(e)?;
                    index(&value, &i)
                }
                Access::Call(m, args) => {
                    let args = self.args(args)?;
                    method(&value, m, &args)
                }
            };
        }
        Ok(value)
    }

    fn args(&mut self, args: &[Expr]) -> Result<Vec<Value>, String> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn body_json(&mut self) -> Value {
        if self.parsed_body.is_none() {
            let body = self.input.body;
            let parsed = if body.trim().is_empty() {
                json!({})
            } else {
                serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
            };
            self.parsed_body = Some(parsed);
        }
        self.parsed_body.clone().unwrap_or(Value::Null)
    }

    fn input_call(&mut self, m: &str, args: &[Value]) -> Result<Value, String> {
        let p = self.input.params;
        let first = args.first().map(display).unwrap_or_default();
        Ok(match m {
            "json" => {
                let v = json_path(&self.body_json(), &first);
                Value::String(serde_json::to_string(&v).unwrap_or_default())
            }
            "path" => json_path(&self.body_json(), &first),
            "params" if args.is_empty() => {
                json!({"path": p.path, "querystring": p.querystring, "header": p.header})
            }
            "params" => {
                let header = p
                    .header
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&first))
                    .map(|(_, v)| v);
                p.path
                    .get(&first)
                    .or_else(|| p.querystring.get(&first))
                    .or(header)
                    .map(|v| Value::String(v.clone()))
                    .unwrap_or_else(|| Value::String(String::new()))
            }
            _ => Value::Null,
        })
    }
}

/// `$util.*`.
fn util(m: &str, args: &[Value]) -> Result<Value, String> {
    let s = args.first().map(display).unwrap_or_default();
    Ok(match m {
        "escapeJavaScript" => Value::String(escape_javascript(&s)),
        "base64Encode" => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        "base64Decode" => Value::String(
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("base64Decode: {e}"))?,
        ),
        "urlEncode" => Value::String(
            percent_encoding::utf8_percent_encode(&s, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
                .replace("%2D", "-")
                .replace("%2E", ".")
                .replace("%5F", "_")
                .replace("%2A", "*")
                .replace("%20", "+"),
        ),
        "urlDecode" => Value::String(
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned(),
        ),
        "parseJson" => serde_json::from_str(&s).map_err(|e| format!("parseJson: {e}"))?,
        _ => Value::Null,
    })
}

/// Java's `StringEscapeUtils.escapeJavaScript`, which `$util` uses.
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04X}", u));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A JSONPath of the forms `$`, `$.a.b`, `$.a[0]`, `$['a']`, `$.a[*].b`.
pub(crate) fn json_path(root: &Value, path: &str) -> Value {
    let Some(rest) = path.trim().strip_prefix('$') else {
        return Value::Null;
    };
    let mut current = vec![root.clone()];
    let mut many = false;
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let step: String;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            step = rest[start..i].to_string();
        } else if b[i] == b'[' {
            let Some(end) = rest[i..].find(']') else {
                return Value::Null;
            };
            step = rest[i + 1..i + end]
                .trim_matches(|c| c == '\'' || c == '"')
                .to_string();
            i += end + 1;
        } else {
            return Value::Null;
        }
        if step == "*" {
            many = true;
            current = current
                .into_iter()
                .flat_map(|v| match v {
                    Value::Array(a) => a,
                    Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                    _ => Vec::new(),
                })
                .collect();
            continue;
        }
        current = current
            .iter()
            .map(|v| match (v, step.parse::<usize>()) {
                (Value::Array(a), Ok(n)) => a.get(n).cloned().unwrap_or(Value::Null),
                _ => v.get(&step).cloned().unwrap_or(Value::Null),
            })
            .filter(|v| !many || !v.is_null())
            .collect();
    }
    if many {
        Value::Array(current)
    } else {
        current.into_iter().next().unwrap_or(Value::Null)
    }
}

fn property(v: &Value, p: &str) -> Value {
    match v {
        Value::Object(m) => m.get(p).cloned().unwrap_or(Value::Null),
        // Java getters: `$list.size` reads `getSize()`-like properties.
        _ => method(v, p, &[]),
    }
}

fn index(v: &Value, i: &Value) -> Value {
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => n
            .as_i64()
            .and_then(|n| {
                if n < 0 {
                    a.len().checked_sub(n.unsigned_abs() as usize)
                } else {
                    Some(n as usize)
                }
            })
            .and_then(|n| a.get(n).cloned())
            .unwrap_or(Value::Null),
        (Value::Object(m), k) => m.get(&display(k)).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The Java methods templates call on values.
fn method(v: &Value, m: &str, args: &[Value]) -> Value {
    let arg = |i: usize| args.get(i).map(display).unwrap_or_default();
    match (v, m) {
        (Value::Array(a), "size") => json!(a.len()),
        (Value::Object(o), "size") => json!(o.len()),
        (Value::String(s), "length") => json!(s.chars().count()),
        (Value::Array(a), "isEmpty") => json!(a.is_empty()),
        (Value::Object(o), "isEmpty") => json!(o.is_empty()),
        (Value::String(s), "isEmpty") => json!(s.is_empty()),
        (Value::Object(o), "get") => o.get(&arg(0)).cloned().unwrap_or(Value::Null),
        (Value::Array(_), "get") => index(v, args.first().unwrap_or(&Value::Null)),
        (Value::Object(o), "keySet") => Value::Array(o.keys().map(|k| json!(k)).collect()),
        (Value::Object(o), "values") => Value::Array(o.values().cloned().collect()),
        (Value::Object(o), "containsKey") => json!(o.contains_key(&arg(0))),
        (Value::Array(a), "contains") => json!(a.iter().any(|x| Some(x) == args.first())),
        (Value::String(s), "contains") => json!(s.contains(&arg(0))),
        (Value::String(s), "toLowerCase") => json!(s.to_lowercase()),
        (Value::String(s), "toUpperCase") => json!(s.to_uppercase()),
        (Value::String(s), "trim") => json!(s.trim()),
        (Value::String(s), "startsWith") => json!(s.starts_with(&arg(0))),
        (Value::String(s), "endsWith") => json!(s.ends_with(&arg(0))),
        (Value::String(s), "replace" | "replaceAll") => json!(s.replace(&arg(0), &arg(1))),
        (Value::String(s), "indexOf") => json!(s
            .find(&arg(0))
            .map_or(-1, |i| s[..i].chars().count() as i64)),
        (Value::String(s), "split") => Value::Array(s.split(&arg(0)).map(|p| json!(p)).collect()),
        (Value::String(s), "substring") => {
            let chars: Vec<char> = s.chars().collect();
            let from = args.first().and_then(Value::as_u64).unwrap_or(0) as usize;
            let to = args
                .get(1)
                .and_then(Value::as_u64)
                .map_or(chars.len(), |t| t as usize);
            json!(chars
                .get(from.min(to)..to.min(chars.len()))
                .map(|c| c.iter().collect::<String>())
                .unwrap_or_default())
        }
        (_, "equals") => json!(args.first() == Some(v)),
        (_, "toString") => json!(display(v)),
        _ => Value::Null,
    }
}

fn binary(op: &str, l: &Value, r: &Value) -> Result<Value, String> {
    let nums = (l.as_f64(), r.as_f64());
    Ok(match op {
        "==" => json!(loose_eq(l, r)),
        "!=" => json!(!loose_eq(l, r)),
        "<" | "<=" | ">" | ">=" => {
            let ord = match nums {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(display(l).cmp(&display(r))),
            };
            let Some(ord) = ord else {
                return Ok(json!(false));
            };
            json!(match op {
                "<" => ord.is_lt(),
                "<=" => ord.is_le(),
                ">" => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        "+" if !(l.is_number() && r.is_number()) => json!(format!("{}{}", display(l), display(r))),
        _ => {
            let (Some(a), Some(b)) = nums else {
                return Err(format!("cannot apply {op} to {l} and {r}"));
            };
            let integral = l.is_i64() && r.is_i64();
            let x = match op {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" if b == 0.0 => return Err("division by zero".into()),
                "/" if integral => (a as i64 / b as i64) as f64,
                "/" => a / b,
                "%" if b == 0.0 => return Err("division by zero".into()),
                _ => a % b,
            };
            if integral {
                json!(x as i64)
            } else {
                json!(x)
            }
        }
    })
}

/// Velocity compares numbers by value and other things by their text.
fn loose_eq(l: &Value, r: &Value) -> bool {
    match (l.as_f64(), r.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ if l.is_null() || r.is_null() => l.is_null() && r.is_null(),
        _ => display(l) == display(r),
    }
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// A value as Java's `toString` prints it.
pub(crate) fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(display).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", display(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
