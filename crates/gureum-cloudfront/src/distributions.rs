//! Distributions: create (with tags), get, get config, update under
//! `If-Match`, delete once disabled and deployed, and list by marker.

use crate::errors::CloudfrontError;
use crate::policies::{Kind, CACHE, ORIGIN_REQUEST, RESPONSE_HEADERS};
use crate::validate::{self, items};
use crate::{new_id, random_chars, secs, str_of, CloudfrontService, StoredDistribution};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde_json::json;

/// What `ListDistributions` answers per page when `MaxItems` is absent.
const DEFAULT_MAX_ITEMS: usize = 100;

/// The `Distribution` structure of `d` at `now_ms`.
pub fn distribution_value(d: &StoredDistribution, now_ms: i64, in_progress: usize) -> Value {
    json!({
        "Id": d.id,
        "ARN": d.arn(),
        "Status": d.status(now_ms),
        "LastModifiedTime": secs(d.modified_ms),
        "InProgressInvalidationBatches": in_progress,
        "DomainName": d.domain,
        "ActiveTrustedSigners": {"Enabled": false, "Quantity": 0},
        "ActiveTrustedKeyGroups": {"Enabled": false, "Quantity": 0},
        "DistributionConfig": d.config,
    })
}

/// The `DistributionSummary` of `d`.
fn summary(d: &StoredDistribution, now_ms: i64) -> Value {
    let mut s = json!({
        "Id": d.id,
        "ARN": d.arn(),
        "ETag": d.etag,
        "Status": d.status(now_ms),
        "LastModifiedTime": secs(d.modified_ms),
        "DomainName": d.domain,
    });
    for member in [
        "Aliases",
        "Origins",
        "OriginGroups",
        "DefaultCacheBehavior",
        "CacheBehaviors",
        "CustomErrorResponses",
        "Comment",
        "PriceClass",
        "Enabled",
        "ViewerCertificate",
        "Restrictions",
        "WebACLId",
        "HttpVersion",
        "IsIPV6Enabled",
        "Staging",
    ] {
        if let Some(v) = d.config.get(member) {
            s[member] = v.clone();
        }
    }
    s
}

/// The lower-case aliases of a configuration.
fn aliases_of(config: &Value) -> Vec<String> {
    items(config, "Aliases")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_ascii_lowercase)
        .collect()
}

impl CloudfrontService {
    /// Distribution `id` of the caller's account, read in `txn`.
    fn distribution_in(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<StoredDistribution, AwsError> {
        txn.get(&self.distributions, &format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| CloudfrontError::NoSuchDistribution.into())
    }

    /// Distribution `id` of the caller's account.
    pub(crate) fn distribution(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<StoredDistribution, AwsError> {
        self.distributions
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| CloudfrontError::NoSuchDistribution.into())
    }

    /// Checks the policies and origin access controls `config` names exist
    /// in `txn`, and that its aliases are free (or `owner`'s).
    fn check_references(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        config: &Value,
        owner: Option<&str>,
    ) -> Result<(), AwsError> {
        let behaviors = std::iter::once(config.get("DefaultCacheBehavior"))
            .flatten()
            .chain(items(config, "CacheBehaviors"));
        for b in behaviors {
            let kinds: [(&Kind, &str); 3] = [
                (&CACHE, "CachePolicyId"),
                (&ORIGIN_REQUEST, "OriginRequestPolicyId"),
                (&RESPONSE_HEADERS, "ResponseHeadersPolicyId"),
            ];
            for (kind, member) in kinds {
                let id = str_of(b, member);
                if !id.is_empty() && self.policy_in(txn, ctx, kind, id)?.is_none() {
                    return Err(kind.no_such());
                }
            }
        }
        for o in items(config, "Origins") {
            let id = str_of(o, "OriginAccessControlId");
            if !id.is_empty()
                && txn
                    .get(&self.oacs, &format!("{}/{id}", ctx.account_id))?
                    .is_none()
            {
                return Err(CloudfrontError::NoSuchOriginAccessControl.into());
            }
        }
        for alias in aliases_of(config) {
            if let Some(holder) = txn.get(&self.hosts, &alias)? {
                if Some(holder.as_str()) != owner {
                    return Err(CloudfrontError::CnameAlreadyExists.into());
                }
            }
        }
        Ok(())
    }

    /// Creates a distribution from a checked `config`; answers the
    /// `CreateDistributionResult` members.
    fn create(&self, ctx: &RequestContext, raw: &Value, tags: Vec<crate::tags::Tag>) -> OpResult {
        let mut config = validate::distribution_config(raw)?;
        crate::viewer_certificate::check(self, &mut config)?;
        let reference = str_of(&config, "CallerReference").to_string();
        let now = ctx.clock.now_millis();
        let stored = self
            .store
            .write(|txn| -> Result<StoredDistribution, AwsError> {
                let ref_key = format!("{}/{reference}", ctx.account_id);
                if let Some(existing) = txn.get(&self.caller_refs, &ref_key)? {
                    // The same request again answers the same distribution.
                    let d = self.distribution_in(txn, ctx, &existing)?;
                    if d.config == config {
                        return Ok(d);
                    }
                    return Err(CloudfrontError::DistributionAlreadyExists.into());
                }
                self.check_references(txn, ctx, &config, None)?;
                let d = StoredDistribution {
                    id: new_id('E'),
                    account: ctx.account_id.clone(),
                    domain: format!(
                        "d{}.cloudfront.net",
                        random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 13)
                    ),
                    config: config.clone(),
                    etag: new_id('E'),
                    modified_ms: now,
                };
                let key = format!("{}/{}", ctx.account_id, d.id);
                txn.put(&self.distributions, &key, &d)?;
                txn.put(&self.caller_refs, &ref_key, &d.id)?;
                for alias in aliases_of(&config) {
                    txn.put(&self.hosts, &alias, &key)?;
                }
                if !tags.is_empty() {
                    txn.put(&self.tags, &d.arn(), &tags)?;
                }
                Ok(d)
            })?;
        self.index.invalidate();
        Ok(json!({
            "Distribution": distribution_value(&stored, now, 0),
            "Location": format!("https://cloudfront.amazonaws.com/2020-05-31/distribution/{}", stored.id),
            "ETag": stored.etag,
        }))
    }

    /// `CreateDistribution`.
    pub(crate) fn create_distribution(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let config = input.get("DistributionConfig").cloned().unwrap_or_default();
        self.create(ctx, &config, Vec::new())
    }

    /// `CreateDistributionWithTags`.
    pub(crate) fn create_distribution_with_tags(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let with = input
            .get("DistributionConfigWithTags")
            .cloned()
            .unwrap_or_default();
        let tags = crate::tags::parse(with.get("Tags"))?;
        let config = with.get("DistributionConfig").cloned().unwrap_or_default();
        self.create(ctx, &config, tags)
    }

    /// `GetDistribution`.
    pub(crate) fn get_distribution(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let d = self.distribution(ctx, str_of(input, "Id"))?;
        let now = ctx.clock.now_millis();
        let pending = self.in_progress_invalidations(ctx, &d.id, now)?;
        Ok(json!({
            "Distribution": distribution_value(&d, now, pending),
            "ETag": d.etag,
        }))
    }

    /// `GetDistributionConfig`.
    pub(crate) fn get_distribution_config(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let d = self.distribution(ctx, str_of(&input, "Id"))?;
        Ok(json!({ "DistributionConfig": d.config, "ETag": d.etag }))
    }

    /// `UpdateDistribution`: the whole configuration replaced, under the
    /// current `If-Match`.
    pub(crate) fn update_distribution(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        let raw = input.get("DistributionConfig").cloned().unwrap_or_default();
        let now = ctx.clock.now_millis();
        let stored = self
            .store
            .write(|txn| -> Result<StoredDistribution, AwsError> {
                let mut d = self.distribution_in(txn, ctx, &id)?;
                crate::check_if_match(&if_match, &d.etag)?;
                let mut config = validate::distribution_config(&raw)?;
                crate::viewer_certificate::check(self, &mut config)?;
                if str_of(&config, "CallerReference") != str_of(&d.config, "CallerReference") {
                    return Err(CloudfrontError::IllegalUpdate {
                        message: "The CallerReference of a distribution cannot be changed.".into(),
                    }
                    .into());
                }
                let key = format!("{}/{id}", ctx.account_id);
                self.check_references(txn, ctx, &config, Some(&key))?;
                for alias in aliases_of(&d.config) {
                    txn.delete(&self.hosts, &alias)?;
                }
                for alias in aliases_of(&config) {
                    txn.put(&self.hosts, &alias, &key)?;
                }
                d.config = config;
                d.etag = new_id('E');
                d.modified_ms = now;
                txn.put(&self.distributions, &key, &d)?;
                Ok(d)
            })?;
        self.index.invalidate();
        let pending = self.in_progress_invalidations(ctx, &stored.id, now)?;
        Ok(json!({
            "Distribution": distribution_value(&stored, now, pending),
            "ETag": stored.etag,
        }))
    }

    /// `DeleteDistribution`: only a disabled, deployed distribution, under
    /// the current `If-Match`.
    pub(crate) fn delete_distribution(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_of(&input, "Id").to_string();
        let if_match = str_of(&input, "IfMatch").to_string();
        let now = ctx.clock.now_millis();
        let arn = self.store.write(|txn| -> Result<String, AwsError> {
            let d = self.distribution_in(txn, ctx, &id)?;
            crate::check_if_match(&if_match, &d.etag)?;
            if d.enabled() || d.status(now) != "Deployed" {
                return Err(CloudfrontError::DistributionNotDisabled.into());
            }
            let key = format!("{}/{id}", ctx.account_id);
            txn.delete(&self.distributions, &key)?;
            let reference = str_of(&d.config, "CallerReference");
            txn.delete(
                &self.caller_refs,
                &format!("{}/{reference}", ctx.account_id),
            )?;
            for alias in aliases_of(&d.config) {
                txn.delete(&self.hosts, &alias)?;
            }
            for (k, _) in txn.scan_prefix(&self.invalidations, &format!("{key}/"))? {
                txn.delete(&self.invalidations, &k)?;
            }
            txn.delete(&self.tags, &d.arn())?;
            Ok(d.arn())
        })?;
        let _ = arn;
        self.index.invalidate();
        self.cache.purge(&id, &["/*".to_string()]);
        Ok(json!({}))
    }

    /// `ListDistributions`: by id, after `Marker`.
    pub(crate) fn list_distributions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let marker = str_of(&input, "Marker").to_string();
        let max = max_items(&input)?;
        let now = ctx.clock.now_millis();
        let all = self
            .distributions
            .scan_prefix(&format!("{}/", ctx.account_id))?;
        let after: Vec<_> = all
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| marker.is_empty() || d.id > marker)
            .collect();
        let truncated = after.len() > max;
        let page: Vec<_> = after.into_iter().take(max).collect();
        let mut list = json!({
            "Marker": marker,
            "MaxItems": max,
            "IsTruncated": truncated,
            "Quantity": page.len(),
        });
        if !page.is_empty() {
            list["Items"] = json!(page.iter().map(|d| summary(d, now)).collect::<Vec<_>>());
        }
        if truncated {
            if let Some(last) = page.last() {
                list["NextMarker"] = json!(last.id);
            }
        }
        Ok(json!({ "DistributionList": list }))
    }
}

/// `MaxItems` of a list request (a string member in CloudFront's model).
pub(crate) fn max_items(input: &Value) -> Result<usize, AwsError> {
    match input.get("MaxItems").and_then(Value::as_str) {
        None => Ok(DEFAULT_MAX_ITEMS),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| crate::invalid("The value of MaxItems is not valid.")),
    }
}
