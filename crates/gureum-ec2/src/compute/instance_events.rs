//! "EC2 Instance State-change Notification": what EC2 sends to
//! EventBridge's default bus as an instance moves between states (source
//! `aws.ec2`, detail `{"instance-id", "state"}`, the instance's ARN in
//! `resources`), through the kit's `ServiceEvents` seam.
//!
//! Instances settle lazily on Gureum's clock (`Instance::settle`), with
//! nothing running when a transition comes due, so an operation that
//! starts a transition publishes both of its states at once: the one it
//! enters now (`pending`, `stopping`, `shutting-down`) at the current time,
//! and the one it settles into (`running`, `stopped`, `terminated`) with
//! the time it settles at, [`TRANSITION_MS`] later, which is when
//! `DescribeInstances` shows it.

use crate::compute::instances::TRANSITION_MS;
use crate::Ec2Service;
use gureum_core::{RequestContext, Scope};
use gureum_kit::service_events::ServiceEvent;
use serde_json::json;

/// The source of EC2's events.
pub const SOURCE: &str = "aws.ec2";
/// The detail type of an instance's state change.
pub const DETAIL_TYPE: &str = "EC2 Instance State-change Notification";

/// The state a transitional state settles into, if it is one.
fn settles_into(state: &str) -> Option<&'static str> {
    match state {
        "pending" => Some("running"),
        "stopping" => Some("stopped"),
        "shutting-down" => Some("terminated"),
        _ => None,
    }
}

/// One state-change event.
fn event(ctx: &RequestContext, id: &str, state: &str, time_ms: i64) -> ServiceEvent {
    ServiceEvent {
        source: SOURCE.to_string(),
        detail_type: DETAIL_TYPE.to_string(),
        resources: vec![format!(
            "arn:aws:ec2:{}:{}:instance/{id}",
            ctx.region, ctx.account_id
        )],
        detail: json!({"instance-id": id, "state": state}),
        time_ms,
    }
}

impl Ec2Service {
    /// Publishes the state changes of `changed` (instance id, the state
    /// it entered and when), after the operation's write committed: the
    /// state entered, and the one it settles into.
    pub(crate) fn publish_state_changes(
        &self,
        ctx: &RequestContext,
        changed: &[(String, String, i64)],
    ) {
        for (id, state, since) in changed {
            let now = *since;
            let scope = Scope::regional(ctx);
            self.seams.events.publish(scope, event(ctx, id, state, now));
            if let Some(next) = settles_into(state) {
                self.seams
                    .events
                    .publish(scope, event(ctx, id, next, now + TRANSITION_MS));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::Value;
    use gureum_kit::service_events::ServiceEvents;
    use std::sync::{Arc, Mutex};

    /// Keeps what was published.
    #[derive(Default)]
    struct Kept(Mutex<Vec<(String, ServiceEvent)>>);

    impl ServiceEvents for Kept {
        fn publish(&self, scope: Scope<'_>, event: ServiceEvent) {
            self.0.lock().expect("lock").push((scope.key(""), event));
        }
    }

    fn states(kept: &Kept) -> Vec<(String, i64)> {
        kept.0
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, e)| {
                (
                    e.detail["state"].as_str().unwrap_or("").to_string(),
                    e.time_ms,
                )
            })
            .collect()
    }

    #[test]
    fn a_transition_publishes_the_state_entered_and_the_one_it_settles_into() {
        let kept = Arc::new(Kept::default());
        let svc = crate::test_service().with_events(kept.clone());
        let ctx = RequestContext::root("000000000000", "us-east-1", gureum_core::Clock::system());
        svc.publish_state_changes(&ctx, &[("i-0123".into(), "stopping".into(), 5_000)]);
        assert_eq!(
            states(&kept),
            vec![
                ("stopping".into(), 5_000),
                ("stopped".into(), 5_000 + TRANSITION_MS)
            ]
        );
        let (scope, e) = kept.0.lock().expect("lock")[0].clone();
        assert!(scope.starts_with("000000000000/us-east-1"), "{scope}");
        assert_eq!(e.source, "aws.ec2");
        assert_eq!(e.detail_type, "EC2 Instance State-change Notification");
        assert_eq!(
            e.resources,
            vec!["arn:aws:ec2:us-east-1:000000000000:instance/i-0123".to_string()]
        );
        assert_eq!(e.detail["instance-id"], Value::from("i-0123"));
    }

    #[test]
    fn run_stop_start_and_terminate_publish_every_state() {
        let kept = Arc::new(Kept::default());
        let svc = crate::test_service().with_events(kept.clone());
        let clock = gureum_core::Clock::system();
        let ctx = RequestContext::root("000000000000", "us-east-1", clock.clone());
        let image = crate::common::catalog_images::catalogue_images("us-east-1")
            .into_iter()
            .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
            .and_then(|i| i["ImageId"].as_str().map(str::to_string))
            .expect("an x86_64 linux image");
        let out = svc
            .run_instances(
                &ctx,
                json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}),
            )
            .expect("run");
        let id = out["Instances"][0]["InstanceId"]
            .as_str()
            .expect("id")
            .to_string();
        let names = |k: &Kept| states(k).into_iter().map(|s| s.0).collect::<Vec<_>>();
        assert_eq!(names(&kept), ["pending", "running"]);
        clock.advance_millis(2 * TRANSITION_MS);
        svc.stop_instances(&ctx, json!({"InstanceIds": [id]}))
            .expect("stop");
        clock.advance_millis(2 * TRANSITION_MS);
        svc.start_instances(&ctx, json!({"InstanceIds": [id]}))
            .expect("start");
        clock.advance_millis(2 * TRANSITION_MS);
        svc.terminate_instances(&ctx, json!({"InstanceIds": [id]}))
            .expect("terminate");
        assert_eq!(
            names(&kept),
            [
                "pending",
                "running",
                "stopping",
                "stopped",
                "pending",
                "running",
                "shutting-down",
                "terminated"
            ]
        );
        // Terminating again changes nothing, so publishes nothing.
        svc.terminate_instances(&ctx, json!({"InstanceIds": [id]}))
            .expect("again");
        assert_eq!(names(&kept).len(), 8);
    }
}
