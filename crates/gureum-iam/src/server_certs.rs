//! Server certificates (for load balancers and CloudFront):
//! `Upload/Get/List/Update/DeleteServerCertificate` and their tags.
//!
//! The body must be a PEM X.509 certificate (its validity gives
//! `Expiration`) and the private key a PEM private key; both are checked
//! for framing, not for matching each other. The key is stored but never
//! returned, as in AWS.

use crate::errors::IamError;
use crate::model::Tag;
use crate::pem;
use crate::util::{
    check_name, key, list_output, page_request, path_member, put_tags, required, scan_page,
    str_member, tags_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An uploaded server certificate.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerCertificate {
    /// The name as uploaded.
    pub name: String,
    /// `ASCA…`.
    pub id: String,
    /// The path.
    pub path: String,
    /// The PEM body as given.
    pub body: String,
    /// The PEM chain, when given.
    #[serde(default)]
    pub chain: Option<String>,
    /// The PEM private key (never returned).
    pub private_key: String,
    /// Upload time, epoch seconds.
    pub upload_date: i64,
    /// The certificate's notAfter, epoch seconds.
    pub expiration: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The notAfter of a PEM certificate, or `MalformedCertificate`.
pub(crate) fn certificate_expiration(body: &str) -> Result<i64, AwsError> {
    pem::pem_block(body, "CERTIFICATE")
        .and_then(|der| pem::certificate_validity(&der))
        .map(|(_, not_after)| not_after)
        .ok_or_else(|| {
            IamError::MalformedCertificate {
                message:
                    "Unable to parse certificate. Please ensure the certificate is in PEM format."
                        .into(),
            }
            .into()
        })
}

fn metadata(account: &str, c: &ServerCertificate) -> Value {
    json!({
        "Path": c.path,
        "ServerCertificateName": c.name,
        "ServerCertificateId": c.id,
        "Arn": format!("arn:aws:iam::{account}:server-certificate{}{}", c.path, c.name),
        "UploadDate": c.upload_date,
        "Expiration": c.expiration,
    })
}

impl IamService {
    fn load_server_certificate(
        &self,
        account: &str,
        name: &str,
    ) -> Result<ServerCertificate, AwsError> {
        self.server_certificates
            .get(&key(account, name))?
            .ok_or_else(|| {
                IamError::NoSuchServerCertificate {
                    name: name.to_string(),
                }
                .into()
            })
    }

    /// `UploadServerCertificate`.
    pub(crate) fn upload_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "ServerCertificateName")?;
        check_name("ServerCertificateName", name)?;
        let path = path_member(&input, "Path")?;
        let body = required(&input, "CertificateBody")?;
        let expiration = certificate_expiration(body)?;
        let private_key = required(&input, "PrivateKey")?;
        if !pem::is_private_key(private_key) {
            return Err(IamError::MalformedCertificate {
                message:
                    "Unable to parse private key. Please ensure the private key is in PEM format."
                        .into(),
            }
            .into());
        }
        // RSA pairs are compared by modulus; other key types are taken as
        // given (their public half is not derivable without curve math).
        let cert_n =
            pem::pem_block(body, "CERTIFICATE").and_then(|d| pem::certificate_rsa_modulus(&d));
        if let (Some(c), Some(k)) = (cert_n, pem::private_key_rsa_modulus(private_key)) {
            if c != k {
                return Err(IamError::KeyPairMismatch.into());
            }
        }
        let chain = str_member(&input, "CertificateChain");
        if let Some(c) = chain {
            certificate_expiration(c)?;
        }
        let cert = ServerCertificate {
            name: name.to_string(),
            id: id::iam_unique_id("ASCA"),
            path,
            body: body.to_string(),
            chain: chain.map(str::to_string),
            private_key: private_key.to_string(),
            upload_date: ctx.clock.now_secs(),
            expiration,
            tags: tags_member(&input)?,
        };
        let k = key(acct, name);
        self.write(|txn| {
            if txn.get(&self.server_certificates, &k)?.is_some() {
                return Err(IamError::ServerCertificateExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.server_certificates, &k, &cert)?;
            Ok(())
        })?;
        let mut out = json!({ "ServerCertificateMetadata": metadata(acct, &cert) });
        put_tags(&mut out, &cert.tags);
        Ok(out)
    }

    /// `GetServerCertificate`.
    pub(crate) fn get_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let c = self.load_server_certificate(acct, required(&input, "ServerCertificateName")?)?;
        let mut v = json!({
            "ServerCertificateMetadata": metadata(acct, &c),
            "CertificateBody": c.body,
        });
        if let Some(chain) = &c.chain {
            v["CertificateChain"] = json!(chain);
        }
        put_tags(&mut v, &c.tags);
        Ok(json!({ "ServerCertificate": v }))
    }

    /// `ListServerCertificates`, optionally under a path prefix.
    pub(crate) fn list_server_certificates(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let page = scan_page(
            &self.server_certificates,
            acct,
            &page_request(&input)?,
            |_, c| c.path.starts_with(prefix).then(|| metadata(acct, &c)),
        )?;
        Ok(list_output("ServerCertificateMetadataList", page))
    }

    /// `UpdateServerCertificate`: a new name and/or path.
    pub(crate) fn update_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "ServerCertificateName")?;
        let new_name = str_member(&input, "NewServerCertificateName");
        if let Some(n) = new_name {
            check_name("NewServerCertificateName", n)?;
        }
        let new_path = match str_member(&input, "NewPath") {
            Some(_) => Some(path_member(&input, "NewPath")?),
            None => None,
        };
        let old_key = key(acct, name);
        self.write(|txn| {
            let mut c = txn
                .get(&self.server_certificates, &old_key)?
                .ok_or_else(|| IamError::NoSuchServerCertificate {
                    name: name.to_string(),
                })?;
            if let Some(p) = new_path {
                c.path = p;
            }
            let mut new_key = old_key.clone();
            if let Some(n) = new_name {
                new_key = key(acct, n);
                if new_key != old_key && txn.get(&self.server_certificates, &new_key)?.is_some() {
                    return Err(IamError::ServerCertificateExists {
                        name: n.to_string(),
                    }
                    .into());
                }
                c.name = n.to_string();
                txn.delete(&self.server_certificates, &old_key)?;
            }
            txn.put(&self.server_certificates, &new_key, &c)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteServerCertificate`.
    pub(crate) fn delete_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "ServerCertificateName")?;
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if !txn.delete(&self.server_certificates, &k)? {
                return Err(IamError::NoSuchServerCertificate {
                    name: name.to_string(),
                }
                .into());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_server_certificate(
        &self,
        ctx: &RequestContext,
        input: &Value,
        adding: bool,
    ) -> OpResult {
        let name = required(input, "ServerCertificateName")?;
        self.retag(
            &self.server_certificates,
            &key(&ctx.account_id, name),
            input,
            adding,
            |c| &mut c.tags,
            || {
                IamError::NoSuchServerCertificate {
                    name: name.to_string(),
                }
                .into()
            },
        )
    }

    /// `TagServerCertificate`.
    pub(crate) fn tag_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_server_certificate(ctx, &input, true)
    }

    /// `UntagServerCertificate`.
    pub(crate) fn untag_server_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_server_certificate(ctx, &input, false)
    }

    /// `ListServerCertificateTags`.
    pub(crate) fn list_server_certificate_tags(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let c = self
            .load_server_certificate(&ctx.account_id, required(&input, "ServerCertificateName")?)?;
        crate::tags::list(&c.tags, &input)
    }
}
