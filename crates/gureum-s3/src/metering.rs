//! What S3 bills for, read for the meter ([`gureum_kit::metering`]): the
//! bytes each bucket stores per storage class, current and noncurrent
//! versions alike (delete markers store nothing). Read by a scan of the
//! bucket's objects at each meter pass (once a clock minute).

use crate::S3Service;
use gureum_kit::metering::{Metered, Running, UsageSource};
use std::collections::BTreeMap;

impl UsageSource for S3Service {
    fn running(&self, _now_ms: i64) -> Vec<Running> {
        let mut out = Vec::new();
        for (name, bucket) in self.buckets.scan_prefix("").unwrap_or_default() {
            let prefix = format!("{name}/");
            let mut by_class: BTreeMap<String, i64> = BTreeMap::new();
            for table in [&self.objects.current, &self.objects.noncurrent] {
                for (_, v) in table.scan_prefix(&prefix).unwrap_or_default() {
                    if !v.delete_marker {
                        *by_class.entry(v.storage_class.clone()).or_insert(0) += v.size as i64;
                    }
                }
            }
            for (class, bytes) in by_class {
                out.push(Running {
                    account: bucket.account_id.clone(),
                    region: bucket.region.clone(),
                    resource_id: name.clone(),
                    // Storage is billed from the pass that first sees it.
                    since_ms: i64::MIN,
                    what: Metered::S3Storage {
                        storage_class: class,
                        bytes,
                    },
                    tags: Vec::new(),
                });
            }
        }
        out
    }
}
