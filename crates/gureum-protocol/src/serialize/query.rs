//! The query and ec2 protocols' responses: XML envelopes around the shared
//! body rules of [`super::xml_write`].
//!
//! query (IAM, STS, SNS, …):
//!
//! ```xml
//! <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//!   <GetCallerIdentityResult>…members…</GetCallerIdentityResult>
//!   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//! </GetCallerIdentityResponse>
//! ```
//!
//! The result element is named by the output's `resultWrapper` (botocore
//! models set it), else `<Op>Result`; an operation without output has none.
//! Errors are `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/>
//! <Message/>…</Error><RequestId/></ErrorResponse>`.
//!
//! ec2 has no result wrapper: `<requestId>` sits directly under
//! `<OpResponse>`, next to the members. Its errors are
//! `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.

use super::errors::ErrorInfo;
use super::xml_write::{write_attributes, write_error_fields, write_struct_contents, XmlWriter};
use super::{request_id_headers, service_namespace, target};
use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{OperationModel, ServiceModel};

/// A query success response.
pub fn query_output(
    model: &ServiceModel,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    let mut w = XmlWriter::new();
    let root = format!("{}Response", operation.name);
    w.open_start(&root);
    w.attr("xmlns", &service_namespace(model));
    w.open_end();
    if let Some(out_ref) = &operation.output {
        let wrapper = match &out_ref.result_wrapper {
            Some(name) => name.clone(),
            None => format!("{}Result", operation.name),
        };
        w.open_start(&wrapper);
        if let Some(shape) = target(model, out_ref) {
            write_attributes(&mut w, model, shape, output);
            w.open_end();
            write_struct_contents(&mut w, model, shape, output);
        } else {
            w.open_end();
        }
        w.close(&wrapper);
    }
    w.open("ResponseMetadata");
    w.leaf("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&root);
    xml_response(model, 200, "text/xml", w.out, request_id)
}

/// A query error response.
pub fn query_error(model: &ServiceModel, error: &AwsError, request_id: &str) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let mut w = XmlWriter::new();
    w.open_start("ErrorResponse");
    w.attr("xmlns", &service_namespace(model));
    w.open_end();
    w.open("Error");
    w.leaf("Type", info.fault_word());
    w.leaf("Code", info.wire_code);
    write_error_fields(&mut w, model, &info, error);
    w.close("Error");
    w.leaf("RequestId", request_id);
    w.close("ErrorResponse");
    xml_response(
        model,
        info.status(error, true),
        "text/xml",
        w.out,
        request_id,
    )
}

/// EC2's namespace: the model's, else the one for its API version.
fn ec2_namespace(model: &ServiceModel) -> String {
    if let Some(ns) = &model.metadata.xml_namespace {
        return ns.clone();
    }
    let version = match model.metadata.api_version.as_str() {
        "" => "2016-11-15",
        v => v,
    };
    format!("http://ec2.amazonaws.com/doc/{version}/")
}

/// An ec2 success response.
pub fn ec2_output(
    model: &ServiceModel,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    let mut w = XmlWriter::new();
    w.declaration();
    let root = format!("{}Response", operation.name);
    w.open_start(&root);
    w.attr("xmlns", &ec2_namespace(model));
    w.open_end();
    w.leaf("requestId", request_id);
    if let Some(shape) = operation.output.as_ref().and_then(|r| target(model, r)) {
        write_struct_contents(&mut w, model, shape, output);
    }
    w.close(&root);
    xml_response(model, 200, "text/xml;charset=UTF-8", w.out, request_id)
}

/// An ec2 error response.
pub fn ec2_error(model: &ServiceModel, error: &AwsError, request_id: &str) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let mut w = XmlWriter::new();
    w.declaration();
    w.open("Response");
    w.open("Errors");
    w.open("Error");
    w.leaf("Code", info.wire_code);
    write_error_fields(&mut w, model, &info, error);
    w.close("Error");
    w.close("Errors");
    w.leaf("RequestID", request_id);
    w.close("Response");
    xml_response(
        model,
        info.status(error, true),
        "text/xml;charset=UTF-8",
        w.out,
        request_id,
    )
}

fn xml_response(
    model: &ServiceModel,
    status: u16,
    content_type: &str,
    body: String,
    request_id: &str,
) -> Response {
    let mut headers = Vec::with_capacity(3);
    headers.push(("Content-Type".to_string(), content_type.to_string()));
    request_id_headers(model, request_id, &mut headers);
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

    fn model(protocol: &str) -> ServiceModel {
        ServiceModel::from_json(&format!(
            r#"{{"metadata":{{"protocol":"{protocol}","apiVersion":"2011-06-15","endpointPrefix":"sts"}},
            "operations":{{"GetCallerIdentity":{{"name":"GetCallerIdentity",
               "output":{{"shape":"Out","resultWrapper":"GetCallerIdentityResult"}}}},
              "List":{{"name":"List","output":{{"shape":"ListOut"}}}}}},
            "shapes":{{"Out":{{"type":"structure","members":{{"Account":{{"shape":"S"}},"Arn":{{"shape":"S"}}}}}},
              "ListOut":{{"type":"structure","members":{{"Items":{{"shape":"L","locationName":"itemSet"}}}}}},
              "L":{{"type":"list","member":{{"shape":"S","locationName":"item"}}}},
              "S":{{"type":"string"}}}}}}"#
        ))
        .expect("model")
    }

    fn body(r: &Response) -> &str {
        std::str::from_utf8(&r.body).expect("utf-8")
    }

    #[test]
    fn query_response_wraps_result_and_request_id() {
        let m = model("query");
        let op = m.operation("GetCallerIdentity").expect("op");
        let r = query_output(
            &m,
            op,
            &json!({"Account": "000000000000", "Extra": 1}),
            "rid",
        );
        assert_eq!(
            body(&r),
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetCallerIdentityResult><Account>000000000000</Account></GetCallerIdentityResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
        assert_eq!(r.header("x-amzn-requestid"), Some("rid"));
        assert_eq!(r.header("content-type"), Some("text/xml"));
    }

    #[test]
    fn query_errors_carry_type_code_and_request_id() {
        let m = model("query");
        let r = query_error(&m, &AwsError::new("AccessDenied", 403, "no <way>"), "rid");
        assert_eq!(r.status, 403);
        assert!(body(&r).contains(
            "<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no &lt;way&gt;</Message></Error><RequestId>rid</RequestId>"
        ));
    }

    #[test]
    fn query_error_message_element_is_message_whatever_the_member_is_called() {
        // IAM's error shapes name the member `message`; AWS (and botocore,
        // which reads only `Error/Message`) spell the element `Message`.
        let m = ServiceModel::from_json(
            r#"{"metadata":{"protocol":"query","apiVersion":"2010-05-08","endpointPrefix":"iam"},
              "operations":{},"shapes":{
              "NoSuchEntityException":{"type":"structure","members":{"message":{"shape":"S"}},
                "error":{"code":"NoSuchEntity","httpStatusCode":404,"senderFault":true},"exception":true},
              "S":{"type":"string"}}}"#,
        )
        .expect("model");
        let e = AwsError::new(
            "NoSuchEntity",
            404,
            "The role with name nope cannot be found.",
        );
        let r = query_error(&m, &e, "rid");
        assert_eq!(r.status, 404);
        assert!(body(&r).contains(
            "<Code>NoSuchEntity</Code><Message>The role with name nope cannot be found.</Message></Error>"
        ));
        assert!(!body(&r).contains("<message>"));
    }

    #[test]
    fn ec2_lists_use_item_elements() {
        let m = model("ec2");
        let op = m.operation("List").expect("op");
        let r = ec2_output(&m, op, &json!({"Items": ["a", "b"]}), "rid");
        assert!(body(&r).contains(
            "<ListResponse xmlns=\"http://ec2.amazonaws.com/doc/2011-06-15/\"><requestId>rid</requestId>\
             <itemSet><item>a</item><item>b</item></itemSet></ListResponse>"
        ));
    }

    #[test]
    fn ec2_errors_use_response_errors_root() {
        let m = model("ec2");
        let r = ec2_error(
            &m,
            &AwsError::new("InvalidVpcID.NotFound", 400, "gone"),
            "rid",
        );
        assert!(body(&r).contains(
            "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>gone</Message></Error></Errors><RequestID>rid</RequestID></Response>"
        ));
    }
}
