//! Route 53's alias targets (`gureum_kit::dns_targets::AliasTargets`)
//! over the services that own them:
//!
//! - load balancers (ELBv2): found by DNS name, region and kind; healthy
//!   while a target takes traffic. Their address is 127.0.0.1: every
//!   listener listens on a loopback port of this host (the interfaces ELB
//!   makes in the VPC carry no traffic), and Gureum's main port reaches
//!   them by `Host` too;
//! - CloudFront distributions (`dxxxx.cloudfront.net`): 127.0.0.1, where
//!   the main port serves the edge by `Host`;
//! - S3 website endpoints (`s3-website-REGION.amazonaws.com`, the bucket
//!   being the record's name as AWS requires): 127.0.0.1, where the main
//!   port serves websites by `Host`.

use gureum_kit::dns_targets::{AliasTargets, ResolvedTarget, TargetKind};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// The seam over ELBv2 and CloudFront.
pub fn build(
    elbv2: &Arc<gureum_elbv2::Elbv2Service>,
    cloudfront: &Arc<gureum_cloudfront::CloudfrontService>,
) -> Arc<dyn AliasTargets> {
    Arc::new(ServiceTargets {
        elbv2: elbv2.clone(),
        cloudfront: cloudfront.clone(),
    })
}

struct ServiceTargets {
    elbv2: Arc<gureum_elbv2::Elbv2Service>,
    cloudfront: Arc<gureum_cloudfront::CloudfrontService>,
}

/// A target on this host's loopback address.
fn on_loopback(healthy: bool) -> ResolvedTarget {
    ResolvedTarget {
        addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        healthy,
    }
}

impl AliasTargets for ServiceTargets {
    fn resolve(
        &self,
        kind: TargetKind,
        region: Option<&str>,
        name: &str,
    ) -> Option<ResolvedTarget> {
        match kind {
            TargetKind::ApplicationLoadBalancer | TargetKind::NetworkLoadBalancer => {
                let network = kind == TargetKind::NetworkLoadBalancer;
                let healthy = self.elbv2.alias_target(region?, network, name)?;
                Some(on_loopback(healthy))
            }
            TargetKind::CloudFront => {
                let is_domain =
                    name.ends_with(".cloudfront.net") || name.ends_with(".cloudfront.localhost");
                (is_domain && self.cloudfront.edge_for_host(name).is_some())
                    .then(|| on_loopback(true))
            }
            TargetKind::S3Website => website_endpoint_of(name, region?).then(|| on_loopback(true)),
        }
    }
}

/// The bucket a viewer's `Host` names when it is the bucket's own name
/// and the bucket has a website: how a Route 53 alias to an S3 website
/// endpoint is reached (AWS requires the bucket to be named as the
/// record). Only dotted names that are not addresses are looked up.
pub(crate) fn website_bucket_named(s3: &gureum_s3::S3Service, host: &str) -> Option<String> {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let name = name.to_ascii_lowercase();
    if !name.contains('.') || name.parse::<IpAddr>().is_ok() || name.ends_with(".localhost") {
        return None;
    }
    matches!(s3.website(&name), Ok(Some(_))).then_some(name)
}

/// Whether `name` is `region`'s S3 website endpoint
/// (`s3-website-REGION.amazonaws.com` or `s3-website.REGION.amazonaws.com`,
/// optionally after a bucket name; `.localhost` for `.amazonaws.com`).
fn website_endpoint_of(name: &str, region: &str) -> bool {
    let Some(idx) = name.find("s3-website") else {
        return false;
    };
    if idx > 0 && !name[..idx].ends_with('.') {
        return false;
    }
    let rest = &name[idx + "s3-website".len()..];
    let Some(rest) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('.')) else {
        return false;
    };
    [".amazonaws.com", ".localhost"]
        .iter()
        .any(|suffix| rest.strip_suffix(suffix) == Some(region))
}

#[cfg(test)]
mod tests {
    use super::website_endpoint_of;

    #[test]
    fn website_endpoints_name_their_region_in_either_form() {
        assert!(website_endpoint_of(
            "s3-website-us-east-1.amazonaws.com",
            "us-east-1"
        ));
        assert!(website_endpoint_of(
            "s3-website.eu-west-1.amazonaws.com",
            "eu-west-1"
        ));
        assert!(website_endpoint_of(
            "www.example.com.s3-website-us-east-1.localhost",
            "us-east-1"
        ));
        assert!(!website_endpoint_of(
            "s3-website-us-east-1.amazonaws.com",
            "eu-west-1"
        ));
        assert!(!website_endpoints_like(
            "mys3-website-us-east-1.amazonaws.com"
        ));
        assert!(!website_endpoint_of(
            "s3.us-east-1.amazonaws.com",
            "us-east-1"
        ));
    }

    fn website_endpoints_like(name: &str) -> bool {
        website_endpoint_of(name, "us-east-1")
    }
}
