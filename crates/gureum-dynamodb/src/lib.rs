//! DynamoDB (json 1.0, regional).
//!
//! So far: `ListTables` over the table catalogue. Tables, items, indexes,
//! expressions and streams come with the DynamoDB issue.

use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde_json::json;

/// The DynamoDB service.
pub struct DynamoDbService {
    /// Table descriptions, keyed `account/region/name`.
    tables: Table<Value>,
}

impl DynamoDbService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        DynamoDbService {
            tables: store.table("dynamodb.tables"),
        }
    }

    /// `ListTables`: names in order, `Limit` (1–100, default 100),
    /// `ExclusiveStartTableName`, `LastEvaluatedTableName` when more remain.
    fn list_tables(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = format!("{}/{}/", ctx.account_id, ctx.region);
        let limit = input.get("Limit").and_then(Value::as_u64).unwrap_or(100) as usize;
        let after = input
            .get("ExclusiveStartTableName")
            .and_then(Value::as_str)
            .map(|n| format!("{prefix}{n}"));
        let page = self
            .tables
            .scan_prefix_after(&prefix, after.as_deref(), limit + 1)
            .map_err(AwsError::from)?;
        let more = page.len() > limit;
        let names: Vec<&str> = page
            .iter()
            .take(limit)
            .map(|(k, _)| &k[prefix.len()..])
            .collect();
        let mut out = json!({ "TableNames": names });
        if more {
            if let Some(last) = names.last() {
                out["LastEvaluatedTableName"] = json!(last);
            }
        }
        Ok(out)
    }
}

gureum_core::service_operations! {
    DynamoDbService, "dynamodb",
    "ListTables" => list_tables,
}
