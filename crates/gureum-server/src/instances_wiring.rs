//! EC2's instances on this machine: `gureum_instances::Host`, with STS
//! issuing the instance profile role's credentials (as
//! `ec2.amazonaws.com`) and IAM naming a profile's role.

use gureum_core::Clock;
use std::sync::Arc;

/// The host instances run on, wired to IAM and STS.
pub fn host(
    iam: &Arc<gureum_iam::IamService>,
    sts: &Arc<gureum_sts::StsService>,
    clock: &Clock,
) -> gureum_instances::Host {
    let iam = iam.clone();
    gureum_instances::Host::new(gureum_instances::Sources {
        sessions: sts.clone(),
        profiles: Arc::new(move |account, profile| {
            iam.instance_profile_role(account, profile).map(
                |(profile_arn, profile_id, role_arn)| gureum_instances::ProfileRole {
                    profile_arn,
                    profile_id,
                    role_arn,
                },
            )
        }),
        clock: clock.clone(),
    })
}
