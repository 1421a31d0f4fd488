//! Resources: the path tree of an API (`/`, `/pets`, `/pets/{id}`,
//! `/{proxy+}`).

use crate::errors::{bad_request, ApigatewayError};
use crate::{new_id, page_by_position, str_member, ApigatewayService, Resource, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// A resource as `GetResource` answers it; `embed` includes each method
/// whole (`embed=methods`), otherwise methods are named only.
pub(crate) fn resource_json(id: &str, r: &Resource, embed: bool) -> Value {
    let mut out = json!({"id": id, "path": r.path});
    if let Some(parent) = &r.parent_id {
        out["parentId"] = json!(parent);
        out["pathPart"] = json!(r.path_part);
    }
    if !r.methods.is_empty() {
        let methods: serde_json::Map<String, Value> = r
            .methods
            .iter()
            .map(|(verb, m)| (verb.clone(), if embed { m.clone() } else { json!({}) }))
            .collect();
        out["resourceMethods"] = Value::Object(methods);
    }
    out
}

/// Whether `part` is a variable path part (`{id}`, `{proxy+}`).
pub(crate) fn is_variable(part: &str) -> bool {
    part.starts_with('{') && part.ends_with('}')
}

/// Whether `part` is a well-formed path part: plain characters, or one
/// name in braces with an optional `+` before the closing brace.
pub(crate) fn valid_part(part: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b))
    };
    match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(inner) => plain(inner.strip_suffix('+').unwrap_or(inner)),
        None => plain(part) && !part.contains(['{', '}', '+']),
    }
}

/// The resource `id` of `api`.
pub(crate) fn find<'a>(api: &'a RestApi, id: &str) -> Result<&'a Resource, AwsError> {
    api.resources
        .get(id)
        .ok_or_else(|| ApigatewayError::ResourceNotFound.into())
}

/// The resource `id` of `api`, to change.
pub(crate) fn find_mut<'a>(api: &'a mut RestApi, id: &str) -> Result<&'a mut Resource, AwsError> {
    api.resources
        .get_mut(id)
        .ok_or_else(|| ApigatewayError::ResourceNotFound.into())
}

impl ApigatewayService {
    /// `CreateResource`: a child of `parentId`.
    pub(crate) fn create_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let parent_id = str_member(&input, "parentId");
        let part = str_member(&input, "pathPart");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let parent = find(api, parent_id)?;
            if !valid_part(part) {
                return Err(bad_request("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."));
            }
            if parent.path_part.ends_with("+}") {
                return Err(bad_request(format!(
                    "Cannot create a child of a resource with a greedy path variable: {}",
                    parent.path_part
                )));
            }
            for sibling in api.resources.values().filter(|r| r.parent_id.as_deref() == Some(parent_id)) {
                if sibling.path_part == part {
                    return Err(ApigatewayError::SiblingExists { part: part.into() }.into());
                }
                if is_variable(part) && is_variable(&sibling.path_part) {
                    return Err(bad_request(format!(
                        "A sibling ({}) of this resource already has a variable path part -- only one is allowed",
                        sibling.path_part
                    )));
                }
            }
            let path = match parent.path.as_str() {
                "/" => format!("/{part}"),
                p => format!("{p}/{part}"),
            };
            let id = new_id();
            let r = Resource {
                parent_id: Some(parent_id.to_string()),
                path_part: part.to_string(),
                path,
                methods: BTreeMap::new(),
            };
            let out = resource_json(&id, &r, false);
            api.resources.insert(id, r);
            Ok(out)
        })
    }

    /// `GetResource`.
    pub(crate) fn get_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let id = str_member(&input, "resourceId");
        Ok(resource_json(id, find(&api, id)?, embeds_methods(&input)))
    }

    /// `GetResources`: by path, paged by `position`/`limit`.
    pub(crate) fn get_resources(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let embed = embeds_methods(&input);
        let mut list: Vec<(&String, &Resource)> = api.resources.iter().collect();
        list.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        let items = list
            .into_iter()
            .map(|(id, r)| resource_json(id, r, embed))
            .collect();
        page_by_position(items, &input)
    }

    /// `DeleteResource`: the resource and everything under it.
    pub(crate) fn delete_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "resourceId");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let r = find(api, id)?;
            if r.parent_id.is_none() {
                return Err(bad_request("Cannot delete root resource"));
            }
            let mut doomed = vec![id.to_string()];
            let mut i = 0;
            while i < doomed.len() {
                let parent = doomed[i].clone();
                doomed.extend(
                    api.resources
                        .iter()
                        .filter(|(_, r)| r.parent_id.as_deref() == Some(parent.as_str()))
                        .map(|(k, _)| k.clone()),
                );
                i += 1;
            }
            for d in doomed {
                api.resources.remove(&d);
            }
            Ok(json!({}))
        })
    }
}

/// Whether `embed` asks for the methods.
fn embeds_methods(input: &Value) -> bool {
    input
        .get("embed")
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().any(|v| v.as_str() == Some("methods")))
}
