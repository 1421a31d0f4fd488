//! The global condition keys of a request (`aws:username`, `aws:SourceIp`,
//! `aws:CurrentTime`, …), as IAM documents them.

use gureum_core::timestamp::format_iso8601_seconds;
use gureum_core::{Principal, RequestContext};
use gureum_policy::ContextKeys;

/// The condition keys every request carries.
pub fn for_request(ctx: &RequestContext, principal_tags: &[(String, String)]) -> ContextKeys {
    let mut keys = ContextKeys::new();
    let mut set = |k: &str, v: String| {
        keys.insert(k.to_string(), vec![v]);
    };
    let now = ctx.clock.now_millis();
    set("aws:CurrentTime", format_iso8601_seconds(now));
    set("aws:EpochTime", (now / 1000).to_string());
    set("aws:RequestedRegion", ctx.region.clone());
    set("aws:SecureTransport", ctx.secure_transport.to_string());
    if let Some(ip) = ctx.source_ip {
        set("aws:SourceIp", ip.to_string());
    }
    set("aws:PrincipalArn", ctx.principal.arn());
    if let Some(a) = ctx.principal.account_id() {
        set("aws:PrincipalAccount", a.to_string());
    }
    set("aws:userid", ctx.principal.user_id());
    match &ctx.principal {
        Principal::User { name, .. } => {
            set("aws:username", name.clone());
            set("aws:PrincipalType", "User".into());
        }
        Principal::AssumedRole {
            account_id,
            role_name,
            ..
        } => {
            set("aws:PrincipalType", "AssumedRole".into());
            // For sessions, aws:PrincipalArn is the role's ARN (AWS documents this).
            set(
                "aws:PrincipalArn",
                format!("arn:aws:iam::{account_id}:role/{role_name}"),
            );
        }
        Principal::Root { .. } => set("aws:PrincipalType", "Account".into()),
        Principal::Anonymous => set("aws:PrincipalType", "Anonymous".into()),
    }
    // Long-term keys leave the MFA keys absent, which `BoolIfExists` relies on.
    if let Some(s) = &ctx.session {
        set(
            "aws:MultiFactorAuthPresent",
            s.mfa_authenticated.to_string(),
        );
        if s.mfa_authenticated {
            set(
                "aws:MultiFactorAuthAge",
                ((now - s.issued_at_ms) / 1000).to_string(),
            );
        }
        set("aws:TokenIssueTime", format_iso8601_seconds(s.issued_at_ms));
    }
    for (k, v) in principal_tags {
        set(&format!("aws:PrincipalTag/{k}"), v.clone());
    }
    keys
}
