//! The seam between Route 53 and the services whose resources an alias
//! record can target (ELB load balancers, CloudFront distributions, S3
//! website endpoints): Route 53 asks [`AliasTargets`] which addresses a
//! resource's DNS name has and whether it is healthy, and never sees the
//! other services' tables. The canonical hosted zones AWS publishes for
//! those services (its endpoint table) live here too, so ELB's
//! `CanonicalHostedZoneId` and Route 53's alias validation agree.

use std::net::IpAddr;

/// CloudFront's hosted zone, the same in every region (and API Gateway's
/// edge-optimized names').
pub const CLOUDFRONT_ZONE: &str = "Z2FDTNDATAQYW2";

/// The kind of AWS resource an alias targets, by its canonical zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// An Application Load Balancer (or Classic) of a region.
    ApplicationLoadBalancer,
    /// A Network Load Balancer of a region.
    NetworkLoadBalancer,
    /// A CloudFront distribution.
    CloudFront,
    /// An S3 website endpoint of a region.
    S3Website,
}

/// One canonical zone: `(region, ALB zone, NLB zone, S3 website zone)`.
type RegionZones = (&'static str, &'static str, &'static str, &'static str);

/// AWS's canonical hosted zones by region (its service endpoint table).
const ZONES: [RegionZones; 16] = [
    (
        "us-east-1",
        "Z35SXDOTRQ7X7K",
        "Z26RNL4JYFTOTI",
        "Z3AQBSTGFYJSTF",
    ),
    (
        "us-east-2",
        "Z3AADJGX6KTTL2",
        "ZLMOA37VPKANP",
        "Z2O1EMRO9K5GLX",
    ),
    (
        "us-west-1",
        "Z368ELLRRE2KJ0",
        "Z24FKFUX50B4VW",
        "Z2F56UZL2M1ACD",
    ),
    (
        "us-west-2",
        "Z1H1FL5HABSF5",
        "Z18D5FSROUN65G",
        "Z3BJ6K6RIION7M",
    ),
    (
        "ca-central-1",
        "ZQSVJUPU6J1EY",
        "Z2EPGBW3API2WT",
        "Z1QDHH18159H29",
    ),
    (
        "eu-west-1",
        "Z32O12XQLNTSW2",
        "Z2IFOLAFXWLO4F",
        "Z1BKCTXD74EZPE",
    ),
    (
        "eu-west-2",
        "ZHURV8PSTC4K8",
        "ZD4D7Y8KGAS4G",
        "Z3GKZC51ZF0DB4",
    ),
    (
        "eu-west-3",
        "Z3Q77PNBQS71R4",
        "Z1CMS0P5QUZ6D5",
        "Z3R1K369G5AVDG",
    ),
    (
        "eu-central-1",
        "Z215JYRZR1TBD5",
        "Z3F0SRJ5LGBH90",
        "Z21DNDUVLTQW6Q",
    ),
    (
        "eu-north-1",
        "Z23TAZ7LKNCXP5",
        "Z1UDT6IFJ4EJM",
        "Z3BAZG2TWCNX0D",
    ),
    (
        "ap-northeast-1",
        "Z14GRHDCWA56QT",
        "Z31USIVHYNEOWT",
        "Z2M4EHUR26P7ZW",
    ),
    (
        "ap-northeast-2",
        "ZWKZPGTI48KDX",
        "ZIBE1TIR4HY56",
        "Z3W03O7B5YMIYP",
    ),
    (
        "ap-southeast-1",
        "Z1LMS91P8CMLE5",
        "ZKVM4W9LS7TM",
        "Z3O0J2DXBE1FTB",
    ),
    (
        "ap-southeast-2",
        "Z1GM3OXH4ZPM65",
        "ZCT6FZBF4DROD",
        "Z1WCIGYICN2BYD",
    ),
    (
        "ap-south-1",
        "ZP97RAFLXTNZK",
        "ZVDDRBQ08TROA",
        "Z11RGJOFQNVJUP",
    ),
    (
        "sa-east-1",
        "Z2P70J7HTTTPLU",
        "ZTK26PT1VY4CU",
        "Z7KQH4QJS55SO",
    ),
];

/// The canonical hosted zone of a load balancer in `region` (an NLB's
/// when `network`); regions outside the table get us-east-1's.
pub fn load_balancer_zone(region: &str, network: bool) -> &'static str {
    let row = ZONES.iter().find(|z| z.0 == region).unwrap_or(&ZONES[0]);
    if network {
        row.2
    } else {
        row.1
    }
}

/// What a canonical hosted zone id is: the service and, for regional
/// ones, the region. `None` for any other id (a hosted zone of Route 53's
/// own, or a service Gureum does not resolve).
pub fn canonical_zone(zone_id: &str) -> Option<(TargetKind, Option<&'static str>)> {
    if zone_id == CLOUDFRONT_ZONE {
        return Some((TargetKind::CloudFront, None));
    }
    ZONES.iter().find_map(|&(region, alb, nlb, website)| {
        let kind = if zone_id == alb {
            TargetKind::ApplicationLoadBalancer
        } else if zone_id == nlb {
            TargetKind::NetworkLoadBalancer
        } else if zone_id == website {
            TargetKind::S3Website
        } else {
            return None;
        };
        Some((kind, Some(region)))
    })
}

/// A resource an alias reaches.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedTarget {
    /// The addresses a client connects to (IPv4 and IPv6).
    pub addresses: Vec<IpAddr>,
    /// Whether it can take traffic (for `EvaluateTargetHealth`).
    pub healthy: bool,
}

/// The services an alias can target, as Route 53 reads them.
pub trait AliasTargets: Send + Sync {
    /// The resource of `kind` (in `region` for regional kinds) whose DNS
    /// name is `name` (lower-case, no trailing dot, without a
    /// `dualstack.` prefix); `None` when there is none.
    fn resolve(&self, kind: TargetKind, region: Option<&str>, name: &str)
        -> Option<ResolvedTarget>;
}

/// No other service: no alias target exists.
pub struct NoAliasTargets;

impl AliasTargets for NoAliasTargets {
    fn resolve(
        &self,
        _kind: TargetKind,
        _region: Option<&str>,
        _name: &str,
    ) -> Option<ResolvedTarget> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_zones_name_their_service_and_region() {
        assert_eq!(
            canonical_zone("Z35SXDOTRQ7X7K"),
            Some((TargetKind::ApplicationLoadBalancer, Some("us-east-1")))
        );
        assert_eq!(
            canonical_zone("Z26RNL4JYFTOTI"),
            Some((TargetKind::NetworkLoadBalancer, Some("us-east-1")))
        );
        assert_eq!(
            canonical_zone("Z1BKCTXD74EZPE"),
            Some((TargetKind::S3Website, Some("eu-west-1")))
        );
        assert_eq!(
            canonical_zone(CLOUDFRONT_ZONE),
            Some((TargetKind::CloudFront, None))
        );
        assert_eq!(canonical_zone("Z0123456789ABC"), None);
    }

    #[test]
    fn load_balancer_zones_follow_the_region_and_kind() {
        assert_eq!(load_balancer_zone("us-west-2", false), "Z1H1FL5HABSF5");
        assert_eq!(load_balancer_zone("us-west-2", true), "Z18D5FSROUN65G");
        assert_eq!(load_balancer_zone("xx-nowhere-1", false), "Z35SXDOTRQ7X7K");
    }
}
