//! Errors as data: each service declares its errors once, as a Rust enum.
//!
//! [`aws_errors!`](crate::aws_errors) turns a table of variants — each with
//! AWS's code, the HTTP status and a message template over the variant's
//! fields — into an enum, its [`DeclaredError`] table (which a test checks
//! against the service's model), and the conversion into the wire-level
//! [`AwsError`](crate::AwsError):
//!
//! ```
//! gureum_core::aws_errors! {
//!     /// Errors of a small service.
//!     pub enum ShopError {
//!         /// A named shop does not exist.
//!         NoSuchShop { name: String } =
//!             ("NoSuchEntity", 404, "The shop with name {name} cannot be found."),
//!         /// A bucket-style error with an extra member on the wire.
//!         NoSuchBucket { bucket: String } =
//!             ("NoSuchBucket", 404, "The specified bucket does not exist", BucketName = bucket),
//!         /// No fields at all.
//!         Closed = ("ServiceUnavailable", 503, "The shop is closed."),
//!     }
//! }
//!
//! let e = gureum_core::AwsError::from(ShopError::NoSuchShop { name: "kim".into() });
//! assert_eq!(e.code, "NoSuchEntity");
//! assert_eq!(e.status, 404);
//! assert_eq!(e.message, "The shop with name kim cannot be found.");
//! assert_eq!(ShopError::DECLARED.len(), 3);
//! let b = gureum_core::AwsError::from(ShopError::NoSuchBucket { bucket: "b".into() });
//! assert_eq!(b.fields, vec![("BucketName".to_string(), serde_json::json!("b"))]);
//! ```
//!
//! Handlers keep returning `Result<_, AwsError>`; `?` converts a declared
//! error. [`CommonError`] holds the errors every AWS service may answer
//! (AWS's "Common Errors" page), so a service declares only its own.

/// One declared error: what a test compares with the service's model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclaredError {
    /// The Rust variant's name.
    pub variant: &'static str,
    /// AWS's error code on the wire.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message template (`{field}` placeholders).
    pub message: &'static str,
}

/// Declares a service's errors (see the [module docs](crate::errors)).
///
/// Each variant is `Name { field: Type, … } = ("Code", status, "message
/// with {field}", WireMember = field, …)`; the fields are optional, and so
/// are the trailing `WireMember = field` pairs, which add members of the
/// error shape next to the message (S3's `BucketName`).
#[macro_export]
macro_rules! aws_errors {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $({ $($(#[$fmeta:meta])* $field:ident : $fty:ty),* $(,)? })?
                    = ($code:literal, $status:literal, $msg:literal $(, $wire:ident = $wfield:ident)* $(,)?)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant $({ $($(#[$fmeta])* #[allow(missing_docs)] $field: $fty),* })?,
            )*
        }

        impl $name {
            /// Every error this type declares, in declaration order.
            pub const DECLARED: &'static [$crate::errors::DeclaredError] = &[
                $($crate::errors::DeclaredError {
                    variant: stringify!($variant),
                    code: $code,
                    status: $status,
                    message: $msg,
                },)*
            ];

            /// AWS's error code.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }

            /// The HTTP status.
            pub fn status(&self) -> u16 {
                match self {
                    $(Self::$variant { .. } => $status,)*
                }
            }

            /// The message, its template filled in.
            #[allow(unused_variables)]
            pub fn message(&self) -> String {
                match self {
                    $(Self::$variant $({ $($field),* })? => format!($msg),)*
                }
            }
        }

        impl From<$name> for $crate::AwsError {
            #[allow(unused_variables)]
            fn from(e: $name) -> Self {
                let error = $crate::AwsError::new(e.code(), e.status(), e.message());
                match e {
                    $($name::$variant $({ $($field),* })? =>
                        error $(.with_field(stringify!($wire), $wfield))*,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}: {}", self.code(), self.message())
            }
        }

        impl std::error::Error for $name {}
    };
}

aws_errors! {
    /// The errors every AWS service may answer, as AWS's "Common Errors"
    /// page lists them (codes and statuses), plus Gureum's `NotImplemented`.
    pub enum CommonError {
        /// The caller may not perform the action (json services).
        AccessDeniedException { message: String } = ("AccessDeniedException", 400, "{message}"),
        /// The signature does not conform to AWS's standards.
        IncompleteSignature { message: String } = ("IncompleteSignature", 400, "{message}"),
        /// A bug: the message is logged, not trusted.
        InternalFailure { message: String } = ("InternalFailure", 500, "{message}"),
        /// The action is not one of the service's.
        InvalidAction { action: String } =
            ("InvalidAction", 400, "The action {action} is not valid for this web service."),
        /// The access key id is unknown.
        InvalidClientTokenId =
            ("InvalidClientTokenId", 403, "The security token included in the request is invalid."),
        /// Parameters that must not be used together were.
        InvalidParameterCombination { message: String } =
            ("InvalidParameterCombination", 400, "{message}"),
        /// A value is invalid or out of range.
        InvalidParameterValue { message: String } = ("InvalidParameterValue", 400, "{message}"),
        /// The query string is malformed.
        InvalidQueryParameter { message: String } = ("InvalidQueryParameter", 400, "{message}"),
        /// The query string has a syntax error.
        MalformedQueryString { message: String } = ("MalformedQueryString", 404, "{message}"),
        /// No action was given.
        MissingAction = ("MissingAction", 400, "Missing Action"),
        /// The request carries no credentials.
        MissingAuthenticationToken =
            ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        /// A required parameter is missing.
        MissingParameter { message: String } = ("MissingParameter", 400, "{message}"),
        /// The caller may not perform the action.
        NotAuthorized { message: String } = ("NotAuthorized", 400, "{message}"),
        /// The account is not subscribed to the service.
        OptInRequired { message: String } = ("OptInRequired", 403, "{message}"),
        /// The request's date is more than 15 minutes off.
        RequestExpired { message: String } = ("RequestExpired", 400, "{message}"),
        /// A temporary failure.
        ServiceUnavailable { message: String } = ("ServiceUnavailable", 503, "{message}"),
        /// Too many requests.
        ThrottlingException { message: String } = ("ThrottlingException", 400, "{message}"),
        /// The input breaks the service's constraints (query services).
        ValidationError { message: String } = ("ValidationError", 400, "{message}"),
        /// The input breaks the service's constraints (json services).
        ValidationException { message: String } = ("ValidationException", 400, "{message}"),
        /// An operation Gureum does not implement (yet). 501, which SDKs do
        /// not retry.
        NotImplemented { service: String, operation: String } = ("NotImplemented", 501,
            "The operation {operation} of service {service} is not implemented by Gureum yet"),
        /// A service Gureum has no model for (same code and status).
        NotImplementedService { service: String } = ("NotImplemented", 501,
            "Gureum does not implement the service {service} yet"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AwsError;

    aws_errors! {
        /// Test errors.
        enum TestError {
            /// Two fields, one used twice.
            Pair { a: String, b: u32 } = ("PairCode", 409, "{a} and {b} and {a}"),
            /// A field the message does not use.
            Hidden { secret: String } = ("HiddenCode", 400, "nothing to see"),
            /// A wire member from a field.
            Wired { bucket: String, key: String } =
                ("NoSuchKey", 404, "The specified key does not exist.", BucketName = bucket, Key = key),
            /// No fields.
            Bare = ("Bare", 500, "literal {{braces}}"),
        }
    }

    #[test]
    fn message_templates_fill_in_fields() {
        let e = TestError::Pair {
            a: "x".into(),
            b: 7,
        };
        assert_eq!(e.message(), "x and 7 and x");
        assert_eq!(e.code(), "PairCode");
        assert_eq!(e.status(), 409);
        assert_eq!(TestError::Bare.message(), "literal {braces}");
        assert_eq!(
            TestError::Hidden { secret: "s".into() }.message(),
            "nothing to see"
        );
    }

    #[test]
    fn conversion_keeps_code_status_fault_and_wire_members() {
        let e = AwsError::from(TestError::Wired {
            bucket: "b".into(),
            key: "k".into(),
        });
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.status, 404);
        assert!(e.sender_fault);
        assert_eq!(
            e.fields,
            vec![
                ("BucketName".to_string(), serde_json::json!("b")),
                ("Key".to_string(), serde_json::json!("k")),
            ]
        );
        assert!(!AwsError::from(TestError::Bare).sender_fault);
    }

    #[test]
    fn declared_table_lists_every_variant_in_order() {
        let codes: Vec<_> = TestError::DECLARED.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PairCode", "HiddenCode", "NoSuchKey", "Bare"]);
        assert_eq!(TestError::DECLARED[0].message, "{a} and {b} and {a}");
        assert_eq!(TestError::DECLARED[0].variant, "Pair");
    }

    #[test]
    fn common_errors_carry_aws_documented_statuses() {
        let status = |code: &str| {
            CommonError::DECLARED
                .iter()
                .find(|d| d.code == code)
                .map(|d| d.status)
        };
        assert_eq!(status("MalformedQueryString"), Some(404));
        assert_eq!(status("InvalidClientTokenId"), Some(403));
        assert_eq!(status("InternalFailure"), Some(500));
        assert_eq!(status("NotImplemented"), Some(501));
    }
}
