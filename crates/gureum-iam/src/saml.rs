//! SAML 2.0 identity providers: `Create/Get/List/Update/DeleteSAMLProvider`
//! and their tags.
//!
//! A provider is named (`arn:aws:iam::ACCOUNT:saml-provider/NAME`) and
//! holds the IdP's metadata document, which must be SAML metadata (an
//! `EntityDescriptor`); its `validUntil`, when present, is the provider's
//! `ValidUntil`. Private keys for encrypted assertions are kept by id only
//! (Gureum decrypts nothing), at most 2 per provider.

use crate::errors::IamError;
use crate::model::Tag;
use crate::util::{put_tags, required, str_member, tags_member};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most private keys one provider keeps.
const PRIVATE_KEYS: usize = 2;

/// A SAML provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SamlProvider {
    /// The name as created.
    pub name: String,
    /// AWS's unique id for it.
    pub uuid: String,
    /// The metadata document as given.
    pub metadata: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The metadata's `validUntil`, epoch seconds.
    #[serde(default)]
    pub valid_until: Option<i64>,
    /// `Allowed` or `Required`.
    #[serde(default)]
    pub assertion_encryption_mode: Option<String>,
    /// Private keys: (key id, added at, epoch seconds).
    #[serde(default)]
    pub private_keys: Vec<(String, i64)>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// Checks a metadata document and reads its `validUntil`.
fn read_metadata(doc: &str) -> Result<Option<i64>, AwsError> {
    let unparseable = || -> AwsError {
        IamError::InvalidInput {
            message: "Could not parse metadata".into(),
        }
        .into()
    };
    if !doc.contains("EntityDescriptor") {
        return Err(unparseable());
    }
    match doc
        .split_once("validUntil=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
    {
        Some((v, _)) => gureum_core::timestamp::parse_iso8601(v)
            .map(|ms| Some(ms.div_euclid(1000)))
            .ok_or_else(unparseable),
        None => Ok(None),
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(IamError::Constraint {
            value: name.to_string(),
            member: "name".into(),
            constraint: "Member must satisfy regular expression pattern: [\\w._-]+".into(),
        }
        .into())
    }
}

fn check_mode(mode: Option<&str>) -> Result<(), AwsError> {
    match mode {
        None | Some("Allowed") | Some("Required") => Ok(()),
        Some(m) => Err(IamError::Constraint {
            value: m.to_string(),
            member: "assertionEncryptionMode".into(),
            constraint: "Member must satisfy enum value set: [Required, Allowed]".into(),
        }
        .into()),
    }
}

/// A new private key's id: 22+ characters, as AWS's.
fn key_id() -> String {
    id::iam_unique_id("KEY").to_ascii_uppercase()
}

/// The value of attribute `name` on the first element whose local name is
/// `local` (any namespace prefix), in a SAML document.
pub fn xml_attribute(xml: &str, local: &str, name: &str) -> Option<String> {
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>')?;
        let tag = &rest[..end];
        let tag_name = tag.split_whitespace().next().unwrap_or_default();
        if tag_name.rsplit(':').next() == Some(local) {
            let needle = format!("{name}=\"");
            let at = tag
                .match_indices(&needle)
                .find(|(i, _)| *i == 0 || tag[..*i].ends_with(char::is_whitespace))?
                .0;
            let value = &tag[at + needle.len()..];
            return value.split_once('"').map(|(v, _)| v.to_string());
        }
    }
    None
}

impl IamService {
    /// The `entityID` of the account's SAML provider `name` (from its
    /// metadata); `None` when there is no such provider. STS matches it
    /// against an assertion's issuer.
    pub fn saml_provider_entity_id(&self, account: &str, name: &str) -> Option<String> {
        let p = self
            .saml_providers
            .get(&Scope::Account { account }.key(&name.to_lowercase()))
            .ok()
            .flatten()?;
        xml_attribute(&p.metadata, "EntityDescriptor", "entityID")
    }

    fn saml_key(&self, account: &str, arn: &str) -> Result<String, AwsError> {
        let (acct, name) = arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split_once(":saml-provider/"))
            .ok_or_else(|| IamError::InvalidInput {
                message: format!("Invalid ARN: {arn}"),
            })?;
        if acct != account {
            return Err(IamError::NoSuchSamlProvider {
                arn: arn.to_string(),
            }
            .into());
        }
        Ok(Scope::Account { account }.key(&name.to_lowercase()))
    }

    fn load_saml(&self, ctx: &RequestContext, arn: &str) -> Result<SamlProvider, AwsError> {
        let k = self.saml_key(&ctx.account_id, arn)?;
        self.saml_providers.get(&k)?.ok_or_else(|| {
            IamError::NoSuchSamlProvider {
                arn: arn.to_string(),
            }
            .into()
        })
    }

    /// `CreateSAMLProvider`.
    pub(crate) fn create_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "Name")?;
        check_name(name)?;
        let metadata = required(&input, "SAMLMetadataDocument")?;
        let valid_until = read_metadata(metadata)?;
        let mode = str_member(&input, "AssertionEncryptionMode");
        check_mode(mode)?;
        let now = ctx.clock.now_secs();
        let provider = SamlProvider {
            name: name.to_string(),
            uuid: id::uuid_v4(),
            metadata: metadata.to_string(),
            create_date: now,
            valid_until,
            assertion_encryption_mode: mode.map(str::to_string),
            private_keys: str_member(&input, "AddPrivateKey")
                .map(|_| vec![(key_id(), now)])
                .unwrap_or_default(),
            tags: tags_member(&input)?,
        };
        let k = Scope::Account { account: acct }.key(&name.to_lowercase());
        self.write(|txn| {
            if txn.get(&self.saml_providers, &k)?.is_some() {
                return Err(IamError::SamlProviderExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.saml_providers, &k, &provider)?;
            Ok(())
        })?;
        let mut out =
            json!({ "SAMLProviderArn": format!("arn:aws:iam::{acct}:saml-provider/{name}") });
        put_tags(&mut out, &provider.tags);
        Ok(out)
    }

    /// `GetSAMLProvider`.
    pub(crate) fn get_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let p = self.load_saml(ctx, required(&input, "SAMLProviderArn")?)?;
        let mut out = json!({
            "SAMLProviderUUID": p.uuid,
            "SAMLMetadataDocument": p.metadata,
            "CreateDate": p.create_date,
        });
        if let Some(v) = &p.valid_until {
            out["ValidUntil"] = json!(v);
        }
        if let Some(m) = &p.assertion_encryption_mode {
            out["AssertionEncryptionMode"] = json!(m);
        }
        if !p.private_keys.is_empty() {
            out["PrivateKeyList"] = p
                .private_keys
                .iter()
                .map(|(id, at)| json!({"KeyId": id, "Timestamp": at}))
                .collect();
        }
        put_tags(&mut out, &p.tags);
        Ok(out)
    }

    /// `ListSAMLProviders` (not paged by AWS).
    pub(crate) fn list_saml_providers(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let list: Vec<Value> = self
            .saml_providers
            .scan_prefix(&Scope::Account { account: acct }.prefix())?
            .into_iter()
            .map(|(_, p)| {
                let mut v = json!({
                    "Arn": format!("arn:aws:iam::{acct}:saml-provider/{}", p.name),
                    "CreateDate": p.create_date,
                });
                if let Some(u) = &p.valid_until {
                    v["ValidUntil"] = json!(u);
                }
                v
            })
            .collect();
        Ok(json!({ "SAMLProviderList": list }))
    }

    /// `UpdateSAMLProvider`: new metadata, encryption mode, private keys.
    pub(crate) fn update_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "SAMLProviderArn")?;
        let k = self.saml_key(&ctx.account_id, arn)?;
        let metadata = str_member(&input, "SAMLMetadataDocument");
        let valid_until = metadata.map(read_metadata).transpose()?;
        let mode = str_member(&input, "AssertionEncryptionMode");
        check_mode(mode)?;
        let now = ctx.clock.now_secs();
        self.write(|txn| {
            let mut p =
                txn.get(&self.saml_providers, &k)?
                    .ok_or_else(|| IamError::NoSuchSamlProvider {
                        arn: arn.to_string(),
                    })?;
            if let (Some(doc), Some(valid)) = (metadata, valid_until) {
                p.metadata = doc.to_string();
                p.valid_until = valid;
            }
            if let Some(m) = mode {
                p.assertion_encryption_mode = Some(m.to_string());
            }
            if let Some(remove) = str_member(&input, "RemovePrivateKey") {
                let before = p.private_keys.len();
                p.private_keys.retain(|(id, _)| id != remove);
                if p.private_keys.len() == before {
                    return Err(IamError::InvalidInput {
                        message: format!("Private key {remove} does not exist."),
                    }
                    .into());
                }
            }
            if str_member(&input, "AddPrivateKey").is_some() {
                if p.private_keys.len() >= PRIVATE_KEYS {
                    return Err(IamError::QuotaExceeded {
                        quota: "PrivateKeysPerSAMLProvider".into(),
                        limit: PRIVATE_KEYS,
                    }
                    .into());
                }
                p.private_keys.push((key_id(), now));
            }
            txn.put(&self.saml_providers, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({ "SAMLProviderArn": arn }))
    }

    /// `DeleteSAMLProvider`.
    pub(crate) fn delete_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "SAMLProviderArn")?;
        let k = self.saml_key(&ctx.account_id, arn)?;
        self.write(|txn| {
            if !txn.delete(&self.saml_providers, &k)? {
                return Err(IamError::NoSuchSamlProvider {
                    arn: arn.to_string(),
                }
                .into());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_saml(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let arn = required(input, "SAMLProviderArn")?;
        let k = self.saml_key(&ctx.account_id, arn)?;
        self.retag(
            &self.saml_providers,
            &k,
            input,
            adding,
            |p| &mut p.tags,
            || {
                IamError::NoSuchSamlProvider {
                    arn: arn.to_string(),
                }
                .into()
            },
        )
    }

    /// `TagSAMLProvider`.
    pub(crate) fn tag_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_saml(ctx, &input, true)
    }

    /// `UntagSAMLProvider`.
    pub(crate) fn untag_saml_provider(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_saml(ctx, &input, false)
    }

    /// `ListSAMLProviderTags`.
    pub(crate) fn list_saml_provider_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let p = self.load_saml(ctx, required(&input, "SAMLProviderArn")?)?;
        crate::tags::list(&p.tags, &input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_whatever_the_namespace_prefix() {
        let doc = r#"<md:EntityDescriptor xmlns:md="x" entityID="https://idp/e"><a notentityID="no"/></md:EntityDescriptor>"#;
        assert_eq!(
            xml_attribute(doc, "EntityDescriptor", "entityID").as_deref(),
            Some("https://idp/e")
        );
        assert_eq!(xml_attribute(doc, "a", "entityID"), None);
        assert_eq!(xml_attribute("<unclosed", "unclosed", "x"), None);
    }
}
