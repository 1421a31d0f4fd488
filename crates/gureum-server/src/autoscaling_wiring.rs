//! Auto Scaling's seams, wired to the services that own them: EC2
//! launches and terminates the instances (through its `Service` interface
//! in-process, never HTTP), Elastic Load Balancing registers them and
//! reports their health, CloudWatch holds target tracking alarms,
//! EventBridge's default bus gets its instance and lifecycle events, and
//! CloudWatch's alarm actions on `arn:aws:autoscaling:…:scalingPolicy:…`
//! run the policy ([`PolicyActions`]).

use gureum_autoscaling::records::LaunchConfiguration;
use gureum_autoscaling::seams::{
    Alarms, Balancer, Breach, Fleet, LaunchSpec, Launched, Notifier, TemplateInfo,
};
use gureum_autoscaling::AutoscalingService;
use gureum_cloudwatch::{AlarmActions, AlarmNotice, CloudWatchService};
use gureum_core::{AwsError, Clock, RequestContext, Scope, Service, Value};
use gureum_ec2::Ec2Service;
use gureum_elbv2::Elbv2Service;
use serde_json::json;
use std::sync::Arc;

/// Auto Scaling over `ec2`, `elbv2` and `cloudwatch`.
pub fn build(
    store: &gureum_store::Store,
    clock: &Clock,
    ec2: &Arc<Ec2Service>,
    elbv2: &Arc<Elbv2Service>,
    cloudwatch: &Arc<CloudWatchService>,
    events: Arc<dyn gureum_kit::service_events::ServiceEvents>,
    sns: &Arc<gureum_sns::SnsService>,
) -> Arc<AutoscalingService> {
    Arc::new(AutoscalingService::with_seams(
        store.clone(),
        gureum_autoscaling::Seams {
            fleet: Arc::new(Ec2Fleet {
                ec2: ec2.clone(),
                clock: clock.clone(),
            }),
            balancer: Arc::new(ElbTargets(elbv2.clone())),
            alarms: Arc::new(CloudWatchAlarms(cloudwatch.clone())),
            events,
            notifier: Arc::new(SnsNotifier {
                sns: sns.clone(),
                clock: clock.clone(),
            }),
        },
    ))
}

/// Runs an operation of an in-process service. Non-streaming operations
/// answer with a ready future (`service_operations!`), so one poll is
/// the whole call; it needs no runtime, so it works from the ticker and
/// from a request alike.
fn call(
    svc: &dyn Service,
    ctx: &RequestContext,
    op: &str,
    input: Value,
) -> Result<Value, AwsError> {
    let mut fut = svc.call(ctx, op, input);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => Err(AwsError::internal(format!("{op} did not answer at once"))),
    }
}

/// EC2 as Auto Scaling's [`Fleet`].
struct Ec2Fleet {
    ec2: Arc<Ec2Service>,
    clock: Clock,
}

/// `RunInstances` members for a launch configuration.
fn from_configuration(c: &LaunchConfiguration, input: &mut Value) {
    input["ImageId"] = json!(c.image_id);
    input["InstanceType"] = json!(c.instance_type);
    if let Some(k) = &c.key_name {
        input["KeyName"] = json!(k);
    }
    if let Some(u) = &c.user_data {
        input["UserData"] = json!(u);
    }
    if !c.security_groups.is_empty() {
        input["SecurityGroupIds"] = json!(c.security_groups);
    }
    if let Some(p) = &c.instance_profile {
        input["IamInstanceProfile"] = if p.starts_with("arn:") {
            json!({"Arn": p})
        } else {
            json!({"Name": p})
        };
    }
}

impl Fleet for Ec2Fleet {
    fn subnet_zone(&self, ctx: &RequestContext, subnet: &str) -> Result<Option<String>, AwsError> {
        Ok(self.ec2.subnet_for_service(ctx, subnet)?.map(|s| s.az))
    }

    fn template(
        &self,
        ctx: &RequestContext,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<TemplateInfo>, AwsError> {
        let input = match (id, name) {
            (Some(id), _) => json!({"LaunchTemplateIds": [id]}),
            (None, Some(n)) => json!({"LaunchTemplateNames": [n]}),
            (None, None) => return Ok(None),
        };
        // EC2 answers not-found errors for unknown ids and names.
        let Ok(out) = call(self.ec2.as_ref(), ctx, "DescribeLaunchTemplates", input) else {
            return Ok(None);
        };
        Ok(out["LaunchTemplates"]
            .as_array()
            .and_then(|a| a.first())
            .map(|t| TemplateInfo {
                id: t["LaunchTemplateId"].as_str().unwrap_or_default().into(),
                name: t["LaunchTemplateName"].as_str().unwrap_or_default().into(),
            }))
    }

    fn launch(&self, ctx: &RequestContext, spec: &LaunchSpec) -> Result<Launched, AwsError> {
        let mut input = json!({"MinCount": 1, "MaxCount": 1});
        if let Some((id, version)) = &spec.template {
            input["LaunchTemplate"] = json!({"LaunchTemplateId": id, "Version": version});
        }
        if let Some(c) = &spec.configuration {
            from_configuration(c, &mut input);
        }
        if !spec.subnet.is_empty() {
            input["SubnetId"] = json!(spec.subnet);
        } else if !spec.zone.is_empty() {
            input["Placement"] = json!({"AvailabilityZone": spec.zone});
        }
        if !spec.tags.is_empty() {
            let tags: Vec<Value> = spec
                .tags
                .iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
            input["TagSpecifications"] = json!([{"ResourceType": "instance", "Tags": tags}]);
        }
        let out = call(self.ec2.as_ref(), ctx, "RunInstances", input)?;
        let i = &out["Instances"][0];
        Ok(Launched {
            id: i["InstanceId"].as_str().unwrap_or_default().into(),
            instance_type: i["InstanceType"].as_str().unwrap_or_default().into(),
        })
    }

    fn terminate(&self, ctx: &RequestContext, ids: &[String]) -> Result<(), AwsError> {
        call(
            self.ec2.as_ref(),
            ctx,
            "TerminateInstances",
            json!({"InstanceIds": ids}),
        )
        .map(|_| ())
    }

    fn state(&self, ctx: &RequestContext, id: &str) -> Option<String> {
        self.ec2
            .instance_address(&ctx.account_id, &ctx.region, id, self.clock.now_millis())
            .map(|i| i.state)
    }

    fn placement(&self, ctx: &RequestContext, id: &str) -> Option<(String, String, String)> {
        let out = call(
            self.ec2.as_ref(),
            ctx,
            "DescribeInstances",
            json!({"InstanceIds": [id]}),
        )
        .ok()?;
        let i = &out["Reservations"][0]["Instances"][0];
        Some((
            i["State"]["Name"].as_str()?.to_string(),
            i["Placement"]["AvailabilityZone"].as_str()?.to_string(),
            i["SubnetId"].as_str().unwrap_or_default().to_string(),
        ))
    }
}

/// Elastic Load Balancing as Auto Scaling's [`Balancer`].
struct ElbTargets(Arc<Elbv2Service>);

impl Balancer for ElbTargets {
    fn target_group_exists(&self, ctx: &RequestContext, arn: &str) -> Result<bool, AwsError> {
        Ok(call(
            self.0.as_ref(),
            ctx,
            "DescribeTargetGroups",
            json!({"TargetGroupArns": [arn]}),
        )
        .is_ok())
    }

    fn register(&self, ctx: &RequestContext, arn: &str, ids: &[String]) -> Result<(), AwsError> {
        self.0.register_instances(ctx, arn, ids)
    }

    fn deregister(&self, ctx: &RequestContext, arn: &str, ids: &[String]) -> Result<(), AwsError> {
        self.0.deregister_instances(ctx, arn, ids)
    }

    fn health(&self, ctx: &RequestContext, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
        Ok(self
            .0
            .target_states(ctx, arn)?
            .into_iter()
            .map(|(id, _, state)| (id, state))
            .collect())
    }
}

/// CloudWatch as Auto Scaling's [`Alarms`].
struct CloudWatchAlarms(Arc<CloudWatchService>);

impl Alarms for CloudWatchAlarms {
    fn put_alarm(&self, ctx: &RequestContext, input: Value) -> Result<(), AwsError> {
        call(self.0.as_ref(), ctx, "PutMetricAlarm", input).map(|_| ())
    }

    fn delete_alarms(&self, ctx: &RequestContext, names: &[String]) -> Result<(), AwsError> {
        call(
            self.0.as_ref(),
            ctx,
            "DeleteAlarms",
            json!({"AlarmNames": names}),
        )
        .map(|_| ())
    }

    fn alarming(
        &self,
        ctx: &RequestContext,
        policy_arn: &str,
    ) -> Result<Vec<(String, Breach)>, AwsError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({"StateValue": "ALARM", "AlarmTypes": ["MetricAlarm"]});
            if let Some(t) = &token {
                input["NextToken"] = json!(t);
            }
            let page = call(self.0.as_ref(), ctx, "DescribeAlarms", input)?;
            for a in page["MetricAlarms"].as_array().into_iter().flatten() {
                let acts = a["AlarmActions"].as_array();
                if !acts.is_some_and(|l| l.iter().any(|x| x.as_str() == Some(policy_arn))) {
                    continue;
                }
                let value = a["StateReason"].as_str().and_then(reason_value);
                out.push((
                    a["AlarmName"].as_str().unwrap_or_default().to_string(),
                    value.zip(a["Threshold"].as_f64()),
                ));
            }
            match page["NextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }
}

/// SNS as Auto Scaling's [`Notifier`]: published as
/// `autoscaling.amazonaws.com` for the group, which AWS does with the
/// account's service-linked role (so the topic's default policy allows it).
struct SnsNotifier {
    sns: Arc<gureum_sns::SnsService>,
    clock: Clock,
}

impl Notifier for SnsNotifier {
    fn notify(
        &self,
        ctx: &RequestContext,
        group_arn: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), AwsError> {
        let sender = gureum_sqs::ServiceSender {
            service: "autoscaling.amazonaws.com",
            source_arn: group_arn,
            source_account: &ctx.account_id,
        };
        self.sns
            .publish_from_service(
                &self.clock,
                &sender,
                topic_arn,
                message,
                Some(subject),
                &Value::Null,
            )
            .map(|_| ())
    }
}

/// Alarm actions on scaling policies: the policy runs with the alarm's
/// breaching value (the newest datapoint its reason names) and threshold.
pub struct PolicyActions {
    /// The service whose policies run.
    pub autoscaling: Arc<AutoscalingService>,
    /// Gureum's clock.
    pub clock: Clock,
}

/// The first datapoint a state reason lists (`… [80.0 (07/12/26 …)] …`).
fn reason_value(reason: &str) -> Option<f64> {
    let after = reason.split_once('[')?.1;
    let end = after.find([' ', ',', ']'])?;
    after[..end].parse().ok()
}

impl AlarmActions for PolicyActions {
    fn fire(&self, scope: Scope<'_>, action_arn: &str, notice: &AlarmNotice) -> Result<(), String> {
        if notice.new_state != "ALARM" {
            return Ok(());
        }
        let region = scope.region().unwrap_or_default();
        let ctx = RequestContext::root(scope.account(), region, self.clock.clone());
        let threshold = notice.message["Trigger"]["Threshold"].as_f64();
        let breach = reason_value(&notice.reason).zip(threshold);
        self.autoscaling
            .alarm_fired(&ctx, action_arn, &notice.alarm_name, breach)
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::reason_value;

    #[test]
    fn the_breaching_value_is_the_first_datapoint_of_the_reason() {
        let r = "Threshold Crossed: 1 datapoint [85.0 (07/12/26 21:00:00)] was greater than the threshold (70.0).";
        assert_eq!(reason_value(r), Some(85.0));
        assert_eq!(reason_value("no data"), None);
    }
}
