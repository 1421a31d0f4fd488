//! Metric math: the expression language of `GetMetricData` queries and
//! metric math alarms.
//!
//! An expression is parsed into an [`Expr`] and evaluated against the
//! request's other queries (by `Id`). Values are scalars, time series
//! (timestamp → value), or arrays of series (`METRICS()`, `[m1, m2]`).
//! Arithmetic (`+ - * / ^`), comparisons (`== != < <= > >=`, 1 or 0) and
//! logic (`AND &&`, `OR ||`, `NOT !`) apply point by point: a series and
//! a scalar at every point, two series where both have a value, an array
//! to each member. Functions: `SUM`, `AVG`, `MIN`, `MAX`, `STDDEV` (of an
//! array: per timestamp; of one series: a scalar), `METRICS([filter])`,
//! `FILL(x, value|REPEAT|LINEAR)`, `RATE`, `DIFF`, `DIFF_TIME`, `PERIOD`,
//! `IF(cond, a[, b])`, `ABS`, `CEIL`, `FLOOR`, `LOG`, `LOG10`, `SQRT`,
//! `TIME_SERIES(scalar)`, `ANOMALY_DETECTION_BAND(x[, k])` (mean ∓ k
//! standard deviations of the series over the range), `SEARCH(query, stat,
//! period)` ([`crate::search`]).

use std::collections::BTreeMap;

/// A time series: points sorted by timestamp (epoch milliseconds).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The label it is reported with.
    pub label: String,
    /// Its points.
    pub points: Vec<(i64, f64)>,
}

/// A value in an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A number.
    Scalar(f64),
    /// One series.
    Series(Series),
    /// Several series.
    Array(Vec<Series>),
    /// A string (`METRICS("filter")`) or keyword (`REPEAT`, `LINEAR`).
    Text(String),
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// A string literal.
    Str(String),
    /// Another query's id, or a keyword.
    Ident(String),
    /// `[a, b, …]`.
    List(Vec<Expr>),
    /// A unary operator (`-`, `!`).
    Unary(char, Box<Expr>),
    /// A binary operator.
    Binary(String, Box<Expr>, Box<Expr>),
    /// A function call.
    Call(String, Vec<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(String),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && cs.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let s = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            if i < cs.len() && (cs[i] == 'e' || cs[i] == 'E') {
                i += 1;
                if i < cs.len() && (cs[i] == '+' || cs[i] == '-') {
                    i += 1;
                }
                while i < cs.len() && cs[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let t: String = cs[s..i].iter().collect();
            out.push(Tok::Num(
                t.parse().map_err(|_| format!("Invalid number {t}"))?,
            ));
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Ident(cs[s..i].iter().collect()));
        } else if c == '"' || c == '\'' {
            let s = i + 1;
            i += 1;
            while i < cs.len() && cs[i] != c {
                i += 1;
            }
            if i >= cs.len() {
                return Err("Unterminated string".into());
            }
            out.push(Tok::Str(cs[s..i].iter().collect()));
            i += 1;
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) {
                out.push(Tok::Op(two));
                i += 2;
            } else if "+-*/^()[],<>!".contains(c) {
                out.push(Tok::Op(c.to_string()));
                i += 1;
            } else {
                return Err(format!("Unexpected character '{c}'"));
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
    fn peek_op(&self, ops: &[&str]) -> Option<String> {
        match self.toks.get(self.at) {
            Some(Tok::Op(o)) if ops.contains(&o.as_str()) => Some(o.clone()),
            Some(Tok::Ident(w)) if ops.contains(&w.as_str()) => Some(w.clone()),
            _ => None,
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.peek_op(&[op]).is_some() {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("Expected '{op}'"))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.peek_op(&["||", "OR"]).is_some() {
            self.at += 1;
            let r = self.and()?;
            l = Expr::Binary("||".into(), Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.not()?;
        while self.peek_op(&["&&", "AND"]).is_some() {
            self.at += 1;
            let r = self.not()?;
            l = Expr::Binary("&&".into(), Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.peek_op(&["!", "NOT"]).is_some() {
            self.at += 1;
            return Ok(Expr::Unary('!', Box::new(self.not()?)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.add()?;
        if let Some(op) = self.peek_op(&["==", "!=", "<=", ">=", "<", ">"]) {
            self.at += 1;
            let r = self.add()?;
            return Ok(Expr::Binary(op, Box::new(l), Box::new(r)));
        }
        Ok(l)
    }

    fn add(&mut self) -> Result<Expr, String> {
        let mut l = self.mul()?;
        while let Some(op) = self.peek_op(&["+", "-"]) {
            self.at += 1;
            let r = self.mul()?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn mul(&mut self) -> Result<Expr, String> {
        let mut l = self.pow()?;
        while let Some(op) = self.peek_op(&["*", "/"]) {
            self.at += 1;
            let r = self.pow()?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn pow(&mut self) -> Result<Expr, String> {
        let l = self.unary()?;
        if self.peek_op(&["^"]).is_some() {
            self.at += 1;
            let r = self.pow()?;
            return Ok(Expr::Binary("^".into(), Box::new(l), Box::new(r)));
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_op(&["-"]).is_some() {
            self.at += 1;
            return Ok(Expr::Unary('-', Box::new(self.unary()?)));
        }
        if self.peek_op(&["+"]).is_some() {
            self.at += 1;
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let tok = self
            .toks
            .get(self.at)
            .cloned()
            .ok_or("Unexpected end of expression")?;
        self.at += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Ident(name) => {
                if self.peek_op(&["("]).is_some() {
                    self.at += 1;
                    let args = self.args(")")?;
                    Ok(Expr::Call(name.to_ascii_uppercase(), args))
                } else {
                    Ok(Expr::Ident(name))
                }
            }
            Tok::Op(o) if o == "(" => {
                let e = self.or()?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Op(o) if o == "[" => Ok(Expr::List(self.args("]")?)),
            Tok::Op(o) => Err(format!("Unexpected token '{o}'")),
        }
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut out = Vec::new();
        if self.peek_op(&[close]).is_some() {
            self.at += 1;
            return Ok(out);
        }
        loop {
            out.push(self.or()?);
            if self.peek_op(&[","]).is_some() {
                self.at += 1;
                continue;
            }
            self.expect(close)?;
            return Ok(out);
        }
    }
}

/// Parses an expression; the error says what is wrong.
pub fn parse(src: &str) -> Result<Expr, String> {
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err("Empty expression".into());
    }
    let mut p = Parser { toks, at: 0 };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return Err("Unexpected tokens after the end of the expression".into());
    }
    Ok(e)
}

/// The ids an expression refers to (to order evaluation).
pub fn references(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Ident(i) => out.push(i.clone()),
        Expr::List(xs) | Expr::Call(_, xs) => xs.iter().for_each(|x| references(x, out)),
        Expr::Unary(_, x) => references(x, out),
        Expr::Binary(_, a, b) => {
            references(a, out);
            references(b, out);
        }
        Expr::Num(_) | Expr::Str(_) => {}
    }
}

/// What evaluation reads: the other queries' results and the request's
/// time grid.
pub trait Env {
    /// The value of query `id` (`None`: no such query).
    fn lookup(&mut self, id: &str) -> Result<Option<Val>, String>;
    /// Every metric query's series with its id and label (`METRICS()`).
    fn metrics(&mut self) -> Result<Vec<(String, Series)>, String>;
    /// Every period start of the request, in order.
    fn grid(&self) -> &[i64];
    /// `SEARCH(query, stat, period)`: every metric the query matches, read
    /// with the statistic and period.
    fn search(&mut self, query: &str, stat: &str, period: i64) -> Result<Vec<Series>, String>;
    /// The period, in seconds.
    fn period(&self) -> i64;
    /// The ranges (epoch ms) the anomaly detector of query `id` leaves
    /// out of its band's training; none without a detector.
    fn excluded(&mut self, id: &str) -> Vec<(i64, i64)> {
        let _ = id;
        Vec::new()
    }
}

fn num(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

fn apply(op: &str, a: f64, b: f64) -> f64 {
    match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "^" => a.powf(b),
        "==" => num(a == b),
        "!=" => num(a != b),
        "<" => num(a < b),
        "<=" => num(a <= b),
        ">" => num(a > b),
        ">=" => num(a >= b),
        "&&" => num(a != 0.0 && b != 0.0),
        "||" => num(a != 0.0 || b != 0.0),
        _ => f64::NAN,
    }
}

fn keep(points: impl Iterator<Item = (i64, f64)>) -> Vec<(i64, f64)> {
    points.filter(|(_, v)| v.is_finite()).collect()
}

fn map_series(s: &Series, f: impl Fn(f64) -> f64) -> Series {
    Series {
        label: s.label.clone(),
        points: keep(s.points.iter().map(|(t, v)| (*t, f(*v)))),
    }
}

fn zip(a: &Series, b: &Series, f: impl Fn(f64, f64) -> f64) -> Series {
    let bm: BTreeMap<i64, f64> = b.points.iter().copied().collect();
    Series {
        label: a.label.clone(),
        points: keep(
            a.points
                .iter()
                .filter_map(|(t, x)| bm.get(t).map(|y| (*t, f(*x, *y)))),
        ),
    }
}

fn binary(op: &str, a: Val, b: Val) -> Result<Val, String> {
    use Val::*;
    Ok(match (a, b) {
        (Scalar(x), Scalar(y)) => Scalar(apply(op, x, y)),
        (Series(s), Scalar(y)) => Series(map_series(&s, |x| apply(op, x, y))),
        (Scalar(x), Series(s)) => Series(map_series(&s, |y| apply(op, x, y))),
        (Series(s), Series(t)) => Series(zip(&s, &t, |x, y| apply(op, x, y))),
        (Array(xs), other) => Array(
            xs.into_iter()
                .map(|s| match binary(op, Series(s), other.clone())? {
                    Series(r) => Ok(r),
                    _ => Err("Array arithmetic must give series".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        (other, Array(ys)) => Array(
            ys.into_iter()
                .map(|s| match binary(op, other.clone(), Series(s))? {
                    Series(r) => Ok(r),
                    _ => Err("Array arithmetic must give series".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(format!("Invalid operands for '{op}'")),
    })
}

/// Applies `f` to a scalar, each point of a series, or each series.
fn pointwise(v: Val, f: impl Fn(f64) -> f64 + Copy) -> Result<Val, String> {
    Ok(match v {
        Val::Scalar(x) => Val::Scalar(f(x)),
        Val::Series(s) => Val::Series(map_series(&s, f)),
        Val::Array(xs) => Val::Array(xs.iter().map(|s| map_series(s, f)).collect()),
        Val::Text(t) => return Err(format!("Invalid argument {t}")),
    })
}

/// Applies `f` to a series or each series of an array.
fn per_series(v: Val, name: &str, f: impl Fn(&Series) -> Series) -> Result<Val, String> {
    Ok(match v {
        Val::Series(s) => Val::Series(f(&s)),
        Val::Array(xs) => Val::Array(xs.iter().map(f).collect()),
        _ => return Err(format!("{name} requires a time series argument")),
    })
}

fn reduce(name: &str, xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    match name {
        "SUM" => xs.iter().sum(),
        "AVG" => xs.iter().sum::<f64>() / n,
        "MIN" => xs.iter().copied().fold(f64::INFINITY, f64::min),
        "MAX" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => {
            let mean = xs.iter().sum::<f64>() / n;
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
        }
    }
}

fn aggregate(name: &str, v: Val) -> Result<Val, String> {
    Ok(match v {
        Val::Scalar(x) => Val::Scalar(x),
        Val::Series(s) => {
            let xs: Vec<f64> = s.points.iter().map(|(_, v)| *v).collect();
            if xs.is_empty() {
                Val::Scalar(f64::NAN)
            } else {
                Val::Scalar(reduce(name, &xs))
            }
        }
        Val::Array(ss) => {
            let mut by_ts: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for s in &ss {
                for (t, v) in &s.points {
                    by_ts.entry(*t).or_default().push(*v);
                }
            }
            Val::Series(Series {
                label: String::new(),
                points: keep(by_ts.into_iter().map(|(t, xs)| (t, reduce(name, &xs)))),
            })
        }
        Val::Text(t) => return Err(format!("Invalid argument {t} for {name}")),
    })
}

fn fill(s: &Series, how: &Val, grid: &[i64]) -> Result<Series, String> {
    let have: BTreeMap<i64, f64> = s.points.iter().copied().collect();
    let mut out = Vec::with_capacity(grid.len());
    let mut last: Option<f64> = None;
    for (i, t) in grid.iter().enumerate() {
        if let Some(v) = have.get(t) {
            out.push((*t, *v));
            last = Some(*v);
            continue;
        }
        let v = match how {
            Val::Scalar(x) => Some(*x),
            Val::Text(k) if k.eq_ignore_ascii_case("REPEAT") => {
                last.or_else(|| grid[i..].iter().find_map(|g| have.get(g).copied()))
            }
            Val::Text(k) if k.eq_ignore_ascii_case("LINEAR") => {
                let before = have.range(..*t).next_back();
                let after = have.range(*t..).next();
                match (before, after) {
                    (Some((t0, v0)), Some((t1, v1))) => {
                        Some(v0 + (v1 - v0) * ((*t - t0) as f64) / ((t1 - t0) as f64))
                    }
                    (Some((_, v)), None) | (None, Some((_, v))) => Some(*v),
                    _ => None,
                }
            }
            _ => return Err("FILL requires a number, REPEAT or LINEAR".into()),
        };
        if let Some(v) = v {
            out.push((*t, v));
        }
    }
    Ok(Series {
        label: s.label.clone(),
        points: out,
    })
}

fn windows(s: &Series, f: impl Fn((i64, f64), (i64, f64)) -> f64) -> Series {
    Series {
        label: s.label.clone(),
        points: keep(s.points.windows(2).map(|w| (w[1].0, f(w[0], w[1])))),
    }
}

/// Evaluates `e` in `env`.
pub fn eval(e: &Expr, env: &mut dyn Env) -> Result<Val, String> {
    match e {
        Expr::Num(n) => Ok(Val::Scalar(*n)),
        Expr::Str(s) => Ok(Val::Text(s.clone())),
        Expr::Ident(id) => match env.lookup(id)? {
            Some(v) => Ok(v),
            None if ["REPEAT", "LINEAR"].contains(&id.to_ascii_uppercase().as_str()) => {
                Ok(Val::Text(id.to_ascii_uppercase()))
            }
            None => Err(format!("Unrecognized identifier {id}")),
        },
        Expr::List(xs) => {
            let mut out = Vec::new();
            for x in xs {
                match eval(x, env)? {
                    Val::Series(s) => out.push(s),
                    Val::Array(ss) => out.extend(ss),
                    _ => return Err("Arrays may only hold time series".into()),
                }
            }
            Ok(Val::Array(out))
        }
        Expr::Unary('-', x) => pointwise(eval(x, env)?, |v| -v),
        Expr::Unary(_, x) => pointwise(eval(x, env)?, |v| num(v == 0.0)),
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, env)?, eval(b, env)?);
            binary(op, a, b)
        }
        Expr::Call(name, args) => call(name, args, env),
    }
}

fn arity(name: &str, args: &[Expr], min: usize, max: usize) -> Result<(), String> {
    if args.len() < min || args.len() > max {
        return Err(format!(
            "Invalid number of arguments for function {name}: {}",
            args.len()
        ));
    }
    Ok(())
}

fn call(name: &str, args: &[Expr], env: &mut dyn Env) -> Result<Val, String> {
    match name {
        "SUM" | "AVG" | "MIN" | "MAX" | "STDDEV" => {
            arity(name, args, 1, 1)?;
            aggregate(name, eval(&args[0], env)?)
        }
        "METRICS" => {
            arity(name, args, 0, 1)?;
            let filter = match args.first().map(|a| eval(a, env)).transpose()? {
                Some(Val::Text(f)) => Some(f),
                None => None,
                Some(_) => return Err("METRICS takes a string".into()),
            };
            let all = env.metrics()?;
            Ok(Val::Array(
                all.into_iter()
                    .filter(|(id, s)| {
                        filter
                            .as_deref()
                            .is_none_or(|f| id.contains(f) || s.label.contains(f))
                    })
                    .map(|(_, s)| s)
                    .collect(),
            ))
        }
        "FILL" => {
            arity(name, args, 2, 2)?;
            let x = eval(&args[0], env)?;
            let how = match &args[1] {
                Expr::Ident(k)
                    if ["REPEAT", "LINEAR"].contains(&k.to_ascii_uppercase().as_str()) =>
                {
                    Val::Text(k.to_ascii_uppercase())
                }
                other => eval(other, env)?,
            };
            let grid = env.grid().to_vec();
            match x {
                Val::Series(s) => Ok(Val::Series(fill(&s, &how, &grid)?)),
                Val::Array(ss) => Ok(Val::Array(
                    ss.iter()
                        .map(|s| fill(s, &how, &grid))
                        .collect::<Result<_, _>>()?,
                )),
                _ => Err("FILL requires a time series argument".into()),
            }
        }
        "RATE" => {
            arity(name, args, 1, 1)?;
            per_series(eval(&args[0], env)?, name, |s| {
                windows(s, |(t0, v0), (t1, v1)| {
                    (v1 - v0) / ((t1 - t0) as f64 / 1000.0)
                })
            })
        }
        "DIFF" => {
            arity(name, args, 1, 1)?;
            per_series(eval(&args[0], env)?, name, |s| {
                windows(s, |(_, v0), (_, v1)| v1 - v0)
            })
        }
        "DIFF_TIME" => {
            arity(name, args, 1, 1)?;
            per_series(eval(&args[0], env)?, name, |s| {
                windows(s, |(t0, _), (t1, _)| (t1 - t0) as f64 / 1000.0)
            })
        }
        "PERIOD" => {
            arity(name, args, 1, 1)?;
            let p = env.period() as f64;
            per_series(eval(&args[0], env)?, name, |s| map_series(s, |_| p))
        }
        "TIME_SERIES" => {
            arity(name, args, 1, 1)?;
            match eval(&args[0], env)? {
                Val::Scalar(x) => Ok(Val::Series(Series {
                    label: String::new(),
                    points: env.grid().iter().map(|t| (*t, x)).collect(),
                })),
                _ => Err("TIME_SERIES requires a scalar".into()),
            }
        }
        "IF" => {
            arity(name, args, 2, 3)?;
            let cond = eval(&args[0], env)?;
            let a = eval(&args[1], env)?;
            let b = args.get(2).map(|x| eval(x, env)).transpose()?;
            if_then(cond, a, b, env.grid())
        }
        "ANOMALY_DETECTION_BAND" => {
            arity(name, args, 1, 2)?;
            let k = match args.get(1).map(|a| eval(a, env)).transpose()? {
                None => 2.0,
                Some(Val::Scalar(k)) => k,
                Some(_) => {
                    return Err(
                        "ANOMALY_DETECTION_BAND takes a number of standard deviations".into(),
                    )
                }
            };
            let excluded = match &args[0] {
                Expr::Ident(id) => env.excluded(id),
                _ => Vec::new(),
            };
            match eval(&args[0], env)? {
                Val::Series(s) => Ok(Val::Array(trained_band(&s, k, &excluded).to_vec())),
                _ => Err("ANOMALY_DETECTION_BAND requires a single time series".into()),
            }
        }
        "SEARCH" => {
            arity(name, args, 3, 3)?;
            let (q, stat, period) = (
                eval(&args[0], env)?,
                eval(&args[1], env)?,
                eval(&args[2], env)?,
            );
            match (q, stat, period) {
                (Val::Text(q), Val::Text(stat), Val::Scalar(p)) if p >= 1.0 => {
                    Ok(Val::Array(env.search(&q, &stat, p as i64)?))
                }
                _ => Err("SEARCH takes a search expression, a statistic and a period".into()),
            }
        }
        "ABS" => pointwise(one_arg(name, args, env)?, f64::abs),
        "CEIL" => pointwise(one_arg(name, args, env)?, f64::ceil),
        "FLOOR" => pointwise(one_arg(name, args, env)?, f64::floor),
        "LOG" => pointwise(one_arg(name, args, env)?, f64::ln),
        "LOG10" => pointwise(one_arg(name, args, env)?, f64::log10),
        "SQRT" => pointwise(one_arg(name, args, env)?, f64::sqrt),
        other => Err(format!("Unrecognized function {other}")),
    }
}

/// [`band`] trained without the points inside `excluded` (`[start, end]`
/// epoch-ms ranges an anomaly detector's configuration excludes), still
/// drawn at every timestamp of the series.
pub fn trained_band(s: &Series, k: f64, excluded: &[(i64, i64)]) -> [Series; 2] {
    if excluded.is_empty() {
        return band(s, k);
    }
    let training = Series {
        label: s.label.clone(),
        points: s
            .points
            .iter()
            .filter(|(t, _)| !excluded.iter().any(|(a, b)| (*a..=*b).contains(t)))
            .copied()
            .collect(),
    };
    let [lo, hi] = band(&training, k);
    let at = |b: &Series| {
        let v = b.points.first().map_or(f64::NAN, |p| p.1);
        s.points.iter().map(|(t, _)| (*t, v)).collect()
    };
    [
        Series {
            label: format!("{} (lower)", s.label),
            points: at(&lo),
        },
        Series {
            label: format!("{} (upper)", s.label),
            points: at(&hi),
        },
    ]
}

/// The band `ANOMALY_DETECTION_BAND(x, k)` gives: `[lower, upper]`, the
/// series' mean ∓ `k` standard deviations at each of its timestamps (a
/// model trained on the series itself over the query's range, where AWS
/// trains on up to two weeks of history).
pub fn band(s: &Series, k: f64) -> [Series; 2] {
    let n = s.points.len().max(1) as f64;
    let mean = s.points.iter().map(|p| p.1).sum::<f64>() / n;
    let sd = (s.points.iter().map(|p| (p.1 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let at = |off: f64| s.points.iter().map(|(t, _)| (*t, mean + off)).collect();
    [
        Series {
            label: format!("{} (lower)", s.label),
            points: at(-k * sd),
        },
        Series {
            label: format!("{} (upper)", s.label),
            points: at(k * sd),
        },
    ]
}

fn one_arg(name: &str, args: &[Expr], env: &mut dyn Env) -> Result<Val, String> {
    arity(name, args, 1, 1)?;
    eval(&args[0], env)
}

/// `IF(cond, a, b)`: per timestamp of `cond`, `a` where it is non-zero,
/// else `b` (no point when the chosen side has none).
fn if_then(cond: Val, a: Val, b: Option<Val>, grid: &[i64]) -> Result<Val, String> {
    let at = |v: &Val, t: i64| -> Option<f64> {
        match v {
            Val::Scalar(x) => Some(*x),
            Val::Series(s) => s
                .points
                .binary_search_by_key(&t, |p| p.0)
                .ok()
                .map(|i| s.points[i].1),
            _ => None,
        }
    };
    let c = match cond {
        Val::Series(s) => s,
        Val::Scalar(x) => Series {
            label: String::new(),
            points: grid.iter().map(|t| (*t, x)).collect(),
        },
        _ => return Err("IF requires a time series condition".into()),
    };
    let label = match &a {
        Val::Series(s) => s.label.clone(),
        _ => c.label.clone(),
    };
    let points = c
        .points
        .iter()
        .filter_map(|(t, cv)| {
            let v = if *cv != 0.0 {
                at(&a, *t)
            } else {
                b.as_ref().and_then(|b| at(b, *t))
            };
            v.map(|v| (*t, v))
        })
        .collect();
    Ok(Val::Series(Series { label, points }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct T {
        vals: HashMap<String, Series>,
        grid: Vec<i64>,
    }

    impl Env for T {
        fn lookup(&mut self, id: &str) -> Result<Option<Val>, String> {
            Ok(self.vals.get(id).cloned().map(Val::Series))
        }
        fn metrics(&mut self) -> Result<Vec<(String, Series)>, String> {
            let mut v: Vec<_> = self
                .vals
                .iter()
                .map(|(k, s)| (k.clone(), s.clone()))
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(v)
        }
        fn grid(&self) -> &[i64] {
            &self.grid
        }
        fn period(&self) -> i64 {
            60
        }
        fn search(&mut self, _q: &str, _s: &str, _p: i64) -> Result<Vec<Series>, String> {
            Ok(Vec::new())
        }
    }

    fn s(points: &[(i64, f64)]) -> Series {
        Series {
            label: "x".into(),
            points: points.to_vec(),
        }
    }

    fn env() -> T {
        let mut vals = HashMap::new();
        vals.insert("m1".into(), s(&[(0, 1.0), (60_000, 2.0), (180_000, 4.0)]));
        vals.insert(
            "m2".into(),
            s(&[(0, 10.0), (60_000, 20.0), (120_000, 30.0)]),
        );
        T {
            vals,
            grid: vec![0, 60_000, 120_000, 180_000],
        }
    }

    fn run(src: &str) -> Val {
        eval(&parse(src).expect("parse"), &mut env()).expect("eval")
    }

    fn points(v: Val) -> Vec<(i64, f64)> {
        match v {
            Val::Series(s) => s.points,
            other => panic!("not a series: {other:?}"),
        }
    }

    #[test]
    fn arithmetic_follows_precedence_and_aligns_timestamps() {
        assert_eq!(run("1 + 2 * 3 ^ 2"), Val::Scalar(19.0));
        assert_eq!(run("(1 + 2) * 3"), Val::Scalar(9.0));
        assert_eq!(
            points(run("m1 * 2")),
            [(0, 2.0), (60_000, 4.0), (180_000, 8.0)]
        );
        assert_eq!(points(run("m2 / m1")), [(0, 10.0), (60_000, 10.0)]);
        assert_eq!(
            points(run("-m1 + 1")),
            [(0, 0.0), (60_000, -1.0), (180_000, -3.0)]
        );
    }

    #[test]
    fn aggregates_of_arrays_are_per_timestamp_and_of_a_series_a_scalar() {
        assert_eq!(
            points(run("SUM([m1, m2])")),
            [(0, 11.0), (60_000, 22.0), (120_000, 30.0), (180_000, 4.0)]
        );
        assert_eq!(run("SUM(m1)"), Val::Scalar(7.0));
        assert_eq!(run("MAX(m2)"), Val::Scalar(30.0));
        assert_eq!(points(run("AVG(METRICS())"))[0], (0, 5.5));
        assert_eq!(points(run("MIN(METRICS(\"m2\"))")), points(run("m2")));
    }

    #[test]
    fn fill_rate_diff_and_if() {
        assert_eq!(
            points(run("FILL(m1, 0)")),
            [(0, 1.0), (60_000, 2.0), (120_000, 0.0), (180_000, 4.0)]
        );
        assert_eq!(points(run("FILL(m1, REPEAT)"))[2], (120_000, 2.0));
        assert_eq!(points(run("FILL(m1, LINEAR)"))[2], (120_000, 3.0));
        assert_eq!(points(run("DIFF(m2)")), [(60_000, 10.0), (120_000, 10.0)]);
        assert_eq!(
            points(run("RATE(m2)")),
            [(60_000, 10.0 / 60.0), (120_000, 10.0 / 60.0)]
        );
        assert_eq!(
            points(run("IF(m2 > 15, m2, 0)")),
            [(0, 0.0), (60_000, 20.0), (120_000, 30.0)]
        );
        assert_eq!(points(run("IF(m2 > 15 AND m2 < 25, 1)")), [(60_000, 1.0)]);
    }

    #[test]
    fn anomaly_bands_surround_the_mean() {
        match run("ANOMALY_DETECTION_BAND(m2, 1)") {
            Val::Array(b) => {
                assert_eq!(b.len(), 2);
                let sd = (200.0f64 / 3.0).sqrt();
                assert!((b[0].points[0].1 - (20.0 - sd)).abs() < 1e-9);
                assert!((b[1].points[0].1 - (20.0 + sd)).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_excluded_range_is_left_out_of_the_band_but_still_drawn() {
        let s = Series {
            label: "m".into(),
            points: vec![(0, 10.0), (60_000, 1000.0), (120_000, 10.0)],
        };
        let [lo, hi] = trained_band(&s, 2.0, &[(60_000, 60_000)]);
        assert_eq!(lo.points, vec![(0, 10.0), (60_000, 10.0), (120_000, 10.0)]);
        assert_eq!(hi.points, lo.points);
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(parse("m1 +").is_err());
        assert!(parse("(m1").is_err());
        assert!(parse("m1 $ 2").is_err());
        let e = eval(&parse("NOPE(m1)").expect("parse"), &mut env()).expect_err("fails");
        assert!(e.contains("Unrecognized function"), "{e}");
        let e = eval(&parse("m9 + 1").expect("parse"), &mut env()).expect_err("fails");
        assert!(e.contains("m9"), "{e}");
    }
}
