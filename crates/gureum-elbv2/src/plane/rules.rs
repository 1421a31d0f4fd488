//! Rule conditions as the data plane evaluates them, pure: host and path
//! patterns (`*` any run, `?` one character; hosts case-insensitive),
//! headers, methods, query strings and source CIDRs.

use serde_json::Value;
use std::net::IpAddr;

/// One parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// `host-header`: any of the patterns.
    Host(Vec<String>),
    /// `path-pattern`: any of the patterns (case-sensitive).
    Path(Vec<String>),
    /// `http-header`: the header (lower-cased) matches any pattern.
    Header(String, Vec<String>),
    /// `http-request-method`: any of the methods.
    Method(Vec<String>),
    /// `query-string`: any of the `(key, value)` patterns.
    Query(Vec<(Option<String>, String)>),
    /// `source-ip`: any of the blocks.
    SourceIp(Vec<(IpAddr, u8)>),
}

/// What a request shows the conditions.
pub struct RequestFacts<'a> {
    /// The `Host` header, without its port.
    pub host: &'a str,
    /// The path.
    pub path: &'a str,
    /// The method.
    pub method: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// A header's values by lower-case name.
    pub header: &'a dyn Fn(&str) -> Vec<String>,
    /// The client's address.
    pub source: IpAddr,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// Parses a stored (normalised) condition.
pub fn parse(c: &Value) -> Option<Condition> {
    Some(match c["Field"].as_str()? {
        "host-header" => Condition::Host(strings(&c["HostHeaderConfig"]["Values"])),
        "path-pattern" => Condition::Path(strings(&c["PathPatternConfig"]["Values"])),
        "http-header" => Condition::Header(
            c["HttpHeaderConfig"]["HttpHeaderName"]
                .as_str()?
                .to_ascii_lowercase(),
            strings(&c["HttpHeaderConfig"]["Values"]),
        ),
        "http-request-method" => {
            Condition::Method(strings(&c["HttpRequestMethodConfig"]["Values"]))
        }
        "query-string" => Condition::Query(
            c["QueryStringConfig"]["Values"]
                .as_array()?
                .iter()
                .map(|kv| {
                    (
                        kv["Key"].as_str().map(str::to_string),
                        kv["Value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        ),
        "source-ip" => Condition::SourceIp(
            strings(&c["SourceIpConfig"]["Values"])
                .iter()
                .filter_map(|s| parse_cidr(s))
                .collect(),
        ),
        _ => return None,
    })
}

/// `10.0.0.0/8` → address and prefix length.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((ip, len))
}

fn in_block(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Wildcard match: `*` any run of characters, `?` exactly one.
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // Iterative matching with one backtrack point for the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && eq(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Decodes `%XX` and `+` in a query component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query string's `(key, value)` pairs, decoded.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

impl Condition {
    /// Whether the request meets the condition.
    pub fn matches(&self, r: &RequestFacts<'_>) -> bool {
        match self {
            Condition::Host(ps) => ps.iter().any(|p| wildcard(p, r.host, true)),
            Condition::Path(ps) => ps.iter().any(|p| wildcard(p, r.path, false)),
            Condition::Header(name, ps) => {
                let values = (r.header)(name);
                values
                    .iter()
                    .any(|v| ps.iter().any(|p| wildcard(p, v, true)))
            }
            Condition::Method(ms) => ms.iter().any(|m| m == r.method),
            Condition::Query(kvs) => {
                let pairs = query_pairs(r.query);
                kvs.iter().any(|(k, v)| {
                    pairs.iter().any(|(pk, pv)| {
                        k.as_ref().is_none_or(|k| wildcard(k, pk, true)) && wildcard(v, pv, true)
                    })
                })
            }
            Condition::SourceIp(blocks) => blocks.iter().any(|b| in_block(r.source, *b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        path: &'a str,
        host: &'a str,
        f: &'a dyn Fn(&str) -> Vec<String>,
    ) -> RequestFacts<'a> {
        RequestFacts {
            host,
            path,
            method: "GET",
            query: "a=1&b=two+words",
            header: f,
            source: "10.1.2.3".parse().expect("ip"),
        }
    }

    #[test]
    fn path_patterns_use_star_and_question_mark_case_sensitively() {
        assert!(wildcard("/api/*", "/api/users/1", false));
        assert!(!wildcard("/api/*", "/API/users", false));
        assert!(wildcard("/img/?.png", "/img/a.png", false));
        assert!(!wildcard("/img/?.png", "/img/ab.png", false));
        assert!(wildcard("*", "", false));
    }

    #[test]
    fn host_patterns_ignore_case() {
        assert!(wildcard("*.example.com", "API.Example.com", true));
    }

    #[test]
    fn query_string_and_source_ip_conditions_match_decoded_values_and_blocks() {
        let none = |_: &str| Vec::new();
        let f = facts("/", "h", &none);
        assert!(Condition::Query(vec![(Some("b".into()), "two words".into())]).matches(&f));
        assert!(!Condition::Query(vec![(Some("a".into()), "2".into())]).matches(&f));
        let block = parse_cidr("10.0.0.0/8").expect("cidr");
        assert!(Condition::SourceIp(vec![block]).matches(&f));
        let other = parse_cidr("192.168.0.0/16").expect("cidr");
        assert!(!Condition::SourceIp(vec![other]).matches(&f));
    }

    #[test]
    fn header_conditions_match_any_value_by_wildcard() {
        let h = |n: &str| {
            if n == "user-agent" {
                vec!["Mozilla/5.0 (Mobile)".to_string()]
            } else {
                Vec::new()
            }
        };
        let f = facts("/", "h", &h);
        assert!(Condition::Header("user-agent".into(), vec!["*Mobile*".into()]).matches(&f));
        assert!(!Condition::Header("x-missing".into(), vec!["*".into()]).matches(&f));
    }
}
