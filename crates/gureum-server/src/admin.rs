//! Gureum's own endpoints under `/_gureum/`.
//!
//! * `GET /_gureum/health` (also `/_localstack/health`, which LocalStack
//!   tooling polls): every service model and whether Gureum serves it.
//! * `GET /_gureum/clock`: Gureum's clock; `POST /_gureum/clock` with
//!   `{"advance_seconds": N}` or `{"scale": F}` moves or speeds it, so
//!   tests see hours pass in milliseconds.
//!
//! They are unauthenticated: Gureum is a local development endpoint.

use crate::pipeline::AppState;
use bytes::Bytes;
use serde_json::json;

/// The table of Gureum's own settings.
pub const SETTINGS_TABLE: &str = "gureum.settings";
/// The key of the clock's offset from the system clock (ms).
pub const CLOCK_OFFSET_KEY: &str = "clock_offset_ms";

/// A JSON response: (status, body).
pub type AdminResponse = (u16, Bytes);

fn json_response(status: u16, v: serde_json::Value) -> AdminResponse {
    (status, Bytes::from(v.to_string()))
}

/// Answers an admin path, or `None` when the path is not one.
pub fn handle(state: &AppState, method: &str, path: &str, body: &[u8]) -> Option<AdminResponse> {
    match (method, path) {
        ("GET" | "HEAD", "/_gureum/health" | "/_localstack/health") => Some(health(state)),
        ("GET", "/_gureum/clock") => Some(clock(state)),
        ("POST", "/_gureum/clock") => Some(set_clock(state, body)),
        _ if path.starts_with("/_gureum/") => Some(json_response(
            404,
            json!({"error": "no such Gureum endpoint"}),
        )),
        _ => None,
    }
}

fn health(state: &AppState) -> AdminResponse {
    let services = state.health_services.get_or_init(|| {
        let mut services = serde_json::Map::new();
        for e in gureum_model::index() {
            let served = !state.registry.implemented(&e.name).is_empty();
            services.insert(
                e.name.clone(),
                json!(if served { "running" } else { "not_implemented" }),
            );
        }
        serde_json::Value::Object(services).to_string()
    });
    // Keys in the order a serialized object would have them.
    let body = format!(
        r#"{{"services":{services},"edition":"gureum","version":{},"uptime_seconds":{},"persistent":{}}}"#,
        json!(env!("CARGO_PKG_VERSION")),
        state.started.elapsed().as_secs(),
        state.persistent,
    );
    (200, Bytes::from(body))
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
