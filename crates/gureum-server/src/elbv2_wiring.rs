//! Elastic Load Balancing's seams, wired to the services that own them:
//! EC2 places load balancers (subnets, security groups, their
//! `ELB app/NAME/ID` interfaces) and resolves instance targets; Lambda
//! runs `lambda` targets, invoked as `elasticloadbalancing.amazonaws.com`
//! for the target group, so the function policy must allow it, as on AWS;
//! HTTPS and TLS listeners read their certificates from ACM.

use gureum_core::{AwsError, Clock, RequestContext};
use gureum_ec2::Ec2Service;
use gureum_elbv2::seams::{Functions, InstanceAddress, Interface, Network, SubnetInfo};
use gureum_lambda::policy::ServiceSender;
use gureum_lambda::LambdaService;
use std::sync::Arc;

/// ELBv2 over `ec2`, `lambda` and `metrics`.
pub fn build(
    store: &gureum_store::Store,
    clock: &Clock,
    ec2: &Arc<Ec2Service>,
    lambda: &Arc<LambdaService>,
    metrics: Arc<dyn gureum_kit::metrics::MetricSink>,
    certificates: &Arc<gureum_acm::AcmService>,
) -> Arc<gureum_elbv2::Elbv2Service> {
    Arc::new(gureum_elbv2::Elbv2Service::with_seams(
        store.clone(),
        gureum_elbv2::Seams {
            network: Arc::new(Ec2Network {
                ec2: ec2.clone(),
                clock: clock.clone(),
            }),
            functions: Arc::new(LambdaTargets(lambda.clone())),
            metrics,
            clock: clock.clone(),
            certificates: certificates.clone(),
        },
    ))
}

/// EC2 as ELB's [`Network`].
struct Ec2Network {
    ec2: Arc<Ec2Service>,
    clock: Clock,
}

impl Network for Ec2Network {
    fn subnet(&self, ctx: &RequestContext, id: &str) -> Result<Option<SubnetInfo>, AwsError> {
        Ok(self.ec2.subnet_for_service(ctx, id)?.map(|s| SubnetInfo {
            id: s.id,
            vpc_id: s.vpc_id,
            zone: s.az,
            cidr: s.cidr,
        }))
    }

    fn security_groups(
        &self,
        ctx: &RequestContext,
        vpc_id: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError> {
        self.ec2.security_groups_for_service(ctx, vpc_id, ids)
    }

    fn create_interface(
        &self,
        ctx: &RequestContext,
        subnet_id: &str,
        groups: &[String],
        description: &str,
    ) -> Result<Option<Interface>, AwsError> {
        let (id, private_ip) =
            self.ec2
                .create_interface_for_service(ctx, subnet_id, groups, description)?;
        Ok(Some(Interface { id, private_ip }))
    }

    fn delete_interface(&self, ctx: &RequestContext, id: &str) -> Result<(), AwsError> {
        self.ec2.delete_interface_for_service(ctx, id)
    }

    fn instance(&self, account: &str, region: &str, id: &str) -> Option<InstanceAddress> {
        self.ec2
            .instance_address(account, region, id, self.clock.now_millis())
            .map(|i| InstanceAddress {
                // The data plane runs in the host's namespace, and the
                // fabric routes the host only to public addresses (a
                // VPC's private range may overlap another's): an instance
                // with a public address is reached there.
                private_ip: i.public_ip.unwrap_or(i.private_ip),
                vpc_id: i.vpc_id,
                state: i.state,
            })
    }

    fn vpc_exists(&self, ctx: &RequestContext, vpc_id: &str) -> Result<bool, AwsError> {
        self.ec2.vpc_exists_for_service(ctx, vpc_id)
    }
}

/// Lambda as ELB's [`Functions`].
struct LambdaTargets(Arc<LambdaService>);

impl Functions for LambdaTargets {
    fn invoke(
        &self,
        function_arn: &str,
        target_group_arn: &str,
        event: &[u8],
    ) -> Result<Vec<u8>, String> {
        let sender = ServiceSender {
            service: "elasticloadbalancing.amazonaws.com",
            source_arn: target_group_arn,
            source_account: target_group_arn.split(':').nth(4).unwrap_or_default(),
        };
        match self
            .0
            .invoke_from_service(&sender, function_arn, event, false)
        {
            Ok(Some(outcome)) if outcome.function_error.is_none() => Ok(outcome.payload),
            Ok(Some(outcome)) => Err(String::from_utf8_lossy(&outcome.payload).into_owned()),
            Ok(None) => Err("no answer".into()),
            Err(e) => Err(format!("{}: {}", e.code, e.message)),
        }
    }
}
