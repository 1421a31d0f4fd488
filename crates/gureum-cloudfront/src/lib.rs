//! Amazon CloudFront (rest-xml, global): distributions, invalidations,
//! cache / origin request / response headers policies, origin access
//! controls and tags, plus what the edge (`gureum-server`'s
//! `cloudfront_edge.rs`) serves from: an index of distributions by host
//! ([`edge::EdgeIndex`]) and a bounded cache of origin answers
//! ([`cache::EdgeCache`]) that invalidations purge.
//!
//! Tables (keys start with the account, CloudFront being global):
//!
//! | table | key | value |
//! |---|---|---|
//! | `cloudfront.distributions` | `account/ID` | [`StoredDistribution`] |
//! | `cloudfront.caller_refs` | `account/caller-reference` | distribution id |
//! | `cloudfront.hosts` | lower-case alias | `account/ID` (aliases are unique across accounts, as in AWS) |
//! | `cloudfront.invalidations` | `account/DIST/ID` | [`invalidations::StoredInvalidation`] |
//! | `cloudfront.cache_policies`, `cloudfront.origin_request_policies`, `cloudfront.response_headers_policies` | `account/ID` | [`policies::StoredPolicy`] |
//! | `cloudfront.oacs` | `account/ID` | [`oac::StoredOac`] |
//! | `cloudfront.oais` | `account/ID` | [`oai::StoredOai`] |
//! | `cloudfront.tags` | ARN | [`tags::Tag`]s |
//!
//! Status `InProgress` turns `Deployed` (and invalidations `Completed`) once
//! Gureum's clock passes [`DEPLOY_MS`] after the write, read lazily: there
//! is no fleet of edge servers to wait for.

pub mod cache;
pub mod compress;
pub mod distributions;
pub mod edge;
pub mod errors;
pub mod invalidations;
pub mod managed;
pub mod metrics;
pub mod oac;
pub mod oai;
mod paging;
pub mod policies;
pub mod tags;
mod validate;
mod viewer_certificate;

pub use errors::CloudfrontError;

use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a write stays `InProgress` on Gureum's clock.
pub const DEPLOY_MS: i64 = 2_000;

/// A distribution as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredDistribution {
    /// `E…` (14 characters).
    pub id: String,
    /// The owning account.
    pub account: String,
    /// `dxxxxxxxxxxxxx.cloudfront.net`.
    pub domain: String,
    /// The `DistributionConfig` as last written (defaults filled in).
    pub config: Value,
    /// The current version (`ETag`).
    pub etag: String,
    /// When it was last written, on Gureum's clock.
    pub modified_ms: i64,
}

impl StoredDistribution {
    /// `arn:aws:cloudfront::ACCOUNT:distribution/ID`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:cloudfront::{}:distribution/{}",
            self.account, self.id
        )
    }

    /// `InProgress` until [`DEPLOY_MS`] after the last write, then `Deployed`.
    pub fn status(&self, now_ms: i64) -> &'static str {
        if now_ms >= self.modified_ms + DEPLOY_MS {
            "Deployed"
        } else {
            "InProgress"
        }
    }

    /// Whether `Enabled` is true.
    pub fn enabled(&self) -> bool {
        self.config
            .get("Enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The aliases, as given.
    pub fn aliases(&self) -> Vec<String> {
        validate::items(&self.config, "Aliases")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }
}

/// The CloudFront service.
pub struct CloudfrontService {
    pub(crate) store: Store,
    pub(crate) distributions: Table<StoredDistribution>,
    pub(crate) caller_refs: Table<String>,
    pub(crate) hosts: Table<String>,
    pub(crate) invalidations: Table<invalidations::StoredInvalidation>,
    pub(crate) cache_policies: Table<policies::StoredPolicy>,
    pub(crate) origin_request_policies: Table<policies::StoredPolicy>,
    pub(crate) response_headers_policies: Table<policies::StoredPolicy>,
    pub(crate) oacs: Table<oac::StoredOac>,
    pub(crate) oais: Table<oai::StoredOai>,
    pub(crate) tags: Table<Vec<tags::Tag>>,
    /// What the edge serves from, rebuilt after a write.
    pub(crate) index: Arc<edge::EdgeIndex>,
    /// Origin answers kept by the edge.
    pub(crate) cache: Arc<cache::EdgeCache>,
    /// The edge's request counts, emitted to CloudWatch each minute.
    pub(crate) metrics: metrics::EdgeMetrics,
    /// Where the edge serves HTTPS, once it does.
    pub(crate) https_endpoint: std::sync::OnceLock<std::net::SocketAddr>,
    /// ACM, for viewer certificates (set by the server after building).
    pub(crate) certificates:
        parking_lot::RwLock<Arc<dyn gureum_kit::certificates::CertificateSource>>,
}

impl CloudfrontService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        CloudfrontService {
            distributions: store.table("cloudfront.distributions"),
            caller_refs: store.table("cloudfront.caller_refs"),
            hosts: store.table("cloudfront.hosts"),
            invalidations: store.table("cloudfront.invalidations"),
            cache_policies: store.table("cloudfront.cache_policies"),
            origin_request_policies: store.table("cloudfront.origin_request_policies"),
            response_headers_policies: store.table("cloudfront.response_headers_policies"),
            oacs: store.table("cloudfront.oacs"),
            oais: store.table("cloudfront.oais"),
            tags: store.table("cloudfront.tags"),
            index: Arc::new(edge::EdgeIndex::default()),
            cache: Arc::new(cache::EdgeCache::new(cache::DEFAULT_CAPACITY)),
            metrics: metrics::EdgeMetrics::default(),
            https_endpoint: std::sync::OnceLock::new(),
            certificates: parking_lot::RwLock::new(Arc::new(
                gureum_kit::certificates::NoCertificates,
            )),
            store,
        }
    }

    /// The distribution a viewer's `Host` names (`ID.cloudfront.localhost`,
    /// `dxxxx.cloudfront.net`, an alias), with its behaviours resolved.
    pub fn edge_for_host(&self, host: &str) -> Option<Arc<edge::EdgeDistribution>> {
        self.index.lookup(self, host)
    }

    /// Records where the edge serves HTTPS (the server's TLS port).
    pub fn set_https_endpoint(&self, addr: std::net::SocketAddr) {
        let _ = self.https_endpoint.set(addr);
    }

    /// Where the edge serves HTTPS, once it does.
    pub fn https_endpoint(&self) -> Option<std::net::SocketAddr> {
        self.https_endpoint.get().copied()
    }

    /// Reads viewer certificates from `source` (ACM).
    pub fn set_certificates(&self, source: Arc<dyn gureum_kit::certificates::CertificateSource>) {
        *self.certificates.write() = source;
    }

    /// The viewer certificate `arn` names, if it is issued.
    pub fn viewer_certificate(
        &self,
        arn: &str,
    ) -> Option<gureum_kit::certificates::ServerCertificate> {
        match self.certificates.read().certificate(arn) {
            gureum_kit::certificates::Lookup::Ready(c) => Some(c),
            _ => None,
        }
    }

    /// The edge's cache.
    pub fn edge_cache(&self) -> &cache::EdgeCache {
        &self.cache
    }

    /// Forgets in-memory state after the store was cleared or replaced.
    fn reset_memory(&self) {
        self.index.invalidate();
        self.cache.clear();
    }
}

/// An `InvalidArgument` error.
pub(crate) fn invalid(message: impl Into<String>) -> gureum_core::AwsError {
    CloudfrontError::InvalidArgument {
        message: message.into(),
    }
    .into()
}

/// `len` random characters of `alphabet`.
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// An id in CloudFront's shape: a letter and 13 upper-case letters and
/// digits (`E2QWRUHAPOMQZL`); ETags look the same.
pub(crate) fn new_id(prefix: char) -> String {
    format!(
        "{prefix}{}",
        random_chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13)
    )
}

/// Epoch seconds for a timestamp member.
pub(crate) fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// The string member `name` of `input`.
pub(crate) fn str_of<'a>(input: &'a Value, name: &str) -> &'a str {
    input.get(name).and_then(Value::as_str).unwrap_or_default()
}

impl CloudfrontService {
    fn get_distribution_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.get_distribution(ctx, &input)
    }
}

gureum_core::service_operations! {
    CloudfrontService, "cloudfront",
    reset = reset_memory,
    "CreateDistribution" => create_distribution,
    "CreateDistributionWithTags" => create_distribution_with_tags,
    "GetDistribution" => get_distribution_op,
    "GetDistributionConfig" => get_distribution_config,
    "UpdateDistribution" => update_distribution,
    "DeleteDistribution" => delete_distribution,
    "ListDistributions" => list_distributions,
    "CreateInvalidation" => create_invalidation,
    "GetInvalidation" => get_invalidation,
    "ListInvalidations" => list_invalidations,
    "CreateCachePolicy" => create_cache_policy,
    "GetCachePolicy" => get_cache_policy,
    "GetCachePolicyConfig" => get_cache_policy_config,
    "UpdateCachePolicy" => update_cache_policy,
    "DeleteCachePolicy" => delete_cache_policy,
    "ListCachePolicies" => list_cache_policies,
    "CreateOriginRequestPolicy" => create_origin_request_policy,
    "GetOriginRequestPolicy" => get_origin_request_policy,
    "GetOriginRequestPolicyConfig" => get_origin_request_policy_config,
    "UpdateOriginRequestPolicy" => update_origin_request_policy,
    "DeleteOriginRequestPolicy" => delete_origin_request_policy,
    "ListOriginRequestPolicies" => list_origin_request_policies,
    "CreateResponseHeadersPolicy" => create_response_headers_policy,
    "GetResponseHeadersPolicy" => get_response_headers_policy,
    "GetResponseHeadersPolicyConfig" => get_response_headers_policy_config,
    "UpdateResponseHeadersPolicy" => update_response_headers_policy,
    "DeleteResponseHeadersPolicy" => delete_response_headers_policy,
    "ListResponseHeadersPolicies" => list_response_headers_policies,
    "CreateOriginAccessControl" => create_origin_access_control,
    "GetOriginAccessControl" => get_origin_access_control,
    "GetOriginAccessControlConfig" => get_origin_access_control_config,
    "DeleteOriginAccessControl" => delete_origin_access_control,
    "ListOriginAccessControls" => list_origin_access_controls,
    "UpdateOriginAccessControl" => update_origin_access_control,
    "CreateCloudFrontOriginAccessIdentity" => create_cloud_front_origin_access_identity,
    "GetCloudFrontOriginAccessIdentity" => get_cloud_front_origin_access_identity,
    "GetCloudFrontOriginAccessIdentityConfig" => get_cloud_front_origin_access_identity_config,
    "UpdateCloudFrontOriginAccessIdentity" => update_cloud_front_origin_access_identity,
    "DeleteCloudFrontOriginAccessIdentity" => delete_cloud_front_origin_access_identity,
    "ListCloudFrontOriginAccessIdentities" => list_cloud_front_origin_access_identities,
    "ListDistributionsByCachePolicyId" => list_distributions_by_cache_policy_id,
    "ListDistributionsByOriginRequestPolicyId" => list_distributions_by_origin_request_policy_id,
    "ListDistributionsByResponseHeadersPolicyId" => list_distributions_by_response_headers_policy_id,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
}

/// CloudFront's optimistic concurrency: an update or delete must name the
/// resource's current `ETag` in `IfMatch` (`InvalidIfMatchVersion` when
/// missing, `PreconditionFailed` when stale).
pub(crate) fn check_if_match(if_match: &str, etag: &str) -> Result<(), AwsError> {
    if if_match.is_empty() {
        return Err(CloudfrontError::InvalidIfMatchVersion.into());
    }
    if if_match != etag {
        return Err(CloudfrontError::PreconditionFailed.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
