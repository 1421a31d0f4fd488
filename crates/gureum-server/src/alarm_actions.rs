//! Where CloudWatch alarm actions really go: the
//! [`gureum_cloudwatch::AlarmActions`] the server wires into CloudWatch.
//!
//! - `arn:aws:sns:…` topics: [`gureum_sns::SnsService::publish_from_service`]
//!   as `cloudwatch.amazonaws.com` for the alarm, with AWS's subject
//!   (`ALARM: "name" in US East (N. Virginia)`) and JSON message.
//! - Auto Scaling policies (`arn:aws:autoscaling:…:scalingPolicy:…`): the
//!   actions bound with [`ActionRouter::bind_autoscaling`] (Auto Scaling is
//!   built after CloudWatch).
//! - EC2 (`arn:aws:automate:…`) actions: recorded only.
//!
//! Every action is also recorded (`GET /_gureum/cloudwatch/actions`).

use gureum_cloudwatch::{AlarmActions, AlarmNotice, RecordingActions};
use gureum_core::{Clock, Scope};
use gureum_sns::SnsService;
use gureum_sqs::ServiceSender;
use std::sync::Arc;

/// CloudWatch's service principal.
const CLOUDWATCH_PRINCIPAL: &str = "cloudwatch.amazonaws.com";

/// Alarm actions routed by the action ARN's service.
pub struct ActionRouter {
    sns: Arc<SnsService>,
    recorder: RecordingActions,
    clock: Clock,
    autoscaling: std::sync::OnceLock<Arc<dyn AlarmActions>>,
}

impl ActionRouter {
    /// Actions through `sns`, each also recorded in `store`.
    pub fn new(store: &gureum_store::Store, clock: Clock, sns: Arc<SnsService>) -> Self {
        ActionRouter {
            sns,
            recorder: RecordingActions::new(store),
            clock,
            autoscaling: Default::default(),
        }
    }

    /// Where `arn:aws:autoscaling:…` actions go from now on.
    pub fn bind_autoscaling(&self, actions: Arc<dyn AlarmActions>) {
        let _ = self.autoscaling.set(actions);
    }
}

/// AWS's subject line for an alarm notification.
fn subject(notice: &AlarmNotice, region: &str) -> String {
    let place = gureum_core::region::find(region).map_or(region, |r| r.description);
    format!("{}: \"{}\" in {place}", notice.new_state, notice.alarm_name)
}

impl AlarmActions for ActionRouter {
    fn fire(&self, scope: Scope<'_>, action_arn: &str, notice: &AlarmNotice) -> Result<(), String> {
        self.recorder.fire(scope, action_arn, notice)?;
        if action_arn.split(':').nth(2) == Some("autoscaling") {
            return match self.autoscaling.get() {
                Some(a) => a.fire(scope, action_arn, notice),
                None => Ok(()),
            };
        }
        if action_arn.split(':').nth(2) != Some("sns") {
            return Ok(());
        }
        let region = scope.region().unwrap_or_default();
        let sender = ServiceSender {
            service: CLOUDWATCH_PRINCIPAL,
            source_arn: &notice.alarm_arn,
            source_account: scope.account(),
        };
        self.sns
            .publish_from_service(
                &self.clock,
                &sender,
                action_arn,
                &notice.message.to_string(),
                Some(&subject(notice, region)),
                &serde_json::Value::Null,
            )
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}
