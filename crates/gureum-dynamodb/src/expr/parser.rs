//! The expression parser: condition (also filter and key condition),
//! update and projection expressions into trees, with expression
//! attribute names and values resolved as they are met.

use super::lexer::{lex, Tok, Token};
use super::reserved::is_reserved;
use super::Kind;
use crate::errors::validation;
use crate::value::AttrValue;
use gureum_core::AwsError;
use std::collections::{BTreeMap, BTreeSet};

/// One step of a document path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Elem {
    /// A map key (or the top-level attribute name).
    Attr(String),
    /// A list index.
    Index(usize),
}

/// A document path: `a.b[2].c`.
pub type Path = Vec<Elem>;

/// How AWS prints a path in messages: `[a, b, [2]]`.
pub fn show_path(p: &Path) -> String {
    let parts: Vec<String> = p
        .iter()
        .map(|e| match e {
            Elem::Attr(a) => a.clone(),
            Elem::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// A value-producing operand.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// An attribute at a path.
    Path(Path),
    /// An expression attribute value.
    Value(AttrValue),
    /// `size(path)`.
    Size(Path),
    /// `if_not_exists(path, operand)` (updates).
    IfNotExists(Path, Box<Operand>),
    /// `list_append(a, b)` (updates).
    ListAppend(Box<Operand>, Box<Operand>),
    /// `a + b` (updates).
    Plus(Box<Operand>, Box<Operand>),
    /// `a - b` (updates).
    Minus(Box<Operand>, Box<Operand>),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `a op b`.
    Compare(Operand, Cmp, Operand),
    /// `a BETWEEN b AND c`.
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, …)`.
    In(Operand, Vec<Operand>),
    /// `a AND b`.
    And(Box<Cond>, Box<Cond>),
    /// `a OR b`.
    Or(Box<Cond>, Box<Cond>),
    /// `NOT a`.
    Not(Box<Cond>),
    /// `attribute_exists(path)`.
    Exists(Path),
    /// `attribute_not_exists(path)`.
    NotExists(Path),
    /// `attribute_type(path, :t)`.
    Type(Path, Operand),
    /// `begins_with(a, b)`.
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`.
    Contains(Operand, Operand),
}

/// One action of an update expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `SET path = value`.
    Set(Path, Operand),
    /// `REMOVE path`.
    Remove(Path),
    /// `ADD path :value`.
    Add(Path, AttrValue),
    /// `DELETE path :value`.
    Delete(Path, AttrValue),
}

/// Expression attribute names and values of one request, and which were
/// used (AWS rejects unused ones).
#[derive(Debug, Default)]
pub struct Attrs {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttrValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
    /// Whether the request sent the maps at all.
    pub names_given: bool,
    /// Whether the request sent values.
    pub values_given: bool,
}

impl Attrs {
    /// From the request's `ExpressionAttributeNames`/`Values` members.
    pub fn from_input(input: &serde_json::Value) -> Result<Attrs, AwsError> {
        let mut a = Attrs::default();
        if let Some(n) = input
            .get("ExpressionAttributeNames")
            .and_then(|v| v.as_object())
        {
            a.names_given = true;
            if n.is_empty() {
                return Err(validation("ExpressionAttributeNames must not be empty"));
            }
            for (k, v) in n {
                a.names
                    .insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        if let Some(v) = input
            .get("ExpressionAttributeValues")
            .and_then(|v| v.as_object())
        {
            a.values_given = true;
            if v.is_empty() {
                return Err(validation("ExpressionAttributeValues must not be empty"));
            }
            for (k, val) in v {
                if !k.starts_with(':') {
                    return Err(validation(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let parsed = AttrValue::from_json(val).map_err(|e| {
                    validation(format!(
                        "ExpressionAttributeValues contains invalid value: {} for key {k}",
                        e.message
                    ))
                })?;
                a.values.insert(k.clone(), parsed);
            }
        }
        for k in a.names.keys() {
            if !k.starts_with('#') {
                return Err(validation(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
        }
        Ok(a)
    }

    /// The check after every expression of the request was parsed: names
    /// and values given but never used are an error, as in AWS.
    pub fn check_unused(&self, any_expression: bool) -> Result<(), AwsError> {
        if !any_expression {
            if self.names_given {
                return Err(validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if self.values_given {
                return Err(validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
            return Ok(());
        }
        let unused_names: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused_names.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                join(&unused_names)
            )));
        }
        let unused: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                join(&unused)
            )));
        }
        Ok(())
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// Deepest nesting of parentheses and paths AWS accepts (and the parser's
/// guard against stack exhaustion).
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    kind: Kind,
    attrs: &'a mut Attrs,
    depth: usize,
}

type R<T> = Result<T, AwsError>;

impl<'a> Parser<'a> {
    fn new(src: &'a str, kind: Kind, attrs: &'a mut Attrs) -> R<Parser<'a>> {
        if src.trim().is_empty() {
            return Err(validation(format!(
                "Invalid {}: The expression can not be empty;",
                kind.name()
            )));
        }
        Ok(Parser {
            src,
            toks: lex(src),
            pos: 0,
            kind,
            attrs,
            depth: 0,
        })
    }

    fn err(&self, what: impl std::fmt::Display) -> AwsError {
        validation(format!("Invalid {}: {what}", self.kind.name()))
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// `Syntax error; token: "x", near: "a x b"` for the current token.
    fn syntax(&self) -> AwsError {
        let cur = &self.toks[self.pos];
        let from = if self.pos > 0 {
            self.toks[self.pos - 1].start
        } else {
            cur.start
        };
        let to = self
            .toks
            .get(self.pos + 1)
            .filter(|t| t.tok != Tok::Eof)
            .map_or(cur.end, |t| t.end);
        self.err(format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            cur.text(self.src),
            &self.src[from.min(to)..to]
        ))
    }

    fn expect(&mut self, t: Tok) -> R<()> {
        if *self.peek() == t {
            self.next();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression has too many levels of nesting"));
        }
        Ok(())
    }

    fn end(&self) -> R<()> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    // ---- paths and operands ----

    fn name(&mut self) -> R<String> {
        match self.peek().clone() {
            Tok::Ident(s) => {
                if is_keyword(&s) {
                    return Err(self.syntax());
                }
                if is_reserved(&s) {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {s}"
                    )));
                }
                self.next();
                Ok(s)
            }
            Tok::Name(n) => {
                let Some(v) = self.attrs.names.get(&n).cloned() else {
                    return Err(self.err(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {n}"
                    )));
                };
                self.attrs.used_names.insert(n);
                self.next();
                Ok(v)
            }
            _ => Err(self.syntax()),
        }
    }

    fn path(&mut self) -> R<Path> {
        let mut p = vec![Elem::Attr(self.name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    p.push(Elem::Attr(self.name()?));
                }
                Tok::LBracket => {
                    self.next();
                    let Tok::Int(n) = self.peek().clone() else {
                        return Err(self.syntax());
                    };
                    let idx = n.parse::<usize>().map_err(|_| self.syntax())?;
                    self.next();
                    self.expect(Tok::RBracket)?;
                    p.push(Elem::Index(idx));
                }
                _ => break,
            }
            if p.len() > MAX_DEPTH {
                return Err(self.err("The document path has too many nesting levels"));
            }
        }
        Ok(p)
    }

    fn value(&mut self) -> R<AttrValue> {
        let Tok::Value(v) = self.peek().clone() else {
            return Err(self.syntax());
        };
        let Some(val) = self.attrs.values.get(&v).cloned() else {
            return Err(self.err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            )));
        };
        self.attrs.used_values.insert(v);
        self.next();
        Ok(val)
    }

    /// A function name followed by `(`.
    fn function_name(&self) -> Option<String> {
        match (self.peek(), self.peek_at(1)) {
            (Tok::Ident(s), Tok::LParen) => Some(s.clone()),
            _ => None,
        }
    }

    fn args(&mut self, f: &str, update: bool) -> R<Vec<Operand>> {
        self.enter()?;
        self.expect(Tok::LParen)?;
        let mut out = vec![];
        if *self.peek() != Tok::RParen {
            loop {
                out.push(if update {
                    self.update_operand()?
                } else {
                    self.operand()?
                });
                if *self.peek() == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        self.expect(Tok::RParen)?;
        self.depth -= 1;
        let _ = f;
        Ok(out)
    }

    fn arity(&self, f: &str, args: &[Operand], n: usize) -> R<()> {
        if args.len() != n {
            return Err(self.err(format!(
                "Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {}",
                args.len()
            )));
        }
        Ok(())
    }

    fn path_arg(&self, f: &str, o: Operand) -> R<Path> {
        match o {
            Operand::Path(p) => Ok(p),
            _ => Err(self.err(format!(
                "Operator or function requires a document path; operator or function: {f}"
            ))),
        }
    }

    /// An operand of a condition: a path, a value, or `size(path)`.
    fn operand(&mut self) -> R<Operand> {
        if let Some(f) = self.function_name() {
            return match f.as_str() {
                "size" => {
                    self.next();
                    let mut a = self.args(&f, false)?;
                    self.arity(&f, &a, 1)?;
                    let p = self.path_arg(&f, a.remove(0))?;
                    Ok(Operand::Size(p))
                }
                "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with"
                | "contains" => Err(self.err(format!(
                    "The function is not allowed to be used this way in an expression; function: {f}"
                ))),
                "if_not_exists" | "list_append" => Err(self.err(format!(
                    "The function is not allowed in a condition expression; function: {f}"
                ))),
                _ => Err(self.err(format!("Invalid function name; function: {f}"))),
            };
        }
        match self.peek() {
            Tok::Value(_) => Ok(Operand::Value(self.value()?)),
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    // ---- conditions ----

    fn condition(&mut self) -> R<Cond> {
        self.enter()?;
        let mut left = self.and()?;
        while self.keyword("OR") {
            self.next();
            let right = self.and()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> R<Cond> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            self.next();
            let right = self.not()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> R<Cond> {
        if self.keyword("NOT") {
            self.next();
            self.enter()?;
            let c = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(c)));
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Cond> {
        if *self.peek() == Tok::LParen {
            self.next();
            let c = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        if let Some(f) = self.function_name() {
            if f != "size" {
                return self.bool_function(f);
            }
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Eq => Some(Cmp::Eq),
            Tok::Ne => Some(Cmp::Ne),
            Tok::Lt => Some(Cmp::Lt),
            Tok::Le => Some(Cmp::Le),
            Tok::Gt => Some(Cmp::Gt),
            Tok::Ge => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            let right = self.operand()?;
            return Ok(Cond::Compare(left, op, right));
        }
        if self.keyword("BETWEEN") {
            self.next();
            let lo = self.operand()?;
            if !self.keyword("AND") {
                return Err(self.syntax());
            }
            self.next();
            let hi = self.operand()?;
            if let (Operand::Value(a), Operand::Value(b)) = (&lo, &hi) {
                if a.type_name() == b.type_name()
                    && crate::expr::eval::compare(a, b) == Some(std::cmp::Ordering::Greater)
                {
                    return Err(self.err(format!(
                        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                        a.type_name(), show_scalar(a), b.type_name(), show_scalar(b)
                    )));
                }
            }
            return Ok(Cond::Between(left, lo, hi));
        }
        if self.keyword("IN") {
            self.next();
            self.expect(Tok::LParen)?;
            let mut list = vec![self.operand()?];
            while *self.peek() == Tok::Comma {
                self.next();
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen)?;
            if list.len() > 100 {
                return Err(self.err(
                    "The IN operator is provided with too many operands; number of operands: "
                        .to_string()
                        + &list.len().to_string(),
                ));
            }
            return Ok(Cond::In(left, list));
        }
        Err(self.syntax())
    }

    fn bool_function(&mut self, f: String) -> R<Cond> {
        self.next();
        let mut a = self.args(&f, false)?;
        match f.as_str() {
            "attribute_exists" | "attribute_not_exists" => {
                self.arity(&f, &a, 1)?;
                let p = self.path_arg(&f, a.remove(0))?;
                Ok(if f == "attribute_exists" {
                    Cond::Exists(p)
                } else {
                    Cond::NotExists(p)
                })
            }
            "attribute_type" => {
                self.arity(&f, &a, 2)?;
                let t = a.remove(1);
                let p = self.path_arg(&f, a.remove(0))?;
                if let Operand::Value(v) = &t {
                    let ok = matches!(v, AttrValue::S(s) if TYPES.contains(&s.as_str()));
                    if !ok {
                        return Err(self.err(format!(
                            "Invalid attribute type name found; type: {}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}",
                            show_scalar(v)
                        )));
                    }
                }
                Ok(Cond::Type(p, t))
            }
            "begins_with" | "contains" => {
                self.arity(&f, &a, 2)?;
                let b = a.remove(1);
                let x = a.remove(0);
                Ok(if f == "begins_with" {
                    Cond::BeginsWith(x, b)
                } else {
                    Cond::Contains(x, b)
                })
            }
            "if_not_exists" | "list_append" => Err(self.err(format!(
                "The function is not allowed in a condition expression; function: {f}"
            ))),
            _ => Err(self.err(format!("Invalid function name; function: {f}"))),
        }
    }

    // ---- updates ----

    fn update_operand(&mut self) -> R<Operand> {
        if let Some(f) = self.function_name() {
            self.next();
            return match f.as_str() {
                "if_not_exists" => {
                    let mut a = self.args(&f, true)?;
                    self.arity(&f, &a, 2)?;
                    let v = a.remove(1);
                    let p = self.path_arg(&f, a.remove(0))?;
                    Ok(Operand::IfNotExists(p, Box::new(v)))
                }
                "list_append" => {
                    let mut a = self.args(&f, true)?;
                    self.arity(&f, &a, 2)?;
                    let b = a.remove(1);
                    let x = a.remove(0);
                    Ok(Operand::ListAppend(Box::new(x), Box::new(b)))
                }
                "size"
                | "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains" => Err(self.err(format!(
                    "The function is not allowed in an update expression; function: {f}"
                ))),
                _ => Err(self.err(format!("Invalid function name; function: {f}"))),
            };
        }
        match self.peek() {
            Tok::Value(_) => Ok(Operand::Value(self.value()?)),
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    fn set_value(&mut self) -> R<Operand> {
        let left = self.update_operand()?;
        match self.peek() {
            Tok::Plus => {
                self.next();
                let right = self.update_operand()?;
                Ok(Operand::Plus(Box::new(left), Box::new(right)))
            }
            Tok::Minus => {
                self.next();
                let right = self.update_operand()?;
                Ok(Operand::Minus(Box::new(left), Box::new(right)))
            }
            _ => Ok(left),
        }
    }

    fn update(&mut self) -> R<Vec<Action>> {
        let mut actions = vec![];
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while *self.peek() != Tok::Eof {
            let Tok::Ident(word) = self.peek().clone() else {
                return Err(self.syntax());
            };
            let clause = word.to_ascii_uppercase();
            if !matches!(clause.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
                return Err(self.syntax());
            }
            if !seen.insert(clause.clone()) {
                return Err(self.err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            self.next();
            loop {
                let action = match clause.as_str() {
                    "SET" => {
                        let p = self.path()?;
                        self.expect(Tok::Eq)?;
                        Action::Set(p, self.set_value()?)
                    }
                    "REMOVE" => Action::Remove(self.path()?),
                    "ADD" => {
                        let p = self.path()?;
                        Action::Add(p, self.value()?)
                    }
                    _ => {
                        let p = self.path()?;
                        Action::Delete(p, self.value()?)
                    }
                };
                actions.push(action);
                if *self.peek() == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        Ok(actions)
    }
}

/// Type names `attribute_type` accepts.
const TYPES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

fn is_keyword(s: &str) -> bool {
    ["AND", "OR", "NOT", "BETWEEN", "IN"]
        .iter()
        .any(|k| s.eq_ignore_ascii_case(k))
}

fn show_scalar(v: &AttrValue) -> String {
    match v {
        AttrValue::S(s) => s.clone(),
        AttrValue::N(n) => n.to_string(),
        other => other.to_json().to_string(),
    }
}

/// Parses a condition (`ConditionExpression`, `FilterExpression`,
/// `KeyConditionExpression`).
pub fn parse_condition(src: &str, kind: Kind, attrs: &mut Attrs) -> R<Cond> {
    let mut p = Parser::new(src, kind, attrs)?;
    let c = p.condition()?;
    p.end()?;
    Ok(c)
}

/// Parses an `UpdateExpression` and checks its paths do not overlap.
pub fn parse_update(src: &str, attrs: &mut Attrs) -> R<Vec<Action>> {
    let mut p = Parser::new(src, Kind::Update, attrs)?;
    let actions = p.update()?;
    p.end()?;
    let paths: Vec<&Path> = actions
        .iter()
        .map(|a| match a {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => p,
        })
        .collect();
    check_overlap(&paths, Kind::Update)?;
    Ok(actions)
}

/// Parses a `ProjectionExpression`.
pub fn parse_projection(src: &str, attrs: &mut Attrs) -> R<Vec<Path>> {
    let mut p = Parser::new(src, Kind::Projection, attrs)?;
    let mut out = vec![p.path()?];
    while *p.peek() == Tok::Comma {
        p.next();
        out.push(p.path()?);
    }
    p.end()?;
    let refs: Vec<&Path> = out.iter().collect();
    check_overlap(&refs, Kind::Projection)?;
    Ok(out)
}

/// AWS's overlap rule: no path may equal or be a prefix of another.
fn check_overlap(paths: &[&Path], kind: Kind) -> R<()> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.len().min(b.len());
            if a[..n] == b[..n] {
                return Err(validation(format!(
                    "Invalid {}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    kind.name(),
                    show_path(a),
                    show_path(b)
                )));
            }
            // Same prefix but one indexes a list where the other names a
            // map key: the paths conflict.
            let common = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
            if common < n {
                let (x, y) = (&a[common], &b[common]);
                if std::mem::discriminant(x) != std::mem::discriminant(y) {
                    return Err(validation(format!(
                        "Invalid {}: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                        kind.name(),
                        show_path(a),
                        show_path(b)
                    )));
                }
            }
        }
    }
    Ok(())
}
