//! VPC peering connections: `CreateVpcPeeringConnection`,
//! `AcceptVpcPeeringConnection`, `RejectVpcPeeringConnection`,
//! `DeleteVpcPeeringConnection`, `DescribeVpcPeeringConnections`.
//!
//! A connection joins a requester VPC (the caller's) and an accepter VPC
//! that may be in another account or region, so connections are stored in
//! one global table keyed by id, and each side sees those naming its
//! account and region. Lifecycle: `initiating-request` (answered by
//! create) → `pending-acceptance` → `active` | `rejected` | `expired`
//! (after 7 days, evaluated lazily on Gureum's clock) → `deleted`. Blocks
//! that overlap, or an accepter VPC that does not exist in another
//! account or region, end in `failed` at once, as AWS does. Ended
//! connections stay visible for a while (2 hours; rejected: 7 days).
//! Routes to a connection that is not active are blackholes.

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, required, str_member};
use crate::{common::filter, common::tags, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// How long a request waits for acceptance (7 days).
pub const EXPIRY_MS: i64 = 7 * 24 * 3_600_000;
/// How long deleted, failed and expired connections stay visible.
pub const ENDED_VISIBLE_MS: i64 = 2 * 3_600_000;
/// How long rejected connections stay visible.
pub const REJECTED_VISIBLE_MS: i64 = 7 * 24 * 3_600_000;

/// One side of a connection.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Side {
    /// Account id.
    pub owner: String,
    /// Region.
    pub region: String,
    /// The VPC.
    pub vpc_id: String,
    /// Its IPv4 blocks (empty when the VPC was not found).
    pub cidrs: Vec<String>,
}

/// A stored connection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Peering {
    /// `pcx-…`.
    pub id: String,
    /// The requester side.
    pub requester: Side,
    /// The accepter side.
    pub accepter: Side,
    /// Status code.
    pub status: String,
    /// Status message.
    pub message: String,
    /// Creation time, ms.
    pub created_ms: i64,
    /// Time of the last status change, ms.
    pub since_ms: i64,
}

/// The connection table (global: key = id).
pub fn table(store: &Store) -> Table<Peering> {
    store.table("ec2.vpc_peering")
}

/// `InvalidVpcPeeringConnectionID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidVpcPeeringConnectionIdNotFound {
        id: (id).to_string(),
    })
}

fn is_side(s: &Side, ctx: &RequestContext) -> bool {
    s.owner == ctx.account_id && s.region == ctx.region
}

impl Peering {
    /// Applies the expiry of a pending request at `now`.
    pub fn settle(&mut self, now: i64) {
        if self.status == "pending-acceptance" && now - self.created_ms >= EXPIRY_MS {
            self.status = "expired".into();
            self.message = "Expired".into();
            self.since_ms = self.created_ms + EXPIRY_MS;
        }
    }

    /// Whether the caller's account and region is one of the sides and the
    /// connection is still visible at `now`.
    pub fn visible_to(&self, ctx: &RequestContext, now: i64) -> bool {
        let keep = match self.status.as_str() {
            "deleted" | "failed" | "expired" => now - self.since_ms < ENDED_VISIBLE_MS,
            "rejected" => now - self.since_ms < REJECTED_VISIBLE_MS,
            _ => true,
        };
        keep && (is_side(&self.requester, ctx) || is_side(&self.accepter, ctx))
    }

    fn set(&mut self, status: &str, message: String, now: i64) {
        self.status = status.into();
        self.message = message;
        self.since_ms = now;
    }

    /// As the model's `VpcPeeringConnection`.
    pub fn to_value(&self, tags: &tags::Tags) -> Value {
        let side = |s: &Side| {
            let mut v = json!({
                "OwnerId": s.owner,
                "VpcId": s.vpc_id,
                "Region": s.region,
                "CidrBlockSet": s.cidrs.iter().map(|c| json!({"CidrBlock": c})).collect::<Vec<_>>(),
            });
            if let Some(c) = s.cidrs.first() {
                v["CidrBlock"] = json!(c);
            }
            if self.status == "active" {
                v["PeeringOptions"] = json!({
                    "AllowDnsResolutionFromRemoteVpc": false,
                    "AllowEgressFromLocalClassicLinkToRemoteVpc": false,
                    "AllowEgressFromLocalVpcToRemoteClassicLink": false,
                });
            }
            v
        };
        let mut v = json!({
            "AccepterVpcInfo": side(&self.accepter),
            "RequesterVpcInfo": side(&self.requester),
            "Status": {"Code": self.status, "Message": self.message},
            "Tags": network::tag_list(tags),
            "VpcPeeringConnectionId": self.id,
        });
        if self.status == "pending-acceptance" {
            v["ExpirationTime"] = json!((self.created_ms + EXPIRY_MS) / 1000);
        }
        v
    }
}

/// Ids of the connections of the caller's account and region that are
/// active (routes to others are blackholes).
pub fn active_ids(store: &Store, ctx: &RequestContext) -> Result<BTreeSet<String>, AwsError> {
    let now = ctx.clock.now_millis();
    Ok(table(store)
        .scan_prefix("")?
        .into_iter()
        .map(|(_, mut p)| {
            p.settle(now);
            p
        })
        .filter(|p| p.status == "active" && p.visible_to(ctx, now))
        .map(|p| p.id)
        .collect())
}

/// Whether a connection the caller can route to joins `vpc_id` (for
/// `CreateRoute`): `Ok(false)` when it does not involve that VPC.
pub fn joins(
    store: &Store,
    ctx: &RequestContext,
    id: &str,
    vpc_id: &str,
) -> Result<bool, AwsError> {
    let now = ctx.clock.now_millis();
    let mut p = table(store).get(id)?.ok_or_else(|| not_found(id))?;
    p.settle(now);
    if !p.visible_to(ctx, now) || !matches!(p.status.as_str(), "active" | "pending-acceptance") {
        return Err(not_found(id));
    }
    let mine = |s: &Side| is_side(s, ctx) && s.vpc_id == vpc_id;
    Ok(mine(&p.requester) || mine(&p.accepter))
}

/// What deleting VPC `vpc_id` does to its connections, inside the
/// `DeleteVpc` transaction: a pending request to it from another account
/// refuses the deletion (`Ok(false)`: the caller answers
/// `DependencyViolation`); active connections and its own pending requests
/// end as `deleted`.
pub fn on_vpc_delete(
    txn: &mut gureum_store::WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    vpc_id: &str,
) -> Result<bool, AwsError> {
    let now = ctx.clock.now_millis();
    let mine = |s: &Side| is_side(s, ctx) && s.vpc_id == vpc_id;
    let mut ended = Vec::new();
    for (_, mut p) in txn.scan_prefix(&table(store), "")? {
        p.settle(now);
        let pending = p.status == "pending-acceptance";
        if pending && mine(&p.accepter) && p.requester.owner != ctx.account_id {
            return Ok(false);
        }
        let involved = mine(&p.requester) || mine(&p.accepter);
        if involved && (p.status == "active" || pending) {
            p.set("deleted", format!("Deleted by {}", ctx.account_id), now);
            ended.push(p);
        }
    }
    for p in &ended {
        txn.put(&table(store), &p.id, p)?;
    }
    Ok(true)
}

/// Whether any two blocks of the sides overlap.
pub fn overlapping(a: &[String], b: &[String]) -> Option<(String, String)> {
    for x in a {
        for y in b {
            if let (Ok(cx), Ok(cy)) = (Cidr::parse(x), Cidr::parse(y)) {
                if cx.overlaps(&cy) {
                    return Some((x.clone(), y.clone()));
                }
            }
        }
    }
    None
}

fn vpc_cidrs(
    store: &Store,
    owner: &str,
    region: &str,
    vpc_id: &str,
) -> Result<Option<Vec<String>>, AwsError> {
    Ok(vpcs::table(store)
        .get(&format!("{owner}/{region}/{vpc_id}"))?
        .map(|v| v.cidr_assocs.into_iter().map(|a| a.cidr).collect()))
}

fn state_transition(p: &Peering, to: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidStateTransition {
        message: format!(
            "Invalid state transition for {}, attempted to transition from {} to {to}",
            p.id, p.status
        ),
    })
}

fn not_permitted(ctx: &RequestContext, verb: &str, id: &str) -> AwsError {
    AwsError::from(Ec2Error::OperationNotPermitted {
        message: format!("User {} cannot {verb} peering {id}", ctx.account_id),
    })
}

impl Ec2Service {
    /// Reads a connection the caller can see, settled at now.
    fn peering_for(&self, ctx: &RequestContext, id: &str) -> Result<Peering, AwsError> {
        let now = ctx.clock.now_millis();
        let mut p = table(&self.store).get(id)?.ok_or_else(|| not_found(id))?;
        p.settle(now);
        if !p.visible_to(ctx, now) {
            return Err(not_found(id));
        }
        Ok(p)
    }

    fn save_peering(&self, p: &Peering) -> Result<(), AwsError> {
        let t = table(&self.store);
        self.store.write(|txn| txn.put(&t, &p.id, p))?;
        Ok(())
    }

    /// `CreateVpcPeeringConnection`: same or another account and region.
    pub(crate) fn create_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let vpc_id = required(&input, "VpcId")?;
        let peer_vpc = required(&input, "PeerVpcId")?;
        let peer_owner = str_member(&input, "PeerOwnerId").unwrap_or(&ctx.account_id);
        let peer_region = str_member(&input, "PeerRegion").unwrap_or(&ctx.region);
        if gureum_core::region::find(peer_region).is_none() {
            return Err(network::invalid_value(format!(
                "Value ({peer_region}) for parameter peerRegion is invalid."
            )));
        }
        let tags = network::spec_tags(&input, "vpc-peering-connection")?;
        let mine = vpc_cidrs(&self.store, &ctx.account_id, &ctx.region, vpc_id)?
            .ok_or_else(|| vpcs::not_found(vpc_id))?;
        let local = peer_owner == ctx.account_id && peer_region == ctx.region;
        if local && peer_vpc == vpc_id {
            return Err(network::invalid_value(format!(
                "The requester VPC {vpc_id} and the accepter VPC cannot be the same."
            )));
        }
        let theirs = vpc_cidrs(&self.store, peer_owner, peer_region, peer_vpc)?;
        if local && theirs.is_none() {
            return Err(vpcs::not_found(peer_vpc));
        }
        let now = ctx.clock.now_millis();
        let mut p = Peering {
            id: resource_id("pcx"),
            requester: Side {
                owner: ctx.account_id.clone(),
                region: ctx.region.clone(),
                vpc_id: vpc_id.to_string(),
                cidrs: mine.clone(),
            },
            accepter: Side {
                owner: peer_owner.to_string(),
                region: peer_region.to_string(),
                vpc_id: peer_vpc.to_string(),
                cidrs: theirs.clone().unwrap_or_default(),
            },
            status: "pending-acceptance".into(),
            message: format!("Pending Acceptance by {peer_owner}"),
            created_ms: now,
            since_ms: now,
        };
        match &theirs {
            None => p.set(
                "failed",
                format!("The accepter VPC {peer_vpc} does not exist in account {peer_owner} in {peer_region}."),
                now,
            ),
            Some(t) => {
                if let Some((a, b)) = overlapping(&mine, t) {
                    p.set(
                        "failed",
                        format!("Overlapping CIDR range: the requester CIDR {a} overlaps the accepter CIDR {b}."),
                        now,
                    );
                }
            }
        }
        let store = &self.store;
        store.write(|txn| {
            txn.put(&table(store), &p.id, &p)?;
            tags::put_in(txn, store, ctx, &p.id, &tags)
        })?;
        // The create call itself answers the first transition.
        let mut shown = p.clone();
        if shown.status == "pending-acceptance" {
            shown.status = "initiating-request".into();
            shown.message = format!("Initiating Request to {peer_owner}");
        }
        Ok(json!({ "VpcPeeringConnection": shown.to_value(&tags) }))
    }

    /// The accepter's answer to a pending request: `verb` names it in the
    /// refusal, `to` is the new status and message.
    fn answer_request(
        &self,
        ctx: &RequestContext,
        input: &Value,
        verb: &str,
        to: (&str, &str),
    ) -> Result<Peering, AwsError> {
        dry_run(input)?;
        let id = required(input, "VpcPeeringConnectionId")?;
        let mut p = self.peering_for(ctx, id)?;
        if !is_side(&p.accepter, ctx) {
            return Err(not_permitted(ctx, verb, id));
        }
        if p.status != "pending-acceptance" {
            return Err(state_transition(&p, to.0));
        }
        p.set(to.0, to.1.into(), ctx.clock.now_millis());
        self.save_peering(&p)?;
        Ok(p)
    }

    /// `AcceptVpcPeeringConnection`: by the accepter, while pending.
    pub(crate) fn accept_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let p = self.answer_request(ctx, &input, "accept", ("active", "Active"))?;
        let t = tags::get(&self.store, ctx, &p.id)?;
        Ok(json!({ "VpcPeeringConnection": p.to_value(&t) }))
    }

    /// `RejectVpcPeeringConnection`: by the accepter, while pending.
    pub(crate) fn reject_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.answer_request(ctx, &input, "reject", ("rejected", "Rejected"))?;
        Ok(json!({ "Return": true }))
    }

    /// `DeleteVpcPeeringConnection`: an active connection by either side,
    /// a pending one by the requester (the accepter rejects instead).
    pub(crate) fn delete_vpc_peering_connection(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VpcPeeringConnectionId")?;
        let mut p = self.peering_for(ctx, id)?;
        let allowed = match p.status.as_str() {
            "active" => true,
            "pending-acceptance" => is_side(&p.requester, ctx),
            _ => false,
        };
        if !allowed {
            return Err(state_transition(&p, "deleted"));
        }
        p.set(
            "deleted",
            format!("Deleted by {}", ctx.account_id),
            ctx.clock.now_millis(),
        );
        self.save_peering(&p)?;
        Ok(json!({ "Return": true }))
    }

    /// `DescribeVpcPeeringConnections`: ids, filters, pagination.
    pub(crate) fn describe_vpc_peering_connections(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "VpcPeeringConnectionIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "vpc-peering-connection-id",
                "status-code",
                "status-message",
                "requester-vpc-info.vpc-id",
                "requester-vpc-info.owner-id",
                "requester-vpc-info.cidr-block",
                "accepter-vpc-info.vpc-id",
                "accepter-vpc-info.owner-id",
                "accepter-vpc-info.cidr-block",
            ],
        )?;
        let now = ctx.clock.now_millis();
        let all: Vec<Peering> = table(&self.store)
            .scan_prefix("")?
            .into_iter()
            .map(|(_, mut p)| {
                p.settle(now);
                p
            })
            .filter(|p| p.visible_to(ctx, now))
            .collect();
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|p| &p.id == *id)) {
            return Err(not_found(id));
        }
        let mut items = Vec::new();
        for p in all {
            if !ids.is_empty() && !ids.contains(&p.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &p.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "vpc-peering-connection-id" => vec![p.id.clone()],
                "status-code" => vec![p.status.clone()],
                "status-message" => vec![p.message.clone()],
                "requester-vpc-info.vpc-id" => vec![p.requester.vpc_id.clone()],
                "requester-vpc-info.owner-id" => vec![p.requester.owner.clone()],
                "requester-vpc-info.cidr-block" => p.requester.cidrs.clone(),
                "accepter-vpc-info.vpc-id" => vec![p.accepter.vpc_id.clone()],
                "accepter-vpc-info.owner-id" => vec![p.accepter.owner.clone()],
                "accepter-vpc-info.cidr-block" => p.accepter.cidrs.clone(),
                _ => vec![],
            });
            if keep {
                items.push((p.id.clone(), p.to_value(&t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "VpcPeeringConnections": page }),
            next,
        ))
    }
}

#[cfg(test)]
#[path = "peering_tests.rs"]
mod tests;
