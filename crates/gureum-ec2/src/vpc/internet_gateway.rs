//! Internet gateways: `CreateInternetGateway`, `DescribeInternetGateways`,
//! `DeleteInternetGateway`, `AttachInternetGateway`,
//! `DetachInternetGateway`.
//!
//! A gateway is attached to at most one VPC and a VPC has at most one
//! gateway; an attached gateway cannot be deleted. Routes to a detached or
//! deleted gateway show `blackhole`.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required};
use crate::{common::filter, common::tags, vpc::vpcs, Ec2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored internet gateway.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InternetGateway {
    /// `igw-…`.
    pub id: String,
    /// The VPC it is attached to.
    #[serde(default)]
    pub vpc_id: Option<String>,
}

/// The internet gateway table.
pub fn table(store: &Store) -> Table<InternetGateway> {
    store.table("ec2.internet_gateways")
}

/// `InvalidInternetGatewayID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidInternetGatewayIdNotFound {
        id: (id).to_string(),
    })
}

impl InternetGateway {
    /// The gateway as the model's `InternetGateway`.
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let attachments: Vec<Value> = self
            .vpc_id
            .iter()
            .map(|v| json!({"State": "available", "VpcId": v}))
            .collect();
        json!({
            "Attachments": attachments,
            "InternetGatewayId": self.id,
            "OwnerId": ctx.account_id,
            "Tags": network::tag_list(tags),
        })
    }
}

impl Ec2Service {
    /// `CreateInternetGateway`.
    pub(crate) fn create_internet_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let tags = network::spec_tags(&input, "internet-gateway")?;
        let igw = InternetGateway {
            id: gureum_core::id::resource_id("igw"),
            vpc_id: None,
        };
        let store = &self.store;
        store.write(|txn| {
            txn.put(&table(store), &key(ctx, &igw.id), &igw)?;
            tags::put_in(txn, store, ctx, &igw.id, &tags)
        })?;
        Ok(json!({ "InternetGateway": igw.to_value(ctx, &tags) }))
    }

    /// `DescribeInternetGateways`: `InternetGatewayIds`, filters
    /// `internet-gateway-id`, `attachment.vpc-id`, `attachment.state`,
    /// `owner-id`, tags; paginated.
    pub(crate) fn describe_internet_gateways(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "InternetGatewayIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "internet-gateway-id",
                "attachment.vpc-id",
                "attachment.state",
                "owner-id",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, g)| &g.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for (_, g) in all {
            if !ids.is_empty() && !ids.contains(&g.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &g.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "internet-gateway-id" => vec![g.id.clone()],
                "attachment.vpc-id" => g.vpc_id.iter().cloned().collect(),
                "attachment.state" => g.vpc_id.iter().map(|_| "available".into()).collect(),
                "owner-id" => vec![ctx.account_id.clone()],
                _ => vec![],
            });
            if keep {
                items.push((g.id.clone(), g.to_value(ctx, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "InternetGateways": page }),
            next,
        ))
    }

    /// `DeleteInternetGateway`: `DependencyViolation` while attached.
    pub(crate) fn delete_internet_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "InternetGatewayId")?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let g = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if g.vpc_id.is_some() {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!(
                        "The internetGateway '{id}' has dependencies and cannot be deleted."
                    ),
                }));
            }
            txn.delete(&table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }

    /// `AttachInternetGateway`: one gateway per VPC, one VPC per gateway.
    pub(crate) fn attach_internet_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "InternetGatewayId")?;
        let vpc_id = required(&input, "VpcId")?;
        let store = &self.store;
        let igws = table(store);
        store.write(|txn| {
            let k = key(ctx, id);
            let mut g = txn.get(&igws, &k)?.ok_or_else(|| not_found(id))?;
            if txn.get(&vpcs::table(store), &key(ctx, vpc_id))?.is_none() {
                return Err(vpcs::not_found(vpc_id));
            }
            if let Some(v) = &g.vpc_id {
                return Err(AwsError::from(Ec2Error::ResourceAlreadyAssociated {
                    message: format!("resource {id} is already attached to network {v}"),
                }));
            }
            for (_, other) in txn.scan_prefix(&igws, &prefix(ctx))? {
                if other.vpc_id.as_deref() == Some(vpc_id) {
                    return Err(AwsError::from(Ec2Error::ResourceAlreadyAssociated {
                        message: format!(
                            "resource {vpc_id} is already attached to internet gateway {}",
                            other.id
                        ),
                    }));
                }
            }
            g.vpc_id = Some(vpc_id.to_string());
            txn.put(&igws, &k, &g)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DetachInternetGateway`: `Gateway.NotAttached` unless attached to
    /// that VPC.
    pub(crate) fn detach_internet_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "InternetGatewayId")?;
        let vpc_id = required(&input, "VpcId")?;
        let store = &self.store;
        let igws = table(store);
        store.write(|txn| {
            let k = key(ctx, id);
            let mut g = txn.get(&igws, &k)?.ok_or_else(|| not_found(id))?;
            if txn.get(&vpcs::table(store), &key(ctx, vpc_id))?.is_none() {
                return Err(vpcs::not_found(vpc_id));
            }
            if g.vpc_id.as_deref() != Some(vpc_id) {
                return Err(AwsError::from(Ec2Error::GatewayNotAttached {
                    id: id.to_string(),
                    vpc_id: vpc_id.to_string(),
                }));
            }
            g.vpc_id = None;
            txn.put(&igws, &k, &g)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }
}
