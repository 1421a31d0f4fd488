//! Reading inputs: paging members, names, lists and tags.

use crate::ElasticacheError;
use gureum_core::member::str_member;
use gureum_core::{AwsError, Value};
use gureum_kit::paging::PageRequest;

/// `MaxRecords` bounds: 20–100, 100 by default (the API reference).
const PAGE_BOUNDS: (usize, usize) = (20, 100);

/// The page `MaxRecords`/`Marker` ask for.
pub fn page_request(input: &Value) -> Result<PageRequest, AwsError> {
    PageRequest::new(
        input.get("MaxRecords").and_then(Value::as_i64),
        str_member(input, "Marker"),
        PAGE_BOUNDS,
        PAGE_BOUNDS.1,
    )
    .map_err(|e| ElasticacheError::from(e).into())
}

/// `out` with `Marker` when more follow.
pub fn with_marker(mut out: Value, marker: Option<String>) -> Value {
    if let (Some(m), Some(o)) = (marker, out.as_object_mut()) {
        o.insert("Marker".into(), Value::String(m));
    }
    out
}

/// A list of strings member (query lists arrive as arrays).
pub fn strings(input: &Value, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A boolean member.
pub fn flag(input: &Value, name: &str) -> Option<bool> {
    input.get(name).and_then(Value::as_bool)
}

/// An integer member.
pub fn int(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

/// `Tags` as `(key, value)` pairs.
pub fn tag_list(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        str_member(t, "Key")?.to_string(),
                        str_member(t, "Value").unwrap_or_default().to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A required string member, or `InvalidParameterValue` naming it the
/// way ElastiCache does.
pub fn required<'v>(input: &'v Value, name: &str) -> Result<&'v str, AwsError> {
    str_member(input, name)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ElasticacheError::value(format!(
                "The parameter {name} must be provided and must not be blank."
            ))
            .into()
        })
}

/// Checks an identifier by ElastiCache's naming rules (1–40 characters
/// for clusters, letters, digits and hyphens, a letter first, no
/// trailing hyphen or two in a row), answering with AWS's wording.
pub fn check_id(kind: &str, id: &str, max: usize) -> Result<String, AwsError> {
    let ok = !id.is_empty()
        && id.len() <= max
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ElasticacheError::value(format!(
            "{kind} must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
        ))
        .into())
    }
}
