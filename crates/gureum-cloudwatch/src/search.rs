//! The `SEARCH` expression's query language: an optional schema
//! `{Namespace,DimensionName,…}` (the metric is in that namespace and has
//! exactly those dimension names), `Name="value"` terms (`MetricName`,
//! `Namespace` or a dimension, exact), and bare or quoted words that match
//! part of the namespace, metric name, or a dimension's name or value.
//! Terms combine with `AND` (also implied); `NOT` before a term excludes.

use crate::store::MetricId;

/// One condition of a search.
#[derive(Clone, Debug, PartialEq)]
enum Term {
    Exact(String, String),
    Partial(String),
}

/// A parsed search expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    schema: Option<(String, Vec<String>)>,
    terms: Vec<(bool, Term)>,
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

/// Splits on whitespace outside double quotes.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses a search expression.
pub fn parse(text: &str) -> Result<Search, String> {
    let mut rest = text.trim();
    let mut schema = None;
    if let Some(after) = rest.strip_prefix('{') {
        let (inner, tail) = after
            .split_once('}')
            .ok_or("The search schema is missing its closing brace")?;
        let mut parts = inner.split(',').map(unquote);
        let ns = parts
            .next()
            .filter(|n| !n.is_empty())
            .ok_or("The search schema needs a namespace")?;
        schema = Some((ns, parts.filter(|p| !p.is_empty()).collect()));
        rest = tail;
    }
    let mut terms = Vec::new();
    let mut negate = false;
    for t in tokens(rest) {
        match t.as_str() {
            "AND" => continue,
            "NOT" => {
                negate = true;
                continue;
            }
            _ => {}
        }
        let term = match t.split_once('=') {
            Some((k, v)) => Term::Exact(unquote(k), unquote(v)),
            None => Term::Partial(unquote(&t).to_lowercase()),
        };
        terms.push((negate, term));
        negate = false;
    }
    if schema.is_none() && terms.is_empty() {
        return Err("The search expression is empty".into());
    }
    Ok(Search { schema, terms })
}

impl Search {
    /// Whether metric `m` matches.
    pub fn matches(&self, m: &MetricId) -> bool {
        if let Some((ns, dims)) = &self.schema {
            let mut have: Vec<&str> = m.dims.iter().map(|(n, _)| n.as_str()).collect();
            let mut want: Vec<&str> = dims.iter().map(String::as_str).collect();
            have.sort_unstable();
            want.sort_unstable();
            if &m.namespace != ns || have != want {
                return false;
            }
        }
        self.terms.iter().all(|(negate, t)| {
            let hit = match t {
                Term::Exact(k, v) => match k.as_str() {
                    "MetricName" => &m.name == v,
                    "Namespace" => &m.namespace == v,
                    dim => m.dims.iter().any(|(n, dv)| n == dim && dv == v),
                },
                Term::Partial(w) => {
                    m.namespace.to_lowercase().contains(w)
                        || m.name.to_lowercase().contains(w)
                        || m.dims.iter().any(|(n, v)| {
                            n.to_lowercase().contains(w) || v.to_lowercase().contains(w)
                        })
                }
            };
            hit != *negate
        })
    }
}

/// The label a `SEARCH` result is reported with: its dimension values, or
/// its metric name when it has none.
pub fn label(m: &MetricId) -> String {
    if m.dims.is_empty() {
        m.name.clone()
    } else {
        m.dims
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(ns: &str, name: &str, dims: &[(&str, &str)]) -> MetricId {
        MetricId::new(
            ns,
            name,
            dims.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn schema_exact_and_partial_terms() {
        let cpu = m("AWS/EC2", "CPUUtilization", &[("InstanceId", "i-1")]);
        let net = m("AWS/EC2", "NetworkIn", &[("InstanceId", "i-2")]);
        let asg = m(
            "AWS/EC2",
            "CPUUtilization",
            &[("AutoScalingGroupName", "web")],
        );
        let s = parse(r#"{AWS/EC2,InstanceId} MetricName="CPUUtilization""#).expect("parse");
        assert!(s.matches(&cpu) && !s.matches(&net) && !s.matches(&asg));
        let s = parse("cpu").expect("parse");
        assert!(s.matches(&cpu) && s.matches(&asg) && !s.matches(&net));
        let s = parse("{AWS/EC2,InstanceId} NOT i-1").expect("parse");
        assert!(!s.matches(&cpu) && s.matches(&net));
        assert!(parse("{AWS/EC2").is_err());
        assert!(parse("  ").is_err());
        assert_eq!(label(&cpu), "i-1");
    }
}
