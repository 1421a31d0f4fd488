//! The error every operation can answer with.
//!
//! An [`AwsError`] carries what the wire needs: AWS's error code, the HTTP
//! status, whether the caller or the service is at fault (query protocols
//! write `Sender`/`Receiver`), a message, and any extra members the error
//! shape declares (e.g. S3's `BucketName`). The protocol layer turns it into
//! the right envelope for the service's protocol.

use std::fmt;

/// An error as AWS reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsError {
    /// AWS's error code, e.g. `NoSuchBucket`, `ValidationException`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// `true` when the caller is at fault (`Sender`), `false` for `Receiver`.
    pub sender_fault: bool,
    /// Extra members of the error shape, serialized next to the message.
    pub fields: Vec<(String, serde_json::Value)>,
    /// Response headers the error carries (S3's `x-amz-delete-marker` on a
    /// 404, `ETag` on a 304).
    pub headers: Vec<(String, String)>,
}

impl AwsError {
    /// An error with the given code, status and message; the fault side is
    /// taken from the status (5xx = `Receiver`).
    pub fn new(code: impl Into<String>, status: u16, message: impl Into<String>) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: status < 500,
            fields: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// Adds an extra member of the error shape.
    pub fn with_field(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.fields.push((name.to_string(), value.into()));
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The answer for an operation Gureum does not implement (yet). HTTP 501,
    /// which AWS SDKs do not retry.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        crate::CommonError::NotImplemented {
            service: service.to_string(),
            operation: operation.to_string(),
        }
        .into()
    }

    /// A generic 400 `ValidationException` (json and rest-json services).
    pub fn validation(message: impl Into<String>) -> Self {
        crate::CommonError::ValidationException {
            message: message.into(),
        }
        .into()
    }

    /// `InternalFailure` (500), for bugs: the message is logged, not trusted.
    pub fn internal(message: impl Into<String>) -> Self {
        crate::CommonError::InternalFailure {
            message: message.into(),
        }
        .into()
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}
