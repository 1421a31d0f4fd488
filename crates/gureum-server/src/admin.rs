//! Gureum's own endpoints under `/_gureum/`.
//!
//! * `GET /_gureum/health` (also `/_localstack/health`, which LocalStack
//!   tooling polls): every service model and whether Gureum serves it.
//! * `GET /_gureum/clock`: Gureum's clock; `POST /_gureum/clock` with
//!   `{"advance_seconds": N}` or `{"scale": F}` moves or speeds it, so
//!   tests see hours pass in milliseconds.
//!
//! * `POST /_gureum/reset` (all state) or `POST /_gureum/reset?service=s3`
//!   (one service's), also answered at `POST /moto-api/reset` and
//!   `POST /_localstack/state/reset` (and `/_localstack/state/<service>/reset`)
//!   so suites written for moto's server mode or LocalStack switch
//!   unchanged; `GET /_gureum/export` and `POST /_gureum/import`: the whole
//!   state as one file ([`crate::state_file`], [`crate::admin_state`]).
//!
//! * `GET /_gureum/events/deliveries`: every delivery EventBridge rules
//!   attempted, with its `status` (`delivered` to the target's service,
//!   `failed` with its `error`, or `recorded` for targets Gureum does not
//!   deliver to yet); schedules due on the clock fire first.
//!
//! * `GET /_gureum/sns/messages`: what SNS sent to email, SMS, Lambda,
//!   platform and Firehose endpoints, and deliveries that failed.
//!
//! * `GET /_gureum/cloudwatch/actions`: the alarm actions CloudWatch ran
//!   through its recording seam (alarms due on the clock evaluate first).
//!
//! * `GET /_gureum/billing/cost[?account=ID]`: this month's cost so far
//!   by service (what `gureum cost` prints).
//!
//! They are unauthenticated: Gureum is a local development endpoint.

use crate::pipeline::AppState;
use bytes::Bytes;
use serde_json::json;

/// The table of Gureum's own settings.
pub const SETTINGS_TABLE: &str = "gureum.settings";
/// The key of the clock's offset from the system clock (ms).
pub const CLOCK_OFFSET_KEY: &str = "clock_offset_ms";

/// The path state files are imported at (answered by
/// [`crate::admin_state::import`], which streams the body).
pub const IMPORT_PATH: &str = "/_gureum/import";
/// The largest state file an import accepts (spooled to disk).
pub const MAX_IMPORT_BYTES: usize = 4 << 30;

/// An admin endpoint's answer.
pub struct AdminResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body (an export streams).
    pub body: crate::body::ResponseStream,
}

impl AdminResponse {
    /// A 500 with `message`.
    pub fn internal(message: &str) -> AdminResponse {
        json_response(500, json!({"error": message}))
    }
}

pub(crate) fn json_response(status: u16, v: serde_json::Value) -> AdminResponse {
    AdminResponse {
        status,
        content_type: "application/json",
        body: Bytes::from(v.to_string()).into(),
    }
}

/// Whether `path` is one of Gureum's own endpoints (or the moto and
/// LocalStack ones it answers).
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/_gureum/") || path.starts_with("/_localstack/") || path == "/moto-api/reset"
}

/// Whether the endpoint blocks on the store or the disk (run it off the
/// async workers).
pub fn blocks(method: &str, path: &str) -> bool {
    method == "POST" && path != "/_gureum/clock"
        || path == "/_gureum/export"
        || path == "/_gureum/events/deliveries"
        || path == "/_gureum/sns/messages"
        || path == "/_gureum/cloudwatch/actions"
        || path == "/_gureum/ca.pem"
        || path == "/_gureum/billing/cost"
}

/// Answers an admin path, or `None` when the path is not one.
pub fn handle(
    state: &AppState,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Option<AdminResponse> {
    match (method, path) {
        ("GET" | "HEAD", "/_gureum/health" | "/_localstack/health") => Some(health(state)),
        ("GET", "/_gureum/clock") => Some(clock(state)),
        ("POST", "/_gureum/clock") => Some(set_clock(state, body)),
        ("POST", "/_gureum/reset" | "/moto-api/reset" | "/_localstack/state/reset") => {
            // `?service=` with no name is a mistake, not "everything".
            let service = query.split('&').find_map(|kv| kv.strip_prefix("service="));
            Some(crate::admin_state::reset(state, service))
        }
        ("POST", p) if p.starts_with("/_localstack/state/") && p.ends_with("/reset") => {
            let service = &p["/_localstack/state/".len()..p.len() - "/reset".len()];
            Some(crate::admin_state::reset(state, Some(service)))
        }
        ("GET", "/_gureum/export") => Some(crate::admin_state::export(state)),
        ("GET", "/_gureum/events/deliveries") => Some(event_deliveries(state)),
        ("GET", "/_gureum/sns/messages") => Some(sns_messages(state)),
        ("GET", "/_gureum/cloudwatch/actions") => Some(alarm_actions(state)),
        ("GET", "/_gureum/ca.pem") => Some(crate::acm_wiring::ca_pem(&state.registry.acm)),
        ("GET", "/_gureum/billing/cost") => Some(crate::billing_wiring::cost(state, query)),
        _ if path.starts_with("/_gureum/") => Some(json_response(
            404,
            json!({"error": "no such Gureum endpoint"}),
        )),
        _ => None,
    }
}

fn health(state: &AppState) -> AdminResponse {
    let services = state.health_services.get_or_init(|| {
        // LocalStack's shape (`services`: name → state) for tools that read
        // it, and Gureum's own detail: operations served of the model's.
        let mut services = serde_json::Map::new();
        let mut operations = serde_json::Map::new();
        for e in gureum_model::index() {
            let implemented = state.registry.implemented(&e.name).len();
            let total = gureum_model::load(&e.name).map_or(0, |m| m.operations.len());
            services.insert(
                e.name.clone(),
                json!(if implemented > 0 {
                    "running"
                } else {
                    "not_implemented"
                }),
            );
            operations.insert(
                e.name.clone(),
                json!({"implemented": implemented, "total": total}),
            );
        }
        format!(
            r#""services":{},"operations":{}"#,
            serde_json::Value::Object(services),
            serde_json::Value::Object(operations)
        )
    });
    // Data planes' addresses, per request: engines, load balancers'
    // listeners and instances come and go. The main port is set when it is
    // bound, before any request.
    let on_port = |shape: &str| {
        state
            .endpoint
            .get()
            .map(|a| shape.replace("{port}", &a.port().to_string()))
    };
    let endpoints = json!({
        "api": state.endpoint.get().map(|a| format!("http://{a}")),
        "console": state.endpoint.get().map(|a| format!("http://{a}/_console/")),
        "lambda_url": on_port("http://URL_ID.lambda-url.REGION.localhost:{port}"),
        "cloudfront": on_port("http://DISTRIBUTION_ID.cloudfront.localhost:{port}"),
        "cloudfront_https": state.registry.cloudfront.https_endpoint().map(|a| a.to_string()),
        "s3_website": on_port("http://BUCKET.s3-website-REGION.localhost:{port}"),
        "execute_api_v2": on_port("http://API_ID.execute-api.localhost:{port}"),
        "execute_api": on_port("http://API_ID.execute-api.localhost:{port}/STAGE/PATH"),
        "ec2_instances": state.registry.instances.status(),
        "dns": state.registry.route53.authority().served_at().map(|a| a.to_string()),
        "acm_root_ca": state.endpoint.get().map(|a| format!("http://{a}/_gureum/ca.pem")),
        "rds": crate::rds_wiring::health_endpoints(&state.registry.rds),
        "elasticache": state.registry.elasticache.endpoints(),
        "efs": state.registry.efs.endpoints(),
        "dynamodb": state.registry.dynamodb.endpoints(state.clock.now_millis()),
        "elbv2": state.registry.elbv2.endpoints().iter().map(|e| json!({
            "dns_name": e.dns_name, "port": e.port, "protocol": e.protocol,
            "address": e.address.to_string(), "load_balancer_arn": e.load_balancer_arn,
        })).collect::<Vec<_>>(),
    });
    // Keys in the order a serialized object would have them.
    let body = format!(
        r#"{{{services},"endpoints":{endpoints},"edition":"gureum","version":{},"uptime_seconds":{},"persistent":{}}}"#,
        json!(env!("CARGO_PKG_VERSION")),
        state.started.elapsed().as_secs(),
        state.persistent,
    );
    AdminResponse {
        status: 200,
        content_type: "application/json",
        body: Bytes::from(body).into(),
    }
}

fn event_deliveries(state: &AppState) -> AdminResponse {
    match state.registry.events.deliveries(state.clock.now_millis()) {
        Ok(list) => {
            let items: Vec<serde_json::Value> = list
                .into_iter()
                .map(|d| {
                    json!({
                        "account": d.account, "region": d.region, "rule_arn": d.rule_arn,
                        "target_id": d.target_id, "target_arn": d.target_arn,
                        "payload": d.payload, "time_ms": d.time_ms,
                        "status": d.status, "error": d.error,
                    })
                })
                .collect();
            json_response(200, json!({ "deliveries": items }))
        }
        Err(e) => AdminResponse::internal(&e.message),
    }
}

fn sns_messages(state: &AppState) -> AdminResponse {
    match state.registry.sns.captured() {
        Ok(list) => match serde_json::to_value(list) {
            Ok(items) => json_response(200, json!({ "messages": items })),
            Err(e) => AdminResponse::internal(&e.to_string()),
        },
        Err(e) => AdminResponse::internal(&e.message),
    }
}

fn alarm_actions(state: &AppState) -> AdminResponse {
    match state
        .registry
        .cloudwatch
        .recorded_actions(state.clock.now_millis())
    {
        Ok(list) => {
            let items: Vec<serde_json::Value> = list
                .into_iter()
                .map(|a| {
                    json!({
                        "account": a.account, "region": a.region, "action_arn": a.action_arn,
                        "alarm_name": a.notice.alarm_name, "alarm_arn": a.notice.alarm_arn,
                        "old_state": a.notice.old_state, "new_state": a.notice.new_state,
                        "reason": a.notice.reason, "time_ms": a.notice.time_ms,
                        "message": a.notice.message,
                    })
                })
                .collect();
            json_response(200, json!({ "actions": items }))
        }
        Err(e) => AdminResponse::internal(&e.message),
    }
}

fn clock(state: &AppState) -> AdminResponse {
    json_response(
        200,
        json!({"now_ms": state.clock.now_millis(), "scale": state.clock.scale()}),
    )
}

fn set_clock(state: &AppState, body: &[u8]) -> AdminResponse {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return json_response(400, json!({"error": "body must be JSON"}));
    };
    if let Some(secs) = v.get("advance_seconds").and_then(|s| s.as_f64()) {
        state.clock.advance_millis((secs * 1000.0) as i64);
    }
    if let Some(scale) = v.get("scale").and_then(|s| s.as_f64()) {
        if !(0.0..=1_000_000.0).contains(&scale) {
            return json_response(400, json!({"error": "scale must be between 0 and 1000000"}));
        }
        state.clock.set_scale(scale);
    }
    let offset = state.clock.offset_millis();
    if let Err(e) = state.settings.put(CLOCK_OFFSET_KEY, &offset) {
        return json_response(500, json!({"error": e.to_string()}));
    }
    clock(state)
}
