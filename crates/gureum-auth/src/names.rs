//! The signing headers' names as ready-made `HeaderName`s. Looking a
//! header up by `&str` parses and lower-cases the name on every call;
//! signature checks look several up on every request.

use http::HeaderName;

/// `x-amz-date`.
pub const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
/// `x-amz-content-sha256`.
pub const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
/// `x-amz-security-token`.
pub const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
/// `x-amz-decoded-content-length` (aws-chunked bodies).
pub const X_AMZ_DECODED_CONTENT_LENGTH: HeaderName =
    HeaderName::from_static("x-amz-decoded-content-length");
/// `x-amz-target` (the json protocols' operation).
pub const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
/// `smithy-protocol` (rpc-v2-cbor).
pub const SMITHY_PROTOCOL: HeaderName = HeaderName::from_static("smithy-protocol");
