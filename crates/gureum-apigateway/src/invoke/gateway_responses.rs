//! API Gateway's own answers, shaped by the deployment's customised
//! gateway responses (see [`crate::gateway_responses`]): the type's own
//! customisation wins, else its class's `DEFAULT_4XX`/`DEFAULT_5XX`;
//! without either the default answer stands as it is.

use super::{GatewayError, Response};
use crate::gateway_responses::default_status;
use crate::vtl::{self, Params};
use gureum_core::Value;
use serde_json::json;
use std::collections::BTreeMap;

/// The gateway response type of API Gateway's answer `message` with
/// `status`.
pub(crate) fn kind_of(status: u16, message: &str) -> &'static str {
    match (status, message) {
        (403, "Missing Authentication Token") => "MISSING_AUTHENTICATION_TOKEN",
        (403, "Forbidden") => "INVALID_API_KEY",
        (403, _) => "INVALID_SIGNATURE",
        (400, "Invalid request body") => "BAD_REQUEST_BODY",
        (400, m) if m.starts_with("Missing required request parameters") => {
            "BAD_REQUEST_PARAMETERS"
        }
        (401, _) => "UNAUTHORIZED",
        (404, _) => "RESOURCE_NOT_FOUND",
        (413, _) => "REQUEST_TOO_LARGE",
        (415, _) => "UNSUPPORTED_MEDIA_TYPE",
        (429, "Limit Exceeded") => "QUOTA_EXCEEDED",
        (429, _) => "THROTTLED",
        (504, _) => "INTEGRATION_TIMEOUT",
        (400..=499, _) => "DEFAULT_4XX",
        _ => "DEFAULT_5XX",
    }
}

/// What a customised response's mappings read.
pub(crate) struct Mapping<'a> {
    /// The request's parameters.
    pub params: &'a Params,
    /// The stage's variables.
    pub stage_variables: &'a Value,
    /// `$context` (the error members are added here).
    pub context: &'a Value,
}

/// `response`, customised by `responses` when it is one of API Gateway's
/// own answers.
pub(crate) fn customise(
    responses: &BTreeMap<String, Value>,
    response: Response,
    mapping: &Mapping<'_>,
) -> Response {
    let Some(error) = response.error.clone() else {
        return response;
    };
    if responses.is_empty() {
        return response;
    }
    let class = if (400..500).contains(&response.status) {
        "DEFAULT_4XX"
    } else {
        "DEFAULT_5XX"
    };
    let own = responses.get(error.kind);
    let fallback = responses.get(class);
    let Some(chosen) = own.or(fallback) else {
        return response;
    };
    let code = |r: Option<&Value>| {
        r.and_then(|r| r["statusCode"].as_str())
            .and_then(|c| c.parse::<u16>().ok())
    };
    // A type's own status, else its class's, else the answer's.
    let status = code(own)
        .or_else(|| {
            own.and_then(|_| default_status(error.kind).flatten())
                .and_then(|c| c.parse().ok())
        })
        .or(code(fallback))
        .unwrap_or(response.status);
    let context = error_context(mapping.context, &error);
    let mut headers: Vec<(String, String)> = response
        .headers
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
        .collect();
    let (media, body) = body(chosen, mapping, &context, response.body);
    headers.push(("Content-Type".into(), media));
    for (key, source) in chosen["responseParameters"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let Some(name) = key.strip_prefix("gatewayresponse.header.") else {
            continue;
        };
        if let Some(v) = source.as_str().and_then(|s| value(s, mapping, &context)) {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            headers.push((name.to_string(), v));
        }
    }
    Response {
        status,
        headers,
        body,
        error: Some(error),
    }
}

/// `$context` with `error` filled in for this answer.
fn error_context(context: &Value, error: &GatewayError) -> Value {
    let mut context = if context.is_object() {
        context.clone()
    } else {
        json!({})
    };
    let message_string = match &error.message {
        Some(m) => Value::String(m.clone()).to_string(),
        None => "null".into(),
    };
    context["error"] = json!({
        "message": error.message,
        "messageString": message_string,
        "responseType": error.kind,
        "validationErrorString": error.validation,
    });
    context
}

/// The media type and body the chosen response's template makes (the
/// `application/json` one when it has it; the default body otherwise).
fn body(
    chosen: &Value,
    mapping: &Mapping<'_>,
    context: &Value,
    fallback: Vec<u8>,
) -> (String, Vec<u8>) {
    let templates = chosen["responseTemplates"].as_object();
    let picked = templates.and_then(|t| {
        t.get_key_value("application/json")
            .or_else(|| t.iter().next())
    });
    let Some((media, template)) = picked else {
        return ("application/json".into(), fallback);
    };
    let input = vtl::Input {
        body: "",
        params: mapping.params,
        context,
        stage_variables: mapping.stage_variables,
    };
    match vtl::render(template.as_str().unwrap_or_default(), &input) {
        Ok(text) => (media.clone(), text.into_bytes()),
        Err(_) => ("application/json".into(), fallback),
    }
}

/// A response parameter's value: `'literal'`, a request parameter, a
/// stage variable or a context member.
fn value(source: &str, mapping: &Mapping<'_>, context: &Value) -> Option<String> {
    if let Some(literal) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(literal.to_string());
    }
    let p = mapping.params;
    let lookup = |map: &BTreeMap<String, String>, name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if let Some(name) = source
        .strip_prefix("method.request.header.")
        .or_else(|| source.strip_prefix("method.request.multivalueheader."))
    {
        return lookup(&p.header, name);
    }
    if let Some(name) = source
        .strip_prefix("method.request.querystring.")
        .or_else(|| source.strip_prefix("method.request.multivaluequerystring."))
    {
        return p.querystring.get(name).cloned();
    }
    if let Some(name) = source.strip_prefix("method.request.path.") {
        return p.path.get(name).cloned();
    }
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return mapping.stage_variables[name].as_str().map(str::to_string);
    }
    let path = source.strip_prefix("context.")?;
    let pointer = format!("/{}", path.replace('.', "/"));
    match context.pointer(&pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{customise, Mapping};
    use crate::invoke::Response;
    use crate::vtl::Params;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    fn apply(responses: &[(&str, Value)], r: Response) -> Response {
        let map: BTreeMap<String, Value> = responses
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let params = Params::default();
        let mapping = Mapping {
            params: &params,
            stage_variables: &json!({"env": "dev"}),
            context: &json!({"stage": "prod"}),
        };
        customise(&map, r, &mapping)
    }

    fn body(r: &Response) -> Value {
        serde_json::from_slice(&r.body).expect("json body")
    }

    #[test]
    fn without_customisations_the_default_answer_stands() {
        let r = Response::message(403, "Missing Authentication Token");
        assert_eq!(apply(&[], r.clone()), r);
    }

    #[test]
    fn a_types_own_customisation_beats_its_class_default() {
        let own = json!({"statusCode": "404", "responseTemplates": {"application/json": "{\"own\": $context.error.messageString}"}});
        let class = json!({"statusCode": "418", "responseTemplates": {"application/json": "{\"class\": 1}"}});
        let r = apply(
            &[
                ("MISSING_AUTHENTICATION_TOKEN", own),
                ("DEFAULT_4XX", class),
            ],
            Response::message(403, "Missing Authentication Token"),
        );
        assert_eq!(r.status, 404);
        assert_eq!(body(&r), json!({"own": "Missing Authentication Token"}));
    }

    #[test]
    fn a_class_default_covers_uncustomised_types_of_its_class_only() {
        let class = json!({"statusCode": "418", "responseParameters": {"gatewayresponse.header.X-Env": "stageVariables.env"},
            "responseTemplates": {"application/json": "{\"type\": \"$context.error.responseType\"}"}});
        let r = apply(
            &[("DEFAULT_4XX", class.clone())],
            Response::message(429, "Too Many Requests"),
        );
        assert_eq!(r.status, 418);
        assert_eq!(body(&r), json!({"type": "THROTTLED"}));
        assert!(r.headers.contains(&("X-Env".into(), "dev".into())));
        let five = Response::message(504, "Endpoint request timed out");
        assert_eq!(apply(&[("DEFAULT_4XX", class)], five.clone()), five);
    }

    #[test]
    fn a_customisation_without_status_keeps_the_types_default_status() {
        let own = json!({"responseTemplates": {"application/json": "{}"}});
        let r = apply(
            &[("QUOTA_EXCEEDED", own)],
            Response::message(429, "Limit Exceeded"),
        );
        assert_eq!(r.status, 429);
    }

    #[test]
    fn backend_answers_are_never_customised() {
        let class = json!({"statusCode": "418"});
        let backend = Response::backend(404, vec![], b"nope".to_vec());
        assert_eq!(apply(&[("DEFAULT_4XX", class)], backend.clone()), backend);
    }
}
