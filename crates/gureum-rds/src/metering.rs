//! What RDS bills for, read for the meter ([`gureum_kit::metering`]): DB
//! instances' hours and allocated storage, except while stopped.

use crate::RdsService;
use gureum_kit::metering::{Metered, Running, UsageSource};

impl UsageSource for RdsService {
    fn running(&self, _now_ms: i64) -> Vec<Running> {
        let rows = self.instances.scan_prefix("").unwrap_or_default();
        rows.into_iter()
            .filter(|(_, db)| !matches!(db.status.as_str(), "stopped" | "deleting"))
            .filter_map(|(key, db)| {
                let mut parts = key.splitn(3, '/');
                Some(Running {
                    account: parts.next()?.to_string(),
                    region: parts.next()?.to_string(),
                    resource_id: db.id.clone(),
                    since_ms: db.created_ms,
                    what: Metered::DbInstance {
                        class: db.class.clone(),
                        engine: db.engine.clone(),
                        gib: db.allocated_storage,
                    },
                    tags: db
                        .tags
                        .iter()
                        .map(|t| (t.key.clone(), t.value.clone()))
                        .collect(),
                })
            })
            .collect()
    }
}
