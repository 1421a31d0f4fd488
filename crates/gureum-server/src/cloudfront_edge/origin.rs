//! Reading an origin: S3 buckets through S3's Rust interface (anonymous,
//! or as the distribution's owner under an origin access control),
//! Gureum's own HTTP data planes (S3 website endpoints, load balancers,
//! API Gateway, function URLs) through the pipeline in-process, and any
//! other host over HTTP with hyper.

use crate::pipeline::{AppState, Body, Outcome};
use bytes::{Bytes, BytesMut};
use gureum_cloudfront::edge::{EdgeDistribution, EdgeOrigin, OriginKind};
use gureum_core::{AwsError, Principal, RequestBody, RequestContext, ResponseBody};
use gureum_model::Protocol;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// What an origin answered.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What the edge asks an origin for.
pub(crate) struct Request<'a> {
    /// The method (a viewer's `HEAD` is asked as `GET`).
    pub method: &'a http::Method,
    /// Path and forwarded query, before the origin's `OriginPath`.
    pub target: &'a str,
    /// The forwarded headers.
    pub headers: &'a http::HeaderMap,
    /// The viewer's body.
    pub body: Bytes,
}

/// How long an origin may take to answer in full (CloudFront's default
/// read timeout is 30 s).
const ORIGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads a response body whole.
pub(crate) async fn collect(body: Option<ResponseBody>) -> Result<Bytes, AwsError> {
    match body {
        None => Ok(Bytes::new()),
        Some(ResponseBody::Bytes(b)) => Ok(b),
        Some(ResponseBody::Stream { mut source, length }) => {
            let mut buf = BytesMut::with_capacity(usize::try_from(length).unwrap_or(0));
            while let Some(chunk) = std::future::poll_fn(|cx| source.as_mut().poll_chunk(cx)).await
            {
                buf.extend_from_slice(&chunk?);
            }
            Ok(buf.freeze())
        }
    }
}

/// Whether Gureum itself serves `domain` over HTTP on its main port.
fn served_in_process(state: &AppState, domain: &str) -> bool {
    domain.contains(".s3-website")
        || domain.contains(".execute-api.")
        || domain.contains(".lambda-url.")
        || state.registry.elbv2.listener_for_host(domain).is_some()
}

/// One origin request; `None` when the origin cannot be reached.
pub(crate) async fn fetch(
    state: &AppState,
    dist: &EdgeDistribution,
    origin: &EdgeOrigin,
    request: &Request<'_>,
    remote: SocketAddr,
) -> Option<Answer> {
    let (method, headers, body) = (request.method, request.headers, request.body.clone());
    let full = format!("{}{}", origin.path, request.target);
    let work = async {
        match &origin.kind {
            OriginKind::S3 { bucket } => {
                s3(state, dist, origin, bucket, method, &full, remote).await
            }
            OriginKind::Http if served_in_process(state, &origin.domain) => {
                in_process(state, origin, method, &full, headers, body, remote).await
            }
            OriginKind::Http => http(origin, method, &full, headers, body).await,
        }
    };
    tokio::time::timeout(ORIGIN_TIMEOUT, work)
        .await
        .ok()
        .flatten()
}

/// The request headers an origin gets: the forwarded ones, the origin's
/// custom headers, and `Host` set to the origin's domain.
fn origin_headers(origin: &EdgeOrigin, headers: &http::HeaderMap) -> http::HeaderMap {
    let mut out = headers.clone();
    out.remove(http::header::HOST);
    for (name, value) in &origin.custom_headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            out.insert(n, v);
        }
    }
    let host = if origin.http_port == 80 {
        origin.domain.clone()
    } else {
        format!("{}:{}", origin.domain, origin.http_port)
    };
    if let Ok(v) = http::HeaderValue::from_str(&host) {
        out.insert(http::header::HOST, v);
    }
    out
}

async fn s3(
    state: &AppState,
    dist: &EdgeDistribution,
    origin: &EdgeOrigin,
    bucket: &str,
    method: &http::Method,
    path: &str,
    remote: SocketAddr,
) -> Option<Answer> {
    let request_id = gureum_core::id::request_id();
    let svc = state.registry.get("s3")?;
    let model = gureum_model::load("s3").ok()?;
    let head = method == http::Method::HEAD;
    let name = if head { "HeadObject" } else { "GetObject" };
    let op = model.operation(name)?;
    let path = path.split('?').next().unwrap_or("");
    let key = percent_encoding::percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let ctx = RequestContext {
        account_id: dist.account.clone(),
        region: gureum_core::DEFAULT_REGION.to_string(),
        // Under an origin access control the bucket is read as the
        // distribution's owner; otherwise only public objects are.
        principal: if origin.signed {
            Principal::Root {
                account_id: dist.account.clone(),
            }
        } else {
            Principal::Anonymous
        },
        access_key_id: None,
        session: None,
        request_id: request_id.clone(),
        clock: state.clock.clone(),
        secure_transport: true,
        source_ip: Some(remote.ip()),
        host: Some(origin.domain.clone()),
    };
    let input = json!({"Bucket": bucket, "Key": key});
    let response = match svc
        .call_streaming(&ctx, name, input, RequestBody::empty())
        .await
    {
        Ok(reply) => {
            let mut r = gureum_protocol::serialize_output(
                &model,
                Protocol::RestXml,
                op,
                &reply.output,
                &request_id,
            );
            if !head {
                r.body = collect(reply.body).await.ok()?;
            }
            r
        }
        Err(e) => gureum_protocol::serialize_error(&model, Protocol::RestXml, &e, &request_id),
    };
    Some(Answer {
        status: response.status,
        headers: response.headers,
        body: response.body,
    })
}

async fn in_process(
    state: &AppState,
    origin: &EdgeOrigin,
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
    body: Bytes,
    remote: SocketAddr,
) -> Option<Answer> {
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .body(())
        .ok()?;
    *request.headers_mut() = origin_headers(origin, headers);
    let (parts, ()) = request.into_parts();
    let mut outcome = Outcome::default();
    // The pipeline calls back into the edge only for CloudFront hosts,
    // which `served_in_process` never names, so this recursion is one deep.
    let (response, stream) = Box::pin(crate::pipeline::handle(
        state,
        &parts,
        Body::Bytes(body),
        remote,
        &mut outcome,
    ))
    .await;
    let body = if stream.is_some() {
        collect(stream).await.ok()?
    } else {
        response.body
    };
    Some(Answer {
        status: response.status,
        headers: response.headers,
        body,
    })
}

async fn http(
    origin: &EdgeOrigin,
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
    body: Bytes,
) -> Option<Answer> {
    let addr = tokio::net::lookup_host((origin.domain.as_str(), origin.http_port))
        .await
        .ok()?
        .next()?;
    let (status, headers, body) = gureum_elbv2::plane::by_host::forward(
        addr,
        method,
        path,
        &origin_headers(origin, headers),
        body,
    )
    .await?;
    Some(Answer {
        status,
        headers,
        body,
    })
}
