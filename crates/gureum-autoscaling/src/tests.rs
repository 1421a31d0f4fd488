//! The service's rules, one test each, through `Service::call` and the
//! reconciler over a fake EC2 and load balancer.

use crate::seams::{Alarms, Balancer, Breach, Fleet, LaunchSpec, Launched, TemplateInfo};
use crate::{AutoscalingService, Seams};
use gureum_core::{AwsError, Clock, RequestContext, Service};
use gureum_store::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// EC2 with two subnets (a, b) and instances as a map id → (state, spec).
#[derive(Default)]
struct FakeFleet {
    instances: Mutex<BTreeMap<String, (String, LaunchSpec)>>,
    next: Mutex<u32>,
}

impl Fleet for FakeFleet {
    fn subnet_zone(&self, _: &RequestContext, subnet: &str) -> Result<Option<String>, AwsError> {
        Ok(match subnet {
            "subnet-a" => Some("us-east-1a".into()),
            "subnet-b" => Some("us-east-1b".into()),
            _ => None,
        })
    }
    fn template(
        &self,
        _: &RequestContext,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<TemplateInfo>, AwsError> {
        Ok(
            (id == Some("lt-1") || name == Some("web")).then(|| TemplateInfo {
                id: "lt-1".into(),
                name: "web".into(),
            }),
        )
    }
    fn launch(&self, _: &RequestContext, spec: &LaunchSpec) -> Result<Launched, AwsError> {
        let mut n = self.next.lock().expect("test value");
        *n += 1;
        let id = format!("i-{:017}", *n);
        self.instances
            .lock()
            .expect("test value")
            .insert(id.clone(), ("running".into(), spec.clone()));
        Ok(Launched {
            id,
            instance_type: "t3.micro".into(),
        })
    }
    fn terminate(&self, _: &RequestContext, ids: &[String]) -> Result<(), AwsError> {
        for id in ids {
            if let Some(i) = self.instances.lock().expect("test value").get_mut(id) {
                i.0 = "terminated".into();
            }
        }
        Ok(())
    }
    fn state(&self, _: &RequestContext, id: &str) -> Option<String> {
        self.instances
            .lock()
            .expect("test value")
            .get(id)
            .map(|i| i.0.clone())
    }
    fn placement(&self, _: &RequestContext, _: &str) -> Option<(String, String, String)> {
        None
    }
}

/// One target group `tg` whose registered instances' health is settable.
#[derive(Default)]
struct FakeBalancer {
    targets: Mutex<BTreeMap<String, String>>,
}

impl Balancer for FakeBalancer {
    fn target_group_exists(&self, _: &RequestContext, arn: &str) -> Result<bool, AwsError> {
        Ok(arn == "tg")
    }
    fn register(&self, _: &RequestContext, _: &str, ids: &[String]) -> Result<(), AwsError> {
        for id in ids {
            self.targets
                .lock()
                .expect("test value")
                .insert(id.clone(), "healthy".into());
        }
        Ok(())
    }
    fn deregister(&self, _: &RequestContext, _: &str, ids: &[String]) -> Result<(), AwsError> {
        for id in ids {
            self.targets.lock().expect("test value").remove(id);
        }
        Ok(())
    }
    fn health(&self, _: &RequestContext, _: &str) -> Result<Vec<(String, String)>, AwsError> {
        Ok(self
            .targets
            .lock()
            .expect("test value")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

#[derive(Default)]
struct FakeAlarms(Mutex<Vec<String>>);

impl Alarms for FakeAlarms {
    fn put_alarm(&self, _: &RequestContext, input: Value) -> Result<(), AwsError> {
        let name = input["AlarmName"].as_str().unwrap_or_default().to_string();
        let mut all = self.0.lock().expect("test value");
        if !all.contains(&name) {
            all.push(name);
        }
        Ok(())
    }
    fn delete_alarms(&self, _: &RequestContext, names: &[String]) -> Result<(), AwsError> {
        self.0
            .lock()
            .expect("test value")
            .retain(|n| !names.contains(n));
        Ok(())
    }
    fn alarming(&self, _: &RequestContext, _: &str) -> Result<Vec<(String, Breach)>, AwsError> {
        // Every alarm this fake holds is in ALARM at 80 over 70.
        Ok(self
            .0
            .lock()
            .expect("lock")
            .iter()
            .map(|n| (n.clone(), Some((80.0, 70.0))))
            .collect())
    }
}

/// The notifications sent: (topic, subject, message).
#[derive(Default)]
struct Notes(Mutex<Vec<(String, String, Value)>>);

impl crate::seams::Notifier for Notes {
    fn notify(
        &self,
        _: &RequestContext,
        _: &str,
        topic: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), AwsError> {
        let m = serde_json::from_str(message).expect("json");
        self.0
            .lock()
            .expect("lock")
            .push((topic.into(), subject.into(), m));
        Ok(())
    }
}

/// The events published, by detail type.
#[derive(Default)]
struct Events(Mutex<Vec<(String, Value)>>);

impl gureum_kit::service_events::ServiceEvents for Events {
    fn publish(&self, _: gureum_core::Scope<'_>, e: gureum_kit::service_events::ServiceEvent) {
        self.0.lock().expect("lock").push((e.detail_type, e.detail));
    }
}

struct World {
    svc: AutoscalingService,
    fleet: Arc<FakeFleet>,
    lb: Arc<FakeBalancer>,
    alarms: Arc<FakeAlarms>,
    events: Arc<Events>,
    notes: Arc<Notes>,
    clock: Clock,
    ctx: RequestContext,
}

fn world() -> World {
    let fleet = Arc::new(FakeFleet::default());
    let lb = Arc::new(FakeBalancer::default());
    let alarms = Arc::new(FakeAlarms::default());
    let events = Arc::new(Events::default());
    let notes = Arc::new(Notes::default());
    let clock = Clock::system();
    let svc = AutoscalingService::with_seams(
        Store::in_memory().expect("store"),
        Seams {
            fleet: fleet.clone(),
            balancer: lb.clone(),
            alarms: alarms.clone(),
            events: events.clone(),
            notifier: notes.clone(),
        },
    );
    let ctx = RequestContext::root("000000000000", "us-east-1", clock.clone());
    World {
        svc,
        fleet,
        lb,
        alarms,
        events,
        notes,
        clock,
        ctx,
    }
}

impl World {
    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        futures_ready(self.svc.call(&self.ctx, op, input))
    }
    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).expect(op)
    }
    fn group(&self, name: &str) -> Value {
        self.ok(
            "DescribeAutoScalingGroups",
            json!({"AutoScalingGroupNames": [name]}),
        )["AutoScalingGroups"][0]
            .clone()
    }
    fn ids(&self, name: &str) -> Vec<String> {
        self.group(name)["Instances"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|i| i["InstanceId"].as_str().expect("test value").to_string())
            .collect()
    }
    fn zones(&self, name: &str) -> Vec<String> {
        let mut z: Vec<String> = self.group(name)["Instances"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|i| {
                i["AvailabilityZone"]
                    .as_str()
                    .expect("test value")
                    .to_string()
            })
            .collect();
        z.sort();
        z
    }
    fn tick(&self, n: usize) {
        for _ in 0..n {
            self.svc.reconcile(&self.clock);
            self.clock.advance_millis(1000);
        }
    }
    fn web(&self, desired: i64) {
        self.ok(
            "CreateAutoScalingGroup",
            json!({
                "AutoScalingGroupName": "web", "MinSize": 1, "MaxSize": 6, "DesiredCapacity": desired,
                "LaunchTemplate": {"LaunchTemplateName": "web", "Version": "$Latest"},
                "VPCZoneIdentifier": "subnet-a,subnet-b", "TargetGroupARNs": ["tg"],
                "Tags": [{"Key": "team", "Value": "web", "PropagateAtLaunch": true},
                         {"Key": "cost", "Value": "x", "PropagateAtLaunch": false}],
            }),
        );
    }
}

fn futures_ready(mut f: gureum_core::service::OpFuture<'_>) -> Result<Value, AwsError> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => panic!("not ready"),
    }
}

#[test]
fn a_new_group_launches_its_desired_capacity_balanced_across_zones() {
    let w = world();
    w.web(4);
    w.tick(2);
    assert_eq!(w.ids("web").len(), 4);
    assert_eq!(
        w.zones("web"),
        ["us-east-1a", "us-east-1a", "us-east-1b", "us-east-1b"]
    );
    let g = w.group("web");
    assert!(g["Instances"]
        .as_array()
        .expect("test value")
        .iter()
        .all(|i| i["LifecycleState"] == "InService" && i["HealthStatus"] == "Healthy"));
}

#[test]
fn launched_instances_carry_only_the_tags_that_propagate_and_the_template() {
    let w = world();
    w.web(1);
    w.tick(1);
    let all = w.fleet.instances.lock().expect("test value");
    let (_, spec) = all.values().next().expect("one launched");
    assert_eq!(spec.tags, vec![("team".to_string(), "web".to_string())]);
    assert_eq!(spec.template, Some(("lt-1".into(), "$Latest".into())));
}

#[test]
fn running_instances_are_registered_with_the_groups_target_groups() {
    let w = world();
    w.web(2);
    w.tick(2);
    let registered: Vec<String> =
        w.lb.targets
            .lock()
            .expect("test value")
            .keys()
            .cloned()
            .collect();
    let mut ids = w.ids("web");
    ids.sort();
    assert_eq!(registered, ids);
}

#[test]
fn an_instance_terminated_behind_the_groups_back_is_replaced() {
    let w = world();
    w.web(2);
    w.tick(2);
    let gone = w.ids("web")[0].clone();
    w.fleet
        .terminate(&w.ctx, std::slice::from_ref(&gone))
        .expect("test value");
    w.tick(2);
    let ids = w.ids("web");
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&gone));
    let acts = w.ok(
        "DescribeScalingActivities",
        json!({"AutoScalingGroupName": "web"}),
    );
    let ended = acts["Activities"]
        .as_array()
        .expect("test value")
        .iter()
        .find(|a| a["Description"] == format!("Terminating EC2 instance: {gone}"))
        .expect("termination recorded")
        .clone();
    assert!(ended["Cause"]
        .as_str()
        .expect("test value")
        .ends_with("an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped."));
}

#[test]
fn elb_health_replaces_an_unhealthy_instance_only_after_the_grace_period() {
    let w = world();
    w.web(1);
    w.ok(
        "UpdateAutoScalingGroup",
        json!({"AutoScalingGroupName": "web", "HealthCheckType": "ELB", "HealthCheckGracePeriod": 30}),
    );
    w.tick(2);
    let id = w.ids("web")[0].clone();
    w.lb.targets
        .lock()
        .expect("test value")
        .insert(id.clone(), "unhealthy".into());
    w.tick(5);
    assert_eq!(w.ids("web"), vec![id.clone()], "within the grace period");
    w.tick(30);
    let ids = w.ids("web");
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], id);
}

#[test]
fn scale_in_keeps_zones_balanced_and_spares_protected_instances() {
    let w = world();
    w.web(4);
    w.tick(2);
    let ids = w.ids("web");
    w.ok(
        "SetInstanceProtection",
        json!({"AutoScalingGroupName": "web", "InstanceIds": [ids[0]], "ProtectedFromScaleIn": true}),
    );
    w.ok(
        "SetDesiredCapacity",
        json!({"AutoScalingGroupName": "web", "DesiredCapacity": 2}),
    );
    w.tick(1);
    let left = w.ids("web");
    assert_eq!(left.len(), 2);
    assert!(left.contains(&ids[0]));
    assert_eq!(w.zones("web"), ["us-east-1a", "us-east-1b"]);
}

#[test]
fn terminating_with_decrement_shrinks_the_group_and_without_replaces() {
    let w = world();
    w.web(3);
    w.tick(2);
    let ids = w.ids("web");
    let out = w.ok(
        "TerminateInstanceInAutoScalingGroup",
        json!({"InstanceId": ids[0], "ShouldDecrementDesiredCapacity": true}),
    );
    assert_eq!(
        out["Activity"]["Description"],
        format!("Terminating EC2 instance: {}", ids[0])
    );
    w.tick(2);
    assert_eq!(w.ids("web").len(), 2);
    assert_eq!(w.group("web")["DesiredCapacity"], 2);
    w.ok(
        "TerminateInstanceInAutoScalingGroup",
        json!({"InstanceId": ids[1], "ShouldDecrementDesiredCapacity": false}),
    );
    w.tick(2);
    let now = w.ids("web");
    assert_eq!(now.len(), 2);
    assert!(!now.contains(&ids[1]));
}

#[test]
fn suspended_launch_holds_the_fleet_until_resumed() {
    let w = world();
    w.web(2);
    w.ok(
        "SuspendProcesses",
        json!({"AutoScalingGroupName": "web", "ScalingProcesses": ["Launch"]}),
    );
    w.tick(2);
    assert!(w.ids("web").is_empty());
    assert_eq!(
        w.group("web")["SuspendedProcesses"][0]["ProcessName"],
        "Launch"
    );
    w.ok("ResumeProcesses", json!({"AutoScalingGroupName": "web"}));
    w.tick(2);
    assert_eq!(w.ids("web").len(), 2);
}

#[test]
fn standby_takes_an_instance_out_of_service_and_its_target_groups() {
    let w = world();
    w.web(2);
    w.tick(2);
    let id = w.ids("web")[0].clone();
    let err = w
        .call(
            "EnterStandby",
            json!({"AutoScalingGroupName": "web", "InstanceIds": [id]}),
        )
        .expect_err("refused");
    assert_eq!(err.code, "ValidationError");
    w.ok(
        "EnterStandby",
        json!({"AutoScalingGroupName": "web", "InstanceIds": [id], "ShouldDecrementDesiredCapacity": true}),
    );
    w.tick(2);
    assert_eq!(w.ids("web").len(), 2, "no replacement: desired shrank");
    assert!(!w.lb.targets.lock().expect("test value").contains_key(&id));
    w.ok(
        "ExitStandby",
        json!({"AutoScalingGroupName": "web", "InstanceIds": [id]}),
    );
    w.tick(2);
    assert!(w.lb.targets.lock().expect("test value").contains_key(&id));
    assert_eq!(w.group("web")["DesiredCapacity"], 2);
}

#[test]
fn a_step_policy_adds_the_step_the_breach_falls_in_and_stays_within_max() {
    let w = world();
    w.web(2);
    let arn = w.ok(
        "PutScalingPolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "out", "PolicyType": "StepScaling",
               "AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
                   {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
                   {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3}]}),
    )["PolicyARN"]
        .as_str()
        .expect("test value")
        .to_string();
    w.svc
        .alarm_fired(&w.ctx, &arn, "high", Some((75.0, 70.0)))
        .expect("test value");
    assert_eq!(w.group("web")["DesiredCapacity"], 3);
    w.svc
        .alarm_fired(&w.ctx, &arn, "high", Some((95.0, 70.0)))
        .expect("test value");
    assert_eq!(w.group("web")["DesiredCapacity"], 6);
    let acts = w.ok(
        "DescribeScalingActivities",
        json!({"AutoScalingGroupName": "web"}),
    );
    w.tick(1);
    let acts2 = w.ok(
        "DescribeScalingActivities",
        json!({"AutoScalingGroupName": "web"}),
    );
    assert!(acts["Activities"]
        .as_array()
        .expect("test value")
        .is_empty());
    assert!(acts2["Activities"][0]["Cause"].as_str().expect("test value").contains(
        "a monitor alarm high in state ALARM triggered policy out changing the desired capacity from 3 to 6."
    ));
}

#[test]
fn a_simple_policy_waits_out_its_cooldown() {
    let w = world();
    w.web(1);
    w.ok(
        "PutScalingPolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "up", "AdjustmentType": "ChangeInCapacity",
               "ScalingAdjustment": 1, "Cooldown": 60}),
    );
    let exec = json!({"AutoScalingGroupName": "web", "PolicyName": "up", "HonorCooldown": true});
    w.ok("ExecutePolicy", exec.clone());
    w.ok("ExecutePolicy", exec.clone());
    assert_eq!(w.group("web")["DesiredCapacity"], 2);
    w.clock.advance_millis(61_000);
    w.ok("ExecutePolicy", exec);
    assert_eq!(w.group("web")["DesiredCapacity"], 3);
}

#[test]
fn a_target_tracking_policy_owns_its_alarms_and_deletes_them_with_itself() {
    let w = world();
    w.web(1);
    let out = w.ok(
        "PutScalingPolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "cpu", "PolicyType": "TargetTrackingScaling",
               "TargetTrackingConfiguration": {"TargetValue": 50.0,
                   "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}}}),
    );
    let names: Vec<&str> = out["Alarms"]
        .as_array()
        .expect("test value")
        .iter()
        .map(|a| a["AlarmName"].as_str().expect("test value"))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].starts_with("TargetTracking-web-AlarmHigh-"));
    assert!(names[1].starts_with("TargetTracking-web-AlarmLow-"));
    assert_eq!(w.alarms.0.lock().expect("test value").len(), 2);
    w.ok(
        "DeletePolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "cpu"}),
    );
    assert!(w.alarms.0.lock().expect("test value").is_empty());
}

#[test]
fn a_group_with_instances_is_deleted_only_by_force_and_then_terminates_them() {
    let w = world();
    w.web(2);
    w.tick(2);
    let err = w
        .call(
            "DeleteAutoScalingGroup",
            json!({"AutoScalingGroupName": "web"}),
        )
        .expect_err("refused");
    assert_eq!(err.code, "ResourceInUse");
    let ids = w.ids("web");
    w.ok(
        "DeleteAutoScalingGroup",
        json!({"AutoScalingGroupName": "web", "ForceDelete": true}),
    );
    assert_eq!(w.group("web")["Status"], "Delete in progress");
    w.tick(2);
    assert_eq!(w.group("web"), Value::Null);
    for id in ids {
        assert_eq!(w.fleet.state(&w.ctx, &id).as_deref(), Some("terminated"));
    }
}

#[test]
fn the_operation_table_names_every_served_operation() {
    let w = world();
    assert_eq!(w.svc.implemented().len(), 42);
}

#[test]
fn a_scheduled_action_changes_the_group_at_its_time_and_is_then_gone() {
    let w = world();
    w.web(1);
    let at = (w.clock.now_millis() + 60_000) as f64 / 1000.0;
    w.ok(
        "PutScheduledUpdateGroupAction",
        json!({"AutoScalingGroupName": "web", "ScheduledActionName": "rush", "StartTime": at,
               "DesiredCapacity": 3, "MaxSize": 5}),
    );
    w.tick(2);
    assert_eq!(w.group("web")["DesiredCapacity"], 1);
    w.clock.advance_millis(60_000);
    w.tick(2);
    let g = w.group("web");
    assert_eq!(
        (g["DesiredCapacity"].clone(), g["MaxSize"].clone()),
        (json!(3), json!(5))
    );
    assert_eq!(w.ids("web").len(), 3);
    let left = w.ok(
        "DescribeScheduledActions",
        json!({"AutoScalingGroupName": "web"}),
    );
    assert_eq!(left["ScheduledUpdateGroupActions"], json!([]));
}

#[test]
fn a_recurring_action_moves_to_its_next_time() {
    let w = world();
    w.web(1);
    w.ok(
        "PutScheduledUpdateGroupAction",
        json!({"AutoScalingGroupName": "web", "ScheduledActionName": "tick", "Recurrence": "*/5 * * * *",
               "DesiredCapacity": 2}),
    );
    let first = w.ok("DescribeScheduledActions", json!({}))["ScheduledUpdateGroupActions"][0]
        ["StartTime"]
        .as_f64()
        .expect("a start");
    w.clock.advance_millis(301_000);
    w.tick(1);
    assert_eq!(w.group("web")["DesiredCapacity"], 2);
    let next = w.ok("DescribeScheduledActions", json!({}))["ScheduledUpdateGroupActions"][0]
        ["StartTime"]
        .as_f64()
        .expect("a next start");
    assert_eq!(next - first, 300.0);
}

#[test]
fn a_scheduled_action_in_the_past_is_refused() {
    let w = world();
    w.web(1);
    let err = w
        .call(
            "PutScheduledUpdateGroupAction",
            json!({"AutoScalingGroupName": "web", "ScheduledActionName": "old", "StartTime": 1000.0,
                   "DesiredCapacity": 2}),
        )
        .expect_err("refused");
    assert_eq!(err.message, "Given start time is in the past");
}

#[test]
fn a_launch_hook_holds_the_instance_in_pending_wait_until_completed() {
    let w = world();
    w.ok(
        "CreateAutoScalingGroup",
        json!({"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 2, "DesiredCapacity": 0,
               "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a",
               "TargetGroupARNs": ["tg"]}),
    );
    w.ok(
        "PutLifecycleHook",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "warm",
               "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "HeartbeatTimeout": 60}),
    );
    w.ok(
        "SetDesiredCapacity",
        json!({"AutoScalingGroupName": "web", "DesiredCapacity": 1}),
    );
    w.tick(3);
    let id = w.ids("web")[0].clone();
    assert_eq!(
        w.group("web")["Instances"][0]["LifecycleState"],
        "Pending:Wait"
    );
    assert!(w.lb.targets.lock().expect("lock").is_empty());
    let err = w
        .call(
            "CompleteLifecycleAction",
            json!({"AutoScalingGroupName": "web", "LifecycleHookName": "warm",
                   "LifecycleActionResult": "CONTINUE", "InstanceId": "i-00000000000000000"}),
        )
        .expect_err("refused");
    assert_eq!(
        err.message,
        "No active Lifecycle Action found with instance ID i-00000000000000000"
    );
    w.ok(
        "CompleteLifecycleAction",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "warm",
               "LifecycleActionResult": "CONTINUE", "InstanceId": id}),
    );
    w.tick(2);
    assert_eq!(
        w.group("web")["Instances"][0]["LifecycleState"],
        "InService"
    );
    assert!(w.lb.targets.lock().expect("lock").contains_key(&id));
}

#[test]
fn an_unanswered_launch_hook_applies_its_default_result_after_the_heartbeat_timeout() {
    let w = world();
    w.web(1);
    w.ok(
        "PutLifecycleHook",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "warm",
               "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "HeartbeatTimeout": 30,
               "DefaultResult": "ABANDON"}),
    );
    w.tick(2);
    let first = w.ids("web")[0].clone();
    w.tick(20);
    w.ok(
        "RecordLifecycleActionHeartbeat",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "warm", "InstanceId": first}),
    );
    w.tick(20);
    assert_eq!(
        w.ids("web"),
        vec![first.clone()],
        "the heartbeat moved the timeout"
    );
    w.tick(15);
    assert!(!w.ids("web").contains(&first), "abandoned and replaced");
    assert_eq!(w.fleet.state(&w.ctx, &first).as_deref(), Some("terminated"));
}

#[test]
fn a_terminate_hook_holds_the_instance_out_of_its_target_groups_until_completed() {
    let w = world();
    w.web(1);
    w.tick(2);
    let id = w.ids("web")[0].clone();
    w.ok(
        "PutLifecycleHook",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "drain",
               "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING", "DefaultResult": "CONTINUE"}),
    );
    w.ok(
        "TerminateInstanceInAutoScalingGroup",
        json!({"InstanceId": id, "ShouldDecrementDesiredCapacity": false}),
    );
    w.tick(2);
    let held = w.group("web")["Instances"]
        .as_array()
        .expect("instances")
        .iter()
        .find(|i| i["InstanceId"] == id.as_str())
        .expect("still listed")
        .clone();
    assert_eq!(held["LifecycleState"], "Terminating:Wait");
    assert!(!w.lb.targets.lock().expect("lock").contains_key(&id));
    assert_eq!(w.fleet.state(&w.ctx, &id).as_deref(), Some("running"));
    w.ok(
        "CompleteLifecycleAction",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "drain",
               "LifecycleActionResult": "CONTINUE", "InstanceId": id}),
    );
    w.tick(2);
    assert_eq!(w.fleet.state(&w.ctx, &id).as_deref(), Some("terminated"));
    assert!(!w.ids("web").contains(&id));
}

#[test]
fn a_member_gureum_does_not_implement_is_refused_not_ignored() {
    let w = world();
    let err = w
        .call(
            "CreateAutoScalingGroup",
            json!({"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 1,
                   "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a",
                   "MaxInstanceLifetime": 86400}),
        )
        .expect_err("refused");
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("ValidationError", "Gureum does not implement the parameter MaxInstanceLifetime yet: the request is refused rather than the parameter ignored.")
    );
}

#[test]
fn tags_added_later_propagate_to_the_next_launch() {
    let w = world();
    w.ok("CreateAutoScalingGroup", json!({"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 2, "DesiredCapacity": 0, "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a", "Tags": [{"Key": "team", "Value": "web", "PropagateAtLaunch": true}]}));
    w.ok(
        "CreateOrUpdateTags",
        json!({"Tags": [{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "env",
                         "Value": "prod", "PropagateAtLaunch": true}]}),
    );
    w.ok(
        "DeleteTags",
        json!({"Tags": [{"ResourceId": "web", "ResourceType": "auto-scaling-group", "Key": "team"}]}),
    );
    let tags = w.ok(
        "DescribeTags",
        json!({"Filters": [{"Name": "propagate-at-launch", "Values": ["true"]}]}),
    );
    assert_eq!(tags["Tags"].as_array().expect("tags").len(), 1);
    w.ok(
        "SetDesiredCapacity",
        json!({"AutoScalingGroupName": "web", "DesiredCapacity": 1}),
    );
    w.tick(1);
    let all = w.fleet.instances.lock().expect("lock");
    let (_, spec) = all.values().next().expect("one launched");
    assert_eq!(spec.tags, vec![("env".to_string(), "prod".to_string())]);
}

#[test]
fn launches_terminations_and_hook_waits_go_to_the_default_event_bus() {
    let w = world();
    w.web(2);
    w.ok(
        "PutLifecycleHook",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "bye",
               "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING", "NotificationMetadata": "m"}),
    );
    w.tick(2);
    let id = w.ids("web")[0].clone();
    w.ok(
        "TerminateInstanceInAutoScalingGroup",
        json!({"InstanceId": id, "ShouldDecrementDesiredCapacity": true}),
    );
    w.tick(1);
    w.ok(
        "CompleteLifecycleAction",
        json!({"AutoScalingGroupName": "web", "LifecycleHookName": "bye",
               "LifecycleActionResult": "CONTINUE", "InstanceId": id}),
    );
    w.tick(1);
    let seen = w.events.0.lock().expect("lock").clone();
    let types: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "EC2 Instance Launch Successful",
            "EC2 Instance Launch Successful",
            "EC2 Instance-terminate Lifecycle Action",
            "EC2 Instance Terminate Successful"
        ]
    );
    assert_eq!(seen[3].1["EC2InstanceId"], id.as_str());
    assert_eq!(seen[2].1["NotificationMetadata"], "m");
    assert_eq!(seen[2].1["Origin"], "AutoScalingGroup");
}

#[test]
fn no_operation_panics_on_missing_or_mistyped_members() {
    let w = world();
    w.web(1);
    w.tick(1);
    let junk = [
        json!({}),
        json!({"AutoScalingGroupName": 7, "MinSize": "x", "MaxSize": [], "DesiredCapacity": {}}),
        json!({"AutoScalingGroupName": "web", "InstanceIds": "i-1", "Tags": {}, "StepAdjustments": 3,
               "ScalingProcesses": [1, 2], "Filters": "f", "MaxRecords": -5, "NextToken": "%%%",
               "StartTime": "soon", "Recurrence": "* * * * * * *", "PolicyType": "StepScaling",
               "AdjustmentType": "ExactCapacity", "TargetTrackingConfiguration": 1}),
    ];
    for op in w.svc.implemented() {
        for input in &junk {
            let _ = w.call(op, input.clone());
        }
    }
    w.tick(2);
    assert_eq!(w.ids("web").len(), 1, "the group still reconciles");
}

#[test]
fn a_large_desired_capacity_fills_a_bounded_number_per_pass() {
    let w = world();
    w.ok(
        "CreateAutoScalingGroup",
        json!({"AutoScalingGroupName": "big", "MinSize": 0, "MaxSize": 100, "DesiredCapacity": 25,
               "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a,subnet-b"}),
    );
    w.tick(1);
    assert_eq!(w.ids("big").len(), 10);
    w.tick(2);
    assert_eq!(w.ids("big").len(), 25);
}

#[test]
fn an_alarm_still_in_alarm_runs_its_step_policy_again_a_minute_later() {
    let w = world();
    w.web(1);
    let arn = w.ok(
        "PutScalingPolicy",
        json!({"AutoScalingGroupName": "web", "PolicyName": "out", "PolicyType": "StepScaling",
               "AdjustmentType": "ChangeInCapacity",
               "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}),
    )["PolicyARN"]
        .as_str()
        .expect("arn")
        .to_string();
    w.alarms.0.lock().expect("lock").push("high".into());
    w.svc
        .alarm_fired(&w.ctx, &arn, "high", Some((80.0, 70.0)))
        .expect("fired");
    w.tick(5);
    assert_eq!(
        w.group("web")["DesiredCapacity"],
        2,
        "not again within the minute"
    );
    w.clock.advance_millis(60_000);
    w.tick(1);
    assert_eq!(w.group("web")["DesiredCapacity"], 3);
    w.alarms.0.lock().expect("lock").clear();
    w.clock.advance_millis(60_000);
    w.tick(1);
    assert_eq!(w.group("web")["DesiredCapacity"], 3, "the alarm left ALARM");
}

#[test]
fn a_notification_configuration_sends_a_test_then_launch_notifications() {
    let w = world();
    w.ok("CreateAutoScalingGroup", json!({"AutoScalingGroupName": "web", "MinSize": 0, "MaxSize": 2, "DesiredCapacity": 0, "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a"}));
    let topic = "arn:aws:sns:us-east-1:000000000000:fleet";
    w.ok(
        "PutNotificationConfiguration",
        json!({"AutoScalingGroupName": "web", "TopicARN": topic,
               "NotificationTypes": ["autoscaling:EC2_INSTANCE_LAUNCH"]}),
    );
    w.ok(
        "SetDesiredCapacity",
        json!({"AutoScalingGroupName": "web", "DesiredCapacity": 1}),
    );
    w.tick(2);
    let notes = w.notes.0.lock().expect("lock").clone();
    assert_eq!(notes.len(), 2);
    assert_eq!(
        notes[0].1,
        "Auto Scaling: test notification for group \"web\""
    );
    assert_eq!(notes[0].2["Event"], "autoscaling:TEST_NOTIFICATION");
    assert_eq!(notes[1].1, "Auto Scaling: launch for group \"web\"");
    assert_eq!(notes[1].2["Event"], "autoscaling:EC2_INSTANCE_LAUNCH");
    assert_eq!(notes[1].2["EC2InstanceId"], w.ids("web")[0].as_str());
    let described = w.ok("DescribeNotificationConfigurations", json!({}));
    assert_eq!(
        described["NotificationConfigurations"],
        json!([{"AutoScalingGroupName": "web", "TopicARN": topic,
                "NotificationType": "autoscaling:EC2_INSTANCE_LAUNCH"}])
    );
}

#[test]
fn hooks_named_at_creation_hold_the_first_instances() {
    let w = world();
    w.ok(
        "CreateAutoScalingGroup",
        json!({"AutoScalingGroupName": "web", "MinSize": 1, "MaxSize": 1,
               "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a",
               "LifecycleHookSpecificationList": [{"LifecycleHookName": "boot",
                   "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "HeartbeatTimeout": 60}]}),
    );
    w.tick(2);
    assert_eq!(
        w.group("web")["Instances"][0]["LifecycleState"],
        "Pending:Wait"
    );
    let err = w
        .call(
            "CreateAutoScalingGroup",
            json!({"AutoScalingGroupName": "bad", "MinSize": 0, "MaxSize": 1,
                   "LaunchTemplate": {"LaunchTemplateId": "lt-1"}, "VPCZoneIdentifier": "subnet-a",
                   "LifecycleHookSpecificationList": [{"LifecycleHookName": "x",
                       "LifecycleTransition": "autoscaling:NOPE"}]}),
        )
        .expect_err("refused");
    assert_eq!(
        err.message,
        "Invalid Lifecycle Transition: autoscaling:NOPE"
    );
    assert_eq!(w.group("bad"), Value::Null);
}
