//! Record-only resources: stored, described, deleted and tagged, with no
//! data plane. Flow logs, transit gateways and their VPC attachments, VPN
//! (virtual private) gateways, customer gateways and VPN connections.
//!
//! Each record is kept as its rendered model shape (without `Tags`) in one
//! table, `ec2.records`, keyed `{account}/{region}/{id}`, with its kind;
//! [`Kind`] says how each kind is listed, found and filtered, so the
//! describe and delete paths are shared. The create handlers are in
//! [`create`](self::create) and check what AWS checks before writing.

mod create;
#[cfg(test)]
mod tests;

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// A stored record: its kind and its model shape without tags.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Record {
    /// [`Kind::name`].
    pub kind: String,
    /// The model shape (`TransitGateway`, `FlowLog`, …) without `Tags`.
    pub body: Value,
}

/// The record table.
pub fn table(store: &Store) -> Table<Record> {
    store.table("ec2.records")
}

/// How one kind of record is listed, found and filtered.
#[derive(Debug)]
pub struct Kind {
    /// Internal name, stored with each record.
    pub name: &'static str,
    /// The id member of the shape (`TransitGatewayId`).
    pub id_member: &'static str,
    /// The ids member of the describe request (`TransitGatewayIds`).
    pub ids_member: &'static str,
    /// The list member of the describe result (`TransitGateways`).
    pub list_member: &'static str,
    /// The error for an unknown id.
    pub not_found: fn(String) -> Ec2Error,
    /// Filter names and the JSON pointers they read (`*` walks a list).
    pub filters: &'static [(&'static str, &'static str)],
}

/// Flow logs.
pub const FLOW_LOG: Kind = Kind {
    name: "flow-log",
    id_member: "FlowLogId",
    ids_member: "FlowLogIds",
    list_member: "FlowLogs",
    not_found: |id| Ec2Error::InvalidFlowLogIdNotFound { id },
    filters: &[
        ("flow-log-id", "/FlowLogId"),
        ("deliver-log-status", "/DeliverLogsStatus"),
        ("log-destination-type", "/LogDestinationType"),
        ("log-group-name", "/LogGroupName"),
        ("resource-id", "/ResourceId"),
        ("traffic-type", "/TrafficType"),
    ],
};

/// Transit gateways.
pub const TRANSIT_GATEWAY: Kind = Kind {
    name: "transit-gateway",
    id_member: "TransitGatewayId",
    ids_member: "TransitGatewayIds",
    list_member: "TransitGateways",
    not_found: |id| Ec2Error::InvalidTransitGatewayIdNotFound { id },
    filters: &[
        ("transit-gateway-id", "/TransitGatewayId"),
        ("state", "/State"),
        ("owner-id", "/OwnerId"),
        ("options.amazon-side-asn", "/Options/AmazonSideAsn"),
    ],
};

/// Transit gateway VPC attachments.
pub const TGW_ATTACHMENT: Kind = Kind {
    name: "transit-gateway-vpc-attachment",
    id_member: "TransitGatewayAttachmentId",
    ids_member: "TransitGatewayAttachmentIds",
    list_member: "TransitGatewayVpcAttachments",
    not_found: |id| Ec2Error::InvalidTransitGatewayAttachmentIdNotFound { id },
    filters: &[
        (
            "transit-gateway-attachment-id",
            "/TransitGatewayAttachmentId",
        ),
        ("transit-gateway-id", "/TransitGatewayId"),
        ("vpc-id", "/VpcId"),
        ("state", "/State"),
    ],
};

/// VPN (virtual private) gateways.
pub const VPN_GATEWAY: Kind = Kind {
    name: "vpn-gateway",
    id_member: "VpnGatewayId",
    ids_member: "VpnGatewayIds",
    list_member: "VpnGateways",
    not_found: |id| Ec2Error::InvalidVpnGatewayIdNotFound { id },
    filters: &[
        ("vpn-gateway-id", "/VpnGatewayId"),
        ("state", "/State"),
        ("type", "/Type"),
        ("amazon-side-asn", "/AmazonSideAsn"),
        ("attachment.vpc-id", "/VpcAttachments/*/VpcId"),
        ("attachment.state", "/VpcAttachments/*/State"),
    ],
};

/// Customer gateways.
pub const CUSTOMER_GATEWAY: Kind = Kind {
    name: "customer-gateway",
    id_member: "CustomerGatewayId",
    ids_member: "CustomerGatewayIds",
    list_member: "CustomerGateways",
    not_found: |id| Ec2Error::InvalidCustomerGatewayIdNotFound { id },
    filters: &[
        ("customer-gateway-id", "/CustomerGatewayId"),
        ("bgp-asn", "/BgpAsn"),
        ("ip-address", "/IpAddress"),
        ("state", "/State"),
        ("type", "/Type"),
    ],
};

/// VPN connections.
pub const VPN_CONNECTION: Kind = Kind {
    name: "vpn-connection",
    id_member: "VpnConnectionId",
    ids_member: "VpnConnectionIds",
    list_member: "VpnConnections",
    not_found: |id| Ec2Error::InvalidVpnConnectionIdNotFound { id },
    filters: &[
        ("vpn-connection-id", "/VpnConnectionId"),
        ("customer-gateway-id", "/CustomerGatewayId"),
        ("vpn-gateway-id", "/VpnGatewayId"),
        ("transit-gateway-id", "/TransitGatewayId"),
        ("state", "/State"),
        ("type", "/Type"),
    ],
};

impl Kind {
    /// The error for an unknown id of this kind.
    pub fn missing(&self, id: &str) -> AwsError {
        (self.not_found)(id.to_string()).into()
    }
}

/// Values at a JSON pointer whose segments may be `*` (every element).
pub fn pointer_values(v: &Value, pointer: &str) -> Vec<String> {
    let mut at = vec![v];
    for seg in pointer.split('/').skip(1) {
        at = at
            .into_iter()
            .flat_map(|x| -> Vec<&Value> {
                if seg == "*" {
                    x.as_array().map(|a| a.iter().collect()).unwrap_or_default()
                } else {
                    x.get(seg).into_iter().collect()
                }
            })
            .collect();
    }
    at.into_iter()
        .filter(|x| !x.is_null())
        .map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// The stored records of `kind` in the caller's account and region.
pub fn all_of(store: &Store, ctx: &RequestContext, kind: &Kind) -> Result<Vec<Value>, AwsError> {
    Ok(table(store)
        .scan_prefix(&prefix(ctx))?
        .into_iter()
        .filter(|(_, r)| r.kind == kind.name)
        .map(|(_, r)| r.body)
        .collect())
}

/// A record of `kind` by id, inside a write transaction.
pub fn get_in(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    kind: &Kind,
    id: &str,
) -> Result<Value, AwsError> {
    txn.get(&table(store), &key(ctx, id))?
        .filter(|r| r.kind == kind.name)
        .map(|r| r.body)
        .ok_or_else(|| kind.missing(id))
}

/// Stores (or replaces) a record inside a write transaction.
pub fn put_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    kind: &Kind,
    body: &Value,
) -> Result<(), AwsError> {
    let id = body[kind.id_member].as_str().unwrap_or_default();
    let r = Record {
        kind: kind.name.to_string(),
        body: body.clone(),
    };
    txn.put(&table(store), &key(ctx, id), &r)?;
    Ok(())
}

/// Ids of the region's transit gateways (routes to others are blackholes,
/// and `CreateRoute` refuses them).
pub fn transit_gateway_ids(
    store: &Store,
    ctx: &RequestContext,
) -> Result<BTreeSet<String>, AwsError> {
    Ok(all_of(store, ctx, &TRANSIT_GATEWAY)?
        .into_iter()
        .filter_map(|v| v["TransitGatewayId"].as_str().map(str::to_string))
        .collect())
}

/// `InvalidTransitGatewayID.NotFound`.
pub fn tgw_not_found(id: &str) -> AwsError {
    TRANSIT_GATEWAY.missing(id)
}

/// Whether a transit gateway attachment or an attached VPN gateway still
/// uses `vpc_id` (`DeleteVpc` refuses then).
pub fn in_vpc(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    vpc_id: &str,
) -> Result<bool, AwsError> {
    Ok(txn
        .scan_prefix(&table(store), &prefix(ctx))?
        .iter()
        .any(|(_, r)| {
            (r.kind == TGW_ATTACHMENT.name && r.body["VpcId"] == vpc_id)
                || (r.kind == VPN_GATEWAY.name
                    && pointer_values(&r.body, "/VpcAttachments/*/VpcId")
                        .iter()
                        .any(|v| v == vpc_id))
        }))
}

impl Ec2Service {
    /// Describes records of `kind`: ids, filters (and tags), pagination.
    pub(crate) fn describe_records(
        &self,
        ctx: &RequestContext,
        input: &Value,
        kind: &Kind,
    ) -> OpResult {
        let ids = network::strings(input, kind.ids_member);
        // DescribeFlowLogs names its filters `Filter`.
        let filters = if input.get("Filter").is_some() {
            filter::parse(&json!({"Filters": input["Filter"]}))
        } else {
            filter::parse(input)
        };
        let names: Vec<&str> = kind.filters.iter().map(|(n, _)| *n).collect();
        network::check_filters(&filters, &names)?;
        let mut all = all_of(&self.store, ctx, kind)?;
        all.sort_by(|a, b| a[kind.id_member].as_str().cmp(&b[kind.id_member].as_str()));
        // Flow logs answer unknown ids with an empty list, the others with
        // their NotFound code.
        if kind.name != FLOW_LOG.name {
            if let Some(id) = ids
                .iter()
                .find(|id| !all.iter().any(|v| v[kind.id_member] == **id))
            {
                return Err(kind.missing(id));
            }
        }
        let mut items = Vec::new();
        for mut v in all {
            let id = v[kind.id_member].as_str().unwrap_or_default().to_string();
            if !ids.is_empty() && !ids.contains(&id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &id)?;
            let keep = network::matches(&filters, &t, |f| {
                kind.filters
                    .iter()
                    .find(|(n, _)| *n == f)
                    .map(|(_, p)| pointer_values(&v, p))
                    .unwrap_or_default()
            });
            if keep {
                v["Tags"] = network::tag_list(&t);
                items.push((id, v));
            }
        }
        let (page, next) = network::paginate(items, input)?;
        let mut out = json!({});
        out[kind.list_member] = Value::Array(page);
        Ok(network::with_token(out, next))
    }

    /// Deletes one record of `kind` named by `id_member` after `check`
    /// accepts it; answers the record with `State` set to `final_state`
    /// under `result_member` (or `{"Return": true}` when `None`).
    pub(crate) fn delete_record(
        &self,
        ctx: &RequestContext,
        input: &Value,
        kind: &Kind,
        final_state: &str,
        result_member: Option<&str>,
        check: impl Fn(&WriteTxn, &Value) -> Result<(), AwsError>,
    ) -> OpResult {
        dry_run(input)?;
        let id = required(input, kind.id_member)?;
        let store = &self.store;
        let mut v = store.write(|txn| {
            let v = get_in(txn, store, ctx, kind, id)?;
            check(txn, &v)?;
            txn.delete(&table(store), &key(ctx, id))?;
            tags::delete_in(txn, store, ctx, id)?;
            Ok::<_, AwsError>(v)
        })?;
        let Some(member) = result_member else {
            return Ok(json!({ "Return": true }));
        };
        v["State"] = json!(final_state);
        v["Tags"] = json!([]);
        let mut out = json!({});
        out[member] = v;
        Ok(out)
    }

    /// `DescribeFlowLogs`.
    pub(crate) fn describe_flow_logs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.describe_records(ctx, &input, &FLOW_LOG)
    }

    /// `DeleteFlowLogs`: unknown ids come back as `Unsuccessful` items.
    pub(crate) fn delete_flow_logs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = network::strings(&input, "FlowLogIds");
        if ids.is_empty() {
            return Err(network::missing("FlowLogId"));
        }
        let store = &self.store;
        let failed = store.write(|txn| {
            let mut failed = Vec::new();
            for id in &ids {
                if get_in(txn, store, ctx, &FLOW_LOG, id).is_err() {
                    failed.push(json!({
                        "Error": {"Code": (FLOW_LOG.not_found)(id.to_string()).code(), "Message": format!("Flow Log ({id}) does not exist")},
                        "ResourceId": id,
                    }));
                    continue;
                }
                txn.delete(&table(store), &key(ctx, id))?;
                tags::delete_in(txn, store, ctx, id)?;
            }
            Ok::<_, AwsError>(failed)
        })?;
        Ok(json!({ "Unsuccessful": failed }))
    }

    /// `DescribeTransitGateways`.
    pub(crate) fn describe_transit_gateways(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.describe_records(ctx, &input, &TRANSIT_GATEWAY)
    }

    /// `DeleteTransitGateway`: `IncorrectState` while attachments remain.
    pub(crate) fn delete_transit_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let store = &self.store;
        self.delete_record(
            ctx,
            &input,
            &TRANSIT_GATEWAY,
            "deleting",
            Some("TransitGateway"),
            |txn, v| {
                let id = v["TransitGatewayId"].as_str().unwrap_or_default();
                let attached: Vec<String> = txn
                    .scan_prefix(&table(store), &prefix(ctx))?
                    .into_iter()
                    .filter(|(_, r)| {
                        r.kind == TGW_ATTACHMENT.name && r.body["TransitGatewayId"] == id
                    })
                    .filter_map(|(_, r)| {
                        r.body["TransitGatewayAttachmentId"]
                            .as_str()
                            .map(str::to_string)
                    })
                    .collect();
                if !attached.is_empty() {
                    return Err(AwsError::from(Ec2Error::IncorrectState {
                        message: format!(
                            "{id} has non-deleted Transit Gateway Attachments: {}",
                            attached.join(", ")
                        ),
                    }));
                }
                Ok(())
            },
        )
    }

    /// `DescribeTransitGatewayVpcAttachments`.
    pub(crate) fn describe_transit_gateway_vpc_attachments(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.describe_records(ctx, &input, &TGW_ATTACHMENT)
    }

    /// `DescribeTransitGatewayAttachments`: the VPC attachments in the
    /// generic attachment shape.
    pub(crate) fn describe_transit_gateway_attachments(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let mut filters = input.get("Filters").cloned().unwrap_or_else(|| json!([]));
        // The generic filter names of this operation map onto the VPC
        // attachment's fields.
        for f in filters.as_array_mut().into_iter().flatten() {
            match f["Name"].as_str() {
                Some("resource-id") => f["Name"] = json!("vpc-id"),
                Some("resource-type") => {
                    let vpc = f["Values"]
                        .as_array()
                        .is_some_and(|v| v.iter().any(|x| x == "vpc"));
                    f["Name"] = json!("state");
                    f["Values"] = if vpc { json!(["*"]) } else { json!([]) };
                }
                _ => {}
            }
        }
        let mut inner = input.clone();
        inner["Filters"] = filters;
        let out = self.describe_records(ctx, &inner, &TGW_ATTACHMENT)?;
        let list: Vec<Value> = out["TransitGatewayVpcAttachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                json!({
                    "TransitGatewayAttachmentId": a["TransitGatewayAttachmentId"],
                    "TransitGatewayId": a["TransitGatewayId"],
                    "TransitGatewayOwnerId": ctx.account_id,
                    "ResourceOwnerId": a["VpcOwnerId"],
                    "ResourceType": "vpc",
                    "ResourceId": a["VpcId"],
                    "State": a["State"],
                    "CreationTime": a["CreationTime"],
                    "Tags": a["Tags"],
                })
            })
            .collect();
        let next = out["NextToken"].as_str().map(str::to_string);
        Ok(network::with_token(
            json!({ "TransitGatewayAttachments": list }),
            next,
        ))
    }

    /// `DeleteTransitGatewayVpcAttachment`.
    pub(crate) fn delete_transit_gateway_vpc_attachment(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.delete_record(
            ctx,
            &input,
            &TGW_ATTACHMENT,
            "deleting",
            Some("TransitGatewayVpcAttachment"),
            |_, _| Ok(()),
        )
    }

    /// `DescribeVpnGateways`.
    pub(crate) fn describe_vpn_gateways(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.describe_records(ctx, &input, &VPN_GATEWAY)
    }

    /// `DeleteVpnGateway`: `IncorrectState` while attached to a VPC.
    pub(crate) fn delete_vpn_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.delete_record(ctx, &input, &VPN_GATEWAY, "deleted", None, |_, v| {
            if !pointer_values(v, "/VpcAttachments/*/VpcId").is_empty() {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!(
                        "The VPN gateway '{}' is attached to a VPC; detach it first.",
                        v["VpnGatewayId"].as_str().unwrap_or_default()
                    ),
                }));
            }
            Ok(())
        })
    }

    /// `DescribeCustomerGateways`.
    pub(crate) fn describe_customer_gateways(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.describe_records(ctx, &input, &CUSTOMER_GATEWAY)
    }

    /// `DeleteCustomerGateway`: `IncorrectState` while a VPN connection
    /// uses it.
    pub(crate) fn delete_customer_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let store = &self.store;
        self.delete_record(ctx, &input, &CUSTOMER_GATEWAY, "deleted", None, |txn, v| {
            let id = &v["CustomerGatewayId"];
            let used = txn
                .scan_prefix(&table(store), &prefix(ctx))?
                .iter()
                .any(|(_, r)| r.kind == VPN_CONNECTION.name && r.body["CustomerGatewayId"] == *id);
            if used {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!(
                        "The customer gateway '{}' is in use by a VPN connection.",
                        id.as_str().unwrap_or_default()
                    ),
                }));
            }
            Ok(())
        })
    }

    /// `DescribeVpnConnections`.
    pub(crate) fn describe_vpn_connections(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.describe_records(ctx, &input, &VPN_CONNECTION)
    }

    /// `DeleteVpnConnection`.
    pub(crate) fn delete_vpn_connection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.delete_record(ctx, &input, &VPN_CONNECTION, "deleted", None, |_, _| Ok(()))
    }
}
