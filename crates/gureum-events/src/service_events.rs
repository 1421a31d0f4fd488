//! EventBridge as the kit's [`ServiceEvents`] seam: the events Gureum's
//! own services emit (EC2 instance state changes, S3 object events) go
//! onto the default bus of their account and region in AWS's envelope,
//! and through the same rules and targets as `PutEvents`.

use crate::{put_events, EventsService, DEFAULT_BUS};
use gureum_core::timestamp::format_iso8601_seconds;
use gureum_core::Scope;
use gureum_kit::service_events::{ServiceEvent, ServiceEvents};
use serde_json::json;

/// Where a global service's events go (AWS sends IAM's, Route 53's and
/// other global services' events to US East (N. Virginia)).
const GLOBAL_EVENTS_REGION: &str = "us-east-1";

/// The event as a rule sees it: AWS's envelope around the service's
/// detail.
pub(crate) fn envelope(account: &str, region: &str, event: &ServiceEvent) -> serde_json::Value {
    json!({
        "version": "0",
        "id": gureum_core::id::uuid_v4(),
        "detail-type": event.detail_type,
        "source": event.source,
        "account": account,
        "time": format_iso8601_seconds(event.time_ms),
        "region": region,
        "resources": event.resources,
        "detail": event.detail,
    })
}

impl ServiceEvents for EventsService {
    fn publish(&self, scope: Scope<'_>, event: ServiceEvent) {
        let (account, region) = match scope {
            Scope::Region { account, region } => (account, region),
            Scope::Account { account } => (account, GLOBAL_EVENTS_REGION),
        };
        let value = envelope(account, region, &event);
        // Best-effort, as AWS's service events are: a store error is
        // logged, never returned to the operation that emitted it.
        if let Err(e) =
            put_events::route(self, account, region, DEFAULT_BUS, &value, event.time_ms, 0)
        {
            tracing::warn!(target: "gureum", "events: {} event not routed: {}", event.source, e.message);
        }
    }
}
