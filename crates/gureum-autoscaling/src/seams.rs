//! What Auto Scaling needs from other services, as traits the server
//! wires to EC2 (instances, subnets, launch templates) and Elastic Load
//! Balancing (target groups). Never HTTP.

use gureum_core::{AwsError, RequestContext};

/// An alarm's breaching metric value and threshold, when known.
pub type Breach = Option<(f64, f64)>;

/// What to launch: one instance in one subnet.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchSpec {
    /// The launch template, when the group has one: (id, version).
    pub template: Option<(String, String)>,
    /// The launch configuration's settings, when the group has one.
    pub configuration: Option<crate::records::LaunchConfiguration>,
    /// The subnet (empty in EC2-Classic-style zone groups).
    pub subnet: String,
    /// The zone, for groups without subnets.
    pub zone: String,
    /// Tags for the instance (propagated group tags and
    /// `aws:autoscaling:groupName`).
    pub tags: Vec<(String, String)>,
}

/// One launched instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Launched {
    /// `i-…`.
    pub id: String,
    /// Its type.
    pub instance_type: String,
}

/// A launch template, as found.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateInfo {
    /// `lt-…`.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// EC2, as Auto Scaling uses it.
pub trait Fleet: Send + Sync {
    /// A subnet's zone (`None` when it does not exist).
    fn subnet_zone(&self, ctx: &RequestContext, subnet: &str) -> Result<Option<String>, AwsError>;
    /// A launch template by id or name (`None` when it does not exist).
    fn template(
        &self,
        ctx: &RequestContext,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<TemplateInfo>, AwsError>;
    /// Launches one instance.
    fn launch(&self, ctx: &RequestContext, spec: &LaunchSpec) -> Result<Launched, AwsError>;
    /// Terminates instances.
    fn terminate(&self, ctx: &RequestContext, ids: &[String]) -> Result<(), AwsError>;
    /// An instance's state now (`pending`, `running`, `stopped`, …;
    /// `None` when EC2 does not know it).
    fn state(&self, ctx: &RequestContext, id: &str) -> Option<String>;
    /// The zone and subnet of a running instance (for `AttachInstances`).
    fn placement(&self, ctx: &RequestContext, id: &str) -> Option<(String, String, String)>;
}

/// Elastic Load Balancing, as Auto Scaling uses it.
pub trait Balancer: Send + Sync {
    /// Whether a target group exists.
    fn target_group_exists(&self, ctx: &RequestContext, arn: &str) -> Result<bool, AwsError>;
    /// Registers instances with a target group.
    fn register(&self, ctx: &RequestContext, arn: &str, ids: &[String]) -> Result<(), AwsError>;
    /// Deregisters instances from a target group.
    fn deregister(&self, ctx: &RequestContext, arn: &str, ids: &[String]) -> Result<(), AwsError>;
    /// Each registered instance's health state (`healthy`, `unhealthy`,
    /// `initial`, …).
    fn health(&self, ctx: &RequestContext, arn: &str) -> Result<Vec<(String, String)>, AwsError>;
}

/// The seams before the server wires them: nothing launches.
pub struct Unwired;

fn unwired() -> AwsError {
    AwsError::internal("Auto Scaling is not wired to EC2")
}

impl Fleet for Unwired {
    fn subnet_zone(&self, _: &RequestContext, _: &str) -> Result<Option<String>, AwsError> {
        Err(unwired())
    }
    fn template(
        &self,
        _: &RequestContext,
        _: Option<&str>,
        _: Option<&str>,
    ) -> Result<Option<TemplateInfo>, AwsError> {
        Err(unwired())
    }
    fn launch(&self, _: &RequestContext, _: &LaunchSpec) -> Result<Launched, AwsError> {
        Err(unwired())
    }
    fn terminate(&self, _: &RequestContext, _: &[String]) -> Result<(), AwsError> {
        Err(unwired())
    }
    fn state(&self, _: &RequestContext, _: &str) -> Option<String> {
        None
    }
    fn placement(&self, _: &RequestContext, _: &str) -> Option<(String, String, String)> {
        None
    }
}

impl Balancer for Unwired {
    fn target_group_exists(&self, _: &RequestContext, _: &str) -> Result<bool, AwsError> {
        Err(unwired())
    }
    fn register(&self, _: &RequestContext, _: &str, _: &[String]) -> Result<(), AwsError> {
        Err(unwired())
    }
    fn deregister(&self, _: &RequestContext, _: &str, _: &[String]) -> Result<(), AwsError> {
        Err(unwired())
    }
    fn health(&self, _: &RequestContext, _: &str) -> Result<Vec<(String, String)>, AwsError> {
        Err(unwired())
    }
}

/// CloudWatch, as target tracking policies use it: they own alarms.
pub trait Alarms: Send + Sync {
    /// `PutMetricAlarm` with `input` (its JSON members).
    fn put_alarm(&self, ctx: &RequestContext, input: serde_json::Value) -> Result<(), AwsError>;
    /// `DeleteAlarms`.
    fn delete_alarms(&self, ctx: &RequestContext, names: &[String]) -> Result<(), AwsError>;
    /// The alarms in `ALARM` whose actions include `policy_arn`: each
    /// name with its breaching value and threshold when known.
    fn alarming(
        &self,
        ctx: &RequestContext,
        policy_arn: &str,
    ) -> Result<Vec<(String, Breach)>, AwsError>;
}

impl Alarms for Unwired {
    fn put_alarm(&self, _: &RequestContext, _: serde_json::Value) -> Result<(), AwsError> {
        Err(unwired())
    }
    fn delete_alarms(&self, _: &RequestContext, _: &[String]) -> Result<(), AwsError> {
        Err(unwired())
    }
    fn alarming(&self, _: &RequestContext, _: &str) -> Result<Vec<(String, Breach)>, AwsError> {
        Ok(Vec::new())
    }
}

/// SNS, as group notifications use it.
pub trait Notifier: Send + Sync {
    /// Publishes `message` with `subject` to `topic_arn` for the group
    /// `group_arn`.
    fn notify(
        &self,
        ctx: &RequestContext,
        group_arn: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), AwsError>;
}

impl Notifier for Unwired {
    fn notify(
        &self,
        _: &RequestContext,
        _: &str,
        _: &str,
        _: &str,
        _: &str,
    ) -> Result<(), AwsError> {
        Err(unwired())
    }
}
