//! The seam services publish their AWS events through, to EventBridge's
//! default bus: EC2 instance state changes, CloudWatch alarm state
//! changes, S3 object events (when the bucket sends to EventBridge).
//!
//! A service holds an `Arc<dyn ServiceEvents>`; the server wires in
//! EventBridge. [`NoServiceEvents`], for a service built without it
//! (unit tests), drops them.

use gureum_core::{Scope, Value};

/// One event a service emits, in AWS's envelope terms.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceEvent {
    /// `source`: `aws.ec2`, `aws.cloudwatch`, `aws.s3`.
    pub source: String,
    /// `detail-type`: `EC2 Instance State-change Notification`.
    pub detail_type: String,
    /// `resources`: the ARNs the event is about.
    pub resources: Vec<String>,
    /// `detail`: the event's body, in AWS's documented shape.
    pub detail: Value,
    /// `time`, epoch milliseconds on Gureum's clock.
    pub time_ms: i64,
}

/// Receives the events services emit, in the account and region of
/// `scope` (the default event bus there).
pub trait ServiceEvents: Send + Sync {
    /// Publishes `event`; never fails the emitting operation (AWS's
    /// service events are best-effort).
    fn publish(&self, scope: Scope<'_>, event: ServiceEvent);
}

/// The publisher while Gureum has no EventBridge: drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoServiceEvents;

impl ServiceEvents for NoServiceEvents {
    fn publish(&self, _scope: Scope<'_>, _event: ServiceEvent) {}
}
