//! Operations that change what the fabric enforces (security group
//! rules, network ACLs, routes, addresses, peering) hand the host fresh
//! plans as soon as they succeed, so live traffic follows within the
//! time `nft` takes instead of waiting for the next tick.

use crate::Ec2Service;
use gureum_core::{OpResult, RequestContext, Value};

impl Ec2Service {
    /// Hands the host the current plans when it runs instances.
    pub(crate) fn push_network(&self, ctx: &RequestContext) {
        if self.seams.host.runs_instances() {
            self.seams
                .host
                .apply_network(self.network_plans(&ctx.clock));
        }
    }
}

/// `NAME_live`: runs `NAME`, then pushes the plans when it succeeded.
macro_rules! live {
    ($($name:ident => $live:ident),* $(,)?) => {
        impl Ec2Service {
            $(
                #[doc = concat!("`", stringify!($name), "`, then the network plans to the host.")]
                pub(crate) fn $live(&self, ctx: &RequestContext, input: Value) -> OpResult {
                    let out = self.$name(ctx, input)?;
                    self.push_network(ctx);
                    Ok(out)
                }
            )*
        }
    };
}

live! {
    authorize_security_group_ingress => authorize_security_group_ingress_live,
    authorize_security_group_egress => authorize_security_group_egress_live,
    revoke_security_group_ingress => revoke_security_group_ingress_live,
    revoke_security_group_egress => revoke_security_group_egress_live,
    create_network_acl_entry => create_network_acl_entry_live,
    replace_network_acl_entry => replace_network_acl_entry_live,
    delete_network_acl_entry => delete_network_acl_entry_live,
    replace_network_acl_association => replace_network_acl_association_live,
    create_route => create_route_live,
    replace_route => replace_route_live,
    delete_route => delete_route_live,
    associate_route_table => associate_route_table_live,
    replace_route_table_association => replace_route_table_association_live,
    disassociate_route_table => disassociate_route_table_live,
    associate_address => associate_address_live,
    disassociate_address => disassociate_address_live,
    modify_instance_attribute => modify_instance_attribute_live,
    modify_network_interface_attribute => modify_network_interface_attribute_live,
    accept_vpc_peering_connection => accept_vpc_peering_connection_live,
    delete_vpc_peering_connection => delete_vpc_peering_connection_live,
    modify_managed_prefix_list => modify_managed_prefix_list_live,
}
