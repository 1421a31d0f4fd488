//! What ElastiCache bills for, read for the meter
//! ([`gureum_kit::metering`]): each cache node's hours.

use crate::ElasticacheService;
use gureum_kit::metering::{Metered, Running, UsageSource};

impl UsageSource for ElasticacheService {
    fn running(&self, _now_ms: i64) -> Vec<Running> {
        let mut out = Vec::new();
        for (key, cluster) in self.clusters.scan_prefix("").unwrap_or_default() {
            let mut parts = key.splitn(3, '/');
            let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
                continue;
            };
            for node in &cluster.nodes {
                out.push(Running {
                    account: account.to_string(),
                    region: region.to_string(),
                    resource_id: format!("{}-{}", cluster.id, node.id),
                    since_ms: node.created_ms,
                    what: Metered::CacheNode {
                        node_type: cluster.node_type.clone(),
                    },
                    tags: Vec::new(),
                });
            }
        }
        out
    }
}
