//! RDS's wiring: EC2's subnets for DB subnet groups, and the engines'
//! endpoints for `/_gureum/health`.

use gureum_rds::{RdsService, SubnetInfo, Subnets};
use gureum_store::Store;
use std::sync::Arc;

/// RDS over `store`, reading EC2's subnets from the same store.
pub fn build(store: &Store) -> Arc<RdsService> {
    let rds = Arc::new(RdsService::new(store.clone()));
    rds.set_subnets(Arc::new(Ec2Subnets(store.clone())));
    rds
}

/// EC2's subnet table, read through `gureum_ec2`'s public interface.
struct Ec2Subnets(Store);

impl Subnets for Ec2Subnets {
    fn subnet(&self, account: &str, region: &str, id: &str) -> Option<SubnetInfo> {
        let subnet = gureum_ec2::vpc::subnet::table(&self.0)
            .get(&format!("{account}/{region}/{id}"))
            .ok()
            .flatten()?;
        Some(SubnetInfo {
            id: subnet.id,
            vpc_id: subnet.vpc_id,
            az: subnet.az,
        })
    }
}

/// The running DB instances' real endpoints, by `account/region/id`:
/// the endpoint address RDS reports, where the engine really listens
/// (`127.0.0.1:port`) and the engine's process id.
pub fn health_endpoints(rds: &RdsService) -> String {
    let map: serde_json::Map<String, serde_json::Value> = rds
        .endpoints()
        .into_iter()
        .map(|(key, address, port)| {
            let pid = rds.engine_pid(&key);
            let entry = serde_json::json!({
                "address": address,
                "host": "127.0.0.1",
                "port": port,
                "pid": pid,
            });
            (key, entry)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}
