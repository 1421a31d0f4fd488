//! The stored records: groups (with their instances inline, so one write
//! changes a group and its fleet together), launch configurations,
//! policies and activities.

use serde::{Deserialize, Serialize};

/// A launch template as a group names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateSpec {
    /// `lt-…`.
    pub id: String,
    /// The template's name.
    pub name: String,
    /// `$Latest`, `$Default` or a version number, as given.
    pub version: String,
}

/// A group tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Whether instances launched get it.
    pub propagate: bool,
}

/// An instance of a group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// `i-…`.
    pub id: String,
    /// Its Availability Zone.
    pub zone: String,
    /// Its subnet.
    pub subnet: String,
    /// `Pending`, `InService`, `Standby`, `Terminating`, …
    pub lifecycle: String,
    /// `Healthy` or `Unhealthy`.
    pub health: String,
    /// Why it is unhealthy (the termination's cause).
    pub unhealthy_cause: Option<String>,
    /// Protected from scale in.
    pub protected: bool,
    /// When it was launched (the grace period counts from here).
    pub launched_ms: i64,
    /// Its instance type.
    pub instance_type: String,
    /// The activity that launched it, finished when it runs.
    pub activity: Option<String>,
    /// Registered with the group's target groups.
    pub registered: bool,
    /// The lifecycle hooks it waits on (`Pending:Wait`,
    /// `Terminating:Wait`).
    #[serde(default)]
    pub wait: Option<HookWait>,
}

/// An instance held by lifecycle hooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HookWait {
    /// The hooks not yet completed.
    pub hooks: Vec<String>,
    /// `LifecycleActionToken`.
    pub token: String,
    /// When the wait times out (heartbeats move it).
    pub deadline_ms: i64,
    /// The heartbeat timeout, seconds.
    pub heartbeat_s: i64,
    /// `DefaultResult` on timeout.
    pub default_result: String,
    /// The result once every hook completed (or one abandoned).
    pub result: Option<String>,
}

/// A stored group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Its name, unique in the region.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The launch template, when it launches from one.
    pub template: Option<TemplateSpec>,
    /// The launch configuration, when it launches from one.
    pub configuration: Option<String>,
    /// `MinSize`.
    pub min: i64,
    /// `MaxSize`.
    pub max: i64,
    /// `DesiredCapacity`.
    pub desired: i64,
    /// `DefaultCooldown`, seconds.
    pub cooldown: i64,
    /// Its zones, in the order given (from its subnets when in a VPC).
    pub zones: Vec<String>,
    /// Its subnets with their zones (`VPCZoneIdentifier`).
    pub subnets: Vec<(String, String)>,
    /// `TargetGroupARNs`.
    pub target_groups: Vec<String>,
    /// `EC2` or `ELB`.
    pub health_check_type: String,
    /// `HealthCheckGracePeriod`, seconds.
    pub grace: i64,
    /// `TerminationPolicies`.
    pub termination_policies: Vec<String>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Suspended processes.
    pub suspended: Vec<String>,
    /// `NewInstancesProtectedFromScaleIn`.
    pub new_protected: bool,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// Being deleted (`Delete in progress`): the reconciler terminates
    /// its instances, then removes it.
    pub deleting: bool,
    /// Its instances.
    pub members: Vec<Member>,
    /// When a simple scaling policy last changed it (cooldowns count
    /// from here).
    pub last_scaled_ms: i64,
    /// The cause the next launches or terminations are recorded with.
    pub pending_cause: Option<String>,
    /// No launch is tried before this time after a failed one.
    #[serde(default)]
    pub launch_backoff_until_ms: i64,
    /// Notification configurations: SNS topic → notification types.
    #[serde(default)]
    pub notifications: Vec<(String, Vec<String>)>,
}

/// A launch configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchConfiguration {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// `ImageId`.
    pub image_id: String,
    /// `InstanceType`.
    pub instance_type: String,
    /// `KeyName`.
    pub key_name: Option<String>,
    /// `SecurityGroups`.
    pub security_groups: Vec<String>,
    /// `UserData`, base64 as given.
    pub user_data: Option<String>,
    /// `IamInstanceProfile`.
    pub instance_profile: Option<String>,
    /// When it was made.
    pub created_ms: i64,
}

/// A scaling policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// Its ARN.
    pub arn: String,
    /// `SimpleScaling`, `StepScaling` or `TargetTrackingScaling`.
    pub kind: String,
    /// `ChangeInCapacity`, `ExactCapacity`, `PercentChangeInCapacity`.
    pub adjustment_type: Option<String>,
    /// `ScalingAdjustment` (simple scaling).
    pub adjustment: Option<i64>,
    /// `MinAdjustmentMagnitude`.
    pub min_magnitude: Option<i64>,
    /// `Cooldown`, seconds (simple scaling).
    pub cooldown: Option<i64>,
    /// Step adjustments: (lower, upper, adjustment).
    pub steps: Vec<(Option<f64>, Option<f64>, i64)>,
    /// `MetricAggregationType`.
    pub aggregation: Option<String>,
    /// `EstimatedInstanceWarmup`.
    pub warmup: Option<i64>,
    /// `TargetTrackingConfiguration` as given.
    pub target_tracking: Option<serde_json::Value>,
    /// The alarms that invoke it (name, ARN).
    pub alarms: Vec<(String, String)>,
    /// `Enabled`.
    pub enabled: bool,
    /// When an alarm last ran it (alarms still in `ALARM` run it again a
    /// minute later, as CloudWatch does).
    #[serde(default)]
    pub last_alarm_ms: i64,
}

/// A scaling activity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Its id (a UUID).
    pub id: String,
    /// Its group.
    pub group: String,
    /// The group's ARN.
    pub group_arn: String,
    /// `Description`.
    pub description: String,
    /// `Cause`.
    pub cause: String,
    /// When it started.
    pub start_ms: i64,
    /// When it ended.
    pub end_ms: Option<i64>,
    /// `InProgress`, `Successful`, `Failed`, …
    pub status: String,
    /// `StatusMessage`, when it failed.
    pub status_message: Option<String>,
    /// `Details` (JSON text: subnet and zone).
    pub details: String,
}

/// A scheduled action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    /// Its name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// Its ARN.
    pub arn: String,
    /// `StartTime` (or `Time`).
    pub start_ms: Option<i64>,
    /// `EndTime`.
    pub end_ms: Option<i64>,
    /// `Recurrence` (Unix cron, UTC).
    pub recurrence: Option<String>,
    /// `MinSize`.
    pub min: Option<i64>,
    /// `MaxSize`.
    pub max: Option<i64>,
    /// `DesiredCapacity`.
    pub desired: Option<i64>,
    /// When it runs next (`None`: never again).
    pub next_ms: Option<i64>,
}

/// A lifecycle hook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifecycleHook {
    /// Its name.
    pub name: String,
    /// Its group.
    pub group: String,
    /// `autoscaling:EC2_INSTANCE_LAUNCHING` or `…_TERMINATING`.
    pub transition: String,
    /// `HeartbeatTimeout`, seconds.
    pub heartbeat_s: i64,
    /// `DefaultResult`: `CONTINUE` or `ABANDON`.
    pub default_result: String,
    /// `NotificationTargetARN` (recorded; no notification is sent).
    pub notification_target: Option<String>,
    /// `RoleARN`.
    pub role_arn: Option<String>,
    /// `NotificationMetadata`.
    pub metadata: Option<String>,
}
