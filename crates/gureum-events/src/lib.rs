//! Amazon EventBridge (json 1.1, regional): event buses (the `default` bus
//! exists in every account and region), rules with event patterns
//! ([`pattern`]) or schedules ([`schedule`], on Gureum's clock), targets
//! with `Input`, `InputPath` and `InputTransformer` ([`transform`]),
//! `PutEvents`, `TestEventPattern`, tags and bus policies.
//!
//! Matched events leave through a seam, [`TargetSink`]: the service hands
//! it the target's ARN and the payload after the target's input
//! processing. The default sink, [`RecordingSink`], records deliveries in
//! the store (read them with [`EventsService::deliveries`], or at
//! `GET /_gureum/events/deliveries`); SQS, SNS, Lambda and Logs sinks plug
//! in at the same place. EventBridge is also the kit's
//! [`gureum_kit::service_events::ServiceEvents`]: services' own events
//! (`aws.ec2`, `aws.s3`) go onto the default bus through the same rules.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `events.buses`: `account/region/name` → a [`Bus`] (the `default`
//!   bus is stored on its first change, and reported before that);
//! - `events.rules`: `account/region/bus|rule` → a [`Rule`];
//! - `events.targets`: `account/region/bus|rule|id` → a [`StoredTarget`];
//! - `events.deliveries`: `account/region/time-seq` → a [`Delivery`].
//!
//! Layout: [`errors`]; `buses.rs` (buses, policies), `rules.rs` (rules,
//! tags), `targets.rs`, `put_events.rs` (matching and delivery, schedules
//! firing), `sink.rs` (the seam), `service_events.rs` (services' events).

pub mod errors;
pub mod pattern;
pub mod schedule;
pub mod transform;

mod authz;
mod buses;
mod names;
mod put_events;
mod rules;
mod service_events;
mod sink;
mod targets;

pub use errors::EventsError;
pub use sink::{Delivery, Origin, Outcome, RecordingSink, TargetSink};

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The bus every account and region has.
pub const DEFAULT_BUS: &str = "default";

/// A stored event bus.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bus {
    /// Its name, unique in the region.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its resource policy (JSON), when permissions were given.
    #[serde(default)]
    pub policy: Option<String>,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// When it last changed, epoch milliseconds.
    pub modified_ms: i64,
    /// Its tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `KmsKeyIdentifier`, `DeadLetterConfig` and `LogConfig`, as given
    /// (kept and reported; Gureum does not encrypt or log by them yet).
    #[serde(default)]
    pub config: BTreeMap<String, Value>,
}

/// A stored rule.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// Its name, unique on its bus.
    pub name: String,
    /// Its bus's name.
    pub bus: String,
    /// Its event pattern (JSON text, validated).
    #[serde(default)]
    pub event_pattern: Option<String>,
    /// Its schedule expression (validated).
    #[serde(default)]
    pub schedule: Option<String>,
    /// `ENABLED`, `DISABLED` or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// The role targets are invoked with.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// When it was made (schedules count from here), epoch milliseconds.
    pub created_ms: i64,
    /// The last time its schedule was evaluated up to, epoch milliseconds.
    #[serde(default)]
    pub fired_until_ms: i64,
    /// Its tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Rule {
    /// Whether it takes events or fires (`DISABLED` does neither).
    pub fn enabled(&self) -> bool {
        self.state != "DISABLED"
    }
}

/// A stored target: the `Target` structure as the caller gave it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredTarget {
    /// The rule's name.
    pub rule: String,
    /// The `Target` member, as given.
    pub target: Value,
}

/// The EventBridge service.
pub struct EventsService {
    store: Store,
    buses: Table<Bus>,
    rules: Table<Rule>,
    targets: Table<StoredTarget>,
    sink: Arc<dyn TargetSink>,
    recorder: RecordingSink,
    /// The earliest time a schedule may be due (0: unknown, scan).
    next_due_ms: AtomicI64,
    /// Parsed rule patterns by their text (patterns are stored validated).
    patterns: std::sync::Mutex<std::collections::HashMap<String, Arc<pattern::Pattern>>>,
}

impl EventsService {
    /// The service over `store`, recording deliveries ([`RecordingSink`]).
    pub fn new(store: Store) -> Self {
        let recorder = RecordingSink::new(&store);
        Self::with_sink(store, Arc::new(recorder))
    }

    /// The service over `store`, delivering through `sink`.
    pub fn with_sink(store: Store, sink: Arc<dyn TargetSink>) -> Self {
        EventsService {
            buses: store.table("events.buses"),
            rules: store.table("events.rules"),
            targets: store.table("events.targets"),
            recorder: RecordingSink::new(&store),
            sink,
            store,
            next_due_ms: AtomicI64::new(0),
            patterns: Default::default(),
        }
    }

    /// The most parsed patterns kept; past it the cache starts over.
    const PATTERN_CACHE: usize = 10_000;

    /// A stored rule's pattern, parsed once (`None` if it no longer parses).
    pub(crate) fn pattern(&self, text: &str) -> Option<Arc<pattern::Pattern>> {
        let mut cache = self.patterns.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(text) {
            return Some(p.clone());
        }
        let parsed = Arc::new(pattern::Pattern::parse(text).ok()?);
        if cache.len() >= Self::PATTERN_CACHE {
            cache.clear();
        }
        cache.insert(text.to_string(), parsed.clone());
        Some(parsed)
    }

    /// Schedules changed: the next `fire_due` scans.
    pub(crate) fn schedules_changed(&self) {
        self.next_due_ms.store(0, Ordering::Relaxed);
    }

    /// After a reset or an import, the schedules are read again.
    fn reset(&self) {
        self.schedules_changed();
    }

    /// Every recorded delivery of every account and region, oldest first,
    /// after firing the schedules due at `now_ms`.
    pub fn deliveries(&self, now_ms: i64) -> Result<Vec<Delivery>, gureum_core::AwsError> {
        put_events::fire_due(self, now_ms)?;
        Ok(self.recorder.all()?)
    }

    /// Fires every enabled scheduled rule whose times passed by `now_ms`.
    pub fn fire_due_schedules(&self, now_ms: i64) -> Result<usize, gureum_core::AwsError> {
        put_events::fire_due(self, now_ms)
    }

    /// What IAM must allow for `operation` ([`authz`]).
    fn authorization(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> gureum_core::service::Authorization {
        authz::authorization(ctx, operation, input)
    }

    /// Before every operation: schedules due on Gureum's clock fire.
    fn prepare(&self, ctx: &RequestContext) -> Result<(), gureum_core::AwsError> {
        put_events::fire_due(self, ctx.clock.now_millis()).map(|_| ())
    }

    fn create_event_bus(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::create(self, ctx, &input)
    }
    fn describe_event_bus(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::describe(self, ctx, &input)
    }
    fn list_event_buses(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::list(self, ctx, &input)
    }
    fn update_event_bus(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::update(self, ctx, &input)
    }
    fn delete_event_bus(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::delete(self, ctx, &input)
    }
    fn put_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::put_permission(self, ctx, &input)
    }
    fn remove_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        buses::remove_permission(self, ctx, &input)
    }
    fn put_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::put(self, ctx, &input)
    }
    fn describe_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::describe(self, ctx, &input)
    }
    fn list_rules(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::list(self, ctx, &input)
    }
    fn delete_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::delete(self, ctx, &input)
    }
    fn enable_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::set_state(self, ctx, &input, "ENABLED")
    }
    fn disable_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::set_state(self, ctx, &input, "DISABLED")
    }
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::tag(self, ctx, &input)
    }
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::untag(self, ctx, &input)
    }
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        rules::list_tags(self, ctx, &input)
    }
    fn put_targets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        targets::put(self, ctx, &input)
    }
    fn remove_targets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        targets::remove(self, ctx, &input)
    }
    fn list_targets_by_rule(&self, ctx: &RequestContext, input: Value) -> OpResult {
        targets::list(self, ctx, &input)
    }
    fn list_rule_names_by_target(&self, ctx: &RequestContext, input: Value) -> OpResult {
        targets::rule_names_by_target(self, ctx, &input)
    }
    fn put_events(&self, ctx: &RequestContext, input: Value) -> OpResult {
        put_events::put_events(self, ctx, &input)
    }
    fn test_event_pattern(&self, ctx: &RequestContext, input: Value) -> OpResult {
        put_events::test_event_pattern(ctx, &input)
    }
}

gureum_core::service_operations! {
    EventsService, "events",
    prepare = prepare,
    reset = reset,
    authorization = authorization,
    "CreateEventBus" => create_event_bus,
    "DescribeEventBus" => describe_event_bus,
    "ListEventBuses" => list_event_buses,
    "UpdateEventBus" => update_event_bus,
    "DeleteEventBus" => delete_event_bus,
    "PutPermission" => put_permission,
    "RemovePermission" => remove_permission,
    "PutRule" => put_rule,
    "DescribeRule" => describe_rule,
    "ListRules" => list_rules,
    "DeleteRule" => delete_rule,
    "EnableRule" => enable_rule,
    "DisableRule" => disable_rule,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "PutTargets" => put_targets,
    "RemoveTargets" => remove_targets,
    "ListTargetsByRule" => list_targets_by_rule,
    "ListRuleNamesByTarget" => list_rule_names_by_target,
    "PutEvents" => put_events,
    "TestEventPattern" => test_event_pattern,
}

/// Common helpers for the operation modules.
pub(crate) mod common {
    use gureum_core::{AwsError, CommonError, RequestContext, Value};

    /// A string member, if given.
    pub fn opt_str<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
        input.get(name).and_then(Value::as_str)
    }

    /// A required string member (the model marks it required; a missing one
    /// is a validation error).
    pub fn req_str<'a>(input: &'a Value, name: &str) -> Result<&'a str, AwsError> {
        opt_str(input, name).ok_or_else(|| {
            CommonError::ValidationException {
                message: format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_first(name)
                ),
            }
            .into()
        })
    }

    fn lower_first(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }

    /// A `ValidationException` with `message`.
    pub fn invalid(message: impl Into<String>) -> AwsError {
        CommonError::ValidationException {
            message: message.into(),
        }
        .into()
    }

    /// The bus an `EventBusName` member names (a name or an ARN), or `default`.
    pub fn bus_name(input: &Value, member: &str) -> String {
        match opt_str(input, member) {
            Some(s) => match s.rsplit_once(":event-bus/") {
                Some((_, name)) => name.to_string(),
                None => s.to_string(),
            },
            None => super::DEFAULT_BUS.to_string(),
        }
    }

    /// A bus's ARN.
    pub fn bus_arn(ctx: &RequestContext, name: &str) -> String {
        arn(&ctx.region, &ctx.account_id, &format!("event-bus/{name}"))
    }

    /// A rule's ARN (the bus appears unless it is `default`).
    pub fn rule_arn(region: &str, account: &str, bus: &str, name: &str) -> String {
        if bus == super::DEFAULT_BUS {
            arn(region, account, &format!("rule/{name}"))
        } else {
            arn(region, account, &format!("rule/{bus}/{name}"))
        }
    }

    fn arn(region: &str, account: &str, resource: &str) -> String {
        format!("arn:aws:events:{region}:{account}:{resource}")
    }

    /// Epoch milliseconds as the wire's epoch seconds.
    pub fn secs(ms: i64) -> Value {
        serde_json::json!(ms as f64 / 1000.0)
    }

    /// `Tags` (`[{Key, Value}]`) as a map.
    pub fn tag_list(input: &Value) -> Vec<(String, String)> {
        input
            .get("Tags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| {
                        Some((
                            t.get("Key")?.as_str()?.to_string(),
                            t.get("Value")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
