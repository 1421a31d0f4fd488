//! What the child resources (routes, integrations, stages, authorizers,
//! deployments) share: finding one by id, paging through them, copying
//! members from an input.

use crate::errors::{bad, ApiGatewayV2Error};
use gureum_core::{AwsError, RequestContext, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;
use std::collections::BTreeMap;

/// The `MaxResults`/`NextToken` of a `Get*s` request (`MaxResults` is a
/// string on the wire).
pub(crate) fn page_request(input: &Value) -> Result<PageRequest, AwsError> {
    let size = match input.get("MaxResults").and_then(Value::as_str) {
        Some(text) => Some(
            text.parse::<i64>()
                .map_err(|_| bad(format!("Invalid MaxResults specified: {text}")))?,
        ),
        None => None,
    };
    let token = input.get("NextToken").and_then(Value::as_str);
    PageRequest::new(size, token, (1, 500), 100).map_err(|e| match e {
        paging::PagingError::SizeOutOfRange { given, .. } => {
            bad(format!("Invalid MaxResults specified: {given}"))
        }
        paging::PagingError::BadToken(_) => bad("Invalid NextToken specified"),
    })
}

/// One page of `items` (sorted by id), as `{"Items": …, "NextToken": …}`.
pub(crate) fn page_of(items: &BTreeMap<String, Value>, input: &Value) -> Result<Value, AwsError> {
    let request = page_request(input)?;
    let entries: Vec<(&String, &Value)> = items.iter().collect();
    let page = paging::page_sorted(&entries, |(k, _)| (*k).clone(), &request);
    let mut out =
        json!({ "Items": page.items.iter().map(|(_, v)| (*v).clone()).collect::<Vec<_>>() });
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// The child `id` of kind `noun` in `items`, or AWS's not-found.
pub(crate) fn find<'m>(
    ctx: &RequestContext,
    items: &'m mut BTreeMap<String, Value>,
    noun: &'static str,
    id: &str,
) -> Result<&'m mut Value, AwsError> {
    items.get_mut(id).ok_or_else(|| missing(ctx, noun, id))
}

/// AWS's not-found for child `id` of kind `noun`.
pub(crate) fn missing(ctx: &RequestContext, noun: &'static str, id: &str) -> AwsError {
    ApiGatewayV2Error::ChildNotFound {
        noun,
        account: ctx.account_id.clone(),
        id: id.to_string(),
    }
    .into()
}

/// Copies the members named in `members` from `input` into `target`.
pub(crate) fn copy(input: &Value, target: &mut Value, members: &[&str]) {
    for m in members {
        if let Some(v) = input.get(*m) {
            target[*m] = v.clone();
        }
    }
}
