//! EC2's resource types, declared once: AWS's name for each, its id
//! prefix, how to find one inside a write transaction, and its NotFound
//! error ([`gureum_kit::Registry`]). Tagging resolves every id through
//! this table. It sits at the crate root, above the families, because it
//! names every family's tables.

use crate::common::errors::Ec2Error;
use crate::common::network::{key, prefix};
use crate::{compute, ebs, images, vpc, Ec2Service};
use gureum_core::{AwsError, RequestContext};
use gureum_kit::{Registry, ResourceType};
use gureum_store::{Codec, Table, WriteTxn};

/// How a type is looked up: inside the caller's write transaction.
pub type Exists = fn(&WriteTxn, &Ec2Service, &RequestContext, &str) -> Result<bool, AwsError>;

/// Whether `id` is a key of a scoped table.
fn in_table<T, C: Codec<T>>(
    txn: &WriteTxn,
    table: &Table<T, C>,
    ctx: &RequestContext,
    id: &str,
) -> Result<bool, AwsError> {
    Ok(txn.get(table, &key(ctx, id))?.is_some())
}

/// Every resource type EC2 tags. Types Gureum does not model
/// (`exists: None`) are tagged without a check, as before.
pub static RESOURCES: Registry<Exists, AwsError> = Registry::new(&[
    ResourceType {
        name: "vpc",
        id_prefix: "vpc",
        exists: Some(|t, s, c, id| in_table(t, &vpc::vpcs::table(&s.store), c, id)),
        not_found: |id| vpc::vpcs::not_found(id),
    },
    ResourceType {
        name: "subnet",
        id_prefix: "subnet",
        exists: Some(|t, s, c, id| in_table(t, &vpc::subnet::table(&s.store), c, id)),
        not_found: |id| vpc::subnet::not_found(id),
    },
    ResourceType {
        name: "internet-gateway",
        id_prefix: "igw",
        exists: Some(|t, s, c, id| in_table(t, &vpc::internet_gateway::table(&s.store), c, id)),
        not_found: |id| vpc::internet_gateway::not_found(id),
    },
    ResourceType {
        name: "route-table",
        id_prefix: "rtb",
        exists: Some(|t, s, c, id| in_table(t, &vpc::route_table::table(&s.store), c, id)),
        not_found: |id| vpc::route_table::not_found(id),
    },
    ResourceType {
        name: "security-group",
        id_prefix: "sg",
        exists: Some(|t, s, c, id| in_table(t, &vpc::security_group::table(&s.store), c, id)),
        not_found: |id| vpc::security_group::not_found(id),
    },
    ResourceType {
        name: "security-group-rule",
        id_prefix: "sgr",
        exists: None,
        not_found: |id| {
            Ec2Error::InvalidSecurityGroupRuleIdNotFound {
                message: format!("The security group rule ID '{id}' does not exist"),
            }
            .into()
        },
    },
    ResourceType {
        name: "network-acl",
        id_prefix: "acl",
        exists: Some(|t, s, c, id| in_table(t, &vpc::vpcs::acl_table(&s.store), c, id)),
        not_found: |id| vpc::network_acl::not_found(id),
    },
    ResourceType {
        name: "dhcp-options",
        id_prefix: "dopt",
        exists: Some(|t, s, c, id| {
            Ok(in_table(t, &vpc::dhcp_options::table(&s.store), c, id)?
                || vpc::vpcs::default_dhcp_options_id(&s.store, c)?.as_deref() == Some(id))
        }),
        not_found: |id| vpc::dhcp_options::not_found(id),
    },
    ResourceType {
        name: "instance",
        id_prefix: "i",
        exists: Some(|t, s, c, id| in_table(t, &compute::instances::table(&s.store), c, id)),
        not_found: |id| compute::instances::not_found(&[id]),
    },
    ResourceType {
        name: "image",
        id_prefix: "ami",
        exists: Some(|t, s, c, id| Ok(images::amis::usable(t, &s.store, c, &c.region, id).is_ok())),
        not_found: |id| images::amis::not_found(id),
    },
    ResourceType {
        name: "volume",
        id_prefix: "vol",
        exists: Some(|t, s, c, id| in_table(t, &ebs::volumes::table(&s.store), c, id)),
        not_found: |id| ebs::volumes::not_found(id),
    },
    ResourceType {
        name: "snapshot",
        id_prefix: "snap",
        exists: Some(|t, s, c, id| Ok(ebs::snapshots::find_in(s, t, c, id)?.is_some())),
        not_found: |id| ebs::snapshots::not_found(id),
    },
    ResourceType {
        name: "network-interface",
        id_prefix: "eni",
        exists: Some(|t, s, c, id| {
            Ok(
                in_table(t, &vpc::network_interfaces::table(&s.store), c, id)?
                    || t.scan_prefix(&compute::instances::table(&s.store), &prefix(c))?
                        .iter()
                        .any(|(_, i)| i.eni_id == id),
            )
        }),
        not_found: |id| vpc::network_interfaces::not_found(id),
    },
    ResourceType {
        name: "natgateway",
        id_prefix: "nat",
        exists: Some(|t, s, c, id| in_table(t, &vpc::nat_gateway::table(&s.store), c, id)),
        not_found: |id| vpc::nat_gateway::not_found(id),
    },
    ResourceType {
        name: "elastic-ip",
        id_prefix: "eipalloc",
        exists: Some(|t, s, c, id| in_table(t, &vpc::elastic_ips::table(&s.store), c, id)),
        not_found: |id| Ec2Error::InvalidAllocationIdNotFound { id: id.to_string() }.into(),
    },
    ResourceType {
        name: "launch-template",
        id_prefix: "lt",
        exists: Some(|t, s, c, id| in_table(t, &compute::launch_templates::table(&s.store), c, id)),
        not_found: |id| Ec2Error::InvalidLaunchTemplateIdNotFound { id: id.to_string() }.into(),
    },
    ResourceType {
        name: "key-pair",
        id_prefix: "key",
        exists: None,
        not_found: |id| {
            Ec2Error::InvalidKeyPairNotFound {
                message: format!("The key pair '{id}' does not exist"),
            }
            .into()
        },
    },
    ResourceType {
        name: "vpc-peering-connection",
        id_prefix: "pcx",
        exists: Some(|t, s, _, id| Ok(t.get(&vpc::peering::table(&s.store), id)?.is_some())),
        not_found: |id| vpc::peering::not_found(id),
    },
    ResourceType {
        name: "vpc-endpoint",
        id_prefix: "vpce",
        exists: Some(|t, s, c, id| in_table(t, &vpc::vpc_endpoints::table(&s.store), c, id)),
        not_found: |id| vpc::vpc_endpoints::not_found(id),
    },
    ResourceType {
        name: "transit-gateway",
        id_prefix: "tgw",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::TRANSIT_GATEWAY.missing(id),
    },
    ResourceType {
        name: "egress-only-internet-gateway",
        id_prefix: "eigw",
        exists: None,
        not_found: |id| Ec2Error::InvalidId { id: id.to_string() }.into(),
    },
    ResourceType {
        name: "prefix-list",
        id_prefix: "pl",
        exists: Some(|t, s, c, id| in_table(t, &vpc::prefix_lists::table(&s.store), c, id)),
        not_found: |id| vpc::prefix_lists::not_found(id),
    },
    ResourceType {
        name: "vpc-flow-log",
        id_prefix: "fl",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::FLOW_LOG.missing(id),
    },
    ResourceType {
        name: "transit-gateway-attachment",
        id_prefix: "tgw-attach",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::TGW_ATTACHMENT.missing(id),
    },
    ResourceType {
        name: "vpn-gateway",
        id_prefix: "vgw",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::VPN_GATEWAY.missing(id),
    },
    ResourceType {
        name: "customer-gateway",
        id_prefix: "cgw",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::CUSTOMER_GATEWAY.missing(id),
    },
    ResourceType {
        name: "vpn-connection",
        id_prefix: "vpn",
        exists: Some(|t, s, c, id| in_table(t, &vpc::records::table(&s.store), c, id)),
        not_found: |id| vpc::records::VPN_CONNECTION.missing(id),
    },
]);

#[cfg(test)]
mod tests {
    use super::RESOURCES;

    #[test]
    fn resource_types_come_from_id_prefixes() {
        let name = |id: &str| RESOURCES.type_of(id).map(|t| t.name);
        assert_eq!(name("vpc-0123abcd"), Some("vpc"));
        assert_eq!(name("sg-0123abcd"), Some("security-group"));
        assert_eq!(name("igw-0123abcd"), Some("internet-gateway"));
        assert_eq!(
            name("tgw-attach-0123abcd"),
            Some("transit-gateway-attachment")
        );
        assert_eq!(name("vpc"), None);
        assert_eq!(name("nope-0123"), None);
    }

    #[test]
    fn each_prefix_and_name_is_declared_once() {
        let types = RESOURCES.types();
        for (i, t) in types.iter().enumerate() {
            assert!(
                types[i + 1..]
                    .iter()
                    .all(|o| o.id_prefix != t.id_prefix && o.name != t.name),
                "{} declared twice",
                t.name
            );
        }
    }

    #[test]
    fn not_found_errors_name_the_id() {
        let e = (RESOURCES.named("subnet").expect("declared").not_found)("subnet-0abc");
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "InvalidSubnetID.NotFound",
                "The subnet ID 'subnet-0abc' does not exist"
            )
        );
    }
}
