//! EFS's seam, wired to EC2: mount targets take their subnet, security
//! groups and requester-managed network interface from EC2's Rust
//! interface.

use gureum_core::{AwsError, RequestContext};
use gureum_ec2::Ec2Service;
use gureum_efs::{EfsService, Fabric, Network, SubnetInfo};
use std::sync::Arc;

/// EC2 as EFS's [`Network`].
struct Ec2Network(Arc<Ec2Service>);

impl Network for Ec2Network {
    fn subnet(&self, ctx: &RequestContext, id: &str) -> Result<Option<SubnetInfo>, AwsError> {
        Ok(self.0.subnet_for_service(ctx, id)?.map(|s| SubnetInfo {
            id: s.id,
            vpc_id: s.vpc_id,
            az: s.az,
            az_id: s.az_id,
        }))
    }

    fn security_groups(
        &self,
        ctx: &RequestContext,
        vpc_id: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError> {
        self.0.security_groups_for_service(ctx, vpc_id, ids)
    }

    fn create_interface(
        &self,
        ctx: &RequestContext,
        subnet_id: &str,
        groups: &[String],
        description: &str,
    ) -> Result<(String, String), AwsError> {
        self.0
            .create_interface_for_service(ctx, subnet_id, groups, description)
    }

    fn delete_interface(&self, ctx: &RequestContext, id: &str) -> Result<(), AwsError> {
        self.0.delete_interface_for_service(ctx, id)
    }
}

/// The instances' host as EFS's [`Fabric`]: mount targets are served
/// in their VPC's router namespace.
struct InstanceFabric(gureum_instances::Host);

impl Fabric for InstanceFabric {
    fn router_namespace(&self, vpc_id: &str) -> Option<String> {
        self.0.vpc_router_namespace(vpc_id)
    }
}

/// EFS over `store`, placing mount targets through `ec2` and serving
/// them where `instances` run.
pub fn build(
    store: &gureum_store::Store,
    ec2: &Arc<Ec2Service>,
    instances: &gureum_instances::Host,
) -> Arc<EfsService> {
    let efs = Arc::new(EfsService::new(store.clone()));
    efs.set_network(Arc::new(Ec2Network(ec2.clone())));
    efs.set_fabric(Arc::new(InstanceFabric(instances.clone())));
    efs
}
