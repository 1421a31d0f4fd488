//! OpenID Connect identity providers: `Create/Get/List/Delete
//! OpenIDConnectProvider`, client ids, thumbprints and tags.
//!
//! A provider is named by its issuer URL without the scheme
//! (`arn:aws:iam::ACCOUNT:oidc-provider/token.example.com/path`); one
//! account has at most one provider per URL. The URL must use `https`;
//! thumbprints (optional since AWS verifies well-known issuers itself) are
//! 40 hexadecimal characters, at most 5; a provider lists at most 100
//! client ids (audiences).

use crate::errors::IamError;
use crate::model::Tag;
use crate::util::{put_tags, required, tags_member};
use crate::IamService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most thumbprints one provider keeps.
const THUMBPRINTS: usize = 5;
/// Most client ids one provider keeps.
const CLIENT_IDS: usize = 100;

/// An OpenID Connect provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OidcProvider {
    /// The issuer URL as given (`https://…`).
    pub url: String,
    /// Audiences.
    pub client_ids: Vec<String>,
    /// Server certificate thumbprints (lower-case hex).
    pub thumbprints: Vec<String>,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The URL without its scheme and trailing slash: the resource part of the
/// provider's ARN and its store key.
fn url_id(url: &str) -> Result<&str, AwsError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(IamError::InvalidOidcUrl.into());
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(IamError::InvalidOidcUrl.into());
    }
    if scheme != "https" {
        return Err(IamError::InvalidInput {
            message: "Invalid Open ID Connect Provider URL. The URL must begin with https://."
                .into(),
        }
        .into());
    }
    Ok(rest.trim_end_matches('/'))
}

/// The provider id of an ARN of this account, or `None` for another's.
fn arn_id<'a>(account: &str, arn: &'a str) -> Result<Option<&'a str>, AwsError> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(":oidc-provider/"))
        .ok_or_else(|| IamError::InvalidInput {
            message: format!("Invalid ARN: {arn}"),
        })?;
    Ok((rest.0 == account).then_some(rest.1))
}

fn thumbprints(input: &Value) -> Result<Vec<String>, AwsError> {
    let list: Vec<String> = input
        .get("ThumbprintList")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    if list.len() > THUMBPRINTS {
        return Err(IamError::InvalidInput {
            message: "Thumbprint list must contain fewer than 5 entries.".into(),
        }
        .into());
    }
    for t in &list {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IamError::InvalidInput {
                message: format!("Thumbprint {t} is not a valid SHA-1 hexadecimal thumbprint."),
            }
            .into());
        }
    }
    Ok(list)
}

fn check_client_id(id: &str) -> Result<(), AwsError> {
    if id.is_empty() || id.chars().count() > 255 {
        return Err(IamError::Constraint {
            value: id.to_string(),
            member: "clientID".into(),
            constraint: "Member must have length less than or equal to 255".into(),
        }
        .into());
    }
    Ok(())
}

impl IamService {
    fn oidc_key(&self, account: &str, arn: &str) -> Result<String, AwsError> {
        let missing = || IamError::NoSuchOidcProvider {
            arn: arn.to_string(),
        };
        let id = arn_id(account, arn)?.ok_or_else(missing)?;
        Ok(Scope::Account { account }.key(id))
    }

    /// Reads, changes and writes back a provider in one transaction.
    fn modify_oidc(
        &self,
        ctx: &RequestContext,
        arn: &str,
        f: impl FnOnce(&mut OidcProvider) -> Result<(), AwsError>,
    ) -> OpResult {
        let k = self.oidc_key(&ctx.account_id, arn)?;
        self.write(|txn| {
            let mut p =
                txn.get(&self.oidc_providers, &k)?
                    .ok_or_else(|| IamError::NoSuchOidcProvider {
                        arn: arn.to_string(),
                    })?;
            f(&mut p)?;
            txn.put(&self.oidc_providers, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `CreateOpenIDConnectProvider`.
    pub(crate) fn create_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let url = required(&input, "Url")?;
        let id = url_id(url)?;
        let client_ids: Vec<String> = input
            .get("ClientIDList")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        for c in &client_ids {
            check_client_id(c)?;
        }
        if client_ids.len() > CLIENT_IDS {
            return Err(IamError::QuotaExceeded {
                quota: "ClientIdsPerOpenIdConnectProvider".into(),
                limit: CLIENT_IDS,
            }
            .into());
        }
        let provider = OidcProvider {
            url: url.to_string(),
            client_ids,
            thumbprints: thumbprints(&input)?,
            create_date: ctx.clock.now_secs(),
            tags: tags_member(&input)?,
        };
        let k = Scope::Account { account: acct }.key(id);
        self.write(|txn| {
            if txn.get(&self.oidc_providers, &k)?.is_some() {
                return Err(IamError::OidcProviderExists {
                    url: url.to_string(),
                }
                .into());
            }
            txn.put(&self.oidc_providers, &k, &provider)?;
            Ok(())
        })?;
        let mut out = json!({ "OpenIDConnectProviderArn": format!("arn:aws:iam::{acct}:oidc-provider/{id}") });
        put_tags(&mut out, &provider.tags);
        Ok(out)
    }

    /// `GetOpenIDConnectProvider`.
    pub(crate) fn get_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        let k = self.oidc_key(&ctx.account_id, arn)?;
        let p = self
            .oidc_providers
            .get(&k)?
            .ok_or_else(|| IamError::NoSuchOidcProvider {
                arn: arn.to_string(),
            })?;
        // AWS answers the URL without its scheme.
        let mut out = json!({
            "Url": p.url.trim_start_matches("https://"),
            "ClientIDList": p.client_ids,
            "ThumbprintList": p.thumbprints,
            "CreateDate": p.create_date,
        });
        put_tags(&mut out, &p.tags);
        Ok(out)
    }

    /// `ListOpenIDConnectProviders` (not paged by AWS).
    pub(crate) fn list_open_id_connect_providers(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let scope = Scope::Account { account: acct };
        let list: Vec<Value> = self
            .oidc_providers
            .scan_prefix(&scope.prefix())?
            .into_iter()
            .filter_map(|(k, _)| {
                let id = scope.id_of(&k)?;
                Some(json!({ "Arn": format!("arn:aws:iam::{acct}:oidc-provider/{id}") }))
            })
            .collect();
        Ok(json!({ "OpenIDConnectProviderList": list }))
    }

    /// The client ids (audiences) of the account's provider for `issuer`
    /// (a URL with or without `https://`); `None` when there is none. STS
    /// asks before it accepts a web identity token.
    pub fn open_id_connect_client_ids(&self, account: &str, issuer: &str) -> Option<Vec<String>> {
        let id = issuer.trim_start_matches("https://").trim_end_matches('/');
        self.oidc_providers
            .get(&Scope::Account { account }.key(id))
            .ok()
            .flatten()
            .map(|p| p.client_ids)
    }

    /// `DeleteOpenIDConnectProvider`.
    pub(crate) fn delete_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        // Deleting a provider that is not there succeeds, as in AWS.
        let k = self.oidc_key(&ctx.account_id, arn)?;
        self.write(|txn| Ok(txn.delete(&self.oidc_providers, &k)?))?;
        Ok(json!({}))
    }

    /// `AddClientIDToOpenIDConnectProvider` (adding one already there
    /// changes nothing).
    pub(crate) fn add_client_id_to_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        let client = required(&input, "ClientID")?;
        check_client_id(client)?;
        self.modify_oidc(ctx, arn, |p| {
            if p.client_ids.iter().any(|c| c == client) {
                return Ok(());
            }
            if p.client_ids.len() >= CLIENT_IDS {
                return Err(IamError::QuotaExceeded {
                    quota: "ClientIdsPerOpenIdConnectProvider".into(),
                    limit: CLIENT_IDS,
                }
                .into());
            }
            p.client_ids.push(client.to_string());
            Ok(())
        })
    }

    /// `RemoveClientIDFromOpenIDConnectProvider` (removing one that is not
    /// there is not an error, as in AWS).
    pub(crate) fn remove_client_id_from_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        let client = required(&input, "ClientID")?;
        self.modify_oidc(ctx, arn, |p| {
            p.client_ids.retain(|c| c != client);
            Ok(())
        })
    }

    /// `UpdateOpenIDConnectProviderThumbprint`: replaces the list.
    pub(crate) fn update_open_id_connect_provider_thumbprint(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        let list = thumbprints(&input)?;
        self.modify_oidc(ctx, arn, |p| {
            p.thumbprints = list;
            Ok(())
        })
    }

    fn retag_oidc(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let arn = required(input, "OpenIDConnectProviderArn")?;
        let k = self.oidc_key(&ctx.account_id, arn)?;
        self.retag(
            &self.oidc_providers,
            &k,
            input,
            adding,
            |p| &mut p.tags,
            || {
                IamError::NoSuchOidcProvider {
                    arn: arn.to_string(),
                }
                .into()
            },
        )
    }

    /// `TagOpenIDConnectProvider`.
    pub(crate) fn tag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.retag_oidc(ctx, &input, true)
    }

    /// `UntagOpenIDConnectProvider`.
    pub(crate) fn untag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.retag_oidc(ctx, &input, false)
    }

    /// `ListOpenIDConnectProviderTags`.
    pub(crate) fn list_open_id_connect_provider_tags(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "OpenIDConnectProviderArn")?;
        let k = self.oidc_key(&ctx.account_id, arn)?;
        let p = self
            .oidc_providers
            .get(&k)?
            .ok_or_else(|| IamError::NoSuchOidcProvider {
                arn: arn.to_string(),
            })?;
        crate::tags::list(&p.tags, &input)
    }
}
