//! The seam alarm actions leave through.
//!
//! When an alarm changes state with its actions enabled (and no
//! suppressor holding them), each ARN in the new state's action list is
//! handed to an [`AlarmActions`] with an [`AlarmNotice`]: SNS topics
//! (`arn:aws:sns:…`), EC2 actions (`arn:aws:automate:REGION:ec2:stop`,
//! `terminate`, `reboot`, `recover`) and Auto Scaling policies plug in
//! here. The default, [`RecordingActions`], records every action in the
//! store, listed at `GET /_gureum/cloudwatch/actions`.

use gureum_core::{Scope, Value};
use gureum_store::{Store, StoreError, Table};

/// What an action is told about the alarm.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlarmNotice {
    /// The alarm's name.
    pub alarm_name: String,
    /// The alarm's ARN.
    pub alarm_arn: String,
    /// The state it left.
    pub old_state: String,
    /// The state it entered.
    pub new_state: String,
    /// `StateReason`.
    pub reason: String,
    /// When, epoch milliseconds on Gureum's clock.
    pub time_ms: i64,
    /// The notification AWS sends to an SNS topic (the JSON message
    /// body: `AlarmName`, `NewStateValue`, `Trigger`, …).
    pub message: Value,
}

/// Runs alarm actions.
pub trait AlarmActions: Send + Sync {
    /// Runs `action_arn` for `notice` in the account and region of
    /// `scope`; an error is recorded in the alarm's history as a failed
    /// action, never fails the evaluation.
    fn fire(&self, scope: Scope<'_>, action_arn: &str, notice: &AlarmNotice) -> Result<(), String>;
}

/// One recorded action.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActionRecord {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The action's ARN.
    pub action_arn: String,
    /// What the alarm said.
    pub notice: AlarmNotice,
}

/// The default seam: records every action (`cloudwatch.actions`).
#[derive(Clone)]
pub struct RecordingActions {
    table: Table<ActionRecord>,
    seq: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RecordingActions {
    /// The recorder over `store`.
    pub fn new(store: &Store) -> Self {
        RecordingActions {
            table: store.table("cloudwatch.actions"),
            seq: Default::default(),
        }
    }

    /// Every recorded action, oldest first.
    pub fn all(&self) -> Result<Vec<ActionRecord>, StoreError> {
        Ok(self
            .table
            .scan_prefix("")?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }
}

impl AlarmActions for RecordingActions {
    fn fire(&self, scope: Scope<'_>, action_arn: &str, notice: &AlarmNotice) -> Result<(), String> {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let record = ActionRecord {
            account: scope.account().to_string(),
            region: scope.region().unwrap_or_default().to_string(),
            action_arn: action_arn.to_string(),
            notice: notice.clone(),
        };
        self.table
            .put(&format!("{:014}-{n:010}", notice.time_ms), &record)
            .map_err(|e| e.to_string())
    }
}
