//! The regions and availability zones of the `aws` partition.
//!
//! Each region lists its AZ letters with the zone-id numbers AWS gives them
//! (`ap-northeast-1` has `a`, `c`, `d`; `ap-northeast-2` has `a`–`d`).
//! AWS maps AZ *names* to zone *ids* differently per account so that load
//! spreads; [`zones_for_account`] does the same, deterministically: the
//! default account sees `a → az1`, `b → az2`, …, other accounts a rotation
//! derived from the account id.

/// Whether an account must opt in to a region before using it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptIn {
    /// Enabled for every account (regions launched before March 2019).
    NotRequired,
    /// An opt-in region. Gureum treats every account as opted in.
    Required,
}

/// A region of the `aws` partition.
#[derive(Debug)]
pub struct Region {
    /// `us-east-1`.
    pub name: &'static str,
    /// The zone-id prefix (`use1`).
    pub zone_prefix: &'static str,
    /// `US East (N. Virginia)`.
    pub description: &'static str,
    /// Opt-in status.
    pub opt_in: OptIn,
    /// The AZ letters, with the zone-id number each has for the default account.
    pub zones: &'static [(char, u8)],
}

use OptIn::{NotRequired as N, Required as R};

/// Every region of the `aws` partition.
pub static REGIONS: &[Region] = &[
    Region {
        name: "af-south-1",
        zone_prefix: "afs1",
        description: "Africa (Cape Town)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-east-1",
        zone_prefix: "ape1",
        description: "Asia Pacific (Hong Kong)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-east-2",
        zone_prefix: "ape2",
        description: "Asia Pacific (Taipei)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-northeast-1",
        zone_prefix: "apne1",
        description: "Asia Pacific (Tokyo)",
        opt_in: N,
        zones: &[('a', 4), ('c', 1), ('d', 2)],
    },
    Region {
        name: "ap-northeast-2",
        zone_prefix: "apne2",
        description: "Asia Pacific (Seoul)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3), ('d', 4)],
    },
    Region {
        name: "ap-northeast-3",
        zone_prefix: "apne3",
        description: "Asia Pacific (Osaka)",
        opt_in: N,
        zones: &[('a', 3), ('b', 1), ('c', 2)],
    },
    Region {
        name: "ap-south-1",
        zone_prefix: "aps1",
        description: "Asia Pacific (Mumbai)",
        opt_in: N,
        zones: &[('a', 1), ('b', 3), ('c', 2)],
    },
    Region {
        name: "ap-south-2",
        zone_prefix: "aps2",
        description: "Asia Pacific (Hyderabad)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-1",
        zone_prefix: "apse1",
        description: "Asia Pacific (Singapore)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-2",
        zone_prefix: "apse2",
        description: "Asia Pacific (Sydney)",
        opt_in: N,
        zones: &[('a', 1), ('b', 3), ('c', 2)],
    },
    Region {
        name: "ap-southeast-3",
        zone_prefix: "apse3",
        description: "Asia Pacific (Jakarta)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-4",
        zone_prefix: "apse4",
        description: "Asia Pacific (Melbourne)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-5",
        zone_prefix: "apse5",
        description: "Asia Pacific (Malaysia)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-6",
        zone_prefix: "apse6",
        description: "Asia Pacific (New Zealand)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ap-southeast-7",
        zone_prefix: "apse7",
        description: "Asia Pacific (Thailand)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "ca-central-1",
        zone_prefix: "cac1",
        description: "Canada (Central)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('d', 4)],
    },
    Region {
        name: "ca-west-1",
        zone_prefix: "caw1",
        description: "Canada West (Calgary)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-central-1",
        zone_prefix: "euc1",
        description: "Europe (Frankfurt)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-central-2",
        zone_prefix: "euc2",
        description: "Europe (Zurich)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-north-1",
        zone_prefix: "eun1",
        description: "Europe (Stockholm)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-south-1",
        zone_prefix: "eus1",
        description: "Europe (Milan)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-south-2",
        zone_prefix: "eus2",
        description: "Europe (Spain)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-west-1",
        zone_prefix: "euw1",
        description: "Europe (Ireland)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "eu-west-2",
        zone_prefix: "euw2",
        description: "Europe (London)",
        opt_in: N,
        zones: &[('a', 2), ('b', 3), ('c', 1)],
    },
    Region {
        name: "eu-west-3",
        zone_prefix: "euw3",
        description: "Europe (Paris)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "il-central-1",
        zone_prefix: "ilc1",
        description: "Israel (Tel Aviv)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "me-central-1",
        zone_prefix: "mec1",
        description: "Middle East (UAE)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "me-south-1",
        zone_prefix: "mes1",
        description: "Middle East (Bahrain)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "mx-central-1",
        zone_prefix: "mxc1",
        description: "Mexico (Central)",
        opt_in: R,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "sa-east-1",
        zone_prefix: "sae1",
        description: "South America (Sao Paulo)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "us-east-1",
        zone_prefix: "use1",
        description: "US East (N. Virginia)",
        opt_in: N,
        zones: &[('a', 6), ('b', 1), ('c', 2), ('d', 4), ('e', 3), ('f', 5)],
    },
    Region {
        name: "us-east-2",
        zone_prefix: "use2",
        description: "US East (Ohio)",
        opt_in: N,
        zones: &[('a', 1), ('b', 2), ('c', 3)],
    },
    Region {
        name: "us-west-1",
        zone_prefix: "usw1",
        description: "US West (N. California)",
        opt_in: N,
        zones: &[('a', 1), ('c', 3)],
    },
    Region {
        name: "us-west-2",
        zone_prefix: "usw2",
        description: "US West (Oregon)",
        opt_in: N,
        zones: &[('a', 2), ('b', 1), ('c', 3), ('d', 4)],
    },
];

/// Looks a region up by name.
pub fn find(name: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.name == name)
}

/// One availability zone as an account sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// `ap-northeast-2a`.
    pub name: String,
    /// `apne2-az1`.
    pub zone_id: String,
    /// The region's name.
    pub region: &'static str,
}

/// The AZs of `region` as `account_id` sees them: the same names for every
/// account, with zone ids rotated per account (the default account sees the
/// catalogue's mapping).
pub fn zones_for_account(region: &'static Region, account_id: &str) -> Vec<Zone> {
    let n = region.zones.len();
    let shift = if account_id == crate::DEFAULT_ACCOUNT_ID {
        0
    } else {
        // FNV-1a: stable across releases, unlike std's hasher.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in account_id.bytes().chain(region.name.bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        (h % n as u64) as usize
    };
    region
        .zones
        .iter()
        .enumerate()
        .map(|(i, (letter, _))| {
            let id_num = region.zones[(i + shift) % n].1;
            Zone {
                name: format!("{}{}", region.name, letter),
                zone_id: format!("{}-az{}", region.zone_prefix, id_num),
                region: region.name,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seoul_has_four_zones_a_to_d() {
        let r = find("ap-northeast-2").expect("Seoul exists");
        let names: Vec<_> = zones_for_account(r, "000000000000")
            .into_iter()
            .map(|z| z.name)
            .collect();
        assert_eq!(
            names,
            [
                "ap-northeast-2a",
                "ap-northeast-2b",
                "ap-northeast-2c",
                "ap-northeast-2d"
            ]
        );
    }

    #[test]
    fn zone_ids_are_a_permutation_for_every_account() {
        let r = find("us-east-1").expect("exists");
        for account in ["000000000000", "111111111111", "123456789012"] {
            let mut ids: Vec<_> = zones_for_account(r, account)
                .into_iter()
                .map(|z| z.zone_id)
                .collect();
            ids.sort();
            assert_eq!(
                ids,
                ["use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"]
            );
        }
    }

    #[test]
    fn some_accounts_see_a_different_mapping() {
        let r = find("us-east-1").expect("exists");
        let base = zones_for_account(r, "000000000000");
        let differs = (0..50).any(|i| zones_for_account(r, &format!("{:012}", 100 + i)) != base);
        assert!(differs);
    }

    #[test]
    fn region_names_are_unique_and_sorted() {
        let names: Vec<_> = REGIONS.iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
