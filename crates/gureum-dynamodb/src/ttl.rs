//! Time to live: an item whose TTL attribute holds an epoch-seconds time
//! in the past is deleted by a background pass on Gureum's clock
//! ([`DynamoDbService::expire_due`], run every second by the server).
//! Expiry times are indexed in `dynamodb.ttl` (kept with each item
//! write), so a pass reads only what is due.

use crate::schema::TableMeta;
use crate::storage::{self, Stores};
use crate::value::{item_from_stored, AttrValue};
use crate::DynamoDbService;
use gureum_core::AwsError;
use gureum_store::{Result as StoreResult, WriteTxn};

/// Most items one pass deletes per table.
const PASS: usize = 1000;

/// Indexes the expiry of every item of a table whose TTL was just turned
/// on.
pub fn index_all(s: &Stores, txn: &mut WriteTxn, tkey: &str, meta: &TableMeta) -> StoreResult<()> {
    for (k, v) in txn.scan_prefix(&s.items, &storage::items_base(tkey))? {
        let item = item_from_stored(&v);
        if let Some(AttrValue::N(n)) = item.get(&meta.ttl.attribute) {
            if let Some(secs) = n
                .to_string()
                .split('.')
                .next()
                .and_then(|x| x.parse::<i64>().ok())
            {
                if secs >= 0 {
                    let entry = format!("{tkey}/{secs:020}/{}", &k[tkey.len() + 1..]);
                    txn.put(&s.ttl, &entry, &k)?;
                }
            }
        }
    }
    Ok(())
}

impl DynamoDbService {
    /// Deletes the items whose expiry time (epoch seconds) is before
    /// `now_ms`, in every table with TTL on; answers how many went.
    pub fn expire_due(&self, now_ms: i64) -> Result<usize, AwsError> {
        let now = now_ms.div_euclid(1000);
        let mut deleted = 0;
        let tables = self.s.tables.scan_prefix("")?;
        for (tkey, meta) in tables {
            if meta.pitr.is_some() {
                self.prune_pitr(&tkey, now_ms)?;
            }
            if !meta.ttl.enabled {
                continue;
            }
            let start = format!("{tkey}/");
            let end = format!("{tkey}/{now:020}");
            let due = self.s.ttl.scan_range(&start, Some(&end), PASS)?;
            if due.is_empty() {
                continue;
            }
            deleted += self.s.store.write(|txn| -> Result<usize, AwsError> {
                let mut n = 0;
                for (entry, ikey) in &due {
                    txn.delete(&self.s.ttl, entry)?;
                    let Some(v) = txn.get(&self.s.items, ikey)? else {
                        continue;
                    };
                    let item = item_from_stored(&v);
                    // Only if the item still expires by now (it may have
                    // been rewritten since it was indexed).
                    let still = matches!(item.get(&meta.ttl.attribute), Some(AttrValue::N(x))
                        if x.to_string().split('.').next().and_then(|s| s.parse::<i64>().ok()).is_some_and(|s| s < now));
                    if still {
                        storage::write_item_as(
                            &self.s,
                            txn,
                            &tkey,
                            &meta,
                            ikey,
                            Some(&item),
                            None,
                            now_ms,
                            storage::Writer {
                                service: Some("dynamodb.amazonaws.com"),
                                ..Default::default()
                            },
                        )?;
                        n += 1;
                    }
                }
                Ok(n)
            })?;
        }
        Ok(deleted)
    }
}
