//! Saved Logs Insights queries: `PutQueryDefinition`,
//! `DescribeQueryDefinitions`, `DeleteQueryDefinition`, kept in
//! `logs.query_definitions` keyed `account/region/id`.

use crate::errors::{invalid, LogsError};
use crate::LogsService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::ops::ControlFlow;

/// Most saved queries in one region.
const MAX_DEFINITIONS: usize = 1000;

/// A saved query.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct QueryDefinition {
    /// The id.
    pub id: String,
    /// The name (`folder/name` shows as a folder in the console).
    pub name: String,
    /// The query text.
    pub query: String,
    /// The groups it runs over by default.
    pub groups: Vec<String>,
    /// Its parameters, as given.
    pub parameters: Vec<Value>,
    /// The client token that created it (a retry returns the same id).
    pub client_token: Option<String>,
    /// When it was last changed, epoch milliseconds.
    pub modified: i64,
}

fn all(svc: &LogsService, ctx: &RequestContext) -> Result<Vec<QueryDefinition>, AwsError> {
    let mut out = Vec::new();
    svc.query_definitions
        .visit_prefix(&Scope::regional(ctx).prefix(), None, |_, d| {
            out.push(d);
            ControlFlow::Continue(())
        })?;
    Ok(out)
}

fn check_language(input: &Value) -> Result<(), AwsError> {
    if str_member(input, "queryLanguage").is_some_and(|l| l != "CWLI") {
        return Err(invalid(
            "Only the CWLI query language is supported by Gureum.",
        ));
    }
    Ok(())
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    check_language(input)?;
    let token = str_member(input, "clientToken");
    let existing = all(svc, ctx)?;
    if let Some(t) = token {
        if let Some(d) = existing
            .iter()
            .find(|d| d.client_token.as_deref() == Some(t))
        {
            return Ok(json!({ "queryDefinitionId": d.id }));
        }
    }
    let id = match str_member(input, "queryDefinitionId") {
        Some(id) => {
            if !existing.iter().any(|d| d.id == id) {
                return Err(LogsError::QueryDefinitionNotFound.into());
            }
            id.to_string()
        }
        None => {
            if existing.len() >= MAX_DEFINITIONS {
                return Err(LogsError::LimitExceeded {
                    message: "Resource limit exceeded.".into(),
                }
                .into());
            }
            gureum_core::id::uuid_v4()
        }
    };
    let strings = |member: &str| -> Vec<String> {
        input
            .get(member)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let def = QueryDefinition {
        id: id.clone(),
        name: str_member(input, "name").unwrap_or_default().to_string(),
        query: str_member(input, "queryString")
            .unwrap_or_default()
            .to_string(),
        groups: strings("logGroupNames"),
        parameters: input
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        client_token: token.map(str::to_string),
        modified: ctx.clock.now_millis(),
    };
    svc.query_definitions
        .put(&Scope::regional(ctx).key(&id), &def)?;
    Ok(json!({ "queryDefinitionId": id }))
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    if str_member(input, "queryLanguage").is_some_and(|l| l != "CWLI") {
        return Ok(json!({ "queryDefinitions": [] }));
    }
    let prefix = str_member(input, "queryDefinitionNamePrefix").unwrap_or_default();
    let max = input
        .get("maxResults")
        .and_then(Value::as_i64)
        .map_or(1000, |n| n.clamp(1, 1000) as usize);
    let mut defs: Vec<QueryDefinition> = all(svc, ctx)?
        .into_iter()
        .filter(|d| d.name.starts_with(prefix))
        .collect();
    defs.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    let start = match str_member(input, "nextToken") {
        Some(t) => gureum_kit::paging::decode_token(t)
            .ok()
            .and_then(|id| defs.iter().position(|d| d.id == id))
            .map(|i| i + 1)
            .ok_or_else(|| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    let rest = &defs[start.min(defs.len())..];
    let page = &rest[..rest.len().min(max)];
    let items: Vec<Value> = page
        .iter()
        .map(|d| {
            let mut v = json!({
                "queryLanguage": "CWLI",
                "queryDefinitionId": d.id,
                "name": d.name,
                "queryString": d.query,
                "lastModified": d.modified,
                "logGroupNames": d.groups,
            });
            if !d.parameters.is_empty() {
                v["parameters"] = json!(d.parameters);
            }
            v
        })
        .collect();
    let mut out = json!({ "queryDefinitions": items });
    if page.len() < rest.len() {
        if let Some(last) = page.last() {
            out["nextToken"] = json!(gureum_kit::paging::encode_token(&last.id));
        }
    }
    Ok(out)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = str_member(input, "queryDefinitionId").unwrap_or_default();
    if !svc
        .store
        .write(|txn| txn.delete(&svc.query_definitions, &Scope::regional(ctx).key(id)))?
    {
        return Err(LogsError::QueryDefinitionNotFound.into());
    }
    Ok(json!({ "success": true }))
}
