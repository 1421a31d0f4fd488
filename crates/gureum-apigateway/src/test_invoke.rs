//! `TestInvokeMethod`: one request through a method's live (undeployed)
//! configuration, authorization skipped, as the console's test does.

use crate::errors::ApigatewayError;
use crate::invoke::{self, FunctionResult, Functions, Request, Target};
use crate::methods::MethodRef;
use crate::resources::find;
use crate::{str_member, ApigatewayService, Deployment};
use gureum_core::{AwsError, Reply, RequestBody, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Lambda when the server has not wired it in (unit tests).
struct NoFunctions;

impl Functions for NoFunctions {
    fn invoke(&self, _: &str, _: &str, _: &[u8]) -> Result<FunctionResult, String> {
        Err("Lambda is not available".into())
    }
}

/// The path parameters `path` gives a resource path `template`.
fn template_params(template: &str, path: &str) -> BTreeMap<String, String> {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = BTreeMap::new();
    for (i, t) in template.split('/').filter(|s| !s.is_empty()).enumerate() {
        let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
            continue;
        };
        match name.strip_suffix('+') {
            Some(greedy) => {
                out.insert(
                    greedy.to_string(),
                    parts.get(i..).map(|p| p.join("/")).unwrap_or_default(),
                );
                break;
            }
            None => {
                if let Some(v) = parts.get(i) {
                    out.insert(name.to_string(), v.to_string());
                }
            }
        }
    }
    out
}

impl ApigatewayService {
    /// `TestInvokeMethod`.
    pub(crate) async fn test_invoke_method(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        drop(body);
        if input
            .get("clientCertificateId")
            .is_some_and(|c| !c.is_null())
        {
            return Err(crate::errors::bad_request(
                "Gureum does not support client certificates yet.",
            ));
        }
        let m = MethodRef::of(&input);
        let (_, api) = self.api(ctx, m.api)?;
        let resource = find(&api, m.resource)?;
        let method = resource
            .methods
            .get(m.verb)
            .cloned()
            .ok_or(ApigatewayError::MethodNotFound)?;
        if method.get("methodIntegration").is_none() {
            return Err(ApigatewayError::IntegrationNotFound.into());
        }
        let with_query = input
            .get("pathWithQueryString")
            .and_then(Value::as_str)
            .unwrap_or(&resource.path)
            .to_string();
        let (path, query) = with_query.split_once('?').unwrap_or((&with_query, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for (k, v) in input
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            headers.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
        }
        for (k, list) in input
            .get("multiValueHeaders")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for v in list.as_array().into_iter().flatten() {
                headers.push((k.clone(), v.as_str().unwrap_or_default().to_string()));
            }
        }
        let target = Target {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            api_id: m.api.to_string(),
            stage_name: "test-invoke-stage".into(),
            stage_variables: input.get("stageVariables").cloned().unwrap_or(json!({})),
            deployment: Arc::new(Deployment {
                info: json!({"id": "test-invoke-deployment-id"}),
                resources: api.resources.clone(),
                authorizers: api.authorizers.clone(),
                api: json!({"binaryMediaTypes": api.info.get("binaryMediaTypes").cloned().unwrap_or(json!([]))}),
                models: api.models.clone(),
                validators: api.validators.clone(),
                gateway_responses: api.gateway_responses.clone(),
            }),
            resource_id: m.resource.to_string(),
            resource_path: resource.path.clone(),
            method,
            path_params: template_params(&resource.path, path),
        };
        let request = Request {
            method: m.verb.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: str_member(&input, "body").as_bytes().to_vec(),
            source_ip: "test-invoke-source-ip".into(),
            domain: "testPrefix.testDomainName".into(),
            caller: None,
        };
        let functions: Arc<dyn Functions> = self
            .functions
            .get()
            .cloned()
            .unwrap_or_else(|| Arc::new(NoFunctions));
        let now = ctx.clock.now_millis();
        let started = std::time::Instant::now();
        // Lambda and HTTP backends block: off the async workers.
        let r = tokio::task::spawn_blocking(move || {
            invoke::test_invoke(&target, &request, functions.as_ref(), now)
        })
        .await
        .map_err(|e| AwsError::internal(format!("the test invocation failed: {e}")))?;
        let mut single = serde_json::Map::new();
        let mut multi: serde_json::Map<String, Value> = serde_json::Map::new();
        for (k, v) in &r.headers {
            single.insert(k.clone(), json!(v));
            match multi.get_mut(k).and_then(Value::as_array_mut) {
                Some(list) => list.push(json!(v)),
                None => {
                    multi.insert(k.clone(), json!([v]));
                }
            }
        }
        let latency = started.elapsed().as_millis() as i64;
        Ok(Reply::value(json!({
            "status": r.status,
            "body": String::from_utf8_lossy(&r.body),
            "headers": single,
            "multiValueHeaders": multi,
            "log": format!("Execution log for request {}\nMethod completed with status: {}\n", ctx.request_id, r.status),
            "latency": latency,
        })))
    }

    /// IAM: `apigateway:<Operation>` on `*` for every operation.
    pub(crate) fn authorization(
        &self,
        _ctx: &RequestContext,
        _operation: &str,
        _input: &Value,
    ) -> gureum_core::Authorization {
        gureum_core::Authorization::Default
    }
}

#[cfg(test)]
mod tests {
    use super::template_params;

    #[test]
    fn template_params_fill_named_and_greedy_parts() {
        let p = template_params("/pets/{id}/{rest+}", "/pets/7/a/b");
        assert_eq!(p.get("id").map(String::as_str), Some("7"));
        assert_eq!(p.get("rest").map(String::as_str), Some("a/b"));
    }
}
