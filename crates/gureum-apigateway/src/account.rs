//! The account's API Gateway settings (`GetAccount`/`UpdateAccount`) and
//! client certificates: real self-signed certificates (ECDSA P-256, one
//! year) whose PEM `GenerateClientCertificate` answers, as API Gateway
//! makes for backends to authenticate it.
//!
//! Tables: `apigateway.accounts`: `account/region` → the account as
//! `GetAccount` answers it (absent until updated);
//! `apigateway.client_certificates`: `account/region/id` →
//! [`ClientCertificate`].

use crate::errors::{bad_request, ApigatewayError};
use crate::patch;
use crate::{new_id, page_by_position, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long a client certificate is valid: 365 days, as AWS's are.
const CERTIFICATE_DAYS: i64 = 365;

/// A client certificate as stored: what AWS shows, and its key (kept for
/// HTTP integrations to present; never answered).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientCertificate {
    /// As `GetClientCertificate` answers it.
    pub info: Value,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// The account's settings before any update.
fn default_account() -> Value {
    json!({
        "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
        "features": ["UsagePlans"],
        "apiKeyVersion": "4",
    })
}

/// A self-signed certificate (PEM) and its key (PKCS#8 PEM), valid from
/// `now_secs` for [`CERTIFICATE_DAYS`].
fn self_signed(id: &str, now_secs: i64) -> Result<(String, String), AwsError> {
    let internal = |e: rcgen::Error| AwsError::internal(format!("client certificate: {e}"));
    let key = rcgen::KeyPair::generate().map_err(internal)?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("ApiGateway {id}"));
    let at = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|e| AwsError::internal(format!("client certificate: {e}")))
    };
    params.not_before = at(now_secs)?;
    params.not_after = at(now_secs + CERTIFICATE_DAYS * 86_400)?;
    let cert = params.self_signed(&key).map_err(internal)?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl ApigatewayService {
    /// `GetAccount`.
    pub(crate) fn get_account(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let key = format!("{}/{}", ctx.account_id, ctx.region);
        Ok(self
            .accounts
            .get(&key)
            .map_err(AwsError::from)?
            .unwrap_or_else(default_account))
    }

    /// `UpdateAccount`: `replace /cloudwatchRoleArn` (an IAM role ARN, or
    /// empty to clear it).
    pub(crate) fn update_account(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        let key = format!("{}/{}", ctx.account_id, ctx.region);
        let table = self.accounts.clone();
        self.store.write(|txn| {
            let mut account = txn
                .get(&table, &key)
                .map_err(AwsError::from)?
                .unwrap_or_else(default_account);
            for op in &ops {
                match (op.op.as_str(), op.path.as_str()) {
                    ("replace", "/cloudwatchRoleArn") => {
                        let arn = op.value.as_deref().unwrap_or_default();
                        let is_role = arn
                            .strip_prefix("arn:aws:iam::")
                            .and_then(|r| r.split_once(":role/"))
                            .is_some_and(|(acct, name)| {
                                acct.len() == 12
                                    && acct.chars().all(|c| c.is_ascii_digit())
                                    && !name.is_empty()
                            });
                        if !arn.is_empty() && !is_role {
                            return Err(bad_request(format!(
                                "The role ARN is not well formed: {arn}"
                            )));
                        }
                        patch::set_or_remove(
                            &mut account,
                            "cloudwatchRoleArn",
                            op.value.as_deref().filter(|v| !v.is_empty()),
                        );
                    }
                    _ => return Err(patch::invalid(op)),
                }
            }
            txn.put(&table, &key, &account).map_err(AwsError::from)?;
            Ok(account)
        })
    }

    /// `GenerateClientCertificate`.
    pub(crate) fn generate_client_certificate(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = new_id();
        let now = ctx.clock.now_secs();
        let (pem, key_pem) = self_signed(&id, now)?;
        let mut info = json!({
            "clientCertificateId": id,
            "pemEncodedCertificate": pem,
            "createdDate": now,
            "expirationDate": now + CERTIFICATE_DAYS * 86_400,
        });
        crate::copy_members(&input, &mut info, &["description"]);
        if let Some(tags) = input
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
        {
            info["tags"] = tags.clone();
        }
        let record = ClientCertificate {
            info: info.clone(),
            key_pem,
        };
        self.client_certificates
            .put(&Scope::regional(ctx).key(&id), &record)
            .map_err(AwsError::from)?;
        Ok(info)
    }

    fn client_certificate(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<ClientCertificate, AwsError> {
        self.client_certificates
            .get(&Scope::regional(ctx).key(id))
            .map_err(AwsError::from)?
            .ok_or_else(|| ApigatewayError::ClientCertificateNotFound.into())
    }

    /// `GetClientCertificate`.
    pub(crate) fn get_client_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        Ok(self
            .client_certificate(ctx, str_member(&input, "clientCertificateId"))?
            .info)
    }

    /// `GetClientCertificates`.
    pub(crate) fn get_client_certificates(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let all = self
            .client_certificates
            .scan_prefix(&Scope::regional(ctx).key(""))
            .map_err(AwsError::from)?;
        page_by_position(all.into_iter().map(|(_, c)| c.info).collect(), &input)
    }

    /// `UpdateClientCertificate`: `replace /description`.
    pub(crate) fn update_client_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        let id = str_member(&input, "clientCertificateId");
        let mut cert = self.client_certificate(ctx, id)?;
        for op in &ops {
            match (op.op.as_str(), op.path.as_str()) {
                ("replace", "/description") => {
                    patch::set_or_remove(&mut cert.info, "description", op.value.as_deref())
                }
                _ => return Err(patch::invalid(op)),
            }
        }
        self.client_certificates
            .put(&Scope::regional(ctx).key(id), &cert)
            .map_err(AwsError::from)?;
        Ok(cert.info)
    }

    /// `DeleteClientCertificate`.
    pub(crate) fn delete_client_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "clientCertificateId");
        self.client_certificate(ctx, id)?;
        self.client_certificates
            .delete(&Scope::regional(ctx).key(id))
            .map_err(AwsError::from)?;
        Ok(json!({}))
    }
}
