//! The quotas Gureum enforces, and the values applied to each account.
//!
//! A service that refuses past a limit (EC2's `VpcLimitExceeded`) reads the
//! limit with [`applied`]: the value Service Quotas applied to the caller's
//! account (and region), or AWS's default when none was. Service Quotas
//! writes applied values to [`APPLIED_TABLE`]; the enforcing services read
//! it here, so neither crate depends on the other.
//!
//! Only quotas Gureum enforces are listed, with AWS's service codes, quota
//! codes, names and defaults, so `ListServiceQuotas` shows what the
//! emulator will actually refuse.

use gureum_core::Scope;
use gureum_store::{Store, StoreError, WriteTxn};

/// One quota: what Service Quotas shows and enforcement reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuotaDef {
    /// The service code (`vpc`, `ec2`).
    pub service_code: &'static str,
    /// The service's name as Service Quotas lists it.
    pub service_name: &'static str,
    /// AWS's quota code (`L-F678F1CE`).
    pub quota_code: &'static str,
    /// AWS's quota name.
    pub quota_name: &'static str,
    /// AWS's default value.
    pub default: f64,
    /// Whether an increase may be requested.
    pub adjustable: bool,
    /// Account-wide (`true`) or per region.
    pub global: bool,
}

/// EC2/VPC: VPCs per account and region (the default VPC counts).
pub const VPCS_PER_REGION: QuotaDef = QuotaDef {
    service_code: "vpc",
    service_name: "Amazon Virtual Private Cloud (Amazon VPC)",
    quota_code: "L-F678F1CE",
    quota_name: "VPCs per Region",
    default: 5.0,
    adjustable: true,
    global: false,
};

/// EC2: Elastic IP addresses allocated per account and region.
pub const EC2_VPC_ELASTIC_IPS: QuotaDef = QuotaDef {
    service_code: "ec2",
    service_name: "Amazon Elastic Compute Cloud (Amazon EC2)",
    quota_code: "L-0263D0A3",
    quota_name: "EC2-VPC Elastic IPs",
    default: 5.0,
    adjustable: true,
    global: false,
};

/// Every enforced quota, ordered by service code then quota code (the
/// order Service Quotas lists them in).
pub const QUOTAS: &[QuotaDef] = &[EC2_VPC_ELASTIC_IPS, VPCS_PER_REGION];

/// Applied values, keyed by [`applied_key`]; written by Service Quotas.
pub const APPLIED_TABLE: &str = "servicequotas.applied";

/// The quota `service_code`/`quota_code`, if Gureum enforces it.
pub fn find(service_code: &str, quota_code: &str) -> Option<&'static QuotaDef> {
    QUOTAS
        .iter()
        .find(|q| q.service_code == service_code && q.quota_code == quota_code)
}

/// The key of a quota's applied value: under the account for global
/// quotas, under the account's region for regional ones.
pub fn applied_key(scope: Scope<'_>, quota: &QuotaDef) -> String {
    let id = format!("{}/{}", quota.service_code, quota.quota_code);
    match (quota.global, scope) {
        (true, s) => Scope::Account {
            account: s.account(),
        }
        .key(&id),
        (false, s) => s.key(&id),
    }
}

/// The value of `quota` for the caller in `scope` (an account's region):
/// the applied one, else AWS's default.
pub fn applied(store: &Store, scope: Scope<'_>, quota: &QuotaDef) -> Result<f64, StoreError> {
    let table = store.table::<f64>(APPLIED_TABLE);
    Ok(table
        .get(&applied_key(scope, quota))?
        .unwrap_or(quota.default))
}

/// [`applied`] as write transaction `txn` sees it: for a limit checked in
/// the transaction that creates the resource it limits.
pub fn applied_in(
    txn: &WriteTxn,
    store: &Store,
    scope: Scope<'_>,
    quota: &QuotaDef,
) -> Result<f64, StoreError> {
    let table = store.table::<f64>(APPLIED_TABLE);
    Ok(txn
        .get(&table, &applied_key(scope, quota))?
        .unwrap_or(quota.default))
}

/// [`applied_in`] as a count of resources (see [`applied_count`]).
pub fn applied_count_in(
    txn: &WriteTxn,
    store: &Store,
    scope: Scope<'_>,
    quota: &QuotaDef,
) -> Result<usize, StoreError> {
    Ok(applied_in(txn, store, scope, quota)?.max(0.0).floor() as usize)
}

/// [`applied`] as a count of resources (values are whole numbers; a
/// fraction rounds down, as a limit on things counted should).
pub fn applied_count(
    store: &Store,
    scope: Scope<'_>,
    quota: &QuotaDef,
) -> Result<usize, StoreError> {
    Ok(applied(store, scope, quota)?.max(0.0).floor() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HERE: Scope<'static> = Scope::Region {
        account: "000000000000",
        region: "us-east-1",
    };

    #[test]
    fn an_unset_quota_reads_aws_default() {
        let store = Store::in_memory().expect("store");
        assert_eq!(
            applied_count(&store, HERE, &VPCS_PER_REGION).expect("read"),
            5
        );
    }

    #[test]
    fn an_applied_value_is_read_in_its_region_only() {
        let store = Store::in_memory().expect("store");
        let t = store.table::<f64>(APPLIED_TABLE);
        t.put(&applied_key(HERE, &VPCS_PER_REGION), &6.0)
            .expect("put");
        assert_eq!(applied(&store, HERE, &VPCS_PER_REGION).expect("read"), 6.0);
        let elsewhere = Scope::Region {
            account: "000000000000",
            region: "eu-west-1",
        };
        assert_eq!(
            applied(&store, elsewhere, &VPCS_PER_REGION).expect("read"),
            5.0
        );
    }

    #[test]
    fn a_transaction_reads_the_value_it_applied() {
        let store = Store::in_memory().expect("store");
        let t = store.table::<f64>(APPLIED_TABLE);
        let n = store
            .write(|txn| {
                txn.put(&t, &applied_key(HERE, &EC2_VPC_ELASTIC_IPS), &7.0)?;
                applied_count_in(txn, &store, HERE, &EC2_VPC_ELASTIC_IPS)
            })
            .expect("write");
        assert_eq!(n, 7);
    }

    #[test]
    fn global_quotas_key_by_account_alone() {
        let q = QuotaDef {
            global: true,
            ..VPCS_PER_REGION
        };
        assert_eq!(applied_key(HERE, &q), "000000000000/vpc/L-F678F1CE");
        assert_eq!(
            applied_key(HERE, &VPCS_PER_REGION),
            "000000000000/us-east-1/vpc/L-F678F1CE"
        );
    }

    #[test]
    fn quotas_are_listed_in_service_then_code_order() {
        let keys: Vec<_> = QUOTAS
            .iter()
            .map(|q| (q.service_code, q.quota_code))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(find("vpc", "L-F678F1CE").is_some());
        assert!(find("vpc", "L-NOPE").is_none());
    }
}
