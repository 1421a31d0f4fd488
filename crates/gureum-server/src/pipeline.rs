//! One request, from bytes to bytes.

use crate::accounts::Accounts;
use crate::authenticate::{authenticate, Checked, Unread};
use crate::authorize::authorize;
use crate::registry::Registry;
use crate::route::{self, RequestView, Route};
use crate::unrouted::Unrouted;
use bytes::Bytes;
use gureum_auth::sigv4;
use gureum_core::{AwsError, Clock, Principal, RequestContext, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use gureum_model::{Protocol, ServiceIndexEntry, ServiceModel};
use gureum_protocol::{Request as WireRequest, Response as WireResponse};
use http::request::Parts;
use std::net::SocketAddr;
use std::time::Instant;

/// Largest request body read into memory (S3 objects will stream instead).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The largest body an API request that is not S3 may carry, read whole.
/// AWS's API front ends refuse far less for most operations; DynamoDB's
/// 16 MB request limit is the largest of the services Gureum serves.
pub const MAX_API_BODY_BYTES: usize = 16 * 1024 * 1024;

/// S3's limit for one PUT (an object or a part): 5 GiB.
pub const MAX_S3_PUT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// The most bytes of this request's body that may be read whole: S3's
/// browser uploads (POST forms) up to [`MAX_BODY_BYTES`], API requests up to
/// [`MAX_API_BODY_BYTES`].
pub fn body_limit(parts: &Parts) -> usize {
    let form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    match s3_bound(parts) {
        // An unsigned form post is a query request (STS's unsigned ones).
        Some(signed) if signed || !form => MAX_BODY_BYTES,
        _ => MAX_API_BODY_BYTES,
    }
}

/// Whether a request is for S3: `Some(true)` when signed for S3,
/// `Some(false)` when unsigned and naming no json or cbor target (S3's
/// anonymous access), `None` otherwise.
fn s3_bound(parts: &Parts) -> Option<bool> {
    let query = parts.uri.query().unwrap_or("");
    match sigv4::credential_scope(&parts.headers, query) {
        Some(scope) => (scope.service == "s3").then_some(true),
        None => (!parts
            .headers
            .contains_key(&gureum_auth::names::X_AMZ_TARGET)
            && !parts
                .headers
                .contains_key(&gureum_auth::names::SMITHY_PROTOCOL))
        .then_some(false),
    }
}

/// S3's `EntityTooLarge` for a PUT whose declared size is over 5 GiB,
/// before a byte of it is read.
pub fn s3_put_too_large(parts: &Parts) -> Option<AwsError> {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let size = header("x-amz-decoded-content-length").or_else(|| header("content-length"))?;
    (size > MAX_S3_PUT_BYTES).then(|| {
        AwsError::new(
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed size",
        )
        .with_field("ProposedSize", size.to_string())
        .with_field("MaxSizeAllowed", MAX_S3_PUT_BYTES.to_string())
    })
}

/// An error found before the body was read (too large, stalled), in the
/// protocol of the service the request's headers name.
pub fn early_error(parts: &Parts, e: &AwsError) -> WireResponse {
    let request_id = gureum_core::id::request_id();
    let query = parts.uri.query().unwrap_or("");
    let scope = sigv4::credential_scope(&parts.headers, query);
    let view = RequestView {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &parts.headers,
        body: &[],
        signing_service: scope.as_ref().map(|s| s.service.as_str()),
    };
    // A form post names its protocol by content type, not by `Action`
    // (which is in the unread body).
    let form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let (model, protocol) = match route::route(&view) {
        Some(Route { service, protocol }) => {
            let protocol = if form {
                service
                    .protocols()
                    .into_iter()
                    .find(|p| matches!(p, Protocol::Query | Protocol::Ec2))
                    .unwrap_or(protocol)
            } else {
                protocol
            };
            (service.name.as_str(), protocol)
        }
        None => {
            let u = Unrouted::of(&view);
            (u.envelope_model(), u.protocol)
        }
    };
    match gureum_model::load(model) {
        Ok(m) => gureum_protocol::serialize_error(&m, protocol, e, &request_id),
        Err(_) => fallback_error(e, &request_id),
    }
}

/// What every request shares.
pub struct AppState {
    /// The served services.
    pub registry: Registry,
    /// Access keys and accounts.
    pub accounts: Accounts,
    /// Gureum's clock.
    pub clock: Clock,
    /// When the server started.
    pub started: Instant,
    /// Whether state is on disk.
    pub persistent: bool,
    /// Gureum's own settings (the clock offset).
    pub settings: gureum_store::Table<i64>,
    /// The store every service keeps its state in.
    pub store: gureum_store::Store,
    /// The data directory (files beside the store), `None` when ephemeral.
    pub data_dir: Option<std::path::PathBuf>,
    /// The health check's `services` object, serialized on first use
    /// (the served set is fixed once the server runs; tooling polls it).
    pub health_services: std::sync::OnceLock<String>,
    /// The address the API listens on (set once bound).
    pub endpoint: std::sync::OnceLock<std::net::SocketAddr>,
    /// The budget for request bodies held in memory.
    pub body_budget: crate::budget::BodyBudget,
}

/// A request body: read whole, or still arriving (a request that may
/// stream its payload, see [`may_stream`]).
pub enum Body {
    /// Read whole.
    Bytes(Bytes),
    /// Not read yet.
    Incoming(crate::body::Tracked),
}

/// Whether a request might be an operation whose payload streams (S3's
/// `PutObject`, `UploadPart`): a `PUT` signed for S3 or not signed at all.
/// Such bodies are left unread until the operation is known; everything
/// else is read whole first (query and json requests need their body to
/// be routed at all).
pub fn may_stream(parts: &Parts) -> bool {
    parts.method == http::Method::PUT && s3_bound(parts).is_some()
}

/// The bucket of a browser upload: `POST /bucket` with a
/// `multipart/form-data` body.
fn post_object_bucket<'p>(
    service: &ServiceIndexEntry,
    parts: &Parts,
    path: &'p str,
) -> Option<&'p str> {
    if service.name != "s3" || parts.method != http::Method::POST {
        return None;
    }
    let ct = parts
        .headers
        .get(http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    let bucket = path.trim_start_matches('/').trim_end_matches('/');
    (!bucket.is_empty() && !bucket.contains('/')).then_some(bucket)
}

/// Whether the operation's input payload member streams.
fn streams_input(model: &ServiceModel, op: &gureum_model::OperationModel) -> bool {
    let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return false;
    };
    let Some(member) = shape.payload.as_deref().and_then(|p| shape.members.get(p)) else {
        return false;
    };
    member.streaming || model.shape(&member.shape).is_some_and(|t| t.streaming)
}

/// What the pipeline learned, for the log line.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The service model name (or, for a service Gureum has no model for,
    /// the name the request claimed).
    pub service: std::borrow::Cow<'static, str>,
    /// The operation name.
    pub operation: String,
    /// The error code answered, when the request failed.
    pub error_code: Option<String>,
    /// The caller's ARN, once authenticated.
    pub principal: Option<String>,
}

/// Handles one API request (admin paths are handled before this).
pub async fn handle(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    outcome: &mut Outcome,
) -> (WireResponse, Option<gureum_core::ResponseBody>) {
    let mut stream = None;
    let caught = {
        let request = std::pin::pin!(handle_request(
            state,
            parts,
            body,
            remote,
            outcome,
            &mut stream,
        ));
        crate::panic_guard::catch_panics(request).await
    };
    match caught {
        Ok(mut response) => {
            if outcome.service == "s3" {
                crate::s3_cors::decorate(state, parts, &mut response);
            }
            (response, stream)
        }
        Err(message) => {
            let request_id = gureum_core::id::request_id();
            tracing::error!(%request_id, service = %outcome.service, operation = %outcome.operation, "request panicked: {message}");
            let e = AwsError::internal("We encountered an internal error. Please try again.");
            outcome.error_code = Some(e.code.clone());
            (fallback_error(&e, &request_id), None)
        }
    }
}

async fn handle_request(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    outcome: &mut Outcome,
    stream_out: &mut Option<gureum_core::ResponseBody>,
) -> WireResponse {
    let request_id = gureum_core::id::request_id();
    let raw_path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let headers = &parts.headers;

    // The web console (`/_console/`), served from its own crate; never
    // for a signed request or a bucket's own host (keys may start so).
    if gureum_console::is_console_path(raw_path)
        && sigv4::credential_scope(headers, query).is_none()
        && parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_none_or(|h| route::virtual_host_bucket(h).is_none() && !h.contains(".s3-website"))
    {
        (outcome.service, outcome.operation) = ("console".into(), parts.method.to_string());
        let body = match body {
            Body::Bytes(b) => b,
            Body::Incoming(_) => Bytes::new(),
        };
        return crate::console_wiring::serve(state, parts, body, stream_out).await;
    }
    let scope = sigv4::credential_scope(headers, query);
    let signing_service = scope.as_ref().map(|s| s.service.as_str());
    // Virtual-hosted S3: the bucket moves from the host into the path.
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    // S3 website endpoints, by host name; anonymous by nature.
    if signing_service.is_none() && host.contains(".s3-website") {
        if let Some(bucket) = crate::s3_website::website_bucket(host) {
            outcome.service = "s3".into();
            outcome.operation = "WebsiteGet".into();
            return crate::s3_website::serve(state, parts, bucket, remote, stream_out).await;
        }
    }
    // CloudFront's edge: distributions by `ID.cloudfront.localhost` or alias.
    if signing_service.is_none() {
        if let Some(dist) = crate::cloudfront_edge::distribution_for(state, host) {
            (outcome.service, outcome.operation) = ("cloudfront".into(), "EdgeRequest".into());
            return crate::cloudfront_edge::serve(state, parts, body, remote, dist).await;
        }
    }
    // A website bucket by its own name (Route 53's S3 website aliases).
    if signing_service.is_none() {
        if let Some(bucket) =
            crate::alias_targets_wiring::website_bucket_named(&state.registry.s3, host)
        {
            (outcome.service, outcome.operation) = ("s3".into(), "WebsiteGet".into());
            return crate::s3_website::serve(state, parts, &bucket, remote, stream_out).await;
        }
    }
    // Lambda function URLs, by host name or `/_aws/lambda-url/ID/…`.
    if let Some((url_id, fn_path)) = crate::function_urls::target(host, raw_path) {
        outcome.service = "lambda".into();
        outcome.operation = "InvokeFunctionUrl".into();
        return crate::function_urls::serve(
            state, parts, body, remote, url_id, fn_path, stream_out,
        )
        .await;
    }
    // API Gateway custom domain names, by host: base path mappings.
    if matches!(signing_service, None | Some("execute-api")) {
        if let Some(found) = state.registry.apigateway.domain_target(host, raw_path) {
            (outcome.service, outcome.operation) = ("execute-api".into(), "Invoke".into());
            return crate::apigw_domains::serve(state, parts, body, remote, found).await;
        }
    }
    // API Gateway v2's data plane, by host or path-style, for its own APIs.
    if let Some(target) = crate::execute_api_v2::addressed(state, parts, signing_service) {
        outcome.service = "execute-api".into();
        outcome.operation = "Invoke".into();
        return crate::execute_api_v2::serve(state, parts, body, remote, target).await;
    }
    // REST API invoke URLs (by host or `/_aws/execute-api/`); an id that
    // is not a REST API falls through.
    let body = match crate::execute_api::invoke_target(host, raw_path) {
        Some(t) if matches!(signing_service, None | Some("execute-api")) => {
            match crate::execute_api::serve(state, parts, body, remote, t).await {
                Ok(r) => {
                    (outcome.service, outcome.operation) = ("execute-api".into(), "Invoke".into());
                    return r;
                }
                Err(body) => body,
            }
        }
        _ => body,
    };
    // Load balancers by DNS name (`NAME-….elb.localhost`), unsigned.
    if signing_service.is_none() {
        if let Some(addr) = state.registry.elbv2.listener_for_host(host) {
            outcome.service = "elbv2".into();
            outcome.operation = "LoadBalancerRequest".into();
            return crate::elb_host::serve(addr, parts, body).await;
        }
    }
    let vhost_bucket = match signing_service {
        None | Some("s3") => route::virtual_host_bucket(host),
        _ => None,
    };
    let rewritten;
    let path = match vhost_bucket {
        Some(bucket) => {
            rewritten = format!("/{bucket}{raw_path}");
            rewritten.as_str()
        }
        None => raw_path,
    };
    let view = RequestView {
        method: parts.method.as_str(),
        path,
        query,
        headers,
        body: match &body {
            Body::Bytes(b) => b,
            Body::Incoming(_) => &[],
        },
        signing_service,
    };
    let Some(Route { service, protocol }) = route::route(&view) else {
        let unrouted = Unrouted::of(&view);
        outcome.error_code = Some("NotImplemented".into());
        outcome.service = unrouted.service.clone().into();
        outcome.operation = unrouted.operation.clone().unwrap_or_default();
        return match gureum_model::load(unrouted.envelope_model()) {
            Ok(m) => gureum_protocol::serialize_error(
                &m,
                unrouted.protocol,
                &unrouted.error(),
                &request_id,
            ),
            Err(e) => fallback_error(&AwsError::internal(e.to_string()), &request_id),
        };
    };
    outcome.service = service.name.as_str().into();
    if service.name == "s3" && parts.method == http::Method::OPTIONS {
        outcome.operation = "PreflightCors".into();
        return crate::s3_cors::preflight(state, parts, &request_id);
    }
    let model = match gureum_model::load(&service.name) {
        Ok(m) => m,
        Err(e) => return fallback_error(&AwsError::internal(e.to_string()), &request_id),
    };
    let mut fail = |e: &AwsError| {
        outcome.error_code = Some(e.code.clone());
        gureum_protocol::serialize_error(&model, protocol, e, &request_id)
    };

    // Browser uploads (POST with a signed policy form) authenticate by
    // their form, then become a PutObject.
    if let (Some(bucket), Body::Bytes(b)) = (post_object_bucket(service, parts, path), &body) {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        outcome.operation = "PostObject".into();
        let ctx = RequestContext {
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            region: scope
                .as_ref()
                .map(|s| s.region.clone())
                .unwrap_or_else(|| DEFAULT_REGION.to_string()),
            principal: Principal::Anonymous,
            access_key_id: None,
            session: None,
            request_id: request_id.clone(),
            clock: state.clock.clone(),
            secure_transport: false,
            source_ip: Some(remote.ip()),
            host: Some(host.to_string()),
        };
        let result = crate::post_object::handle(
            state,
            service,
            &model,
            ctx,
            bucket,
            content_type,
            b.clone(),
        )
        .await;
        return match result {
            Ok((status, mut headers, body)) => {
                headers.push(("x-amz-request-id".into(), request_id.clone()));
                WireResponse {
                    status,
                    headers,
                    body,
                }
            }
            Err(e) => fail(&e),
        };
    }

    // A body left unread (see `may_stream`) stays a stream only when the
    // operation's payload streams; otherwise it is read whole now. A rest
    // protocol routes by method, path, query and headers alone, so that
    // resolution is kept for later rather than made twice.
    let mut routed = None;
    // The buffered body's share of the memory budget, until the answer.
    let mut _held = None;
    let body = match body {
        Body::Incoming(incoming) => {
            let wire = WireRequest {
                method: parts.method.as_str(),
                path,
                query,
                headers,
                body: &[],
            };
            match gureum_protocol::resolve_operation(&model, protocol, &wire) {
                Ok(r) if streams_input(&model, r.operation) => {
                    if matches!(protocol, Protocol::RestXml | Protocol::RestJson) {
                        routed = Some(r);
                    }
                    Unread::Stream(incoming)
                }
                _ => match crate::body::collect(incoming, MAX_BODY_BYTES, &state.body_budget).await
                {
                    Ok((b, permit)) => {
                        _held = Some(permit);
                        Unread::Bytes(b)
                    }
                    Err(e) => return fail(&e),
                },
            }
        }
        Body::Bytes(b) => Unread::Bytes(b),
    };

    // Who is calling.
    let now = state.clock.now_millis();
    let (principal, access_key_id, session, body) =
        match authenticate(state, parts, path, body, protocol, &service.name, now) {
            Ok(v) => v,
            Err(e) => return fail(&e),
        };
    outcome.principal = Some(principal.arn());
    let (body, payload) = match body {
        Checked::Bytes(b) => (b, None),
        Checked::Stream(s) => (Bytes::new(), Some(s)),
    };
    // SDKs gzip large bodies of `requestcompression` operations (signed
    // compressed); S3's Content-Encoding describes the object instead.
    let gzipped = service.name != "s3"
        && parts
            .headers
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("gzip")));
    let body = if gzipped {
        match crate::gunzip::gunzip(&body, MAX_BODY_BYTES) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                return fail(
                    &gureum_core::CommonError::InvalidParameterValue {
                        message: format!("The request body could not be decompressed: {}", e.0),
                    }
                    .into(),
                )
            }
        }
    } else {
        body
    };
    let region = scope
        .as_ref()
        .map(|s| s.region.clone())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());

    let wire = WireRequest {
        method: parts.method.as_str(),
        path,
        query,
        headers,
        body: &body,
    };
    let resolved = match routed.map_or_else(
        || gureum_protocol::resolve_operation(&model, protocol, &wire),
        Ok,
    ) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_aws_error(protocol, &service.name)),
    };
    let op = resolved.operation;
    outcome.operation = op.name.clone();
    let mut input = match gureum_protocol::parse_request(&model, protocol, &resolved, &wire) {
        Ok(v) => v,
        Err(e) => return fail(&e.to_aws_error(protocol, &service.name)),
    };
    if service.name == "sqs" {
        crate::queue_url::fill_from_path(&model, op, &mut input, host, path);
    }
    if let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) {
        let checks = gureum_protocol::Checks::for_service(protocol, &service.name);
        let issues = gureum_protocol::validate_with(&model, shape, &input, checks);
        if !issues.is_empty() {
            let e = gureum_protocol::ParseError::Validation(issues);
            return fail(&e.to_aws_error(protocol, &service.name));
        }
    }

    let Some(svc) = state.registry.get(&service.name) else {
        return fail(&AwsError::not_implemented(&service.name, &op.name));
    };
    let ctx = RequestContext {
        account_id: principal
            .account_id()
            .unwrap_or(DEFAULT_ACCOUNT_ID)
            .to_string(),
        region,
        principal,
        access_key_id,
        session,
        request_id: request_id.clone(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: Some(remote.ip()),
        host: Some(host.to_string()),
    };
    if let Err(e) = authorize(state, &ctx, svc.as_ref(), service, &op.name, &input, &model) {
        return fail(&e);
    }
    // Requests AWS prices by request are metered (billing_wiring.rs).
    state
        .registry
        .billing
        .count_request(&ctx.account_id, &ctx.region, &service.name, &op.name);
    if !svc.streams() {
        return match svc.call(&ctx, &op.name, input).await {
            Ok(output) => match checked_output(&model, protocol, op, &output) {
                Ok(()) => {
                    gureum_protocol::serialize_output(&model, protocol, op, &output, &request_id)
                }
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        };
    }
    let request_body = match payload {
        Some(source) => source,
        None => gureum_core::RequestBody::from_bytes(body),
    };
    match svc
        .call_streaming(&ctx, &op.name, input, request_body)
        .await
    {
        Ok(reply) => {
            if let Err(e) = checked_output(&model, protocol, op, &reply.output) {
                return fail(&e);
            }
            let mut response =
                gureum_protocol::serialize_output(&model, protocol, op, &reply.output, &request_id);
            if let Some(status) = reply.status {
                response.status = status;
            }
            let bodiless = parts.method == http::Method::HEAD
                || matches!(response.status, 204 | 304)
                || response.status < 200;
            // An API's chunked answer is an event stream (Logs' live tail,
            // Lambda's streamed invoke).
            if reply.body.as_ref().is_some_and(|b| b.is_chunked()) {
                for (name, value) in &mut response.headers {
                    if name.eq_ignore_ascii_case("content-type") {
                        *value = gureum_protocol::eventstream::CONTENT_TYPE.to_string();
                    }
                }
            }
            if !bodiless {
                *stream_out = reply.body;
            }
            response
        }
        Err(e) => fail(&e),
    }
}

/// In debug builds (the e2e suite's), an output that departs from the
/// operation's output shape fails the request with `InternalFailure`
/// naming every departure, rather than reaching the client with members
/// silently dropped; release builds skip the walk.
fn checked_output(
    model: &gureum_model::ServiceModel,
    protocol: Protocol,
    op: &gureum_model::OperationModel,
    output: &gureum_core::Value,
) -> Result<(), AwsError> {
    if !cfg!(debug_assertions) {
        return Ok(());
    }
    let Some(shape) = op.output.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return Ok(());
    };
    let checks = gureum_protocol::Checks::for_service(protocol, &model.metadata.endpoint_prefix);
    let problems = gureum_protocol::check_output(model, shape, output, checks);
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!(
        "the output of {} does not match the model: {}",
        op.name,
        problems.join("; ")
    );
    tracing::error!("{message}");
    Err(AwsError::internal(message))
}

/// An error for a request no service model could be chosen for: the query
/// family's XML envelope, which every AWS SDK can read a code from.
pub fn fallback_error(e: &AwsError, request_id: &str) -> WireResponse {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body = format!(
        "<ErrorResponse><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        if e.sender_fault { "Sender" } else { "Receiver" },
        esc(&e.code),
        esc(&e.message),
        request_id
    );
    WireResponse {
        status: e.status,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body: Bytes::from(body),
    }
}
