//! Auto Scaling (query, regional): groups that keep a fleet of real EC2
//! instances at their desired capacity, launch configurations, scaling
//! policies fired by CloudWatch alarms, and the activities they record.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `autoscaling.groups`: `account/region/name` → a [`records::Group`]
//!   with its instances inline;
//! - `autoscaling.configurations`: `account/region/name` → a
//!   [`records::LaunchConfiguration`];
//! - `autoscaling.policies`: `account/region/group/name` → a
//!   [`records::Policy`];
//! - `autoscaling.scheduled`: `account/region/group/name` → a
//!   [`records::ScheduledAction`];
//! - `autoscaling.hooks`: `account/region/group/name` → a
//!   [`records::LifecycleHook`];
//! - `autoscaling.activities`: `account/region/group/INVERTED-TIME-id` →
//!   an [`records::Activity`] (newest first in a scan).
//!
//! The API only records intent (desired capacity, protection, …); the
//! reconciler ([`AutoscalingService::reconcile`], on Gureum's clock)
//! launches and terminates instances through [`seams::Fleet`] and
//! registers them through [`seams::Balancer`].
//!
//! Layout: `groups.rs`, `instances.rs` (a group's instances),
//! `configurations.rs`, `policies.rs` (with what an alarm runs),
//! `schedules.rs`, `hooks.rs`, `notifications.rs` (SNS), `tags.rs` (and
//! the fixed catalogues), `activities.rs` (and their EventBridge events),
//! `reconcile.rs`; [`errors`] declares the errors, [`seams`] what other
//! services provide.

mod activities;
mod configurations;
pub mod errors;
mod groups;
mod hooks;
mod instances;
mod notifications;
mod policies;
mod reconcile;
pub mod records;
mod schedules;
pub mod seams;
mod tags;
mod util;

pub use errors::AutoscalingError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use records::{Activity, Group, LaunchConfiguration, LifecycleHook, Policy, ScheduledAction};
use std::sync::Arc;

/// The Auto Scaling service.
pub struct AutoscalingService {
    store: Store,
    groups: Table<Group>,
    configurations: Table<LaunchConfiguration>,
    policies: Table<Policy>,
    activities: Table<Activity>,
    scheduled: Table<ScheduledAction>,
    hooks: Table<LifecycleHook>,
    fleet: Arc<dyn seams::Fleet>,
    balancer: Arc<dyn seams::Balancer>,
    alarms: Arc<dyn seams::Alarms>,
    events: Arc<dyn gureum_kit::service_events::ServiceEvents>,
    notifier: Arc<dyn seams::Notifier>,
}

/// The services Auto Scaling acts through.
pub struct Seams {
    /// EC2: subnets, launch templates, instances.
    pub fleet: Arc<dyn seams::Fleet>,
    /// Elastic Load Balancing: target groups.
    pub balancer: Arc<dyn seams::Balancer>,
    /// CloudWatch: target tracking alarms.
    pub alarms: Arc<dyn seams::Alarms>,
    /// EventBridge: launch, terminate and lifecycle action events.
    pub events: Arc<dyn gureum_kit::service_events::ServiceEvents>,
    /// SNS: group notifications.
    pub notifier: Arc<dyn seams::Notifier>,
}

impl AutoscalingService {
    /// The service over `store`, unwired (groups are recorded, nothing
    /// launches).
    pub fn new(store: Store) -> Self {
        let unwired = Arc::new(seams::Unwired);
        Self::with_seams(
            store,
            Seams {
                fleet: unwired.clone(),
                balancer: unwired.clone(),
                alarms: unwired.clone(),
                notifier: unwired,
                events: Arc::new(gureum_kit::service_events::NoServiceEvents),
            },
        )
    }

    /// The service launching through `fleet` and registering targets
    /// through `balancer`.
    pub fn with_seams(store: Store, seams: Seams) -> Self {
        AutoscalingService {
            groups: store.table("autoscaling.groups"),
            configurations: store.table("autoscaling.configurations"),
            policies: store.table("autoscaling.policies"),
            activities: store.table("autoscaling.activities"),
            scheduled: store.table("autoscaling.scheduled"),
            hooks: store.table("autoscaling.hooks"),
            store,
            fleet: seams.fleet,
            balancer: seams.balancer,
            alarms: seams.alarms,
            events: seams.events,
            notifier: seams.notifier,
        }
    }

    /// Brings every group toward its desired capacity (called each
    /// second of Gureum's clock).
    pub fn reconcile(&self, clock: &gureum_core::Clock) {
        schedules::run_due(self, clock);
        policies::repeat_alarms(self, clock);
        reconcile::all(self, clock);
    }

    /// Runs the scaling policy `policy_arn` for the alarm `alarm_name`
    /// that entered `ALARM`, with the breaching metric value and the
    /// alarm's threshold when known: what CloudWatch's alarm actions call.
    pub fn alarm_fired(
        &self,
        ctx: &RequestContext,
        policy_arn: &str,
        alarm_name: &str,
        breach: Option<(f64, f64)>,
    ) -> Result<(), gureum_core::AwsError> {
        policies::alarm_fired(self, ctx, policy_arn, alarm_name, breach)
    }

    fn create_auto_scaling_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::create(self, ctx, &input)
    }

    fn describe_auto_scaling_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::describe(self, ctx, &input)
    }

    fn update_auto_scaling_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::update(self, ctx, &input)
    }

    fn delete_auto_scaling_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::delete(self, ctx, &input)
    }

    fn set_desired_capacity(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::set_desired_capacity(self, ctx, &input)
    }

    fn suspend_processes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::suspend_processes(self, ctx, &input, true)
    }

    fn resume_processes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::suspend_processes(self, ctx, &input, false)
    }

    fn describe_auto_scaling_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::describe(self, ctx, &input)
    }

    fn terminate_instance_in_auto_scaling_group(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        instances::terminate(self, ctx, &input)
    }

    fn set_instance_protection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::set_protection(self, ctx, &input)
    }

    fn enter_standby(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::standby(self, ctx, &input, true)
    }

    fn exit_standby(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::standby(self, ctx, &input, false)
    }

    fn detach_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::detach(self, ctx, &input)
    }

    fn attach_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::attach(self, ctx, &input)
    }

    fn describe_scaling_activities(&self, ctx: &RequestContext, input: Value) -> OpResult {
        activities::describe(self, ctx, &input)
    }

    fn create_launch_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        configurations::create(self, ctx, &input)
    }

    fn describe_launch_configurations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        configurations::describe(self, ctx, &input)
    }

    fn delete_launch_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        configurations::delete(self, ctx, &input)
    }

    fn put_scaling_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::put(self, ctx, &input)
    }

    fn describe_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::describe(self, ctx, &input)
    }

    fn delete_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::delete(self, ctx, &input)
    }

    fn execute_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        policies::execute(self, ctx, &input)
    }

    fn put_scheduled_update_group_action(&self, ctx: &RequestContext, input: Value) -> OpResult {
        schedules::put(self, ctx, &input)
    }

    fn describe_scheduled_actions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        schedules::describe(self, ctx, &input)
    }

    fn delete_scheduled_action(&self, ctx: &RequestContext, input: Value) -> OpResult {
        schedules::delete(self, ctx, &input)
    }

    fn create_or_update_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::create_or_update(self, ctx, &input)
    }

    fn delete_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::delete(self, ctx, &input)
    }

    fn describe_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::describe(self, ctx, &input)
    }

    fn describe_adjustment_types(&self, _: &RequestContext, _: Value) -> OpResult {
        tags::adjustment_types()
    }

    fn describe_scaling_process_types(&self, _: &RequestContext, _: Value) -> OpResult {
        tags::process_types()
    }

    fn describe_termination_policy_types(&self, _: &RequestContext, _: Value) -> OpResult {
        tags::termination_policy_types()
    }

    fn describe_lifecycle_hook_types(&self, _: &RequestContext, _: Value) -> OpResult {
        tags::lifecycle_hook_types()
    }

    fn describe_account_limits(&self, ctx: &RequestContext, _: Value) -> OpResult {
        tags::account_limits(self, ctx)
    }

    fn put_notification_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        notifications::put(self, ctx, &input)
    }

    fn describe_notification_configurations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        notifications::describe(self, ctx, &input)
    }

    fn delete_notification_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        notifications::delete(self, ctx, &input)
    }

    fn describe_auto_scaling_notification_types(&self, _: &RequestContext, _: Value) -> OpResult {
        notifications::types()
    }

    fn put_lifecycle_hook(&self, ctx: &RequestContext, input: Value) -> OpResult {
        hooks::put(self, ctx, &input)
    }

    fn describe_lifecycle_hooks(&self, ctx: &RequestContext, input: Value) -> OpResult {
        hooks::describe(self, ctx, &input)
    }

    fn delete_lifecycle_hook(&self, ctx: &RequestContext, input: Value) -> OpResult {
        hooks::delete(self, ctx, &input)
    }

    fn complete_lifecycle_action(&self, ctx: &RequestContext, input: Value) -> OpResult {
        hooks::complete(self, ctx, &input)
    }

    fn record_lifecycle_action_heartbeat(&self, ctx: &RequestContext, input: Value) -> OpResult {
        hooks::heartbeat(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    AutoscalingService, "autoscaling",
    "CreateAutoScalingGroup" => create_auto_scaling_group,
    "DescribeAutoScalingGroups" => describe_auto_scaling_groups,
    "UpdateAutoScalingGroup" => update_auto_scaling_group,
    "DeleteAutoScalingGroup" => delete_auto_scaling_group,
    "SetDesiredCapacity" => set_desired_capacity,
    "SuspendProcesses" => suspend_processes,
    "ResumeProcesses" => resume_processes,
    "DescribeAutoScalingInstances" => describe_auto_scaling_instances,
    "TerminateInstanceInAutoScalingGroup" => terminate_instance_in_auto_scaling_group,
    "SetInstanceProtection" => set_instance_protection,
    "EnterStandby" => enter_standby,
    "ExitStandby" => exit_standby,
    "DetachInstances" => detach_instances,
    "AttachInstances" => attach_instances,
    "DescribeScalingActivities" => describe_scaling_activities,
    "CreateLaunchConfiguration" => create_launch_configuration,
    "DescribeLaunchConfigurations" => describe_launch_configurations,
    "DeleteLaunchConfiguration" => delete_launch_configuration,
    "PutScalingPolicy" => put_scaling_policy,
    "DescribePolicies" => describe_policies,
    "DeletePolicy" => delete_policy,
    "ExecutePolicy" => execute_policy,
    "PutScheduledUpdateGroupAction" => put_scheduled_update_group_action,
    "DescribeScheduledActions" => describe_scheduled_actions,
    "DeleteScheduledAction" => delete_scheduled_action,
    "CreateOrUpdateTags" => create_or_update_tags,
    "DeleteTags" => delete_tags,
    "DescribeTags" => describe_tags,
    "DescribeAdjustmentTypes" => describe_adjustment_types,
    "DescribeScalingProcessTypes" => describe_scaling_process_types,
    "DescribeTerminationPolicyTypes" => describe_termination_policy_types,
    "DescribeLifecycleHookTypes" => describe_lifecycle_hook_types,
    "DescribeAccountLimits" => describe_account_limits,
    "PutNotificationConfiguration" => put_notification_configuration,
    "DescribeNotificationConfigurations" => describe_notification_configurations,
    "DeleteNotificationConfiguration" => delete_notification_configuration,
    "DescribeAutoScalingNotificationTypes" => describe_auto_scaling_notification_types,
    "PutLifecycleHook" => put_lifecycle_hook,
    "DescribeLifecycleHooks" => describe_lifecycle_hooks,
    "DeleteLifecycleHook" => delete_lifecycle_hook,
    "CompleteLifecycleAction" => complete_lifecycle_action,
    "RecordLifecycleActionHeartbeat" => record_lifecycle_action_heartbeat,
}

#[cfg(test)]
mod tests;
