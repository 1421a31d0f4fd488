//! Tags on APIs and stages: `TagResource`, `UntagResource`, `GetTags`.
//! ARNs are `arn:aws:apigateway:REGION::/apis/ID` and
//! `…/apis/ID/stages/NAME`.

use crate::errors::{bad, ApiGatewayV2Error};
use crate::{s, ApiGatewayV2Service, ApiRecord};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

impl ApiGatewayV2Service {
    /// `TagResource`.
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let add = tag_map(&input)?;
        self.with_tags(ctx, &input, |tags| {
            tags.extend(add);
        })?;
        Ok(json!({}))
    }

    /// `UntagResource`.
    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let keys: Vec<String> = input["TagKeys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        self.with_tags(ctx, &input, |tags| {
            for k in &keys {
                tags.remove(k);
            }
        })?;
        Ok(json!({}))
    }

    /// `GetTags`.
    pub(crate) fn get_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let tags = self.with_tags(ctx, &input, |_| {})?;
        Ok(json!({ "Tags": tags }))
    }

    /// Edits the tags of the resource the input's ARN names; answers them.
    fn with_tags(
        &self,
        ctx: &RequestContext,
        input: &Value,
        edit: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let arn = s(input, "ResourceArn").unwrap_or_default();
        let unknown = || -> AwsError {
            ApiGatewayV2Error::ResourceNotFound {
                arn: arn.to_string(),
            }
            .into()
        };
        let prefix = format!("arn:aws:apigateway:{}::/apis/", ctx.region);
        let rest = arn.strip_prefix(&prefix).ok_or_else(unknown)?;
        let (api_id, stage) = match rest.split_once("/stages/") {
            Some((api, stage)) => (api, Some(stage.to_string())),
            None => (rest, None),
        };
        if api_id.is_empty() || api_id.contains('/') {
            return Err(unknown());
        }
        self.update(ctx, api_id, |record: &mut ApiRecord| {
            let tags = match &stage {
                None => &mut record.tags,
                Some(name) if record.stages.contains_key(name) => {
                    record.stage_tags.entry(name.clone()).or_default()
                }
                Some(_) => return Err(unknown()),
            };
            edit(tags);
            Ok(tags.clone())
        })
        .map_err(|e| if e.status == 404 { unknown() } else { e })
    }
}

/// The input's `Tags` as a map; AWS allows 50 per resource.
pub(crate) fn tag_map(input: &Value) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    if let Some(tags) = input.get("Tags").and_then(Value::as_object) {
        for (k, v) in tags {
            out.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
        }
    }
    if out.len() > 50 {
        return Err(bad("Too many tags: a resource can have at most 50 tags"));
    }
    Ok(out)
}
