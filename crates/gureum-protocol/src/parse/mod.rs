//! Request parsing: from HTTP to an operation and its input [`Value`].
//!
//! Routing ([`resolve_operation`]) and reading ([`parse_request`]) are
//! separate steps so that the server can authorize the operation before it
//! reads the input. Each protocol lives in its own module:
//!
//! - `query`: `query` and `ec2` form fields (`A.member.1=x`);
//! - `json`: awsJson 1.0/1.1 bodies (also rest-json bodies);
//! - `cbor`: Smithy RPC v2 CBOR bodies;
//! - `rest`: labels, query string, headers and payload of rest-json and
//!   rest-xml, with `xml` / `xml_read` for XML bodies and `route` for URI
//!   templates;
//! - `common`: scalars from text, value conventions, depth bounds.
//!
//! No parser panics on any input: malformed input is a
//! [`ParseError::Malformed`], nesting is bounded, and query list indices
//! are collected sparsely.

mod cbor;
mod common;
mod json;
mod query;
mod rest;
mod route;
#[cfg(test)]
mod tests;
mod xml;
mod xml_read;

use crate::{ParseError, Request, Value};
use gureum_model::{OperationModel, Protocol, ServiceModel};

/// The operation a request names, with what routing learned on the way.
#[derive(Debug)]
pub struct ResolvedOperation<'m> {
    /// The operation.
    pub operation: &'m OperationModel,
    /// URI labels captured by a rest URI template (`Bucket`, `Key+`),
    /// percent-decoded, keyed by label name without the `+`.
    pub labels: Vec<(String, String)>,
}

impl<'m> ResolvedOperation<'m> {
    fn plain(operation: &'m OperationModel) -> Self {
        ResolvedOperation {
            operation,
            labels: Vec::new(),
        }
    }
}

/// Finds the operation `request` names in `model`, speaking `protocol`.
pub fn resolve_operation<'m>(
    model: &'m ServiceModel,
    protocol: Protocol,
    request: &Request<'_>,
) -> Result<ResolvedOperation<'m>, ParseError> {
    let by_name = |name: &str| {
        model
            .operation(name)
            .map(ResolvedOperation::plain)
            .ok_or_else(|| ParseError::UnknownOperation(name.to_string()))
    };
    match protocol {
        Protocol::Query | Protocol::Ec2 => match query::action(request) {
            Some(action) => by_name(&action),
            None => Err(ParseError::UnknownOperation(String::new())),
        },
        Protocol::Json10 | Protocol::Json11 => {
            let target = request
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .trim();
            let op = match model.metadata.target_prefix.as_deref() {
                Some(prefix) => target
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('.')),
                None => target.rsplit_once('.').map(|(_, op)| op),
            };
            match op {
                Some(op) => by_name(op),
                None => Err(ParseError::UnknownOperation(target.to_string())),
            }
        }
        Protocol::RpcV2Cbor => {
            // `/service/<ServiceName>/operation/<Operation>`, maybe below a
            // base path: read the last four segments.
            let segs: Vec<&str> = request.path.trim_end_matches('/').split('/').collect();
            match segs.as_slice() {
                [.., "service", svc, "operation", op] if !svc.is_empty() => {
                    by_name(&common::percent_decode(op))
                }
                _ => Err(ParseError::UnknownOperation(request.path.to_string())),
            }
        }
        Protocol::RestJson | Protocol::RestXml => {
            // Keys and labels are UTF-8 exactly: an escape that decodes to
            // invalid UTF-8 (`%FF`, the overlong `%C0%AF`) is refused, never
            // replaced by U+FFFD (which would make different keys collide).
            common::check_utf8_escapes(request.path)?;
            common::check_utf8_escapes(request.query)?;
            let table = route::table_for(model);
            let unknown =
                || ParseError::UnknownOperation(format!("{} {}", request.method, request.path));
            let (route, labels) = table
                .find(request.method, request.path, request.query, request.headers)
                .ok_or_else(unknown)?;
            match model.operations.get_index(route.op_index) {
                Some((name, op)) if *name == route.op_name => Ok(ResolvedOperation {
                    operation: op,
                    labels,
                }),
                _ => {
                    // A stale cached table (a model at a reused address):
                    // forget it and route afresh, uncached.
                    route::forget(model);
                    let fresh = route::RouteTable::build(model);
                    let (route, labels) = fresh
                        .find(request.method, request.path, request.query, request.headers)
                        .ok_or_else(unknown)?;
                    let (_, op) = model
                        .operations
                        .get_index(route.op_index)
                        .ok_or_else(unknown)?;
                    Ok(ResolvedOperation {
                        operation: op,
                        labels,
                    })
                }
            }
        }
    }
}

/// Reads the input of `resolved` from `request`. Does not validate
/// constraints (see [`crate::validate`]); does refuse malformed input.
pub fn parse_request(
    model: &ServiceModel,
    protocol: Protocol,
    resolved: &ResolvedOperation<'_>,
    request: &Request<'_>,
) -> Result<Value, ParseError> {
    let input = resolved.operation.input.as_ref();
    match protocol {
        Protocol::Query => query::parse(model, input, request, false),
        Protocol::Ec2 => query::parse(model, input, request, true),
        Protocol::Json10 | Protocol::Json11 => json::parse_body(model, input, request.body),
        Protocol::RpcV2Cbor => cbor::parse_body(model, input, request.body),
        Protocol::RestJson => rest::parse(model, resolved, request, rest::BodyFormat::Json),
        Protocol::RestXml => rest::parse(model, resolved, request, rest::BodyFormat::Xml),
    }
}
