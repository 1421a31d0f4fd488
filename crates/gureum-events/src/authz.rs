//! What each operation needs from IAM: `events:<Operation>` on the rule or
//! bus it names (the service authorization reference's resource types),
//! and on `*` for the lists and `TestEventPattern`.

use crate::common::{bus_arn, bus_name, opt_str, rule_arn};
use gureum_core::service::{Authorization, AuthzTarget};
use gureum_core::{RequestContext, Value};

/// The bus a member names, as an ARN (an ARN given stays as given).
fn bus_resource(ctx: &RequestContext, input: &Value, member: &str) -> String {
    match opt_str(input, member) {
        Some(arn) if arn.starts_with("arn:") => arn.to_string(),
        _ => bus_arn(ctx, &bus_name(input, member)),
    }
}

/// The permissions `operation` with `input` needs.
pub(crate) fn authorization(ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
    let action = format!("events:{operation}");
    let rule = |member: &str| {
        let name = opt_str(input, member).unwrap_or_default();
        let bus = bus_name(input, "EventBusName");
        rule_arn(&ctx.region, &ctx.account_id, &bus, name)
    };
    let resources: Vec<String> = match operation {
        "PutRule" | "DescribeRule" | "DeleteRule" | "EnableRule" | "DisableRule" => {
            vec![rule("Name")]
        }
        "PutTargets" | "RemoveTargets" | "ListTargetsByRule" => vec![rule("Rule")],
        "CreateEventBus" | "DescribeEventBus" | "DeleteEventBus" | "UpdateEventBus" => {
            vec![bus_resource(ctx, input, "Name")]
        }
        "PutPermission" | "RemovePermission" => vec![bus_resource(ctx, input, "EventBusName")],
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            vec![opt_str(input, "ResourceARN").unwrap_or("*").to_string()]
        }
        "PutEvents" => {
            let mut buses: Vec<String> = input
                .get("Entries")
                .and_then(Value::as_array)
                .map(|entries| {
                    entries
                        .iter()
                        .map(|e| bus_resource(ctx, e, "EventBusName"))
                        .collect()
                })
                .unwrap_or_default();
            buses.sort();
            buses.dedup();
            buses
        }
        _ => return Authorization::Default,
    };
    if resources.is_empty() {
        return Authorization::Default;
    }
    Authorization::Targets(
        resources
            .into_iter()
            .map(|r| AuthzTarget::new(action.clone(), r))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::authorization;
    use gureum_core::service::{Authorization, AuthzTarget};
    use gureum_core::{Clock, RequestContext};
    use serde_json::json;

    fn ctx() -> RequestContext {
        RequestContext::root("123456789012", "us-east-1", Clock::system())
    }

    #[test]
    fn rule_operations_name_the_rule_arn() {
        let a = authorization(
            &ctx(),
            "PutRule",
            &json!({"Name": "r", "EventBusName": "b"}),
        );
        assert_eq!(
            a,
            Authorization::Targets(vec![AuthzTarget::new(
                "events:PutRule",
                "arn:aws:events:us-east-1:123456789012:rule/b/r"
            )])
        );
    }

    #[test]
    fn put_events_names_each_bus_once() {
        let a = authorization(
            &ctx(),
            "PutEvents",
            &json!({"Entries": [{}, {"EventBusName": "default"}, {"EventBusName": "x"}]}),
        );
        let Authorization::Targets(t) = a else {
            panic!("targets")
        };
        let resources: Vec<&str> = t.iter().map(|t| t.resource.as_str()).collect();
        assert_eq!(
            resources,
            [
                "arn:aws:events:us-east-1:123456789012:event-bus/default",
                "arn:aws:events:us-east-1:123456789012:event-bus/x"
            ]
        );
    }

    #[test]
    fn lists_are_on_any_resource() {
        assert_eq!(
            authorization(&ctx(), "ListRules", &json!({})),
            Authorization::Default
        );
    }
}
