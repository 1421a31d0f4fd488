//! Compute's side of network interfaces: the instance records, seen by
//! `vpc/network_interfaces.rs` as typed [`Holder`]s through
//! [`InterfaceHolders`], so the lower family never reads an instance.

use crate::compute::instances::{self, Instance};
use crate::vpc::network_interfaces::{Holder, InterfaceHolders};
use crate::Ec2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde_json::json;

fn holder(i: &Instance) -> Holder {
    Holder {
        id: i.id.clone(),
        state: i.state.clone(),
        vpc_id: i.vpc_id.clone(),
        az: i.az.clone(),
        eni_id: i.eni_id.clone(),
    }
}

impl InterfaceHolders for Ec2Service {
    fn holders(&self, ctx: &RequestContext) -> Result<Vec<Holder>, AwsError> {
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx)?;
        Ok(l.region()
            .instances
            .values()
            .filter_map(|(i, _)| {
                let mut i = i.clone();
                i.settle(now);
                (!i.gone(now)).then(|| holder(&i))
            })
            .collect())
    }

    fn holders_in(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        now: i64,
    ) -> Result<Vec<Holder>, AwsError> {
        Ok(instances::all_in(txn, &self.store, ctx, now)?
            .iter()
            .map(holder)
            .collect())
    }

    fn primary_interface(&self, ctx: &RequestContext, instance_id: &str) -> Option<Value> {
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx).ok()?;
        let mut i = l.region().instances.get(instance_id)?.0.clone();
        drop(l);
        i.settle(now);
        i.to_value(ctx, &Default::default())["NetworkInterfaces"]
            .get(0)
            .cloned()
    }

    fn set_primary_groups(
        &self,
        ctx: &RequestContext,
        instance_id: &str,
        group_ids: &[String],
    ) -> OpResult {
        let store = &self.store;
        instances::with_instance(self, ctx, instance_id, |txn, i| {
            i.groups = crate::vpc::security_group::resolve_groups(
                txn,
                store,
                ctx,
                &i.vpc_id,
                group_ids,
                &[],
            )?;
            Ok(json!({}))
        })
    }

    fn no_such_instance(&self, id: &str) -> AwsError {
        instances::not_found(&[id])
    }
}
