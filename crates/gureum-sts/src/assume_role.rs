//! `AssumeRole` and `AssumeRoleWithWebIdentity`.
//!
//! The role's trust policy must allow the caller. An IAM user or role
//! session of the same account also needs its own policies to allow
//! `sts:AssumeRole` on the role, unless the trust policy names the caller's
//! ARN itself (AWS's rule for same-account trust); a caller from another
//! account always needs both.

use crate::errors::StsError;
use crate::session::{new_session_token, Session, SessionPrincipal};
use crate::StsService;
use gureum_core::{id, AuthzTarget, AwsError, OpResult, Principal, RequestContext, Value};
use gureum_policy::{Policy, PolicyKind, PolicySet, Request, RequestPrincipal};
use serde_json::json;

use gureum_core::member::str_member;

/// `arn:aws:iam::ACCOUNT:role/path/NAME` → (account, name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then_some((account, name))
}

pub(crate) fn check_session_name(name: &str) -> Result<(), AwsError> {
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !ok {
        return Err(StsError::Constraint {
            value: name.to_string(),
            member: "roleSessionName",
            constraint: "Member must satisfy regular expression pattern: [\\w+=,.@-]*".into(),
        }
        .into());
    }
    Ok(())
}

fn not_authorized(ctx: &RequestContext, action: &'static str, role_arn: &str) -> AwsError {
    StsError::NotAuthorized {
        principal: ctx.principal.arn(),
        action,
        resource: role_arn.to_string(),
    }
    .into()
}

fn allow_everything() -> Policy {
    Policy {
        version: gureum_policy::PolicyVersion::V2012,
        id: None,
        statements: vec![gureum_policy::Statement {
            sid: None,
            effect: gureum_policy::Effect::Allow,
            actions: gureum_policy::ActionBlock::Action(vec!["*".into()]),
            resources: Some(gureum_policy::ResourceBlock::Resource(vec!["*".into()])),
            principals: None,
            conditions: Vec::new(),
        }],
    }
}

/// Whether the trust policy alone lets a principal with no policies of its
/// own (a web-identity caller) in.
pub(crate) fn trust_allows(request: &Request, trust: &Policy) -> bool {
    let set = PolicySet {
        identity: Default::default(),
        resource: Some(trust),
        resource_account: None,
        boundary: None,
        session: None,
    };
    gureum_policy::evaluate(request, &set).is_allowed()
}

/// Session policies: the inline `Policy` and the managed `PolicyArns`
/// (customer managed in the role's account, or AWS managed).
pub(crate) fn session_policies(
    iam: &gureum_iam::IamService,
    role_account: &str,
    input: &Value,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    if let Some(doc) = str_member(input, "Policy") {
        gureum_policy::validate(doc, PolicyKind::Session).map_err(|e| {
            StsError::MalformedPolicyDocument {
                message: e.message(),
            }
        })?;
        out.push(doc.to_string());
    }
    let arns = input.get("PolicyArns").and_then(Value::as_array);
    for arn in arns
        .into_iter()
        .flatten()
        .filter_map(|p| str_member(p, "arn"))
    {
        let doc = iam
            .managed_policy_document(role_account, arn)
            .map_err(|_| StsError::NoSuchSessionPolicy {
                arn: arn.to_string(),
            })?;
        out.push(doc);
    }
    Ok(out)
}

fn tags(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        str_member(t, "Key")?.to_string(),
                        str_member(t, "Value")?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Packed policy size as AWS reports it: the inline session policy and the
/// session tags as a percentage of the allowed size.
fn packed_size(inline: Option<&str>, tags: &[(String, String)]) -> i64 {
    let chars: usize = inline.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count())
        + tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    ((chars * 100) / 2048) as i64
}

impl StsService {
    pub(crate) fn assume_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let role_arn = str_member(&input, "RoleArn").unwrap_or_default();
        let session_name = str_member(&input, "RoleSessionName").unwrap_or_default();
        check_session_name(session_name)?;
        let (role_account, role_name) =
            parse_role_arn(role_arn).ok_or_else(|| StsError::InvalidRoleArn {
                arn: role_arn.to_string(),
            })?;
        let role = self
            .iam
            .role(role_account, role_name)
            .ok_or_else(|| not_authorized(ctx, "sts:AssumeRole", role_arn))?;

        // The trust policy and the caller's own policies decide together
        // (gureum-policy applies AWS's trust rules: a trust policy naming the
        // caller suffices in the same account; naming only the account, or
        // a caller from another account, needs the caller's policies too).
        let target = AuthzTarget::new("sts:AssumeRole", role.arn.clone());
        let allowed = if gureum_authz::Authorizer::applies_to(ctx) {
            self.authorizer
                .evaluate(ctx, &target, Some((&role.trust_policy, role_account)))
                .is_some_and(|(_, e)| e.is_allowed())
        } else {
            // The root user's own permissions are unlimited; the trust
            // policy alone decides.
            let everything = [allow_everything()];
            let request = Request {
                action: target.action.clone(),
                resource: target.resource.clone(),
                principal: self.authorizer.request_principal(ctx),
                context: Default::default(),
            };
            let set = PolicySet {
                identity: (&everything[..]).into(),
                resource: Some(&role.trust_policy),
                resource_account: Some(role_account),
                boundary: None,
                session: None,
            };
            gureum_policy::evaluate(&request, &set).is_allowed()
        };
        if !allowed {
            return Err(not_authorized(ctx, "sts:AssumeRole", role_arn));
        }

        // Duration: 15 minutes up to the role's maximum; 1 hour when chaining.
        let chained = matches!(ctx.principal, Principal::AssumedRole { .. });
        let duration = input
            .get("DurationSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(3600);
        if chained && duration > 3600 {
            return Err(StsError::DurationOverChainingLimit.into());
        }
        if duration > role.max_session_duration_secs {
            return Err(StsError::DurationOverRoleMaximum.into());
        }
        // MFA, when the caller presents a code.
        let mut mfa = false;
        if let Some(serial) = str_member(&input, "SerialNumber") {
            let code = str_member(&input, "TokenCode").unwrap_or_default();
            let account = ctx.principal.account_id().unwrap_or(&ctx.account_id);
            if !self
                .iam
                .verify_mfa_code(account, serial, code, ctx.clock.now_millis())
            {
                return Err(StsError::InvalidMfaCode.into());
            }
            mfa = true;
        }
        let policies = session_policies(&self.iam, role_account, &input)?;
        let tags = tags(&input);
        let packed = packed_size(str_member(&input, "Policy"), &tags);
        let now = ctx.clock.now_millis();
        let session = Session {
            access_key_id: id::access_key_id("ASIA"),
            secret_access_key: id::secret_access_key(),
            session_token: new_session_token(),
            expires_at_ms: now + duration * 1000,
            issued_at_ms: now,
            principal: SessionPrincipal::Role {
                account_id: role_account.to_string(),
                role_name: role.name.clone(),
                role_id: role.role_id.clone(),
                session_name: session_name.to_string(),
            },
            policies,
            mfa_authenticated: mfa,
            tags,
        };
        self.save(&session)?;
        let mut out = json!({
            "Credentials": session.credentials_value(),
            "AssumedRoleUser": {
                "AssumedRoleId": format!("{}:{session_name}", role.role_id),
                "Arn": format!("arn:aws:sts::{role_account}:assumed-role/{}/{session_name}", role.name),
            },
        });
        if packed > 0 {
            out["PackedPolicySize"] = json!(packed);
        }
        if let Some(src) = str_member(&input, "SourceIdentity") {
            out["SourceIdentity"] = json!(src);
        }
        Ok(out)
    }

    /// `AssumeRoleWithWebIdentity`: unsigned; the token is a JWT whose
    /// claims (`iss`, `sub`, `aud`) are read but not cryptographically
    /// verified — Gureum cannot reach identity providers.
    /// The session a federated caller (web identity or SAML) gets once the
    /// role's trust policy allowed it: `DurationSeconds` within the role's
    /// maximum, the request's session policies, no MFA and no tags; saved,
    /// and returned with its `AssumedRoleUser`.
    pub(crate) fn federated_session(
        &self,
        ctx: &RequestContext,
        input: &Value,
        role: &gureum_iam::RoleInfo,
        role_account: &str,
        session_name: &str,
    ) -> Result<(Session, Value), AwsError> {
        let duration = input
            .get("DurationSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(3600);
        if duration > role.max_session_duration_secs {
            return Err(StsError::DurationOverRoleMaximum.into());
        }
        let policies = session_policies(&self.iam, role_account, input)?;
        let now = ctx.clock.now_millis();
        let session = Session {
            access_key_id: id::access_key_id("ASIA"),
            secret_access_key: id::secret_access_key(),
            session_token: new_session_token(),
            expires_at_ms: now + duration * 1000,
            issued_at_ms: now,
            principal: SessionPrincipal::Role {
                account_id: role_account.to_string(),
                role_name: role.name.clone(),
                role_id: role.role_id.clone(),
                session_name: session_name.to_string(),
            },
            policies,
            mfa_authenticated: false,
            tags: Vec::new(),
        };
        self.save(&session)?;
        let assumed_role_user = json!({
            "AssumedRoleId": format!("{}:{session_name}", role.role_id),
            "Arn": format!("arn:aws:sts::{role_account}:assumed-role/{}/{session_name}", role.name),
        });
        Ok((session, assumed_role_user))
    }

    pub(crate) fn assume_role_with_web_identity(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let role_arn = str_member(&input, "RoleArn").unwrap_or_default();
        let session_name = str_member(&input, "RoleSessionName").unwrap_or_default();
        check_session_name(session_name)?;
        let token = str_member(&input, "WebIdentityToken").unwrap_or_default();
        let claims = jwt_claims(token).ok_or(StsError::UnparseableIdentityToken)?;
        let issuer = claims
            .get("iss")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let provider = issuer.trim_start_matches("https://").to_string();
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let audience = match claims.get("aud") {
            Some(Value::String(a)) => a.clone(),
            Some(Value::Array(a)) => a
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        };
        let (role_account, role_name) =
            parse_role_arn(role_arn).ok_or_else(|| StsError::InvalidRoleArn {
                arn: role_arn.to_string(),
            })?;
        // Well-known issuers need no IAM provider; any other needs one in
        // the role's account, listing the token's audience.
        const WELL_KNOWN: &[&str] = &[
            "accounts.google.com",
            "www.amazon.com",
            "graph.facebook.com",
            "cognito-identity.amazonaws.com",
        ];
        let well_known = WELL_KNOWN.contains(&provider.as_str());
        // Trust policies name a registered provider by its ARN, a
        // well-known one by its host.
        let federated = if well_known {
            provider.clone()
        } else {
            format!("arn:aws:iam::{role_account}:oidc-provider/{provider}")
        };
        if !well_known {
            let clients = self
                .iam
                .open_id_connect_client_ids(role_account, issuer)
                .ok_or_else(|| StsError::NoOidcProvider {
                    issuer: issuer.to_string(),
                })?;
            if !clients.contains(&audience) {
                return Err(StsError::WrongAudience.into());
            }
        }
        let denied = || AwsError::from(StsError::WebIdentityDenied);
        let role = self.iam.role(role_account, role_name).ok_or_else(denied)?;
        let mut context = gureum_policy::ContextKeys::new();
        context.insert(format!("{provider}:sub"), vec![subject.clone()]);
        context.insert(format!("{provider}:aud"), vec![audience.clone()]);
        context.insert(format!("{provider}:iss"), vec![issuer.to_string()]);
        let request = Request {
            action: "sts:AssumeRoleWithWebIdentity".into(),
            resource: role.arn.clone(),
            principal: RequestPrincipal {
                federated: Some(federated),
                ..RequestPrincipal::default()
            },
            context,
        };
        if !trust_allows(&request, &role.trust_policy) {
            return Err(denied());
        }
        let (session, assumed_role_user) =
            self.federated_session(ctx, &input, &role, role_account, session_name)?;
        Ok(json!({
            "Credentials": session.credentials_value(),
            "SubjectFromWebIdentityToken": subject,
            "AssumedRoleUser": assumed_role_user,
            "Provider": provider,
            "Audience": audience,
        }))
    }
}

/// The claims of a JWT (`header.payload.signature`), unverified.
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_with_paths_name_the_last_segment() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/a/b/reader"),
            Some(("123456789012", "reader"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/reader"),
            Some(("123456789012", "reader"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::1234:role/reader"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/alice"), None);
    }

    #[test]
    fn session_names_follow_the_pattern() {
        assert!(check_session_name("alice@example.com").is_ok());
        assert!(check_session_name("has space").is_err());
    }

    #[test]
    fn jwt_claims_are_read_without_verification() {
        use base64::Engine;
        let enc = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = format!(
            "{}.{}.sig",
            enc("{\"alg\":\"none\"}"),
            enc("{\"iss\":\"https://issuer.example\",\"sub\":\"u1\",\"aud\":\"app\"}")
        );
        let c = jwt_claims(&token).expect("claims");
        assert_eq!(c["sub"], "u1");
        assert!(jwt_claims("not-a-jwt").is_none());
    }
}
