//! What ELBv2 bills for, read for the meter ([`gureum_kit::metering`]):
//! each load balancer's hours (LCUs are not metered).

use crate::Elbv2Service;
use gureum_kit::metering::{Metered, Running, UsageSource};

impl UsageSource for Elbv2Service {
    fn running(&self, _now_ms: i64) -> Vec<Running> {
        let rows = self.load_balancers.scan_prefix("").unwrap_or_default();
        rows.into_iter()
            .filter_map(|(key, lb)| {
                let mut parts = key.splitn(3, '/');
                Some(Running {
                    account: parts.next()?.to_string(),
                    region: parts.next()?.to_string(),
                    resource_id: lb.arn.clone(),
                    since_ms: lb.created_ms,
                    what: Metered::LoadBalancer {
                        kind: lb.kind.clone(),
                    },
                    tags: Vec::new(),
                })
            })
            .collect()
    }
}
