//! Lambda (rest-json, regional).
//!
//! So far: `ListFunctions` over the function catalogue. Creating and
//! running functions comes with the Lambda issue.

pub mod errors;

use errors::LambdaError;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde_json::json;

/// The Lambda service.
pub struct LambdaService {
    /// Function configurations, keyed `account/region/name`.
    functions: Table<Value>,
}

impl LambdaService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        LambdaService {
            functions: store.table("lambda.functions"),
        }
    }

    /// `ListFunctions`: configurations in name order, `MaxItems` (1–10000,
    /// default 50), `Marker` / `NextMarker`.
    fn list_functions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = format!("{}/{}/", ctx.account_id, ctx.region);
        let limit = input.get("MaxItems").and_then(Value::as_u64).unwrap_or(50) as usize;
        let after = match input.get("Marker").and_then(Value::as_str) {
            Some(m) if m.starts_with(&prefix) => Some(m.to_string()),
            Some(_) => {
                return Err(LambdaError::InvalidParameterValue {
                    message: "Invalid marker".into(),
                }
                .into())
            }
            None => None,
        };
        let page = self
            .functions
            .scan_prefix_after(&prefix, after.as_deref(), limit + 1)
            .map_err(AwsError::from)?;
        let more = page.len() > limit;
        let functions: Vec<&Value> = page.iter().take(limit).map(|(_, f)| f).collect();
        let mut out = json!({ "Functions": functions });
        if more {
            if let Some((key, _)) = page.get(limit - 1) {
                out["NextMarker"] = json!(key);
            }
        }
        Ok(out)
    }
}

gureum_core::service_operations! {
    LambdaService, "lambda",
    "ListFunctions" => list_functions,
}
