//! Which IAM permission each operation needs: `ssm:<Operation>` on the
//! parameters it names (AWS's service authorization reference lists the
//! `parameter` resource type for them), `*` for `DescribeParameters`.
//! AWS's public parameters have ARNs without an account.

use crate::names::{arn, arn_in, split_selector};
use crate::public::PREFIX;
use crate::SsmService;
use gureum_core::member::str_member;
use gureum_core::service::{Authorization, AuthzTarget};
use gureum_core::{RequestContext, Value};

/// The ARN IAM sees for a parameter name (selector dropped).
fn parameter_arn(ctx: &RequestContext, full: &str) -> String {
    let (name, _) = split_selector(full);
    if name.starts_with(PREFIX) {
        arn_in(&ctx.region, "", name)
    } else {
        arn(ctx, name)
    }
}

impl SsmService {
    /// The permissions `operation` needs.
    pub(crate) fn authorization(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Authorization {
        let action = format!("ssm:{operation}");
        let on = |names: Vec<&str>| {
            Authorization::Targets(
                names
                    .into_iter()
                    .map(|n| AuthzTarget::new(action.clone(), parameter_arn(ctx, n)))
                    .collect(),
            )
        };
        let list = |member: &str| -> Vec<&str> {
            input
                .get(member)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        match operation {
            "GetParameters" | "DeleteParameters" => on(list("Names")),
            "GetParametersByPath" => on(vec![str_member(input, "Path").unwrap_or_default()]),
            "AddTagsToResource" | "RemoveTagsFromResource" | "ListTagsForResource"
                if str_member(input, "ResourceType") == Some("Parameter") =>
            {
                on(vec![str_member(input, "ResourceId").unwrap_or_default()])
            }
            _ => match str_member(input, "Name") {
                Some(name) => on(vec![name]),
                None => Authorization::Default,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SsmService;
    use gureum_core::service::{Authorization, AuthzTarget};
    use gureum_core::{Clock, RequestContext};
    use gureum_store::Store;
    use serde_json::json;

    #[test]
    fn parameter_operations_are_authorized_on_the_parameter_arn() {
        let s = SsmService::new(Store::in_memory().expect("store"));
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        assert_eq!(
            s.authorization(&ctx, "GetParameter", &json!({"Name": "/app/db:3"})),
            Authorization::Targets(vec![AuthzTarget::new(
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:000000000000:parameter/app/db"
            )])
        );
        let public = json!({"Name": "/aws/service/global-infrastructure/regions/us-east-1"});
        assert_eq!(
            s.authorization(&ctx, "GetParameter", &public),
            Authorization::Targets(vec![AuthzTarget::new(
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/us-east-1"
            )])
        );
        assert_eq!(
            s.authorization(&ctx, "DescribeParameters", &json!({})),
            Authorization::Default
        );
    }
}
