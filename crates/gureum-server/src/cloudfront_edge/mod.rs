//! CloudFront's edge on the main port, chosen by `Host`:
//! `ID.cloudfront.localhost:PORT`, `dxxxx.cloudfront.localhost:PORT` and
//! a distribution's aliases. A request takes the first cache behaviour
//! whose path pattern matches, is answered from the edge cache when a
//! fresh copy is there (`X-Cache: Hit from cloudfront`, `Age`), and
//! otherwise from the behaviour's origin (or origin group, failing over on
//! its status codes and on connection errors), then cached for the TTL
//! the cache policy and the origin's `Cache-Control` give. Custom error
//! responses, the default root object, byte ranges and response headers
//! policies apply as CloudFront applies them.

mod origin;
mod reply;

use crate::pipeline::{AppState, Body};
use bytes::Bytes;
use gureum_cloudfront::cache::CachedObject;
use gureum_cloudfront::compress;
use gureum_cloudfront::edge::{cache_key, EdgeBehavior, EdgeDistribution, Selection};
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;

/// The distribution `host` reaches, if any.
pub(crate) fn distribution_for(state: &AppState, host: &str) -> Option<Arc<EdgeDistribution>> {
    state.registry.cloudfront.edge_for_host(host)
}

/// Statuses CloudFront caches by the TTLs (others only as errors).
const CACHEABLE: [u16; 5] = [200, 203, 300, 301, 410];
/// Error statuses CloudFront caches for `ErrorCachingMinTTL`.
const CACHED_ERRORS: [u16; 14] = [
    400, 403, 404, 405, 412, 414, 415, 416, 500, 501, 502, 503, 504, 429,
];

/// The largest viewer body the edge reads (it is read whole to be sent
/// to each origin a group tries).
const MAX_VIEWER_BODY: usize = 64 << 20;

/// The page text CloudFront gives when no origin can be reached.
const NO_ORIGIN: &str = "We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.";

/// `ViewerProtocolPolicy` for a request over plain HTTP: `redirect-to-https`
/// answers 301 to the same URL over HTTPS (on the edge's HTTPS port when
/// the request named a port, as Gureum's edge has no port 443), and
/// `https-only` 403, as CloudFront does.
fn viewer_protocol(
    parts: &Parts,
    behavior: &gureum_cloudfront::edge::EdgeBehavior,
    cf_id: &str,
    https_port: Option<u16>,
) -> Option<WireResponse> {
    if parts
        .extensions
        .get::<crate::cloudfront_tls::ViewerHttps>()
        .is_some()
    {
        return None;
    }
    match behavior.viewer_protocol.as_str() {
        "https-only" => Some(reply::error_page(403, "Bad request.", NO_ORIGIN, cf_id)),
        "redirect-to-https" => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            // The viewer's host with the edge's HTTPS port in place of
            // the one it named (none: HTTPS's default port).
            let authority = match (host.rsplit_once(':'), https_port) {
                (Some((name, _)), Some(port)) => format!("{name}:{port}"),
                _ => host.to_string(),
            };
            let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            Some(reply::redirect_to_https(
                &format!("https://{authority}{target}"),
                cf_id,
            ))
        }
        _ => None,
    }
}

/// Serves one viewer request, counted for the distribution's metrics.
pub(crate) async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    dist: Arc<EdgeDistribution>,
) -> WireResponse {
    let (account, id) = (dist.account.clone(), dist.id.clone());
    let r = answer(state, parts, body, remote, dist).await;
    let cloudfront = &state.registry.cloudfront;
    cloudfront.record_request(&account, &id, r.status, r.body.len());
    r
}

async fn answer(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    dist: Arc<EdgeDistribution>,
) -> WireResponse {
    let cf_id = reply::cf_id();
    if !dist.enabled {
        return reply::error_page(403, "Bad request.", NO_ORIGIN, &cf_id);
    }
    let path = parts.uri.path();
    let Some(behavior) = dist.behavior_for(path) else {
        return reply::error_page(502, "Bad gateway.", NO_ORIGIN, &cf_id);
    };
    let https_port = state.registry.cloudfront.https_endpoint().map(|a| a.port());
    if let Some(r) = viewer_protocol(parts, behavior, &cf_id, https_port) {
        return r;
    }
    let method = &parts.method;
    let cacheable = method == http::Method::GET || method == http::Method::HEAD;
    if !cacheable
        && !behavior
            .allowed_methods
            .iter()
            .any(|m| m == method.as_str())
    {
        return reply::error_page(
            403,
            "Bad request.",
            "This distribution is not configured to allow the HTTP request method that was used for this request. The distribution supports only cachable requests.",
            &cf_id,
        );
    }
    let body = match body {
        Body::Bytes(b) => b,
        Body::Incoming(t) => match http_body_util::Limited::new(t, MAX_VIEWER_BODY)
            .collect()
            .await
        {
            Ok(c) => c.to_bytes(),
            Err(_) => return reply::error_page(400, "Bad request.", NO_ORIGIN, &cf_id),
        },
    };
    let query = parts.uri.query().unwrap_or("");
    let now = state.clock.now_millis();
    let cache = state.registry.cloudfront.edge_cache();
    // A compressing behaviour keeps the gzip apart from the identity copy.
    let gzip = behavior.compress
        && parts
            .headers
            .get(http::header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(compress::accepts_gzip);
    let encoding = gzip.then_some("gzip");
    let key = cache_key(&dist.id, path, query, &parts.headers, behavior, encoding);
    if cacheable {
        if let Some(obj) = cache.get(&key, now) {
            let x_cache = if obj.status >= 400 { "Error" } else { "Hit" };
            let age = (now - obj.stored_ms) / 1000;
            return finish(parts, behavior, &obj, x_cache, &cf_id, Some(age));
        }
    }
    // The default root object answers for the distribution's root.
    let origin_path = match (&dist.default_root_object, path) {
        (Some(root), "/") => format!("/{root}"),
        _ => path.to_string(),
    };
    let forwarded_query: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            behavior
                .forward_query
                .selects(p.split('=').next().unwrap_or(""))
        })
        .collect();
    let target = if forwarded_query.is_empty() {
        origin_path
    } else {
        format!("{origin_path}?{}", forwarded_query.join("&"))
    };
    let mut headers = http::HeaderMap::new();
    for (name, value) in &parts.headers {
        // Cookies in the cache key reach the origin too.
        let cookie = name == http::header::COOKIE && behavior.key.cookies != Selection::None;
        if (cookie || behavior.forward_headers.selects(name.as_str())) && name != http::header::HOST
        {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(
        "x-amz-cf-id",
        http::HeaderValue::from_str(&cf_id).unwrap_or(http::HeaderValue::from_static("-")),
    );
    // A HEAD that misses reads the whole object, which a later GET hits.
    let origin_method = if method == http::Method::HEAD {
        http::Method::GET
    } else {
        method.clone()
    };
    let request = origin::Request {
        method: &origin_method,
        target: &target,
        headers: &headers,
        body,
    };
    let Some(mut answer) = from_origins(state, &dist, behavior, &request, remote).await else {
        return reply::error_page(502, "Bad gateway.", NO_ORIGIN, &cf_id);
    };
    let ttl_secs = if answer.status >= 400 {
        match dist.error_response(answer.status) {
            Some(custom) => {
                let min_ttl = custom.min_ttl;
                let code = custom.response_code;
                if let Some(page) = custom.page.clone() {
                    if let Some(page_behavior) = dist.behavior_for(&page) {
                        let page_request = origin::Request {
                            method: &http::Method::GET,
                            target: &page,
                            headers: &headers,
                            body: Bytes::new(),
                        };
                        let got =
                            from_origins(state, &dist, page_behavior, &page_request, remote).await;
                        if let Some(p) = got.filter(|p| p.status < 400) {
                            answer.headers = p.headers;
                            answer.body = p.body;
                        }
                    }
                }
                if let Some(code) = code {
                    answer.status = code;
                }
                Some(min_ttl).filter(|t| *t > 0)
            }
            None => CACHED_ERRORS.contains(&answer.status).then_some(10),
        }
    } else if CACHEABLE.contains(&answer.status) {
        let cache_control = header(&answer.headers, "cache-control");
        // An unreadable `Expires` means already expired, as HTTP says.
        let expires_in = header(&answer.headers, "expires")
            .map(|e| gureum_cloudfront::edge::http_date_secs(e).map_or(0, |t| t - now / 1000));
        behavior.key.ttl_secs(cache_control, expires_in)
    } else {
        None
    };
    let mut headers: Vec<(String, String)> = answer
        .headers
        .into_iter()
        .filter(|(n, _)| reply::passes_on(n))
        .collect();
    let mut body = answer.body;
    if gzip && answer.status == 200 {
        let packed = compress::gzip(
            header(&headers, "content-type"),
            header(&headers, "content-encoding"),
            &body,
        );
        if let Some(packed) = packed {
            body = packed;
            headers.push(("Content-Encoding".into(), "gzip".into()));
            headers.push(("Vary".into(), "Accept-Encoding".into()));
        }
    }
    let obj = Arc::new(CachedObject {
        status: answer.status,
        headers,
        body,
        stored_ms: now,
        expires_ms: now + ttl_secs.unwrap_or(0) * 1000,
    });
    if cacheable && ttl_secs.is_some() {
        cache.put(key, &dist.id, path, obj.clone());
    }
    let x_cache = if obj.status >= 400 { "Error" } else { "Miss" };
    finish(parts, behavior, &obj, x_cache, &cf_id, None)
}

/// The first value of header `name` (case-insensitive).
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Asks the behaviour's origins in turn: the next member of an origin
/// group when one cannot be reached or answers a failover status.
async fn from_origins(
    state: &AppState,
    dist: &EdgeDistribution,
    behavior: &EdgeBehavior,
    request: &origin::Request<'_>,
    remote: SocketAddr,
) -> Option<origin::Answer> {
    let (origins, failover) = dist.origins_for(&behavior.target);
    let mut last = None;
    for (i, o) in origins.iter().enumerate() {
        let answer = origin::fetch(state, dist, o, request, remote).await;
        let more = i + 1 < origins.len();
        match answer {
            Some(a) if more && failover.contains(&a.status) => last = Some(a),
            Some(a) => return Some(a),
            None => {}
        }
    }
    last
}

/// The viewer's response from an object: CloudFront's headers, the
/// response headers policy, and the requested byte range.
fn finish(
    parts: &Parts,
    behavior: &EdgeBehavior,
    obj: &CachedObject,
    x_cache: &str,
    cf_id: &str,
    age: Option<i64>,
) -> WireResponse {
    let mut r = WireResponse {
        status: obj.status,
        headers: obj.headers.clone(),
        body: obj.body.clone(),
    };
    let range_header = parts
        .headers
        .get(http::header::RANGE)
        .and_then(|v| v.to_str().ok());
    // A viewer's copy that is still current gets a 304, as at the edge.
    let current = parts
        .headers
        .get(http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .zip(header(&obj.headers, "etag"))
        .is_some_and(|(wanted, etag)| {
            wanted
                .split(',')
                .any(|w| w.trim() == etag || w.trim() == "*")
        });
    if obj.status == 200 && current {
        r.status = 304;
        r.body = Bytes::new();
    } else if obj.status == 200 {
        let len = obj.body.len();
        match reply::range(range_header, len) {
            Some(Ok((first, last))) => {
                r.status = 206;
                r.body = obj.body.slice(first..=last);
                r.headers.push((
                    "Content-Range".into(),
                    format!("bytes {first}-{last}/{len}"),
                ));
            }
            Some(Err(())) => {
                r.status = 416;
                r.body = Bytes::new();
                r.headers
                    .push(("Content-Range".into(), format!("bytes */{len}")));
            }
            None => {}
        }
    }
    if parts.method == http::Method::HEAD {
        r.headers
            .push(("Content-Length".into(), r.body.len().to_string()));
        r.body = Bytes::new();
    }
    if let Some(policy) = &behavior.response_headers {
        let origin = parts
            .headers
            .get(http::header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        reply::apply_policy(&mut r, policy, origin);
    }
    reply::decorate(&mut r, x_cache, cf_id, age);
    r
}
