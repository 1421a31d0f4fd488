//! Response serialization: from an output [`Value`] or an [`AwsError`] to HTTP.
//!
//! Every protocol writes its body straight into a `String` or `Vec<u8>`
//! while walking the output shape: no intermediate DOM, because a small
//! response (STS `GetCallerIdentity`) should cost a few microseconds.
//!
//! | module | protocols |
//! |---|---|
//! | [`query`] | query (`<OpResponse><OpResult>`) and ec2 (`<requestId>` inline) |
//! | [`json`] | awsJson 1.0 / 1.1 bodies and errors, also used by rest-json |
//! | [`cbor`] | smithy-rpc-v2-cbor |
//! | [`rest`] | the HTTP bindings shared by rest-json and rest-xml |
//! | [`rest_json`], [`rest_xml`] | the two REST protocols |
//! | [`xml_write`] | the shape-driven XML writer shared by query, ec2 and rest-xml |
//! | [`errors`] | finding the error shape, its status, fault side and message member |
//!
//! Values follow the crate's conventions (see the crate docs). A value may
//! carry members the shape does not declare: those are ignored. A value of
//! the wrong JSON type for its shape is written as well as it can be, never
//! panicked on.

pub mod cbor;
pub mod errors;
pub mod json;
pub mod query;
pub mod rest;
pub mod rest_json;
pub mod rest_xml;
pub mod xml_write;

use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{MemberRef, OperationModel, Protocol, ServiceModel, Shape};

/// Writes `output` (a value of the operation's output shape) as the
/// protocol's success response, with the request-id header(s).
pub fn serialize_output(
    model: &ServiceModel,
    protocol: Protocol,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    match protocol {
        Protocol::Query => query::query_output(model, operation, output, request_id),
        Protocol::Ec2 => query::ec2_output(model, operation, output, request_id),
        Protocol::Json10 | Protocol::Json11 => {
            json::json_output(model, protocol, operation, output, request_id)
        }
        Protocol::RestJson => rest_json::output(model, operation, output, request_id),
        Protocol::RestXml => rest_xml::output(model, operation, output, request_id),
        Protocol::RpcV2Cbor => cbor::output(model, operation, output, request_id),
    }
}

/// Writes `error` as the protocol's error response. When the model declares
/// an error shape with the error's code, its members are written from
/// `error.fields`.
pub fn serialize_error(
    model: &ServiceModel,
    protocol: Protocol,
    error: &AwsError,
    request_id: &str,
) -> Response {
    let mut response = match protocol {
        Protocol::Query => query::query_error(model, error, request_id),
        Protocol::Ec2 => query::ec2_error(model, error, request_id),
        Protocol::Json10 | Protocol::Json11 => json::json_error(model, protocol, error, request_id),
        Protocol::RestJson => rest_json::error(model, error, request_id),
        Protocol::RestXml => rest_xml::error(model, error, request_id),
        Protocol::RpcV2Cbor => cbor::error(model, error, request_id),
    };
    response.headers.extend(error.headers.iter().cloned());
    if response.status == 304 {
        // Not Modified never has a body.
        response.body = bytes::Bytes::new();
        response
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
    }
    response
}

/// True for S3, whose responses differ from every other service's in their
/// request-id headers and error root.
pub(crate) fn is_s3(model: &ServiceModel) -> bool {
    model.metadata.endpoint_prefix == "s3"
}

/// The request-id header(s) every response carries: S3 names them
/// `x-amz-request-id` / `x-amz-id-2`, every other service `x-amzn-RequestId`.
pub(crate) fn request_id_headers(
    model: &ServiceModel,
    request_id: &str,
    headers: &mut Vec<(String, String)>,
) {
    if is_s3(model) {
        headers.push(("x-amz-request-id".into(), request_id.into()));
        headers.push(("x-amz-id-2".into(), host_id(request_id)));
    } else {
        headers.push(("x-amzn-RequestId".into(), request_id.into()));
    }
}

/// S3's "extended request id" (`x-amz-id-2`, `<HostId>`): opaque base64 in
/// AWS; here derived from the request id so that it is stable per request.
pub(crate) fn host_id(request_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(request_id.as_bytes())
}

/// Whether a member belongs in the body document. Only headers and the
/// status code take members out of it: a `uri`/`querystring` binding means
/// nothing in a response, so such a member is written in the body (as
/// Smithy's `IgnoreQueryParamsInResponse` tests require).
pub(crate) fn in_body(r: &MemberRef) -> bool {
    !matches!(
        r.location.as_deref(),
        Some("header" | "headers" | "statusCode")
    )
}

/// The shape a member reference points at, if the model has it.
pub(crate) fn target<'m>(model: &'m ServiceModel, r: &MemberRef) -> Option<&'m Shape> {
    model.shape(&r.shape)
}

/// Where a timestamp sits decides its default wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TsFormat {
    /// `2014-04-29T18:30:38.123Z`.
    Iso8601,
    /// `Tue, 29 Apr 2014 18:30:38 GMT`.
    HttpDate,
    /// `1398796238.123`.
    Epoch,
}

/// The format for a timestamp: the member's `timestampFormat`, else the
/// shape's, else the location's default.
pub(crate) fn ts_format(member: Option<&MemberRef>, shape: &Shape, default: TsFormat) -> TsFormat {
    let named = member
        .and_then(|m| m.timestamp_format.as_deref())
        .or(shape.timestamp_format.as_deref());
    match named {
        Some("iso8601") => TsFormat::Iso8601,
        Some("rfc822") => TsFormat::HttpDate,
        Some("unixTimestamp") => TsFormat::Epoch,
        _ => default,
    }
}

/// Milliseconds since the epoch of a timestamp value (epoch seconds, maybe
/// fractional). A string is accepted too, as ISO 8601 or an HTTP date, so
/// that a handler that stored a formatted date still answers correctly.
pub(crate) fn ts_millis(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return i.checked_mul(1000);
            }
            let f = n.as_f64()?;
            f.is_finite().then(|| (f * 1000.0).round() as i64)
        }
        Value::String(s) => gureum_core::timestamp::parse_iso8601(s)
            .or_else(|| gureum_core::timestamp::parse_http_date(s))
            .or_else(|| gureum_core::timestamp::parse_epoch_seconds(s)),
        _ => None,
    }
}

/// Appends epoch seconds for `millis`: an integer when whole, else with
/// the milliseconds (`1398796238.123`).
pub(crate) fn push_epoch(out: &mut String, millis: i64) {
    use std::fmt::Write;
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    if ms == 0 {
        let _ = write!(out, "{secs}");
    } else {
        let text = format!("{ms:03}");
        let _ = write!(out, "{secs}.{}", text.trim_end_matches('0'));
    }
}

/// A timestamp as text in `format`.
pub(crate) fn format_ts(millis: i64, format: TsFormat) -> String {
    match format {
        TsFormat::Iso8601 => gureum_core::timestamp::format_iso8601(millis),
        TsFormat::HttpDate => gureum_core::timestamp::format_http_date(millis),
        TsFormat::Epoch => {
            let mut s = String::new();
            push_epoch(&mut s, millis);
            s
        }
    }
}

/// A scalar value as the text XML bodies and headers use: strings as they
/// are, numbers in their shortest form, booleans `true`/`false`. Special
/// floats are already the strings `NaN`/`Infinity`/`-Infinity`.
pub(crate) fn scalar_text(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// Decodes the base64 text of a blob value; text that is not base64 is
/// taken as the bytes themselves (a handler that put raw text there still
/// gets a sensible body).
pub(crate) fn blob_bytes(v: &Value) -> Vec<u8> {
    use base64::Engine;
    match v {
        Value::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .unwrap_or_else(|_| s.as_bytes().to_vec()),
        _ => Vec::new(),
    }
}

/// The XML namespace of query responses and errors: the model's
/// `xmlNamespace`, else AWS's usual `https://<prefix>.amazonaws.com/doc/<version>/`.
pub(crate) fn service_namespace(model: &ServiceModel) -> String {
    if let Some(ns) = &model.metadata.xml_namespace {
        return ns.clone();
    }
    format!(
        "https://{}.amazonaws.com/doc/{}/",
        model.metadata.endpoint_prefix, model.metadata.api_version
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_are_integers_when_whole() {
        let mut s = String::new();
        push_epoch(&mut s, 1_398_796_238_000);
        assert_eq!(s, "1398796238");
        s.clear();
        push_epoch(&mut s, 1_398_796_238_120);
        assert_eq!(s, "1398796238.12");
    }

    #[test]
    fn timestamps_accept_numbers_and_dates() {
        assert_eq!(ts_millis(&serde_json::json!(1.5)), Some(1500));
        assert_eq!(
            ts_millis(&serde_json::json!("2014-04-29T18:30:38.123Z")),
            Some(1_398_796_238_123)
        );
        assert_eq!(ts_millis(&serde_json::json!(true)), None);
    }
}
