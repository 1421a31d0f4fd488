//! Every error STS answers, declared once with AWS's code, HTTP status and
//! message template; a unit test checks them against `models/sts.json`.

gureum_core::aws_errors! {
    /// STS's errors.
    pub enum StsError {
        /// A member that breaks a constraint, in AWS's validation wording.
        Constraint { value: String, member: &'static str, constraint: String } = ("ValidationError", 400,
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"),
        /// A `RoleArn` that is not a role ARN.
        InvalidRoleArn { arn: String } = ("ValidationError", 400, "{arn} is invalid"),
        /// A session longer than the role allows.
        DurationOverRoleMaximum = ("ValidationError", 400,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        /// A chained session longer than one hour.
        DurationOverChainingLimit = ("ValidationError", 400,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."),
        /// The caller may not assume the role (or it does not exist).
        NotAuthorized { principal: String, action: &'static str, resource: String } = ("AccessDenied", 403,
            "User: {principal} is not authorized to perform: {action} on resource: {resource}"),
        /// A web identity the role's trust policy does not accept.
        WebIdentityDenied = ("AccessDenied", 403,
            "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        /// A wrong MFA code.
        InvalidMfaCode = ("AccessDenied", 403,
            "MultiFactorAuthentication failed with invalid MFA one time pass code."),
        /// `GetSessionToken` called with session credentials.
        SessionTokenFromSession = ("AccessDenied", 403,
            "Cannot call GetSessionToken with session credentials"),
        /// A session policy that breaks the grammar.
        MalformedPolicyDocument { message: String } = ("MalformedPolicyDocument", 400, "{message}"),
        /// A managed session policy that does not exist.
        NoSuchSessionPolicy { arn: String } = ("InvalidParameterValue", 400,
            "Policy {arn} does not exist or is not attachable."),
        /// A token from an issuer the role's account registered no OpenID
        /// Connect provider for.
        NoOidcProvider { issuer: String } = ("InvalidIdentityToken", 400,
            "No OpenIDConnect provider found in your account for {issuer}"),
        /// A token whose audience is not one of the provider's client ids.
        WrongAudience = ("InvalidIdentityToken", 400, "Incorrect token audience"),
        /// A `PrincipalArn` that is not a SAML provider's ARN.
        InvalidPrincipalArn = ("ValidationError", 400, "Principal ARN is invalid"),
        /// A SAML response that is not base64 of a SAML document.
        InvalidSamlResponse = ("InvalidIdentityToken", 400, "Invalid SAML response"),
        /// A `PrincipalArn` naming no SAML provider of the role's account.
        NoSamlProvider = ("InvalidIdentityToken", 400, "Specified provider doesn't exist"),
        /// An assertion from an issuer other than the provider's entity.
        IssuerNotInProvider = ("InvalidIdentityToken", 400, "Issuer not present in specified provider"),
        /// An assertion past its `NotOnOrAfter`.
        ExpiredSamlAssertion = ("ExpiredTokenException", 400, "SAML Assertion has expired"),
        /// An assertion without the `RoleSessionName` attribute.
        NoRoleSessionName = ("InvalidIdentityToken", 400,
            "The SAML assertion does not contain the RoleSessionName attribute"),
        /// A SAML principal the role's trust policy does not accept.
        SamlDenied = ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML"),
        /// A web identity token that is not a JWT.
        UnparseableIdentityToken = ("InvalidIdentityToken", 400,
            "Couldn't parse the web identity token."),
    }
}

/// Codes STS's API reference documents that `models/sts.json` declares no
/// error shape for.
pub const DOCUMENTED: &[&str] = &["AccessDenied"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_errors_agree_with_the_sts_model() {
        let model = gureum_model::load("sts").expect("sts model");
        let problems =
            gureum_protocol::check_declared_errors(&model, StsError::DECLARED, DOCUMENTED);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
