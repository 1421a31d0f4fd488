//! The links SNS writes into its messages, answered on Gureum's port as
//! AWS answers them on `sns.REGION.amazonaws.com`:
//!
//! * `GET /SimpleNotificationService-ID.pem`: the certificate whose key
//!   signs SNS messages (`SigningCertURL`);
//! * `GET /?Action=ConfirmSubscription&TopicArn=…&Token=…`: confirms a
//!   pending subscription (`SubscribeURL`), unsigned, like AWS's link;
//! * `GET /?Action=Unsubscribe&SubscriptionArn=…`: the `UnsubscribeURL`.
//!
//! Any host but a virtual-hosted S3 bucket's reaches them
//! (`sns.REGION.localhost:PORT` as written, or `localhost:PORT`). A signed
//! request with these actions is an ordinary SNS API call, and a `.pem`
//! name that is not the certificate's an ordinary request: both go
//! through the pipeline.

use crate::admin::AdminResponse;
use crate::pipeline::AppState;
use bytes::Bytes;

const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// The answer when the request is one of SNS's links.
pub fn answer(state: &AppState, parts: &http::request::Parts) -> Option<AdminResponse> {
    if parts.method != http::Method::GET {
        return None;
    }
    // A virtual-hosted S3 request (`bucket.s3.localhost`) is never one of
    // these: its paths are the bucket's keys.
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host())
        .unwrap_or_default();
    if host.contains(".s3.") || host.starts_with("s3.") {
        return None;
    }
    let path = parts.uri.path();
    if let Some(name) = path.strip_prefix('/') {
        if name.starts_with("SimpleNotificationService-") && name.ends_with(".pem") {
            let pem = state.registry.sns.certificate_pem(name)?;
            return Some(AdminResponse {
                status: 200,
                content_type: "application/x-x509-ca-cert",
                body: Bytes::from(pem).into(),
            });
        }
    }
    if path != "/" || parts.headers.contains_key(http::header::AUTHORIZATION) {
        return None;
    }
    let query = parts.uri.query()?;
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("X-Amz-Signature").is_some() {
        return None;
    }
    let request_id = gureum_core::id::request_id();
    let sns = &state.registry.sns;
    let outcome = match get("Action")? {
        "ConfirmSubscription" => sns
            .confirm_by_link(&state.clock, get("TopicArn")?, get("Token")?)
            .map(|arn| {
                format!(
                    "<ConfirmSubscriptionResponse xmlns=\"{NAMESPACE}\">\n  <ConfirmSubscriptionResult>\n    <SubscriptionArn>{}</SubscriptionArn>\n  </ConfirmSubscriptionResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</ConfirmSubscriptionResponse>\n",
                    escape(&arn)
                )
            }),
        "Unsubscribe" => sns.unsubscribe_by_link(&state.clock, get("SubscriptionArn")?).map(|_| {
            format!(
                "<UnsubscribeResponse xmlns=\"{NAMESPACE}\">\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</UnsubscribeResponse>\n"
            )
        }),
        _ => return None,
    };
    Some(match outcome {
        Ok(xml) => AdminResponse {
            status: 200,
            content_type: "text/xml",
            body: Bytes::from(xml).into(),
        },
        Err(e) => {
            let Ok(model) = gureum_model::load("sns") else {
                return Some(AdminResponse::internal("the SNS model does not load"));
            };
            let r = gureum_protocol::serialize_error(
                &model,
                gureum_model::Protocol::Query,
                &e,
                &request_id,
            );
            AdminResponse {
                status: r.status,
                content_type: "text/xml",
                body: r.body.into(),
            }
        }
    })
}

/// Percent-decoding of a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn query_components_decode() {
        assert_eq!(decode("arn%3Aaws%3Asns"), "arn:aws:sns");
        assert_eq!(decode("a+b"), "a b");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
    }
}
