//! The rest-json protocol's responses (Lambda, API Gateway, …).
//!
//! Success: the [`super::rest`] bindings (status, headers, payload) plus a
//! JSON body of the remaining members (`Content-Type: application/json`).
//! An operation without output sends no body.
//!
//! Errors: the status from the error shape (see [`super::errors`]), the
//! code in `X-Amzn-ErrorType`, header-bound members in headers, and a body
//! `{"message": "…", …fields}` — the form Lambda and API Gateway use.

use super::errors::ErrorInfo;
use super::json::{write_error_body, write_raw, write_struct};
use super::rest::{finish, header_value, payload, raw_payload, status, write_headers};
use super::{request_id_headers, target};
use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{OperationModel, ServiceModel};

/// A rest-json success response.
pub fn output(
    model: &ServiceModel,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    let shape = operation.output.as_ref().and_then(|r| target(model, r));
    let status = status(operation, shape, output);
    let mut headers = Vec::with_capacity(4);
    request_id_headers(model, request_id, &mut headers);
    let mut body: Vec<u8> = Vec::new();
    let mut content_type = None;
    if let Some(shape) = shape {
        write_headers(model, shape, output, &mut headers);
        if let Some((name, _, pshape)) = payload(model, shape) {
            let value = output.get(name).filter(|v| !v.is_null());
            if let Some((bytes, ct)) = raw_payload(pshape, value) {
                if value.is_some() {
                    body = bytes;
                    content_type = Some(ct);
                }
            } else if let Some(v) = value {
                let mut out = String::with_capacity(128);
                if pshape.document {
                    write_raw(&mut out, v);
                } else {
                    write_struct(&mut out, model, pshape, v);
                }
                body = out.into_bytes();
                content_type = Some("application/json");
            }
        } else {
            let mut out = String::with_capacity(256);
            write_struct(&mut out, model, shape, output);
            body = out.into_bytes();
            content_type = Some("application/json");
        }
    }
    finish(&operation.http.method, status, headers, body, content_type)
}

/// A rest-json error response.
pub fn error(model: &ServiceModel, error: &AwsError, request_id: &str) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let mut headers = Vec::with_capacity(4);
    headers.push(("Content-Type".to_string(), "application/json".to_string()));
    headers.push(("X-Amzn-ErrorType".to_string(), info.shape_name.to_string()));
    request_id_headers(model, request_id, &mut headers);
    header_fields(model, &info, error, &mut headers);
    let mut out = String::with_capacity(128);
    write_error_body(&mut out, model, &info, error, None, "message");
    Response {
        status: info.status(error, true),
        headers,
        body: out.into(),
    }
}

/// Writes the error's header-bound members (shared with rest-xml).
pub(crate) fn header_fields(
    model: &ServiceModel,
    info: &ErrorInfo<'_>,
    error: &AwsError,
    headers: &mut Vec<(String, String)>,
) {
    let Some(shape) = info.shape else { return };
    for (name, value) in &error.fields {
        let Some(r) = shape.members.get(name) else {
            continue;
        };
        if r.location.as_deref() != Some("header") {
            continue;
        }
        let Some(s) = target(model, r) else { continue };
        if let Some(text) = header_value(model, r, s, value) {
            headers.push((
                r.location_name.clone().unwrap_or_else(|| name.clone()),
                text,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata":{"protocol":"rest-json","endpointPrefix":"lambda"},
            "operations":{"Get":{"name":"Get","http":{"method":"GET","requestUri":"/x","responseCode":200},"output":{"shape":"Out"}},
              "Blob":{"name":"Blob","http":{"method":"GET","requestUri":"/b"},"output":{"shape":"BlobOut"}}},
            "shapes":{"Out":{"type":"structure","members":{
                "Code":{"shape":"I","location":"statusCode"},
                "Tag":{"shape":"S","location":"header","locationName":"X-Tag"},
                "Meta":{"shape":"M","location":"headers","locationName":"x-meta-"},
                "When":{"shape":"T","location":"header","locationName":"X-When"},
                "Body":{"shape":"S"}}},
              "BlobOut":{"type":"structure","members":{"Data":{"shape":"B"}},"payload":"Data"},
              "ResourceNotFoundException":{"type":"structure","members":{"Type":{"shape":"S"},"Message":{"shape":"S"}},
                "error":{"httpStatusCode":404},"exception":true},
              "M":{"type":"map","key":{"shape":"S"},"value":{"shape":"S"}},
              "I":{"type":"integer"},"T":{"type":"timestamp"},"B":{"type":"blob"},"S":{"type":"string"}}}"#,
        )
        .expect("model")
    }

    #[test]
    fn rest_json_binds_status_headers_and_body() {
        let m = model();
        let op = m.operation("Get").expect("op");
        let v =
            json!({"Code": 201, "Tag": "t", "Meta": {"a": "1"}, "When": 1398796238, "Body": "b"});
        let r = output(&m, op, &v, "rid");
        assert_eq!(r.status, 201);
        assert_eq!(r.header("X-Tag"), Some("t"));
        assert_eq!(r.header("x-meta-a"), Some("1"));
        assert_eq!(r.header("X-When"), Some("Tue, 29 Apr 2014 18:30:38 GMT"));
        assert_eq!(&r.body[..], br#"{"Body":"b"}"#);
    }

    #[test]
    fn rest_json_blob_payloads_are_raw_bytes() {
        let m = model();
        let op = m.operation("Blob").expect("op");
        let r = output(&m, op, &json!({"Data": "aGk="}), "rid");
        assert_eq!(&r.body[..], b"hi");
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    }

    #[test]
    fn rest_json_errors_use_shape_status_and_error_type_header() {
        let m = model();
        let e = AwsError::new("ResourceNotFoundException", 400, "nope").with_field("Type", "User");
        let r = error(&m, &e, "rid");
        assert_eq!(r.status, 404);
        assert_eq!(
            r.header("x-amzn-errortype"),
            Some("ResourceNotFoundException")
        );
        assert_eq!(&r.body[..], br#"{"Message":"nope","Type":"User"}"#);
    }
}
