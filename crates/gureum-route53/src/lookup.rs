//! Reading records for other services (ACM's DNS validation): the value
//! of a simple record in one of an account's hosted zones.

use crate::{names, records, Route53Service};

impl Route53Service {
    /// The values of the simple (no set identifier) `rtype` record named
    /// `name` in `account`'s public hosted zones, empty when there is none.
    /// One scan of the account's zones and one read per zone holding the
    /// name: the cost does not grow with the number of records.
    pub fn record_values(&self, account: &str, name: &str, rtype: &str) -> Vec<String> {
        let Some(name) = names::normalize(name) else {
            return Vec::new();
        };
        let Ok(zones) = self.zones.scan_prefix(&format!("{account}/")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (_, zone) in zones {
            if zone.private || !names::in_zone(&name, &zone.name) {
                continue;
            }
            let key = records::record_key(account, &zone.id, &name, rtype, "");
            if let Ok(Some(set)) = self.records.get(&key) {
                out.extend(
                    set["ResourceRecords"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r["Value"].as_str().map(str::to_string)),
                );
            }
        }
        out
    }
}
