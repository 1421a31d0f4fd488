//! Any request, as any of the six protocols, against real service models:
//! routing, parsing and validation return a value or an error, never a
//! panic or a hang.
#![no_main]

use arbitrary::Arbitrary;
use gureum_model::{Protocol, ServiceModel};
use gureum_protocol::{parse_request, resolve_operation, validate, Request};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    service: u8,
    method: u8,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

/// One model per protocol (CloudWatch also speaks query and json).
fn models() -> &'static [(Arc<ServiceModel>, Protocol)] {
    static MODELS: OnceLock<Vec<(Arc<ServiceModel>, Protocol)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        [
            ("s3", Protocol::RestXml),
            ("dynamodb", Protocol::Json10),
            ("kms", Protocol::Json11),
            ("iam", Protocol::Query),
            ("ec2", Protocol::Ec2),
            ("lambda", Protocol::RestJson),
            ("cloudwatch", Protocol::RpcV2Cbor),
            ("cloudwatch", Protocol::Query),
            ("route53", Protocol::RestXml),
        ]
        .into_iter()
        .map(|(name, p)| (gureum_model::load(name).expect("vendored model"), p))
        .collect()
    })
}

const METHODS: [&str; 6] = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"];

fuzz_target!(|input: Input<'_>| {
    let models = models();
    let (model, protocol) = &models[usize::from(input.service) % models.len()];
    let mut headers = http::HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let request = Request {
        method: METHODS[usize::from(input.method) % METHODS.len()],
        path: input.path,
        query: input.query,
        headers: &headers,
        body: input.body,
    };
    let Ok(resolved) = resolve_operation(model, *protocol, &request) else {
        return;
    };
    let Ok(value) = parse_request(model, *protocol, &resolved, &request) else {
        return;
    };
    if let Some(shape) = resolved
        .operation
        .input
        .as_ref()
        .and_then(|r| model.shape(&r.shape))
    {
        let _ = validate(model, shape, &value);
    }
});
