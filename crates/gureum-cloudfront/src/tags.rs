//! Tags on distributions, by ARN.

use crate::errors::CloudfrontError;
use crate::{str_of, CloudfrontService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// CloudFront allows this many tags on a resource.
const MAX_TAGS: usize = 50;

/// One tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    pub value: String,
}

/// The tags of a `Tags` structure (`{Items: [{Key, Value}]}`).
pub(crate) fn parse(tags: Option<&Value>) -> Result<Vec<Tag>, AwsError> {
    let list = tags
        .and_then(|t| t.get("Items"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<Tag> = Vec::new();
    for t in list {
        let key = str_of(&t, "Key").to_string();
        if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
            return Err(CloudfrontError::InvalidTagging {
                message: format!("The tag key {key:?} is not valid."),
            }
            .into());
        }
        let value = str_of(&t, "Value").to_string();
        match out.iter_mut().find(|x| x.key == key) {
            Some(x) => x.value = value,
            None => out.push(Tag { key, value }),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(CloudfrontError::InvalidTagging {
            message: format!("A resource can have at most {MAX_TAGS} tags."),
        }
        .into());
    }
    Ok(out)
}

impl CloudfrontService {
    /// Checks `arn` names one of the caller's distributions.
    fn tagged(&self, ctx: &RequestContext, arn: &str) -> Result<String, AwsError> {
        let prefix = format!("arn:aws:cloudfront::{}:distribution/", ctx.account_id);
        let id = arn
            .strip_prefix(&prefix)
            .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchResource))?;
        if !self
            .distributions
            .contains(&format!("{}/{id}", ctx.account_id))?
        {
            return Err(CloudfrontError::NoSuchResource.into());
        }
        Ok(arn.to_string())
    }

    /// `TagResource`.
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = self.tagged(ctx, str_of(&input, "Resource"))?;
        let add = parse(input.get("Tags"))?;
        self.store.write(|txn| -> Result<(), AwsError> {
            let mut tags = txn.get(&self.tags, &arn)?.unwrap_or_default();
            for t in add {
                match tags.iter_mut().find(|x| x.key == t.key) {
                    Some(x) => x.value = t.value,
                    None => tags.push(t),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(CloudfrontError::InvalidTagging {
                    message: format!("A resource can have at most {MAX_TAGS} tags."),
                }
                .into());
            }
            txn.put(&self.tags, &arn, &tags)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `UntagResource`.
    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = self.tagged(ctx, str_of(&input, "Resource"))?;
        let keys: Vec<String> = input
            .get("TagKeys")
            .and_then(|k| k.get("Items"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        self.store.write(|txn| -> Result<(), AwsError> {
            let mut tags = txn.get(&self.tags, &arn)?.unwrap_or_default();
            tags.retain(|t| !keys.contains(&t.key));
            txn.put(&self.tags, &arn, &tags)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListTagsForResource`.
    pub(crate) fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = self.tagged(ctx, str_of(&input, "Resource"))?;
        let tags = self.tags.get(&arn)?.unwrap_or_default();
        Ok(json!({
            "Tags": {"Items": tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect::<Vec<_>>()}
        }))
    }
}
