//! Tags on hosted zones and health checks.

use crate::errors::Route53Error;
use crate::{invalid, Route53Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Route 53 allows this many tags on a resource.
const MAX_TAGS: usize = 50;

/// One tag.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    pub value: String,
}

impl Route53Service {
    /// Checks the resource exists; answers its tag key.
    fn tag_key(&self, ctx: &RequestContext, kind: &str, id: &str) -> Result<String, AwsError> {
        let exists = match kind {
            "hostedzone" => self.zones.contains(&format!("{}/{id}", ctx.account_id))?,
            "healthcheck" => self
                .health_checks
                .contains(&format!("{}/{id}", ctx.account_id))?,
            other => return Err(invalid(format!("Invalid resource type: {other}"))),
        };
        if !exists {
            return Err(match kind {
                "hostedzone" => Route53Error::NoSuchHostedZone { id: id.to_string() }.into(),
                _ => Route53Error::NoSuchHealthCheck { id: id.to_string() }.into(),
            });
        }
        Ok(format!("{}/{kind}/{id}", ctx.account_id))
    }

    fn tag_set(&self, ctx: &RequestContext, kind: &str, id: &str) -> OpResult {
        let key = self.tag_key(ctx, kind, id)?;
        let tags = self.tags.get(&key)?.unwrap_or_default();
        Ok(json!({
            "ResourceType": kind,
            "ResourceId": id,
            "Tags": tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect::<Vec<_>>(),
        }))
    }

    /// `ChangeTagsForResource`: adds (replacing values of existing keys)
    /// and removes.
    pub(crate) fn change_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = input
            .get("ResourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = input
            .get("ResourceId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_start_matches("/hostedzone/");
        let key = self.tag_key(ctx, kind, id)?;
        let add: Vec<Tag> = input
            .get("AddTags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| Tag {
                        key: t["Key"].as_str().unwrap_or_default().to_string(),
                        value: t["Value"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let remove: Vec<&str> = input
            .get("RemoveTagKeys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        self.store.write(|txn| -> Result<(), AwsError> {
            let mut tags = txn.get(&self.tags, &key)?.unwrap_or_default();
            tags.retain(|t| !remove.contains(&t.key.as_str()));
            for t in &add {
                match tags.iter_mut().find(|x| x.key == t.key) {
                    Some(x) => x.value = t.value.clone(),
                    None => tags.push(t.clone()),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(invalid(format!(
                    "The number of tags on the resource exceeds {MAX_TAGS}."
                )));
            }
            txn.put(&self.tags, &key, &tags)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListTagsForResource`.
    pub(crate) fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = input
            .get("ResourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = input
            .get("ResourceId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_start_matches("/hostedzone/");
        Ok(json!({ "ResourceTagSet": self.tag_set(ctx, kind, id)? }))
    }

    /// `ListTagsForResources`.
    pub(crate) fn list_tags_for_resources(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = input
            .get("ResourceType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sets = input
            .get("ResourceIds")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|id| self.tag_set(ctx, kind, id.trim_start_matches("/hostedzone/")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(json!({ "ResourceTagSets": sets }))
    }
}
