//! HTTP APIs' CloudWatch metrics, as AWS emits them in `AWS/ApiGateway`
//! by `ApiId` and `Stage`: `Count`, `4xx`, `5xx`, `Latency` and (when an
//! integration ran) `IntegrationLatency`, through the server's
//! [`gureum_kit::metrics::MetricSink`] (off the async workers: a store
//! commit).

use crate::pipeline::AppState;
use gureum_apigatewayv2::events::{HttpResponse, Served};
use gureum_apigatewayv2::HostedApi;
use gureum_kit::metrics::{Datapoint, MetricSink};

/// Emits one request's datapoints.
pub fn emit(
    state: &AppState,
    api: &HostedApi,
    served: &Served,
    response: &HttpResponse,
    latency_ms: f64,
    integration_ms: Option<f64>,
) {
    let dimensions = vec![
        ("ApiId".to_string(), served.api_id.clone()),
        ("Stage".to_string(), served.stage.clone()),
    ];
    let point = |name: &str, value: f64, unit: &'static str| Datapoint {
        namespace: "AWS/ApiGateway".into(),
        name: name.into(),
        dimensions: dimensions.clone(),
        value,
        unit,
        timestamp_ms: served.time_ms,
    };
    let status = response.status;
    let mut points = vec![
        point("Count", 1.0, "Count"),
        point(
            "4xx",
            f64::from(u8::from((400..500).contains(&status))),
            "Count",
        ),
        point("5xx", f64::from(u8::from(status >= 500)), "Count"),
        point("Latency", latency_ms, "Milliseconds"),
    ];
    if let Some(ms) = integration_ms {
        points.push(point("IntegrationLatency", ms, "Milliseconds"));
    }
    let sink = state.registry.cloudwatch.clone();
    let (account, region) = (api.account.clone(), api.region.clone());
    tokio::task::spawn_blocking(move || {
        let scope = gureum_core::Scope::Region {
            account: &account,
            region: &region,
        };
        sink.put(scope, points);
    });
}
