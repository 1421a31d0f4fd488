//! One request, from bytes to bytes.

use crate::accounts::{Accounts, KeyLookup};
use crate::body::PayloadCheck;
use crate::registry::Registry;
use crate::route::{self, RequestView, Route};
use bytes::Bytes;
use gureum_auth::sigv2::SigV2Request;
use gureum_auth::sigv4;
use gureum_core::{Authorization, AuthzTarget, Service, SessionContext};
use gureum_core::{AwsError, Clock, Principal, RequestContext, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use gureum_model::Protocol;
use gureum_model::{ServiceIndexEntry, ServiceModel};
use gureum_protocol::{Request as WireRequest, Response as WireResponse};
use http::request::Parts;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Largest request body read into memory (S3 objects will stream instead).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

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
    if parts.method != http::Method::PUT {
        return false;
    }
    let query = parts.uri.query().unwrap_or("");
    match sigv4::credential_scope(&parts.headers, query) {
        Some(scope) => scope.service == "s3",
        None => {
            !parts.headers.contains_key("x-amz-target")
                && !parts.headers.contains_key("smithy-protocol")
        }
    }
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
    /// The service model name.
    pub service: &'static str,
    /// The operation name.
    pub operation: String,
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
    let response = handle_request(state, parts, body, remote, outcome, &mut stream).await;
    (response, stream)
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

    let scope = sigv4::credential_scope(headers, query);
    let signing_service = scope.as_ref().map(|s| s.service.as_str());
    // Virtual-hosted S3: the bucket moves from the host into the path.
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
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
        return unknown_service(signing_service.unwrap_or("?"), &request_id);
    };
    outcome.service = service.name.as_str();
    let model = match gureum_model::load(&service.name) {
        Ok(m) => m,
        Err(e) => return fallback_error(&AwsError::internal(e.to_string()), &request_id),
    };
    let fail = |e: &AwsError| gureum_protocol::serialize_error(&model, protocol, e, &request_id);

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
    // operation's payload streams; otherwise it is read whole now.
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
                Ok(r) if streams_input(&model, r.operation) => Unread::Stream(incoming),
                _ => match crate::body::collect(incoming, MAX_BODY_BYTES).await {
                    Ok(b) => Unread::Bytes(b),
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
    let (body, payload) = match body {
        Checked::Bytes(b) => (b, None),
        Checked::Stream(s) => (Bytes::new(), Some(s)),
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
    let resolved = match gureum_protocol::resolve_operation(&model, protocol, &wire) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_aws_error(protocol, &service.name)),
    };
    let op = resolved.operation;
    outcome.operation = op.name.clone();
    let input = match gureum_protocol::parse_request(&model, protocol, &resolved, &wire) {
        Ok(v) => v,
        Err(e) => return fail(&e.to_aws_error(protocol, &service.name)),
    };
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
    };
    if let Err(e) = authorize(state, &ctx, svc.as_ref(), service, &op.name, &input, &model) {
        return fail(&e);
    }
    if !svc.streams() {
        return match svc.call(&ctx, &op.name, input).await {
            Ok(output) => {
                gureum_protocol::serialize_output(&model, protocol, op, &output, &request_id)
            }
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
            let mut response =
                gureum_protocol::serialize_output(&model, protocol, op, &reply.output, &request_id);
            if let Some(status) = reply.status {
                response.status = status;
            }
            let bodiless = parts.method == http::Method::HEAD
                || matches!(response.status, 204 | 304)
                || response.status < 200;
            if !bodiless {
                *stream_out = reply.body;
            }
            response
        }
        Err(e) => fail(&e),
    }
}

/// A request body before authentication: whole, or a stream.
enum Unread {
    Bytes(Bytes),
    Stream(crate::body::Tracked),
}

/// After authentication: whole, or a stream checked as it is read.
enum Checked {
    Bytes(Bytes),
    Stream(gureum_core::RequestBody),
}

/// The caller, its access key, its session (temporary credentials) and
/// the decoded body.
type Authenticated = (
    Principal,
    Option<String>,
    Option<Arc<SessionContext>>,
    Checked,
);

/// Verifies the request's signature (when Gureum knows the key's secret)
/// and decodes an aws-chunked body.
fn authenticate(
    state: &AppState,
    parts: &Parts,
    path: &str,
    body: Unread,
    protocol: Protocol,
    service: &str,
    now_ms: i64,
) -> Result<Authenticated, AwsError> {
    let query = parts.uri.query().unwrap_or("");
    let auth_err = |e: gureum_auth::AuthError| e.to_aws_error_for(service);
    if service == "s3" {
        if let Some(v2) = SigV2Request::parse(&parts.headers, query).map_err(auth_err)? {
            return authenticate_v2(state, parts, path, body, &v2, now_ms);
        }
    }
    let Some(sig) = sigv4::SigV4Request::parse(&parts.headers, query).map_err(auth_err)? else {
        let body = match body {
            Unread::Bytes(b) => Checked::Bytes(b),
            Unread::Stream(s) => Checked::Stream(stream_body(parts, s, PayloadCheck::None)),
        };
        return Ok((Principal::Anonymous, None, None, body));
    };
    let http_parts = sigv4::HttpRequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &parts.headers,
    };
    let chunked = sig.chunked_mode();
    let (principal, secret, session) = match state.accounts.lookup(&sig.access_key_id) {
        KeyLookup::Known(cred) => {
            if !cred.active {
                return Err(unknown_key(protocol, service));
            }
            // aws-chunked bodies are signed chunk by chunk (checked while
            // decoding below); the seed signature covers the headers.
            let payload = match (&body, chunked) {
                (Unread::Bytes(b), None) => sigv4::Payload::Bytes(b),
                // Streams are hashed as they are read (`PayloadCheck`).
                _ => sigv4::Payload::Deferred,
            };
            // Signatures carry the client's wall-clock time, so skew and
            // presigned expiry are judged by the system clock; Gureum's
            // (possibly advanced) clock judges what Gureum issued.
            let wall_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            sigv4::verify(&http_parts, &sig, &cred.secret_access_key, payload, wall_ms)
                .map_err(auth_err)?;
            // Session credentials only work with their token.
            if let Some(token) = &cred.session_token {
                if sig.security_token.as_deref() != Some(token.as_str()) {
                    return Err(
                        gureum_auth::AuthError::InvalidSecurityToken.to_aws_error_for(service)
                    );
                }
            }
            if cred.expires_at_ms.is_some_and(|exp| now_ms >= exp) {
                return Err(gureum_auth::AuthError::ExpiredToken.to_aws_error_for(service));
            }
            if cred.access_key_id.starts_with("AKIA") {
                let region = sig.region.as_str();
                state
                    .registry
                    .iam
                    .note_key_used(&cred.access_key_id, service, region, now_ms);
            }
            (cred.principal, Some(cred.secret_access_key), cred.session)
        }
        KeyLookup::Unverified(p) => (p, None, None),
        KeyLookup::Unknown => return Err(unknown_key(protocol, service)),
    };
    let signing = match (&secret, chunked) {
        (Some(secret), Some(mode)) if mode.is_signed() => {
            Some(gureum_auth::chunked::ChunkSigningContext::new(&sig, secret))
        }
        _ => None,
    };
    let decoded_len = parts
        .headers
        .get("x-amz-decoded-content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = match (body, chunked) {
        (Unread::Bytes(b), None) => Checked::Bytes(b),
        (Unread::Bytes(b), Some(mode)) => {
            let decoded =
                gureum_auth::chunked::decode_aws_chunked(&b, mode, signing.as_ref(), decoded_len)
                    .map_err(auth_err)?;
            Checked::Bytes(Bytes::from(decoded.data))
        }
        (Unread::Stream(s), Some(mode)) => {
            let decoder = gureum_auth::chunked::ChunkedDecoder::new(mode, signing, decoded_len)
                .map_err(auth_err)?;
            Checked::Stream(stream_body(
                parts,
                s,
                PayloadCheck::Chunked(Box::new(decoder)),
            ))
        }
        (Unread::Stream(s), None) => {
            // A signed hex payload hash is checked at the end of the stream
            // (only when the signature itself was verified).
            let check = match (&secret, sig.content_sha256.as_deref()) {
                (Some(_), Some(h)) if h.len() == 64 => PayloadCheck::Sha256(h.to_string()),
                _ => PayloadCheck::None,
            };
            Checked::Stream(stream_body(parts, s, check))
        }
    };
    Ok((principal, Some(sig.access_key_id), session, body))
}

/// S3's legacy SigV2 (presigned URLs from boto3 and the aws CLI, old
/// clients' `Authorization: AWS …`). `path` has the bucket first.
fn authenticate_v2(
    state: &AppState,
    parts: &Parts,
    path: &str,
    body: Unread,
    sig: &SigV2Request,
    now_ms: i64,
) -> Result<Authenticated, AwsError> {
    let auth_err = |e: gureum_auth::AuthError| e.to_aws_error_for("s3");
    let query = parts.uri.query().unwrap_or("");
    let (principal, session) = match state.accounts.lookup(&sig.access_key_id) {
        KeyLookup::Known(cred) => {
            if !cred.active {
                return Err(unknown_key(Protocol::RestXml, "s3"));
            }
            let wall_s = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            gureum_auth::sigv2::verify(
                sig,
                &cred.secret_access_key,
                parts.method.as_str(),
                &parts.headers,
                path,
                query,
                wall_s,
            )
            .map_err(auth_err)?;
            if let Some(token) = &cred.session_token {
                let given = parts
                    .headers
                    .get("x-amz-security-token")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
                    .or_else(|| {
                        query.split('&').find_map(|p| {
                            p.strip_prefix("x-amz-security-token=").map(|v| {
                                percent_encoding::percent_decode_str(v)
                                    .decode_utf8_lossy()
                                    .into_owned()
                            })
                        })
                    });
                if given.as_deref() != Some(token.as_str()) {
                    return Err(auth_err(gureum_auth::AuthError::InvalidSecurityToken));
                }
            }
            if cred.expires_at_ms.is_some_and(|exp| now_ms >= exp) {
                return Err(auth_err(gureum_auth::AuthError::ExpiredToken));
            }
            (cred.principal, cred.session)
        }
        KeyLookup::Unverified(p) => (p, None),
        KeyLookup::Unknown => return Err(unknown_key(Protocol::RestXml, "s3")),
    };
    let body = match body {
        Unread::Bytes(b) => Checked::Bytes(b),
        Unread::Stream(s) => Checked::Stream(stream_body(parts, s, PayloadCheck::None)),
    };
    Ok((principal, Some(sig.access_key_id.clone()), session, body))
}

/// A streaming request body: the declared decoded length comes from
/// `x-amz-decoded-content-length` for aws-chunked bodies, else
/// `Content-Length`.
fn stream_body(
    parts: &Parts,
    body: crate::body::Tracked,
    check: PayloadCheck,
) -> gureum_core::RequestBody {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let declared = match check {
        PayloadCheck::Chunked(_) => header("x-amz-decoded-content-length"),
        _ => header("content-length"),
    };
    let source = crate::body::IncomingSource::new(body, check);
    gureum_core::RequestBody::from_source(Box::pin(source), declared)
}

/// The IAM namespace of a service's actions (`monitoring` signs CloudWatch,
/// whose actions are `cloudwatch:*`).
fn iam_prefix(service: &ServiceIndexEntry) -> &str {
    match service.name.as_str() {
        "cloudwatch" => "cloudwatch",
        "s3control" => "s3",
        "sesv2" => "ses",
        "dynamodbstreams" => "dynamodb",
        _ => service.signing_name.as_str(),
    }
}

/// Checks the caller's IAM policies before the handler runs.
pub(crate) fn authorize(
    state: &AppState,
    ctx: &RequestContext,
    svc: &dyn Service,
    service: &ServiceIndexEntry,
    operation: &str,
    input: &gureum_core::Value,
    model: &ServiceModel,
) -> Result<(), AwsError> {
    if !gureum_authz::Authorizer::applies_to(ctx) {
        return Ok(());
    }
    let targets = match svc.authorization(ctx, operation, input) {
        Authorization::Public | Authorization::ByHandler => return Ok(()),
        Authorization::Default => vec![AuthzTarget::new(
            format!("{}:{operation}", iam_prefix(service)),
            "*",
        )],
        Authorization::Targets(t) => t,
    };
    state
        .registry
        .authorizer
        .authorize(ctx, &targets)
        .map_err(|denied| access_denied(&service.name, model, denied.message))
}

/// AWS's access-denied error in each service family's words: EC2 says
/// `UnauthorizedOperation`, services whose model declares
/// `AccessDeniedException` use it (json services), the rest `AccessDenied`.
fn access_denied(service: &str, model: &ServiceModel, message: String) -> AwsError {
    if service == "ec2" {
        return AwsError::new(
            "UnauthorizedOperation",
            403,
            format!("You are not authorized to perform this operation. {message}"),
        );
    }
    if let Some(shape) = model.shape("AccessDeniedException") {
        let status = shape
            .error
            .as_ref()
            .and_then(|e| e.http_status_code)
            .unwrap_or(400);
        return AwsError::new("AccessDeniedException", status, message);
    }
    AwsError::new("AccessDenied", 403, message)
}

/// The error for an access key nobody issued, in each service family's words.
fn unknown_key(protocol: Protocol, service: &str) -> AwsError {
    if service == "s3" {
        return AwsError::new(
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        );
    }
    match protocol {
        Protocol::Json10 | Protocol::Json11 | Protocol::RpcV2Cbor => AwsError::new(
            "UnrecognizedClientException",
            400,
            "The security token included in the request is invalid.",
        ),
        _ => AwsError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        ),
    }
}

fn unknown_service(name: &str, request_id: &str) -> WireResponse {
    fallback_error(
        &AwsError::new(
            "UnknownService",
            400,
            format!("Gureum has no service named '{name}'"),
        ),
        request_id,
    )
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
