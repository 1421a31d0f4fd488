//! Role sessions for AWS services acting as a role (Lambda for a
//! function's execution role, EC2 for an instance profile): the
//! [`RoleSessions`] seam other crates hold.

use crate::assume_role::parse_role_arn;
use crate::session::{new_session_token, Session, SessionPrincipal};
use crate::StsService;
use gureum_core::id;
use gureum_kit::role_sessions::{
    RoleRefusal, RoleSessions, ServiceAssumption, TemporaryCredentials,
};
use gureum_policy::ServiceCaller;

impl RoleSessions for StsService {
    /// The trust policy alone decides, for the service principal with
    /// `aws:SourceArn`/`aws:SourceAccount` set, as when AWS's services
    /// call `sts:AssumeRole` themselves. The session carries no session
    /// policies: the role's own policies bound it.
    fn assume_role_for_service(
        &self,
        a: &ServiceAssumption<'_>,
    ) -> Result<TemporaryCredentials, RoleRefusal> {
        let (account, name) = parse_role_arn(a.role_arn).ok_or(RoleRefusal::NoSuchRole)?;
        let role = self
            .iam
            .role(account, name)
            .ok_or(RoleRefusal::NoSuchRole)?;
        let caller = ServiceCaller {
            service: a.service,
            source_arn: a.source_arn,
            source_account: a.source_account,
        };
        if !caller.allowed_by(&role.trust_policy, "sts:AssumeRole", &role.arn, &[]) {
            return Err(RoleRefusal::NotTrusted);
        }
        let duration = a.duration_secs.clamp(900, role.max_session_duration_secs);
        let session = Session {
            access_key_id: id::access_key_id("ASIA"),
            secret_access_key: id::secret_access_key(),
            session_token: new_session_token(),
            expires_at_ms: a.now_ms + duration * 1000,
            issued_at_ms: a.now_ms,
            principal: SessionPrincipal::Role {
                account_id: account.to_string(),
                role_name: role.name.clone(),
                role_id: role.role_id.clone(),
                session_name: a.session_name.to_string(),
            },
            policies: Vec::new(),
            mfa_authenticated: false,
            tags: Vec::new(),
        };
        self.save(&session).map_err(RoleRefusal::Failed)?;
        Ok(TemporaryCredentials {
            access_key_id: session.access_key_id,
            secret_access_key: session.secret_access_key,
            session_token: session.session_token,
            expires_at_ms: session.expires_at_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_authz::Authorizer;
    use gureum_core::{Clock, RequestContext, Service};
    use gureum_iam::IamService;
    use gureum_store::Store;
    use serde_json::json;
    use std::future::Future;
    use std::sync::Arc;

    const ACCT: &str = "000000000000";

    fn sts_with_role(trusted_service: &str) -> StsService {
        let store = Store::in_memory().expect("store");
        let iam = Arc::new(IamService::new(store.clone()));
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": trusted_service},
            "Action": "sts:AssumeRole"}]});
        let ctx = RequestContext::root(ACCT, "us-east-1", Clock::system());
        {
            let created = iam.call(
                &ctx,
                "CreateRole",
                json!({"RoleName": "fn-role", "AssumeRolePolicyDocument": trust.to_string()}),
            );
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            let mut created = std::pin::pin!(created);
            assert!(matches!(
                created.as_mut().poll(&mut cx),
                std::task::Poll::Ready(Ok(_))
            ));
        }
        let authorizer = Arc::new(Authorizer::new(iam.clone()));
        StsService::new(store, iam, authorizer)
    }

    fn assumption(service: &str) -> ServiceAssumption<'_> {
        ServiceAssumption {
            role_arn: "arn:aws:iam::000000000000:role/fn-role",
            session_name: "my-function",
            service,
            source_arn: "arn:aws:lambda:us-east-1:000000000000:function:my-function",
            source_account: ACCT,
            duration_secs: 3600,
            now_ms: 1_000_000,
        }
    }

    #[test]
    fn a_trusted_service_gets_credentials_that_sign_as_the_role() {
        let sts = sts_with_role("lambda.amazonaws.com");
        let creds = sts
            .assume_role_for_service(&assumption("lambda.amazonaws.com"))
            .expect("trusted");
        assert!(creds.access_key_id.starts_with("ASIA"));
        assert_eq!(creds.expires_at_ms, 1_000_000 + 3_600_000);
        let known = sts
            .credentials()
            .lookup(&creds.access_key_id)
            .expect("known");
        assert_eq!(
            known.principal.arn(),
            "arn:aws:sts::000000000000:assumed-role/fn-role/my-function"
        );
    }

    #[test]
    fn a_service_the_trust_policy_does_not_name_is_refused() {
        let sts = sts_with_role("ec2.amazonaws.com");
        assert_eq!(
            sts.assume_role_for_service(&assumption("lambda.amazonaws.com")),
            Err(RoleRefusal::NotTrusted)
        );
    }

    #[test]
    fn an_unknown_role_is_refused() {
        let sts = sts_with_role("lambda.amazonaws.com");
        let mut a = assumption("lambda.amazonaws.com");
        a.role_arn = "arn:aws:iam::000000000000:role/nope";
        assert_eq!(
            sts.assume_role_for_service(&a),
            Err(RoleRefusal::NoSuchRole)
        );
    }
}
