//! Methods of a resource and their method responses.

use crate::errors::{bad_request, ApigatewayError};
use crate::resources::find_mut;
use crate::{copy_members, str_member, ApigatewayService, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The verbs a method may have.
pub const VERBS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY",
];

/// The authorization types a method may have.
const AUTHORIZATION_TYPES: [&str; 4] = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];

/// The method `verb` of resource `resource_id`, to change.
pub(crate) fn method_mut<'a>(
    api: &'a mut RestApi,
    resource_id: &str,
    verb: &str,
) -> Result<&'a mut Value, AwsError> {
    find_mut(api, resource_id)?
        .methods
        .get_mut(verb)
        .ok_or_else(|| ApigatewayError::MethodNotFound.into())
}

/// A status code as API Gateway accepts it: three digits, 100–599.
pub(crate) fn check_status(code: &str) -> Result<(), AwsError> {
    let ok = code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c));
    if ok {
        Ok(())
    } else {
        Err(bad_request(
            "Invalid status code specified. Must be a valid HTTP status code between 100 and 599",
        ))
    }
}

/// Refuses `requestModels` that name a model the API does not have.
fn check_models(api: &RestApi, input: &Value) -> Result<(), AwsError> {
    let named = input["requestModels"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values());
    for name in named.filter_map(Value::as_str) {
        if !api.models.contains_key(name) {
            return Err(bad_request(format!(
                "Invalid model identifier specified: {name}"
            )));
        }
    }
    Ok(())
}

/// The three members every method-scoped request names.
pub(crate) struct MethodRef<'a> {
    pub api: &'a str,
    pub resource: &'a str,
    pub verb: &'a str,
}

impl<'a> MethodRef<'a> {
    /// From the request's URI labels.
    pub fn of(input: &'a Value) -> Self {
        MethodRef {
            api: str_member(input, "restApiId"),
            resource: str_member(input, "resourceId"),
            verb: str_member(input, "httpMethod"),
        }
    }
}

impl ApigatewayService {
    /// Changes method `m` of the caller's API in one transaction.
    pub(crate) fn update_method<R>(
        &self,
        ctx: &RequestContext,
        m: &MethodRef<'_>,
        change: impl FnOnce(&mut Value) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        self.update_api(ctx, m.api, |api| {
            change(method_mut(api, m.resource, m.verb)?)
        })
    }

    /// `PutMethod`.
    pub(crate) fn put_method(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        let verb = m.verb.to_ascii_uppercase();
        let auth = str_member(&input, "authorizationType");
        self.update_api(ctx, m.api, |api| {
            let authorizers = api.authorizers.clone();
            crate::validators::check_exists(api, input.get("requestValidatorId").and_then(Value::as_str))?;
            check_models(api, &input)?;
            let resource = find_mut(api, m.resource)?;
            if !VERBS.contains(&verb.as_str()) {
                return Err(bad_request("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"));
            }
            if !AUTHORIZATION_TYPES.contains(&auth) {
                return Err(bad_request(format!(
                    "Invalid authorization type specified: {auth}. Valid values are NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS"
                )));
            }
            if matches!(auth, "CUSTOM" | "COGNITO_USER_POOLS") && str_member(&input, "authorizerId").is_empty() {
                return Err(bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."));
            }
            let authorizer = str_member(&input, "authorizerId");
            if auth == "CUSTOM" && !authorizers.contains_key(authorizer) {
                return Err(bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."));
            }
            if resource.methods.contains_key(&verb) {
                return Err(ApigatewayError::MethodExists.into());
            }
            let mut method = json!({
                "httpMethod": verb,
                "authorizationType": auth,
                "apiKeyRequired": input.get("apiKeyRequired").and_then(Value::as_bool).unwrap_or(false),
            });
            copy_members(&input, &mut method, &["authorizerId", "operationName", "requestParameters", "requestModels", "requestValidatorId", "authorizationScopes"]);
            resource.methods.insert(verb.clone(), method.clone());
            Ok(method)
        })
    }

    /// `GetMethod`.
    pub(crate) fn get_method(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        let (_, mut api) = self.api(ctx, m.api)?;
        Ok(method_mut(&mut api, m.resource, m.verb)?.clone())
    }

    /// `DeleteMethod`.
    pub(crate) fn delete_method(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        self.update_api(ctx, m.api, |api| {
            match find_mut(api, m.resource)?.methods.remove(m.verb) {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::MethodNotFound.into()),
            }
        })
    }

    /// `PutMethodResponse`.
    pub(crate) fn put_method_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let code = str_member(&input, "statusCode");
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            check_status(code)?;
            let mut response = json!({"statusCode": code});
            copy_members(
                &input,
                &mut response,
                &["responseParameters", "responseModels"],
            );
            method["methodResponses"][code] = response.clone();
            Ok(response)
        })
    }

    /// `GetMethodResponse`.
    pub(crate) fn get_method_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        let (_, mut api) = self.api(ctx, m.api)?;
        let method = method_mut(&mut api, m.resource, m.verb)?;
        method
            .pointer(&format!(
                "/methodResponses/{}",
                str_member(&input, "statusCode")
            ))
            .cloned()
            .ok_or_else(|| ApigatewayError::ResponseNotFound.into())
    }

    /// `DeleteMethodResponse`.
    pub(crate) fn delete_method_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let code = str_member(&input, "statusCode");
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            let removed = method
                .get_mut("methodResponses")
                .and_then(Value::as_object_mut)
                .and_then(|r| r.remove(code));
            match removed {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::ResponseNotFound.into()),
            }
        })
    }
}
