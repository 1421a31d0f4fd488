//! Documentation parts of an API (each at a location: the API, a
//! resource, a method, a parameter, a response, a model, an authorizer)
//! and documentation versions, which snapshot the parts (a stage may name
//! one as its `documentationVersion`).

use crate::errors::{bad_request, ApigatewayError};
use crate::patch;
use crate::{new_id, page_by_position, str_member, ApigatewayService, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// A documentation version as stored: what AWS shows, and the parts as
/// they were.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DocumentationVersion {
    /// As `GetDocumentationVersion` answers it.
    pub info: Value,
    /// The parts, by id, when it was made.
    pub parts: BTreeMap<String, Value>,
}

/// Which location members each part type has (`path`, `method`,
/// `statusCode`, `name`).
fn members_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "API" => &[],
        "RESOURCE" => &["path"],
        "METHOD" | "REQUEST_BODY" => &["path", "method"],
        "PATH_PARAMETER" | "QUERY_PARAMETER" | "REQUEST_HEADER" => &["path", "method", "name"],
        "RESPONSE" | "RESPONSE_BODY" => &["path", "method", "statusCode"],
        "RESPONSE_HEADER" => &["path", "method", "statusCode", "name"],
        "MODEL" | "AUTHORIZER" => &["name"],
        _ => return None,
    })
}

/// The location with AWS's defaults (`/`, `*`) and without members its
/// type does not have.
fn normalise(location: &Value) -> Result<Value, AwsError> {
    let kind = str_member(location, "type");
    let members = members_of(kind)
        .ok_or_else(|| bad_request(format!("Invalid documentation part type specified: {kind}")))?;
    let mut out = json!({"type": kind});
    for m in members {
        let default = match *m {
            "path" => Some("/"),
            "method" | "statusCode" => Some("*"),
            _ => None,
        };
        match location[*m].as_str().filter(|v| !v.is_empty()).or(default) {
            Some(v) => out[*m] = json!(v),
            None => {
                return Err(bad_request(format!(
                    "Invalid documentation part location: {m} is required for type {kind}"
                )))
            }
        }
    }
    Ok(out)
}

/// Whether the part's location names something the API has.
fn documented(api: &RestApi, location: &Value) -> bool {
    match str_member(location, "type") {
        "API" => true,
        "MODEL" => api.models.contains_key(str_member(location, "name")),
        "AUTHORIZER" => api
            .authorizers
            .values()
            .any(|a| a["name"] == location["name"]),
        _ => {
            let path = str_member(location, "path");
            let method = str_member(location, "method");
            api.resources.values().any(|r| {
                r.path == path
                    && (method.is_empty() || method == "*" || r.methods.contains_key(method))
            })
        }
    }
}

fn properties(input: &Value) -> Result<String, AwsError> {
    let text = str_member(input, "properties");
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(text.to_string()),
        _ => Err(bad_request(
            "Invalid documentation properties specified: must be a JSON object",
        )),
    }
}

impl ApigatewayService {
    /// `CreateDocumentationPart`.
    pub(crate) fn create_documentation_part(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let location = normalise(&input["location"])?;
        let properties = properties(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            if api
                .documentation_parts
                .values()
                .any(|p| p["location"] == location)
            {
                return Err(ApigatewayError::Conflict {
                    message: "Documentation part already exists for the specified location".into(),
                }
                .into());
            }
            let part = json!({"id": new_id(), "location": location, "properties": properties});
            api.documentation_parts
                .insert(str_member(&part, "id").to_string(), part.clone());
            Ok(part)
        })
    }

    /// `GetDocumentationPart`.
    pub(crate) fn get_documentation_part(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        api.documentation_parts
            .get(str_member(&input, "documentationPartId"))
            .cloned()
            .ok_or_else(|| ApigatewayError::DocumentationPartNotFound.into())
    }

    /// `GetDocumentationParts`, by `type`, `nameQuery`, `path` and
    /// `locationStatus`.
    pub(crate) fn get_documentation_parts(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let wanted = |member: &str| input[member].as_str().filter(|v| !v.is_empty());
        let items = api
            .documentation_parts
            .values()
            .filter(|p| {
                let l = &p["location"];
                wanted("type").is_none_or(|t| l["type"] == t)
                    && wanted("path").is_none_or(|path| l["path"] == path)
                    && wanted("nameQuery")
                        .is_none_or(|q| l["name"].as_str().is_some_and(|n| n.contains(q)))
                    && match wanted("locationStatus") {
                        Some("DOCUMENTED") => documented(&api, l),
                        Some("UNDOCUMENTED") => !documented(&api, l),
                        _ => true,
                    }
            })
            .cloned()
            .collect();
        page_by_position(items, &input)
    }

    /// `UpdateDocumentationPart`: `replace /properties`.
    pub(crate) fn update_documentation_part(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let part = api
                .documentation_parts
                .get_mut(str_member(&input, "documentationPartId"))
                .ok_or(ApigatewayError::DocumentationPartNotFound)?;
            for op in &ops {
                match (op.op.as_str(), op.path.as_str(), &op.value) {
                    ("replace", "/properties", Some(v)) => {
                        part["properties"] = json!(properties(&json!({"properties": v}))?)
                    }
                    _ => return Err(patch::invalid(op)),
                }
            }
            Ok(part.clone())
        })
    }

    /// `DeleteDocumentationPart`.
    pub(crate) fn delete_documentation_part(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            match api
                .documentation_parts
                .remove(str_member(&input, "documentationPartId"))
            {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::DocumentationPartNotFound.into()),
            }
        })
    }

    /// `CreateDocumentationVersion`: snapshots the parts; with
    /// `stageName`, the stage shows it.
    pub(crate) fn create_documentation_version(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let version = str_member(&input, "documentationVersion").to_string();
        if version.is_empty() {
            return Err(bad_request("Documentation version must not be empty"));
        }
        let api_id = str_member(&input, "restApiId");
        let stage = input["stageName"].as_str().filter(|s| !s.is_empty());
        let (api_key, _) = self.api(ctx, api_id)?;
        if let Some(s) = stage {
            if self
                .stages
                .get(&format!("{api_key}/{s}"))
                .map_err(AwsError::from)?
                .is_none()
            {
                return Err(ApigatewayError::StageNotFound.into());
            }
        }
        let mut info = json!({"version": version, "createdDate": ctx.clock.now_secs()});
        crate::copy_members(&input, &mut info, &["description"]);
        let out = self.update_api(ctx, api_id, |api| {
            if api.documentation_versions.contains_key(&version) {
                return Err(ApigatewayError::Conflict {
                    message: "Documentation version already exists".into(),
                }
                .into());
            }
            let snapshot = DocumentationVersion {
                info: info.clone(),
                parts: api.documentation_parts.clone(),
            };
            api.documentation_versions.insert(version.clone(), snapshot);
            Ok(info.clone())
        })?;
        if let Some(s) = stage {
            let key = format!("{api_key}/{s}");
            let table = self.stages.clone();
            self.store.write(|txn| {
                if let Some(mut st) = txn.get(&table, &key).map_err(AwsError::from)? {
                    st["documentationVersion"] = json!(version);
                    txn.put(&table, &key, &st).map_err(AwsError::from)?;
                }
                Ok::<_, AwsError>(())
            })?;
        }
        Ok(out)
    }

    /// `GetDocumentationVersion`.
    pub(crate) fn get_documentation_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        api.documentation_versions
            .get(str_member(&input, "documentationVersion"))
            .map(|v| v.info.clone())
            .ok_or_else(|| ApigatewayError::DocumentationVersionNotFound.into())
    }

    /// `GetDocumentationVersions`.
    pub(crate) fn get_documentation_versions(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        page_by_position(
            api.documentation_versions
                .values()
                .map(|v| v.info.clone())
                .collect(),
            &input,
        )
    }

    /// `UpdateDocumentationVersion`: `replace /description`.
    pub(crate) fn update_documentation_version(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let v = api
                .documentation_versions
                .get_mut(str_member(&input, "documentationVersion"))
                .ok_or(ApigatewayError::DocumentationVersionNotFound)?;
            for op in &ops {
                match (op.op.as_str(), op.path.as_str()) {
                    ("replace", "/description") => {
                        patch::set_or_remove(&mut v.info, "description", op.value.as_deref())
                    }
                    _ => return Err(patch::invalid(op)),
                }
            }
            Ok(v.info.clone())
        })
    }

    /// `DeleteDocumentationVersion`.
    pub(crate) fn delete_documentation_version(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            match api
                .documentation_versions
                .remove(str_member(&input, "documentationVersion"))
            {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::DocumentationVersionNotFound.into()),
            }
        })
    }
}
