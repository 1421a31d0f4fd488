//! Non-proxy integrations (`AWS` to Lambda, `HTTP`, `MOCK`): the request
//! template makes the backend's request, the selected integration
//! response's template makes the client's response.

use super::proxy::fill_path;
use super::{header, http, query_pairs, selection, Functions, Request, Response, Target};
use crate::integrations::lambda_function;
use crate::vtl::{self, Params};
use gureum_core::Value;

/// What the backend answered, before mapping.
struct Backend {
    /// What selection patterns are matched against.
    subject: String,
    body: String,
    headers: Vec<(String, String)>,
}

/// The request's media type (`application/json` when it names none).
fn content_type(request: &Request) -> String {
    header(request, "content-type")
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "application/json".into())
}

/// `$input.params()` of `request`.
pub(crate) fn params(target: &Target, request: &Request) -> Params {
    Params {
        path: target.path_params.clone(),
        querystring: query_pairs(&request.query).into_iter().collect(),
        header: request.headers.iter().cloned().collect(),
    }
}

/// Runs a non-proxy integration.
pub(crate) fn run(
    target: &Target,
    request: &Request,
    integration: &Value,
    context: &Value,
    functions: &dyn Functions,
) -> Response {
    let internal = || Response::message(500, "Internal server error");
    let params = params(target, request);
    let body_text = String::from_utf8_lossy(&request.body).into_owned();
    let templates = integration["requestTemplates"].as_object();
    let media = content_type(request);
    let template = templates
        .and_then(|t| t.get(&media))
        .and_then(Value::as_str);
    let passthrough = integration["passthroughBehavior"]
        .as_str()
        .unwrap_or("WHEN_NO_MATCH");
    let kind = integration["type"].as_str().unwrap_or_default();
    let payload = match template {
        Some(t) => {
            let input = vtl::Input {
                body: &body_text,
                params: &params,
                context,
                stage_variables: &target.stage_variables,
            };
            match vtl::render(t, &input) {
                Ok(p) => p,
                Err(_) => return internal(),
            }
        }
        None => {
            let has_templates = templates.is_some_and(|t| !t.is_empty());
            match passthrough {
                "NEVER" => return Response::message(415, "Unsupported Media Type"),
                "WHEN_NO_TEMPLATES" if has_templates => {
                    return Response::message(415, "Unsupported Media Type")
                }
                _ => body_text.clone(),
            }
        }
    };
    let backend = match kind {
        "MOCK" => {
            let status = serde_json::from_str::<Value>(&payload)
                .ok()
                .and_then(|v| match &v["statusCode"] {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "200".into());
            Backend {
                subject: status,
                body: String::new(),
                headers: Vec::new(),
            }
        }
        "AWS" => {
            let uri = integration["uri"].as_str().unwrap_or_default();
            let Some(function) = lambda_function(uri) else {
                return internal();
            };
            match functions.invoke(function, &target.method_arn(request), payload.as_bytes()) {
                Ok(result) => {
                    let body = String::from_utf8_lossy(&result.payload).into_owned();
                    let subject = if result.failed {
                        serde_json::from_str::<Value>(&body)
                            .ok()
                            .and_then(|v| v["errorMessage"].as_str().map(str::to_string))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    Backend {
                        subject,
                        body,
                        headers: Vec::new(),
                    }
                }
                Err(_) => return internal(),
            }
        }
        "HTTP" => {
            let url = fill_path(integration["uri"].as_str().unwrap_or_default(), target);
            let verb = integration["httpMethod"].as_str().unwrap_or("GET");
            let headers = vec![("Content-Type".to_string(), media.clone())];
            let timeout = integration["timeoutInMillis"].as_u64().unwrap_or(29_000);
            match http::send(verb, &url, &headers, payload.as_bytes(), timeout) {
                Ok(r) => Backend {
                    subject: r.status.to_string(),
                    body: String::from_utf8_lossy(&r.body).into_owned(),
                    headers: r.headers,
                },
                Err(http::Failure::Timeout) => {
                    return Response::message(504, "Endpoint request timed out")
                }
                Err(_) => return internal(),
            }
        }
        _ => return internal(),
    };
    respond(target, integration, context, &params, backend)
}

/// The client's response from the selected integration response.
fn respond(
    target: &Target,
    integration: &Value,
    context: &Value,
    params: &Params,
    backend: Backend,
) -> Response {
    // No integration response for the outcome: a configuration error,
    // which API Gateway answers as a 500.
    let Some(chosen) = selection::choose(&integration["integrationResponses"], &backend.subject)
    else {
        return Response::message(500, "Internal server error");
    };
    let status: u16 = chosen["statusCode"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    // JSON's template when there is one, else the first; the response
    // carries its media type.
    let templates = chosen["responseTemplates"].as_object();
    let (media, template) = templates
        .and_then(|t| {
            t.get_key_value("application/json")
                .or_else(|| t.iter().next())
        })
        .map_or(("application/json", None), |(k, v)| {
            (k.as_str(), v.as_str().filter(|t| !t.is_empty()))
        });
    let body = match template {
        Some(t) => {
            let input = vtl::Input {
                body: &backend.body,
                params,
                context,
                stage_variables: &target.stage_variables,
            };
            match vtl::render(t, &input) {
                Ok(b) => b,
                Err(_) => return Response::message(500, "Internal server error"),
            }
        }
        None => backend.body.clone(),
    };
    let mut headers = vec![("Content-Type".to_string(), media.to_string())];
    if let Some(map) = chosen["responseParameters"].as_object() {
        for (dest, source) in map {
            let Some(name) = dest.strip_prefix("method.response.header.") else {
                continue;
            };
            let source = source.as_str().unwrap_or_default();
            let value =
                if let Some(lit) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                    Some(lit.to_string())
                } else if let Some(h) = source.strip_prefix("integration.response.header.") {
                    backend
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(h))
                        .map(|(_, v)| v.clone())
                } else {
                    None
                };
            if let Some(v) = value {
                headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                headers.push((name.to_string(), v));
            }
        }
    }
    Response::backend(status, headers, body.into_bytes())
}
