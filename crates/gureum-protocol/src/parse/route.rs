//! Routing rest-json / rest-xml requests by method + URI template.
//!
//! Each operation's `requestUri` (`/{Bucket}/{Key+}?uploads`) is compiled
//! once into a [`Route`]: path segments that are literals, labels
//! (`{Bucket}`: one non-empty segment, maybe with literal text around it)
//! or greedy labels (`{Key+}`: one or more segments, `/` included), plus the
//! query literals the request must carry (`uploads`, `list-type=2`).
//!
//! Several templates often match one request (S3's `GET /{Bucket}` and
//! `GET /{Bucket}?versioning`); the most specific wins: more literal path
//! characters, then more query literals, then no greedy label. Some
//! operations share a template outright and differ only in the required
//! members they bind to headers or query parameters (S3's `PutObject` and
//! `CopyObject` by `x-amz-copy-source`, `GetObject` and `ListParts` by
//! `uploadId`): then the operation whose required bound members are all
//! present, and most numerous, wins; last, a deprecated operation yields
//! to its replacement (`GetBucketLifecycle`).
//!
//! A trailing slash is tolerated (`/2013-04-01/hostedzone/` routes like
//! `/2013-04-01/hostedzone`), but only when the exact path matches nothing,
//! because under a greedy label it is part of the key (`folder/`).
//!
//! Tables are cached per model (see [`table_for`]), so a request costs a
//! scan over the operations of its method with cheap segment compares.

use super::common::{form_pairs, percent_decode};
use gureum_model::{OperationModel, ServiceModel};
use http::{HeaderMap, HeaderName};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// One compiled path segment of a template.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    /// Literal text, compared with the decoded request segment.
    Lit(String),
    /// `pre{Name}post`: a non-empty value between literal text.
    Label {
        name: String,
        prefix: String,
        suffix: String,
    },
    /// `{Name+}`: one or more segments.
    Greedy(String),
}

/// One operation's compiled template.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// Index of the operation in the model's `operations`.
    pub op_index: usize,
    /// Name of the operation, checked against the model on use.
    pub op_name: String,
    method: String,
    segs: Vec<Seg>,
    query: Vec<(String, Option<String>)>,
    literal_chars: usize,
    greedy: bool,
    /// Required members bound to a header (parsed once: a `&str` lookup
    /// would parse the name on every request).
    required_headers: Vec<HeaderName>,
    /// Required members bound to a query parameter.
    required_query: Vec<String>,
    deprecated: bool,
}

/// How well a matching route fits (compared lexicographically).
type Score = (usize, usize, bool, i64, bool);

/// Decoded URI labels, by label name.
pub(crate) type Labels = Vec<(String, String)>;

impl Route {
    /// Compiles one operation's template and required bound members.
    fn for_operation(
        model: &ServiceModel,
        op_index: usize,
        name: &str,
        op: &OperationModel,
    ) -> Route {
        let mut route = Route::compile(op_index, name, &op.http.method, &op.http.request_uri);
        route.deprecated = op.deprecated;
        let input = op.input.as_ref().and_then(|i| model.shape(&i.shape));
        for (member, r) in input.iter().flat_map(|s| {
            s.members
                .iter()
                .filter(|(n, _)| s.required.iter().any(|q| q == *n))
        }) {
            let wire = r.location_name.as_deref().unwrap_or(member);
            match r.location.as_deref() {
                Some("header") => {
                    // Model header names are valid; one that is not could
                    // never be present, so it is left out of the count.
                    if let Ok(h) = HeaderName::from_bytes(wire.as_bytes()) {
                        route.required_headers.push(h);
                    }
                }
                Some("querystring") => route.required_query.push(wire.to_string()),
                _ => {}
            }
        }
        route
    }

    /// Compiles one template.
    fn compile(op_index: usize, op_name: &str, method: &str, uri: &str) -> Route {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut segs = Vec::new();
        let path = path.strip_prefix('/').unwrap_or(path);
        let path = path.strip_suffix('/').unwrap_or(path);
        if !path.is_empty() {
            for raw in path.split('/') {
                segs.push(compile_seg(raw));
            }
        }
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), Some(percent_decode(v))),
                None => (percent_decode(p), None),
            })
            .collect();
        let literal_chars = segs
            .iter()
            .map(|s| match s {
                Seg::Lit(l) => l.len() + 1,
                Seg::Label { prefix, suffix, .. } => prefix.len() + suffix.len() + 1,
                Seg::Greedy(_) => 1,
            })
            .sum();
        let greedy = segs.iter().any(|s| matches!(s, Seg::Greedy(_)));
        Route {
            op_index,
            op_name: op_name.to_string(),
            method: method.to_ascii_uppercase(),
            segs,
            query,
            literal_chars,
            greedy,
            required_headers: Vec::new(),
            required_query: Vec::new(),
            deprecated: false,
        }
    }

    /// The score of this route for a request it matches.
    fn score(&self, headers: &HeaderMap, pairs: &[(String, String)]) -> Score {
        let present = self
            .required_headers
            .iter()
            .all(|h| headers.contains_key(h))
            && self
                .required_query
                .iter()
                .all(|q| pairs.iter().any(|(k, _)| k == q));
        let bound = if present {
            (self.required_headers.len() + self.required_query.len()) as i64
        } else {
            -1
        };
        (
            self.literal_chars,
            self.query.len(),
            !self.greedy,
            bound,
            !self.deprecated,
        )
    }

    /// The score this route gets when every required member is present:
    /// the table's order, which breaks ties between equal scores.
    fn upper_bound(&self) -> Score {
        (
            self.literal_chars,
            self.query.len(),
            !self.greedy,
            (self.required_headers.len() + self.required_query.len()) as i64,
            !self.deprecated,
        )
    }
}

fn compile_seg(raw: &str) -> Seg {
    if let (Some(open), Some(close)) = (raw.find('{'), raw.rfind('}')) {
        if open < close {
            let inner = &raw[open + 1..close];
            let prefix = raw[..open].to_string();
            let suffix = raw[close + 1..].to_string();
            if let Some(name) = inner.strip_suffix('+') {
                if prefix.is_empty() && suffix.is_empty() {
                    return Seg::Greedy(name.to_string());
                }
            }
            return Seg::Label {
                name: inner.trim_end_matches('+').to_string(),
                prefix,
                suffix,
            };
        }
    }
    Seg::Lit(percent_decode(raw))
}

/// One request path segment, raw and percent-decoded (decoded once per
/// request, not once per candidate route).
#[derive(Debug)]
pub(crate) struct PathSeg<'a> {
    raw: &'a str,
    /// Borrowed from `raw` when it holds no escape.
    decoded: std::borrow::Cow<'a, str>,
}

impl<'a> PathSeg<'a> {
    /// Splits a request path (without its leading `/`) into segments.
    pub(crate) fn split(path: &'a str) -> Vec<PathSeg<'a>> {
        if path.is_empty() {
            return Vec::new();
        }
        path.split('/')
            .map(|raw| PathSeg {
                raw,
                decoded: percent_encoding::percent_decode_str(raw).decode_utf8_lossy(),
            })
            .collect()
    }
}

/// Matches template segments against request segments, collecting decoded
/// labels. Backtracks over how much a greedy label takes. A greedy label's
/// value is its segments' decoded texts joined by `/`: an escape never spans
/// a `/`, so that equals decoding the joined raw text, once.
fn match_segs(segs: &[Seg], path: &[PathSeg<'_>], caps: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return path.is_empty();
    };
    match first {
        Seg::Lit(l) => match path.split_first() {
            Some((p, prest)) if p.raw == l || p.decoded == *l => match_segs(rest, prest, caps),
            _ => false,
        },
        Seg::Label {
            name,
            prefix,
            suffix,
        } => {
            let Some((p, prest)) = path.split_first() else {
                return false;
            };
            let Some(value) = p
                .decoded
                .strip_prefix(prefix.as_str())
                .and_then(|v| v.strip_suffix(suffix.as_str()))
            else {
                return false;
            };
            if value.is_empty() {
                return false;
            }
            caps.push((name.clone(), value.to_string()));
            if match_segs(rest, prest, caps) {
                return true;
            }
            caps.pop();
            false
        }
        Seg::Greedy(name) => {
            // Each later template segment needs one request segment.
            let min_rest = rest.len();
            if path.len() < 1 + min_rest {
                return false;
            }
            for take in (1..=path.len() - min_rest).rev() {
                let taken = &path[..take];
                if take == 1 && taken[0].raw.is_empty() {
                    continue;
                }
                let mut value =
                    String::with_capacity(taken.iter().map(|p| p.decoded.len() + 1).sum());
                for (i, p) in taken.iter().enumerate() {
                    if i > 0 {
                        value.push('/');
                    }
                    value.push_str(&p.decoded);
                }
                caps.push((name.clone(), value));
                if match_segs(rest, &path[take..], caps) {
                    return true;
                }
                caps.pop();
            }
            false
        }
    }
}

/// All compiled routes of a model, by HTTP method, each method's routes in
/// descending order of the best score they could reach.
#[derive(Debug)]
pub(crate) struct RouteTable {
    by_method: Vec<(String, Vec<Route>)>,
}

impl RouteTable {
    /// Compiles every operation of `model`.
    pub(crate) fn build(model: &ServiceModel) -> RouteTable {
        let mut by_method: Vec<(String, Vec<Route>)> = Vec::new();
        for (i, (name, op)) in model.operations.iter().enumerate() {
            let route = Route::for_operation(model, i, name, op);
            match by_method.iter_mut().find(|(m, _)| *m == route.method) {
                Some((_, routes)) => routes.push(route),
                None => by_method.push((route.method.clone(), vec![route])),
            }
        }
        for (_, routes) in &mut by_method {
            // Stable, so equal bounds keep the model's order.
            routes.sort_by_key(|r| std::cmp::Reverse(r.upper_bound()));
        }
        RouteTable { by_method }
    }

    /// The best route for a request and its captured labels.
    pub(crate) fn find(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
    ) -> Option<(&Route, Labels)> {
        let routes = self
            .by_method
            .iter()
            .find(|(m, _)| m.eq_ignore_ascii_case(method))
            .map(|(_, routes)| routes.as_slice())?;
        let pairs = form_pairs(query);
        let path = path.strip_prefix('/').unwrap_or(path);
        let segments = PathSeg::split(path);
        if let Some(found) = best(routes, &segments, &pairs, headers) {
            return Some(found);
        }
        // Trailing-slash tolerance, only once the exact path failed.
        if segments.last().is_some_and(|s| s.raw.is_empty()) {
            return best(routes, &segments[..segments.len() - 1], &pairs, headers);
        }
        None
    }
}

/// The best-scoring route of one method's routes.
///
/// A route's score depends on the request's query and headers, not on its
/// path, so every route whose query literals are present is scored first
/// (cheap) and only then are paths matched (labels decoded and copied), best
/// score first: the first route whose path matches wins. The sort is
/// stable, so equal scores keep the table's order, as a scan keeping the
/// first strictly better match would. PutObject then matches one template,
/// not the four (`CopyObject`, `UploadPart`, …) that outrank it on paper.
fn best<'r>(
    routes: &'r [Route],
    segments: &[PathSeg<'_>],
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Option<(&'r Route, Labels)> {
    let mut scored: Vec<(Score, &'r Route)> = routes
        .iter()
        .filter(|route| {
            route.query.iter().all(|(k, v)| {
                pairs
                    .iter()
                    .any(|(pk, pv)| pk == k && v.as_ref().is_none_or(|v| v == pv))
            })
        })
        .map(|route| (route.score(headers, pairs), route))
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    scored.into_iter().find_map(|(_, route)| {
        let mut caps = Vec::new();
        match_segs(&route.segs, segments, &mut caps).then_some((route, caps))
    })
}

/// Models with fewer operations than this are routed without caching: the
/// table costs less to build than to look up, and such models are usually
/// short-lived (tests), whose addresses get reused.
const CACHE_MIN_OPERATIONS: usize = 8;

/// Most tables kept; past it the cache starts over (models are few).
const CACHE_MAX: usize = 256;

/// A model's address, operation count and shape count.
type Key = (usize, usize, usize);

/// Cached tables, with the uid (or service id) of the model each was built
/// from.
type Cache = HashMap<Key, (String, Arc<RouteTable>), gureum_model::ModelHasher>;

fn cache() -> &'static RwLock<Cache> {
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The route table of `model`, built once per model and cached. The key is
/// the model's address plus its size, and an entry is used only when the
/// model's id matches too, so a stale entry is never trusted.
pub(crate) fn table_for(model: &ServiceModel) -> Arc<RouteTable> {
    if model.operations.len() < CACHE_MIN_OPERATIONS {
        return Arc::new(RouteTable::build(model));
    }
    let key: Key = (
        model as *const ServiceModel as usize,
        model.operations.len(),
        model.shapes.len(),
    );
    let id = model
        .metadata
        .uid
        .as_deref()
        .unwrap_or(&model.metadata.service_id);
    if let Ok(map) = cache().read() {
        if let Some((built_from, t)) = map.get(&key) {
            if built_from == id {
                return Arc::clone(t);
            }
        }
    }
    let table = Arc::new(RouteTable::build(model));
    if let Ok(mut map) = cache().write() {
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        map.insert(key, (id.to_string(), Arc::clone(&table)));
    }
    table
}

/// Drops any cached table of `model` (used when a cached route turned out
/// stale).
pub(crate) fn forget(model: &ServiceModel) {
    let addr = model as *const ServiceModel as usize;
    if let Ok(mut map) = cache().write() {
        map.retain(|k, _| k.0 != addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(uri: &str) -> Route {
        Route::compile(0, "Op", "GET", uri)
    }

    fn caps(uri: &str, path: &str) -> Option<Vec<(String, String)>> {
        let r = route(uri);
        let p = path.strip_prefix('/').unwrap_or(path);
        let segs = PathSeg::split(p);
        let mut c = Vec::new();
        match_segs(&r.segs, &segs, &mut c).then_some(c)
    }

    #[test]
    fn greedy_label_takes_slashes_and_trailing_slash() {
        assert_eq!(
            caps("/{Bucket}/{Key+}", "/b/a/b%20c/"),
            Some(vec![
                ("Bucket".into(), "b".into()),
                ("Key".into(), "a/b c/".into())
            ])
        );
        assert_eq!(caps("/{Bucket}/{Key+}", "/b/"), None);
    }

    #[test]
    fn greedy_label_followed_by_literals() {
        assert_eq!(
            caps("/foo/{a}/baz/{b+}/end", "/foo/x/baz/1/2/end"),
            Some(vec![("a".into(), "x".into()), ("b".into(), "1/2".into())])
        );
    }

    #[test]
    fn label_is_decoded_once_and_keeps_encoded_slash() {
        assert_eq!(
            caps("/x/{s}", "/x/a%2Fb%2525"),
            Some(vec![("s".into(), "a/b%25".into())])
        );
    }

    #[test]
    fn label_with_literal_suffix() {
        assert_eq!(
            caps("/v1/{Name}:run", "/v1/job:run"),
            Some(vec![("Name".into(), "job".into())])
        );
    }

    /// Decoding segments one by one and joining them must equal decoding
    /// the joined raw text (an escape never spans a `/`), for any bytes a
    /// request line can carry: escapes, broken escapes, split UTF-8,
    /// empty segments.
    #[test]
    fn greedy_label_decodes_like_the_joined_raw_text() {
        let alphabet: &[u8] = b"ab/%2F%e3%81%82%zz%4%%/./..+ ";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 24) as usize;
            let mut raw = String::new();
            let mut y = x;
            for _ in 0..len {
                y = y.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                raw.push(alphabet[((y >> 33) % alphabet.len() as u64) as usize] as char);
            }
            let path = format!("/b/{raw}");
            let got = caps("/{Bucket}/{Key+}", &path);
            let key = got.as_ref().and_then(|c| c.get(1)).map(|(_, v)| v.clone());
            if raw.is_empty() {
                assert_eq!(got, None, "{path:?}");
            } else {
                assert_eq!(key, Some(percent_decode(&raw)), "{path:?}");
            }
        }
    }

    /// The scan `best` replaced: routes in table order, the first strictly
    /// better match kept.
    fn best_by_scan<'r>(
        routes: &'r [Route],
        segments: &[PathSeg<'_>],
        pairs: &[(String, String)],
        headers: &HeaderMap,
    ) -> Option<&'r Route> {
        let mut best: Option<(&Route, Score)> = None;
        for route in routes {
            let query_ok = route.query.iter().all(|(k, v)| {
                pairs
                    .iter()
                    .any(|(pk, pv)| pk == k && v.as_ref().is_none_or(|v| v == pv))
            });
            if query_ok && match_segs(&route.segs, segments, &mut Vec::new()) {
                let score = route.score(headers, pairs);
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((route, score));
                }
            }
        }
        best.map(|(r, _)| r)
    }

    /// Every operation of every rest model, its template filled in, with
    /// and without its required headers and query members: scoring first
    /// and matching paths best-first picks what a full scan picks.
    #[test]
    fn best_first_matching_picks_what_a_full_scan_picks() {
        let mut checked = 0;
        for name in gureum_model::services() {
            let model = gureum_model::load(name).expect("vendored model loads");
            if !matches!(model.metadata.protocol.as_str(), "rest-xml" | "rest-json") {
                continue;
            }
            let table = RouteTable::build(&model);
            for (_, routes) in &table.by_method {
                for route in routes {
                    let path: Vec<String> = route
                        .segs
                        .iter()
                        .map(|s| match s {
                            Seg::Lit(l) => l.clone(),
                            Seg::Label { prefix, suffix, .. } => format!("{prefix}x{suffix}"),
                            Seg::Greedy(_) => "k/y".to_string(),
                        })
                        .collect();
                    let path = path.join("/");
                    let mut query: Vec<String> = route
                        .query
                        .iter()
                        .map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => k.clone(),
                        })
                        .collect();
                    for with_required in [false, true] {
                        let mut headers = HeaderMap::new();
                        if with_required {
                            for h in &route.required_headers {
                                headers.insert(h.clone(), http::HeaderValue::from_static("1"));
                            }
                            query.extend(route.required_query.iter().map(|q| format!("{q}=1")));
                        }
                        let pairs = form_pairs(&query.join("&"));
                        let segments = PathSeg::split(&path);
                        let want = best_by_scan(routes, &segments, &pairs, &headers);
                        let got = best(routes, &segments, &pairs, &headers).map(|(r, _)| r);
                        assert_eq!(
                            got.map(|r| &r.op_name),
                            want.map(|r| &r.op_name),
                            "{name}: {} /{path}?{}",
                            route.method,
                            query.join("&")
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1_000, "only {checked} requests checked");
    }
}
