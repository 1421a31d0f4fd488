//! Request validation: the method's request validator checks required
//! parameters (`requestParameters` marked `true`) and the body against
//! the model `requestModels` names for the request's media type, before
//! the integration runs.

use super::{header, query_pairs, GatewayError, Request, Response, Target};
use crate::models::MODEL_URL;
use gureum_core::Value;

/// `Err` with API Gateway's answer when `request` fails the method's
/// validator.
pub(crate) fn check(target: &Target, request: &Request) -> Result<(), Response> {
    let Some(id) = target.method["requestValidatorId"].as_str() else {
        return Ok(());
    };
    let Some(validator) = target.deployment.validators.get(id) else {
        return Ok(());
    };
    if validator["validateRequestParameters"].as_bool() == Some(true) {
        let missing = missing_parameters(target, request);
        if !missing.is_empty() {
            let message = format!(
                "Missing required request parameters: [{}]",
                missing.join(", ")
            );
            return Err(refusal(message, String::new()));
        }
    }
    if validator["validateRequestBody"].as_bool() == Some(true) {
        if let Some(errors) = body_errors(target, request) {
            return Err(refusal(
                "Invalid request body".into(),
                format!("[{}]", errors.join(", ")),
            ));
        }
    }
    Ok(())
}

fn refusal(message: String, validation: String) -> Response {
    let mut r = Response::message(400, &message);
    r.error = Some(GatewayError {
        kind: super::gateway_responses::kind_of(400, &message),
        message: Some(message),
        validation,
    });
    r
}

/// The required parameters the request lacks, by name.
fn missing_parameters(target: &Target, request: &Request) -> Vec<String> {
    let query = query_pairs(&request.query);
    let required = target.method["requestParameters"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(k, _)| k.as_str());
    let mut missing = Vec::new();
    for key in required {
        let present = if let Some(name) = key.strip_prefix("method.request.header.") {
            header(request, name).is_some()
        } else if let Some(name) = key
            .strip_prefix("method.request.querystring.")
            .or_else(|| key.strip_prefix("method.request.multivaluequerystring."))
        {
            query.iter().any(|(k, _)| k == name)
        } else if let Some(name) = key.strip_prefix("method.request.multivalueheader.") {
            header(request, name).is_some()
        } else if let Some(name) = key.strip_prefix("method.request.path.") {
            target.path_params.get(name).is_some_and(|v| !v.is_empty())
        } else {
            true
        };
        if !present {
            missing.push(key.rsplit('.').next().unwrap_or(key).to_string());
        }
    }
    missing
}

/// The body's schema violations (`None` when it conforms or the method
/// has no model for its media type).
fn body_errors(target: &Target, request: &Request) -> Option<Vec<String>> {
    let models = target.method["requestModels"].as_object()?;
    let media = header(request, "content-type")
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "application/json".into());
    let name = models
        .get(&media)
        .or_else(|| models.get("$default"))
        .and_then(Value::as_str)?;
    let all = &target.deployment.models;
    let schema: Value = all
        .get(name)
        .and_then(|m| m["schema"].as_str())
        .and_then(|s| serde_json::from_str(s).ok())?;
    // An empty body is an empty object to the schema.
    let instance = if request.body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice::<Value>(&request.body) {
            Ok(v) => v,
            Err(e) => return Some(vec![format!("Unable to parse JSON: {e}")]),
        }
    };
    let resolve = |url: &str| -> Option<Value> {
        let rest = url.strip_prefix(MODEL_URL)?;
        let (_, model) = rest.split_once("/models/")?;
        all.get(model)
            .and_then(|m| m["schema"].as_str())
            .and_then(|s| serde_json::from_str(s).ok())
    };
    let errors = crate::schema::validate(&schema, &instance, &resolve);
    (!errors.is_empty()).then_some(errors)
}
