//! Condition operators.
//!
//! A statement's `Condition` block maps *operators* to *keys* to *values*:
//!
//! ```json
//! "Condition": {
//!   "IpAddress":    { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] },
//!   "BoolIfExists": { "aws:MultiFactorAuthPresent": "true" }
//! }
//! ```
//!
//! Every (operator, key) pair is one [`Condition`]; all of them must hold
//! (AND), while the values listed for one key are alternatives (OR).
//!
//! An operator name has up to three parts:
//!
//! * an optional *set operator* prefix for multi-valued keys:
//!   `ForAnyValue:` (at least one request value satisfies the test; a missing
//!   key fails) or `ForAllValues:` (every request value satisfies the test;
//!   a missing or empty key *passes*);
//! * the *base operator*: `String*`, `Numeric*`, `Date*`, `Bool`,
//!   `BinaryEquals`, `IpAddress`/`NotIpAddress`, `Arn*`, `Null`;
//! * an optional `IfExists` suffix: when the key is absent the condition
//!   holds.
//!
//! When the key is absent and there is no `IfExists`, a *negated* operator
//! (`StringNotEquals`, `NotIpAddress`, `ArnNotLike`, ...) holds — nothing in
//! the request equals a forbidden value — and a positive one fails. `Null`
//! tests presence itself: `"Null": {"aws:TokenIssueTime": "true"}` holds when
//! the key is absent.
//!
//! Numbers compare as decimal numbers, dates as instants (ISO 8601 such as
//! `2024-01-01T00:00:00Z`, or epoch seconds), IP addresses against CIDR
//! blocks (IPv4 and IPv6; a bare address is a /32 or /128). ARNs compare
//! part by part with wildcards (`ArnEquals` and `ArnLike` behave the same).
//! An operator this module does not know never holds.

use std::net::IpAddr;

use gureum_core::timestamp;

use crate::pattern;
use crate::request::Request;

/// A set operator prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetOp {
    /// No prefix: the key is treated as single-valued.
    Single,
    /// `ForAnyValue:`.
    Any,
    /// `ForAllValues:`.
    All,
}

/// How two numbers or dates must compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Cmp::Eq => ord == Equal,
            Cmp::Lt => ord == Less,
            Cmp::Le => ord != Greater,
            Cmp::Gt => ord == Greater,
            Cmp::Ge => ord != Less,
        }
    }
}

/// The positive test behind a base operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    StrEq,
    StrEqCi,
    StrLike,
    Num(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// A parsed operator name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) set: SetOp,
    pub(crate) test: Test,
    pub(crate) negated: bool,
    pub(crate) if_exists: bool,
}

/// The base operators and what they test.
const BASES: &[(&str, Test, bool)] = &[
    ("StringEquals", Test::StrEq, false),
    ("StringNotEquals", Test::StrEq, true),
    ("StringEqualsIgnoreCase", Test::StrEqCi, false),
    ("StringNotEqualsIgnoreCase", Test::StrEqCi, true),
    ("StringLike", Test::StrLike, false),
    ("StringNotLike", Test::StrLike, true),
    ("NumericEquals", Test::Num(Cmp::Eq), false),
    ("NumericNotEquals", Test::Num(Cmp::Eq), true),
    ("NumericLessThan", Test::Num(Cmp::Lt), false),
    ("NumericLessThanEquals", Test::Num(Cmp::Le), false),
    ("NumericGreaterThan", Test::Num(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Test::Num(Cmp::Ge), false),
    ("DateEquals", Test::Date(Cmp::Eq), false),
    ("DateNotEquals", Test::Date(Cmp::Eq), true),
    ("DateLessThan", Test::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Test::Date(Cmp::Le), false),
    ("DateGreaterThan", Test::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Test::Date(Cmp::Ge), false),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::Binary, false),
    ("IpAddress", Test::Ip, false),
    ("NotIpAddress", Test::Ip, true),
    ("ArnEquals", Test::Arn, false),
    ("ArnLike", Test::Arn, false),
    ("ArnNotEquals", Test::Arn, true),
    ("ArnNotLike", Test::Arn, true),
    ("Null", Test::Null, false),
];

/// Parses an operator name such as `ForAllValues:StringLikeIfExists`.
/// Names compare case-insensitively. `None` for unknown operators.
pub(crate) fn parse_operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
        (SetOp::Any, r)
    } else if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
        (SetOp::All, r)
    } else {
        (SetOp::Single, name)
    };
    let (base, if_exists) = match strip_suffix_ci(rest, "IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let &(_, test, negated) = BASES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(base))?;
    if test == Test::Null && (if_exists || set != SetOp::Single) {
        return None;
    }
    Some(Operator {
        set,
        test,
        negated,
        if_exists,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| s.get(..cut))
        .flatten()
}

/// One (operator, key, values) triple of a statement's `Condition` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: String,
    /// The condition key, e.g. `aws:SourceIp`.
    pub key: String,
    /// The values; JSON booleans and numbers are kept as their text.
    pub values: Vec<String>,
    op: Option<Operator>,
}

impl Condition {
    /// A condition; the operator name is parsed once here.
    pub fn new(operator: impl Into<String>, key: impl Into<String>, values: Vec<String>) -> Self {
        let operator = operator.into();
        let op = parse_operator(&operator);
        Condition {
            operator,
            key: key.into(),
            values,
            op,
        }
    }

    /// Whether the operator is one IAM knows.
    pub fn is_known_operator(&self) -> bool {
        self.op.is_some()
    }

    /// Whether the condition holds for `req`. `vars` enables policy
    /// variables in the values (policies of version `2012-10-17`).
    pub fn matches(&self, req: &Request, vars: bool) -> bool {
        let Some(op) = self.op else {
            return false;
        };
        let ctx = req.context_value(&self.key).filter(|v| !v.is_empty());
        if op.test == Test::Null {
            let present = ctx.is_some();
            return self.values.iter().any(|v| {
                if v.eq_ignore_ascii_case("true") {
                    !present
                } else if v.eq_ignore_ascii_case("false") {
                    present
                } else {
                    false
                }
            });
        }
        let Some(ctx) = ctx else {
            return match op.set {
                SetOp::All => true,
                SetOp::Any => op.if_exists,
                SetOp::Single => op.if_exists || op.negated,
            };
        };
        // Does one request value satisfy the (possibly negated) test?
        let one = |v: &String| self.any_value_matches(op.test, v, req, vars) != op.negated;
        match op.set {
            SetOp::All => ctx.iter().all(one),
            SetOp::Any => ctx.iter().any(one),
            SetOp::Single => {
                if op.negated {
                    ctx.iter().all(one)
                } else {
                    ctx.iter().any(one)
                }
            }
        }
    }

    /// Whether the request value `v` matches at least one policy value.
    fn any_value_matches(&self, test: Test, v: &str, req: &Request, vars: bool) -> bool {
        self.values.iter().any(|p| match test {
            Test::StrEq => pattern::with_pattern(p, vars, req, |pat| {
                pattern::literal_eq(pat, v.as_bytes(), false)
            }),
            Test::StrEqCi => {
                pattern::with_pattern(p, vars, req, |pat| pattern::literal_eq_unicode_ci(pat, v))
            }
            Test::StrLike => {
                pattern::with_pattern(p, vars, req, |pat| pattern::glob(pat, v.as_bytes(), false))
            }
            Test::Arn => pattern::with_pattern(p, vars, req, |pat| pattern::arn_like(pat, v)),
            Test::Num(cmp) => match (parse_number(v), parse_number(p)) {
                (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| cmp.holds(o)),
                _ => false,
            },
            Test::Date(cmp) => match (parse_date(v), parse_date(p)) {
                (Some(a), Some(b)) => cmp.holds(a.cmp(&b)),
                _ => false,
            },
            Test::Bool => p.trim().eq_ignore_ascii_case(v.trim()),
            Test::Binary => p == v,
            Test::Ip => ip_in_cidr(v, p),
            Test::Null => false,
        })
    }
}

/// Parses a decimal number as IAM's Numeric operators do.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses an instant: ISO 8601 date-time, a bare date (`2024-01-31`,
/// midnight UTC) or epoch seconds. Milliseconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    // The timestamp parsers expect ASCII; anything else is no date.
    if !s.is_ascii() {
        return None;
    }
    if let Some(ms) = timestamp::parse_iso8601(s) {
        return Some(ms);
    }
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        let mut full = String::with_capacity(20);
        full.push_str(s);
        full.push_str("T00:00:00Z");
        return timestamp::parse_iso8601(&full);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return timestamp::parse_epoch_seconds(s);
    }
    None
}

/// Parses `addr/prefix` or a bare address.
pub(crate) fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
        None => max,
    };
    (prefix <= max).then_some((ip, prefix))
}

/// Whether address `ip` lies in block `cidr`. IPv4-mapped IPv6 addresses
/// (`::ffff:192.0.2.1`) are matched against IPv4 blocks.
pub(crate) fn ip_in_cidr(ip: &str, cidr: &str) -> bool {
    let Ok(ip) = ip.trim().parse::<IpAddr>() else {
        return false;
    };
    let Some((net, prefix)) = parse_cidr(cidr) else {
        return false;
    };
    let ip = match (ip, net) {
        (IpAddr::V6(v6), IpAddr::V4(_)) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => return false,
        },
        _ => ip,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ContextKeys, RequestPrincipal};

    fn req(ctx: &[(&str, &[&str])]) -> Request {
        let mut c = ContextKeys::new();
        for (k, vs) in ctx {
            c.insert(*k, vs.iter().map(|s| s.to_string()).collect());
        }
        Request {
            action: "s3:GetObject".into(),
            resource: "*".into(),
            principal: RequestPrincipal::default(),
            context: c,
        }
    }

    fn holds(op: &str, key: &str, vals: &[&str], ctx: &[(&str, &[&str])]) -> bool {
        Condition::new(op, key, vals.iter().map(|s| s.to_string()).collect())
            .matches(&req(ctx), true)
    }

    #[test]
    fn operator_names() {
        let o = parse_operator("ForAnyValue:StringLikeIfExists").expect("known");
        assert_eq!(o.set, SetOp::Any);
        assert_eq!(o.test, Test::StrLike);
        assert!(o.if_exists);
        assert!(parse_operator("stringequals").is_some());
        assert!(parse_operator("StringEqualz").is_none());
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("ForAnyValue:").is_none());
        assert!(parse_operator("").is_none());
        assert!(parse_operator("IfExists").is_none());
    }

    #[test]
    fn cidr_v4_and_v6() {
        assert!(ip_in_cidr("192.0.2.77", "192.0.2.0/24"));
        assert!(!ip_in_cidr("192.0.3.1", "192.0.2.0/24"));
        assert!(ip_in_cidr("10.1.2.3", "0.0.0.0/0"));
        assert!(ip_in_cidr("10.1.2.3", "10.1.2.3"));
        assert!(!ip_in_cidr("10.1.2.4", "10.1.2.3/32"));
        assert!(ip_in_cidr("2001:db8:1234::1", "2001:DB8:1234::/48"));
        assert!(!ip_in_cidr("2001:db9::1", "2001:db8::/32"));
        assert!(ip_in_cidr("::1", "::/0"));
        assert!(ip_in_cidr("::ffff:192.0.2.9", "192.0.2.0/24"));
        assert!(!ip_in_cidr("192.0.2.9", "2001:db8::/32"));
        assert!(!ip_in_cidr("192.0.2.9", "192.0.2.0/33"));
        assert!(!ip_in_cidr("192.0.2.9", "192.0.2.0/"));
        assert!(!ip_in_cidr("nope", "192.0.2.0/24"));
    }

    #[test]
    fn dates_in_several_forms() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("86400"), Some(86_400_000));
        assert_eq!(parse_date("1970-01-02T00:00:00Z"), Some(86_400_000));
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("2020-01-01T00:00:00.\u{e9}\u{e9}\u{e9}Z"), None);
        assert_eq!(parse_date("2020-01-01T00:00:00.éééZ"), None);
    }

    #[test]
    fn missing_keys() {
        assert!(!holds("StringEquals", "k", &["a"], &[]));
        assert!(holds("StringEqualsIfExists", "k", &["a"], &[]));
        assert!(holds("StringNotEquals", "k", &["a"], &[]));
        assert!(holds("ForAllValues:StringEquals", "k", &["a"], &[]));
        assert!(!holds("ForAnyValue:StringEquals", "k", &["a"], &[]));
        assert!(holds("Null", "k", &["true"], &[]));
        assert!(!holds("Null", "k", &["false"], &[]));
        assert!(holds("Null", "k", &["false"], &[("k", &["x"])]));
    }

    #[test]
    fn set_operators() {
        let tags: &[(&str, &[&str])] = &[("aws:TagKeys", &["env", "team"])];
        assert!(holds(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["env", "team", "x"],
            tags
        ));
        assert!(!holds(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["env"],
            tags
        ));
        assert!(holds(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["env"],
            tags
        ));
        assert!(!holds(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["x"],
            tags
        ));
        assert!(holds(
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["env"],
            tags
        ));
        assert!(!holds(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["env"],
            tags
        ));
    }

    #[test]
    fn numbers_and_bools() {
        assert!(holds("NumericLessThan", "n", &["10"], &[("n", &["9.5"])]));
        assert!(!holds("NumericLessThan", "n", &["10"], &[("n", &["10"])]));
        assert!(holds(
            "NumericLessThanEquals",
            "n",
            &["10"],
            &[("n", &["10"])]
        ));
        assert!(!holds("NumericEquals", "n", &["10"], &[("n", &["ten"])]));
        assert!(holds("Bool", "b", &["true"], &[("b", &["TRUE"])]));
        assert!(!holds("Bool", "b", &["true"], &[("b", &["false"])]));
    }
}
