//! Requests for a service Gureum has no model for (`aws ssm …`).
//!
//! They still get a `NotImplemented` error (HTTP 501) in the protocol the
//! client spoke, so botocore and the CLI print a readable message instead
//! of "An error occurred (400)" over an envelope they cannot parse. The
//! protocol is read off the request the way AWS's front ends would: a
//! `smithy-protocol` header, an `X-Amz-Target` with its json content type,
//! a query `Action`, and otherwise rest-json (every rest-xml service is
//! vendored). The envelope conventions come from a vendored model of the
//! same protocol, since an error's envelope does not depend on the service.

use crate::route::{form_field, RequestView};
use gureum_core::{AwsError, CommonError};
use gureum_model::Protocol;

/// What a request for an unknown service claimed to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrouted {
    /// The service name it claimed (signing name, target prefix or
    /// Smithy service name; `?` when it claimed none).
    pub service: String,
    /// The operation, when the request names it (`X-Amz-Target`, `Action`,
    /// the cbor path).
    pub operation: Option<String>,
    /// The protocol it spoke.
    pub protocol: Protocol,
}

fn header<'a>(view: &RequestView<'a>, name: &str) -> Option<&'a str> {
    view.headers.get(name).and_then(|v| v.to_str().ok())
}

impl Unrouted {
    /// Reads the claimed service, operation and protocol off a request.
    pub fn of(view: &RequestView<'_>) -> Self {
        let signing = view.signing_service.map(str::to_string);
        if header(view, "smithy-protocol") == Some("rpc-v2-cbor") {
            let mut parts = view.path.trim_start_matches("/service/").split('/');
            let service = parts.next().unwrap_or_default().to_string();
            let operation = parts.nth(1).map(str::to_string);
            return Unrouted {
                service: signing.unwrap_or(service),
                operation,
                protocol: Protocol::RpcV2Cbor,
            };
        }
        if let Some(target) = header(view, "x-amz-target") {
            let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
            let json10 = header(view, "content-type")
                .is_some_and(|c| c.starts_with("application/x-amz-json-1.0"));
            return Unrouted {
                service: signing.unwrap_or_else(|| prefix.to_string()),
                operation: (!op.is_empty()).then(|| op.to_string()),
                protocol: if json10 {
                    Protocol::Json10
                } else {
                    Protocol::Json11
                },
            };
        }
        let form = std::str::from_utf8(view.body).unwrap_or_default();
        let action = form_field(view.query, "Action").or_else(|| form_field(form, "Action"));
        Unrouted {
            service: signing.unwrap_or_else(|| "?".to_string()),
            operation: action.map(str::to_string),
            protocol: if action.is_some() {
                Protocol::Query
            } else {
                Protocol::RestJson
            },
        }
    }

    /// The error the client reads.
    pub fn error(&self) -> AwsError {
        CommonError::NotImplementedService {
            service: self.service.clone(),
        }
        .into()
    }

    /// A vendored model speaking the same protocol, whose error envelope
    /// (not its shapes) the response borrows.
    pub fn envelope_model(&self) -> &'static str {
        match self.protocol {
            Protocol::RpcV2Cbor => "cloudwatch",
            Protocol::Json10 => "dynamodb",
            Protocol::Json11 => "kms",
            Protocol::Query | Protocol::Ec2 => "sts",
            Protocol::RestJson => "lambda",
            Protocol::RestXml => "route53",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    fn view<'a>(headers: &'a HeaderMap, query: &'a str, body: &'a [u8]) -> RequestView<'a> {
        RequestView {
            method: "POST",
            path: "/",
            query,
            headers,
            body,
            signing_service: Some("ssm"),
        }
    }

    #[test]
    fn a_target_header_means_json_and_names_the_operation() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonSSM.GetParameters"),
        );
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        let u = Unrouted::of(&view(&h, "", b"{}"));
        assert_eq!(u.service, "ssm");
        assert_eq!(u.operation.as_deref(), Some("GetParameters"));
        assert_eq!(u.protocol, Protocol::Json11);
    }

    #[test]
    fn json_1_0_is_told_by_its_content_type() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amz-target",
            HeaderValue::from_static("AmazonSQS.ListQueues"),
        );
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        assert_eq!(
            Unrouted::of(&view(&h, "", b"{}")).protocol,
            Protocol::Json10
        );
    }

    #[test]
    fn an_action_means_query() {
        let h = HeaderMap::new();
        let u = Unrouted::of(&view(&h, "", b"Action=SendEmail&Version=2010-12-01"));
        assert_eq!(
            (u.protocol, u.operation.as_deref()),
            (Protocol::Query, Some("SendEmail"))
        );
    }

    #[test]
    fn anything_else_is_rest_json() {
        let h = HeaderMap::new();
        assert_eq!(
            Unrouted::of(&view(&h, "", b"")).protocol,
            Protocol::RestJson
        );
    }

    #[test]
    fn the_error_is_not_implemented_with_the_claimed_name() {
        let h = HeaderMap::new();
        let e = Unrouted::of(&view(&h, "", b"")).error();
        assert_eq!((e.code.as_str(), e.status), ("NotImplemented", 501));
        assert_eq!(e.message, "Gureum does not implement the service ssm yet");
    }
}
