//! The web console's way in: [`gureum_console::Backend`] over the
//! registry, with the API's own model validation, as the root user of
//! the console's account (root is not evaluated by IAM, as on the API).

use crate::pipeline::AppState;
use bytes::Bytes;
use gureum_console::backend::BoxFuture;
use gureum_console::{Backend, Caller};
use gureum_core::{AwsError, Reply, RequestBody, RequestContext, Value};
use gureum_protocol::Response as WireResponse;
use http::request::Parts;

/// The services, as the console calls them.
struct Api<'s> {
    state: &'s AppState,
    host: String,
}

impl Api<'_> {
    fn context(&self, caller: &Caller) -> RequestContext {
        let mut ctx =
            RequestContext::root(&caller.account, &caller.region, self.state.clock.clone());
        ctx.host = Some(self.host.clone());
        ctx
    }

    /// The service, after the input passed the checks an API request's
    /// would (so the console shows the same validation errors).
    fn checked(
        &self,
        service: &str,
        operation: &str,
        input: &Value,
    ) -> Result<std::sync::Arc<dyn gureum_core::Service>, AwsError> {
        let svc = self
            .state
            .registry
            .get(service)
            .ok_or_else(|| AwsError::not_implemented(service, operation))?;
        let model = gureum_model::load(service).map_err(|e| AwsError::internal(e.to_string()))?;
        let op = model
            .operation(operation)
            .ok_or_else(|| AwsError::not_implemented(service, operation))?;
        if let (Some(shape), Some(protocol)) = (
            op.input.as_ref().and_then(|r| model.shape(&r.shape)),
            model.protocol(),
        ) {
            let checks = gureum_protocol::Checks::for_service(protocol, service);
            let issues = gureum_protocol::validate_with(&model, shape, input, checks);
            if !issues.is_empty() {
                return Err(
                    gureum_protocol::ParseError::Validation(issues).to_aws_error(protocol, service)
                );
            }
        }
        Ok(svc.clone())
    }
}

impl Backend for Api<'_> {
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        service: &'a str,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(async move {
            let svc = self.checked(service, operation, &input)?;
            let ctx = self.context(caller);
            if svc.streams() {
                return svc
                    .call_streaming(&ctx, operation, input, RequestBody::empty())
                    .await
                    .map(|r| r.output);
            }
            svc.call(&ctx, operation, input).await
        })
    }

    fn call_streaming<'a>(
        &'a self,
        caller: &'a Caller,
        service: &'a str,
        operation: &'a str,
        input: Value,
        body: Bytes,
    ) -> BoxFuture<'a, Result<Reply, AwsError>> {
        Box::pin(async move {
            let svc = self.checked(service, operation, &input)?;
            let ctx = self.context(caller);
            svc.call_streaming(&ctx, operation, input, RequestBody::from_bytes(body))
                .await
        })
    }

    fn accounts(&self) -> Vec<String> {
        let mut out = vec![gureum_core::DEFAULT_ACCOUNT_ID.to_string()];
        for a in self.state.accounts.declared() {
            if !out.contains(&a.id) {
                out.push(a.id.clone());
            }
        }
        out
    }

    fn now_millis(&self) -> i64 {
        self.state.clock.now_millis()
    }

    fn function_code(
        &self,
        caller: &Caller,
        function: &str,
        head_bytes: usize,
    ) -> Result<Vec<(String, u64, Vec<u8>)>, AwsError> {
        let files =
            self.state
                .registry
                .lambda
                .code_files(&self.context(caller), function, head_bytes)?;
        Ok(files
            .into_iter()
            .map(|f| (f.path, f.size, f.head))
            .collect())
    }
}

/// Serves one console request; the page's body may stream (downloads).
pub async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Bytes,
    stream_out: &mut Option<gureum_core::ResponseBody>,
) -> WireResponse {
    // Strict mode refuses requests Gureum cannot authenticate; the console
    // signs nobody in yet, so it stays closed rather than act as root.
    if state.accounts.strict() {
        return WireResponse {
            status: 403,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: Bytes::from_static(
                b"<!DOCTYPE html><html lang=\"en\"><title>Console closed</title><main><h1>Console closed</h1>\
<p>Gureum runs with --strict: the web console, which acts without signing in, is not served.</p></main></html>",
            ),
        };
    }
    let header =
        |name: http::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let api = Api {
        state,
        host: header(http::header::HOST).unwrap_or("").to_string(),
    };
    let request = gureum_console::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        cookie: header(http::header::COOKIE),
        content_type: header(http::header::CONTENT_TYPE),
        body,
    };
    let response = gureum_console::handle(&api, request).await;
    let body = match response.body {
        gureum_core::ResponseBody::Bytes(b) => b,
        stream => {
            *stream_out = Some(stream);
            Bytes::new()
        }
    };
    WireResponse {
        status: response.status,
        headers: response.headers,
        body,
    }
}
