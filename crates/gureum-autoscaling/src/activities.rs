//! Scaling activities: recorded by the reconciler and the API with AWS's
//! description and cause texts, listed newest first.

use crate::errors::group_not_found;
use crate::records::{Activity, Group};
use crate::util::{self, string, strings, ts};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The key of an activity: newest first within its group.
fn key(scope: Scope<'_>, group: &str, start_ms: i64, id: &str) -> String {
    let inverted = i64::MAX - start_ms;
    scope.key(&format!("{group}/{inverted:020}-{id}"))
}

/// Records an activity for `group` and returns its id.
#[allow(clippy::too_many_arguments)] // an activity's own fields, no more
pub(crate) fn record(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    group: &Group,
    description: String,
    cause: String,
    now: i64,
    in_progress: bool,
    zone: &str,
    subnet: &str,
) -> Result<String, AwsError> {
    let id = gureum_core::id::uuid_v4();
    let details = if subnet.is_empty() {
        json!({"Availability Zone": zone})
    } else {
        json!({"Subnet ID": subnet, "Availability Zone": zone})
    };
    let a = Activity {
        id: id.clone(),
        group: group.name.clone(),
        group_arn: group.arn.clone(),
        description,
        cause,
        start_ms: now,
        end_ms: (!in_progress).then_some(now),
        status: if in_progress {
            "InProgress"
        } else {
            "Successful"
        }
        .into(),
        status_message: None,
        details: if zone.is_empty() {
            "{}".into()
        } else {
            details.to_string()
        },
    };
    svc.activities.put(&key(scope, &group.name, now, &id), &a)?;
    Ok(id)
}

/// Ends the activity `id` of `group` with `status` (and a message).
pub(crate) fn finish(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    group: &str,
    id: &str,
    status: &str,
    message: Option<String>,
    now: i64,
) -> Result<(), AwsError> {
    for (k, mut a) in svc
        .activities
        .scan_prefix(&scope.key(&format!("{group}/")))?
    {
        if a.id == id {
            a.status = status.into();
            a.status_message = message;
            a.end_ms = Some(now);
            svc.activities.put(&k, &a)?;
            publish(svc, scope, &a);
            crate::notifications::activity_ended(svc, scope, &a);
            break;
        }
    }
    Ok(())
}

/// `EC2 Instance Launch Successful` (… `Terminate`, `Unsuccessful`) on
/// the default event bus when a launch or termination ends, as AWS sends.
fn publish(svc: &AutoscalingService, scope: Scope<'_>, a: &Activity) {
    let (verb, instance) =
        if let Some(i) = a.description.strip_prefix("Launching a new EC2 instance: ") {
            ("Launch", i)
        } else if let Some(i) = a.description.strip_prefix("Terminating EC2 instance: ") {
            ("Terminate", i)
        } else {
            return;
        };
    let outcome = if a.status == "Successful" {
        "Successful"
    } else {
        "Unsuccessful"
    };
    let iso = gureum_core::timestamp::format_iso8601;
    let detail = json!({
        "StatusCode": a.status,
        "Description": a.description,
        "AutoScalingGroupName": a.group,
        "ActivityId": a.id,
        "Details": serde_json::from_str::<Value>(&a.details).unwrap_or_else(|_| json!({})),
        "RequestId": a.id,
        "StatusMessage": a.status_message.clone().unwrap_or_default(),
        "EndTime": iso(a.end_ms.unwrap_or(a.start_ms)),
        "EC2InstanceId": instance,
        "StartTime": iso(a.start_ms),
        "Cause": a.cause,
    });
    svc.events.publish(
        scope,
        gureum_kit::service_events::ServiceEvent {
            source: "aws.autoscaling".into(),
            detail_type: format!("EC2 Instance {verb} {outcome}"),
            resources: vec![
                a.group_arn.clone(),
                format!(
                    "arn:aws:ec2:{}:{}:instance/{instance}",
                    scope.region().unwrap_or_default(),
                    scope.account()
                ),
            ],
            detail,
            time_ms: a.end_ms.unwrap_or(a.start_ms),
        },
    );
}

/// Whether any activity of `group` is still in progress.
pub(crate) fn in_progress(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    group: &str,
) -> Result<bool, AwsError> {
    Ok(svc
        .activities
        .scan_prefix(&scope.key(&format!("{group}/")))?
        .iter()
        .any(|(_, a)| a.status == "InProgress"))
}

/// Forgets a deleted group's activities.
pub(crate) fn forget(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    group: &str,
) -> Result<(), AwsError> {
    for (k, _) in svc
        .activities
        .scan_prefix(&scope.key(&format!("{group}/")))?
    {
        svc.activities.delete(&k)?;
    }
    Ok(())
}

fn shape(a: &Activity) -> Value {
    let progress = if a.status == "InProgress" { 50 } else { 100 };
    let mut v = json!({
        "ActivityId": a.id,
        "AutoScalingGroupName": a.group,
        "AutoScalingGroupARN": a.group_arn,
        "Description": a.description,
        "Cause": a.cause,
        "StartTime": ts(a.start_ms),
        "StatusCode": a.status,
        "Progress": progress,
        "Details": a.details,
    });
    if let Some(end) = a.end_ms {
        v["EndTime"] = ts(end);
    }
    if let Some(m) = &a.status_message {
        v["StatusMessage"] = json!(m);
    }
    v
}

/// `DescribeScalingActivities`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    // Deleted groups' activities are forgotten with them.
    util::refuse_unimplemented(input, &["IncludeDeletedGroups"])?;
    let ids = strings(input, "ActivityIds");
    let prefix = match string(input, "AutoScalingGroupName") {
        Some(g) => {
            if svc.groups.get(&scope.key(g))?.is_none() {
                return Err(group_not_found(g));
            }
            scope.key(&format!("{g}/"))
        }
        None => scope.prefix(),
    };
    let mut all: Vec<Activity> = svc
        .activities
        .scan_prefix(&prefix)?
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| ids.is_empty() || ids.contains(&a.id))
        .collect();
    all.sort_by_key(|a| std::cmp::Reverse(a.start_ms));
    let items = all.iter().map(shape).collect();
    let (items, next) = util::page(input, items, 100)?;
    let mut out = json!({ "Activities": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}
