//! `AWS_IAM` routes: the caller signs the request with SigV4 for
//! `execute-api`, and its identity policies must allow `execute-api:Invoke`
//! on `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`. HTTP
//! APIs have no resource policies, so only callers of the API's own
//! account are admitted.

use crate::authenticate::{authenticate, Unread};
use crate::pipeline::AppState;
use bytes::Bytes;
use gureum_apigatewayv2::events::{HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::HostedApi;
use gureum_core::{AuthzTarget, Principal, RequestContext, Value, DEFAULT_REGION};
use gureum_model::Protocol;
use http::request::Parts;
use serde_json::json;

/// `403 {"message":"Forbidden"}`.
fn forbidden() -> HttpResponse {
    HttpResponse::message(403, "Forbidden")
}

/// The resource ARN the caller must be allowed to invoke.
pub fn invoke_arn(api: &HostedApi, served: &Served, request: &HttpRequest, path: &str) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
        api.region,
        api.account,
        api.record.id(),
        served.stage,
        request.method,
        path
    )
}

/// Checks the signature and the caller's policies; answers
/// `requestContext.authorizer` (`{"iam": {...}}`).
pub fn check(
    state: &AppState,
    parts: &Parts,
    api: &HostedApi,
    request: &HttpRequest,
    resource: &str,
) -> Result<Option<Value>, HttpResponse> {
    let query = parts.uri.query().unwrap_or("");
    let Some(scope) = gureum_auth::sigv4::credential_scope(&parts.headers, query) else {
        return Err(forbidden());
    };
    let now = state.clock.now_millis();
    let (principal, access_key_id, session, _) = authenticate(
        state,
        parts,
        parts.uri.path(),
        Unread::Bytes(Bytes::from(request.body.clone())),
        Protocol::RestJson,
        "execute-api",
        now,
    )
    .map_err(|e| HttpResponse::message(403, &e.message))?;
    if matches!(principal, Principal::Anonymous)
        || principal.account_id() != Some(api.account.as_str())
    {
        return Err(forbidden());
    }
    let ctx = RequestContext {
        account_id: api.account.clone(),
        region: if scope.region.is_empty() {
            DEFAULT_REGION.to_string()
        } else {
            scope.region.clone()
        },
        principal,
        access_key_id: access_key_id.clone(),
        session,
        request_id: gureum_core::id::request_id(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: request.source_ip.parse().ok(),
        host: None,
    };
    if gureum_authz::Authorizer::applies_to(&ctx) {
        let target = AuthzTarget::new("execute-api:Invoke", resource);
        if state
            .registry
            .authorizer
            .authorize(&ctx, &[target])
            .is_err()
        {
            return Err(forbidden());
        }
    }
    Ok(Some(json!({
        "iam": {
            "accessKey": access_key_id,
            "accountId": ctx.account_id,
            "callerId": ctx.principal.user_id(),
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": ctx.principal.arn(),
            "userId": ctx.principal.user_id(),
        }
    })))
}
