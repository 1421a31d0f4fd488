//! The rest-xml protocol's responses (S3, Route 53, CloudFront).
//!
//! Success: the [`super::rest`] bindings plus an XML body of the remaining
//! members. The root element is the output shape's `locationName`, else its
//! name (`ListAllMyBucketsResult`, `ListBucketResult`, …); with a payload
//! structure it is that shape's `locationName`, else the payload member's,
//! else the shape's name. The namespace comes from the member/shape
//! `xmlNamespace`, else S3's `http://s3.amazonaws.com/doc/2006-03-01/`
//! (S3's models leave it off outputs but S3 always sends it), else the
//! service's. An output whose members all live in headers (S3 `PutObject`)
//! has no body, and neither does a HEAD response or a 204/304.
//!
//! Errors: S3 sends a bare
//! `<Error><Code/><Message/>…<RequestId/><HostId/></Error>`; the other
//! rest-xml services wrap it as
//! `<ErrorResponse><Error><Type/><Code/><Message/>…</Error><RequestId/></ErrorResponse>`.

use super::errors::ErrorInfo;
use super::rest::{bodiless, finish, payload, raw_payload, status, write_headers};
use super::rest_json::header_fields;
use super::xml_write::{write_attributes, write_error_fields, write_struct_contents, XmlWriter};
use super::{host_id, is_s3, request_id_headers, target};
use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{MemberRef, OperationModel, ServiceModel, Shape, XmlNamespace};

/// S3's response namespace.
pub const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// S3's `GetBucketLocation` answers with the region as the *text* of its
/// root element (`<LocationConstraint>eu-west-1</LocationConstraint>`), an
/// oddity no model trait expresses (botocore special-cases it too).
fn bucket_location(model: &ServiceModel, output: &Value, request_id: &str) -> Response {
    let mut headers = Vec::with_capacity(4);
    request_id_headers(model, request_id, &mut headers);
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{S3_NAMESPACE}\">"
    );
    if let Some(region) = output.get("LocationConstraint").and_then(Value::as_str) {
        super::xml_write::escape_into(&mut body, region, false);
    }
    body.push_str("</LocationConstraint>");
    finish(
        "GET",
        200,
        headers,
        body.into_bytes(),
        Some("application/xml"),
    )
}

/// A rest-xml success response.
pub fn output(
    model: &ServiceModel,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    if is_s3(model) && operation.name == "GetBucketLocation" {
        return bucket_location(model, output, request_id);
    }
    let out_ref = operation.output.as_ref();
    let shape = out_ref.and_then(|r| target(model, r));
    let status = status(operation, shape, output);
    let mut headers = Vec::with_capacity(4);
    request_id_headers(model, request_id, &mut headers);
    let mut body: Vec<u8> = Vec::new();
    let mut content_type = None;
    if let (Some(shape), Some(out_ref)) = (shape, out_ref) {
        write_headers(model, shape, output, &mut headers);
        if let Some((name, pref, pshape)) = payload(model, shape) {
            let value = output.get(name).filter(|v| !v.is_null());
            if let Some((bytes, ct)) = raw_payload(pshape, value) {
                if value.is_some() {
                    body = bytes;
                    content_type = Some(ct);
                }
            } else if let Some(v) = value {
                let root = pshape
                    .location_name
                    .as_deref()
                    .or(pref.location_name.as_deref())
                    .unwrap_or(&pref.shape);
                body = document(model, root, pref, pshape, v).into_bytes();
                content_type = Some("application/xml");
            } else {
                content_type = Some("application/xml");
            }
        } else if has_body_members(shape) {
            let root = shape
                .location_name
                .as_deref()
                .or(out_ref.location_name.as_deref())
                .unwrap_or(&out_ref.shape);
            body = document(model, root, out_ref, shape, output).into_bytes();
            content_type = Some("application/xml");
        } else {
            // No body members: no body, but the media type still says XML
            // (what Smithy's rest-xml tests expect; clients ignore it).
            content_type = Some("application/xml");
        }
    }
    finish(&operation.http.method, status, headers, body, content_type)
}

fn has_body_members(shape: &Shape) -> bool {
    shape.members.values().any(super::in_body)
}

/// The whole XML document for a structure under `root`.
fn document(
    model: &ServiceModel,
    root: &str,
    r: &MemberRef,
    shape: &Shape,
    value: &Value,
) -> String {
    let mut w = XmlWriter::new();
    w.declaration();
    w.open_start(root);
    match r.xml_namespace.as_ref().or(shape.xml_namespace.as_ref()) {
        Some(ns) => w.namespace(ns),
        None => {
            if let Some(uri) = default_namespace(model) {
                w.namespace(&XmlNamespace { prefix: None, uri });
            }
        }
    }
    write_attributes(&mut w, model, shape, value);
    w.open_end();
    write_struct_contents(&mut w, model, shape, value);
    w.close(root);
    w.out
}

fn default_namespace(model: &ServiceModel) -> Option<String> {
    if is_s3(model) {
        return Some(S3_NAMESPACE.to_string());
    }
    if let Some(ns) = &model.metadata.xml_namespace {
        return Some(ns.clone());
    }
    if model.metadata.endpoint_prefix.is_empty() {
        return None;
    }
    Some(super::service_namespace(model))
}

/// A rest-xml error response.
pub fn error(model: &ServiceModel, error: &AwsError, request_id: &str) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let status = info.status(error, true);
    let mut headers = Vec::with_capacity(4);
    request_id_headers(model, request_id, &mut headers);
    header_fields(model, &info, error, &mut headers);
    let mut w = XmlWriter::new();
    w.declaration();
    if is_s3(model) {
        w.open("Error");
        w.leaf("Code", info.wire_code);
        write_error_fields(&mut w, model, &info, error);
        w.leaf("RequestId", request_id);
        w.leaf("HostId", &host_id(request_id));
        w.close("Error");
    } else {
        w.open_start("ErrorResponse");
        if let Some(uri) = default_namespace(model) {
            w.attr("xmlns", &uri);
        }
        w.open_end();
        w.open("Error");
        w.leaf("Type", info.fault_word());
        w.leaf("Code", info.wire_code);
        write_error_fields(&mut w, model, &info, error);
        w.close("Error");
        w.leaf("RequestId", request_id);
        w.close("ErrorResponse");
    }
    let body = if bodiless("", status) {
        String::new()
    } else {
        w.out
    };
    if !body.is_empty() {
        headers.push(("Content-Type".to_string(), "application/xml".to_string()));
    }
    Response {
        status,
        headers,
        body: body.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(prefix: &str) -> ServiceModel {
        ServiceModel::from_json(&format!(
            r#"{{"metadata":{{"protocol":"rest-xml","endpointPrefix":"{prefix}","apiVersion":"2006-03-01"}},
            "operations":{{"ListBuckets":{{"name":"ListBuckets","http":{{"method":"GET","requestUri":"/"}},"output":{{"shape":"Out"}}}},
              "HeadBucket":{{"name":"HeadBucket","http":{{"method":"HEAD","requestUri":"/{{Bucket}}"}},"output":{{"shape":"HeadOut"}}}}}},
            "shapes":{{"Out":{{"type":"structure","members":{{"Buckets":{{"shape":"Bs"}},
                 "Owner":{{"shape":"Owner"}}}},"locationName":"ListAllMyBucketsResult"}},
              "HeadOut":{{"type":"structure","members":{{"Region":{{"shape":"S","location":"header","locationName":"x-amz-bucket-region"}}}}}},
              "Bs":{{"type":"list","member":{{"shape":"B","locationName":"Bucket"}}}},
              "B":{{"type":"structure","members":{{"Name":{{"shape":"S"}},"CreationDate":{{"shape":"T"}}}}}},
              "Owner":{{"type":"structure","members":{{"ID":{{"shape":"S"}},"Type":{{"shape":"S","locationName":"xsi:type","xmlAttribute":true}}}},
                 "xmlNamespace":{{"prefix":"xsi","uri":"http://www.w3.org/2001/XMLSchema-instance"}}}},
              "NoSuchBucket":{{"type":"structure","members":{{}},"error":{{"httpStatusCode":404}},"exception":true}},
              "T":{{"type":"timestamp"}},"S":{{"type":"string"}}}}}}"#
        ))
        .expect("model")
    }

    fn body(r: &Response) -> &str {
        std::str::from_utf8(&r.body).expect("utf-8")
    }

    #[test]
    fn s3_outputs_use_shape_root_and_s3_namespace() {
        let m = model("s3");
        let op = m.operation("ListBuckets").expect("op");
        let v = json!({"Buckets": [{"Name": "b", "CreationDate": 0}], "Owner": {"ID": "1", "Type": "CanonicalUser"}});
        let r = output(&m, op, &v, "rid");
        assert!(body(&r).ends_with(
            "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Buckets><Bucket><Name>b</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets>\
             <Owner xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>1</ID></Owner>\
             </ListAllMyBucketsResult>"
        ), "{}", body(&r));
        assert_eq!(r.header("x-amz-request-id"), Some("rid"));
        assert!(r.header("x-amz-id-2").is_some());
        assert_eq!(r.header("x-amzn-requestid"), None);
    }

    #[test]
    fn head_responses_carry_headers_but_no_body() {
        let m = model("s3");
        let op = m.operation("HeadBucket").expect("op");
        let r = output(&m, op, &json!({"Region": "us-east-1"}), "rid");
        assert!(r.body.is_empty());
        assert_eq!(r.header("x-amz-bucket-region"), Some("us-east-1"));
    }

    #[test]
    fn s3_errors_use_bare_error_root() {
        let m = model("s3");
        let e = AwsError::new("NoSuchBucket", 404, "The specified bucket does not exist")
            .with_field("BucketName", "b");
        let r = error(&m, &e, "rid");
        assert_eq!(r.status, 404);
        let b = body(&r);
        assert!(b.contains(
            "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>\
             <BucketName>b</BucketName><RequestId>rid</RequestId><HostId>"
        ), "{b}");
    }

    #[test]
    fn other_rest_xml_errors_use_error_response_root() {
        let m = model("route53");
        let r = error(&m, &AwsError::new("NoSuchHostedZone", 404, "x"), "rid");
        assert!(body(&r).contains("<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2006-03-01/\"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code>"));
        assert_eq!(r.header("x-amzn-requestid"), Some("rid"));
    }
}
