//! Metrics Insights queries in `GetMetricData` (and metric math alarms):
//!
//! ```text
//! SELECT AVG|SUM|MIN|MAX|COUNT(metric)
//! FROM SCHEMA("namespace"[, key, …]) | FROM "namespace"
//! [WHERE key = 'value' [AND key != 'value' …]]
//! [GROUP BY key[, key …]]
//! [ORDER BY FUNC() [ASC|DESC]]
//! [LIMIT n]
//! ```
//!
//! `SCHEMA` selects the metrics whose dimension keys are exactly those
//! listed; a bare namespace selects every metric of that name in it. Each
//! group (one without `GROUP BY`) is one series: per period, the function
//! over every datapoint of the group's metrics. `ORDER BY` ranks groups by
//! the function over the whole range, and `LIMIT` keeps the first `n`.

use crate::stats::Agg;
use crate::store::MetricId;

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Avg,
    Sum,
    Min,
    Max,
    Count,
}

impl Func {
    fn parse(name: &str) -> Option<Func> {
        Some(match name.to_ascii_uppercase().as_str() {
            "AVG" => Func::Avg,
            "SUM" => Func::Sum,
            "MIN" => Func::Min,
            "MAX" => Func::Max,
            "COUNT" => Func::Count,
            _ => return None,
        })
    }
}

/// A parsed query.
#[derive(Clone, Debug)]
pub(crate) struct Sql {
    pub func: Func,
    pub metric: String,
    pub namespace: String,
    /// `SCHEMA`'s keys: the exact dimension keys a metric must have.
    pub schema: Option<Vec<String>>,
    /// `(key, equal?, value)`, all of which must hold.
    pub filters: Vec<(String, bool, String)>,
    pub group_by: Vec<String>,
    /// `Some(descending)` with `ORDER BY`.
    pub order: Option<bool>,
    pub limit: Option<usize>,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    /// `"…"`: a name.
    Name(String),
    /// `'…'`: a value.
    Value(String),
    Num(usize),
    Punct(&'static str),
}

fn tokens(text: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = cs[i + 1..]
                .iter()
                .position(|x| *x == c)
                .ok_or("Unterminated string in Metrics Insights query")?;
            let s: String = cs[i + 1..i + 1 + end].iter().collect();
            out.push(if c == '"' {
                Tok::Name(s)
            } else {
                Tok::Value(s)
            });
            i += end + 2;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            let s: String = cs[start..i].iter().collect();
            out.push(Tok::Num(s.parse().map_err(|_| "Number too large")?));
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '/' || c == '-' {
            let start = i;
            while i < cs.len()
                && (cs[i].is_alphanumeric() || matches!(cs[i], '_' | '.' | '/' | '-' | ':'))
            {
                i += 1;
            }
            out.push(Tok::Word(cs[start..i].iter().collect()));
        } else if c == '!' && cs.get(i + 1) == Some(&'=') {
            out.push(Tok::Punct("!="));
            i += 2;
        } else {
            let p = match c {
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '=' => "=",
                _ => {
                    return Err(format!(
                        "Unexpected character '{c}' in Metrics Insights query"
                    ))
                }
            };
            out.push(Tok::Punct(p));
            i += 1;
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
    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect_keyword(&mut self, k: &str) -> Result<(), String> {
        if self.keyword(k) {
            Ok(())
        } else {
            Err(format!("Expected {k} in Metrics Insights query"))
        }
    }
    fn punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(x)) if *x == p) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.punct(p) {
            Ok(())
        } else {
            Err(format!("Expected '{p}' in Metrics Insights query"))
        }
    }
    /// A name: a bare word or a double-quoted string.
    fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Word(w)) | Some(Tok::Name(w)) => Ok(w),
            _ => Err("Expected a name in Metrics Insights query".into()),
        }
    }
}

/// Whether `text` is a Metrics Insights query rather than metric math.
pub(crate) fn is_sql(text: &str) -> bool {
    text.trim_start()
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("SELECT "))
}

/// Parses a query.
pub(crate) fn parse(text: &str) -> Result<Sql, String> {
    let mut p = Parser {
        toks: tokens(text)?,
        at: 0,
    };
    p.expect_keyword("SELECT")?;
    let f = p.name()?;
    let func = Func::parse(&f).ok_or_else(|| format!("Unsupported function {f}"))?;
    p.expect("(")?;
    let metric = p.name()?;
    p.expect(")")?;
    p.expect_keyword("FROM")?;
    let (namespace, schema) = if p.keyword("SCHEMA") {
        p.expect("(")?;
        let ns = p.name()?;
        let mut keys = Vec::new();
        while p.punct(",") {
            keys.push(p.name()?);
        }
        p.expect(")")?;
        (ns, Some(keys))
    } else {
        (p.name()?, None)
    };
    let mut filters = Vec::new();
    if p.keyword("WHERE") {
        loop {
            let key = p.name()?;
            let equal = if p.punct("=") {
                true
            } else if p.punct("!=") {
                false
            } else {
                return Err("Expected = or != in WHERE".into());
            };
            let value = match p.next() {
                Some(Tok::Value(v)) => v,
                _ => return Err("Expected a quoted value in WHERE".into()),
            };
            filters.push((key, equal, value));
            if !p.keyword("AND") {
                break;
            }
        }
    }
    let mut group_by = Vec::new();
    if p.keyword("GROUP") {
        p.expect_keyword("BY")?;
        group_by.push(p.name()?);
        while p.punct(",") {
            group_by.push(p.name()?);
        }
    }
    let mut order = None;
    if p.keyword("ORDER") {
        p.expect_keyword("BY")?;
        let g = p.name()?;
        if Func::parse(&g).is_none() {
            return Err(format!("Unsupported function {g} in ORDER BY"));
        }
        p.expect("(")?;
        p.expect(")")?;
        order = Some(if p.keyword("ASC") {
            false
        } else {
            p.keyword("DESC");
            true
        });
    }
    let mut limit = None;
    if p.keyword("LIMIT") {
        match p.next() {
            Some(Tok::Num(n)) if n >= 1 => limit = Some(n),
            _ => return Err("LIMIT takes a positive number".into()),
        }
    }
    if p.peek().is_some() {
        return Err("Unexpected text at the end of the Metrics Insights query".into());
    }
    Ok(Sql {
        func,
        metric,
        namespace,
        schema,
        filters,
        group_by,
        order,
        limit,
    })
}

impl Sql {
    /// Whether the query reads metric `m`.
    pub(crate) fn selects(&self, m: &MetricId) -> bool {
        if m.namespace != self.namespace || m.name != self.metric {
            return false;
        }
        if let Some(keys) = &self.schema {
            let mut want: Vec<&str> = keys.iter().map(String::as_str).collect();
            want.sort_unstable();
            let have: Vec<&str> = m.dims.iter().map(|(k, _)| k.as_str()).collect();
            if want != have {
                return false;
            }
        }
        self.filters.iter().all(|(k, equal, v)| {
            let got = m.dims.iter().find(|(dk, _)| dk == k).map(|(_, dv)| dv);
            if *equal {
                got == Some(v)
            } else {
                got != Some(v)
            }
        })
    }

    /// The group `m` falls in: its `GROUP BY` values.
    pub(crate) fn group_of(&self, m: &MetricId) -> Vec<String> {
        self.group_by
            .iter()
            .map(|k| {
                m.dims
                    .iter()
                    .find(|(dk, _)| dk == k)
                    .map_or_else(String::new, |(_, v)| v.clone())
            })
            .collect()
    }

    /// The function over merged aggregates.
    pub(crate) fn value(&self, a: &Agg) -> Option<f64> {
        if a.count <= 0.0 {
            return None;
        }
        Some(match self.func {
            Func::Avg => a.sum / a.count,
            Func::Sum => a.sum,
            Func::Min => a.min,
            Func::Max => a.max,
            Func::Count => a.count,
        })
    }
}

/// Adds `b` into `a`.
pub(crate) fn merge(a: &mut Agg, b: &Agg) {
    if b.count <= 0.0 {
        return;
    }
    if a.count <= 0.0 {
        a.min = f64::INFINITY;
        a.max = f64::NEG_INFINITY;
    }
    a.count += b.count;
    a.sum += b.sum;
    a.min = a.min.min(b.min);
    a.max = a.max.max(b.max);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_query_parses() {
        let q = parse(
            "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) WHERE InstanceId != 'i-1' GROUP BY InstanceId ORDER BY AVG() DESC LIMIT 3",
        )
        .expect("parses");
        assert_eq!(q.func, Func::Avg);
        assert_eq!(q.namespace, "AWS/EC2");
        assert_eq!(q.schema, Some(vec!["InstanceId".to_string()]));
        assert_eq!(q.filters, vec![("InstanceId".into(), false, "i-1".into())]);
        assert_eq!(q.group_by, vec!["InstanceId".to_string()]);
        assert_eq!((q.order, q.limit), (Some(true), Some(3)));
    }

    #[test]
    fn schema_needs_exactly_its_keys() {
        let q = parse("SELECT SUM(m) FROM SCHEMA(ns, a)").expect("parses");
        let one = MetricId::new("ns", "m", vec![("a".into(), "1".into())]);
        let two = MetricId::new(
            "ns",
            "m",
            vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        );
        assert!(q.selects(&one));
        assert!(!q.selects(&two));
    }

    #[test]
    fn bad_queries_say_why() {
        assert!(parse("SELECT MEDIAN(m) FROM ns").is_err());
        assert!(parse("SELECT AVG(m) FROM ns LIMIT 0").is_err());
        assert!(parse("SELECT AVG(m) FROM ns WHERE a = b").is_err());
    }
}
