//! Origin access controls: the edge reads an S3 origin that names one as
//! the distribution's owner rather than anonymously.

use crate::errors::CloudfrontError;
use crate::validate::items;
use crate::{invalid, new_id, str_of, CloudfrontService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An origin access control as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredOac {
    /// `E…`.
    pub id: String,
    /// The `OriginAccessControlConfig`.
    pub config: Value,
    /// The current version.
    pub etag: String,
}

impl StoredOac {
    fn value(&self) -> Value {
        json!({ "Id": self.id, "OriginAccessControlConfig": self.config })
    }
}

const ORIGIN_TYPES: [&str; 4] = ["s3", "mediastore", "mediapackagev2", "lambda"];
const BEHAVIORS: [&str; 3] = ["never", "no-override", "always"];

/// An `OriginAccessControlConfig`'s checks.
fn check_config(config: &Value) -> Result<(), AwsError> {
    if str_of(config, "Name").is_empty() {
        return Err(invalid("The parameter Name is required."));
    }
    if str_of(config, "SigningProtocol") != "sigv4" {
        return Err(invalid("The parameter SigningProtocol is invalid."));
    }
    if !BEHAVIORS.contains(&str_of(config, "SigningBehavior")) {
        return Err(invalid("The parameter SigningBehavior is invalid."));
    }
    if !ORIGIN_TYPES.contains(&str_of(config, "OriginAccessControlOriginType")) {
        return Err(invalid(
            "The parameter OriginAccessControlOriginType is invalid.",
        ));
    }
    Ok(())
}

impl CloudfrontService {
    /// `CreateOriginAccessControl`.
    pub(crate) fn create_origin_access_control(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let mut config = input
            .get("OriginAccessControlConfig")
            .cloned()
            .unwrap_or_default();
        check_config(&config)?;
        let name = str_of(&config, "Name").to_string();
        if config.get("Description").is_none() {
            config["Description"] = json!("");
        }
        let oac = StoredOac {
            id: new_id('E'),
            config,
            etag: new_id('E'),
        };
        self.store.write(|txn| -> Result<(), AwsError> {
            let prefix = format!("{}/", ctx.account_id);
            if txn
                .scan_prefix(&self.oacs, &prefix)?
                .iter()
                .any(|(_, o)| str_of(&o.config, "Name") == name)
            {
                return Err(CloudfrontError::OriginAccessControlAlreadyExists.into());
            }
            txn.put(&self.oacs, &format!("{prefix}{}", oac.id), &oac)?;
            Ok(())
        })?;
        Ok(json!({
            "OriginAccessControl": oac.value(),
            "Location": format!("https://cloudfront.amazonaws.com/2020-05-31/origin-access-control/{}", oac.id),
            "ETag": oac.etag,
        }))
    }

    fn oac(&self, ctx: &RequestContext, id: &str) -> Result<StoredOac, AwsError> {
        self.oacs
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| CloudfrontError::NoSuchOriginAccessControl.into())
    }

    /// `GetOriginAccessControl`.
    pub(crate) fn get_origin_access_control(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let o = self.oac(ctx, str_of(&input, "Id"))?;
        Ok(json!({ "OriginAccessControl": o.value(), "ETag": o.etag }))
    }

    /// `GetOriginAccessControlConfig`.
    pub(crate) fn get_origin_access_control_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let o = self.oac(ctx, str_of(&input, "Id"))?;
        Ok(json!({ "OriginAccessControlConfig": o.config, "ETag": o.etag }))
    }

    /// `UpdateOriginAccessControl`: the configuration, under `If-Match`.
    pub(crate) fn update_origin_access_control(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        let mut config = input
            .get("OriginAccessControlConfig")
            .cloned()
            .unwrap_or_default();
        check_config(&config)?;
        if config.get("Description").is_none() {
            config["Description"] = json!("");
        }
        let name = str_of(&config, "Name").to_string();
        let o = self.store.write(|txn| -> Result<StoredOac, AwsError> {
            let prefix = format!("{}/", ctx.account_id);
            let key = format!("{prefix}{id}");
            let mut o = txn
                .get(&self.oacs, &key)?
                .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchOriginAccessControl))?;
            crate::check_if_match(&if_match, &o.etag)?;
            if txn
                .scan_prefix(&self.oacs, &prefix)?
                .iter()
                .any(|(_, x)| x.id != id && str_of(&x.config, "Name") == name)
            {
                return Err(CloudfrontError::OriginAccessControlAlreadyExists.into());
            }
            o.config = config.clone();
            o.etag = new_id('E');
            txn.put(&self.oacs, &key, &o)?;
            Ok(o)
        })?;
        Ok(json!({ "OriginAccessControl": o.value(), "ETag": o.etag }))
    }

    /// `DeleteOriginAccessControl`: not while an origin uses it.
    pub(crate) fn delete_origin_access_control(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        self.store.write(|txn| -> Result<(), AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let o = txn
                .get(&self.oacs, &key)?
                .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchOriginAccessControl))?;
            crate::check_if_match(&if_match, &o.etag)?;
            let used = txn
                .scan_prefix(&self.distributions, &format!("{}/", ctx.account_id))?
                .iter()
                .any(|(_, d)| {
                    items(&d.config, "Origins")
                        .iter()
                        .any(|o| str_of(o, "OriginAccessControlId") == id)
                });
            if used {
                return Err(CloudfrontError::OriginAccessControlInUse.into());
            }
            txn.delete(&self.oacs, &key)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListOriginAccessControls`.
    pub(crate) fn list_origin_access_controls(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let marker = str_of(&input, "Marker").to_string();
        let max = crate::distributions::max_items(&input)?;
        let all: Vec<StoredOac> = self
            .oacs
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
                let c = &o.config;
                json!({
                    "Id": o.id,
                    "Description": str_of(c, "Description"),
                    "Name": str_of(c, "Name"),
                    "SigningProtocol": str_of(c, "SigningProtocol"),
                    "SigningBehavior": str_of(c, "SigningBehavior"),
                    "OriginAccessControlOriginType": str_of(c, "OriginAccessControlOriginType"),
                })
            },
        );
        Ok(json!({ "OriginAccessControlList": list }))
    }
}
