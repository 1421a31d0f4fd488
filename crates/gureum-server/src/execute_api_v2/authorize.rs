//! Route authorization on the data plane: JWT authorizers (the issuer's
//! key set fetched over HTTP and kept a minute) and Lambda `REQUEST`
//! authorizers (simple responses or IAM policies).

use super::http_client;
use gureum_apigatewayv2::events::{self, HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::jwt::{self, Expectations, Refusal};
use gureum_apigatewayv2::HostedApi;
use gureum_core::Value;
use parking_lot::Mutex;
use serde_json::json;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a fetched key set is used before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(60);

/// How soon a key set may be fetched again for a key it lacked.
const JWKS_REFETCH: Duration = Duration::from_secs(5);

/// How long fetching a key set may take.
const JWKS_TIMEOUT: Duration = Duration::from_secs(5);

/// Key sets by issuer, with when they were fetched.
fn key_sets() -> &'static Mutex<HashMap<String, (Instant, Value)>> {
    static SETS: OnceLock<Mutex<HashMap<String, (Instant, Value)>>> = OnceLock::new();
    SETS.get_or_init(Default::default)
}

/// `401 {"message":"Unauthorized"}`.
fn unauthorized() -> HttpResponse {
    HttpResponse::message(401, "Unauthorized")
}

/// `403 {"message":"Forbidden"}`.
fn forbidden() -> HttpResponse {
    HttpResponse::message(403, "Forbidden")
}

/// Checks the route's authorization; answers `requestContext.authorizer`
/// (`None` for open routes) or the refusal to send.
pub async fn check(
    state: &crate::pipeline::AppState,
    parts: &http::request::Parts,
    api: &HostedApi,
    route: &Value,
    request: &HttpRequest,
    served: &Served,
    path: &str,
) -> Result<Option<Value>, HttpResponse> {
    let kind = route["AuthorizationType"].as_str().unwrap_or("NONE");
    if kind == "NONE" {
        return Ok(None);
    }
    let authorizer = route["AuthorizerId"]
        .as_str()
        .and_then(|id| api.record.authorizers.get(id));
    match (kind, authorizer) {
        ("JWT", Some(a)) => check_jwt(state, a, route, request).await,
        ("CUSTOM", Some(a)) => check_lambda(state, api, a, request, served).await,
        ("AWS_IAM", _) => {
            let resource = if api.record.is_websocket() {
                super::source_arn(api, &served.stage, &served.route_key)
            } else {
                super::iam::invoke_arn(api, served, request, path)
            };
            super::iam::check(state, parts, api, request, &resource)
        }
        _ => Err(forbidden()),
    }
}

/// The identity source values (`$request.header.X`, `$request.querystring.X`);
/// `None` when one is missing.
fn identity(authorizer: &Value, request: &HttpRequest, default: &str) -> Option<Vec<String>> {
    let sources: Vec<&str> = match authorizer["IdentitySource"].as_array() {
        Some(a) if !a.is_empty() => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![default],
    };
    sources
        .into_iter()
        .map(|s| {
            // HTTP APIs write `$request.…`; WebSocket APIs `route.request.…`.
            let s = s
                .strip_prefix("route.")
                .or_else(|| s.strip_prefix('$'))
                .unwrap_or(s);
            if let Some(h) = s.strip_prefix("request.header.") {
                events::header(request, h).map(String::from)
            } else if let Some(q) = s.strip_prefix("request.querystring.") {
                request
                    .query
                    .split('&')
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| *k == q)
                    .map(|(_, v)| v.to_string())
            } else {
                None
            }
        })
        .collect()
}

/// A JWT authorizer.
async fn check_jwt(
    state: &crate::pipeline::AppState,
    authorizer: &Value,
    route: &Value,
    request: &HttpRequest,
) -> Result<Option<Value>, HttpResponse> {
    let token = identity(authorizer, request, "$request.header.Authorization")
        .and_then(|v| v.into_iter().next())
        .ok_or_else(unauthorized)?;
    let token = jwt::bearer(&token).to_string();
    let issuer = authorizer
        .pointer("/JwtConfiguration/Issuer")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let audience: Vec<String> = authorizer
        .pointer("/JwtConfiguration/Audience")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let scopes: Vec<String> = route["AuthorizationScopes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut jwks = key_set(&issuer, JWKS_TTL).await.ok_or_else(unauthorized)?;
    let known = |set: &Value, kid: &str| {
        set["keys"]
            .as_array()
            .is_some_and(|keys| keys.iter().any(|k| k["kid"].as_str() == Some(kid)))
    };
    if jwt::key_id(&token).is_some_and(|kid| !known(&jwks, &kid)) {
        // A key the cached set lacks may be newly rotated in: fetch again,
        // at most every few seconds.
        jwks = key_set(&issuer, JWKS_REFETCH)
            .await
            .ok_or_else(unauthorized)?;
    }
    let expect = Expectations {
        issuer: &issuer,
        audience: &audience,
        scopes: &scopes,
        now: state.clock.now_secs(),
    };
    match jwt::verify(&token, &jwks, &expect) {
        Ok(jwt) => Ok(Some(json!({ "jwt": jwt }))),
        Err(Refusal::Forbidden) => Err(forbidden()),
        Err(Refusal::Unauthorized(why)) => {
            tracing::info!(target: "gureum", "execute-api: JWT refused: {why}");
            Err(unauthorized())
        }
    }
}

/// The issuer's key set: its OpenID configuration's `jwks_uri`, else
/// `{issuer}/.well-known/jwks.json`; a cached one younger than `max_age`
/// is used as it is.
async fn key_set(issuer: &str, max_age: Duration) -> Option<Value> {
    if let Some((at, set)) = key_sets().lock().get(issuer) {
        if at.elapsed() < max_age {
            return Some(set.clone());
        }
    }
    let base = issuer.trim_end_matches('/').to_string();
    let fetched = tokio::task::spawn_blocking(move || {
        let get = |url: &str| -> Option<Value> {
            let reply = http_client::send("GET", url, &[], &[], JWKS_TIMEOUT).ok()?;
            (reply.status == 200)
                .then(|| serde_json::from_slice(&reply.body).ok())
                .flatten()
        };
        let discovered = get(&format!("{base}/.well-known/openid-configuration"))
            .and_then(|c| c["jwks_uri"].as_str().map(String::from));
        let url = discovered.unwrap_or_else(|| format!("{base}/.well-known/jwks.json"));
        get(&url).filter(|set| set["keys"].is_array())
    })
    .await
    .ok()
    .flatten()?;
    key_sets()
        .lock()
        .insert(issuer.to_string(), (Instant::now(), fetched.clone()));
    Some(fetched)
}

/// A Lambda `REQUEST` authorizer: payload 2.0 answers
/// `{"isAuthorized": bool, "context": {...}}` when simple responses are
/// on, else (and for 1.0) an IAM policy that must allow
/// `execute-api:Invoke`.
async fn check_lambda(
    state: &crate::pipeline::AppState,
    api: &HostedApi,
    authorizer: &Value,
    request: &HttpRequest,
    served: &Served,
) -> Result<Option<Value>, HttpResponse> {
    let sources =
        identity(authorizer, request, "$request.header.Authorization").ok_or_else(unauthorized)?;
    // With a TTL, the decision for the same identity sources is reused.
    let ttl = Duration::from_secs(
        authorizer["AuthorizerResultTtlInSeconds"]
            .as_u64()
            .unwrap_or(0),
    );
    let cache_key = format!(
        "{}/{}/{}",
        api.record.id(),
        authorizer["AuthorizerId"].as_str().unwrap_or_default(),
        sources.join("\u{0}")
    );
    if !ttl.is_zero() {
        if let Some((at, decision)) = decisions().lock().get(&cache_key) {
            if at.elapsed() < ttl {
                return decision.clone().map_err(|_| forbidden());
            }
        }
    }
    let decision =
        invoke_lambda_authorizer(state, api, authorizer, request, served, &sources).await;
    let Some(decision) = decision else {
        // The authorizer failed to answer: not a decision to keep.
        return Err(HttpResponse::internal());
    };
    if !ttl.is_zero() {
        decisions()
            .lock()
            .insert(cache_key, (Instant::now(), decision.clone()));
    }
    decision.map_err(|_| forbidden())
}

/// A Lambda authorizer's refusal (403), as cached.
#[derive(Clone, Copy, Debug)]
struct Refused;

/// A Lambda authorizer's decision: its context, or a refusal.
type Decision = Result<Option<Value>, Refused>;

/// Cached Lambda authorizer decisions by API, authorizer and identity.
type Decisions = Mutex<HashMap<String, (Instant, Decision)>>;

/// The cached decisions.
fn decisions() -> &'static Decisions {
    static DECISIONS: OnceLock<Decisions> = OnceLock::new();
    DECISIONS.get_or_init(Default::default)
}

/// Runs a Lambda authorizer: its decision, or `None` when it failed
/// (raised, or answered something unreadable).
async fn invoke_lambda_authorizer(
    state: &crate::pipeline::AppState,
    api: &HostedApi,
    authorizer: &Value,
    request: &HttpRequest,
    served: &Served,
    sources: &[String],
) -> Option<Decision> {
    let version = authorizer["AuthorizerPayloadFormatVersion"]
        .as_str()
        .unwrap_or("1.0");
    let route_arn = super::source_arn(api, &served.stage, &served.route_key);
    let mut event = if version == "2.0" {
        events::event_v2(request, served)
    } else {
        events::event_v1(request, served)
    };
    event["type"] = json!("REQUEST");
    event["routeArn"] = json!(route_arn);
    event["methodArn"] = json!(route_arn);
    event["identitySource"] = json!(sources);
    let uri = authorizer["AuthorizerUri"].as_str().unwrap_or_default();
    let function = gureum_apigatewayv2::function_arn(uri);
    let source = format!(
        "arn:aws:execute-api:{}:{}:{}/authorizers/{}",
        api.region,
        api.account,
        api.record.id(),
        authorizer["AuthorizerId"].as_str().unwrap_or_default()
    );
    let payload = super::invoke(state, api, function, source, &event).await?;
    let answer: Value = serde_json::from_slice(&payload).ok()?;
    let simple = version == "2.0" && authorizer["EnableSimpleResponses"] == json!(true);
    let allowed = if simple {
        answer["isAuthorized"] == json!(true)
    } else {
        policy_allows(&answer["policyDocument"])
    };
    if !allowed {
        return Some(Err(Refused));
    }
    let context = answer.get("context").cloned().unwrap_or(json!({}));
    Some(Ok(Some(if version == "2.0" {
        json!({ "lambda": context })
    } else {
        let mut c = context;
        if let Some(p) = answer.get("principalId") {
            c["principalId"] = p.clone();
        }
        c
    })))
}

/// Whether an authorizer's policy allows `execute-api:Invoke` (an explicit
/// deny wins).
fn policy_allows(policy: &Value) -> bool {
    let statements: Vec<&Value> = match &policy["Statement"] {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![&policy["Statement"]],
        _ => Vec::new(),
    };
    let invokes = |s: &Value| {
        let actions: Vec<&str> = match &s["Action"] {
            Value::String(a) => vec![a.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        actions
            .iter()
            .any(|a| matches!(*a, "execute-api:Invoke" | "execute-api:*" | "*"))
    };
    let effect = |e: &str| {
        statements
            .iter()
            .any(|s| s["Effect"].as_str() == Some(e) && invokes(s))
    };
    effect("Allow") && !effect("Deny")
}
