//! STS (query protocol): who is calling, and temporary credentials.
//!
//! Sessions (`ASIA…` keys with a session token) are stored in the ACID
//! store and served to SigV4 through [`StsService::credentials`]; they
//! expire on Gureum's clock. `AssumeRole` evaluates the role's trust policy
//! together with the caller's own policies ([`assume_role`]).

mod assume_role;
pub mod errors;
mod saml;
mod service_sessions;
mod session;
mod session_token;

pub use errors::StsError;
pub use session::Session;

use gureum_authz::Authorizer;
use gureum_core::{Authorization, OpResult, RequestContext, Value};
use gureum_iam::IamService;
use gureum_store::{Store, Table};
use serde_json::json;
use std::sync::Arc;

/// The STS service.
pub struct StsService {
    store: Store,
    sessions: Table<Session>,
    iam: Arc<IamService>,
    authorizer: Arc<Authorizer>,
}

impl StsService {
    /// STS over `store`, with IAM for roles and MFA devices.
    pub fn new(store: Store, iam: Arc<IamService>, authorizer: Arc<Authorizer>) -> Self {
        StsService {
            sessions: store.table("sts.sessions"),
            store,
            iam,
            authorizer,
        }
    }

    /// `GetCallerIdentity`: who signed this request. Needs no permission,
    /// as in AWS (even an explicit deny does not stop it).
    fn get_caller_identity(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        Ok(json!({
            "UserId": ctx.principal.user_id(),
            "Account": ctx.principal.account_id().unwrap_or(&ctx.account_id),
            "Arn": ctx.principal.arn(),
        }))
    }

    fn authorization(
        &self,
        _ctx: &RequestContext,
        operation: &str,
        _input: &Value,
    ) -> Authorization {
        match operation {
            // AWS requires no permission to ask who you are, or for a
            // session token of your own.
            "GetCallerIdentity" | "GetSessionToken" => Authorization::Public,
            // The trust policy and the caller's policies decide together.
            "AssumeRole" | "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML" => {
                Authorization::ByHandler
            }
            _ => Authorization::Default,
        }
    }
}

gureum_core::service_operations! {
    StsService, "sts", authorization = authorization,
    "AssumeRole" => assume_role,
    "AssumeRoleWithWebIdentity" => assume_role_with_web_identity,
    "AssumeRoleWithSAML" => assume_role_with_saml,
    "GetAccessKeyInfo" => get_access_key_info,
    "GetCallerIdentity" => get_caller_identity,
    "GetSessionToken" => get_session_token,
}
