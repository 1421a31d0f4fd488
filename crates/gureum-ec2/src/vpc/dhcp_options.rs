//! DHCP options sets: `CreateDhcpOptions`, `DescribeDhcpOptions`,
//! `DeleteDhcpOptions`, `AssociateDhcpOptions`.
//!
//! Every region has a default set (`domain-name` `ec2.internal` in
//! us-east-1, `<region>.compute.internal` elsewhere, and
//! `AmazonProvidedDNS`), whose id the default VPC and new VPCs reference
//! ([`vpcs::RegionState`]). It is stored here the first time the family is
//! used, and like any set it can be deleted once no VPC uses it (a marker
//! keeps it from coming back). A VPC associated with `default` has no set.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required};
use crate::{common::filter, common::tags, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The option keys a set may hold.
pub const KEYS: [&str; 6] = [
    "domain-name-servers",
    "domain-name",
    "ntp-servers",
    "netbios-name-servers",
    "netbios-node-type",
    "ipv6-address-preferred-lease-time",
];

/// A stored DHCP options set.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DhcpOptions {
    /// `dopt-…`.
    pub id: String,
    /// (key, values), in the order given.
    pub configs: Vec<(String, Vec<String>)>,
}

/// The DHCP options table.
pub fn table(store: &Store) -> Table<DhcpOptions> {
    store.table("ec2.dhcp_options")
}

/// Regions whose default set was stored (value: its id).
fn made_table(store: &Store) -> Table<String> {
    store.table("ec2.dhcp_defaults")
}

/// `InvalidDhcpOptionID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidDhcpOptionIdNotFound {
        id: (id).to_string(),
    })
}

impl DhcpOptions {
    /// As the model's `DhcpOptions`.
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let configs: Vec<Value> = self
            .configs
            .iter()
            .map(|(k, vs)| json!({"Key": k, "Values": vs.iter().map(|v| json!({"Value": v})).collect::<Vec<_>>()}))
            .collect();
        json!({
            "DhcpConfigurations": configs,
            "DhcpOptionsId": self.id,
            "OwnerId": ctx.account_id,
            "Tags": network::tag_list(tags),
        })
    }
}

/// The default set's options in `region`.
pub fn default_configs(region: &str) -> Vec<(String, Vec<String>)> {
    let domain = if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    };
    vec![
        ("domain-name".into(), vec![domain]),
        (
            "domain-name-servers".into(),
            vec!["AmazonProvidedDNS".into()],
        ),
    ]
}

/// Stores the region's default set the first time (after the default
/// VPC, which names its id).
pub fn ensure_default(svc: &Ec2Service, ctx: &RequestContext) -> Result<(), AwsError> {
    vpcs::ensure_default_vpc(svc, ctx)?;
    let store = &svc.store;
    let rk = format!("{}/{}", ctx.account_id, ctx.region);
    if made_table(store).contains(&rk)? {
        return Ok(());
    }
    let Some(id) = vpcs::default_dhcp_options_id(store, ctx)? else {
        return Ok(());
    };
    store.write(|txn| {
        if txn.get(&made_table(store), &rk)?.is_some() {
            return Ok(());
        }
        txn.put(&made_table(store), &rk, &id)?;
        let d = DhcpOptions {
            id: id.clone(),
            configs: default_configs(&ctx.region),
        };
        txn.put(&table(store), &key(ctx, &id), &d)?;
        Ok::<_, AwsError>(())
    })
}

/// Reads and checks the `DhcpConfigurations` of a create request.
pub fn parse_configs(input: &Value) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for c in input["DhcpConfigurations"].as_array().into_iter().flatten() {
        let k = network::str_member(c, "Key").unwrap_or_default();
        if !KEYS.contains(&k) {
            return Err(network::invalid_value(format!(
                "Value ({k}) for parameter dhcpConfiguration is invalid. Unknown DHCP option"
            )));
        }
        let values = network::strings(c, "Values");
        if values.is_empty() {
            return Err(network::invalid_value(format!(
                "Value for parameter {k} is invalid. At least one value is required."
            )));
        }
        let most = match k {
            "domain-name-servers" | "ntp-servers" | "netbios-name-servers" => 4,
            _ => 1,
        };
        if values.len() > most {
            return Err(network::invalid_value(format!(
                "Value for parameter {k} is invalid. At most {most} values are allowed."
            )));
        }
        if k == "netbios-node-type" && !matches!(values[0].as_str(), "1" | "2" | "4" | "8") {
            return Err(network::invalid_value(format!(
                "Value ({}) for parameter netbios-node-type is invalid. Valid values: 1, 2, 4, 8.",
                values[0]
            )));
        }
        if out.iter().any(|(o, _)| o == k) {
            return Err(network::invalid_value(format!(
                "The DHCP option {k} is specified more than once."
            )));
        }
        out.push((k.to_string(), values));
    }
    if out.is_empty() {
        return Err(network::missing("DhcpConfigurations"));
    }
    Ok(out)
}

impl Ec2Service {
    /// `CreateDhcpOptions`.
    pub(crate) fn create_dhcp_options(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let configs = parse_configs(&input)?;
        let tags = network::spec_tags(&input, "dhcp-options")?;
        let d = DhcpOptions {
            id: resource_id("dopt"),
            configs,
        };
        let store = &self.store;
        store.write(|txn| {
            txn.put(&table(store), &key(ctx, &d.id), &d)?;
            tags::put_in(txn, store, ctx, &d.id, &tags)
        })?;
        Ok(json!({ "DhcpOptions": d.to_value(ctx, &tags) }))
    }

    /// `DescribeDhcpOptions`: ids, filters, pagination.
    pub(crate) fn describe_dhcp_options(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "DhcpOptionsIds");
        let filters = filter::parse(&input);
        network::check_filters(&filters, &["dhcp-options-id", "key", "value", "owner-id"])?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|(_, d)| &d.id == *id)) {
            return Err(not_found(id));
        }
        let mut items = Vec::new();
        for (_, d) in all {
            if !ids.is_empty() && !ids.contains(&d.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &d.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "dhcp-options-id" => vec![d.id.clone()],
                "key" => d.configs.iter().map(|(k, _)| k.clone()).collect(),
                "value" => d.configs.iter().flat_map(|(_, v)| v.clone()).collect(),
                "owner-id" => vec![ctx.account_id.clone()],
                _ => vec![],
            });
            if keep {
                items.push((d.id.clone(), d.to_value(ctx, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "DhcpOptions": page }), next))
    }

    /// `DeleteDhcpOptions`: `DependencyViolation` while a VPC uses the set.
    pub(crate) fn delete_dhcp_options(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "DhcpOptionsId")?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            if txn.get(&table(store), &k)?.is_none() {
                return Err(not_found(id));
            }
            let used = txn
                .scan_prefix(&vpcs::table(store), &prefix(ctx))?
                .iter()
                .any(|(_, v)| v.dhcp_options_id == id);
            if used {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!(
                        "The dhcpOptions '{id}' has dependencies and cannot be deleted."
                    ),
                }));
            }
            txn.delete(&table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }

    /// `AssociateDhcpOptions`: a set, or `default` (no options) for a VPC.
    pub(crate) fn associate_dhcp_options(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "DhcpOptionsId")?;
        let vpc_id = required(&input, "VpcId")?;
        let store = &self.store;
        store.write(|txn| {
            let vk = key(ctx, vpc_id);
            let mut v = txn
                .get(&vpcs::table(store), &vk)?
                .ok_or_else(|| vpcs::not_found(vpc_id))?;
            if id != "default" && txn.get(&table(store), &key(ctx, id))?.is_none() {
                return Err(not_found(id));
            }
            v.dhcp_options_id = id.to_string();
            txn.put(&vpcs::table(store), &vk, &v)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::Clock;

    fn svc() -> Ec2Service {
        crate::test_service()
    }

    fn ctx() -> RequestContext {
        RequestContext::root("000000000000", "us-east-1", Clock::system())
    }

    fn code(r: Result<Value, AwsError>) -> String {
        r.expect_err("an error").code
    }

    #[test]
    fn configurations_are_checked() {
        let c = |v: Value| parse_configs(&json!({ "DhcpConfigurations": v }));
        assert!(c(json!([{"Key": "nope", "Values": ["x"]}])).is_err());
        assert!(c(json!([{"Key": "domain-name", "Values": []}])).is_err());
        assert!(c(json!([{"Key": "netbios-node-type", "Values": ["3"]}])).is_err());
        assert!(c(json!([{"Key": "ntp-servers", "Values": ["1", "2", "3", "4", "5"]}])).is_err());
        assert_eq!(
            c(json!([])).map_err(|e| e.code),
            Err("MissingParameter".into())
        );
        assert_eq!(
            c(json!([{"Key": "domain-name", "Values": ["corp"]}]))
                .expect("ok")
                .len(),
            1
        );
    }

    #[test]
    fn vpcs_reference_the_default_set_until_associated_elsewhere() {
        let s = svc();
        let vpc = s
            .create_vpc(&ctx(), json!({"CidrBlock": "10.3.0.0/16"}))
            .expect("vpc")["Vpc"]
            .clone();
        let default = vpc["DhcpOptionsId"].as_str().expect("id").to_string();
        let d = s
            .describe_dhcp_options(&ctx(), json!({"DhcpOptionsIds": [default]}))
            .expect("describe");
        assert_eq!(
            d["DhcpOptions"][0]["DhcpConfigurations"][0]["Values"][0]["Value"],
            "ec2.internal"
        );
        assert_eq!(
            code(s.delete_dhcp_options(&ctx(), json!({"DhcpOptionsId": default}))),
            "DependencyViolation"
        );
        let mine = s
            .create_dhcp_options(
                &ctx(),
                json!({"DhcpConfigurations": [{"Key": "domain-name", "Values": ["corp.example"]}]}),
            )
            .expect("create")["DhcpOptions"]["DhcpOptionsId"]
            .as_str()
            .expect("id")
            .to_string();
        let vpc_id = vpc["VpcId"].as_str().expect("id");
        s.associate_dhcp_options(&ctx(), json!({"DhcpOptionsId": mine, "VpcId": vpc_id}))
            .expect("associate");
        assert_eq!(
            code(s.delete_dhcp_options(&ctx(), json!({"DhcpOptionsId": mine}))),
            "DependencyViolation"
        );
        s.associate_dhcp_options(&ctx(), json!({"DhcpOptionsId": "default", "VpcId": vpc_id}))
            .expect("associate default");
        let v = s
            .describe_vpcs(&ctx(), json!({"VpcIds": [vpc_id]}))
            .expect("vpcs");
        assert_eq!(v["Vpcs"][0]["DhcpOptionsId"], "default");
        s.delete_dhcp_options(&ctx(), json!({"DhcpOptionsId": mine}))
            .expect("delete");
        assert_eq!(
            code(s.associate_dhcp_options(&ctx(), json!({"DhcpOptionsId": mine, "VpcId": vpc_id}))),
            "InvalidDhcpOptionID.NotFound"
        );
    }
}
