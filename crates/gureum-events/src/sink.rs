//! The seam matched events leave through: a [`TargetSink`] receives each
//! delivery (the target's ARN and the payload after input processing).
//! [`RecordingSink`] records them in the store for tests and tools; the
//! services that own target ARNs (SQS, SNS, Lambda, Logs) plug in here
//! (`gureum-server`'s `targets.rs` routes by the ARN's service and records
//! every attempt with its [`Outcome`] through [`RecordingSink::record`]).

use gureum_core::Value;
use gureum_store::{Store, StoreError, Table};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a delivery comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The account of the rule.
    pub account: &'a str,
    /// The region of the rule.
    pub region: &'a str,
    /// The matching (or scheduled) rule's ARN.
    pub rule_arn: &'a str,
    /// The target's id on the rule.
    pub target_id: &'a str,
    /// The `Target` structure as the caller put it (its `SqsParameters`,
    /// `DeadLetterConfig`, `RetryPolicy`…), for sinks that need more than
    /// the ARN.
    pub target: &'a Value,
}

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The target's service took it (an SQS message was sent).
    Delivered,
    /// The target refused it; the reason (`AccessDenied…`, `NoSuchQueue…`)
    /// is what AWS counts as a failed invocation.
    Failed(String),
    /// Recorded only: Gureum does not deliver to this kind of target yet.
    Recorded,
}

impl Outcome {
    /// `delivered`, `failed` or `recorded`, as the deliveries listing
    /// shows it.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed(_) => "failed",
            Outcome::Recorded => "recorded",
        }
    }
}

/// Receives what rules send to their targets.
pub trait TargetSink: Send + Sync {
    /// Delivers `payload` (the text the target receives) to `target_arn`
    /// at `time_ms`; an error is the reason the delivery failed.
    fn deliver(
        &self,
        origin: &Origin<'_>,
        target_arn: &str,
        payload: &str,
        time_ms: i64,
    ) -> Result<(), String>;
}

/// One recorded delivery.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// The account of the rule.
    pub account: String,
    /// The region of the rule.
    pub region: String,
    /// The rule's ARN.
    pub rule_arn: String,
    /// The target's id.
    pub target_id: String,
    /// The target's ARN.
    pub target_arn: String,
    /// What the target received.
    pub payload: String,
    /// When, epoch milliseconds on Gureum's clock.
    pub time_ms: i64,
    /// `delivered`, `failed` or `recorded` ([`Outcome::status`]);
    /// deliveries recorded before outcomes were kept read `recorded`.
    #[serde(default = "recorded")]
    pub status: String,
    /// Why a failed delivery failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn recorded() -> String {
    Outcome::Recorded.status().to_string()
}

/// A sink that records every delivery in `events.deliveries`.
pub struct RecordingSink {
    store: Store,
    table: Table<Delivery>,
    seq: AtomicU64,
}

impl RecordingSink {
    /// A recorder over `store`.
    pub fn new(store: &Store) -> Self {
        RecordingSink {
            store: store.clone(),
            table: store.table("events.deliveries"),
            seq: AtomicU64::new(0),
        }
    }

    /// Every recorded delivery, oldest first.
    pub fn all(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut rows: Vec<Delivery> = self
            .table
            .scan_prefix("")?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        rows.sort_by_key(|d| d.time_ms);
        Ok(rows)
    }

    /// Records one delivery attempt and what became of it.
    pub fn record(
        &self,
        origin: &Origin<'_>,
        target_arn: &str,
        payload: &str,
        time_ms: i64,
        outcome: &Outcome,
    ) -> Result<(), String> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let key = format!(
            "{}/{}/{:016}-{:08}-{}",
            origin.account,
            origin.region,
            time_ms.max(0),
            seq,
            gureum_core::id::hex(8)
        );
        let delivery = Delivery {
            account: origin.account.to_string(),
            region: origin.region.to_string(),
            rule_arn: origin.rule_arn.to_string(),
            target_id: origin.target_id.to_string(),
            target_arn: target_arn.to_string(),
            payload: payload.to_string(),
            time_ms,
            status: outcome.status().to_string(),
            error: match outcome {
                Outcome::Failed(reason) => Some(reason.clone()),
                _ => None,
            },
        };
        self.store
            .write(|txn| txn.put(&self.table, &key, &delivery))
            .map_err(|e| e.to_string())
    }
}

impl TargetSink for RecordingSink {
    fn deliver(
        &self,
        origin: &Origin<'_>,
        target_arn: &str,
        payload: &str,
        time_ms: i64,
    ) -> Result<(), String> {
        self.record(origin, target_arn, payload, time_ms, &Outcome::Recorded)
    }
}
