//! A `DistributionConfig`'s checks, in the order CloudFront reports them,
//! and the defaults it fills in on the way back.

use crate::errors::CloudfrontError;
use crate::invalid;
use gureum_core::{AwsError, Value};
use serde_json::json;

/// The `Items` of the `{Quantity, Items}` member `name` (empty when absent).
pub(crate) fn items<'a>(parent: &'a Value, name: &str) -> &'a [Value] {
    parent
        .get(name)
        .and_then(|v| v.get("Items"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Checks that every `{Quantity, Items}` under `v` agrees.
fn quantities_agree(v: &Value) -> bool {
    match v {
        Value::Object(map) => {
            if let Some(q) = map.get("Quantity").and_then(Value::as_i64) {
                let n = map
                    .get("Items")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if q != n as i64 {
                    return false;
                }
            }
            map.values().all(quantities_agree)
        }
        Value::Array(a) => a.iter().all(quantities_agree),
        _ => true,
    }
}

/// The error codes a custom error response may name (CloudFront caches
/// these 4xx and 5xx statuses).
const ERROR_CODES: [i64; 14] = [
    400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504, 412, 415, 429,
];

/// Whether an alias is a domain name CloudFront accepts: labels of
/// letters, digits and hyphens (a leading `*.` for a wildcard), at least
/// two of them, and not an IP address.
fn valid_alias(alias: &str) -> bool {
    let name = alias.strip_prefix("*.").unwrap_or(alias);
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && !labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks `config` and answers it with CloudFront's defaults filled in.
pub(crate) fn distribution_config(config: &Value) -> Result<Value, AwsError> {
    let mut config = config.clone();
    if !config.is_object() {
        return Err(invalid("The DistributionConfig is missing."));
    }
    if !quantities_agree(&config) {
        return Err(CloudfrontError::InconsistentQuantities.into());
    }
    let origins = items(&config, "Origins");
    if origins.is_empty() {
        return Err(invalid(
            "The parameter Origins does not contain at least one origin.",
        ));
    }
    let mut targets: Vec<&str> = Vec::new();
    for o in origins {
        let id = o.get("Id").and_then(Value::as_str).unwrap_or_default();
        let domain = o
            .get("DomainName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if domain.is_empty() {
            return Err(invalid(
                "The parameter origin name cannot be null or empty.",
            ));
        }
        if targets.contains(&id) {
            return Err(invalid(format!(
                "The parameter Origin Id must be unique. Duplicate Origin Id: {id}"
            )));
        }
        targets.push(id);
    }
    for g in items(&config, "OriginGroups") {
        for m in items(g, "Members") {
            let member = m.get("OriginId").and_then(Value::as_str).unwrap_or("");
            if !targets.contains(&member) {
                return Err(CloudfrontError::NoSuchOrigin.into());
            }
        }
        targets.push(g.get("Id").and_then(Value::as_str).unwrap_or_default());
    }
    let default = config
        .get("DefaultCacheBehavior")
        .cloned()
        .unwrap_or(Value::Null);
    let behaviors: Vec<Value> = std::iter::once(default)
        .chain(items(&config, "CacheBehaviors").iter().cloned())
        .collect();
    for b in &behaviors {
        let target = b
            .get("TargetOriginId")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !targets.contains(&target) {
            return Err(CloudfrontError::NoSuchOrigin.into());
        }
        let ttl = |n: &str| b.get(n).and_then(Value::as_i64);
        if b.get("CachePolicyId").is_none() {
            let (min, default, max) = (
                ttl("MinTTL").unwrap_or(0),
                ttl("DefaultTTL").unwrap_or(86_400),
                ttl("MaxTTL").unwrap_or(31_536_000),
            );
            if !(min <= default && default <= max) {
                return Err(CloudfrontError::InvalidTtlOrder.into());
            }
            if b.get("ForwardedValues").is_none() {
                return Err(invalid(
                    "The parameter ForwardedValues is required when a cache policy is not associated to a cache behavior.",
                ));
            }
        }
    }
    for alias in items(&config, "Aliases") {
        let a = alias.as_str().unwrap_or_default();
        if !valid_alias(a) {
            return Err(invalid(format!(
                "The parameter CNAME contains one or more characters that are not valid: {a}"
            )));
        }
    }
    if let Some(root) = config.get("DefaultRootObject").and_then(Value::as_str) {
        if root.starts_with('/') || root.len() > 255 {
            return Err(CloudfrontError::InvalidDefaultRootObject.into());
        }
    }
    for e in items(&config, "CustomErrorResponses") {
        let code = e.get("ErrorCode").and_then(Value::as_i64).unwrap_or(0);
        if !ERROR_CODES.contains(&code) {
            return Err(CloudfrontError::InvalidErrorCode.into());
        }
        if let Some(p) = e.get("ResponsePagePath").and_then(Value::as_str) {
            if !p.is_empty() && !p.starts_with('/') {
                return Err(CloudfrontError::InvalidRelativePath.into());
            }
        }
    }
    fill_defaults(&mut config);
    Ok(config)
}

/// What CloudFront adds to a configuration it stores (members a read
/// answers even when the create left them out).
fn fill_defaults(config: &mut Value) {
    let empty = json!({"Quantity": 0});
    for member in ["Aliases", "CacheBehaviors", "CustomErrorResponses"] {
        if config.get(member).is_none() {
            config[member] = empty.clone();
        }
    }
    if config.get("OriginGroups").is_none() {
        config["OriginGroups"] = empty.clone();
    }
    for (k, v) in [
        ("DefaultRootObject", json!("")),
        ("PriceClass", json!("PriceClass_All")),
        ("WebACLId", json!("")),
        ("HttpVersion", json!("http2")),
        ("IsIPV6Enabled", json!(true)),
        ("Staging", json!(false)),
    ] {
        if config.get(k).is_none() {
            config[k] = v;
        }
    }
    if config.get("Logging").is_none() {
        config["Logging"] =
            json!({"Enabled": false, "IncludeCookies": false, "Bucket": "", "Prefix": ""});
    }
    if config.get("Restrictions").is_none() {
        config["Restrictions"] =
            json!({"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}});
    }
    if config.get("ViewerCertificate").is_none() {
        config["ViewerCertificate"] = json!({
            "CloudFrontDefaultCertificate": true,
            "SSLSupportMethod": "vip",
            "MinimumProtocolVersion": "TLSv1",
            "CertificateSource": "cloudfront",
        });
    }
    if let Some(origins) = config
        .pointer_mut("/Origins/Items")
        .and_then(Value::as_array_mut)
    {
        for o in origins {
            for (k, v) in [
                ("OriginPath", json!("")),
                ("CustomHeaders", json!({"Quantity": 0})),
                ("ConnectionAttempts", json!(3)),
                ("ConnectionTimeout", json!(10)),
                ("OriginShield", json!({"Enabled": false})),
                ("OriginAccessControlId", json!("")),
            ] {
                if o.get(k).is_none() {
                    o[k] = v;
                }
            }
        }
    }
    if let Some(d) = config.get_mut("DefaultCacheBehavior") {
        behavior_defaults(d);
    }
    if let Some(list) = config
        .pointer_mut("/CacheBehaviors/Items")
        .and_then(Value::as_array_mut)
    {
        list.iter_mut().for_each(behavior_defaults);
    }
}

fn behavior_defaults(b: &mut Value) {
    for (k, v) in [
        ("TrustedSigners", json!({"Enabled": false, "Quantity": 0})),
        ("TrustedKeyGroups", json!({"Enabled": false, "Quantity": 0})),
        (
            "AllowedMethods",
            json!({"Quantity": 2, "Items": ["HEAD", "GET"],
                   "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}}),
        ),
        ("SmoothStreaming", json!(false)),
        ("Compress", json!(false)),
        ("LambdaFunctionAssociations", json!({"Quantity": 0})),
        ("FunctionAssociations", json!({"Quantity": 0})),
        ("FieldLevelEncryptionId", json!("")),
    ] {
        if b.get(k).is_none() {
            b[k] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_domain_names_not_addresses() {
        assert!(valid_alias("www.example.com"));
        assert!(valid_alias("*.example.com"));
        assert!(!valid_alias("localhost"));
        assert!(!valid_alias("127.0.0.1"));
        assert!(!valid_alias("bad_name.example.com"));
        assert!(!valid_alias("a..b"));
    }

    #[test]
    fn quantities_must_match_items() {
        assert!(quantities_agree(
            &json!({"A": {"Quantity": 1, "Items": ["x"]}})
        ));
        assert!(!quantities_agree(
            &json!({"A": {"Quantity": 2, "Items": ["x"]}})
        ));
        assert!(quantities_agree(&json!({"A": {"Quantity": 0}})));
    }
}
