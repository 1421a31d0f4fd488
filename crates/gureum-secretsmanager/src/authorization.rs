//! Which IAM permission each operation needs: `secretsmanager:<Operation>`
//! on the secret's ARN (with its random suffix when the secret exists, so
//! policies on `…:secret:NAME-*` match), `*` for the account-wide ones
//! (`ListSecrets`, `GetRandomPassword`; `BatchGetSecretValue` also needs
//! `GetSecretValue` on what it returns). A secret
//! being created has no suffix yet: it is authorized on
//! `…:secret:NAME-*`, which policies naming `NAME-*` (or `*`) allow.

use crate::ids::find;
use crate::SecretsManagerService;
use gureum_core::member::str_member;
use gureum_core::service::{Authorization, AuthzTarget};
use gureum_core::{RequestContext, Value};

impl SecretsManagerService {
    /// The permissions `operation` needs.
    pub(crate) fn authorization(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Authorization {
        let action = format!("secretsmanager:{operation}");
        let base = format!(
            "arn:aws:secretsmanager:{}:{}:secret:",
            ctx.region, ctx.account_id
        );
        if operation == "BatchGetSecretValue" {
            return self.batch_authorization(ctx, input, &base);
        }
        let resource = if operation == "CreateSecret" {
            format!("{base}{}-*", str_member(input, "Name").unwrap_or_default())
        } else {
            let Some(id) = str_member(input, "SecretId") else {
                return Authorization::Default;
            };
            match find(self, ctx, id) {
                Ok(s) => s.arn,
                // An unknown secret: the id as given (the handler then
                // answers ResourceNotFoundException to those allowed).
                Err(_) if id.starts_with("arn:") => id.to_string(),
                Err(_) => format!("{base}{id}"),
            }
        };
        Authorization::Targets(vec![AuthzTarget::new(action, resource)])
    }

    /// `BatchGetSecretValue` needs itself on `*` and, as on AWS,
    /// `GetSecretValue` on every secret it returns: on each listed id,
    /// or — for `Filters`, whose matches are only known later — on every
    /// secret of the region (stricter than AWS, which leaves the
    /// forbidden ones out; never looser).
    fn batch_authorization(
        &self,
        ctx: &RequestContext,
        input: &Value,
        base: &str,
    ) -> Authorization {
        let mut targets = vec![AuthzTarget::new("secretsmanager:BatchGetSecretValue", "*")];
        let get = "secretsmanager:GetSecretValue";
        match input.get("SecretIdList").and_then(Value::as_array) {
            Some(ids) => {
                for id in ids.iter().filter_map(Value::as_str) {
                    let arn = match find(self, ctx, id) {
                        Ok(s) => s.arn,
                        Err(_) if id.starts_with("arn:") => id.to_string(),
                        Err(_) => format!("{base}{id}"),
                    };
                    targets.push(AuthzTarget::new(get, arn));
                }
            }
            None => targets.push(AuthzTarget::new(get, format!("{base}*"))),
        }
        Authorization::Targets(targets)
    }
}

#[cfg(test)]
mod tests {
    use crate::SecretsManagerService;
    use gureum_core::service::{Authorization, AuthzTarget};
    use gureum_core::{Clock, RequestContext, Service};
    use gureum_store::Store;
    use serde_json::json;

    #[test]
    fn secret_operations_are_authorized_on_the_secret_arn() {
        let s = SecretsManagerService::new(Store::in_memory().expect("store"));
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
        let create = json!({"Name": "db"});
        assert_eq!(
            s.authorization(&ctx, "CreateSecret", &create),
            Authorization::Targets(vec![AuthzTarget::new(
                "secretsmanager:CreateSecret",
                "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-*"
            )])
        );
        use std::task::{Context, Poll, Waker};
        let mut cx = Context::from_waker(Waker::noop());
        let out = match s.call(&ctx, "CreateSecret", create).as_mut().poll(&mut cx) {
            Poll::Ready(v) => v.expect("create"),
            Poll::Pending => panic!("not ready"),
        };
        let arn = out["ARN"].as_str().unwrap_or_default().to_string();
        assert_eq!(
            s.authorization(&ctx, "GetSecretValue", &json!({"SecretId": "db"})),
            Authorization::Targets(vec![AuthzTarget::new(
                "secretsmanager:GetSecretValue",
                arn.clone()
            )])
        );
        assert_eq!(
            s.authorization(&ctx, "ListSecrets", &json!({})),
            Authorization::Default
        );
        let Authorization::Targets(batch) = s.authorization(
            &ctx,
            "BatchGetSecretValue",
            &json!({"SecretIdList": ["db"]}),
        ) else {
            panic!("targets");
        };
        assert_eq!(
            batch[1],
            AuthzTarget::new("secretsmanager:GetSecretValue", arn)
        );
    }
}
