//! Certificate tags: `AddTagsToCertificate`, `RemoveTagsFromCertificate`
//! (a key alone removes the tag, a key and value only when both match),
//! `ListTagsForCertificate`; at most 50 per certificate, `aws:` reserved.

use crate::errors::AcmError;
use crate::AcmService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Tags per certificate.
const MAX_TAGS: usize = 50;

/// The `Tags` member, checked.
pub(crate) fn parse(input: &Value) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for t in input["Tags"].as_array().into_iter().flatten() {
        let key = t["Key"].as_str().unwrap_or_default().to_string();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(AcmError::InvalidTag {
                message: format!("Tag key {key} uses the reserved prefix aws:."),
            }
            .into());
        }
        let value = t["Value"].as_str().map(str::to_string);
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(existing) => existing.1 = value,
            None => out.push((key, value)),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(AcmError::TooManyTags.into());
    }
    Ok(out)
}

/// `AddTagsToCertificate`.
pub(crate) fn add(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, mut c) = crate::certificates::load(svc, ctx, input)?;
    for (k, v) in parse(input)? {
        match c.tags.iter_mut().find(|(existing, _)| *existing == k) {
            Some(t) => t.1 = v,
            None => c.tags.push((k, v)),
        }
    }
    if c.tags.len() > MAX_TAGS {
        return Err(AcmError::TooManyTags.into());
    }
    svc.certificates.put(&key, &c)?;
    Ok(json!({}))
}

/// `RemoveTagsFromCertificate`.
pub(crate) fn remove(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, mut c) = crate::certificates::load(svc, ctx, input)?;
    for t in input["Tags"].as_array().into_iter().flatten() {
        let k = t["Key"].as_str().unwrap_or_default();
        let v = t["Value"].as_str();
        c.tags
            .retain(|(tk, tv)| !(tk == k && (v.is_none() || tv.as_deref() == v)));
    }
    svc.certificates.put(&key, &c)?;
    Ok(json!({}))
}

/// `ListTagsForCertificate`.
pub(crate) fn list(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (_, c) = crate::certificates::load(svc, ctx, input)?;
    let tags: Vec<Value> = c
        .tags
        .iter()
        .map(|(k, v)| match v {
            Some(v) => json!({"Key": k, "Value": v}),
            None => json!({"Key": k}),
        })
        .collect();
    Ok(json!({"Tags": tags}))
}
