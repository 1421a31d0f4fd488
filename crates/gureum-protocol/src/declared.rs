//! Checks a service's declared errors against its model.
//!
//! A service declares its errors with [`gureum_core::aws_errors!`]; its
//! unit test hands the declared table to [`check_declared_errors`], which
//! refuses a code the model does not know (a typo reaches clients as an
//! unparseable error), a status that disagrees with the shape's
//! `httpStatusCode`, and codes declared twice with different statuses
//! (the disagreement the kit exists to end).
//!
//! Codes outside the model pass when they are AWS's common errors
//! ([`gureum_core::CommonError`]) or in the service's own `documented`
//! list: codes AWS's API reference names but the model leaves out (EC2's
//! model declares no error shapes at all; S3's declares only a few).

use crate::serialize::errors::ErrorInfo;
use gureum_core::{AwsError, CommonError, DeclaredError};
use gureum_model::ServiceModel;

/// Every problem with `declared` against `model`, one line each (empty
/// when all is well). `documented` lists codes the service's API reference
/// documents beyond the model's error shapes.
pub fn check_declared_errors(
    model: &ServiceModel,
    declared: &[DeclaredError],
    documented: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    for d in declared {
        let probe = AwsError::new(d.code, d.status, "");
        let info = ErrorInfo::resolve(model, &probe);
        match info.shape {
            Some(shape) => {
                let modelled = shape.error.as_ref().and_then(|e| e.http_status_code);
                if let Some(status) = modelled.filter(|s| *s != d.status) {
                    problems.push(format!(
                        "{}: {} is declared with status {}, the model says {status}",
                        d.variant, d.code, d.status
                    ));
                }
            }
            None => {
                let common = CommonError::DECLARED.iter().any(|c| c.code == d.code);
                if !common && !documented.contains(&d.code) {
                    problems.push(format!(
                        "{}: {} is neither an error shape of the model, a common error, \
                         nor in the service's documented codes",
                        d.variant, d.code
                    ));
                }
            }
        }
        if let Some(other) = declared
            .iter()
            .find(|o| o.code == d.code && o.status != d.status)
        {
            problems.push(format!(
                "{}: {} has status {} here and {} in {}",
                d.variant, d.code, d.status, other.status, other.variant
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata":{"protocol":"query"},"operations":{},"shapes":{
              "NoSuchEntityException":{"type":"structure","members":{"message":{"shape":"S"}},
                "error":{"code":"NoSuchEntity","httpStatusCode":404,"senderFault":true},"exception":true},
              "S":{"type":"string"}}}"#,
        )
        .expect("model")
    }

    fn declared(variant: &'static str, code: &'static str, status: u16) -> DeclaredError {
        DeclaredError {
            variant,
            code,
            status,
            message: "",
        }
    }

    #[test]
    fn modelled_codes_must_carry_the_model_status() {
        let m = model();
        assert!(check_declared_errors(&m, &[declared("A", "NoSuchEntity", 404)], &[]).is_empty());
        let p = check_declared_errors(&m, &[declared("A", "NoSuchEntity", 400)], &[]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("the model says 404"), "{p:?}");
    }

    #[test]
    fn unknown_codes_pass_only_when_common_or_documented() {
        let m = model();
        assert!(
            check_declared_errors(&m, &[declared("V", "ValidationError", 400)], &[]).is_empty()
        );
        let typo = [declared("T", "NoSuchEntitty", 404)];
        assert_eq!(check_declared_errors(&m, &typo, &[]).len(), 1);
        assert!(check_declared_errors(&m, &typo, &["NoSuchEntitty"]).is_empty());
    }

    #[test]
    fn one_code_with_two_statuses_is_refused() {
        let m = model();
        let p = check_declared_errors(
            &m,
            &[
                declared("A", "AuthFailure", 401),
                declared("B", "AuthFailure", 400),
            ],
            &["AuthFailure"],
        );
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
