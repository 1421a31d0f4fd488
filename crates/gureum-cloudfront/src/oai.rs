//! Origin access identities (the older way to let CloudFront read a
//! private bucket): the edge reads an S3 origin that names one as the
//! distribution's owner, as it does for an origin access control.

use crate::errors::CloudfrontError;
use crate::validate::items;
use crate::{new_id, random_chars, str_of, CloudfrontService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An origin access identity as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredOai {
    /// `E…`.
    pub id: String,
    /// 64 hex digits, the identity's S3 canonical user.
    pub canonical_user: String,
    /// The `CloudFrontOriginAccessIdentityConfig`.
    pub config: Value,
    /// The current version.
    pub etag: String,
}

impl StoredOai {
    fn value(&self) -> Value {
        json!({
            "Id": self.id,
            "S3CanonicalUserId": self.canonical_user,
            "CloudFrontOriginAccessIdentityConfig": self.config,
        })
    }
}

/// What an origin names an identity by.
fn reference(id: &str) -> String {
    format!("origin-access-identity/cloudfront/{id}")
}

impl CloudfrontService {
    fn oai(&self, ctx: &RequestContext, id: &str) -> Result<StoredOai, AwsError> {
        self.oais
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| CloudfrontError::NoSuchOai.into())
    }

    /// `CreateCloudFrontOriginAccessIdentity`: the same caller reference
    /// and comment answer the same identity.
    pub(crate) fn create_cloud_front_origin_access_identity(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let config = input
            .get("CloudFrontOriginAccessIdentityConfig")
            .cloned()
            .unwrap_or_default();
        let caller = str_of(&config, "CallerReference").to_string();
        if caller.is_empty() {
            return Err(crate::invalid("The parameter CallerReference is required."));
        }
        let prefix = format!("{}/", ctx.account_id);
        let oai = self.store.write(|txn| -> Result<StoredOai, AwsError> {
            let same = txn
                .scan_prefix(&self.oais, &prefix)?
                .into_iter()
                .find(|(_, o)| str_of(&o.config, "CallerReference") == caller);
            if let Some((_, o)) = same {
                return if o.config == config {
                    Ok(o)
                } else {
                    Err(CloudfrontError::OaiAlreadyExists.into())
                };
            }
            let o = StoredOai {
                id: new_id('E'),
                canonical_user: random_chars(b"0123456789abcdef", 64),
                config: config.clone(),
                etag: new_id('E'),
            };
            txn.put(&self.oais, &format!("{prefix}{}", o.id), &o)?;
            Ok(o)
        })?;
        Ok(json!({
            "CloudFrontOriginAccessIdentity": oai.value(),
            "Location": format!("https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/{}", oai.id),
            "ETag": oai.etag,
        }))
    }

    /// `GetCloudFrontOriginAccessIdentity`.
    pub(crate) fn get_cloud_front_origin_access_identity(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let o = self.oai(ctx, str_of(&input, "Id"))?;
        Ok(json!({ "CloudFrontOriginAccessIdentity": o.value(), "ETag": o.etag }))
    }

    /// `GetCloudFrontOriginAccessIdentityConfig`.
    pub(crate) fn get_cloud_front_origin_access_identity_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let o = self.oai(ctx, str_of(&input, "Id"))?;
        Ok(json!({ "CloudFrontOriginAccessIdentityConfig": o.config, "ETag": o.etag }))
    }

    /// `UpdateCloudFrontOriginAccessIdentity`: the comment, under `If-Match`.
    pub(crate) fn update_cloud_front_origin_access_identity(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        let config = input
            .get("CloudFrontOriginAccessIdentityConfig")
            .cloned()
            .unwrap_or_default();
        let o = self.store.write(|txn| -> Result<StoredOai, AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let mut o = txn
                .get(&self.oais, &key)?
                .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchOai))?;
            crate::check_if_match(&if_match, &o.etag)?;
            if str_of(&config, "CallerReference") != str_of(&o.config, "CallerReference") {
                return Err(CloudfrontError::IllegalUpdate {
                    message: "The CallerReference of an origin access identity cannot be changed."
                        .into(),
                }
                .into());
            }
            o.config = config.clone();
            o.etag = new_id('E');
            txn.put(&self.oais, &key, &o)?;
            Ok(o)
        })?;
        Ok(json!({ "CloudFrontOriginAccessIdentity": o.value(), "ETag": o.etag }))
    }

    /// `DeleteCloudFrontOriginAccessIdentity`: not while an origin uses it.
    pub(crate) fn delete_cloud_front_origin_access_identity(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        self.store.write(|txn| -> Result<(), AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let o = txn
                .get(&self.oais, &key)?
                .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchOai))?;
            crate::check_if_match(&if_match, &o.etag)?;
            let named = reference(&id);
            let used = txn
                .scan_prefix(&self.distributions, &format!("{}/", ctx.account_id))?
                .iter()
                .any(|(_, d)| {
                    items(&d.config, "Origins").iter().any(|o| {
                        o.get("S3OriginConfig")
                            .is_some_and(|s| str_of(s, "OriginAccessIdentity") == named)
                    })
                });
            if used {
                return Err(CloudfrontError::OaiInUse.into());
            }
            txn.delete(&self.oais, &key)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListCloudFrontOriginAccessIdentities`: by id, after `Marker`.
    pub(crate) fn list_cloud_front_origin_access_identities(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let marker = str_of(&input, "Marker").to_string();
        let max = crate::distributions::max_items(&input)?;
        let all: Vec<StoredOai> = self
            .oais
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .into_iter()
            .map(|(_, o)| o)
            .filter(|o| marker.is_empty() || o.id > marker)
            .collect();
        let list = crate::paging::marker_list(
            &marker,
            max,
            &all,
            |o| o.id.clone(),
            |o| {
                json!({
                    "Id": o.id,
                    "S3CanonicalUserId": o.canonical_user,
                    "Comment": str_of(&o.config, "Comment"),
                })
            },
        );
        Ok(json!({ "CloudFrontOriginAccessIdentityList": list }))
    }
}
