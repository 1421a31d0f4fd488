//! Service-specific credentials: a user name and password (CodeCommit Git,
//! Keyspaces) or an API key (Bedrock) for one service,
//! `Create/List/Reset/Update/DeleteServiceSpecificCredential`.
//!
//! At most 2 per user and service; the secret is returned by create and
//! reset only. A credential with an age limit (`CredentialAgeDays`)
//! reads as `Expired` once Gureum's clock passes its expiration.

use crate::errors::IamError;
use crate::util::{
    bool_member, int_member, key, list_output, page_request, required, scan_page, scope, str_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most credentials per user and service.
pub const PER_USER_AND_SERVICE: usize = 2;

/// The services that take service-specific credentials.
const SERVICES: &[&str] = &[
    "codecommit.amazonaws.com",
    "cassandra.amazonaws.com",
    "bedrock.amazonaws.com",
];

/// A service-specific credential.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceCredential {
    /// The owner's name.
    pub user_name: String,
    /// `ACCA…`.
    pub id: String,
    /// The service (`codecommit.amazonaws.com`).
    pub service: String,
    /// The user name (or, for API keys, the alias) the service knows.
    pub service_user_name: String,
    /// The password or API key secret.
    pub secret: String,
    /// Whether it is active (expiry aside).
    pub active: bool,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Expiration, epoch seconds, when it has an age limit.
    #[serde(default)]
    pub expiration: Option<i64>,
}

impl ServiceCredential {
    /// Bedrock hands out API keys (alias and secret), the others a user
    /// name and password.
    fn is_api_key(&self) -> bool {
        self.service == "bedrock.amazonaws.com"
    }

    fn status(&self, now: i64) -> &'static str {
        match (self.active, self.expiration) {
            (_, Some(e)) if e <= now => "Expired",
            (true, _) => "Active",
            (false, _) => "Inactive",
        }
    }

    fn value(&self, now: i64, with_secret: bool) -> Value {
        let mut v = json!({
            "UserName": self.user_name,
            "ServiceSpecificCredentialId": self.id,
            "ServiceName": self.service,
            "CreateDate": self.create_date,
            "Status": self.status(now),
        });
        let (name, secret) = if self.is_api_key() {
            ("ServiceCredentialAlias", "ServiceCredentialSecret")
        } else {
            ("ServiceUserName", "ServicePassword")
        };
        v[name] = json!(self.service_user_name);
        if with_secret {
            v[secret] = json!(self.secret);
        }
        if let Some(e) = self.expiration {
            v["ExpirationDate"] = json!(e);
        }
        v
    }
}

fn new_secret() -> String {
    id::secret_access_key() + &id::secret_access_key()[..4]
}

impl IamService {
    /// `CreateServiceSpecificCredential`.
    pub(crate) fn create_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let user = required(&input, "UserName")?;
        let service = required(&input, "ServiceName")?;
        if !SERVICES.contains(&service) {
            return Err(IamError::UnsupportedService {
                service: service.to_string(),
            }
            .into());
        }
        let age = int_member(&input, "CredentialAgeDays");
        if let Some(days) = age.filter(|d| !(1..=36_600).contains(d)) {
            return Err(IamError::Constraint {
                value: days.to_string(),
                member: "credentialAgeDays".into(),
                constraint: "Member must have value between 1 and 36600".into(),
            }
            .into());
        }
        let now = ctx.clock.now_secs();
        let uk = key(acct, user);
        let cred = self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            let mut same_service = 0;
            for cid in &u.service_credentials {
                if let Some(c) = txn.get(&self.service_credentials, &scope(acct).key(cid))? {
                    same_service += usize::from(c.service == service);
                }
            }
            if same_service >= PER_USER_AND_SERVICE {
                return Err(IamError::QuotaExceeded {
                    quota: "ServiceSpecificCredentialsPerUserPerService".into(),
                    limit: PER_USER_AND_SERVICE,
                }
                .into());
            }
            let cid = id::iam_unique_id("ACCA");
            let service_user_name = if service == "bedrock.amazonaws.com" {
                format!("BedrockAPIKey-{}", &cid[4..8].to_ascii_lowercase())
            } else {
                format!("{}-at-{acct}", u.name)
            };
            let cred = ServiceCredential {
                user_name: u.name.clone(),
                id: cid,
                service: service.to_string(),
                service_user_name,
                secret: new_secret(),
                active: true,
                create_date: now,
                expiration: age.map(|d| now + d * 86_400),
            };
            txn.put(&self.service_credentials, &scope(acct).key(&cred.id), &cred)?;
            u.service_credentials.push(cred.id.clone());
            txn.put(&self.users, &uk, &u)?;
            Ok(cred)
        })?;
        Ok(json!({ "ServiceSpecificCredential": cred.value(now, true) }))
    }

    /// `ListServiceSpecificCredentials`: a user's (the caller's by
    /// default), or every user's with `AllUsers`, optionally for one
    /// service.
    pub(crate) fn list_service_specific_credentials(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let service = str_member(&input, "ServiceName");
        if let Some(s) = service.filter(|s| !SERVICES.contains(s)) {
            return Err(IamError::UnsupportedService {
                service: s.to_string(),
            }
            .into());
        }
        let now = ctx.clock.now_secs();
        let all_users = bool_member(&input, "AllUsers").unwrap_or(false);
        let owner = if all_users {
            None
        } else {
            let name = self.credential_owner(ctx, &input)?;
            self.load_user(acct, &name)?;
            Some(name)
        };
        let page = scan_page(
            &self.service_credentials,
            acct,
            &page_request(&input)?,
            |_, c| {
                let mine = owner
                    .as_deref()
                    .is_none_or(|o| c.user_name.eq_ignore_ascii_case(o));
                (mine && service.is_none_or(|s| s == c.service)).then(|| c.value(now, false))
            },
        )?;
        Ok(list_output("ServiceSpecificCredentials", page))
    }

    /// Reads, changes and writes back a user's credential in one
    /// transaction (`None` from `change` deletes it).
    fn modify_service_credential(
        &self,
        ctx: &RequestContext,
        input: &Value,
        change: impl FnOnce(
            &mut crate::model::User,
            ServiceCredential,
        ) -> Result<Option<ServiceCredential>, AwsError>,
    ) -> Result<Option<ServiceCredential>, AwsError> {
        let acct = &ctx.account_id;
        let user = self.credential_owner(ctx, input)?;
        let cid = required(input, "ServiceSpecificCredentialId")?;
        let uk = key(acct, &user);
        let ck = scope(acct).key(cid);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser { name: user.clone() })?;
            let c = txn
                .get(&self.service_credentials, &ck)?
                .filter(|c| c.user_name.eq_ignore_ascii_case(&u.name))
                .ok_or_else(|| IamError::NoSuchServiceCredential {
                    id: cid.to_string(),
                })?;
            let changed = change(&mut u, c)?;
            match &changed {
                Some(c) => txn.put(&self.service_credentials, &ck, c)?,
                None => {
                    txn.delete(&self.service_credentials, &ck)?;
                }
            }
            txn.put(&self.users, &uk, &u)?;
            Ok(changed)
        })
    }

    /// `ResetServiceSpecificCredential`: a new secret.
    pub(crate) fn reset_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let now = ctx.clock.now_secs();
        let c = self.modify_service_credential(ctx, &input, |_, mut c| {
            c.secret = new_secret();
            Ok(Some(c))
        })?;
        Ok(json!({ "ServiceSpecificCredential": c.map(|c| c.value(now, true)) }))
    }

    /// `UpdateServiceSpecificCredential`: `Active` or `Inactive`.
    pub(crate) fn update_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let active = str_member(&input, "Status") == Some("Active");
        self.modify_service_credential(ctx, &input, |_, mut c| {
            c.active = active;
            Ok(Some(c))
        })?;
        Ok(json!({}))
    }

    /// `DeleteServiceSpecificCredential`.
    pub(crate) fn delete_service_specific_credential(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.modify_service_credential(ctx, &input, |u, c| {
            u.service_credentials.retain(|id| *id != c.id);
            Ok(None)
        })?;
        Ok(json!({}))
    }
}
