//! Aliases to other services' resources (ELB, CloudFront, S3 website):
//! an alias whose `HostedZoneId` is one of AWS's canonical zones names a
//! resource of that service, which Route 53 finds through the
//! [`AliasTargets`] seam — when the record is written (a target that does
//! not exist is refused, as AWS does) and when it is answered (the
//! resource's addresses, and its health for `EvaluateTargetHealth`).

use gureum_dns::wire::{RData, Record, RecordType};
use gureum_kit::dns_targets::{canonical_zone, AliasTargets, ResolvedTarget};

/// The TTL of answers from another service's resource (AWS answers
/// aliases with the target's TTL; Gureum's own names use 60 s).
const TARGET_TTL: u32 = 60;

/// A target's DNS name as the services know it: lower-case, without the
/// trailing dot or the `dualstack.` prefix ELB names take for IPv6.
pub(crate) fn target_name(dns_name: &str) -> String {
    let name = dns_name.trim_end_matches('.').to_ascii_lowercase();
    match name.strip_prefix("dualstack.") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

/// The resource an alias through canonical zone `zone_id` reaches:
/// `None` when `zone_id` is no service's canonical zone (a hosted zone,
/// or a service Gureum does not resolve), `Some(None)` when the service
/// has no such resource.
pub(crate) fn resolve(
    targets: &dyn AliasTargets,
    zone_id: &str,
    dns_name: &str,
) -> Option<Option<ResolvedTarget>> {
    let (kind, region) = canonical_zone(zone_id)?;
    Some(targets.resolve(kind, region, &target_name(dns_name)))
}

/// A resolved target's addresses of `rtype` (A or AAAA), named `owner`.
pub(crate) fn records(target: &ResolvedTarget, owner: &str, rtype: u16) -> Vec<Record> {
    target
        .addresses
        .iter()
        .filter_map(|ip| match (ip, rtype) {
            (std::net::IpAddr::V4(v4), RecordType::A) => Some(RData::A(*v4)),
            (std::net::IpAddr::V6(v6), RecordType::AAAA) => Some(RData::Aaaa(*v6)),
            _ => None,
        })
        .map(|data| Record {
            name: owner.to_string(),
            rtype,
            ttl: TARGET_TTL,
            data,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_kit::dns_targets::TargetKind;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    struct OneBalancer;

    impl AliasTargets for OneBalancer {
        fn resolve(
            &self,
            kind: TargetKind,
            region: Option<&str>,
            name: &str,
        ) -> Option<ResolvedTarget> {
            (kind == TargetKind::ApplicationLoadBalancer
                && region == Some("us-east-1")
                && name == "web-1.us-east-1.elb.localhost")
                .then(|| ResolvedTarget {
                    addresses: vec![
                        IpAddr::V4(Ipv4Addr::LOCALHOST),
                        IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ],
                    healthy: true,
                })
        }
    }

    #[test]
    fn dualstack_prefix_case_and_trailing_dot_do_not_change_the_target() {
        assert_eq!(
            target_name("DualStack.Web-1.us-east-1.elb.localhost."),
            "web-1.us-east-1.elb.localhost"
        );
    }

    #[test]
    fn only_canonical_zones_resolve_through_the_services() {
        assert_eq!(
            resolve(
                &OneBalancer,
                "Z0000000000001",
                "web-1.us-east-1.elb.localhost."
            ),
            None
        );
        assert_eq!(
            resolve(
                &OneBalancer,
                "Z35SXDOTRQ7X7K",
                "other.us-east-1.elb.localhost."
            ),
            Some(None)
        );
        // The NLB zone does not reach an ALB.
        assert_eq!(
            resolve(
                &OneBalancer,
                "Z26RNL4JYFTOTI",
                "web-1.us-east-1.elb.localhost."
            ),
            Some(None)
        );
        let found = resolve(
            &OneBalancer,
            "Z35SXDOTRQ7X7K",
            "web-1.us-east-1.elb.localhost.",
        )
        .flatten()
        .expect("found");
        assert_eq!(records(&found, "app.example.com.", RecordType::A).len(), 1);
        assert_eq!(
            records(&found, "app.example.com.", RecordType::AAAA)[0].data,
            RData::Aaaa(Ipv6Addr::LOCALHOST)
        );
        assert!(records(&found, "app.example.com.", RecordType::MX).is_empty());
    }
}
