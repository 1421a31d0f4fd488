//! What every protocol needs to know about an error before writing it.
//!
//! A handler answers with an [`AwsError`] whose `code` is either the error
//! shape's name (`NoSuchBucket`) or the legacy wire code a query service
//! declares in `error.code` (`AWS.SimpleQueueService.NonExistentQueue`).
//! [`ErrorInfo`] finds the shape either way and settles the three things
//! protocols disagree on:
//!
//! - the **status**: the shape's `error.httpStatusCode`; else the status the
//!   handler set; else 500 for a `fault` shape and 400 otherwise;
//! - the **fault side** (`Sender`/`Receiver` in query bodies);
//! - the **codes**: the shape name (json `__type`) and the wire code
//!   (query `<Code>`, `x-amzn-query-error`).
//!
//! It also tells where the message goes: the shape's own `message`/`Message`
//! member when it has one, else the protocol's usual key.

use gureum_core::AwsError;
use gureum_model::{ServiceModel, Shape};

/// An error resolved against the model.
pub struct ErrorInfo<'a> {
    /// The error shape, when the model declares one for this code.
    pub shape: Option<&'a Shape>,
    /// The shape's name, or the error's code when there is no shape.
    pub shape_name: &'a str,
    /// The code query-style protocols write (`error.code`, else the code).
    pub wire_code: &'a str,
    /// `true` when the caller is at fault.
    pub sender_fault: bool,
    /// The shape's member that holds the message (`Message`, `message`).
    pub message_member: Option<&'a str>,
}

impl<'a> ErrorInfo<'a> {
    /// Looks the error up in the model: first as a shape name (one hash
    /// lookup), then by the shapes' declared wire codes.
    pub fn resolve(model: &'a ServiceModel, error: &'a AwsError) -> Self {
        let by_name = model
            .shapes
            .get_key_value(error.code.as_str())
            .filter(|(_, s)| is_error_shape(s));
        let found = by_name.or_else(|| {
            model.shapes.iter().find(|(_, s)| {
                is_error_shape(s)
                    && s.error.as_ref().and_then(|e| e.code.as_deref()) == Some(error.code.as_str())
            })
        });
        match found {
            Some((name, shape)) => {
                let wire_code = shape
                    .error
                    .as_ref()
                    .and_then(|e| e.code.as_deref())
                    .unwrap_or(name.as_str());
                let sender_fault = if shape.fault {
                    false
                } else if shape.error.as_ref().is_some_and(|e| e.sender_fault) {
                    true
                } else {
                    error.sender_fault
                };
                let message_member = shape
                    .members
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case("message"))
                    .map(String::as_str);
                ErrorInfo {
                    shape: Some(shape),
                    shape_name: name,
                    wire_code,
                    sender_fault,
                    message_member,
                }
            }
            None => ErrorInfo {
                shape: None,
                shape_name: &error.code,
                wire_code: &error.code,
                sender_fault: error.sender_fault,
                message_member: None,
            },
        }
    }

    /// The HTTP status (see the module docs). `use_shape_status` is false
    /// for awsQueryCompatible JSON services, whose `httpStatusCode` is the
    /// *query* status and does not apply to their JSON answers.
    pub fn status(&self, error: &AwsError, use_shape_status: bool) -> u16 {
        if use_shape_status {
            if let Some(code) = self.shape.and_then(|s| s.error.as_ref()?.http_status_code) {
                return code;
            }
        }
        if let (Some(shape), false) = (self.shape, use_shape_status) {
            return if shape.fault { 500 } else { 400 };
        }
        if (100..=599).contains(&error.status) {
            return error.status;
        }
        match self.shape {
            Some(s) if s.fault => 500,
            Some(_) => 400,
            None if error.sender_fault => 400,
            None => 500,
        }
    }

    /// `Sender` or `Receiver`, as query bodies and `x-amzn-query-error` say it.
    pub fn fault_word(&self) -> &'static str {
        if self.sender_fault {
            "Sender"
        } else {
            "Receiver"
        }
    }

    /// Whether a field is the message: it is written once, from
    /// `error.message`, so a `Message` field is skipped.
    pub fn is_message_field(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("message")
    }
}

fn is_error_shape(s: &Shape) -> bool {
    s.exception || s.error.is_some() || s.fault
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata":{"protocol":"query"},"operations":{},"shapes":{
              "CustomCodeError":{"type":"structure","members":{"Message":{"shape":"S"}},
                "error":{"code":"Customized","httpStatusCode":402,"senderFault":true},"exception":true},
              "Boom":{"type":"structure","members":{},"exception":true,"fault":true},
              "S":{"type":"string"}}}"#,
        )
        .expect("model")
    }

    #[test]
    fn error_shapes_are_found_by_name_or_wire_code() {
        let m = model();
        for code in ["CustomCodeError", "Customized"] {
            let e = AwsError::new(code, 400, "x");
            let info = ErrorInfo::resolve(&m, &e);
            assert_eq!(info.shape_name, "CustomCodeError");
            assert_eq!(info.wire_code, "Customized");
            assert_eq!(info.status(&e, true), 402);
            assert_eq!(info.message_member, Some("Message"));
        }
    }

    #[test]
    fn status_defaults_follow_fault_then_handler() {
        let m = model();
        let e = AwsError::new("Boom", 0, "x");
        assert_eq!(ErrorInfo::resolve(&m, &e).status(&e, true), 500);
        assert_eq!(ErrorInfo::resolve(&m, &e).fault_word(), "Receiver");
        let e = AwsError::new("Unmodelled", 409, "x");
        assert_eq!(ErrorInfo::resolve(&m, &e).status(&e, true), 409);
    }
}
