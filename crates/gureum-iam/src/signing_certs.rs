//! A user's X.509 signing certificates: `Upload/List/Update/Delete
//! SigningCertificate`.
//!
//! At most 2 per user; the body must be a PEM certificate; uploading the
//! same body twice (for any user of the account) is a
//! `DuplicateCertificate`. Records are keyed by certificate id; the user
//! lists its ids, so the check and the write share one transaction.

use crate::errors::IamError;
use crate::server_certs::certificate_expiration;
use crate::util::{key, list_output, page_request, paginate, required, scope, str_member};
use crate::IamService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most signing certificates one user has.
pub const SIGNING_CERTIFICATES_PER_USER: usize = 2;

/// A user's signing certificate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningCertificate {
    /// The owner's name.
    pub user_name: String,
    /// The certificate's id.
    pub id: String,
    /// The PEM body as given.
    pub body: String,
    /// `Active` or `Inactive`.
    pub active: bool,
    /// Upload time, epoch seconds.
    pub upload_date: i64,
}

/// A certificate id like AWS's: 32 characters of A–Z and 2–7.
pub(crate) fn credential_id(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    bytes
        .iter()
        .map(|b| b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[usize::from(b % 32)] as char)
        .collect()
}

fn value(c: &SigningCertificate) -> Value {
    json!({
        "UserName": c.user_name,
        "CertificateId": c.id,
        "CertificateBody": c.body,
        "Status": if c.active { "Active" } else { "Inactive" },
        "UploadDate": c.upload_date,
    })
}

impl IamService {
    /// The user a credential operation is about: `UserName`, or the
    /// calling user.
    pub(crate) fn credential_owner(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<String, AwsError> {
        self.target_user_name(ctx, input)?
            .ok_or_else(|| IamError::UserNameRequired.into())
    }

    /// `UploadSigningCertificate`.
    pub(crate) fn upload_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.credential_owner(ctx, &input)?;
        let body = required(&input, "CertificateBody")?;
        certificate_expiration(body)?;
        let uk = key(acct, &user);
        let cert = self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser { name: user.clone() })?;
            if u.signing_certificates.len() >= SIGNING_CERTIFICATES_PER_USER {
                return Err(IamError::QuotaExceeded {
                    quota: "SigningCertificatesPerUser".into(),
                    limit: SIGNING_CERTIFICATES_PER_USER,
                }
                .into());
            }
            let duplicate = txn
                .scan_prefix(&self.signing_certificates, &scope(acct).prefix())?
                .iter()
                .any(|(_, c)| c.body.trim() == body.trim());
            if duplicate {
                return Err(IamError::DuplicateCertificate.into());
            }
            let cert = SigningCertificate {
                user_name: u.name.clone(),
                id: credential_id(32),
                body: body.to_string(),
                active: true,
                upload_date: ctx.clock.now_secs(),
            };
            txn.put(
                &self.signing_certificates,
                &scope(acct).key(&cert.id),
                &cert,
            )?;
            u.signing_certificates.push(cert.id.clone());
            txn.put(&self.users, &uk, &u)?;
            Ok(cert)
        })?;
        Ok(json!({ "Certificate": value(&cert) }))
    }

    /// `ListSigningCertificates`.
    pub(crate) fn list_signing_certificates(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.credential_owner(ctx, &input)?;
        let u = self.load_user(acct, &user)?;
        let mut items = Vec::new();
        for id in &u.signing_certificates {
            if let Some(c) = self.signing_certificates.get(&scope(acct).key(id))? {
                items.push((id.clone(), value(&c)));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(items, &page_request(&input)?);
        Ok(list_output("Certificates", page))
    }

    /// Changes the certificate `id` of the user in one transaction.
    fn modify_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: &Value,
        change: impl FnOnce(
            &mut crate::model::User,
            SigningCertificate,
        ) -> Result<Option<SigningCertificate>, AwsError>,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.credential_owner(ctx, input)?;
        let id = required(input, "CertificateId")?;
        let uk = key(acct, &user);
        let ck = scope(acct).key(id);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser { name: user.clone() })?;
            let cert = txn
                .get(&self.signing_certificates, &ck)?
                .filter(|c| c.user_name.eq_ignore_ascii_case(&u.name))
                .ok_or_else(|| IamError::NoSuchSigningCertificate { id: id.to_string() })?;
            match change(&mut u, cert)? {
                Some(c) => txn.put(&self.signing_certificates, &ck, &c)?,
                None => {
                    txn.delete(&self.signing_certificates, &ck)?;
                }
            }
            txn.put(&self.users, &uk, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `UpdateSigningCertificate`: `Active` or `Inactive`.
    pub(crate) fn update_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let active = str_member(&input, "Status") == Some("Active");
        self.modify_signing_certificate(ctx, &input, |_, mut c| {
            c.active = active;
            Ok(Some(c))
        })
    }

    /// `DeleteSigningCertificate`.
    pub(crate) fn delete_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.modify_signing_certificate(ctx, &input, |u, c| {
            u.signing_certificates.retain(|id| *id != c.id);
            Ok(None)
        })
    }
}
