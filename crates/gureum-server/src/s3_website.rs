//! S3 website endpoints on the main port, chosen by the `Host` header:
//! `BUCKET.s3-website-REGION.localhost:PORT` and
//! `BUCKET.s3-website.REGION.localhost:PORT` (and the same under
//! `amazonaws.com`). Requests are anonymous `GetObject`s through S3 itself,
//! so only what is public is served (bucket policy and Block Public Access
//! decide); the website configuration adds index documents, folder
//! redirects, the error document, `RedirectAllRequestsTo`, routing rules
//! and `x-amz-website-redirect-location`. Errors are AWS's HTML pages.

use crate::pipeline::AppState;
use gureum_core::{AwsError, Principal, RequestBody, RequestContext, Value, DEFAULT_ACCOUNT_ID};
use gureum_model::Protocol;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use serde_json::json;
use std::net::SocketAddr;

/// The bucket a website host names, if the host is a website endpoint.
pub(crate) fn website_bucket(host: &str) -> Option<&str> {
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let idx = host.find(".s3-website")?;
    let rest = &host[idx + ".s3-website".len()..];
    if !(rest.starts_with('-') || rest.starts_with('.')) {
        return None;
    }
    let bucket = &host[..idx];
    (!bucket.is_empty()).then_some(bucket)
}

/// An HTML page in the shape S3's website endpoints answer errors with.
fn html_error(e: &AwsError, request_id: &str, extra_error: Option<&AwsError>) -> WireResponse {
    let reason = match e.status {
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    let mut items = format!(
        "<li>Code: {}</li>\n<li>Message: {}</li>\n",
        e.code, e.message
    );
    for (name, value) in &e.fields {
        if let Some(v) = value.as_str() {
            items.push_str(&format!("<li>{name}: {}</li>\n", escape(v)));
        }
    }
    items.push_str(&format!(
        "<li>RequestId: {request_id}</li>\n<li>HostId: {request_id}</li>\n"
    ));
    let mut body = format!(
        "<html>\n<head><title>{status} {reason}</title></head>\n<body>\n<h1>{status} {reason}</h1>\n<ul>\n{items}</ul>\n",
        status = e.status
    );
    if let Some(x) = extra_error {
        body.push_str(&format!(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n<li>Code: {}</li>\n<li>Message: {}</li>\n</ul>\n",
            x.code, x.message
        ));
    }
    body.push_str("<hr/>\n</body>\n</html>\n");
    WireResponse {
        status: e.status,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ("x-amz-request-id".into(), request_id.to_string()),
        ],
        body: body.into_bytes().into(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn redirect(status: u16, location: String, request_id: &str) -> WireResponse {
    WireResponse {
        status,
        headers: vec![
            ("Location".into(), location),
            ("x-amz-request-id".into(), request_id.to_string()),
        ],
        body: Default::default(),
    }
}

/// The redirect a routing rule's `Redirect` makes for `key`.
fn rule_redirect(rule: &Value, key: &str, host: &str, request_id: &str) -> WireResponse {
    let r = &rule["Redirect"];
    let prefix = rule
        .pointer("/Condition/KeyPrefixEquals")
        .and_then(Value::as_str)
        .unwrap_or("");
    let new_key = if let Some(k) = r.get("ReplaceKeyWith").and_then(Value::as_str) {
        k.to_string()
    } else if let Some(p) = r.get("ReplaceKeyPrefixWith").and_then(Value::as_str) {
        format!("{p}{}", key.strip_prefix(prefix).unwrap_or(key))
    } else {
        key.to_string()
    };
    let proto = r.get("Protocol").and_then(Value::as_str).unwrap_or("http");
    let host = r.get("HostName").and_then(Value::as_str).unwrap_or(host);
    let code = r
        .get("HttpRedirectCode")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(301);
    redirect(code, format!("{proto}://{host}/{new_key}"), request_id)
}

/// The first routing rule whose condition holds for `key` and, after a
/// failed read, its status (`None` before reading).
fn matching_rule<'c>(config: &'c Value, key: &str, status: Option<u16>) -> Option<&'c Value> {
    config.get("RoutingRules")?.as_array()?.iter().find(|rule| {
        let cond = rule.get("Condition");
        let prefix_ok = cond
            .and_then(|c| c.get("KeyPrefixEquals"))
            .and_then(Value::as_str)
            .is_none_or(|p| key.starts_with(p));
        let code = cond
            .and_then(|c| c.get("HttpErrorCodeReturnedEquals"))
            .and_then(Value::as_str);
        let code_ok = match (code, status) {
            (None, None) => true,
            (Some(c), Some(s)) => c == s.to_string(),
            _ => false,
        };
        prefix_ok && code_ok
    })
}

/// Serves one website request.
pub(crate) async fn serve(
    state: &AppState,
    parts: &Parts,
    bucket: &str,
    remote: SocketAddr,
    stream_out: &mut Option<gureum_core::ResponseBody>,
) -> WireResponse {
    let request_id = gureum_core::id::request_id();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let head = parts.method == http::Method::HEAD;
    if !head && parts.method != http::Method::GET {
        let mut e = AwsError::new(
            "MethodNotAllowed",
            405,
            "The specified method is not allowed against this resource.",
        );
        e.fields
            .push(("Method".into(), json!(parts.method.as_str())));
        e.fields.push(("ResourceType".into(), json!("OBJECT")));
        return html_error(&e, &request_id, None);
    }
    let config = match state.registry.s3.website(bucket) {
        Ok(Some(c)) => c,
        Ok(None) => {
            let mut e = AwsError::new(
                "NoSuchWebsiteConfiguration",
                404,
                "The specified bucket does not have a website configuration",
            );
            e.fields.push(("BucketName".into(), json!(bucket)));
            return html_error(&e, &request_id, None);
        }
        Err(e) => return html_error(&e, &request_id, None),
    };
    let path = parts.uri.path().trim_start_matches('/');
    if let Some(all) = config.get("RedirectAllRequestsTo") {
        let proto = all
            .get("Protocol")
            .and_then(Value::as_str)
            .unwrap_or("http");
        let to = all.get("HostName").and_then(Value::as_str).unwrap_or("");
        return redirect(301, format!("{proto}://{to}/{path}"), &request_id);
    }
    let key = percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned();
    if let Some(rule) = matching_rule(&config, &key, None) {
        return rule_redirect(rule, &key, host, &request_id);
    }
    let suffix = config
        .pointer("/IndexDocument/Suffix")
        .and_then(Value::as_str)
        .unwrap_or("index.html");
    let wanted = if key.is_empty() || key.ends_with('/') {
        format!("{key}{suffix}")
    } else {
        key.clone()
    };
    let ctx = RequestContext {
        account_id: DEFAULT_ACCOUNT_ID.to_string(),
        region: gureum_core::DEFAULT_REGION.to_string(),
        principal: Principal::Anonymous,
        access_key_id: None,
        session: None,
        request_id: request_id.clone(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: Some(remote.ip()),
        host: Some(host.to_string()),
    };
    let e = match fetch(state, &ctx, bucket, &wanted, head, &request_id, stream_out).await {
        Ok(response) => return response,
        Err(e) => e,
    };
    // A "folder" without its slash: redirect to it when its index exists.
    if e.status == 404 && !key.is_empty() && !key.ends_with('/') {
        let index = format!("{key}/{suffix}");
        let mut none = None;
        if fetch(state, &ctx, bucket, &index, true, &request_id, &mut none)
            .await
            .is_ok()
        {
            return redirect(302, format!("/{path}/"), &request_id);
        }
    }
    if let Some(rule) = matching_rule(&config, &key, Some(e.status)) {
        return rule_redirect(rule, &key, host, &request_id);
    }
    let Some(error_key) = config.pointer("/ErrorDocument/Key").and_then(Value::as_str) else {
        return html_error(&e, &request_id, None);
    };
    match fetch(
        state,
        &ctx,
        bucket,
        error_key,
        head,
        &request_id,
        stream_out,
    )
    .await
    {
        Ok(mut response) => {
            response.status = e.status;
            response
        }
        Err(x) => html_error(&e, &request_id, Some(&x)),
    }
}

/// An anonymous `GetObject` (or `HeadObject`) through S3, serialized as S3
/// answers it; a stored `x-amz-website-redirect-location` redirects.
async fn fetch(
    state: &AppState,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    head: bool,
    request_id: &str,
    stream_out: &mut Option<gureum_core::ResponseBody>,
) -> Result<WireResponse, AwsError> {
    let svc = state
        .registry
        .get("s3")
        .ok_or_else(|| AwsError::internal("S3 is not served"))?;
    let model = gureum_model::load("s3").map_err(|e| AwsError::internal(e.to_string()))?;
    let name = if head { "HeadObject" } else { "GetObject" };
    let op = model
        .operation(name)
        .ok_or_else(|| AwsError::internal("no GetObject in the model"))?;
    let input = json!({"Bucket": bucket, "Key": key});
    let reply = svc
        .call_streaming(ctx, name, input, RequestBody::empty())
        .await?;
    if let Some(to) = reply
        .output
        .get("WebsiteRedirectLocation")
        .and_then(Value::as_str)
    {
        return Ok(redirect(301, to.to_string(), request_id));
    }
    let response =
        gureum_protocol::serialize_output(&model, Protocol::RestXml, op, &reply.output, request_id);
    if !head {
        *stream_out = reply.body;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::website_bucket;

    #[test]
    fn website_hosts_name_their_bucket() {
        assert_eq!(
            website_bucket("site.s3-website-us-east-1.localhost:4566"),
            Some("site")
        );
        assert_eq!(
            website_bucket("my.site.s3-website.eu-west-1.localhost"),
            Some("my.site")
        );
        assert_eq!(website_bucket("site.s3.localhost:4566"), None);
        assert_eq!(website_bucket("127.0.0.1:4566"), None);
    }
}
