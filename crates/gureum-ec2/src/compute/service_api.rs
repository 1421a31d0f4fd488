//! What other services read and change in EC2 through Rust (never HTTP):
//! subnets, VPCs and security groups to place things in, requester-managed
//! interfaces made on their behalf (Elastic Load Balancing's
//! `ELB app/NAME/ID`), and instances' addresses for load balancer targets.
//! Each call sets the region up first, as an EC2 request would.

use crate::common::network::key;
use crate::compute::instances;
use crate::vpc::{network_interfaces, security_group, subnet, vpcs};
use crate::Ec2Service;
use gureum_core::{AwsError, RequestContext};

/// An instance's address and state, as another service sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceAddress {
    /// Its primary private IPv4 address.
    pub private_ip: String,
    /// Its public IPv4 address, when it has one.
    pub public_ip: Option<String>,
    /// Its VPC.
    pub vpc_id: String,
    /// Its state now (`pending`, `running`, `stopped`, …).
    pub state: String,
}

impl Ec2Service {
    /// A subnet of the caller's region (`None` when it does not exist).
    pub fn subnet_for_service(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Option<subnet::Subnet>, AwsError> {
        self.prepare(ctx)?;
        Ok(subnet::table(&self.store).get(&key(ctx, id))?)
    }

    /// Whether a VPC exists in the caller's region.
    pub fn vpc_exists_for_service(&self, ctx: &RequestContext, id: &str) -> Result<bool, AwsError> {
        self.prepare(ctx)?;
        Ok(vpcs::table(&self.store).get(&key(ctx, id))?.is_some())
    }

    /// The security groups `ids` checked to be in `vpc_id` (the VPC's
    /// `default` group when `ids` is empty); `Err(id)` names the first
    /// that is not.
    pub fn security_groups_for_service(
        &self,
        ctx: &RequestContext,
        vpc_id: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError> {
        self.prepare(ctx)?;
        let all =
            security_group::table(&self.store).scan_prefix(&crate::common::network::prefix(ctx))?;
        if ids.is_empty() {
            return Ok(Ok(all
                .into_iter()
                .filter(|(_, g)| g.vpc_id == vpc_id && g.name == "default")
                .map(|(_, g)| g.id)
                .collect()));
        }
        for id in ids {
            if !all.iter().any(|(_, g)| &g.id == id && g.vpc_id == vpc_id) {
                return Ok(Err(id.clone()));
            }
        }
        Ok(Ok(ids.to_vec()))
    }

    /// Makes a requester-managed interface in `subnet_id` for another
    /// service: `(eni id, private address)`.
    pub fn create_interface_for_service(
        &self,
        ctx: &RequestContext,
        subnet_id: &str,
        groups: &[String],
        description: &str,
    ) -> Result<(String, String), AwsError> {
        self.prepare(ctx)?;
        let store = &self.store;
        let s = subnet::table(store)
            .get(&key(ctx, subnet_id))?
            .ok_or_else(|| subnet::not_found(subnet_id))?;
        store.write(|txn| {
            let mut eni = network_interfaces::create_in(
                txn,
                store,
                ctx,
                &s,
                None,
                groups.to_vec(),
                description,
                "interface",
            )?;
            eni.requester_managed = true;
            txn.put(&network_interfaces::table(store), &key(ctx, &eni.id), &eni)?;
            Ok((eni.id, eni.private_ip))
        })
    }

    /// Deletes an interface made by [`Ec2Service::create_interface_for_service`]
    /// (already gone: nothing to do).
    pub fn delete_interface_for_service(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<(), AwsError> {
        let store = &self.store;
        let Some(eni) = network_interfaces::table(store).get(&key(ctx, id))? else {
            return Ok(());
        };
        store.write(|txn| network_interfaces::delete_in(txn, store, ctx, &eni))
    }

    /// An instance's address and current state (`None` when unknown).
    pub fn instance_address(
        &self,
        account: &str,
        region: &str,
        id: &str,
        now_ms: i64,
    ) -> Option<InstanceAddress> {
        let mut i = instances::table(&self.store)
            .get(&format!("{account}/{region}/{id}"))
            .ok()??;
        i.settle(now_ms);
        Some(InstanceAddress {
            private_ip: i.private_ip,
            public_ip: i.public_ip,
            vpc_id: i.vpc_id,
            state: i.state,
        })
    }
}
