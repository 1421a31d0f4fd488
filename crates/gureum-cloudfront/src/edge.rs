//! What the edge serves from: each distribution with its behaviours,
//! policies and origins resolved ([`EdgeDistribution`]), indexed by the
//! hosts that reach it ([`EdgeIndex`]), and the rules the edge applies
//! (path patterns, cache keys, TTLs) as plain functions the server's
//! `cloudfront_edge.rs` calls.

use crate::policies::{CACHE, ORIGIN_REQUEST, RESPONSE_HEADERS};
use crate::validate::items;
use crate::{str_of, CloudfrontService, StoredDistribution};
use gureum_core::Value;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// Which query strings, headers or cookies a policy selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// None of them.
    None,
    /// All of them.
    All,
    /// Only these (lower-case for headers).
    Only(Vec<String>),
    /// All but these.
    AllExcept(Vec<String>),
}

impl Selection {
    /// Whether `name` is selected.
    pub fn selects(&self, name: &str) -> bool {
        match self {
            Selection::None => false,
            Selection::All => true,
            Selection::Only(names) => names.iter().any(|n| n.eq_ignore_ascii_case(name)),
            Selection::AllExcept(names) => !names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }

    /// What either selection selects.
    fn union(&self, other: &Selection) -> Selection {
        match (self, other) {
            (Selection::None, x) | (x, Selection::None) => x.clone(),
            (Selection::Only(a), Selection::Only(b)) => {
                Selection::Only(a.iter().chain(b).cloned().collect())
            }
            _ => Selection::All,
        }
    }

    fn of(config: Option<&Value>, behavior: &str, list: &str) -> Selection {
        let Some(c) = config else {
            return Selection::None;
        };
        let names: Vec<String> = items(c, list)
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        match str_of(c, behavior) {
            "all" | "allViewer" | "allViewerAndWhitelistCloudFront" => Selection::All,
            "whitelist" | "allowList" => Selection::Only(names),
            "allExcept" => Selection::AllExcept(names),
            _ => Selection::None,
        }
    }
}

/// A behaviour's cache key and TTLs.
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    /// `MinTTL`, seconds.
    pub min_ttl: i64,
    /// `DefaultTTL`, seconds.
    pub default_ttl: i64,
    /// `MaxTTL`, seconds.
    pub max_ttl: i64,
    /// Query strings in the key.
    pub query: Selection,
    /// Headers in the key.
    pub headers: Selection,
    /// Cookies in the key.
    pub cookies: Selection,
    /// Whether `gzip` in `Accept-Encoding` is part of the key.
    pub gzip: bool,
}

impl KeyPolicy {
    fn from_cache_policy(c: &Value) -> KeyPolicy {
        let p = c.get("ParametersInCacheKeyAndForwardedToOrigin");
        let ttl = |n: &str, d: i64| c.get(n).and_then(Value::as_i64).unwrap_or(d);
        let min = ttl("MinTTL", 0);
        KeyPolicy {
            min_ttl: min,
            default_ttl: ttl("DefaultTTL", 86_400.max(min)),
            max_ttl: ttl("MaxTTL", 31_536_000.max(min)),
            query: Selection::of(
                p.and_then(|p| p.get("QueryStringsConfig")),
                "QueryStringBehavior",
                "QueryStrings",
            ),
            headers: Selection::of(
                p.and_then(|p| p.get("HeadersConfig")),
                "HeaderBehavior",
                "Headers",
            ),
            cookies: Selection::of(
                p.and_then(|p| p.get("CookiesConfig")),
                "CookieBehavior",
                "Cookies",
            ),
            gzip: p
                .and_then(|p| p.get("EnableAcceptEncodingGzip"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// The legacy settings of a behaviour without a cache policy
    /// (`ForwardedValues`, `MinTTL`/`DefaultTTL`/`MaxTTL`).
    fn from_legacy(b: &Value) -> KeyPolicy {
        let fv = b.get("ForwardedValues");
        let ttl = |n: &str, d: i64| b.get(n).and_then(Value::as_i64).unwrap_or(d);
        let query = match fv
            .and_then(|f| f.get("QueryString"))
            .and_then(Value::as_bool)
        {
            Some(true) => {
                let keys = fv.map(|f| items(f, "QueryStringCacheKeys")).unwrap_or(&[]);
                if keys.is_empty() {
                    Selection::All
                } else {
                    Selection::Only(
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                    )
                }
            }
            _ => Selection::None,
        };
        let headers: Vec<String> = fv
            .map(|f| items(f, "Headers"))
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let headers = if headers.iter().any(|h| h == "*") {
            Selection::All
        } else if headers.is_empty() {
            Selection::None
        } else {
            Selection::Only(headers)
        };
        let cookies = fv.and_then(|f| f.get("Cookies"));
        KeyPolicy {
            min_ttl: ttl("MinTTL", 0),
            default_ttl: ttl("DefaultTTL", 86_400),
            max_ttl: ttl("MaxTTL", 31_536_000),
            query,
            headers,
            cookies: match cookies.map(|c| str_of(c, "Forward")) {
                Some("all") => Selection::All,
                Some("whitelist") => Selection::Only(
                    cookies
                        .map(|c| items(c, "WhitelistedNames"))
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                ),
                _ => Selection::None,
            },
            gzip: b.get("Compress").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    /// How long to keep an answer, in seconds, from the origin's
    /// `Cache-Control` and `Expires` (seconds from now): `max-age` or
    /// `s-maxage` (or `Expires`) clamped to `[MinTTL, MaxTTL]`, else
    /// `DefaultTTL`; `no-store`, `no-cache` and `private` keep it `MinTTL`.
    /// `None` when it is not to be kept at all.
    pub fn ttl_secs(&self, cache_control: Option<&str>, expires_in: Option<i64>) -> Option<i64> {
        let mut age: Option<i64> = None;
        let mut s_age: Option<i64> = None;
        let mut forbidden = false;
        for directive in cache_control.unwrap_or("").split(',') {
            let d = directive.trim().to_ascii_lowercase();
            if let Some(v) = d.strip_prefix("s-maxage=") {
                s_age = v.trim_matches('"').parse().ok();
            } else if let Some(v) = d.strip_prefix("max-age=") {
                age = v.trim_matches('"').parse().ok();
            } else if matches!(d.as_str(), "no-store" | "no-cache" | "private") {
                forbidden = true;
            }
        }
        let ttl = if forbidden {
            self.min_ttl
        } else {
            match s_age.or(age).or(expires_in) {
                Some(secs) => secs.clamp(self.min_ttl, self.max_ttl.max(self.min_ttl)),
                None => self.default_ttl,
            }
        };
        (ttl > 0).then_some(ttl)
    }
}

/// Epoch seconds of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// the form `Expires` takes; `None` for anything else (which HTTP says to
/// treat as already expired).
pub fn http_date_secs(date: &str) -> Option<i64> {
    let mut it = date.split_whitespace().skip(1);
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" {
        return None;
    }
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = gureum_core::timestamp::days_from_civil(year, month, day as u32);
    Some(days * 86_400 + h * 3_600 + m * 60 + sec)
}

/// What an origin is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginKind {
    /// An S3 bucket's REST endpoint (`BUCKET.s3.amazonaws.com`).
    S3 {
        /// The bucket.
        bucket: String,
    },
    /// Anything reached over HTTP (custom origins, S3 website endpoints,
    /// load balancers, API Gateway).
    Http,
}

/// One origin.
#[derive(Clone, Debug)]
pub struct EdgeOrigin {
    /// `Id`.
    pub id: String,
    /// `DomainName`.
    pub domain: String,
    /// `OriginPath` (prefixed to the request path).
    pub path: String,
    /// `CustomOriginConfig.HTTPPort` (80 when absent).
    pub http_port: u16,
    /// S3 or HTTP.
    pub kind: OriginKind,
    /// `CustomHeaders`, sent with every origin request.
    pub custom_headers: Vec<(String, String)>,
    /// Whether an origin access control or identity reads the bucket.
    pub signed: bool,
}

/// One origin group.
#[derive(Clone, Debug)]
pub struct EdgeOriginGroup {
    /// `Id`.
    pub id: String,
    /// Member origin ids, primary first.
    pub members: Vec<String>,
    /// Statuses that fail over to the next member.
    pub failover_codes: Vec<u16>,
}

/// One cache behaviour, resolved.
#[derive(Clone, Debug)]
pub struct EdgeBehavior {
    /// `PathPattern` (`*` for the default behaviour).
    pub pattern: String,
    /// `ViewerProtocolPolicy`: `allow-all`, `redirect-to-https`,
    /// `https-only`.
    pub viewer_protocol: String,
    /// `TargetOriginId`.
    pub target: String,
    /// `Compress`.
    pub compress: bool,
    /// `AllowedMethods`.
    pub allowed_methods: Vec<String>,
    /// Cache key and TTLs.
    pub key: KeyPolicy,
    /// Query strings sent to the origin (the key's plus the origin
    /// request policy's).
    pub forward_query: Selection,
    /// Headers sent to the origin.
    pub forward_headers: Selection,
    /// The response headers policy's configuration.
    pub response_headers: Option<Value>,
}

/// One custom error response.
#[derive(Clone, Debug)]
pub struct ErrorResponse {
    /// `ErrorCode`.
    pub code: u16,
    /// `ResponsePagePath`.
    pub page: Option<String>,
    /// `ResponseCode` (the origin's status when absent).
    pub response_code: Option<u16>,
    /// `ErrorCachingMinTTL`, seconds (10 when absent).
    pub min_ttl: i64,
}

/// A distribution as the edge serves it.
#[derive(Clone, Debug)]
pub struct EdgeDistribution {
    /// `E…`.
    pub id: String,
    /// The owner.
    pub account: String,
    /// `dxxxx.cloudfront.net`.
    pub domain: String,
    /// `Enabled`.
    pub enabled: bool,
    /// `ViewerCertificate.ACMCertificateArn`, served on its aliases.
    pub certificate_arn: Option<String>,
    /// `DefaultRootObject`, when set.
    pub default_root_object: Option<String>,
    /// Origins.
    pub origins: Vec<EdgeOrigin>,
    /// Origin groups.
    pub groups: Vec<EdgeOriginGroup>,
    /// `CacheBehaviors` in order, then the default behaviour.
    pub behaviors: Vec<EdgeBehavior>,
    /// `CustomErrorResponses`.
    pub error_responses: Vec<ErrorResponse>,
}

/// Whether `path` matches a `PathPattern`: `*` any run of characters,
/// `?` exactly one; a pattern without a leading `/` is taken with one.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    let path = path.strip_prefix('/').unwrap_or(path);
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The bucket of an S3 REST endpoint host (`BUCKET.s3.amazonaws.com`,
/// `BUCKET.s3.REGION.amazonaws.com`, `BUCKET.s3-REGION.amazonaws.com`);
/// website endpoints (`.s3-website`) are HTTP origins.
pub fn s3_bucket(domain: &str) -> Option<String> {
    if domain.contains(".s3-website") {
        return None;
    }
    let idx = domain.find(".s3.").or_else(|| domain.find(".s3-"))?;
    let bucket = &domain[..idx];
    (!bucket.is_empty()).then(|| bucket.to_string())
}

impl EdgeDistribution {
    fn build(svc: &CloudfrontService, d: &StoredDistribution) -> EdgeDistribution {
        let c = &d.config;
        let origins = items(c, "Origins")
            .iter()
            .map(|o| {
                let domain = str_of(o, "DomainName").to_string();
                let custom = o.get("CustomOriginConfig");
                EdgeOrigin {
                    id: str_of(o, "Id").to_string(),
                    kind: match (custom, s3_bucket(&domain)) {
                        (None, Some(bucket)) => OriginKind::S3 { bucket },
                        _ => OriginKind::Http,
                    },
                    http_port: custom
                        .and_then(|c| c.get("HTTPPort"))
                        .and_then(Value::as_u64)
                        .and_then(|p| u16::try_from(p).ok())
                        .unwrap_or(80),
                    path: str_of(o, "OriginPath").to_string(),
                    custom_headers: items(o, "CustomHeaders")
                        .iter()
                        .map(|h| {
                            (
                                str_of(h, "HeaderName").to_string(),
                                str_of(h, "HeaderValue").to_string(),
                            )
                        })
                        .collect(),
                    signed: !str_of(o, "OriginAccessControlId").is_empty()
                        || o.get("S3OriginConfig")
                            .is_some_and(|c| !str_of(c, "OriginAccessIdentity").is_empty()),
                    domain,
                }
            })
            .collect();
        let groups = items(c, "OriginGroups")
            .iter()
            .map(|g| EdgeOriginGroup {
                id: str_of(g, "Id").to_string(),
                members: items(g, "Members")
                    .iter()
                    .map(|m| str_of(m, "OriginId").to_string())
                    .collect(),
                failover_codes: g
                    .get("FailoverCriteria")
                    .map(|f| items(f, "StatusCodes"))
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Value::as_u64)
                    .filter_map(|s| u16::try_from(s).ok())
                    .collect(),
            })
            .collect();
        let behavior = |b: &Value, pattern: &str| {
            let key = match str_of(b, "CachePolicyId") {
                "" => KeyPolicy::from_legacy(b),
                id => svc
                    .policy_config(&d.account, &CACHE, id)
                    .map(|p| KeyPolicy::from_cache_policy(&p))
                    .unwrap_or_else(|| KeyPolicy::from_legacy(b)),
            };
            let origin_request = match str_of(b, "OriginRequestPolicyId") {
                "" => None,
                id => svc.policy_config(&d.account, &ORIGIN_REQUEST, id),
            };
            let or_query = Selection::of(
                origin_request
                    .as_ref()
                    .and_then(|p| p.get("QueryStringsConfig")),
                "QueryStringBehavior",
                "QueryStrings",
            );
            let or_headers = Selection::of(
                origin_request.as_ref().and_then(|p| p.get("HeadersConfig")),
                "HeaderBehavior",
                "Headers",
            );
            EdgeBehavior {
                pattern: pattern.to_string(),
                viewer_protocol: str_of(b, "ViewerProtocolPolicy").to_string(),
                target: str_of(b, "TargetOriginId").to_string(),
                compress: b.get("Compress").and_then(Value::as_bool).unwrap_or(false),
                allowed_methods: items(b, "AllowedMethods")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                forward_query: key.query.union(&or_query),
                forward_headers: key.headers.union(&or_headers),
                key,
                response_headers: match str_of(b, "ResponseHeadersPolicyId") {
                    "" => None,
                    id => svc.policy_config(&d.account, &RESPONSE_HEADERS, id),
                },
            }
        };
        let mut behaviors: Vec<EdgeBehavior> = items(c, "CacheBehaviors")
            .iter()
            .map(|b| behavior(b, str_of(b, "PathPattern")))
            .collect();
        if let Some(default) = c.get("DefaultCacheBehavior") {
            behaviors.push(behavior(default, "*"));
        }
        EdgeDistribution {
            id: d.id.clone(),
            account: d.account.clone(),
            domain: d.domain.clone(),
            enabled: d.enabled(),
            certificate_arn: c
                .pointer("/ViewerCertificate/ACMCertificateArn")
                .and_then(Value::as_str)
                .filter(|a| !a.is_empty())
                .map(str::to_string),
            default_root_object: Some(str_of(c, "DefaultRootObject"))
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            origins,
            groups,
            behaviors,
            error_responses: items(c, "CustomErrorResponses")
                .iter()
                .map(|e| ErrorResponse {
                    code: e
                        .get("ErrorCode")
                        .and_then(Value::as_u64)
                        .and_then(|s| u16::try_from(s).ok())
                        .unwrap_or(0),
                    page: Some(str_of(e, "ResponsePagePath"))
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                    response_code: str_of(e, "ResponseCode").parse().ok(),
                    min_ttl: e
                        .get("ErrorCachingMinTTL")
                        .and_then(Value::as_i64)
                        .unwrap_or(10),
                })
                .collect(),
        }
    }

    /// The behaviour serving `path`: the first `CacheBehaviors` pattern
    /// that matches, else the default.
    pub fn behavior_for(&self, path: &str) -> Option<&EdgeBehavior> {
        let (last, rest) = self.behaviors.split_last()?;
        Some(
            rest.iter()
                .find(|b| pattern_matches(&b.pattern, path))
                .unwrap_or(last),
        )
    }

    /// The origins a behaviour's target reaches, in failover order, with
    /// the statuses that fail over.
    pub fn origins_for(&self, target: &str) -> (Vec<&EdgeOrigin>, Vec<u16>) {
        if let Some(g) = self.groups.iter().find(|g| g.id == target) {
            let list = g
                .members
                .iter()
                .filter_map(|m| self.origins.iter().find(|o| &o.id == m))
                .collect();
            return (list, g.failover_codes.clone());
        }
        (
            self.origins.iter().filter(|o| o.id == target).collect(),
            Vec::new(),
        )
    }

    /// The custom error response for `status`.
    pub fn error_response(&self, status: u16) -> Option<&ErrorResponse> {
        self.error_responses.iter().find(|e| e.code == status)
    }
}

/// The cache key of a request: distribution, method class, path, and what
/// the behaviour's cache policy selects of the query string, headers and
/// cookies (in a fixed order), and the encoding when compression applies.
pub fn cache_key(
    dist: &str,
    path: &str,
    query: &str,
    headers: &http::HeaderMap,
    behavior: &EdgeBehavior,
    encoding: Option<&str>,
) -> String {
    let mut key = String::with_capacity(64 + path.len());
    key.push_str(dist);
    key.push('\u{1}');
    key.push_str(path);
    let policy = &behavior.key;
    if policy.query != Selection::None {
        let mut pairs: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| policy.query.selects(p.split('=').next().unwrap_or("")))
            .collect();
        pairs.sort_unstable();
        key.push('?');
        key.push_str(&pairs.join("&"));
    }
    if policy.headers != Selection::None {
        let mut names: Vec<&str> = headers
            .keys()
            .map(http::HeaderName::as_str)
            .filter(|n| policy.headers.selects(n))
            .collect();
        names.sort_unstable();
        names.dedup();
        for n in names {
            key.push('\u{1}');
            key.push_str(n);
            key.push('=');
            for v in headers.get_all(n) {
                key.push_str(v.to_str().unwrap_or(""));
            }
        }
    }
    if policy.cookies != Selection::None {
        let mut cookies: Vec<&str> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|c| policy.cookies.selects(c.split('=').next().unwrap_or("")))
            .collect();
        cookies.sort_unstable();
        key.push_str("\u{1}cookie=");
        key.push_str(&cookies.join(";"));
    }
    if let Some(e) = encoding {
        key.push_str("\u{1}enc=");
        key.push_str(e);
    }
    key
}

/// Distributions by the hosts that reach them, rebuilt lazily after a
/// write (a write drops it; the next viewer request rebuilds it).
#[derive(Default)]
pub struct EdgeIndex {
    hosts: RwLock<Option<Arc<HostMap>>>,
}

/// Distributions by lower-case host (id, domain label, alias).
type HostMap = HashMap<String, Arc<EdgeDistribution>>;

/// The first label of a CloudFront host (`ID.cloudfront.localhost`,
/// `dxxxx.cloudfront.net`), lower-case.
fn cloudfront_label(host: &str) -> Option<&str> {
    let (label, rest) = host.split_once('.')?;
    matches!(rest, "cloudfront.localhost" | "cloudfront.net").then_some(label)
}

impl EdgeIndex {
    /// Drops the index (after any write it depends on).
    pub fn invalidate(&self) {
        *self.hosts.write() = None;
    }

    fn current(&self, svc: &CloudfrontService) -> Arc<HostMap> {
        if let Some(h) = self.hosts.read().as_ref() {
            return h.clone();
        }
        let mut map = HashMap::new();
        for (_, d) in svc.distributions.scan_prefix("").unwrap_or_default() {
            let edge = Arc::new(EdgeDistribution::build(svc, &d));
            map.insert(d.id.to_ascii_lowercase(), edge.clone());
            if let Some((label, _)) = d.domain.split_once('.') {
                map.insert(label.to_string(), edge.clone());
            }
            for alias in d.aliases() {
                map.insert(alias.to_ascii_lowercase(), edge.clone());
            }
        }
        let map = Arc::new(map);
        *self.hosts.write() = Some(map.clone());
        map
    }

    /// The distribution `host` (with or without a port) reaches.
    pub fn lookup(&self, svc: &CloudfrontService, host: &str) -> Option<Arc<EdgeDistribution>> {
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let map = self.current(svc);
        if let Some(label) = cloudfront_label(&host) {
            return map.get(label).cloned();
        }
        if let Some(d) = map.get(&host) {
            return Some(d.clone());
        }
        // A wildcard alias (`*.example.com`) covers one more label.
        let (_, parent) = host.split_once('.')?;
        map.get(&format!("*.{parent}")).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_match_with_star_and_question_mark() {
        assert!(pattern_matches("/api/*", "/api/users/1"));
        assert!(pattern_matches("api/*", "/api/x"));
        assert!(pattern_matches("*.jpg", "/img/a.jpg"));
        assert!(pattern_matches("/a?c", "/abc"));
        assert!(!pattern_matches("/api/*", "/apix"));
        assert!(!pattern_matches("*.jpg", "/a.png"));
    }

    #[test]
    fn s3_rest_hosts_name_their_bucket_and_website_hosts_do_not() {
        assert_eq!(s3_bucket("site.s3.amazonaws.com").as_deref(), Some("site"));
        assert_eq!(
            s3_bucket("site.s3.eu-west-1.amazonaws.com").as_deref(),
            Some("site")
        );
        assert_eq!(s3_bucket("site.s3-website-us-east-1.amazonaws.com"), None);
        assert_eq!(s3_bucket("example.com"), None);
    }

    fn policy(min: i64, default: i64, max: i64) -> KeyPolicy {
        KeyPolicy {
            min_ttl: min,
            default_ttl: default,
            max_ttl: max,
            query: Selection::None,
            headers: Selection::None,
            cookies: Selection::None,
            gzip: false,
        }
    }

    #[test]
    fn origin_max_age_is_clamped_between_min_and_max_ttl() {
        let p = policy(10, 100, 1000);
        assert_eq!(p.ttl_secs(Some("max-age=5"), None), Some(10));
        assert_eq!(p.ttl_secs(Some("public, max-age=500"), None), Some(500));
        assert_eq!(p.ttl_secs(Some("max-age=5000"), None), Some(1000));
        assert_eq!(p.ttl_secs(Some("s-maxage=50, max-age=500"), None), Some(50));
        assert_eq!(p.ttl_secs(None, None), Some(100));
        assert_eq!(p.ttl_secs(None, Some(300)), Some(300));
    }

    #[test]
    fn expires_dates_are_read_as_epoch_seconds() {
        assert_eq!(
            http_date_secs("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(http_date_secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date_secs("0"), None);
    }

    #[test]
    fn no_store_is_not_cached_unless_min_ttl_says_so() {
        assert_eq!(policy(0, 100, 1000).ttl_secs(Some("no-store"), None), None);
        assert_eq!(
            policy(5, 100, 1000).ttl_secs(Some("private"), None),
            Some(5)
        );
        assert_eq!(policy(0, 0, 0).ttl_secs(None, None), None);
    }

    #[test]
    fn the_cache_key_holds_only_the_selected_query_strings() {
        let mut b = EdgeBehavior {
            pattern: "*".into(),
            viewer_protocol: "allow-all".into(),
            target: "o".into(),
            compress: false,
            allowed_methods: vec![],
            key: policy(0, 1, 1),
            forward_query: Selection::None,
            forward_headers: Selection::None,
            response_headers: None,
        };
        let h = http::HeaderMap::new();
        let none = cache_key("E1", "/a", "x=1&y=2", &h, &b, None);
        assert_eq!(none, cache_key("E1", "/a", "x=9", &h, &b, None));
        b.key.query = Selection::Only(vec!["x".into()]);
        let a = cache_key("E1", "/a", "y=2&x=1", &h, &b, None);
        assert_eq!(a, cache_key("E1", "/a", "x=1&y=3", &h, &b, None));
        assert_ne!(a, cache_key("E1", "/a", "x=2", &h, &b, None));
    }
}
