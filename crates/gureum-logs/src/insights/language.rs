//! The Logs Insights query language, pure (no I/O): [`Query::parse`]
//! validates a query (its error is `MalformedQueryException`'s message)
//! and [`Query::run`] (or [`Query::admit`] per record, then
//! [`Query::finish`]) evaluates it over records.
//!
//! A query is a pipeline of commands separated by `|`: `fields`,
//! `filter`, `stats` (`count(*)`, `count(f)`, `count_distinct`, `sum`,
//! `avg`, `min`, `max`, `pct`, `stddev`, `earliest`, `latest` … `by`
//! fields or `bin(5m)`), `sort … asc|desc`, `limit`, `parse` (a `*` glob
//! with `as` names, or a regex with named groups), `dedup` and `display`.
//! Expressions have `=`, `!=`, `<`, `<=`, `>`, `>=`, `like` (a `/regex/`
//! or a substring), `in [ … ]`, `and`, `or`, `not`, `+ - * /` and the
//! functions `bin`, `strlen`, `toupper`, `tolower`, `abs`, `floor`,
//! `ceil`, `concat`, `ispresent`, `isempty`, `isblank`, `coalesce`,
//! `strcontains`, `substr`, `replace`, `trim`, `ltrim`, `rtrim`,
//! `datefloor`, `fromMillis`.
//!
//! Records carry `@timestamp`, `@message`, `@logStream`, `@log`,
//! `@ingestionTime`, `@ptr`, and the fields of a JSON message flattened
//! with dots (`user.id`), as Insights discovers them.

use regex_automata::meta::Regex;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

/// A value in a record.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// Absent or null.
    Null,
    /// A number.
    Num(f64),
    /// Text.
    Str(String),
    /// A time, epoch milliseconds (`@timestamp`, `bin(…)`).
    Time(i64),
}

impl Val {
    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Time(t) => Some(*t as f64),
            Val::Str(s) => s.trim().parse().ok(),
            Val::Null => None,
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Num(n) => *n != 0.0,
            Val::Str(s) => !s.is_empty() && s != "false",
            Val::Time(_) => true,
        }
    }

    /// The text Insights shows.
    pub fn render(&self) -> Option<String> {
        match self {
            Val::Null => None,
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
            Val::Num(n) => Some(n.to_string()),
            Val::Str(s) => Some(s.clone()),
            Val::Time(t) => Some(format_time(*t)),
        }
    }

    pub(crate) fn cmp_to(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Null, _) | (_, Val::Null) => None,
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (a, b) => match (a.num(), b.num()) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => Some(a.render().cmp(&b.render())),
            },
        }
    }
}

/// `2024-05-01 12:00:00.000`, as Insights prints times.
pub fn format_time(ms: i64) -> String {
    let iso = gureum_core::timestamp::format_iso8601(ms);
    iso.trim_end_matches('Z').replacen('T', " ", 1)
}

/// A record: field name → value.
pub type Record = BTreeMap<String, Val>;

/// An expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A field reference.
    Field(String),
    /// A literal.
    Lit(Val),
    /// A `/regex/` literal.
    Regex(String),
    /// A duration literal (`5m`), milliseconds.
    Duration(i64),
    /// `*` (in `count(*)`).
    Star,
    /// A binary operation.
    Binary(Box<Expr>, String, Box<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `e in [ … ]`.
    In(Box<Expr>, Vec<Expr>),
    /// A function call (lower-case name).
    Call(String, Vec<Expr>),
}

/// One output column: an expression and its name.
#[derive(Clone, Debug)]
pub struct Named {
    /// The expression.
    pub expr: Expr,
    /// The column's name (the alias, or the expression's text).
    pub name: String,
}

/// One command of a query.
#[derive(Clone, Debug)]
pub enum Command {
    /// `fields`.
    Fields(Vec<Named>),
    /// `display`.
    Display(Vec<String>),
    /// `filter`.
    Filter(Expr),
    /// `stats … by …`.
    Stats(Vec<Named>, Vec<Named>),
    /// `sort`: expressions, each descending or not.
    Sort(Vec<(Expr, bool)>),
    /// `limit`.
    Limit(usize),
    /// `parse field "glob" as a, b` or `parse field /regex/`.
    Parse(Expr, Regex, Vec<String>),
    /// `dedup`.
    Dedup(Vec<String>),
}

/// A parsed query.
#[derive(Clone, Debug)]
pub struct Query {
    /// The commands, in order.
    pub commands: Vec<Command>,
}

/// What a query produced.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// Rows of `(field, value)`.
    pub rows: Vec<Vec<(String, String)>>,
    /// Records that passed the filters.
    pub matched: u64,
    /// Records read.
    pub scanned: u64,
    /// Bytes read.
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    /// A duration: milliseconds, or minus a number of calendar months
    /// (`mo`, `q`, `y` units), and the text as written.
    Dur(i64, String),
    Regex(String),
    Sym(String),
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let b: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let prev_is_value = |out: &Vec<Tok>| {
        let keyword = matches!(out.last(), Some(Tok::Ident(k))
            if ["like", "and", "or", "not", "in", "filter"].contains(&k.to_ascii_lowercase().as_str()));
        let after_parse_field = out.len() >= 2
            && matches!(&out[out.len() - 2], Tok::Ident(k) if k.eq_ignore_ascii_case("parse"));
        if keyword || after_parse_field {
            return false;
        }
        matches!(
            out.last(),
            Some(Tok::Ident(_) | Tok::Str(_) | Tok::Num(_) | Tok::Dur(..) | Tok::Regex(_))
        ) || matches!(out.last(), Some(Tok::Sym(s)) if s == ")" || s == "]")
    };
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            i += 1;
            while i < b.len() && b[i] != c {
                if b[i] == '\\' && i + 1 < b.len() {
                    i += 1;
                }
                s.push(b[i]);
                i += 1;
            }
            if i >= b.len() {
                return Err("unterminated string".into());
            }
            i += 1;
            out.push(Tok::Str(s));
        } else if c == '`' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != '`' {
                i += 1;
            }
            if i >= b.len() {
                return Err("unterminated `".into());
            }
            out.push(Tok::Ident(b[start..i].iter().collect()));
            i += 1;
        } else if c == '/' && !prev_is_value(&out) {
            let mut s = String::new();
            i += 1;
            while i < b.len() && b[i] != '/' {
                if b[i] == '\\' && i + 1 < b.len() && b[i + 1] == '/' {
                    i += 1;
                }
                s.push(b[i]);
                i += 1;
            }
            if i >= b.len() {
                return Err("unterminated regex".into());
            }
            i += 1;
            out.push(Tok::Regex(s));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.') {
                i += 1;
            }
            let n: f64 = b[start..i]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| "bad number".to_string())?;
            let ustart = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit: String = b[ustart..i].iter().collect();
            if unit.is_empty() {
                out.push(Tok::Num(n));
            } else {
                // The units of Insights' `bin`, each also with an `s`.
                let singular = unit
                    .strip_suffix('s')
                    .filter(|u| !u.is_empty() && *u != "m");
                let name = match unit.as_str() {
                    "ms" | "s" => unit.as_str(),
                    _ => singular.unwrap_or(unit.as_str()),
                };
                let ms = match name {
                    "ms" | "msec" | "millisecond" => 1.0,
                    "s" | "sec" | "second" => 1000.0,
                    "m" | "min" | "minute" => 60_000.0,
                    "h" | "hr" | "hour" => 3_600_000.0,
                    "d" | "day" => 86_400_000.0,
                    "w" | "week" => 604_800_000.0,
                    "mo" | "mon" | "month" => -1.0,
                    "q" | "qtr" | "quarter" => -3.0,
                    "y" | "yr" | "year" => -12.0,
                    _ => return Err(format!("unknown time unit {unit}")),
                };
                let text: String = b[start..i].iter().collect();
                out.push(Tok::Dur((n * ms) as i64, text));
            }
        } else if c.is_alphanumeric() || c == '@' || c == '_' || c == '$' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || "@_.$".contains(b[i])) {
                i += 1;
            }
            out.push(Tok::Ident(b[start..i].iter().collect()));
        } else {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            if ["!=", "<=", ">=", "=="].contains(&two.as_str()) {
                out.push(Tok::Sym(if two == "==" { "=".into() } else { two }));
                i += 2;
            } else if "=<>()[],|+-*/%".contains(c) {
                out.push(Tok::Sym(c.to_string()));
                i += 1;
            } else {
                return Err(format!("unexpected character {c}"));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if x == s)
    }
    fn is_kw(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x.eq_ignore_ascii_case(k))
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        let yes = self.is_sym(s);
        if yes {
            self.at += 1;
        }
        yes
    }
    fn eat_kw(&mut self, k: &str) -> bool {
        let yes = self.is_kw(k);
        if yes {
            self.at += 1;
        }
        yes
    }
    fn end_of_command(&self) -> bool {
        self.peek().is_none() || self.is_sym("|")
    }
    fn expect_sym(&mut self, s: &str) -> Result<(), String> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(format!("expected {s}"))
        }
    }
    fn ident(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Ident(s)) => Ok(s),
            other => Err(format!("expected a field name, found {other:?}")),
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_kw("or") {
            let right = self.and()?;
            left = Expr::Binary(Box::new(left), "or".into(), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.eat_kw("and") {
            let right = self.not()?;
            left = Expr::Binary(Box::new(left), "and".into(), Box::new(right));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Expr, String> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, String> {
        let left = self.add()?;
        for op in ["=", "!=", "<", "<=", ">", ">="] {
            if self.eat_sym(op) {
                let right = self.add()?;
                return Ok(Expr::Binary(Box::new(left), op.into(), Box::new(right)));
            }
        }
        let negated = if self.is_kw("not")
            && matches!(self.toks.get(self.at + 1), Some(Tok::Ident(k)) if k.eq_ignore_ascii_case("like") || k.eq_ignore_ascii_case("in"))
        {
            self.at += 1;
            true
        } else {
            false
        };
        let e = if self.eat_kw("like") || self.eat_sym("=~") {
            let right = self.add()?;
            Expr::Binary(Box::new(left), "like".into(), Box::new(right))
        } else if self.eat_kw("in") {
            self.expect_sym("[")?;
            let mut items = Vec::new();
            if !self.is_sym("]") {
                loop {
                    items.push(self.add()?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            self.expect_sym("]")?;
            Expr::In(Box::new(left), items)
        } else {
            if negated {
                return Err("expected like or in after not".into());
            }
            return Ok(left);
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }
    fn add(&mut self) -> Result<Expr, String> {
        let mut left = self.mul()?;
        loop {
            let op = if self.eat_sym("+") {
                "+"
            } else if self.eat_sym("-") {
                "-"
            } else {
                return Ok(left);
            };
            let right = self.mul()?;
            left = Expr::Binary(Box::new(left), op.into(), Box::new(right));
        }
    }
    fn mul(&mut self) -> Result<Expr, String> {
        let mut left = self.primary()?;
        loop {
            let op = if self.eat_sym("*") {
                "*"
            } else if self.eat_sym("/") {
                "/"
            } else if self.eat_sym("%") {
                "%"
            } else {
                return Ok(left);
            };
            let right = self.primary()?;
            left = Expr::Binary(Box::new(left), op.into(), Box::new(right));
        }
    }
    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Lit(Val::Num(n))),
            Some(Tok::Dur(d, _)) => Ok(Expr::Duration(d)),
            Some(Tok::Str(s)) => Ok(Expr::Lit(Val::Str(s))),
            Some(Tok::Regex(r)) => {
                Regex::new(&r).map_err(|e| format!("bad regex: {e}"))?;
                Ok(Expr::Regex(r))
            }
            Some(Tok::Sym(s)) if s == "(" => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Some(Tok::Sym(s)) if s == "*" => Ok(Expr::Star),
            Some(Tok::Sym(s)) if s == "-" => match self.primary()? {
                Expr::Lit(Val::Num(n)) => Ok(Expr::Lit(Val::Num(-n))),
                e => Ok(Expr::Binary(
                    Box::new(Expr::Lit(Val::Num(0.0))),
                    "-".into(),
                    Box::new(e),
                )),
            },
            Some(Tok::Ident(name)) => {
                if self.eat_sym("(") {
                    let mut args = Vec::new();
                    if !self.is_sym(")") {
                        loop {
                            args.push(self.expr()?);
                            if !self.eat_sym(",") {
                                break;
                            }
                        }
                    }
                    self.expect_sym(")")?;
                    let f = name.to_ascii_lowercase();
                    if !FUNCTIONS.contains(&f.as_str()) && !AGGREGATES.contains(&f.as_str()) {
                        return Err(format!("unknown function {name}"));
                    }
                    Ok(Expr::Call(f, args))
                } else if name.eq_ignore_ascii_case("true") {
                    Ok(Expr::Lit(Val::Num(1.0)))
                } else if name.eq_ignore_ascii_case("false") {
                    Ok(Expr::Lit(Val::Num(0.0)))
                } else {
                    Ok(Expr::Field(name))
                }
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }
    /// `expr [as name]`, named by its source text when no alias.
    fn named(&mut self) -> Result<Named, String> {
        let start = self.at;
        let expr = self.expr()?;
        let name = if self.eat_kw("as") {
            self.ident()?
        } else {
            render_tokens(&self.toks[start..self.at])
        };
        Ok(Named { expr, name })
    }
    fn named_list(&mut self, stop_at_by: bool) -> Result<Vec<Named>, String> {
        let mut out = Vec::new();
        loop {
            out.push(self.named()?);
            if !self.eat_sym(",") {
                break;
            }
        }
        if !stop_at_by && !self.end_of_command() {
            return Err("unexpected text after the list".into());
        }
        Ok(out)
    }
}

const FUNCTIONS: [&str; 20] = [
    "bin",
    "strlen",
    "toupper",
    "tolower",
    "abs",
    "floor",
    "ceil",
    "concat",
    "ispresent",
    "isempty",
    "isblank",
    "coalesce",
    "strcontains",
    "substr",
    "replace",
    "trim",
    "ltrim",
    "rtrim",
    "datefloor",
    "frommillis",
];
const AGGREGATES: [&str; 10] = [
    "count",
    "count_distinct",
    "sum",
    "avg",
    "min",
    "max",
    "pct",
    "stddev",
    "earliest",
    "latest",
];

/// The source text of tokens, as Insights names unaliased columns.
fn render_tokens(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        let piece = match t {
            Tok::Ident(x) => x.clone(),
            Tok::Str(x) => format!("\"{x}\""),
            Tok::Num(n) => Val::Num(*n).render().unwrap_or_default(),
            Tok::Dur(_, text) => text.clone(),
            Tok::Regex(r) => format!("/{r}/"),
            Tok::Sym(x) => x.clone(),
        };
        let glue = i > 0
            && !matches!(t, Tok::Sym(x) if x == "(" || x == ")" || x == ",")
            && !matches!(&toks[i - 1], Tok::Sym(x) if x == "(");
        if glue {
            s.push(' ');
        }
        s.push_str(&piece);
        if matches!(t, Tok::Sym(x) if x == ",") {
            s.push(' ');
        }
    }
    s.replace("  ", " ")
}

/// Turns a `parse` glob (`"* [*] *"`) into a regex with one group per `*`.
fn glob_regex(glob: &str) -> String {
    let mut out = String::new();
    for (i, piece) in glob.split('*').enumerate() {
        if i > 0 {
            out.push_str("(.*?)");
        }
        out.push_str(&regex_escape(piece));
    }
    // A trailing `*` takes the rest.
    if glob.ends_with('*') {
        out.truncate(out.len() - "(.*?)".len());
        out.push_str("(.*)");
    }
    out
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn named_groups(re: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = re;
    while let Some(i) = rest.find("(?<") {
        let after = &rest[i + 3..];
        if let Some(end) = after.find('>') {
            out.push(after[..end].to_string());
            rest = &after[end..];
        } else {
            break;
        }
    }
    out
}

impl Query {
    /// Parses a query.
    pub fn parse(text: &str) -> Result<Query, String> {
        let toks = lex(text)?;
        let mut p = Parser { toks, at: 0 };
        let mut commands = Vec::new();
        while p.peek().is_some() {
            let cmd = p.ident()?.to_ascii_lowercase();
            let c = match cmd.as_str() {
                "fields" => Command::Fields(p.named_list(false)?),
                "display" => {
                    let mut names = Vec::new();
                    loop {
                        names.push(p.ident()?);
                        if !p.eat_sym(",") {
                            break;
                        }
                    }
                    Command::Display(names)
                }
                "filter" => Command::Filter(p.expr()?),
                "stats" => {
                    let aggs = p.named_list(true)?;
                    for a in &aggs {
                        if !has_aggregate(&a.expr) {
                            return Err(format!("{} is not an aggregation", a.name));
                        }
                    }
                    let by = if p.eat_kw("by") {
                        p.named_list(false)?
                    } else {
                        Vec::new()
                    };
                    Command::Stats(aggs, by)
                }
                "sort" => {
                    let mut keys = Vec::new();
                    loop {
                        let e = p.expr()?;
                        let desc = if p.eat_kw("desc") {
                            true
                        } else {
                            p.eat_kw("asc");
                            false
                        };
                        keys.push((e, desc));
                        if !p.eat_sym(",") {
                            break;
                        }
                    }
                    Command::Sort(keys)
                }
                "limit" => match p.next() {
                    Some(Tok::Num(n)) if n >= 1.0 => Command::Limit(n as usize),
                    _ => return Err("limit takes a positive number".into()),
                },
                "parse" => {
                    let field = p.expr()?;
                    match p.next() {
                        Some(Tok::Str(glob)) => {
                            if !p.eat_kw("as") {
                                return Err("parse with a pattern needs as".into());
                            }
                            let mut names = Vec::new();
                            loop {
                                names.push(p.ident()?);
                                if !p.eat_sym(",") {
                                    break;
                                }
                            }
                            if names.len() != glob.matches('*').count() {
                                return Err("parse: as many names as * are needed".into());
                            }
                            let re = Regex::new(&glob_regex(&glob)).map_err(|e| e.to_string())?;
                            Command::Parse(field, re, names)
                        }
                        Some(Tok::Regex(r)) => {
                            let names = named_groups(&r);
                            let re = Regex::new(&r).map_err(|e| e.to_string())?;
                            Command::Parse(field, re, names)
                        }
                        _ => return Err("parse needs a pattern".into()),
                    }
                }
                "dedup" => {
                    let mut names = Vec::new();
                    loop {
                        names.push(p.ident()?);
                        if !p.eat_sym(",") {
                            break;
                        }
                    }
                    Command::Dedup(names)
                }
                other => return Err(format!("unknown command {other}")),
            };
            if !p.end_of_command() {
                return Err(format!("unexpected text after {cmd}"));
            }
            p.eat_sym("|");
            commands.push(c);
        }
        if commands.is_empty() {
            return Err("empty query".into());
        }
        Ok(Query { commands })
    }

    /// How many leading commands act on one record at a time (`fields`,
    /// `filter`, `parse`, `display`): they run while events are read, so
    /// only the records that pass are kept.
    pub(crate) fn per_record_prefix(&self) -> usize {
        self.commands
            .iter()
            .position(|c| {
                matches!(
                    c,
                    Command::Stats(..) | Command::Sort(_) | Command::Limit(_) | Command::Dedup(_)
                )
            })
            .unwrap_or(self.commands.len())
    }

    /// Runs the per-record commands on `r`; `false` when a filter drops it.
    pub fn admit(&self, r: &mut Record) -> bool {
        for c in &self.commands[..self.per_record_prefix()] {
            match c {
                Command::Fields(list) => {
                    for n in list {
                        let v = eval(&n.expr, r);
                        r.insert(n.name.clone(), v);
                    }
                }
                Command::Filter(e) if !eval(e, r).truthy() => return false,
                Command::Parse(field, re, names) => parse_into(r, field, re, names),
                _ => {}
            }
        }
        true
    }

    /// The fields the query reads or shows, so records can be built with
    /// only those.
    pub fn needed_fields(&self) -> HashSet<String> {
        let mut out: HashSet<String> = ["@timestamp", "@ptr"].map(String::from).into();
        let mut shows_defaults = true;
        for c in &self.commands {
            match c {
                Command::Fields(list) => {
                    shows_defaults = false;
                    list.iter().for_each(|n| fields_in(&n.expr, &mut out));
                }
                Command::Display(names) => {
                    shows_defaults = false;
                    out.extend(names.iter().cloned());
                }
                Command::Filter(e) => fields_in(e, &mut out),
                Command::Stats(aggs, by) => {
                    shows_defaults = false;
                    aggs.iter()
                        .chain(by)
                        .for_each(|n| fields_in(&n.expr, &mut out));
                }
                Command::Sort(keys) => keys.iter().for_each(|(e, _)| fields_in(e, &mut out)),
                Command::Parse(field, _, _) => fields_in(field, &mut out),
                Command::Dedup(names) => out.extend(names.iter().cloned()),
                Command::Limit(_) => {}
            }
        }
        if shows_defaults {
            out.insert("@message".into());
        }
        // Aggregated rows carry no pointer.
        if self
            .commands
            .iter()
            .any(|c| matches!(c, Command::Stats(..)))
        {
            out.remove("@ptr");
        }
        out
    }

    /// Runs the query over `records` (read in time order), keeping at most
    /// `limit` rows.
    pub fn run(&self, records: Vec<Record>, limit: usize) -> Outcome {
        let scanned = records.len() as u64;
        let bytes = records
            .iter()
            .map(|r| match r.get("@message") {
                Some(Val::Str(m)) => m.len() as u64,
                _ => 0,
            })
            .sum();
        let kept = records
            .into_iter()
            .filter_map(|mut r| self.admit(&mut r).then_some(r))
            .collect();
        self.finish(kept, scanned, bytes, limit)
    }

    /// Runs the rest of the query over the records [`Query::admit`] kept.
    pub fn finish(&self, kept: Vec<Record>, scanned: u64, bytes: u64, limit: usize) -> Outcome {
        let prefix = self.per_record_prefix();
        let mut rows = kept;
        let mut columns: Option<Vec<String>> = None;
        let mut display: Option<Vec<String>> = None;
        let mut aggregated = false;
        // Records that passed the query's filters, whatever a limit keeps.
        let mut matched = rows.len() as u64;
        for (i, c) in self.commands.iter().enumerate() {
            let done = i < prefix;
            match c {
                Command::Fields(list) => {
                    if !done {
                        for r in rows.iter_mut() {
                            for n in list {
                                let v = eval(&n.expr, r);
                                r.insert(n.name.clone(), v);
                            }
                        }
                    }
                    columns
                        .get_or_insert_with(Vec::new)
                        .extend(list.iter().map(|n| n.name.clone()));
                }
                Command::Display(names) => display = Some(names.clone()),
                Command::Filter(e) => {
                    if !done {
                        rows.retain(|r| eval(e, r).truthy());
                    }
                }
                Command::Parse(field, re, names) => {
                    if !done {
                        for r in rows.iter_mut() {
                            parse_into(r, field, re, names);
                        }
                    }
                }
                Command::Stats(aggs, by) => {
                    matched = rows.len() as u64;
                    rows = stats(&rows, aggs, by);
                    columns = Some(
                        by.iter()
                            .map(|n| n.name.clone())
                            .chain(aggs.iter().map(|n| n.name.clone()))
                            .collect(),
                    );
                    aggregated = true;
                }
                Command::Sort(keys) => rows.sort_by(|a, b| {
                    for (e, desc) in keys {
                        let o = eval(e, a).cmp_to(&eval(e, b)).unwrap_or_else(|| {
                            match (eval(e, a), eval(e, b)) {
                                (Val::Null, Val::Null) => Ordering::Equal,
                                (Val::Null, _) => Ordering::Greater,
                                _ => Ordering::Less,
                            }
                        });
                        let o = if *desc { o.reverse() } else { o };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    Ordering::Equal
                }),
                Command::Limit(n) => rows.truncate(*n),
                Command::Dedup(names) => {
                    let mut seen = HashSet::new();
                    rows.retain(|r| {
                        let key: Vec<Option<String>> = names
                            .iter()
                            .map(|n| r.get(n).and_then(Val::render))
                            .collect();
                        seen.insert(key)
                    });
                }
            }
        }
        rows.truncate(limit);
        let shown = display
            .or(columns)
            .unwrap_or_else(|| vec!["@timestamp".to_string(), "@message".to_string()]);
        let out_rows = rows
            .iter()
            .map(|r| {
                let mut row: Vec<(String, String)> = shown
                    .iter()
                    .filter_map(|n| r.get(n).and_then(Val::render).map(|v| (n.clone(), v)))
                    .collect();
                if !aggregated {
                    if let Some(Val::Str(p)) = r.get("@ptr") {
                        row.push(("@ptr".to_string(), p.clone()));
                    }
                }
                row
            })
            .collect();
        Outcome {
            rows: out_rows,
            matched,
            scanned,
            bytes,
        }
    }
}

/// `parse`: sets `names` from the captures of `re` over `field`.
fn parse_into(r: &mut Record, field: &Expr, re: &Regex, names: &[String]) {
    let text = eval(field, r).render().unwrap_or_default();
    let mut caps = re.create_captures();
    re.captures(text.as_str(), &mut caps);
    if !caps.is_match() {
        return;
    }
    for (i, n) in names.iter().enumerate() {
        let span = caps.get_group_by_name(n).or_else(|| caps.get_group(i + 1));
        if let Some(s) = span {
            r.insert(n.clone(), Val::Str(text[s.range()].to_string()));
        }
    }
}

/// Adds the field names `e` reads to `out`.
fn fields_in(e: &Expr, out: &mut HashSet<String>) {
    match e {
        Expr::Field(n) => {
            out.insert(n.clone());
        }
        Expr::Binary(a, _, b) => {
            fields_in(a, out);
            fields_in(b, out);
        }
        Expr::Not(a) => fields_in(a, out),
        Expr::In(a, items) => {
            fields_in(a, out);
            items.iter().for_each(|i| fields_in(i, out));
        }
        Expr::Call(_, args) => args.iter().for_each(|a| fields_in(a, out)),
        Expr::Lit(_) | Expr::Regex(_) | Expr::Duration(_) | Expr::Star => {}
    }
}

fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Call(f, args) => AGGREGATES.contains(&f.as_str()) || args.iter().any(has_aggregate),
        Expr::Binary(a, _, b) => has_aggregate(a) || has_aggregate(b),
        Expr::Not(a) => has_aggregate(a),
        _ => false,
    }
}

pub(crate) fn field_of(r: &Record, name: &str) -> Val {
    r.get(name).cloned().unwrap_or(Val::Null)
}

/// `t` rounded down to a multiple of `size` milliseconds, or, for a
/// negative `size`, to the start of its `-size`-month period (calendar
/// months, quarters and years, UTC).
fn floor_time(t: i64, size: i64) -> i64 {
    if size >= 0 {
        let size = size.max(1);
        return t - t.rem_euclid(size);
    }
    let months = -size;
    let (y, m, _) = gureum_core::timestamp::civil_from_days(t.div_euclid(86_400_000));
    let index = y * 12 + i64::from(m) - 1;
    let start = index - index.rem_euclid(months);
    let (y, m) = (start.div_euclid(12), (start.rem_euclid(12) + 1) as u32);
    gureum_core::timestamp::days_from_civil(y, m, 1) * 86_400_000
}

/// Evaluates `e` over one record (aggregates evaluate as their argument).
pub fn eval(e: &Expr, r: &Record) -> Val {
    match e {
        Expr::Field(n) => field_of(r, n),
        Expr::Lit(v) => v.clone(),
        Expr::Regex(s) => Val::Str(s.clone()),
        Expr::Duration(d) => Val::Num(*d as f64),
        Expr::Star => Val::Num(1.0),
        Expr::Not(a) => Val::Num(if eval(a, r).truthy() { 0.0 } else { 1.0 }),
        Expr::In(a, items) => {
            let v = eval(a, r);
            let hit = items
                .iter()
                .any(|i| v.cmp_to(&eval(i, r)) == Some(Ordering::Equal));
            Val::Num(if hit { 1.0 } else { 0.0 })
        }
        Expr::Binary(a, op, b) => {
            let bool_val = |x: bool| Val::Num(if x { 1.0 } else { 0.0 });
            match op.as_str() {
                "and" => bool_val(eval(a, r).truthy() && eval(b, r).truthy()),
                "or" => bool_val(eval(a, r).truthy() || eval(b, r).truthy()),
                "like" => {
                    let text = eval(a, r).render().unwrap_or_default();
                    let hit = match &**b {
                        Expr::Regex(re) => Regex::new(re).is_ok_and(|re| re.is_match(&text)),
                        other => text.contains(&eval(other, r).render().unwrap_or_default()),
                    };
                    bool_val(hit)
                }
                "=" | "!=" | "<" | "<=" | ">" | ">=" => {
                    let (x, y) = (eval(a, r), eval(b, r));
                    let o = x.cmp_to(&y);
                    bool_val(match op.as_str() {
                        "=" => o == Some(Ordering::Equal),
                        "!=" => o.is_some_and(|o| o != Ordering::Equal),
                        "<" => o == Some(Ordering::Less),
                        "<=" => matches!(o, Some(Ordering::Less | Ordering::Equal)),
                        ">" => o == Some(Ordering::Greater),
                        _ => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
                    })
                }
                arith => match (eval(a, r).num(), eval(b, r).num()) {
                    (Some(x), Some(y)) => Val::Num(match arith {
                        "+" => x + y,
                        "-" => x - y,
                        "*" => x * y,
                        "/" if y != 0.0 => x / y,
                        "%" if y != 0.0 => x % y,
                        _ => return Val::Null,
                    }),
                    _ => Val::Null,
                },
            }
        }
        Expr::Call(f, args) => {
            let arg = |i: usize| args.get(i).map(|a| eval(a, r)).unwrap_or(Val::Null);
            match f.as_str() {
                "bin" => match field_of(r, "@timestamp") {
                    Val::Time(t) => {
                        Val::Time(floor_time(t, arg(0).num().unwrap_or(60_000.0) as i64))
                    }
                    _ => Val::Null,
                },
                "strlen" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Num(s.chars().count() as f64)),
                "toupper" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Str(s.to_uppercase())),
                "tolower" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Str(s.to_lowercase())),
                "abs" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.abs())),
                "floor" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.floor())),
                "ceil" => arg(0).num().map_or(Val::Null, |n| Val::Num(n.ceil())),
                "concat" => Val::Str(
                    (0..args.len())
                        .filter_map(|i| arg(i).render())
                        .collect::<String>(),
                ),
                "ispresent" => Val::Num(if arg(0) == Val::Null { 0.0 } else { 1.0 }),
                "isempty" => Val::Num(match arg(0) {
                    Val::Null => 1.0,
                    v => f64::from(v.render().is_none_or(|s| s.is_empty())),
                }),
                "isblank" => Val::Num(match arg(0) {
                    Val::Null => 1.0,
                    v => f64::from(v.render().is_none_or(|s| s.trim().is_empty())),
                }),
                "coalesce" => (0..args.len())
                    .map(arg)
                    .find(|v| *v != Val::Null)
                    .unwrap_or(Val::Null),
                "strcontains" => match (arg(0).render(), arg(1).render()) {
                    (Some(a), Some(b)) => Val::Num(f64::from(a.contains(&b))),
                    _ => Val::Null,
                },
                "substr" => match (arg(0).render(), arg(1).num()) {
                    (Some(text), Some(start)) => {
                        let chars: Vec<char> = text.chars().collect();
                        let from = (start.max(0.0) as usize).min(chars.len());
                        let len = arg(2).num().map_or(chars.len(), |l| l.max(0.0) as usize);
                        Val::Str(chars[from..(from + len).min(chars.len())].iter().collect())
                    }
                    _ => Val::Null,
                },
                "replace" => match (arg(0).render(), arg(1).render(), arg(2).render()) {
                    (Some(t), Some(from), Some(to)) if !from.is_empty() => {
                        Val::Str(t.replace(&from, &to))
                    }
                    (Some(t), _, _) => Val::Str(t),
                    _ => Val::Null,
                },
                "trim" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Str(s.trim().into())),
                "ltrim" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Str(s.trim_start().into())),
                "rtrim" => arg(0)
                    .render()
                    .map_or(Val::Null, |s| Val::Str(s.trim_end().into())),
                "datefloor" => match (arg(0), arg(1).num()) {
                    (Val::Time(t), Some(size)) => Val::Time(floor_time(t, size as i64)),
                    _ => Val::Null,
                },
                "frommillis" => arg(0).num().map_or(Val::Null, |n| Val::Time(n as i64)),
                // An aggregate over one record: its argument.
                _ => arg(0),
            }
        }
    }
}

/// Evaluates an aggregate expression over a group of records.
fn aggregate(e: &Expr, group: &[&Record]) -> Val {
    match e {
        Expr::Call(f, args) if AGGREGATES.contains(&f.as_str()) => {
            let arg = args.first().cloned().unwrap_or(Expr::Star);
            let values: Vec<Val> = group
                .iter()
                .map(|r| eval(&arg, r))
                .filter(|v| *v != Val::Null)
                .collect();
            let nums: Vec<f64> = values.iter().filter_map(Val::num).collect();
            match f.as_str() {
                "count" => Val::Num(values.len() as f64),
                "count_distinct" => Val::Num(
                    values
                        .iter()
                        .filter_map(Val::render)
                        .collect::<HashSet<_>>()
                        .len() as f64,
                ),
                "sum" => Val::Num(nums.iter().sum()),
                "pct" => {
                    let p = args.get(1).and_then(|a| eval(a, &Record::new()).num());
                    let mut sorted = nums.clone();
                    sorted.sort_by(f64::total_cmp);
                    match (p, sorted.is_empty()) {
                        (Some(p), false) => {
                            // Nearest rank.
                            let rank = ((p.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil();
                            Val::Num(sorted[(rank as usize).clamp(1, sorted.len()) - 1])
                        }
                        _ => Val::Null,
                    }
                }
                "stddev" if nums.len() > 1 => {
                    let mean = nums.iter().sum::<f64>() / nums.len() as f64;
                    let var = nums.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                        / (nums.len() - 1) as f64;
                    Val::Num(var.sqrt())
                }
                "earliest" | "latest" => {
                    let time = |r: &&&Record| match field_of(r, "@timestamp") {
                        Val::Time(t) => t,
                        _ => 0,
                    };
                    let present = group.iter().filter(|r| eval(&arg, r) != Val::Null);
                    let pick = if f == "earliest" {
                        present.min_by_key(time)
                    } else {
                        present.max_by_key(time)
                    };
                    pick.map_or(Val::Null, |r| eval(&arg, r))
                }
                "avg" if !nums.is_empty() => Val::Num(nums.iter().sum::<f64>() / nums.len() as f64),
                "min" => nums
                    .iter()
                    .copied()
                    .reduce(f64::min)
                    .map_or(Val::Null, Val::Num),
                "max" => nums
                    .iter()
                    .copied()
                    .reduce(f64::max)
                    .map_or(Val::Null, Val::Num),
                _ => Val::Null,
            }
        }
        Expr::Binary(a, op, b) => {
            let (x, y) = (aggregate(a, group).num(), aggregate(b, group).num());
            match (x, y) {
                (Some(x), Some(y)) => Val::Num(match op.as_str() {
                    "+" => x + y,
                    "-" => x - y,
                    "*" => x * y,
                    "/" if y != 0.0 => x / y,
                    _ => return Val::Null,
                }),
                _ => Val::Null,
            }
        }
        other => group.first().map_or(Val::Null, |r| eval(other, r)),
    }
}

/// A `by` value as a hashable key: numbers and times by value (no text
/// formatting per record), text as itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum GroupKey {
    Null,
    Number(u64),
    Time(i64),
    Text(String),
}

impl GroupKey {
    fn of(v: &Val) -> GroupKey {
        match v {
            Val::Null => GroupKey::Null,
            Val::Num(n) => GroupKey::Number(n.to_bits()),
            Val::Time(t) => GroupKey::Time(*t),
            Val::Str(s) => GroupKey::Text(s.clone()),
        }
    }
}

fn stats(rows: &[Record], aggs: &[Named], by: &[Named]) -> Vec<Record> {
    // Groups in order of their keys (times and numbers by value).
    let mut groups: Vec<(Vec<Val>, Vec<&Record>)> = Vec::new();
    let mut index: std::collections::HashMap<Vec<GroupKey>, usize> = Default::default();
    for r in rows {
        let key: Vec<Val> = by.iter().map(|n| eval(&n.expr, r)).collect();
        let k: Vec<GroupKey> = key.iter().map(GroupKey::of).collect();
        match index.get(&k) {
            Some(&i) => groups[i].1.push(r),
            None => {
                index.insert(k, groups.len());
                groups.push((key, vec![r]));
            }
        }
    }
    if by.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), Vec::new()));
    }
    groups.sort_by(|a, b| {
        for (x, y) in a.0.iter().zip(&b.0) {
            match x.cmp_to(y) {
                Some(Ordering::Equal) | None => continue,
                Some(o) => return o,
            }
        }
        Ordering::Equal
    });
    groups
        .into_iter()
        .map(|(key, members)| {
            let mut out = Record::new();
            for (n, v) in by.iter().zip(key) {
                out.insert(n.name.clone(), v);
            }
            for a in aggs {
                out.insert(a.name.clone(), aggregate(&a.expr, &members));
            }
            out
        })
        .collect()
}

/// Adds the fields of a JSON object to `r`, flattened with dots.
pub(crate) fn flatten(prefix: &str, v: &Value, r: &mut Record) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, x, r);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), x, r);
            }
        }
        Value::Number(n) => {
            r.insert(prefix.to_string(), Val::Num(n.as_f64().unwrap_or(0.0)));
        }
        Value::String(s) => {
            r.insert(prefix.to_string(), Val::Str(s.clone()));
        }
        Value::Bool(b) => {
            r.insert(prefix.to_string(), Val::Str(b.to_string()));
        }
        Value::Null => {}
    }
}

/// The record Insights makes of one event.
pub fn record_of(
    account: &str,
    group: &str,
    stream: &str,
    ptr: &str,
    timestamp: i64,
    ingestion: i64,
    message: &str,
) -> Record {
    let mut r = Record::new();
    if message.starts_with('{') {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(message) {
            flatten("", &v, &mut r);
        }
    }
    r.insert("@timestamp".into(), Val::Time(timestamp));
    r.insert("@ingestionTime".into(), Val::Time(ingestion));
    r.insert("@message".into(), Val::Str(message.to_string()));
    r.insert("@logStream".into(), Val::Str(stream.to_string()));
    r.insert("@log".into(), Val::Str(format!("{account}:{group}")));
    r.insert("@ptr".into(), Val::Str(ptr.to_string()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(events: &[(i64, &str)]) -> Vec<Record> {
        events
            .iter()
            .enumerate()
            .map(|(i, (t, m))| record_of("1", "g", "s", &i.to_string(), *t, *t, m))
            .collect()
    }

    fn run(q: &str, events: &[(i64, &str)]) -> Outcome {
        Query::parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .run(recs(events), 10_000)
    }

    #[test]
    fn stats_count_by_bin_one_minute_makes_one_row_per_minute() {
        let base = 1_700_000_040_000; // a minute boundary
        let events = [
            (base + 1_000, "a"),
            (base + 59_000, "b"),
            (base + 60_000, "c"),
            (base + 185_000, "d"),
            (base + 186_000, "e"),
            (base + 187_000, "f"),
        ];
        let out = run("stats count(*) by bin(1m)", &events);
        let rows: Vec<Vec<(String, String)>> = out.rows;
        assert_eq!(
            rows,
            vec![
                vec![
                    ("bin(1m)".to_string(), format_time(base)),
                    ("count(*)".to_string(), "2".to_string())
                ],
                vec![
                    ("bin(1m)".to_string(), format_time(base + 60_000)),
                    ("count(*)".to_string(), "1".to_string())
                ],
                vec![
                    ("bin(1m)".to_string(), format_time(base + 180_000)),
                    ("count(*)".to_string(), "3".to_string())
                ],
            ]
        );
        assert_eq!((out.matched, out.scanned), (6, 6));
    }

    #[test]
    fn bin_takes_insights_units_and_names_columns_as_written() {
        let day = 86_400_000;
        // 2024-02-15 and 2024-05-20, UTC.
        let feb = gureum_core::timestamp::days_from_civil(2024, 2, 15) * day;
        let may = gureum_core::timestamp::days_from_civil(2024, 5, 20) * day;
        let out = run("stats count(*) by bin(1mo)", &[(feb, "a"), (may, "b")]);
        assert_eq!(
            out.rows[0][0],
            (
                "bin(1mo)".to_string(),
                "2024-02-01 00:00:00.000".to_string()
            )
        );
        let out = run("stats count(*) by bin(1qtr)", &[(feb, "a"), (may, "b")]);
        assert_eq!(out.rows[0][0].1, "2024-01-01 00:00:00.000");
        assert_eq!(out.rows[1][0].1, "2024-04-01 00:00:00.000");
        let out = run("stats count(*) by bin(60mins)", &[(feb + 1, "a")]);
        assert_eq!(out.rows[0][0].0, "bin(60mins)");
        assert_eq!(out.rows[0][0].1, format_time(feb));
        for unit in ["5msec", "2hrs", "1y", "1yr", "3secs", "1week"] {
            assert!(
                Query::parse(&format!("stats count(*) by bin({unit})")).is_ok(),
                "{unit}"
            );
        }
    }

    #[test]
    fn times_print_as_insights_does() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000");
    }

    #[test]
    fn filter_fields_sort_and_limit() {
        let events = [
            (1, r#"{"level":"ERROR","ms":30}"#),
            (2, r#"{"level":"INFO","ms":10}"#),
            (3, r#"{"level":"ERROR","ms":50}"#),
        ];
        let out = run(
            "fields level, ms | filter level = \"ERROR\" | sort ms desc | limit 1",
            &events,
        );
        assert_eq!(out.rows.len(), 1);
        assert_eq!((out.matched, out.scanned), (2, 3));
        assert_eq!(out.rows[0][0], ("level".into(), "ERROR".into()));
        assert_eq!(out.rows[0][1], ("ms".into(), "50".into()));
        assert_eq!(out.rows[0][2].0, "@ptr");
    }

    #[test]
    fn stats_aggregates_by_field_with_aliases() {
        let events = [
            (1, r#"{"svc":"a","ms":10}"#),
            (2, r#"{"svc":"a","ms":30}"#),
            (3, r#"{"svc":"b","ms":5}"#),
        ];
        let out = run(
            "stats avg(ms) as mean, sum(ms), min(ms), max(ms), count(*) as n by svc",
            &events,
        );
        assert_eq!(
            out.rows[0],
            vec![
                ("svc".to_string(), "a".to_string()),
                ("mean".to_string(), "20".to_string()),
                ("sum(ms)".to_string(), "40".to_string()),
                ("min(ms)".to_string(), "10".to_string()),
                ("max(ms)".to_string(), "30".to_string()),
                ("n".to_string(), "2".to_string()),
            ]
        );
        assert_eq!(out.rows[1][0], ("svc".to_string(), "b".to_string()));
    }

    #[test]
    fn parse_with_a_glob_and_with_a_regex() {
        let events = [(1, "user=bob action=login")];
        let out = run(
            "parse @message \"user=* action=*\" as user, action | display user, action",
            &events,
        );
        assert_eq!(
            out.rows[0],
            vec![
                ("user".into(), "bob".into()),
                ("action".into(), "login".into()),
                ("@ptr".into(), "0".into())
            ]
        );
        let out = run("parse @message /user=(?<who>\\w+)/ | display who", &events);
        assert_eq!(out.rows[0][0], ("who".into(), "bob".into()));
    }

    #[test]
    fn like_in_and_not() {
        let events = [(1, "GET /a 200"), (2, "POST /b 500"), (3, "GET /c 404")];
        assert_eq!(run("filter @message like /GET/", &events).rows.len(), 2);
        assert_eq!(run("filter @message like \"POST\"", &events).rows.len(), 1);
        assert_eq!(run("filter @message not like /GET/", &events).rows.len(), 1);
        let events = [
            (1, r#"{"s":200}"#),
            (2, r#"{"s":500}"#),
            (3, r#"{"s":404}"#),
        ];
        assert_eq!(run("filter s in [200, 404]", &events).rows.len(), 2);
        assert_eq!(run("filter s >= 400 and s < 500", &events).rows.len(), 1);
    }

    #[test]
    fn percentiles_stddev_earliest_latest_and_string_functions() {
        let events = [
            (1, r#"{"ms":10,"u":" a "}"#),
            (2, r#"{"ms":20,"u":"b"}"#),
            (3, r#"{"ms":30,"u":"c"}"#),
            (4, r#"{"ms":40,"u":"d"}"#),
        ];
        let out = run(
            "stats pct(ms, 50) as p50, pct(ms, 99) as p99, earliest(u) as first, latest(u) as last, stddev(ms) as sd",
            &events,
        );
        let row: BTreeMap<String, String> = out.rows[0].iter().cloned().collect();
        assert_eq!(row["p50"], "20");
        assert_eq!(row["p99"], "40");
        assert_eq!(row["first"], " a ");
        assert_eq!(row["last"], "d");
        assert!(row["sd"].starts_with("12.9"), "{}", row["sd"]);
        let out = run(
            "fields trim(u) as t, substr(u, 1, 1) as s, coalesce(missing, u) as c, strcontains(u, \"b\") as has_b | filter has_b = 1",
            &events,
        );
        assert_eq!(out.rows[0][0], ("t".into(), "b".into()));
        assert_eq!(out.rows[0][1], ("s".into(), "".into()));
        assert_eq!(out.rows[0][2], ("c".into(), "b".into()));
    }

    #[test]
    fn dedup_keeps_the_first_of_each_value() {
        let events = [
            (1, r#"{"u":"a"}"#),
            (2, r#"{"u":"a"}"#),
            (3, r#"{"u":"b"}"#),
        ];
        assert_eq!(run("fields u | dedup u", &events).rows.len(), 2);
    }

    #[test]
    fn default_columns_are_timestamp_and_message() {
        let out = run("filter @message like /x/", &[(0, "x")]);
        assert_eq!(
            out.rows[0],
            vec![
                ("@timestamp".into(), "1970-01-01 00:00:00.000".into()),
                ("@message".into(), "x".into()),
                ("@ptr".into(), "0".into()),
            ]
        );
    }

    #[test]
    fn malformed_queries_are_refused() {
        for bad in [
            "",
            "fields",
            "frobnicate x",
            "stats ms by x",
            "filter (a = 1",
            "limit x",
            "parse @message \"a*b*\" as one",
            "stats count(*) by bin(1zz)",
        ] {
            assert!(Query::parse(bad).is_err(), "{bad}");
        }
    }
}
