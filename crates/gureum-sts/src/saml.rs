//! `AssumeRoleWithSAML`: a role session for a user a SAML identity
//! provider vouches for.
//!
//! The assertion (base64 of a SAML `Response`) is read, not verified —
//! Gureum holds no IdP keys it could trust, as with web identity tokens.
//! What AWS checks otherwise holds: `PrincipalArn` names a SAML provider
//! of the role's account whose metadata `entityID` is the assertion's
//! issuer, the role's trust policy allows that provider (with the `saml:`
//! condition keys), the assertion has not expired on Gureum's clock, and
//! it carries the `RoleSessionName` attribute.

use crate::assume_role::{check_session_name, parse_role_arn, trust_allows};
use crate::errors::StsError;
use crate::StsService;
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_iam::xml_attribute;
use gureum_policy::{Request, RequestPrincipal};
use serde_json::json;
use sha1::{Digest, Sha1};

const ROLE_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

/// The text of the first element whose local name is `local`.
fn element_text<'a>(xml: &'a str, local: &str) -> Option<&'a str> {
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>')?;
        let tag_name = rest[..end].split_whitespace().next().unwrap_or_default();
        if tag_name.rsplit(':').next() == Some(local) && !rest[..end].ends_with('/') {
            let body = &rest[end + 1..];
            return body.find('<').map(|j| body[..j].trim());
        }
    }
    None
}

/// The first value of the SAML attribute named `name`.
fn attribute_value<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let at = xml.find(&format!("Name=\"{name}\""))?;
    element_text(&xml[at..], "AttributeValue")
}

/// The short form AWS reports for a NameID format URI.
fn subject_type(format: Option<&str>) -> String {
    match format {
        Some(f) => f
            .strip_prefix("urn:oasis:names:tc:SAML:2.0:nameid-format:")
            .unwrap_or(f)
            .to_string(),
        None => "unspecified".to_string(),
    }
}

impl StsService {
    /// `AssumeRoleWithSAML` (unsigned, like AWS).
    pub(crate) fn assume_role_with_saml(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let role_arn = str_member(&input, "RoleArn").unwrap_or_default();
        let principal_arn = str_member(&input, "PrincipalArn").unwrap_or_default();
        let (role_account, role_name) =
            parse_role_arn(role_arn).ok_or_else(|| StsError::InvalidRoleArn {
                arn: role_arn.to_string(),
            })?;
        let (provider_account, provider_name) = principal_arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split_once(":saml-provider/"))
            .ok_or(StsError::InvalidPrincipalArn)?;
        let xml = base64::engine::general_purpose::STANDARD
            .decode(
                str_member(&input, "SAMLAssertion")
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<String>(),
            )
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|x| x.contains("Assertion"))
            .ok_or(StsError::InvalidSamlResponse)?;
        let issuer = element_text(&xml, "Issuer").ok_or(StsError::InvalidSamlResponse)?;
        let entity = (provider_account == role_account)
            .then(|| {
                self.iam
                    .saml_provider_entity_id(provider_account, provider_name)
            })
            .flatten()
            .ok_or(StsError::NoSamlProvider)?;
        if entity != issuer {
            return Err(StsError::IssuerNotInProvider.into());
        }
        if let Some(expiry) = xml_attribute(&xml, "SubjectConfirmationData", "NotOnOrAfter")
            .or_else(|| xml_attribute(&xml, "Conditions", "NotOnOrAfter"))
            .and_then(|t| gureum_core::timestamp::parse_iso8601(&t))
        {
            if expiry <= ctx.clock.now_millis() {
                return Err(StsError::ExpiredSamlAssertion.into());
            }
        }
        let session_name =
            attribute_value(&xml, ROLE_SESSION_NAME).ok_or(StsError::NoRoleSessionName)?;
        check_session_name(session_name)?;
        let subject = element_text(&xml, "NameID").unwrap_or_default().to_string();
        let sub_type = subject_type(xml_attribute(&xml, "NameID", "Format").as_deref());
        let audience = element_text(&xml, "Audience")
            .unwrap_or("https://signin.aws.amazon.com/saml")
            .to_string();
        // AWS's documented NameQualifier: Base64(SHA1(issuer + account + "/" + provider name)).
        let name_qualifier = base64::engine::general_purpose::STANDARD.encode(Sha1::digest(
            format!("{issuer}{provider_account}/{provider_name}").as_bytes(),
        ));

        let denied = || AwsError::from(StsError::SamlDenied);
        let role = self.iam.role(role_account, role_name).ok_or_else(denied)?;
        let mut context = gureum_policy::ContextKeys::new();
        for (k, v) in [
            ("saml:aud", audience.clone()),
            ("saml:sub", subject.clone()),
            ("saml:sub_type", sub_type.clone()),
            ("saml:iss", issuer.to_string()),
            ("saml:namequalifier", name_qualifier.clone()),
        ] {
            context.insert(k.to_string(), vec![v]);
        }
        let request = Request {
            action: "sts:AssumeRoleWithSAML".into(),
            resource: role.arn.clone(),
            principal: RequestPrincipal {
                federated: Some(principal_arn.to_string()),
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
            "AssumedRoleUser": assumed_role_user,
            "Subject": subject,
            "SubjectType": sub_type,
            "Issuer": issuer,
            "Audience": audience,
            "NameQualifier": name_qualifier,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"<samlp:Response xmlns:samlp="p"><saml:Issuer>https://idp.example.com</saml:Issuer>
      <saml:Assertion><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">kim</saml:NameID></saml:Subject>
      <saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
      <saml:AttributeValue>kim@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"#;

    #[test]
    fn assertions_are_read_by_local_name() {
        assert_eq!(
            element_text(RESPONSE, "Issuer"),
            Some("https://idp.example.com")
        );
        assert_eq!(element_text(RESPONSE, "NameID"), Some("kim"));
        assert_eq!(
            attribute_value(RESPONSE, ROLE_SESSION_NAME),
            Some("kim@example.com")
        );
        assert_eq!(
            subject_type(xml_attribute(RESPONSE, "NameID", "Format").as_deref()),
            "persistent"
        );
        assert_eq!(element_text("<a>no close", "b"), None);
    }
}
