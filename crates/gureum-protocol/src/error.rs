//! Why a request could not be read, and how each protocol reports it.
//!
//! The same three failures (unknown operation, malformed input, broken
//! constraints) read differently per family of services, because AWS's
//! services were built on different frameworks:
//!
//! | protocol | unknown operation | malformed | constraints |
//! |---|---|---|---|
//! | json, rest-json, cbor (Coral) | `UnknownOperationException` | `SerializationException` | `ValidationException` |
//! | query (IAM, STS, SNS, …) | `InvalidAction` (`MissingAction`) | `InvalidParameterValue` | `ValidationError` |
//! | ec2 | `InvalidAction` | `InvalidParameterValue` | `MissingParameter` / `InvalidParameterValue` |
//! | rest-xml, S3 | `MethodNotAllowed` | `MalformedXML` / `InvalidArgument` | `InvalidArgument` |
//! | rest-xml, others | `InvalidAction` | `MalformedInput` | `InvalidInput` |
//!
//! A path or query string whose escapes decode to invalid UTF-8 is
//! `InvalidURI` in S3 and the family's "malformed" code elsewhere.
//!
//! Constraint messages use Coral's wording: `2 validation errors detected:
//! Value null at 'name' failed to satisfy constraint: Member must not be
//! null; Value …`.

use crate::validate::ValidationIssue;
use gureum_core::AwsError;
use gureum_model::Protocol;

/// A request the protocol layer refuses.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseError {
    /// No operation of the service matches the request.
    UnknownOperation(String),
    /// The body or query string is not well-formed for the protocol
    /// (truncated JSON, bad XML, a non-number where a number goes, …).
    Malformed(String),
    /// The input is well-formed but breaks the model's constraints.
    Validation(Vec<ValidationIssue>),
    /// The path or query string decodes to invalid UTF-8.
    InvalidUri,
}

/// What every protocol says of a URI that is not UTF-8 (S3's wording).
const INVALID_URI: &str = "Couldn't parse the specified URI.";

/// The start of every XML well-formedness message (see `parse::xml_read`).
const XML_MALFORMED_PREFIX: &str = "The XML you provided was not well-formed";

/// S3's fixed `MalformedXML` message.
const S3_MALFORMED_XML: &str =
    "The XML you provided was not well-formed or did not validate against our published schema";

/// Coral's message for a list of broken constraints.
pub fn coral_message(issues: &[ValidationIssue]) -> String {
    let n = issues.len();
    let parts: Vec<String> = issues
        .iter()
        .map(|i| {
            format!(
                "Value {} at '{}' failed to satisfy constraint: {}",
                i.value, i.path, i.constraint
            )
        })
        .collect();
    format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

/// A Coral path (`launchTemplate.imageId`) in EC2's parameter spelling
/// (`LaunchTemplate.ImageId`).
fn ec2_parameter(path: &str) -> String {
    path.split('.')
        .map(|seg| {
            let mut c = seg.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(".")
}

impl ParseError {
    /// The AWS error a service speaking `protocol` answers with.
    ///
    /// The codes follow what each family of services returns: Coral-based
    /// json/query services say `SerializationException` /
    /// `ValidationException` (`ValidationError` for query), EC2 says
    /// `InvalidParameterValue` / `MissingParameter`, S3 `MalformedXML` /
    /// `InvalidArgument`, and an unknown operation is `InvalidAction`
    /// (query/ec2) or `UnknownOperationException` (json).
    pub fn to_aws_error(&self, protocol: Protocol, service: &str) -> AwsError {
        match protocol {
            Protocol::Json10 | Protocol::Json11 | Protocol::RestJson | Protocol::RpcV2Cbor => {
                match self {
                    ParseError::UnknownOperation(op) => AwsError::new(
                        "UnknownOperationException",
                        400,
                        if op.is_empty() {
                            "Unknown operation".to_string()
                        } else {
                            format!("Unknown operation {op}")
                        },
                    ),
                    ParseError::Malformed(m) => AwsError::new("SerializationException", 400, m),
                    ParseError::InvalidUri => {
                        AwsError::new("SerializationException", 400, INVALID_URI)
                    }
                    ParseError::Validation(issues) => {
                        AwsError::new("ValidationException", 400, coral_message(issues))
                    }
                }
            }
            Protocol::Query => match self {
                ParseError::UnknownOperation(op) if op.is_empty() => {
                    AwsError::new("MissingAction", 400, "Missing Action")
                }
                ParseError::UnknownOperation(op) => AwsError::new(
                    "InvalidAction",
                    400,
                    format!("The action {op} is not valid for this web service."),
                ),
                ParseError::Malformed(m) => AwsError::new("InvalidParameterValue", 400, m),
                ParseError::InvalidUri => AwsError::new("InvalidParameterValue", 400, INVALID_URI),
                ParseError::Validation(issues) => {
                    AwsError::new("ValidationError", 400, coral_message(issues))
                }
            },
            Protocol::Ec2 => match self {
                ParseError::UnknownOperation(op) => AwsError::new(
                    "InvalidAction",
                    400,
                    format!("The action {op} is not valid for this web service."),
                ),
                ParseError::Malformed(m) => AwsError::new("InvalidParameterValue", 400, m),
                ParseError::InvalidUri => AwsError::new("InvalidParameterValue", 400, INVALID_URI),
                ParseError::Validation(issues) => match issues.iter().find(|i| i.is_missing()) {
                    Some(missing) => AwsError::new(
                        "MissingParameter",
                        400,
                        format!(
                            "The request must contain the parameter {}",
                            ec2_parameter(&missing.path)
                        ),
                    ),
                    None => {
                        let first = issues.first();
                        AwsError::new(
                            "InvalidParameterValue",
                            400,
                            match first {
                                Some(i) => format!(
                                    "Value ({}) for parameter {} is invalid. {}",
                                    i.value.trim_matches('\''),
                                    ec2_parameter(&i.path),
                                    i.constraint
                                ),
                                None => "Invalid parameter value".to_string(),
                            },
                        )
                    }
                },
            },
            Protocol::RestXml if service.eq_ignore_ascii_case("s3") => match self {
                ParseError::UnknownOperation(_) => AwsError::new(
                    "MethodNotAllowed",
                    405,
                    "The specified method is not allowed against this resource.",
                ),
                ParseError::Malformed(m) if m.starts_with(XML_MALFORMED_PREFIX) => {
                    AwsError::new("MalformedXML", 400, S3_MALFORMED_XML)
                }
                ParseError::Malformed(m) => AwsError::new("InvalidArgument", 400, m),
                ParseError::InvalidUri => AwsError::new("InvalidURI", 400, INVALID_URI),
                ParseError::Validation(issues) => {
                    AwsError::new("InvalidArgument", 400, coral_message(issues))
                }
            },
            Protocol::RestXml => match self {
                ParseError::UnknownOperation(op) => AwsError::new(
                    "InvalidAction",
                    400,
                    format!("The action {op} is not valid for this web service."),
                ),
                ParseError::Malformed(m) => AwsError::new("MalformedInput", 400, m),
                ParseError::InvalidUri => AwsError::new("InvalidInput", 400, INVALID_URI),
                ParseError::Validation(issues) => {
                    AwsError::new("InvalidInput", 400, coral_message(issues))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(path: &str) -> ValidationIssue {
        ValidationIssue {
            path: path.into(),
            value: "null".into(),
            constraint: "Member must not be null".into(),
        }
    }

    #[test]
    fn coral_message_singular_and_plural() {
        assert_eq!(
            coral_message(&[missing("a")]),
            "1 validation error detected: Value null at 'a' failed to satisfy constraint: Member must not be null"
        );
        assert!(coral_message(&[missing("a"), missing("b")])
            .starts_with("2 validation errors detected: Value null at 'a'"));
    }

    #[test]
    fn codes_per_protocol_family() {
        let v = ParseError::Validation(vec![missing("imageId")]);
        assert_eq!(
            v.to_aws_error(Protocol::Json10, "dynamodb").code,
            "ValidationException"
        );
        assert_eq!(
            v.to_aws_error(Protocol::Query, "iam").code,
            "ValidationError"
        );
        let ec2 = v.to_aws_error(Protocol::Ec2, "ec2");
        assert_eq!(ec2.code, "MissingParameter");
        assert_eq!(
            ec2.message,
            "The request must contain the parameter ImageId"
        );
        let bad = ParseError::Malformed(format!("{XML_MALFORMED_PREFIX}: eof"));
        assert_eq!(
            bad.to_aws_error(Protocol::RestXml, "s3").code,
            "MalformedXML"
        );
        assert_eq!(
            bad.to_aws_error(Protocol::Json11, "logs").code,
            "SerializationException"
        );
        let unknown = ParseError::UnknownOperation("Nope".into());
        let q = unknown.to_aws_error(Protocol::Query, "sts");
        assert_eq!((q.code.as_str(), q.status), ("InvalidAction", 400));
        assert_eq!(
            q.message,
            "The action Nope is not valid for this web service."
        );
    }
}
