//! Static website configuration: `PutBucketWebsite` (validated as S3
//! does), `GetBucketWebsite`, `DeleteBucketWebsite`. The website endpoint
//! itself is served by the server (`gureum-server/src/s3_website.rs`),
//! which reads the configuration with [`S3Service::website`].

use crate::{S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// At most this many routing rules.
const MAX_ROUTING_RULES: usize = 50;

fn invalid_argument(message: &str, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: name.into(),
        value: value.into(),
    }
    .into()
}

fn invalid_request(message: &str) -> AwsError {
    S3Error::InvalidRequest {
        message: message.into(),
    }
    .into()
}

/// Validates a `WebsiteConfiguration` and returns it as stored (the
/// model's shape, as `GetBucketWebsite` answers it).
pub fn validate(config: &Value) -> Result<Value, AwsError> {
    let redirect_all = config.get("RedirectAllRequestsTo");
    let suffix = config
        .pointer("/IndexDocument/Suffix")
        .and_then(Value::as_str);
    if let Some(all) = redirect_all {
        if config.get("IndexDocument").is_some()
            || config.get("ErrorDocument").is_some()
            || config.get("RoutingRules").is_some()
        {
            return Err(invalid_request(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ));
        }
        if all
            .get("HostName")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(S3Error::MalformedXml.into());
        }
        check_protocol(all)?;
        return Ok(config.clone());
    }
    let Some(suffix) = suffix else {
        return Err(invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "",
        ));
    };
    if suffix.is_empty() || suffix.contains('/') {
        return Err(invalid_argument(
            "The IndexDocument Suffix is not well formed",
            "IndexDocument",
            suffix,
        ));
    }
    if let Some(Value::Array(rules)) = config.get("RoutingRules") {
        if rules.len() > MAX_ROUTING_RULES {
            return Err(invalid_request(
                "The number of routing rules must not exceed the allowed limit of 50 rules.",
            ));
        }
        for rule in rules {
            let redirect = rule.get("Redirect").ok_or(S3Error::MalformedXml)?;
            if redirect.get("ReplaceKeyWith").is_some()
                && redirect.get("ReplaceKeyPrefixWith").is_some()
            {
                return Err(invalid_request(
                    "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
                ));
            }
            check_protocol(redirect)?;
            if let Some(code) = redirect.get("HttpRedirectCode").and_then(Value::as_str) {
                if !matches!(code, "301" | "302" | "303" | "307" | "308") {
                    return Err(invalid_argument(
                        "The provided HTTP redirect code (HttpRedirectCode) is not valid. Valid codes are 3XX except 300.",
                        "HttpRedirectCode",
                        code,
                    ));
                }
            }
        }
    }
    Ok(config.clone())
}

fn check_protocol(v: &Value) -> Result<(), AwsError> {
    match v.get("Protocol").and_then(Value::as_str) {
        None | Some("http") | Some("https") => Ok(()),
        Some(p) => Err(invalid_argument(
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically.",
            "Protocol",
            p,
        )),
    }
}

impl S3Service {
    /// `PutBucketWebsite`.
    pub(crate) fn put_bucket_website(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let config = input
            .get("WebsiteConfiguration")
            .cloned()
            .unwrap_or_default();
        let config = validate(&config)?;
        self.update_bucket(ctx, "PutBucketWebsite", &input, |b| {
            b.website = Some(config);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketWebsite`: `NoSuchWebsiteConfiguration` without one.
    pub(crate) fn get_bucket_website(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketWebsite", &input)?;
        b.website
            .ok_or_else(|| S3Error::NoSuchWebsiteConfiguration { bucket: name }.into())
    }

    /// `DeleteBucketWebsite`.
    pub(crate) fn delete_bucket_website(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketWebsite", &input, |b| {
            b.website = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// The website configuration of `bucket`: `Ok(None)` when it has none,
    /// `NoSuchBucket` when it does not exist.
    pub fn website(&self, bucket: &str) -> Result<Option<Value>, AwsError> {
        let entry = self
            .bucket_entry(bucket)?
            .ok_or_else(|| crate::no_such_bucket(bucket))?;
        Ok(entry.website)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(v: Value) -> String {
        validate(&v).err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn validation_answers_s3s_messages() {
        assert_eq!(
            msg(json!({"ErrorDocument": {"Key": "e.html"}})),
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
        );
        assert_eq!(
            msg(json!({"IndexDocument": {"Suffix": "a/index.html"}})),
            "The IndexDocument Suffix is not well formed"
        );
        assert_eq!(
            msg(
                json!({"IndexDocument": {"Suffix": "index.html"}, "RoutingRules": [
                {"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]})
            ),
            "You can only define ReplaceKeyPrefix or ReplaceKey but not both."
        );
        assert!(validate(&json!({"IndexDocument": {"Suffix": "index.html"}})).is_ok());
        assert!(validate(&json!({"RedirectAllRequestsTo": {"HostName": "example.com"}})).is_ok());
    }
}
