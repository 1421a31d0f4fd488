//! Log events other AWS services send to a group on a customer's behalf
//! (an EventBridge rule's log-group target): AWS writes them only when a
//! resource policy lets the service principal `logs:CreateLogStream` and
//! `logs:PutLogEvents` on the group, and only to a group that exists.

use crate::events::ServiceEvent;
use crate::resource_policies::ResourcePolicy;
use crate::LogsService;
use gureum_core::{AwsError, Clock, CommonError, Scope};
use std::ops::ControlFlow;

/// Who sends: an AWS service acting for one of its resources.
pub type LogSender<'a> = gureum_policy::ServiceCaller<'a>;

impl LogsService {
    /// Writes `events` to `stream` of the existing group `group` in
    /// `scope` for `sender`, when the region's resource policies allow
    /// it (the stream is made on first use, as the service would call
    /// `CreateLogStream`).
    pub fn deliver_from_service(
        &self,
        clock: &Clock,
        scope: Scope<'_>,
        sender: &LogSender<'_>,
        group: &str,
        stream: &str,
        events: &[ServiceEvent],
    ) -> Result<(), AwsError> {
        if self.log_groups.get(&scope.key(group))?.is_none() {
            return Err(crate::errors::LogsError::LogGroupNotFound.into());
        }
        let group_arn = format!(
            "arn:aws:logs:{}:{}:log-group:{group}:log-stream:{stream}",
            scope.region().unwrap_or_default(),
            scope.account()
        );
        let mut allowed = false;
        self.resource_policies
            .visit_prefix(&scope.prefix(), None, |_, p: ResourcePolicy| {
                if allows(&p.document, sender, &group_arn) {
                    allowed = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })?;
        if !allowed {
            return Err(CommonError::AccessDeniedException {
                message: format!(
                    "{} is not authorized to perform logs:PutLogEvents on {group_arn}",
                    sender.service
                ),
            }
            .into());
        }
        self.put_events_from_service(clock, scope, group, stream, events)
    }
}

/// Whether `document` lets `sender` create the stream and put events.
fn allows(document: &str, sender: &LogSender<'_>, stream_arn: &str) -> bool {
    ["logs:CreateLogStream", "logs:PutLogEvents"]
        .iter()
        .all(|action| sender.allowed_by_text(document, action, stream_arn, &[]))
}

#[cfg(test)]
mod tests {
    use super::{allows, LogSender};

    const STREAM: &str =
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/x:log-stream:e1";

    fn events() -> LogSender<'static> {
        LogSender {
            service: "events.amazonaws.com",
            source_arn: "arn:aws:events:us-east-1:123456789012:rule/r",
            source_account: "123456789012",
        }
    }

    #[test]
    fn a_policy_for_the_service_on_the_group_allows_it() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["events.amazonaws.com","delivery.logs.amazonaws.com"]},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/*:*"}]}"#;
        assert!(allows(doc, &events(), STREAM));
    }

    #[test]
    fn put_alone_is_not_enough() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}]}"#;
        assert!(!allows(doc, &events(), STREAM));
    }

    #[test]
    fn another_group_is_not_covered() {
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"logs:*","Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/other:*"}]}"#;
        assert!(!allows(doc, &events(), STREAM));
    }
}
