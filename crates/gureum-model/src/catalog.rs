//! The embedded models and their lazy loading.

use crate::ServiceModel;
use std::sync::{Arc, OnceLock};

/// Why a model could not be had.
#[derive(Debug)]
pub enum ModelError {
    /// No model of that name is vendored.
    Unknown(String),
    /// The vendored JSON did not parse (a bug in the vendoring script).
    Invalid(String, String),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::Unknown(n) => write!(f, "no model named {n}"),
            ModelError::Invalid(n, e) => write!(f, "model {n} is invalid: {e}"),
        }
    }
}

impl std::error::Error for ModelError {}

macro_rules! models {
    ($($name:literal),* $(,)?) => {
        /// (name, JSON text) of every vendored model.
        static EMBEDDED: &[(&str, &str)] = &[
            $(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/", $name, ".json")))),*
        ];
    };
}

models!(
    "acm",
    "apigateway",
    "apigatewaymanagementapi",
    "apigatewayv2",
    "autoscaling",
    "budgets",
    "ce",
    "cloudfront",
    "cloudwatch",
    "dynamodb",
    "dynamodbstreams",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elb",
    "elbv2",
    "events",
    "glacier",
    "iam",
    "kms",
    "lambda",
    "logs",
    "pricing",
    "rds",
    "route53",
    "route53domains",
    "s3",
    "s3control",
    "secretsmanager",
    "ses",
    "sesv2",
    "ssm",
    "service-quotas",
    "sns",
    "sqs",
    "sts",
);

/// A model parsed once, or why it could not be.
type Loaded = Result<Arc<ServiceModel>, String>;

fn cells() -> &'static [OnceLock<Loaded>] {
    static CELLS: OnceLock<Vec<OnceLock<Loaded>>> = OnceLock::new();
    CELLS.get_or_init(|| EMBEDDED.iter().map(|_| OnceLock::new()).collect())
}

/// The names of every vendored model (`s3`, `ec2`, …), sorted.
pub fn services() -> impl Iterator<Item = &'static str> {
    EMBEDDED.iter().map(|(n, _)| *n)
}

/// The model of `name`, parsed on first use and shared afterwards.
pub fn load(name: &str) -> Result<Arc<ServiceModel>, ModelError> {
    let idx = EMBEDDED
        .iter()
        .position(|(n, _)| *n == name)
        .ok_or_else(|| ModelError::Unknown(name.to_string()))?;
    let cell = &cells()[idx];
    let loaded = cell.get_or_init(|| {
        ServiceModel::from_json(EMBEDDED[idx].1)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    });
    match loaded {
        Ok(m) => Ok(m.clone()),
        Err(e) => Err(ModelError::Invalid(name.to_string(), e.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Protocol, ShapeType};

    #[test]
    fn every_vendored_model_parses() {
        for name in services() {
            let m = load(name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!m.operations.is_empty(), "{name} has operations");
            assert!(!m.protocols().is_empty(), "{name} names a known protocol");
            for op in m.operations.values() {
                for r in op
                    .input
                    .iter()
                    .chain(op.output.iter())
                    .chain(op.errors.iter())
                {
                    assert!(
                        m.shape(&r.shape).is_some(),
                        "{name}.{}: missing shape {}",
                        op.name,
                        r.shape
                    );
                }
            }
        }
    }

    #[test]
    fn cloudwatch_accepts_three_protocols() {
        let m = load("cloudwatch").expect("vendored");
        assert_eq!(
            m.protocols(),
            [Protocol::RpcV2Cbor, Protocol::Json10, Protocol::Query]
        );
    }

    #[test]
    fn s3_list_buckets_is_get_slash() {
        let m = load("s3").expect("vendored");
        let op = m.operation("ListBuckets").expect("exists");
        assert_eq!(op.http.method, "GET");
        assert_eq!(op.http.request_uri, "/");
        let out = m
            .shape(&op.output.as_ref().expect("output").shape)
            .expect("shape");
        assert_eq!(out.kind, ShapeType::Structure);
    }

    #[test]
    fn unknown_models_are_an_error() {
        assert!(matches!(load("nope"), Err(ModelError::Unknown(_))));
    }
}
