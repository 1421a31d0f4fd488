//! AWS services acting for a customer's resource (EventBridge for a rule,
//! SNS for a topic, S3 for a bucket): the target's resource policy alone
//! decides, naming the service principal and usually conditioning on
//! `aws:SourceArn` / `aws:SourceAccount`. One check for every service
//! that delivers to another (SQS queues, SNS topics, Logs groups, Lambda
//! functions).

use crate::evaluate::{evaluate, PolicySet};
use crate::policy::Policy;
use crate::request::{Request, RequestPrincipal};

/// An AWS service calling on behalf of one of its resources.
#[derive(Clone, Copy, Debug)]
pub struct ServiceCaller<'a> {
    /// The service principal (`events.amazonaws.com`).
    pub service: &'a str,
    /// The resource it acts for (a rule, topic, bucket ARN):
    /// `aws:SourceArn`.
    pub source_arn: &'a str,
    /// That resource's account: `aws:SourceAccount`.
    pub source_account: &'a str,
}

impl ServiceCaller<'_> {
    /// Whether the resource policy `policy` lets this caller perform
    /// `action` on `resource`, with `extra` condition keys besides the
    /// source ARN and account. A service principal has no account and no
    /// identity policies: the resource policy alone decides.
    pub fn allowed_by(
        &self,
        policy: &Policy,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
    ) -> bool {
        let mut request = Request::new(RequestPrincipal::service(self.service), action, resource);
        request.context.set("aws:SourceArn", self.source_arn);
        request
            .context
            .set("aws:SourceAccount", self.source_account);
        for (k, v) in extra {
            request.context.set(*k, *v);
        }
        let set = PolicySet {
            resource: Some(policy),
            ..PolicySet::default()
        };
        evaluate(&request, &set).is_allowed()
    }

    /// [`ServiceCaller::allowed_by`] for a policy document as text (one
    /// that does not parse allows nothing).
    pub fn allowed_by_text(
        &self,
        document: &str,
        action: &str,
        resource: &str,
        extra: &[(&str, &str)],
    ) -> bool {
        crate::shared::parse_shared(document)
            .is_ok_and(|p| self.allowed_by(&p, action, resource, extra))
    }
}
