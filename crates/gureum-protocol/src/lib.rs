//! AWS's wire protocols, implemented once and driven by the service models.
//!
//! A request goes through three steps, each a function here:
//!
//! 1. [`resolve_operation`] finds the operation a request names: `Action=`
//!    for query/ec2, `X-Amz-Target` for json, the `/service/…/operation/…`
//!    path for rpc-v2-cbor, and the method + URI template (+ required query
//!    keys) for rest-json/rest-xml.
//! 2. [`parse_request`] reads the request into a [`Value`] of the
//!    operation's input shape, then [`validate`] checks it against the
//!    model's constraints (required, enums, lengths, ranges).
//! 3. [`serialize_output`] / [`serialize_error`] write the handler's answer
//!    in the protocol's response format.
//!
//! # Values
//!
//! Inputs and outputs are [`serde_json::Value`] trees shaped like the model
//! (member names as the model spells them), with these conventions so that a
//! value never depends on the wire it came from:
//!
//! | shape | value |
//! |---|---|
//! | structure, map | object |
//! | list | array |
//! | string, enum | string |
//! | integer, long, short, byte | integer number |
//! | float, double | number; NaN and ±Infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | boolean | bool |
//! | timestamp | epoch seconds as a number (integer when whole, else fractional) |
//! | blob | base64 text (standard alphabet, padded) |
//! | document | the JSON value itself |
//!
//! Absent members are absent (never `null`). Streaming blob payloads (S3
//! object bodies) are not part of the value: services read and write those
//! bodies themselves.

pub mod check_output;
pub mod declared;
pub mod error;
pub mod eventstream;
pub mod parse;
pub mod serialize;
pub mod validate;

mod request;

pub use check_output::check_output;
pub use declared::check_declared_errors;
pub use error::ParseError;
pub use parse::{parse_request, resolve_operation, ResolvedOperation};
pub use request::{Request, Response};
pub use serialize::{serialize_error, serialize_output};
pub use validate::{validate, validate_with, Checks, ValidationIssue};

/// The value type inputs and outputs are made of (see the crate docs).
pub type Value = serde_json::Value;
