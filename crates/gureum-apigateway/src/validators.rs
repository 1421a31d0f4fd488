//! Request validators of an API: whether a method's body (against its
//! `requestModels`) and required parameters (its `requestParameters`
//! marked `true`) are checked before the integration runs (the data plane
//! enforces them, see [`crate::invoke`]).

use crate::errors::{bad_request, ApigatewayError};
use crate::patch::{self, PatchOp};
use crate::{new_short_id, page_by_position, str_member, ApigatewayService, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn validator<'a>(api: &'a mut RestApi, id: &str) -> Result<&'a mut Value, AwsError> {
    api.validators
        .get_mut(id)
        .ok_or_else(|| ApigatewayError::ValidatorNotFound.into())
}

/// Whether validator `id` exists (`PutMethod` and `UpdateMethod` check
/// the `requestValidatorId` they are given).
pub(crate) fn check_exists(api: &RestApi, id: Option<&str>) -> Result<(), AwsError> {
    match id {
        Some(id) if !id.is_empty() && !api.validators.contains_key(id) => {
            Err(ApigatewayError::ValidatorNotFound.into())
        }
        _ => Ok(()),
    }
}

impl ApigatewayService {
    /// `CreateRequestValidator`.
    pub(crate) fn create_request_validator(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let flag = |name: &str| input.get(name).and_then(Value::as_bool).unwrap_or(false);
        let mut v = json!({
            "id": new_short_id(),
            "validateRequestBody": flag("validateRequestBody"),
            "validateRequestParameters": flag("validateRequestParameters"),
        });
        crate::copy_members(&input, &mut v, &["name"]);
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let name = str_member(&v, "name");
            if !name.is_empty() && api.validators.values().any(|o| o["name"] == name) {
                return Err(ApigatewayError::Conflict {
                    message: format!("Validator with name '{name}' already exists"),
                }
                .into());
            }
            let id = str_member(&v, "id").to_string();
            api.validators.insert(id, v.clone());
            Ok(v)
        })
    }

    /// `GetRequestValidator`.
    pub(crate) fn get_request_validator(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, mut api) = self.api(ctx, str_member(&input, "restApiId"))?;
        Ok(validator(&mut api, str_member(&input, "requestValidatorId"))?.clone())
    }

    /// `GetRequestValidators`.
    pub(crate) fn get_request_validators(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        page_by_position(api.validators.into_values().collect(), &input)
    }

    /// `UpdateRequestValidator`: `/name`, `/validateRequestBody`,
    /// `/validateRequestParameters`.
    pub(crate) fn update_request_validator(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let v = validator(api, str_member(&input, "requestValidatorId"))?;
            for op in &ops {
                apply(v, op)?;
            }
            Ok(v.clone())
        })
    }

    /// `DeleteRequestValidator`: methods that named it stop validating.
    pub(crate) fn delete_request_validator(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "requestValidatorId");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            validator(api, id)?;
            api.validators.remove(id);
            for method in api
                .resources
                .values_mut()
                .flat_map(|r| r.methods.values_mut())
            {
                if method["requestValidatorId"] == id {
                    if let Some(m) = method.as_object_mut() {
                        m.remove("requestValidatorId");
                    }
                }
            }
            Ok(json!({}))
        })
    }
}

fn apply(v: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    if op.op != "replace" {
        return Err(patch::invalid(op));
    }
    match op.path.as_str() {
        "/name" => patch::set_or_remove(v, "name", op.value.as_deref()),
        "/validateRequestBody" | "/validateRequestParameters" => {
            v[&op.path[1..]] = json!(patch::boolean(op)?);
        }
        _ => return Err(patch::invalid(op)),
    }
    if v["name"].as_str().is_some_and(str::is_empty) {
        return Err(bad_request("Validator name must not be empty"));
    }
    Ok(())
}
