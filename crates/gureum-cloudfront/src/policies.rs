//! Cache, origin request and response headers policies: three families
//! of the same shape (`Id`, `LastModifiedTime`, `<Family>Config`), each
//! with AWS's managed policies ([`crate::managed`]) beside the account's
//! own, served by one set of operations over a [`Kind`].

use crate::errors::CloudfrontError;
use crate::managed::{self, MANAGED_MODIFIED_MS};
use crate::validate::items;
use crate::{new_id, secs, str_of, CloudfrontService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A customer policy as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// A UUID.
    pub id: String,
    /// The `<Family>Config`.
    pub config: Value,
    /// The current version.
    pub etag: String,
    /// When it was last written, on Gureum's clock.
    pub modified_ms: i64,
}

/// One family of policies.
pub struct Kind {
    /// `CachePolicy`, `OriginRequestPolicy`, `ResponseHeadersPolicy`.
    pub family: &'static str,
    /// The configuration member (`CachePolicyConfig`).
    config: &'static str,
    /// The behaviour member naming a policy of the family (and the URI
    /// member of `ListDistributionsBy<Family>Id`).
    pub behavior_member: &'static str,
    table: fn(&CloudfrontService) -> &Table<StoredPolicy>,
    managed: fn() -> Vec<(&'static str, Value)>,
    no_such: fn() -> CloudfrontError,
    exists: fn() -> CloudfrontError,
    in_use: fn() -> CloudfrontError,
    /// The URI segment (`cache-policy`) for `Location`.
    path: &'static str,
}

impl Kind {
    /// The family's not-found error.
    pub fn no_such(&self) -> AwsError {
        (self.no_such)().into()
    }
}

/// Cache policies.
pub const CACHE: Kind = Kind {
    family: "CachePolicy",
    config: "CachePolicyConfig",
    behavior_member: "CachePolicyId",
    table: |s| &s.cache_policies,
    managed: managed::cache_policies,
    no_such: || CloudfrontError::NoSuchCachePolicy,
    exists: || CloudfrontError::CachePolicyAlreadyExists,
    in_use: || CloudfrontError::CachePolicyInUse,
    path: "cache-policy",
};

/// Origin request policies.
pub const ORIGIN_REQUEST: Kind = Kind {
    family: "OriginRequestPolicy",
    config: "OriginRequestPolicyConfig",
    behavior_member: "OriginRequestPolicyId",
    table: |s| &s.origin_request_policies,
    managed: managed::origin_request_policies,
    no_such: || CloudfrontError::NoSuchOriginRequestPolicy,
    exists: || CloudfrontError::OriginRequestPolicyAlreadyExists,
    in_use: || CloudfrontError::OriginRequestPolicyInUse,
    path: "origin-request-policy",
};

/// Response headers policies.
pub const RESPONSE_HEADERS: Kind = Kind {
    family: "ResponseHeadersPolicy",
    config: "ResponseHeadersPolicyConfig",
    behavior_member: "ResponseHeadersPolicyId",
    table: |s| &s.response_headers_policies,
    managed: managed::response_headers_policies,
    no_such: || CloudfrontError::NoSuchResponseHeadersPolicy,
    exists: || CloudfrontError::ResponseHeadersPolicyAlreadyExists,
    in_use: || CloudfrontError::ResponseHeadersPolicyInUse,
    path: "response-headers-policy",
};

/// A managed policy's ETag: fixed, as managed policies never change.
const MANAGED_ETAG: &str = "E23ZP02F085DFQ";

fn managed_policy(kind: &Kind, id: &str) -> Option<StoredPolicy> {
    (kind.managed)()
        .into_iter()
        .find(|(m, _)| *m == id)
        .map(|(id, config)| StoredPolicy {
            id: id.to_string(),
            config,
            etag: MANAGED_ETAG.to_string(),
            modified_ms: MANAGED_MODIFIED_MS,
        })
}

fn new_uuid() -> String {
    let hex = crate::random_chars(b"0123456789abcdef", 32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn config_member(kind: &Kind) -> &'static str {
    kind.config
}

fn policy_value(kind: &Kind, p: &StoredPolicy) -> Value {
    json!({
        "Id": p.id,
        "LastModifiedTime": secs(p.modified_ms),
        config_member(kind): p.config,
    })
}

impl CloudfrontService {
    /// A policy of `kind` by id (managed or the caller's), read in `txn`.
    pub(crate) fn policy_in(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        kind: &Kind,
        id: &str,
    ) -> Result<Option<StoredPolicy>, AwsError> {
        if let Some(m) = managed_policy(kind, id) {
            return Ok(Some(m));
        }
        Ok(txn.get((kind.table)(self), &format!("{}/{id}", ctx.account_id))?)
    }

    /// A policy of `kind` by id for the edge (managed or `account`'s).
    pub(crate) fn policy_config(&self, account: &str, kind: &Kind, id: &str) -> Option<Value> {
        if let Some(m) = managed_policy(kind, id) {
            return Some(m.config);
        }
        (kind.table)(self)
            .get(&format!("{account}/{id}"))
            .ok()
            .flatten()
            .map(|p| p.config)
    }

    fn policy(
        &self,
        ctx: &RequestContext,
        kind: &Kind,
        id: &str,
    ) -> Result<StoredPolicy, AwsError> {
        if let Some(m) = managed_policy(kind, id) {
            return Ok(m);
        }
        (kind.table)(self)
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| kind.no_such())
    }

    fn name_taken(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        kind: &Kind,
        name: &str,
        except: &str,
    ) -> Result<bool, AwsError> {
        if (kind.managed)()
            .iter()
            .any(|(_, c)| str_of(c, "Name") == name)
        {
            return Ok(true);
        }
        Ok(txn
            .scan_prefix((kind.table)(self), &format!("{}/", ctx.account_id))?
            .iter()
            .any(|(_, p)| p.id != except && str_of(&p.config, "Name") == name))
    }

    fn create_policy(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let config = input.get(config_member(kind)).cloned().unwrap_or_default();
        check_policy_config(kind, &config)?;
        let name = str_of(&config, "Name").to_string();
        let p = StoredPolicy {
            id: new_uuid(),
            config,
            etag: new_id('E'),
            modified_ms: ctx.clock.now_millis(),
        };
        self.store.write(|txn| -> Result<(), AwsError> {
            if self.name_taken(txn, ctx, kind, &name, "")? {
                return Err((kind.exists)().into());
            }
            txn.put(
                (kind.table)(self),
                &format!("{}/{}", ctx.account_id, p.id),
                &p,
            )?;
            Ok(())
        })?;
        Ok(json!({
            kind.family: policy_value(kind, &p),
            "Location": format!("https://cloudfront.amazonaws.com/2020-05-31/{}/{}", kind.path, p.id),
            "ETag": p.etag,
        }))
    }

    fn get_policy(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let p = self.policy(ctx, kind, str_of(input, "Id"))?;
        Ok(json!({ kind.family: policy_value(kind, &p), "ETag": p.etag }))
    }

    fn get_policy_config(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let p = self.policy(ctx, kind, str_of(input, "Id"))?;
        Ok(json!({ config_member(kind): p.config, "ETag": p.etag }))
    }

    fn update_policy(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let id = str_of(input, "Id").to_string();
        let if_match = str_of(input, "IfMatch").to_string();
        let config = input.get(config_member(kind)).cloned().unwrap_or_default();
        if managed_policy(kind, &id).is_some() {
            return Err(CloudfrontError::IllegalDelete.into());
        }
        let now = ctx.clock.now_millis();
        let p = self.store.write(|txn| -> Result<StoredPolicy, AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let mut p = txn
                .get((kind.table)(self), &key)?
                .ok_or_else(|| kind.no_such())?;
            crate::check_if_match(&if_match, &p.etag)?;
            check_policy_config(kind, &config)?;
            if self.name_taken(txn, ctx, kind, str_of(&config, "Name"), &id)? {
                return Err((kind.exists)().into());
            }
            p.config = config.clone();
            p.etag = new_id('E');
            p.modified_ms = now;
            txn.put((kind.table)(self), &key, &p)?;
            Ok(p)
        })?;
        // Distributions using the policy now key and expire by the new one.
        self.index.invalidate();
        Ok(json!({ kind.family: policy_value(kind, &p), "ETag": p.etag }))
    }

    fn delete_policy(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let id = str_of(input, "Id").to_string();
        let if_match = str_of(input, "IfMatch").to_string();
        if managed_policy(kind, &id).is_some() {
            return Err(CloudfrontError::IllegalDelete.into());
        }
        self.store.write(|txn| -> Result<(), AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let p = txn
                .get((kind.table)(self), &key)?
                .ok_or_else(|| kind.no_such())?;
            crate::check_if_match(&if_match, &p.etag)?;
            let used = txn
                .scan_prefix(&self.distributions, &format!("{}/", ctx.account_id))?
                .iter()
                .any(|(_, d)| {
                    std::iter::once(d.config.get("DefaultCacheBehavior"))
                        .flatten()
                        .chain(items(&d.config, "CacheBehaviors"))
                        .any(|b| str_of(b, kind.behavior_member) == id)
                });
            if used {
                return Err((kind.in_use)().into());
            }
            txn.delete((kind.table)(self), &key)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListDistributionsBy<Family>Id`: the ids of the caller's
    /// distributions with a behaviour naming the policy.
    fn distributions_using(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let id = str_of(input, kind.behavior_member).to_string();
        self.policy(ctx, kind, &id)?;
        let marker = str_of(input, "Marker").to_string();
        let max = crate::distributions::max_items(input)?;
        let ids: Vec<String> = self
            .distributions
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| marker.is_empty() || d.id > marker)
            .filter(|d| {
                std::iter::once(d.config.get("DefaultCacheBehavior"))
                    .flatten()
                    .chain(items(&d.config, "CacheBehaviors"))
                    .any(|b| str_of(b, kind.behavior_member) == id)
            })
            .map(|d| d.id)
            .collect();
        let list = crate::paging::marker_list(&marker, max, &ids, String::clone, |d| json!(d));
        Ok(json!({ "DistributionIdList": list }))
    }

    fn list_policies(&self, ctx: &RequestContext, kind: &Kind, input: &Value) -> OpResult {
        let wanted = str_of(input, "Type");
        let marker = str_of(input, "Marker");
        let max = crate::distributions::max_items(input)?;
        let mut all: Vec<(&str, StoredPolicy)> = Vec::new();
        if wanted.is_empty() || wanted == "managed" {
            for (id, _) in (kind.managed)() {
                all.extend(managed_policy(kind, id).map(|p| ("managed", p)));
            }
        }
        if wanted.is_empty() || wanted == "custom" {
            for (_, p) in (kind.table)(self).scan_prefix(&format!("{}/", ctx.account_id))? {
                all.push(("custom", p));
            }
        }
        let start = if marker.is_empty() {
            0
        } else {
            all.iter()
                .position(|(_, p)| p.id == marker)
                .map_or(0, |i| i + 1)
        };
        let rest = &all[start.min(all.len())..];
        let page = &rest[..rest.len().min(max)];
        let mut list = json!({ "MaxItems": max, "Quantity": page.len() });
        if !page.is_empty() {
            list["Items"] = json!(page
                .iter()
                .map(|(t, p)| json!({"Type": t, kind.family: policy_value(kind, p)}))
                .collect::<Vec<_>>());
        }
        if rest.len() > max {
            list["NextMarker"] = json!(page.last().map(|(_, p)| p.id.clone()));
        }
        Ok(json!({ format!("{}List", kind.family): list }))
    }
}

/// A policy configuration's checks: a name, and for cache policies TTLs
/// in order.
fn check_policy_config(kind: &Kind, config: &Value) -> Result<(), AwsError> {
    if str_of(config, "Name").is_empty() {
        return Err(crate::invalid("The policy name is missing."));
    }
    if kind.family == "CachePolicy" {
        let min = config.get("MinTTL").and_then(Value::as_i64).unwrap_or(0);
        let default = config
            .get("DefaultTTL")
            .and_then(Value::as_i64)
            .unwrap_or(86_400.max(min));
        let max = config
            .get("MaxTTL")
            .and_then(Value::as_i64)
            .unwrap_or(31_536_000.max(default));
        if !(min <= default && default <= max) {
            return Err(CloudfrontError::InvalidTtlOrder.into());
        }
    }
    Ok(())
}

/// One method per operation, each over its family.
macro_rules! family_ops {
    ($kind:expr, $create:ident, $get:ident, $get_config:ident, $update:ident, $delete:ident, $list:ident, $by:ident) => {
        impl CloudfrontService {
            #[doc = concat!("`", stringify!($by), "`.")]
            pub(crate) fn $by(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.distributions_using(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($create), "`.")]
            pub(crate) fn $create(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.create_policy(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($get), "`.")]
            pub(crate) fn $get(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.get_policy(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($get_config), "`.")]
            pub(crate) fn $get_config(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.get_policy_config(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($update), "`.")]
            pub(crate) fn $update(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.update_policy(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($delete), "`.")]
            pub(crate) fn $delete(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.delete_policy(ctx, &$kind, &input)
            }
            #[doc = concat!("`", stringify!($list), "`.")]
            pub(crate) fn $list(&self, ctx: &RequestContext, input: Value) -> OpResult {
                self.list_policies(ctx, &$kind, &input)
            }
        }
    };
}

family_ops!(
    CACHE,
    create_cache_policy,
    get_cache_policy,
    get_cache_policy_config,
    update_cache_policy,
    delete_cache_policy,
    list_cache_policies,
    list_distributions_by_cache_policy_id
);
family_ops!(
    ORIGIN_REQUEST,
    create_origin_request_policy,
    get_origin_request_policy,
    get_origin_request_policy_config,
    update_origin_request_policy,
    delete_origin_request_policy,
    list_origin_request_policies,
    list_distributions_by_origin_request_policy_id
);
family_ops!(
    RESPONSE_HEADERS,
    create_response_headers_policy,
    get_response_headers_policy,
    get_response_headers_policy_config,
    update_response_headers_policy,
    delete_response_headers_policy,
    list_response_headers_policies,
    list_distributions_by_response_headers_policy_id
);
