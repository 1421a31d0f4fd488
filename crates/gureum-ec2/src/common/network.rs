//! Plumbing shared by the VPC family (VPCs, subnets, internet gateways,
//! route tables, security groups): state keys, `DryRun`, input readers,
//! filters with tags, pagination and the common errors.
//!
//! State is per account and region: every table is keyed
//! `{account}/{region}/{id}`, so one region's resources are one range.

use crate::common::errors::Ec2Error;
use crate::common::filter::{self, Filter};
use gureum_core::arn::wildcard_match;
use gureum_core::{AwsError, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The key prefix of the caller's account and region: `{account}/{region}/`.
pub fn prefix(ctx: &RequestContext) -> String {
    format!("{}/{}/", ctx.account_id, ctx.region)
}

/// The state key of resource `id` in the caller's account and region.
pub fn key(ctx: &RequestContext, id: &str) -> String {
    format!("{}/{}/{id}", ctx.account_id, ctx.region)
}

/// `DryRunOperation` (412) when the input sets `DryRun`.
pub fn dry_run(input: &Value) -> Result<(), AwsError> {
    if input.get("DryRun").and_then(Value::as_bool) == Some(true) {
        return Err(AwsError::from(Ec2Error::DryRunOperation));
    }
    Ok(())
}

pub use gureum_core::member::str_member;

/// A required string member: `MissingParameter` when absent or empty.
pub fn required<'a>(input: &'a Value, name: &str) -> Result<&'a str, AwsError> {
    match str_member(input, name) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(missing(name)),
    }
}

/// `MissingParameter` for a member (named as EC2 spells its wire name).
pub fn missing(name: &str) -> AwsError {
    let mut wire = name.to_string();
    if let Some(first) = wire.get(0..1) {
        wire.replace_range(0..1, &first.to_ascii_lowercase());
    }
    AwsError::from(Ec2Error::MissingParameter {
        wire: wire.to_string(),
    })
}

/// A list-of-strings member (empty when absent).
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

/// The value of an `AttributeBooleanValue` member (`{"Value": true}`).
pub fn attribute_bool(input: &Value, name: &str) -> Option<bool> {
    input
        .get(name)
        .and_then(|v| v.get("Value"))
        .and_then(Value::as_bool)
}

/// How long each lifecycle transition of a volume, snapshot or gateway
/// takes, in milliseconds of Gureum's clock.
pub const TRANSITION_MS: i64 = 1000;

/// `InvalidParameterValue` with a message.
pub fn invalid_value(message: impl Into<String>) -> AwsError {
    AwsError::from(Ec2Error::InvalidParameterValue {
        message: message.into(),
    })
}

/// The tags a create operation's `TagSpecifications` give a resource of
/// `resource_type`; a specification for another type is refused.
pub fn spec_tags(input: &Value, resource_type: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut tags = BTreeMap::new();
    let Some(specs) = input.get("TagSpecifications").and_then(Value::as_array) else {
        return Ok(tags);
    };
    for spec in specs {
        let rt = str_member(spec, "ResourceType").unwrap_or(resource_type);
        if rt != resource_type {
            return Err(invalid_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        for t in spec
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = str_member(t, "Key").unwrap_or_default();
            let v = str_member(t, "Value").unwrap_or_default();
            crate::common::tags::check_tag(k, v)?;
            tags.insert(k.to_string(), v.to_string());
        }
    }
    Ok(tags)
}

/// Tags as the model's `TagList`.
pub fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Refuses filter names outside `supported`; `tag:<key>` is always
/// accepted, and so are `tag-key` and `tag-value`.
pub fn check_filters(filters: &[Filter], supported: &[&str]) -> Result<(), AwsError> {
    let plain: Vec<Filter> = filters
        .iter()
        .filter(|f| !f.name.starts_with("tag:") && f.name != "tag-key" && f.name != "tag-value")
        .cloned()
        .collect();
    filter::check_names(&plain, supported)
}

/// Whether a resource passes every filter. `field` gives its values for a
/// filter name; tag filters are answered from `tags`.
pub fn matches(
    filters: &[Filter],
    tags: &BTreeMap<String, String>,
    field: impl Fn(&str) -> Vec<String>,
) -> bool {
    filters.iter().all(|f| {
        let have: Vec<String> = if let Some(k) = f.name.strip_prefix("tag:") {
            tags.get(k).cloned().into_iter().collect()
        } else if f.name == "tag-key" {
            tags.keys().cloned().collect()
        } else if f.name == "tag-value" {
            tags.values().cloned().collect()
        } else {
            field(&f.name)
        };
        f.values
            .iter()
            .any(|want| have.iter().any(|h| wildcard_match(want, h)))
    })
}

/// `true`/`false` as filter text.
pub fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// One page of `items` (sorted by id): `MaxResults` (5–1000 when given)
/// and `NextToken` (the id the previous page ended with). Returns the page
/// and the token for the next one.
pub fn paginate(
    items: Vec<(String, Value)>,
    input: &Value,
) -> Result<(Vec<Value>, Option<String>), AwsError> {
    let max = match input.get("MaxResults").and_then(Value::as_i64) {
        Some(n) if !(5..=1000).contains(&n) => {
            return Err(invalid_value(format!(
                "Value ( {n} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000."
            )))
        }
        Some(n) => n as usize,
        None => usize::MAX,
    };
    let after = str_member(input, "NextToken");
    if let Some(t) = after {
        if t.is_empty() || t.contains('/') {
            return Err(invalid_value(format!("Invalid value for NextToken: {t}")));
        }
    }
    let mut page: Vec<(String, Value)> = items
        .into_iter()
        .filter(|(id, _)| after.is_none_or(|a| id.as_str() > a))
        .collect();
    let next = if page.len() > max {
        page.truncate(max);
        page.last().map(|(id, _)| id.clone())
    } else {
        None
    };
    Ok((page.into_iter().map(|(_, v)| v).collect(), next))
}

/// Adds `NextToken` to an output when there is one.
pub fn with_token(mut out: Value, next: Option<String>) -> Value {
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_answers_412() {
        let err = dry_run(&json!({"DryRun": true})).expect_err("dry run");
        assert_eq!((err.code.as_str(), err.status), ("DryRunOperation", 412));
        assert!(dry_run(&json!({"DryRun": false})).is_ok());
    }

    #[test]
    fn pages_end_with_a_token_until_the_last() {
        let items: Vec<(String, Value)> =
            (0..12).map(|i| (format!("id-{i:02}"), json!(i))).collect();
        let (page, next) = paginate(items.clone(), &json!({"MaxResults": 5})).expect("page");
        assert_eq!(page.len(), 5);
        assert_eq!(next.as_deref(), Some("id-04"));
        let (page, next) =
            paginate(items, &json!({"MaxResults": 10, "NextToken": "id-04"})).expect("page");
        assert_eq!(page.len(), 7);
        assert_eq!(next, None);
    }

    #[test]
    fn max_results_below_five_is_invalid() {
        let err = paginate(vec![], &json!({"MaxResults": 3})).expect_err("invalid");
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[test]
    fn tag_filters_match_keys_and_values() {
        let tags: BTreeMap<String, String> = [("Name".to_string(), "web".to_string())].into();
        let f = filter::parse(&json!({"Filters": [{"Name": "tag:Name", "Values": ["w*"]}]}));
        assert!(matches(&f, &tags, |_| vec![]));
        let f = filter::parse(&json!({"Filters": [{"Name": "tag-key", "Values": ["Env"]}]}));
        assert!(!matches(&f, &tags, |_| vec![]));
    }

    #[test]
    fn tag_specifications_of_another_type_are_refused() {
        let input = json!({"TagSpecifications": [{"ResourceType": "subnet", "Tags": []}]});
        assert!(spec_tags(&input, "vpc").is_err());
        let input = json!({"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "a"}]}]});
        assert_eq!(spec_tags(&input, "vpc").expect("ok").len(), 1);
    }
}
