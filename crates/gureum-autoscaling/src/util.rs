//! Small helpers the operations share: input members, ARNs, times, pages.

use crate::errors::{validation, AutoscalingError};
use gureum_core::{AwsError, RequestContext, Value};

/// A string member.
pub fn string<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// A list-of-strings member (absent: empty).
pub fn strings(input: &Value, key: &str) -> Vec<String> {
    input[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An integer member.
pub fn int(input: &Value, key: &str) -> Option<i64> {
    input.get(key).and_then(Value::as_i64)
}

/// A required string member, with AWS's message when missing.
pub fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, AwsError> {
    string(input, key).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(key)
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// An ARN of this service: `arn:aws:autoscaling:REGION:ACCOUNT:RESOURCE`.
pub fn arn(ctx: &RequestContext, resource: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:{resource}",
        ctx.region, ctx.account_id
    )
}

/// A timestamp member: epoch seconds, as the protocol layer serializes.
pub fn ts(ms: i64) -> Value {
    Value::from(ms as f64 / 1000.0)
}

/// `2026-12-07T21:00:00Z`, as causes show times.
pub fn iso(ms: i64) -> String {
    gureum_core::timestamp::format_iso8601_seconds(ms)
}

/// One page of `items` after `NextToken`, at most `MaxRecords` (default
/// `default`, at most 100), and the next token.
pub fn page(
    input: &Value,
    items: Vec<Value>,
    default: usize,
) -> Result<(Vec<Value>, Option<String>), AwsError> {
    let start = match string(input, "NextToken") {
        Some(t) => gureum_kit::paging::decode_token(t)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(AutoscalingError::BadToken)?,
        None => 0,
    };
    let size = int(input, "MaxRecords")
        .map(|n| n.clamp(1, 100) as usize)
        .unwrap_or(default);
    let end = start.saturating_add(size).min(items.len());
    let next = (end < items.len()).then(|| gureum_kit::paging::encode_token(&end.to_string()));
    let items = items
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect();
    Ok((items, next))
}

/// `ValidationError` for the first of `members` the request sets, which
/// Gureum does not implement yet: refused, never accepted and ignored
/// (issue 13). A member counts as set unless it is absent, null, `false`,
/// `0`, an empty string or an empty list.
pub fn refuse_unimplemented(input: &Value, members: &[&str]) -> Result<(), AwsError> {
    let set = |v: &Value| match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        _ => true,
    };
    match members.iter().find(|m| input.get(**m).is_some_and(set)) {
        Some(m) => Err(validation(format!(
            "Gureum does not implement the parameter {m} yet: the request is refused rather than the parameter ignored."
        ))),
        None => Ok(()),
    }
}
