//! `AssociateAddress` and `DisassociateAddress` with instances: the
//! address (VPC) and the instance (compute) change in one transaction, so
//! the operations live in compute. Associating an address with an instance
//! replaces (and releases) the instance's auto-assigned public address and
//! any other Elastic IP it had; disassociating gives the instance a new
//! auto-assigned one when it launched with one and is running.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::compute::instances::{self, Instance};
use crate::Ec2Service;
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, WriteTxn};
use serde_json::json;

use crate::vpc::elastic_ips::{
    address_not_found, assoc_not_found, find, instance_gone, managed, table, Association,
};

/// Gives an instance whose Elastic IP left a new auto-assigned address
/// when it should have one.
fn unhook(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    i: &mut Instance,
) -> Result<(), AwsError> {
    i.eip_allocation = None;
    i.public_ip = None;
    if i.auto_public_ip && matches!(i.state.as_str(), "pending" | "running") {
        i.public_ip = Some(crate::vpc::addresses::take_public_ip(
            txn, store, ctx, false, &i.id,
        )?);
    }
    Ok(())
}

impl Ec2Service {
    /// `AssociateAddress` with an instance (or its primary interface).
    pub(crate) fn associate_address(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let alloc = str_member(&input, "AllocationId");
        let ip = str_member(&input, "PublicIp");
        let instance_id = str_member(&input, "InstanceId");
        let eni = str_member(&input, "NetworkInterfaceId");
        let allow = input.get("AllowReassociation").and_then(Value::as_bool) == Some(true);
        if instance_id.is_none() && eni.is_none() {
            return Err(network::missing("InstanceId"));
        }
        let store = &self.store;
        let now = ctx.clock.now_millis();
        let mut locked = self.instances.lock(store, ctx)?;
        let snapshot: Vec<Instance> = locked
            .region()
            .instances
            .values()
            .map(|(i, _)| {
                let mut i = i.clone();
                i.settle(now);
                i
            })
            .filter(|i| !i.gone(now))
            .collect();
        let target = snapshot
            .iter()
            .find(|i| {
                instance_id.is_some_and(|id| i.id == id) || eni.is_some_and(|e| i.eni_id == e)
            })
            .cloned()
            .ok_or_else(|| match instance_id {
                Some(id) => instances::not_found(&[id]),
                None => crate::vpc::network_interfaces::not_found(eni.unwrap_or_default()),
            })?;
        if matches!(target.state.as_str(), "shutting-down" | "terminated") {
            return Err(AwsError::from(Ec2Error::IncorrectInstanceState {
                message: format!(
                    "The instance '{}' is not in a valid state for this operation.",
                    target.id
                ),
            }));
        }
        let (assoc_id, changed) = store.write(|txn| {
            let mut a = find(txn, store, ctx, alloc, ip)?;
            let mut changed: Vec<Instance> = Vec::new();
            if let Some(old) = &a.association {
                if old.instance_id.as_deref() == Some(target.id.as_str()) {
                    return Ok((old.id.clone(), changed));
                }
                if !allow {
                    return Err(AwsError::from(Ec2Error::ResourceAlreadyAssociated {
                        message: format!(
                            "resource {} is already associated with associate-id {}",
                            a.allocation_id, old.id
                        ),
                    }));
                }
                if old.instance_id.is_none() {
                    // A NAT gateway's address moves only with the gateway.
                    return Err(AwsError::from(Ec2Error::AuthFailureManaged));
                }
                if let Some(prev) = snapshot
                    .iter()
                    .find(|i| old.instance_id.as_deref() == Some(i.id.as_str()))
                {
                    let mut prev = prev.clone();
                    unhook(txn, store, ctx, &mut prev)?;
                    txn.put(&instances::table(store), &key(ctx, &prev.id), &prev)?;
                    changed.push(prev);
                }
            }
            dry_run(&input)?;
            let mut t = target.clone();
            if let Some(other) = t.eip_allocation.take() {
                instance_gone(txn, store, ctx, &other)?;
            } else if let Some(old_ip) = t.public_ip.take() {
                crate::vpc::addresses::release_public_ip(txn, store, &old_ip)?;
            }
            let assoc = Association {
                id: resource_id("eipassoc"),
                instance_id: Some(t.id.clone()),
                eni_id: t.eni_id.clone(),
                private_ip: t.private_ip.clone(),
            };
            t.eip_allocation = Some(a.allocation_id.clone());
            t.public_ip = Some(a.public_ip.clone());
            a.association = Some(assoc.clone());
            txn.put(&table(store), &key(ctx, &a.allocation_id), &a)?;
            txn.put(&instances::table(store), &key(ctx, &t.id), &t)?;
            changed.push(t);
            Ok::<_, AwsError>((assoc.id, changed))
        })?;
        self.save_instances(ctx, &mut locked, changed);
        Ok(json!({ "AssociationId": assoc_id }))
    }

    /// `DisassociateAddress`.
    pub(crate) fn disassociate_address(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let assoc = str_member(&input, "AssociationId");
        let ip = str_member(&input, "PublicIp");
        if assoc.is_none() && ip.is_none() {
            return Err(network::missing("AssociationId"));
        }
        let store = &self.store;
        let now = ctx.clock.now_millis();
        let mut locked = self.instances.lock(store, ctx)?;
        let index = locked.region().instances.clone();
        let changed = store.write(|txn| {
            let mut a = txn
                .scan_prefix(&table(store), &prefix(ctx))?
                .into_iter()
                .map(|(_, a)| a)
                .find(|a| match (assoc, ip) {
                    (Some(id), _) => a.association.as_ref().is_some_and(|x| x.id == id),
                    (None, Some(ip)) => a.public_ip == ip,
                    _ => false,
                })
                .ok_or_else(|| match assoc {
                    Some(id) => assoc_not_found(id),
                    None => address_not_found(ip.unwrap_or_default()),
                })?;
            if let Some(e) = managed(&a) {
                return Err(e);
            }
            dry_run(&input)?;
            let Some(old) = a.association.take() else {
                return Ok(vec![]);
            };
            txn.put(&table(store), &key(ctx, &a.allocation_id), &a)?;
            let mut out = Vec::new();
            if let Some((i, _)) = old.instance_id.as_ref().and_then(|i| index.get(i)) {
                let mut i = i.clone();
                i.settle(now);
                unhook(txn, store, ctx, &mut i)?;
                txn.put(&instances::table(store), &key(ctx, &i.id), &i)?;
                out.push(i);
            }
            Ok::<_, AwsError>(out)
        })?;
        self.save_instances(ctx, &mut locked, changed);
        Ok(json!({}))
    }
}
