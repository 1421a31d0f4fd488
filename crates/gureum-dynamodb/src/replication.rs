//! Global tables' work on the clock (see [`crate::replicas`]): building
//! and removing the replicas asked for, and sending each member's new
//! stream records to the others, applied unless the item there was
//! written later (last writer wins).

use crate::replicas::{member_key, parts};
use crate::schema::TableMeta;
use crate::storage::{self, Stats, Writer};
use crate::value::{item_from_stored, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, Value};
use gureum_store::WriteTxn;
use std::collections::BTreeMap;

/// Most stream records one tick replicates per source and destination.
const BATCH: usize = 1000;

impl DynamoDbService {
    /// One pass of global tables on the clock: builds and removes the
    /// replicas asked for, then replicates every member's new changes to
    /// the others. Answers how many changes were applied.
    pub fn replicate(&self, now_ms: i64) -> Result<usize, AwsError> {
        let mut applied = 0;
        for (key, meta) in self.s.tables.scan_prefix("")? {
            if meta.replicas.is_empty() {
                continue;
            }
            let (_, here, _) = parts(&key);
            for (r, rep) in &meta.replicas {
                if rep.by == here && rep.status == "CREATING" {
                    self.build_replica(&key, r, now_ms)?;
                } else if rep.by == here && rep.status == "DELETING" {
                    self.drop_replica(&key, r)?;
                }
            }
        }
        for (key, meta) in self.s.tables.scan_prefix("")? {
            let (_, here, _) = parts(&key);
            if meta.replicas.get(here).map(|r| r.status.as_str()) != Some("ACTIVE") {
                continue;
            }
            for (r, rep) in &meta.replicas {
                if r != here && rep.status == "ACTIVE" {
                    applied += self.push(&key, &meta, r, now_ms)?;
                }
            }
        }
        Ok(applied)
    }

    /// Builds the replica of `key`'s table in `region` from its items.
    fn build_replica(&self, key: &str, region: &str, now_ms: i64) -> Result<(), AwsError> {
        let dkey = member_key(key, region);
        let (_, here, _) = parts(key);
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            let Some(src) = txn.get(&self.s.tables, key)? else {
                return Ok(vec![]);
            };
            let mut group = src.replicas.clone();
            if txn.get(&self.s.tables, &dkey)?.is_some() {
                // A table of that name appeared in the meantime.
                group.remove(region);
                if group.len() == 1 {
                    group.clear();
                }
                let mut src = src.clone();
                src.replicas = group.clone();
                storage::put_meta(&self.s, txn, key, &mut src)?;
                let mut t = self.share_group(txn, key, &group)?;
                t.push(key.to_string());
                return Ok(t);
            }
            let class = group.get(region).and_then(|r| r.class.clone());
            if let Some(rep) = group.get_mut(region) {
                rep.status = "ACTIVE".into();
            }
            let mut dst = src.clone();
            let (account, _, name) = parts(key);
            dst.id = gureum_core::id::uuid_v4();
            dst.arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
            dst.created_ms = now_ms;
            dst.tags = BTreeMap::new();
            dst.stream_label = Some(crate::tables::stream_label(now_ms));
            dst.generation = 0;
            dst.updated_ms = None;
            dst.pitr = None;
            dst.restore = None;
            dst.policy = None;
            dst.protected = false;
            dst.class = class.unwrap_or_else(|| src.class.clone());
            dst.replicas = group.clone();
            for g in dst.gsis.iter_mut() {
                g.created_ms = now_ms;
            }
            storage::put_meta(&self.s, txn, &dkey, &mut dst)?;
            txn.put(&self.s.stats, &dkey, &Stats::default())?;
            // The copy is not a change of the replica: no stream records.
            let mut quiet = dst.clone();
            quiet.stream = None;
            for (ikey, v) in txn.scan_prefix(&self.s.items, &storage::items_base(key))? {
                let item = item_from_stored(&v);
                let (at, from) = txn
                    .get(&self.s.replica_times, &ikey)?
                    .unwrap_or((now_ms, here.to_string()));
                let dikey = format!("{dkey}{}", &ikey[key.len()..]);
                let by = Writer {
                    service: None,
                    replica_of: Some((&from, at)),
                };
                storage::write_item_as(
                    &self.s,
                    txn,
                    &dkey,
                    &quiet,
                    &dikey,
                    None,
                    Some(&item),
                    now_ms,
                    by,
                )?;
            }
            // Changes made here after the copy go to the new replica; the
            // other members send it what they have not yet sent here.
            if let Some(label) = &src.stream_label {
                let seq = txn
                    .get(&self.s.sequences, &format!("{key}/{label}"))?
                    .unwrap_or(0);
                txn.put(&self.s.replication, &format!("{key}/{region}"), &seq)?;
            }
            for other in group.keys().filter(|r| *r != here && *r != region) {
                let okey = member_key(key, other);
                let sent = txn
                    .get(&self.s.replication, &format!("{okey}/{here}"))?
                    .unwrap_or(0);
                txn.put(&self.s.replication, &format!("{okey}/{region}"), &sent)?;
            }
            let mut src = src.clone();
            src.replicas = group.clone();
            storage::put_meta(&self.s, txn, key, &mut src)?;
            let mut t = self.share_group(txn, key, &group)?;
            t.push(key.to_string());
            Ok(t)
        })?;
        for k in touched {
            self.forget(&k);
        }
        Ok(())
    }

    /// Removes the replica of `key`'s table in `region` and its items.
    fn drop_replica(&self, key: &str, region: &str) -> Result<(), AwsError> {
        let dkey = member_key(key, region);
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            let mut t = vec![key.to_string(), dkey.clone()];
            if let Some(dst) = txn.get(&self.s.tables, &dkey)? {
                t.extend(self.leave_group(txn, &dkey, &dst)?);
                self.drop_table_data(txn, &dkey)?;
            } else {
                // Never built: only the group changes.
                let Some(mut src) = txn.get(&self.s.tables, key)? else {
                    return Ok(t);
                };
                let mut group = src.replicas.clone();
                group.remove(region);
                if group.len() == 1 {
                    group.clear();
                }
                src.replicas = group.clone();
                storage::put_meta(&self.s, txn, key, &mut src)?;
                t.extend(self.share_group(txn, key, &group)?);
            }
            Ok(t)
        })?;
        for k in touched {
            self.forget(&k);
        }
        Ok(())
    }

    /// Sends the changes of `key`'s stream not yet sent to `region`.
    fn push(
        &self,
        key: &str,
        meta: &TableMeta,
        region: &str,
        now_ms: i64,
    ) -> Result<usize, AwsError> {
        let Some(label) = &meta.stream_label else {
            return Ok(0);
        };
        let (_, here, _) = parts(key);
        let skey = format!("{key}/{label}");
        let cursor = format!("{key}/{region}");
        let from = self.s.replication.get(&cursor)?.unwrap_or(0);
        let start = format!("{skey}/{:021}", from + 1);
        let rows = self
            .s
            .records
            .scan_range(&start, Some(&format!("{skey}0")), BATCH)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let dkey = member_key(key, region);
        let (applied, touched) = self
            .s
            .store
            .write(|txn| -> Result<(usize, bool), AwsError> {
                let Some(dst) = txn.get(&self.s.tables, &dkey)? else {
                    return Ok((0, false));
                };
                let mut n = 0;
                let mut last = from;
                for (_, r) in &rows {
                    if let Some(q) = r["dynamodb"]["SequenceNumber"]
                        .as_str()
                        .and_then(|x| x.parse().ok())
                    {
                        last = q;
                    }
                    if r.get("rep_from").is_some() {
                        continue;
                    }
                    n += usize::from(self.apply(txn, &dkey, &dst, r, here, now_ms)?);
                }
                txn.put(&self.s.replication, &cursor, &last)?;
                Ok((n, n > 0))
            })?;
        if touched {
            self.forget(&dkey);
        }
        Ok(applied)
    }

    /// Applies one stream record of `from` to the replica at `dkey`,
    /// unless the item there was written later; answers whether it was.
    fn apply(
        &self,
        txn: &mut WriteTxn,
        dkey: &str,
        dst: &TableMeta,
        record: &Value,
        from: &str,
        now_ms: i64,
    ) -> Result<bool, AwsError> {
        let at = record
            .get("at_ms")
            .and_then(Value::as_i64)
            .unwrap_or(now_ms);
        let keys = item_from_stored(&record["dynamodb"]["Keys"]);
        let Some(h) = keys.get(&dst.keys.hash) else {
            return Ok(false);
        };
        let r = dst.keys.range.as_ref().and_then(|r| keys.get(r));
        let ikey = storage::item_key(dkey, h, r);
        if let Some((t, region)) = txn.get(&self.s.replica_times, &ikey)? {
            if (t, region.as_str()) >= (at, from) {
                return Ok(false);
            }
        }
        let new: Option<Item> = record["dynamodb"].get("NewImage").map(item_from_stored);
        let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
        let by = Writer {
            service: None,
            replica_of: Some((from, at)),
        };
        storage::write_item_as(
            &self.s,
            txn,
            dkey,
            dst,
            &ikey,
            old.as_ref(),
            new.as_ref(),
            now_ms,
            by,
        )?;
        if old.is_none() && new.is_none() {
            // A deletion of an item never seen here still wins over
            // older writes still on their way.
            txn.put(&self.s.replica_times, &ikey, &(at, from.to_string()))?;
        }
        Ok(true)
    }
}
