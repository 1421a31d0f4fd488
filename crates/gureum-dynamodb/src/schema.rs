//! Stored table descriptions: key schemas, attribute definitions,
//! indexes and their projections, and the key checks items go through.

use crate::errors::{invalid, validation};
use crate::value::{AttrValue, Item};
use gureum_core::AwsError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most bytes a partition key value may have.
pub const MAX_HASH_KEY: usize = 2048;
/// Most bytes a sort key value may have.
pub const MAX_RANGE_KEY: usize = 1024;

/// A key schema: the partition key and the optional sort key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeySchema {
    /// The partition (HASH) key attribute.
    pub hash: String,
    /// The sort (RANGE) key attribute.
    #[serde(default)]
    pub range: Option<String>,
}

impl KeySchema {
    /// The wire form.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = vec![serde_json::json!({"AttributeName": self.hash, "KeyType": "HASH"})];
        if let Some(r) = &self.range {
            v.push(serde_json::json!({"AttributeName": r, "KeyType": "RANGE"}));
        }
        serde_json::Value::Array(v)
    }

    /// The key attribute names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.as_str()).chain(self.range.as_deref())
    }
}

/// A secondary index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// The index's name.
    pub name: String,
    /// Its key.
    pub keys: KeySchema,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: String,
    /// `INCLUDE`'s attributes.
    #[serde(default)]
    pub non_key: Vec<String>,
    /// Provisioned read capacity (GSIs, provisioned tables).
    #[serde(default)]
    pub rcu: i64,
    /// Provisioned write capacity.
    #[serde(default)]
    pub wcu: i64,
    /// Whether it is a global index.
    pub global: bool,
    /// When it was created (epoch ms): an index added by UpdateTable
    /// answers `CREATING`/`Backfilling` in that response only.
    #[serde(default)]
    pub created_ms: i64,
}

impl IndexMeta {
    /// What the index stores of `item` (its keys and the table's always).
    pub fn project(&self, item: &Item, table: &KeySchema) -> Item {
        if self.projection == "ALL" {
            return item.clone();
        }
        item.iter()
            .filter(|(k, _)| {
                table.names().any(|n| n == k.as_str())
                    || self.keys.names().any(|n| n == k.as_str())
                    || self.non_key.iter().any(|n| n == *k)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether an attribute is one the index holds.
    pub fn holds(&self, name: &str, table: &KeySchema) -> bool {
        self.projection == "ALL"
            || table.names().any(|n| n == name)
            || self.keys.names().any(|n| n == name)
            || self.non_key.iter().any(|n| n == name)
    }

    /// The projection's wire form.
    pub fn projection_json(&self) -> serde_json::Value {
        let mut p = serde_json::json!({"ProjectionType": self.projection});
        if self.projection == "INCLUDE" {
            p["NonKeyAttributes"] = serde_json::json!(self.non_key);
        }
        p
    }
}

/// Time to live.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ttl {
    /// Whether expiry is on.
    pub enabled: bool,
    /// The attribute holding the expiry time (epoch seconds).
    pub attribute: String,
}

/// A table, as stored (`dynamodb.tables`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    /// The name.
    pub name: String,
    /// The table id (a UUID).
    pub id: String,
    /// The ARN.
    pub arn: String,
    /// Creation time, epoch ms.
    pub created_ms: i64,
    /// The primary key.
    pub keys: KeySchema,
    /// Attribute definitions: name → `S`/`N`/`B`.
    pub attrs: BTreeMap<String, String>,
    /// `PROVISIONED` or `PAY_PER_REQUEST`.
    pub billing: String,
    /// When the billing mode last became `PAY_PER_REQUEST`, epoch ms.
    #[serde(default)]
    pub ppr_since_ms: Option<i64>,
    /// Provisioned read capacity.
    pub rcu: i64,
    /// Provisioned write capacity.
    pub wcu: i64,
    /// When capacity was last raised, epoch ms.
    #[serde(default)]
    pub increased_ms: Option<i64>,
    /// When capacity was last lowered, epoch ms.
    #[serde(default)]
    pub decreased_ms: Option<i64>,
    /// Local secondary indexes.
    #[serde(default)]
    pub lsis: Vec<IndexMeta>,
    /// Global secondary indexes.
    #[serde(default)]
    pub gsis: Vec<IndexMeta>,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`.
    pub class: String,
    /// Deletion protection.
    pub protected: bool,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Time to live.
    #[serde(default)]
    pub ttl: Ttl,
    /// The stream specification, as given.
    #[serde(default)]
    pub stream: Option<serde_json::Value>,
    /// The label of the table's stream (its creation time), once one was
    /// enabled; kept when disabled (the stream stays readable).
    #[serde(default)]
    pub stream_label: Option<String>,
    /// `SSESpecification`, `OnDemandThroughput`, `WarmThroughput` as
    /// given (echoed in the description).
    #[serde(default)]
    pub settings: BTreeMap<String, serde_json::Value>,
    /// Bumped by every change to the description; item writes compare it,
    /// inside their transaction, with `dynamodb.generations` to notice a
    /// description changed after they read it (an index added meanwhile).
    #[serde(default)]
    pub generation: u64,
    /// The time of the last UpdateTable (its response says `UPDATING`).
    #[serde(default)]
    pub updated_ms: Option<i64>,
    /// Point-in-time recovery, while enabled.
    #[serde(default)]
    pub pitr: Option<Pitr>,
    /// The `RestoreSummary` of a table made by a restore.
    #[serde(default)]
    pub restore: Option<serde_json::Value>,
    /// The table's resource-based policy: `(document, revision id)`.
    #[serde(default)]
    pub policy: Option<(String, String)>,
    /// Global table (version 2019.11.21): every region of the replication
    /// group, this table's own included, with its replica's state; the
    /// same map is kept on every member ([`crate::replicas`]).
    #[serde(default)]
    pub replicas: BTreeMap<String, Replica>,
    /// Whether the group is a legacy (2017.11.29) global table.
    #[serde(default)]
    pub legacy_global: bool,
}

/// One member of a global table's replication group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replica {
    /// `CREATING`, `ACTIVE` or `DELETING`.
    pub status: String,
    /// The region whose table builds (or deletes) this replica on the
    /// ticker: the one the UpdateTable was sent to.
    pub by: String,
    /// `TableClassOverride`, when one was given.
    #[serde(default)]
    pub class: Option<String>,
}

/// Point-in-time recovery settings: while set, every item write also
/// logs the item as it was (`dynamodb.pitr_log`), which a restore undoes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pitr {
    /// When it was enabled, epoch ms (the earliest restorable time).
    pub enabled_ms: i64,
    /// `RecoveryPeriodInDays` (1–35).
    pub days: i64,
}

impl TableMeta {
    /// The stream's view type while a stream is enabled.
    pub fn stream_view(&self) -> Option<&str> {
        let spec = self.stream.as_ref()?;
        if spec
            .get("StreamEnabled")
            .and_then(serde_json::Value::as_bool)
            != Some(true)
        {
            return None;
        }
        spec.get("StreamViewType")
            .and_then(serde_json::Value::as_str)
    }

    /// The stream's ARN, once a stream was enabled.
    pub fn stream_arn(&self) -> Option<String> {
        self.stream_label
            .as_ref()
            .map(|l| format!("{}/stream/{l}", self.arn))
    }

    /// Every index, local first.
    pub fn indexes(&self) -> impl Iterator<Item = &IndexMeta> {
        self.lsis.iter().chain(self.gsis.iter())
    }

    /// The index called `name`.
    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes().find(|i| i.name == name)
    }

    /// The defined type of a key attribute.
    pub fn attr_type(&self, name: &str) -> &str {
        self.attrs.get(name).map_or("S", String::as_str)
    }

    /// The primary key of `key` (a Key member): exactly the key
    /// attributes, of their defined types.
    pub fn key_from(&self, key: &Item) -> Result<(AttrValue, Option<AttrValue>), AwsError> {
        let n = 1 + usize::from(self.keys.range.is_some());
        if key.len() != n {
            return Err(validation(
                "The provided key element does not match the schema",
            ));
        }
        let one = |name: &str| -> Result<AttrValue, AwsError> {
            let v = key
                .get(name)
                .ok_or_else(|| validation("The provided key element does not match the schema"))?;
            if v.type_name() != self.attr_type(name) {
                return Err(validation(
                    "The provided key element does not match the schema",
                ));
            }
            check_key_value(name, v, name == self.keys.hash)?;
            Ok(v.clone())
        };
        let h = one(&self.keys.hash)?;
        let r = match &self.keys.range {
            Some(r) => Some(one(r)?),
            None => None,
        };
        Ok((h, r))
    }

    /// Checks a whole item's key attributes (PutItem): present, of their
    /// types, not empty, within the size limits; index keys of the wrong
    /// type are an error too.
    pub fn check_item(&self, item: &Item) -> Result<(AttrValue, Option<AttrValue>), AwsError> {
        let one = |name: &str, hash: bool| -> Result<AttrValue, AwsError> {
            let v = item
                .get(name)
                .ok_or_else(|| invalid(format!("Missing the key {name} in the item")))?;
            let want = self.attr_type(name);
            if v.type_name() != want {
                return Err(invalid(format!(
                    "Type mismatch for key {name} expected: {want} actual: {}",
                    v.type_name()
                )));
            }
            check_key_value(name, v, hash)?;
            Ok(v.clone())
        };
        let h = one(&self.keys.hash, true)?;
        let r = match &self.keys.range {
            Some(r) => Some(one(r, false)?),
            None => None,
        };
        for idx in self.indexes() {
            for (name, hash) in [
                (Some(&idx.keys.hash), true),
                (idx.keys.range.as_ref(), false),
            ] {
                let Some(name) = name else { continue };
                if let Some(v) = item.get(name) {
                    let want = self.attr_type(name);
                    if v.type_name() != want {
                        return Err(invalid(format!(
                            "Type mismatch for Index Key {name} Expected: {want} Actual: {} IndexName: {}",
                            v.type_name(),
                            idx.name
                        )));
                    }
                    let empty = match v {
                        AttrValue::S(x) => x.is_empty(),
                        AttrValue::B(x) => x.is_empty(),
                        _ => false,
                    };
                    if empty {
                        return Err(validation(format!(
                            "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {name}",
                            if matches!(v, AttrValue::S(_)) { "string" } else { "binary" },
                            idx.name
                        )));
                    }
                    check_key_value(name, v, hash)?;
                }
            }
        }
        Ok((h, r))
    }

    /// The key attributes of `item`, as an item.
    pub fn key_item(&self, item: &Item) -> Item {
        self.keys
            .names()
            .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
            .collect()
    }
}

/// Empty values and size limits of one key attribute.
pub fn check_key_value(name: &str, v: &AttrValue, hash: bool) -> Result<(), AwsError> {
    let len = match v {
        AttrValue::S(s) => s.len(),
        AttrValue::B(b) => b.len(),
        _ => return Ok(()),
    };
    if len == 0 {
        let t = if matches!(v, AttrValue::S(_)) {
            "string"
        } else {
            "binary"
        };
        return Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {t} value. Key: {name}"
        )));
    }
    if hash && len > MAX_HASH_KEY {
        return Err(invalid(
            "Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !hash && len > MAX_RANGE_KEY {
        return Err(invalid(
            "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}
