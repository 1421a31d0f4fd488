//! EC2's `Filter.N.Name` / `Filter.N.Value.M` filters.
//!
//! Within one filter the values are OR-ed; filters are AND-ed. Values may
//! use `*` (any run) and `?` (one character), as EC2 documents.

use crate::common::errors::Ec2Error;
use gureum_core::arn::wildcard_match;
use gureum_core::{AwsError, Value};

/// One parsed filter.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The filter name, e.g. `region-name`.
    pub name: String,
    /// Accepted values (wildcards allowed).
    pub values: Vec<String>,
}

/// Reads the `Filters` member of an input.
pub fn parse(input: &Value) -> Vec<Filter> {
    input
        .get("Filters")
        .and_then(Value::as_array)
        .map(|filters| {
            filters
                .iter()
                .map(|f| Filter {
                    name: f
                        .get("Name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    values: f
                        .get("Values")
                        .and_then(Value::as_array)
                        .map(|v| {
                            v.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Refuses filter names the operation does not support, as EC2 does.
pub fn check_names(filters: &[Filter], supported: &[&str]) -> Result<(), AwsError> {
    for f in filters {
        if !supported.contains(&f.name.as_str()) {
            return Err(AwsError::from(Ec2Error::InvalidParameterValue {
                message: format!("The filter '{}' is invalid", f.name),
            }));
        }
    }
    Ok(())
}

/// Whether a resource passes every filter. `field` gives the resource's
/// values for a filter name (several for multi-valued attributes).
pub fn matches<'a>(filters: &[Filter], field: impl Fn(&str) -> Vec<&'a str>) -> bool {
    filters.iter().all(|f| {
        let have = field(&f.name);
        f.values
            .iter()
            .any(|want| have.iter().any(|h| wildcard_match(want, h)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_ored_and_filters_anded() {
        let fs = parse(&json!({"Filters": [
            {"Name": "a", "Values": ["x", "y"]},
            {"Name": "b", "Values": ["z*"]}
        ]}));
        let pick = |a: &'static str, b: &'static str| {
            move |n: &str| if n == "a" { vec![a] } else { vec![b] }
        };
        assert!(matches(&fs, pick("y", "zeta")));
        assert!(!matches(&fs, pick("q", "zeta")));
        assert!(!matches(&fs, pick("x", "beta")));
    }

    #[test]
    fn unknown_filter_names_are_refused() {
        let fs = parse(&json!({"Filters": [{"Name": "nope", "Values": ["1"]}]}));
        assert_eq!(
            check_names(&fs, &["region-name"]).map_err(|e| e.code),
            Err("InvalidParameterValue".into())
        );
    }
}
