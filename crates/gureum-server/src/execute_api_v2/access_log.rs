//! Stage access logs written to CloudWatch Logs: one line per request in
//! the stage's `AccessLogSettings.Format`, to the group its
//! `DestinationArn` names, in a stream named after the stage (off the
//! async workers: the write is a store commit).

use crate::pipeline::AppState;
use gureum_apigatewayv2::access_log::{group_of, line};
use gureum_apigatewayv2::events::{clf_time, header, HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::HostedApi;

/// Writes the access log line of one answered request, when its stage
/// keeps access logs.
pub fn write(
    state: &AppState,
    api: &HostedApi,
    served: &Served,
    request: &HttpRequest,
    response: &HttpResponse,
) {
    let Some(settings) = api
        .record
        .stages
        .get(&served.stage)
        .and_then(|s| s.get("AccessLogSettings"))
    else {
        return;
    };
    let (Some(arn), Some(format)) = (
        settings["DestinationArn"].as_str(),
        settings["Format"].as_str(),
    ) else {
        return;
    };
    let Some(group) = group_of(arn).map(String::from) else {
        return;
    };
    let variables = [
        ("requestId", served.request_id.clone()),
        ("extendedRequestId", served.request_id.clone()),
        ("apiId", served.api_id.clone()),
        ("domainName", served.domain.clone()),
        ("stage", served.stage.clone()),
        ("routeKey", served.route_key.clone()),
        ("httpMethod", request.method.clone()),
        ("path", request.raw_path.clone()),
        ("protocol", request.protocol.clone()),
        ("status", response.status.to_string()),
        ("responseLength", response.body.len().to_string()),
        ("requestTime", clf_time(served.time_ms)),
        ("requestTimeEpoch", served.time_ms.to_string()),
        ("identity.sourceIp", request.source_ip.clone()),
        (
            "identity.userAgent",
            header(request, "user-agent")
                .unwrap_or_default()
                .to_string(),
        ),
    ];
    let message = line(format, &variables);
    let logs = state.registry.logs.clone();
    let clock = state.clock.clone();
    let (account, region) = (api.account.clone(), api.region.clone());
    let stream = served.stage.clone();
    let timestamp = served.time_ms;
    tokio::task::spawn_blocking(move || {
        let scope = gureum_core::Scope::Region {
            account: &account,
            region: &region,
        };
        let event = gureum_logs::ServiceEvent { timestamp, message };
        if let Err(e) = logs.put_events_from_service(&clock, scope, &group, &stream, &[event]) {
            tracing::warn!(target: "gureum", "execute-api access log to {group}: {}", e.message);
        }
    });
}
