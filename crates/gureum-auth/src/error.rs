//! Why a request failed authentication, and how AWS says so.
//!
//! Every failure is one [`AuthError`] variant. [`AuthError::code`],
//! [`AuthError::status`] and [`AuthError::message`] give the answer that the
//! query-protocol services (STS, IAM, EC2…) use; services that speak another
//! dialect get theirs from [`AuthError::to_aws_error_for`]:
//!
//! - **S3** names some failures differently (`InvalidAccessKeyId` instead of
//!   `InvalidClientTokenId`, `AuthorizationHeaderMalformed` instead of
//!   `IncompleteSignature`) and adds debugging members to
//!   `SignatureDoesNotMatch` (`StringToSign`, `CanonicalRequest`, …).
//! - **JSON services** (DynamoDB, CloudWatch Logs, Lambda…) answer
//!   `InvalidSignatureException` / `UnrecognizedClientException`.
//!
//! Messages are AWS's own wording, so that SDK error handling and people
//! searching for the text find what they expect.

use gureum_core::AwsError;
use std::fmt;
use std::fmt::Write as _;

/// The message AWS gives for `SignatureDoesNotMatch`.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// What the verifier calculated when a signature did not match; S3 echoes
/// it back so that a person can compare with what their client signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The access key id the request named.
    pub access_key_id: String,
    /// The canonical request Gureum built.
    pub canonical_request: String,
    /// The string to sign Gureum built.
    pub string_to_sign: String,
    /// The signature the request carried.
    pub signature_provided: String,
}

/// A failed authentication, one variant per way AWS reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The signature does not match the request (403 `SignatureDoesNotMatch`).
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// An aws-chunked chunk or trailer signature does not match (403
    /// `SignatureDoesNotMatch`).
    ChunkSignatureDoesNotMatch,
    /// The `Authorization` header lacks a part or is malformed (400
    /// `IncompleteSignature`; S3: `AuthorizationHeaderMalformed`).
    IncompleteSignature(String),
    /// The presigned-URL query parameters are malformed (400
    /// `AuthorizationQueryParametersError`; others: `IncompleteSignature`).
    AuthorizationQueryParametersError(String),
    /// The credential scope is wrong, e.g. its date is not the request's
    /// date (400 `AuthorizationHeaderMalformed`).
    AuthorizationHeaderMalformed(String),
    /// The request carries no signature but the operation needs one (403
    /// `MissingAuthenticationToken`).
    MissingAuthenticationToken,
    /// Neither `X-Amz-Date` nor `Date` holds a valid time (S3: 403
    /// `AccessDenied`; others: 400 `IncompleteSignature`).
    MissingDate,
    /// The access key id is unknown or inactive (403 `InvalidClientTokenId`;
    /// S3: `InvalidAccessKeyId`).
    InvalidClientTokenId,
    /// The session token does not belong to the access key, or a token was
    /// sent with long-term keys (403 `InvalidClientTokenId`; S3: 400
    /// `InvalidToken`).
    InvalidSecurityToken,
    /// The session credentials have expired (403 `ExpiredToken`; S3: 400).
    ExpiredToken,
    /// The request time is more than 15 minutes from Gureum's clock (403
    /// `RequestTimeTooSkewed`). Only header-signed requests are checked.
    RequestTimeTooSkewed {
        /// The request's `X-Amz-Date` (`20130524T000000Z`).
        request_time: String,
        /// Gureum's time in the same form.
        server_time: String,
    },
    /// A presigned URL is past `X-Amz-Date + X-Amz-Expires` (403
    /// `AccessDenied`, "Request has expired").
    RequestExpired {
        /// When the URL stopped being valid (`20130524T000000Z`).
        expires: String,
        /// Gureum's time in the same form.
        server_time: String,
    },
    /// A presigned URL's `X-Amz-Date` is in the future (403 `AccessDenied`,
    /// "Request is not valid yet").
    RequestNotYetValid,
    /// The signing scheme is not SigV4 with HMAC-SHA256, e.g. SigV2 or
    /// SigV4a (400 `InvalidRequest`; others: `IncompleteSignature`).
    UnsupportedAuthorizationMechanism(String),
    /// Both an `Authorization` header and presigned query parameters (400
    /// `InvalidArgument`).
    MultipleAuthMechanisms,
    /// `x-amz-content-sha256` is neither a hex SHA-256 nor one of the
    /// literal modes (400 `InvalidArgument`).
    InvalidContentSha256,
    /// `x-amz-content-sha256` is required but absent (400 `InvalidRequest`).
    MissingContentSha256,
    /// The body's SHA-256 is not the one `x-amz-content-sha256` announced
    /// (400 `XAmzContentSHA256Mismatch`).
    XAmzContentSha256Mismatch {
        /// The hash the client announced.
        client: String,
        /// The hash of the body Gureum received.
        computed: String,
    },
    /// The body ended early or its decoded length differs from
    /// `x-amz-decoded-content-length` (400 `IncompleteBody`).
    IncompleteBody(String),
    /// The aws-chunked framing is malformed: bad hex size, missing CRLF,
    /// missing chunk signature, data after the last chunk (400
    /// `InvalidRequest`).
    InvalidChunkedBody(String),
}

/// Services that speak a JSON protocol and name auth failures
/// `InvalidSignatureException` / `UnrecognizedClientException`.
const JSON_SERVICES: &[&str] = &[
    "dynamodb",
    "logs",
    "lambda",
    "kms",
    "secretsmanager",
    "ssm",
    "sqs",
    "kinesis",
    "events",
    "ecr",
    "ecs",
    "states",
    "monitoring",
    "application-autoscaling",
    "firehose",
    "cognito-idp",
];

impl AuthError {
    /// AWS's error code (the query-protocol spelling).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::SignatureDoesNotMatch(_) | AuthError::ChunkSignatureDoesNotMatch => {
                "SignatureDoesNotMatch"
            }
            AuthError::IncompleteSignature(_) => "IncompleteSignature",
            AuthError::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            AuthError::AuthorizationHeaderMalformed(_) => "AuthorizationHeaderMalformed",
            AuthError::MissingAuthenticationToken => "MissingAuthenticationToken",
            AuthError::MissingDate => "IncompleteSignature",
            AuthError::InvalidClientTokenId | AuthError::InvalidSecurityToken => {
                "InvalidClientTokenId"
            }
            AuthError::ExpiredToken => "ExpiredToken",
            AuthError::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            AuthError::RequestExpired { .. } | AuthError::RequestNotYetValid => "AccessDenied",
            AuthError::UnsupportedAuthorizationMechanism(_) => "IncompleteSignature",
            AuthError::MultipleAuthMechanisms | AuthError::InvalidContentSha256 => {
                "InvalidArgument"
            }
            AuthError::MissingContentSha256 | AuthError::InvalidChunkedBody(_) => "InvalidRequest",
            AuthError::XAmzContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            AuthError::IncompleteBody(_) => "IncompleteBody",
        }
    }

    /// The HTTP status (the query-protocol one).
    pub fn status(&self) -> u16 {
        match self {
            AuthError::SignatureDoesNotMatch(_)
            | AuthError::ChunkSignatureDoesNotMatch
            | AuthError::MissingAuthenticationToken
            | AuthError::InvalidClientTokenId
            | AuthError::InvalidSecurityToken
            | AuthError::ExpiredToken
            | AuthError::RequestTimeTooSkewed { .. }
            | AuthError::RequestExpired { .. }
            | AuthError::RequestNotYetValid => 403,
            AuthError::IncompleteSignature(_)
            | AuthError::AuthorizationQueryParametersError(_)
            | AuthError::AuthorizationHeaderMalformed(_)
            | AuthError::MissingDate
            | AuthError::UnsupportedAuthorizationMechanism(_)
            | AuthError::MultipleAuthMechanisms
            | AuthError::InvalidContentSha256
            | AuthError::MissingContentSha256
            | AuthError::XAmzContentSha256Mismatch { .. }
            | AuthError::IncompleteBody(_)
            | AuthError::InvalidChunkedBody(_) => 400,
        }
    }

    /// The human-readable message, in AWS's words.
    pub fn message(&self) -> String {
        match self {
            AuthError::SignatureDoesNotMatch(_) | AuthError::ChunkSignatureDoesNotMatch => {
                SIGNATURE_MISMATCH_MESSAGE.to_string()
            }
            AuthError::IncompleteSignature(m)
            | AuthError::AuthorizationQueryParametersError(m)
            | AuthError::AuthorizationHeaderMalformed(m)
            | AuthError::IncompleteBody(m)
            | AuthError::InvalidChunkedBody(m) => m.clone(),
            AuthError::MissingAuthenticationToken => "Missing Authentication Token".to_string(),
            AuthError::MissingDate => "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".to_string(),
            AuthError::InvalidClientTokenId | AuthError::InvalidSecurityToken => {
                "The security token included in the request is invalid.".to_string()
            }
            AuthError::ExpiredToken => {
                "The security token included in the request is expired".to_string()
            }
            AuthError::RequestTimeTooSkewed { .. } => {
                "The difference between the request time and the current time is too large."
                    .to_string()
            }
            AuthError::RequestExpired { .. } => "Request has expired".to_string(),
            AuthError::RequestNotYetValid => "Request is not valid yet".to_string(),
            AuthError::UnsupportedAuthorizationMechanism(_) => {
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
                    .to_string()
            }
            AuthError::MultipleAuthMechanisms => "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".to_string(),
            AuthError::InvalidContentSha256 => "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.".to_string(),
            AuthError::MissingContentSha256 => {
                "Missing required header for this request: x-amz-content-sha256".to_string()
            }
            AuthError::XAmzContentSha256Mismatch { .. } => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .to_string()
            }
        }
    }

    /// The error as the query-protocol services (STS, IAM…) report it.
    pub fn to_aws_error(&self) -> AwsError {
        let mut e = AwsError::new(self.code(), self.status(), self.message());
        match self {
            AuthError::RequestTimeTooSkewed {
                request_time,
                server_time,
            } => {
                e = e
                    .with_field("RequestTime", request_time.as_str())
                    .with_field("ServerTime", server_time.as_str())
                    .with_field("MaxAllowedSkewMilliseconds", 900_000);
            }
            AuthError::RequestExpired {
                expires,
                server_time,
            } => {
                e = e
                    .with_field("Expires", expires.as_str())
                    .with_field("ServerTime", server_time.as_str());
            }
            _ => {}
        }
        e
    }

    /// The error as `service` (the SigV4 signing name: `s3`, `dynamodb`,
    /// `sts`…) reports it.
    pub fn to_aws_error_for(&self, service: &str) -> AwsError {
        if service == "s3" {
            return self.to_s3_error();
        }
        if service == "ec2" {
            if let AuthError::RequestTimeTooSkewed { .. } = self {
                return AwsError::new("RequestExpired", 400, "Request has expired.");
            }
            if let AuthError::InvalidClientTokenId = self {
                return AwsError::new(
                    "AuthFailure",
                    401,
                    "AWS was not able to validate the provided access credentials",
                );
            }
        }
        if JSON_SERVICES.contains(&service) {
            let status = if service == "lambda" { 403 } else { 400 };
            match self {
                AuthError::SignatureDoesNotMatch(_) | AuthError::ChunkSignatureDoesNotMatch => {
                    return AwsError::new("InvalidSignatureException", status, self.message());
                }
                AuthError::RequestTimeTooSkewed {
                    request_time,
                    server_time,
                } => {
                    return AwsError::new(
                        "InvalidSignatureException",
                        status,
                        format!("Signature expired: {request_time} is now earlier than {server_time} (current time - 15 min.)"),
                    );
                }
                AuthError::InvalidClientTokenId | AuthError::InvalidSecurityToken => {
                    return AwsError::new("UnrecognizedClientException", status, self.message());
                }
                AuthError::MissingAuthenticationToken => {
                    return AwsError::new(
                        "MissingAuthenticationTokenException",
                        status,
                        "Missing Authentication Token",
                    );
                }
                AuthError::ExpiredToken => {
                    return AwsError::new("ExpiredTokenException", status, self.message());
                }
                _ => {}
            }
        }
        if let AuthError::RequestTimeTooSkewed {
            request_time,
            server_time,
        } = self
        {
            // STS, IAM and the other query services word skew this way.
            return AwsError::new(
                "SignatureDoesNotMatch",
                403,
                format!("Signature expired: {request_time} is now earlier than {server_time} (current time - 15 min.)"),
            );
        }
        self.to_aws_error()
    }

    fn to_s3_error(&self) -> AwsError {
        match self {
            AuthError::SignatureDoesNotMatch(m) => {
                AwsError::new("SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH_MESSAGE)
                    .with_field("AWSAccessKeyId", m.access_key_id.as_str())
                    .with_field("StringToSign", m.string_to_sign.as_str())
                    .with_field("SignatureProvided", m.signature_provided.as_str())
                    .with_field("StringToSignBytes", spaced_hex(m.string_to_sign.as_bytes()))
                    .with_field("CanonicalRequest", m.canonical_request.as_str())
                    .with_field(
                        "CanonicalRequestBytes",
                        spaced_hex(m.canonical_request.as_bytes()),
                    )
            }
            AuthError::IncompleteSignature(m) => {
                AwsError::new("AuthorizationHeaderMalformed", 400, m.as_str())
            }
            AuthError::MissingAuthenticationToken => {
                AwsError::new("AccessDenied", 403, "Access Denied")
            }
            AuthError::MissingDate => AwsError::new(
                "AccessDenied",
                403,
                "AWS authentication requires a valid Date or x-amz-date header",
            ),
            AuthError::InvalidClientTokenId => AwsError::new(
                "InvalidAccessKeyId",
                403,
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            AuthError::InvalidSecurityToken => AwsError::new(
                "InvalidToken",
                400,
                "The provided token is malformed or otherwise invalid.",
            ),
            AuthError::ExpiredToken => {
                AwsError::new("ExpiredToken", 400, "The provided token has expired.")
            }
            AuthError::UnsupportedAuthorizationMechanism(_) => {
                AwsError::new("InvalidRequest", 400, self.message())
            }
            AuthError::XAmzContentSha256Mismatch { client, computed } => {
                AwsError::new(self.code(), 400, self.message())
                    .with_field("ClientComputedContentSHA256", client.as_str())
                    .with_field("S3ComputedContentSHA256", computed.as_str())
            }
            _ => self.to_aws_error(),
        }
    }
}

/// `41 57 53 34` — how S3 writes `StringToSignBytes`.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code(), self.status(), self.message())
    }
}

impl std::error::Error for AuthError {}

impl From<AuthError> for AwsError {
    fn from(e: AuthError) -> Self {
        e.to_aws_error()
    }
}
