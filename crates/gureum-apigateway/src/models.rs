//! Models of an API: JSON Schema draft 4 documents that methods name in
//! `requestModels` (request validators check bodies on them, see
//! [`crate::invoke`]) and that `GetModelTemplate` turns into a mapping
//! template.

use crate::errors::{bad_request, ApigatewayError};
use crate::patch::{self, PatchOp};
use crate::{new_short_id, page_by_position, str_member, ApigatewayService, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The URL prefix another model's `$ref` names models by.
pub const MODEL_URL: &str = "https://apigateway.amazonaws.com/restapis/";

/// The two models every new API starts with, as AWS makes them.
pub(crate) fn defaults() -> BTreeMap<String, Value> {
    let empty = r#"{
  "$schema": "http://json-schema.org/draft-04/schema#",
  "title" : "Empty Schema",
  "type" : "object"
}"#;
    let error = r#"{
  "$schema" : "http://json-schema.org/draft-04/schema#",
  "title" : "Error Schema",
  "type" : "object",
  "properties" : {
    "message" : { "type" : "string" }
  }
}"#;
    [
        ("Empty", "This is a default empty schema model", empty),
        ("Error", "This is a default error schema model", error),
    ]
    .into_iter()
    .map(|(name, description, schema)| {
        let model = json!({"id": new_short_id(), "name": name, "description": description,
            "schema": schema, "contentType": "application/json"});
        (name.to_string(), model)
    })
    .collect()
}

/// The message AWS answers for a schema that is not draft 4 JSON Schema.
fn invalid_schema() -> AwsError {
    bad_request("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]")
}

/// Checks a JSON model's schema (other media types keep theirs as text).
fn check_schema(content_type: &str, schema: Option<&str>) -> Result<(), AwsError> {
    let Some(text) = schema else { return Ok(()) };
    if !content_type.to_ascii_lowercase().contains("json") {
        return Ok(());
    }
    let parsed: Value = serde_json::from_str(text).map_err(|_| invalid_schema())?;
    crate::schema::check(&parsed).map_err(|_| invalid_schema())
}

/// The model named by `name` of `api`.
fn model<'a>(api: &'a mut RestApi, name: &str) -> Result<&'a mut Value, AwsError> {
    api.models
        .get_mut(name)
        .ok_or_else(|| ApigatewayError::ModelNotFound { name: name.into() }.into())
}

/// The first method that names model `name` (`/path/VERB`).
fn user_of(api: &RestApi, name: &str) -> Option<String> {
    api.resources.values().find_map(|r| {
        r.methods.iter().find_map(|(verb, m)| {
            let named = |member: &str| {
                m[member]
                    .as_object()
                    .is_some_and(|models| models.values().any(|v| v == name))
            };
            let responses = m["methodResponses"].as_object().is_some_and(|rs| {
                rs.values().any(|r| {
                    r["responseModels"]
                        .as_object()
                        .is_some_and(|models| models.values().any(|v| v == name))
                })
            });
            (named("requestModels") || responses)
                .then(|| format!("{}/{verb}", r.path.trim_end_matches('/')))
        })
    })
}

impl ApigatewayService {
    /// `CreateModel`.
    pub(crate) fn create_model(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "name");
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad_request(format!(
                "Invalid model name specified: {name}. Must be alphanumeric."
            )));
        }
        let content_type = str_member(&input, "contentType");
        let schema = input.get("schema").and_then(Value::as_str);
        check_schema(content_type, schema)?;
        let mut model = json!({"id": new_short_id(), "name": name, "contentType": content_type});
        crate::copy_members(&input, &mut model, &["description", "schema"]);
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            if api.models.contains_key(name) {
                return Err(ApigatewayError::ModelExists.into());
            }
            api.models.insert(name.to_string(), model.clone());
            Ok(model)
        })
    }

    /// `GetModel`; with `flatten`, references to other models are
    /// replaced by their schemas.
    pub(crate) fn get_model(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, mut api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let all = api.models.clone();
        let mut m = model(&mut api, str_member(&input, "modelName"))?.clone();
        if input["flatten"].as_bool() == Some(true) {
            let schema: Option<Value> = m["schema"]
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok());
            if let Some(mut schema) = schema {
                inline_refs(&mut schema, &all, 0);
                m["schema"] = json!(serde_json::to_string_pretty(&schema).unwrap_or_default());
            }
        }
        Ok(m)
    }

    /// `GetModels`.
    pub(crate) fn get_models(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        page_by_position(api.models.into_values().collect(), &input)
    }

    /// `UpdateModel`: `/description` and `/schema`.
    pub(crate) fn update_model(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        let name = str_member(&input, "modelName");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let m = model(api, name)?;
            for op in &ops {
                apply(m, op)?;
            }
            Ok(m.clone())
        })
    }

    /// `DeleteModel`: refused while a method still names the model.
    pub(crate) fn delete_model(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "modelName");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            model(api, name)?;
            if let Some(user) = user_of(api, name) {
                return Err(ApigatewayError::Conflict {
                    message: format!(
                        "Cannot delete model '{name}', is referenced in method request: {user}"
                    ),
                }
                .into());
            }
            api.models.remove(name);
            Ok(json!({}))
        })
    }

    /// `GetModelTemplate`: a mapping template that copies the model's
    /// shape from the body.
    pub(crate) fn get_model_template(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, mut api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let all = api.models.clone();
        let m = model(&mut api, str_member(&input, "modelName"))?;
        let schema: Value = m["schema"]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| bad_request("Model has no schema to make a template from"))?;
        Ok(json!({"value": template(&schema, &all)}))
    }
}

fn apply(model: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/description") => {
            patch::set_or_remove(model, "description", op.value.as_deref())
        }
        ("replace", "/schema") => {
            let content_type = model["contentType"].as_str().unwrap_or_default();
            check_schema(content_type, op.value.as_deref())?;
            patch::set_or_remove(model, "schema", op.value.as_deref());
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}

/// The mapping template `GetModelTemplate` gives for `schema`.
fn template(schema: &Value, models: &BTreeMap<String, Value>) -> String {
    let mut out = String::from("#set($inputRoot = $input.path('$'))\n");
    shape(schema, "$inputRoot", models, 0, &mut out);
    out.push('\n');
    out
}

/// Writes the template text for the value at `reference` of `schema`.
fn shape(
    schema: &Value,
    reference: &str,
    models: &BTreeMap<String, Value>,
    depth: usize,
    out: &mut String,
) {
    // Self-referencing models would nest forever.
    if depth > 16 {
        out.push_str(reference);
        return;
    }
    let schema = resolve(schema, models);
    let indent = "  ".repeat(depth);
    match schema["type"].as_str().unwrap_or("object") {
        "object" => {
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            out.push_str("{\n");
            let n = props.len();
            for (i, (name, sub)) in props.iter().enumerate() {
                out.push_str(&format!("{indent}  \"{name}\" : "));
                shape(sub, &format!("{reference}.{name}"), models, depth + 1, out);
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{indent}}}"));
        }
        "array" => {
            let var = format!("$elem{depth}");
            out.push_str(&format!(
                "[\n{indent}#foreach({var} in {reference})\n{indent}  "
            ));
            shape(&schema["items"], &var, models, depth + 1, out);
            out.push_str(&format!(
                "#if($foreach.hasNext),#end\n{indent}#end\n{indent}]"
            ));
        }
        "string" => out.push_str(&format!("\"{reference}\"")),
        _ => out.push_str(reference),
    }
}

/// `schema`, with a `$ref` to another model replaced by that model's
/// schema (one level: templates follow the shape, not every reference).
fn resolve(schema: &Value, models: &BTreeMap<String, Value>) -> Value {
    let Some(url) = schema["$ref"].as_str() else {
        return schema.clone();
    };
    url.rsplit_once("/models/")
        .and_then(|(_, name)| models.get(name))
        .and_then(|m| m["schema"].as_str())
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({}))
}

/// Replaces `$ref`s to other models with their schemas (a chain of
/// references stops after a few levels rather than looping).
fn inline_refs(schema: &mut Value, models: &BTreeMap<String, Value>, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(url) = schema["$ref"].as_str() {
        if url.starts_with(MODEL_URL) {
            let mut target = resolve(schema, models);
            if let Some(o) = target.as_object_mut() {
                o.remove("$schema");
            }
            inline_refs(&mut target, models, depth + 1);
            *schema = target;
            return;
        }
    }
    match schema {
        Value::Object(m) => m.values_mut().for_each(|v| inline_refs(v, models, depth)),
        Value::Array(a) => a.iter_mut().for_each(|v| inline_refs(v, models, depth)),
        _ => {}
    }
}
