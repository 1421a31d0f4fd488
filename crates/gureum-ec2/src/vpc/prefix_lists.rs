//! Managed prefix lists: `DescribeManagedPrefixLists`,
//! `GetManagedPrefixListEntries`, `CreateManagedPrefixList`,
//! `ModifyManagedPrefixList`, `DeleteManagedPrefixList`, and the older
//! `DescribePrefixLists`.
//!
//! Every region has AWS-managed lists for the gateway endpoint services,
//! `com.amazonaws.<region>.s3` and `.dynamodb` (owner `AWS`, computed, not
//! stored; their ids are AWS's own where known, else derived from the
//! region so they stay stable). Customer lists are stored per account and
//! region.

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{common::filter, common::tags, vpc::route_table, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The services with gateway endpoints, hence AWS-managed lists.
pub const GATEWAY_SERVICES: [&str; 2] = ["s3", "dynamodb"];

/// A stored customer-managed prefix list.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrefixList {
    /// `pl-…`.
    pub id: String,
    /// `PrefixListName`.
    pub name: String,
    /// `IPv4` or `IPv6`.
    pub address_family: String,
    /// `MaxEntries`.
    pub max_entries: i64,
    /// (CIDR, description).
    pub entries: Vec<(String, String)>,
    /// Version, 1 at creation.
    pub version: i64,
}

/// The customer prefix list table.
pub fn table(store: &Store) -> Table<PrefixList> {
    store.table("ec2.prefix_lists")
}

/// `InvalidPrefixListID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidPrefixListIdNotFound { id: id.to_string() })
}

/// An AWS-managed list: id, name, CIDRs.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsList {
    /// `pl-…`.
    pub id: String,
    /// `com.amazonaws.<region>.<service>`.
    pub name: String,
    /// The service's public ranges.
    pub cidrs: Vec<&'static str>,
}

/// The AWS-managed list of `service` (`s3` or `dynamodb`) in `region`.
pub fn aws_list(region: &str, service: &str) -> AwsList {
    let known = match (region, service) {
        ("us-east-1", "s3") => Some("pl-63a5400a"),
        ("us-east-1", "dynamodb") => Some("pl-02cd2c6b"),
        ("us-west-2", "s3") => Some("pl-68a54001"),
        ("us-west-2", "dynamodb") => Some("pl-00a54069"),
        ("eu-west-1", "s3") => Some("pl-6da54004"),
        ("eu-west-1", "dynamodb") => Some("pl-6fa54006"),
        _ => None,
    };
    let id = known.map(str::to_string).unwrap_or_else(|| {
        let h = format!("{region}/{service}")
            .bytes()
            .fold(0x811c_9dc5u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
        format!("pl-{h:08x}")
    });
    let cidrs = match (region, service) {
        ("us-east-1", "s3") => vec![
            "3.5.0.0/19",
            "16.15.176.0/20",
            "16.182.0.0/16",
            "18.34.0.0/19",
            "44.192.134.240/28",
            "44.192.140.64/28",
            "52.216.0.0/15",
            "54.231.0.0/16",
        ],
        ("us-east-1", _) => vec!["3.218.180.0/22", "52.94.0.0/22", "52.119.224.0/20"],
        (_, "s3") => vec!["3.5.64.0/21", "52.92.128.0/17", "52.218.128.0/17"],
        _ => vec!["52.94.24.0/23", "52.119.240.0/21"],
    };
    AwsList {
        id,
        name: format!("com.amazonaws.{region}.{service}"),
        cidrs,
    }
}

/// The region's AWS-managed lists.
pub fn aws_lists(region: &str) -> Vec<AwsList> {
    GATEWAY_SERVICES
        .iter()
        .map(|s| aws_list(region, s))
        .collect()
}

fn arn(ctx: &RequestContext, owner: &str, id: &str) -> String {
    format!("arn:aws:ec2:{}:{owner}:prefix-list/{id}", ctx.region)
}

impl AwsList {
    /// As the model's `ManagedPrefixList`.
    pub fn to_value(&self, ctx: &RequestContext) -> Value {
        json!({
            "PrefixListId": self.id,
            "AddressFamily": "IPv4",
            "State": "create-complete",
            "PrefixListArn": arn(ctx, "aws", &self.id),
            "PrefixListName": self.name,
            "Tags": [],
            "OwnerId": "AWS",
        })
    }
}

impl PrefixList {
    /// As the model's `ManagedPrefixList`.
    pub fn to_value(&self, ctx: &RequestContext, state: &str, tags: &tags::Tags) -> Value {
        json!({
            "PrefixListId": self.id,
            "AddressFamily": self.address_family,
            "State": state,
            "PrefixListArn": arn(ctx, &ctx.account_id, &self.id),
            "PrefixListName": self.name,
            "MaxEntries": self.max_entries,
            "Version": self.version,
            "Tags": network::tag_list(tags),
            "OwnerId": ctx.account_id,
        })
    }
}

/// Whether `id` names a prefix list the caller can use (AWS-managed or
/// its own).
pub fn exists(store: &Store, ctx: &RequestContext, id: &str) -> Result<bool, AwsError> {
    Ok(aws_lists(&ctx.region).iter().any(|l| l.id == id)
        || table(store).get(&key(ctx, id))?.is_some())
}

/// Checks the entries of a new list against its family and size.
pub fn check_entries(
    entries: &[(String, String)],
    family: &str,
    max: i64,
) -> Result<Vec<(String, String)>, AwsError> {
    if !(1..=1000).contains(&max) {
        return Err(network::invalid_value(format!(
            "The maximum number of entries ({max}) must be between 1 and 1000."
        )));
    }
    if entries.len() as i64 > max {
        return Err(network::invalid_value(format!(
            "The number of entries ({}) exceeds the maximum number of entries ({max}).",
            entries.len()
        )));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (c, d) in entries {
        let norm = if family == "IPv4" {
            Cidr::parse(c)
                .map(|b| b.to_string())
                .map_err(|_| network::invalid_value(format!("The CIDR {c} is invalid.")))?
        } else if c.contains(':') && c.contains('/') {
            c.to_ascii_lowercase()
        } else {
            return Err(network::invalid_value(format!("The CIDR {c} is invalid.")));
        };
        if out.iter().any(|(o, _)| *o == norm) {
            return Err(network::invalid_value(format!(
                "The CIDR {norm} is duplicated."
            )));
        }
        out.push((norm, d.clone()));
    }
    Ok(out)
}

fn entries_of(input: &Value) -> Vec<(String, String)> {
    input["Entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                str_member(e, "Cidr").unwrap_or_default().to_string(),
                str_member(e, "Description").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

impl Ec2Service {
    /// `CreateManagedPrefixList`: a customer list, version 1.
    pub(crate) fn create_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let name = required(&input, "PrefixListName")?;
        let family = required(&input, "AddressFamily")?;
        if !matches!(family, "IPv4" | "IPv6") {
            return Err(network::invalid_value(format!(
                "The address family {family} is invalid. Valid values are IPv4 and IPv6."
            )));
        }
        if name.to_ascii_lowercase().starts_with("com.amazonaws") {
            return Err(network::invalid_value(
                "The prefix list name cannot start with com.amazonaws.",
            ));
        }
        let max = input["MaxEntries"]
            .as_i64()
            .ok_or_else(|| network::missing("MaxEntries"))?;
        let entries = check_entries(&entries_of(&input), family, max)?;
        let tags = network::spec_tags(&input, "prefix-list")?;
        let pl = PrefixList {
            id: resource_id("pl"),
            name: name.to_string(),
            address_family: family.to_string(),
            max_entries: max,
            entries,
            version: 1,
        };
        let store = &self.store;
        store.write(|txn| {
            txn.put(&table(store), &key(ctx, &pl.id), &pl)?;
            tags::put_in(txn, store, ctx, &pl.id, &tags)
        })?;
        Ok(json!({ "PrefixList": pl.to_value(ctx, "create-complete", &tags) }))
    }

    /// `ModifyManagedPrefixList`: name, size, entries (each entry change
    /// makes a new version; `CurrentVersion`, when given, must match).
    pub(crate) fn modify_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["IpamPrefixListResolverSyncEnabled"],
        )?;
        dry_run(&input)?;
        let id = required(&input, "PrefixListId")?;
        if aws_lists(&ctx.region).iter().any(|l| l.id == id) {
            return Err(AwsError::from(Ec2Error::InvalidPrefixListModification {
                message: format!(
                    "The prefix list '{id}' is managed by AWS and cannot be modified."
                ),
            }));
        }
        let add = entries_of(&json!({"Entries": input["AddEntries"]}));
        let remove: Vec<String> = input["RemoveEntries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| str_member(e, "Cidr").map(str::to_string))
            .collect();
        let store = &self.store;
        let pl = store.write(|txn| {
            let k = key(ctx, id);
            let mut pl = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if let Some(v) = input["CurrentVersion"].as_i64() {
                if v != pl.version {
                    return Err(AwsError::from(Ec2Error::PrefixListVersionMismatch { message: format!("The prefix list {id} has version {}, not {v}.", pl.version) }));
                }
            }
            if let Some(n) = str_member(&input, "PrefixListName") {
                pl.name = n.to_string();
            }
            if let Some(m) = input["MaxEntries"].as_i64() {
                if m < pl.entries.len() as i64 {
                    return Err(network::invalid_value(format!(
                        "The maximum number of entries ({m}) is less than the number of entries ({}).",
                        pl.entries.len()
                    )));
                }
                pl.max_entries = m;
            }
            if !add.is_empty() || !remove.is_empty() {
                let mut entries = pl.entries.clone();
                for c in &remove {
                    let norm = Cidr::parse(c).map(|b| b.to_string()).unwrap_or_else(|_| c.clone());
                    let before = entries.len();
                    entries.retain(|(e, _)| *e != norm);
                    if entries.len() == before {
                        return Err(network::invalid_value(format!(
                            "The prefix list entry {c} does not exist in {id}."
                        )));
                    }
                }
                // Re-adding an entry replaces its description.
                entries.retain(|(e, _)| {
                    !add.iter().any(|(a, _)| Cidr::parse(a).is_ok_and(|b| b.to_string() == *e))
                });
                entries.extend(add.iter().cloned());
                pl.entries = check_entries(&entries, &pl.address_family, pl.max_entries)?;
                pl.version += 1;
            }
            txn.put(&table(store), &k, &pl)?;
            Ok::<_, AwsError>(pl)
        })?;
        let t = tags::get(store, ctx, id)?;
        Ok(json!({ "PrefixList": pl.to_value(ctx, "modify-complete", &t) }))
    }

    /// `DeleteManagedPrefixList`: customer lists only, and not while a
    /// route uses them.
    pub(crate) fn delete_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "PrefixListId")?;
        if aws_lists(&ctx.region).iter().any(|l| l.id == id) {
            return Err(AwsError::from(Ec2Error::InvalidPrefixListModification {
                message: format!("The prefix list '{id}' is managed by AWS and cannot be deleted."),
            }));
        }
        let store = &self.store;
        let pl = store.write(|txn| {
            let k = key(ctx, id);
            let pl = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            let used = txn
                .scan_prefix(&route_table::table(store), &prefix(ctx))?
                .iter()
                .any(|(_, rt)| rt.routes.iter().any(|r| r.destination == id));
            if used {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!(
                        "The prefix list '{id}' is referenced by a route and cannot be deleted."
                    ),
                }));
            }
            txn.delete(&table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)?;
            Ok::<_, AwsError>(pl)
        })?;
        Ok(json!({ "PrefixList": pl.to_value(ctx, "delete-complete", &tags::Tags::new()) }))
    }

    /// `DescribeManagedPrefixLists`: AWS-managed and customer lists; ids,
    /// filters `prefix-list-id`, `prefix-list-name`, `owner-id`.
    pub(crate) fn describe_managed_prefix_lists(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "PrefixListIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &["prefix-list-id", "prefix-list-name", "owner-id"],
        )?;
        let mut all: Vec<(String, Value, tags::Tags)> = aws_lists(&ctx.region)
            .into_iter()
            .map(|l| (l.id.clone(), l.to_value(ctx), tags::Tags::new()))
            .collect();
        for (_, pl) in table(&self.store).scan_prefix(&prefix(ctx))? {
            let t = tags::get(&self.store, ctx, &pl.id)?;
            all.push((pl.id.clone(), pl.to_value(ctx, "create-complete", &t), t));
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|(p, _, _)| p == *id)) {
            return Err(not_found(id));
        }
        let items = all
            .into_iter()
            .filter(|(id, _, _)| ids.is_empty() || ids.contains(id))
            .filter(|(_, v, t)| {
                network::matches(&filters, t, |f| {
                    let m = match f {
                        "prefix-list-id" => "PrefixListId",
                        "prefix-list-name" => "PrefixListName",
                        _ => "OwnerId",
                    };
                    v[m].as_str().map(str::to_string).into_iter().collect()
                })
            })
            .map(|(id, v, _)| (id, v))
            .collect();
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "PrefixLists": page }), next))
    }

    /// `GetManagedPrefixListEntries`: a list's CIDRs.
    pub(crate) fn get_managed_prefix_list_entries(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["TargetVersion"])?;
        let id = required(&input, "PrefixListId")?;
        let entries: Vec<(String, Value)> =
            if let Some(l) = aws_lists(&ctx.region).into_iter().find(|l| l.id == id) {
                l.cidrs
                    .iter()
                    .map(|c| (c.to_string(), json!({ "Cidr": c })))
                    .collect()
            } else {
                let pl = table(&self.store)
                    .get(&key(ctx, id))?
                    .ok_or_else(|| not_found(id))?;
                pl.entries
                    .iter()
                    .map(|(c, d)| {
                        let mut v = json!({ "Cidr": c });
                        if !d.is_empty() {
                            v["Description"] = json!(d);
                        }
                        (c.clone(), v)
                    })
                    .collect()
            };
        let mut entries = entries;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        // CIDRs hold '/', which the shared paginator refuses in tokens.
        let keyed: Vec<(String, Value)> = entries
            .into_iter()
            .map(|(c, v)| (c.replace('/', "_"), v))
            .collect();
        let (page, next) = network::paginate(keyed, &input)?;
        Ok(network::with_token(json!({ "Entries": page }), next))
    }

    /// `DescribePrefixLists`: the AWS-managed lists with their CIDRs.
    pub(crate) fn describe_prefix_lists(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "PrefixListIds");
        let filters = filter::parse(&input);
        filter::check_names(&filters, &["prefix-list-id", "prefix-list-name"])?;
        let lists = aws_lists(&ctx.region);
        if let Some(id) = ids.iter().find(|id| !lists.iter().any(|l| &l.id == *id)) {
            return Err(not_found(id));
        }
        let items = lists
            .into_iter()
            .filter(|l| ids.is_empty() || ids.contains(&l.id))
            .filter(|l| {
                filter::matches(&filters, |f| {
                    vec![if f == "prefix-list-id" {
                        &l.id
                    } else {
                        &l.name
                    }]
                })
            })
            .map(|l| {
                let v = json!({"PrefixListId": l.id, "PrefixListName": l.name, "Cidrs": l.cidrs});
                (l.id, v)
            })
            .collect();
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "PrefixLists": page }), next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_lists_have_stable_ids_and_names() {
        let l = aws_list("us-east-1", "s3");
        assert_eq!(l.id, "pl-63a5400a");
        assert_eq!(l.name, "com.amazonaws.us-east-1.s3");
        let a = aws_list("ap-northeast-2", "dynamodb");
        assert_eq!(a, aws_list("ap-northeast-2", "dynamodb"));
        assert_ne!(a.id, aws_list("ap-northeast-2", "s3").id);
        assert!(a.id.starts_with("pl-") && a.id.len() == 11);
    }

    #[test]
    fn entries_must_fit_and_be_distinct() {
        let e = |c: &str| (c.to_string(), String::new());
        assert!(check_entries(&[e("10.0.0.0/16"), e("10.1.0.0/16")], "IPv4", 1).is_err());
        assert!(check_entries(&[e("10.0.0.0/16"), e("10.0.0.0/16")], "IPv4", 5).is_err());
        assert!(check_entries(&[e("nope")], "IPv4", 5).is_err());
        assert_eq!(
            check_entries(&[e("10.0.0.0/16")], "IPv4", 5).expect("ok")[0].0,
            "10.0.0.0/16"
        );
    }
}
