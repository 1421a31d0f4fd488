//! The `Filters` describe operations take: `[{Name, Values}]`.
//!
//! EC2, RDS, ELB and Auto Scaling share the shape and the rule: values of
//! one filter are OR-ed, filters are AND-ed, and values may use `*` (any
//! run) and `?` (one character). Which names an operation accepts, and
//! what a resource's values are for a name, belong to the resource type;
//! refusing an unknown name is the service's error, with its wording.

use gureum_core::arn::wildcard_match;
use gureum_core::Value;

/// One filter of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// The filter's name (`vpc-id`, `tag:Name`).
    pub name: String,
    /// The accepted values (wildcards allowed).
    pub values: Vec<String>,
}

impl Filter {
    /// Whether any of `have` matches any of the filter's values.
    pub fn accepts<S: AsRef<str>>(&self, have: &[S]) -> bool {
        self.values
            .iter()
            .any(|want| have.iter().any(|h| wildcard_match(want, h.as_ref())))
    }
}

/// Reads an input's `member` list of filters (`Filters` in most models).
pub fn parse(input: &Value, member: &str) -> Vec<Filter> {
    let Some(filters) = input.get(member).and_then(Value::as_array) else {
        return Vec::new();
    };
    filters
        .iter()
        .map(|f| Filter {
            name: gureum_core::member::str_member(f, "Name")
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
}

/// The first filter whose name is not in `supported` (the service answers
/// its own error for it).
pub fn unsupported<'a>(filters: &'a [Filter], supported: &[&str]) -> Option<&'a Filter> {
    filters
        .iter()
        .find(|f| !supported.contains(&f.name.as_str()))
}

/// Whether a resource passes every filter; `values` gives the resource's
/// values for a filter name (several for multi-valued attributes).
pub fn matches_all<S: AsRef<str>>(filters: &[Filter], values: impl Fn(&str) -> Vec<S>) -> bool {
    filters.iter().all(|f| f.accepts(&values(&f.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_ored_and_filters_anded() {
        let fs = parse(
            &json!({"Filters": [
                {"Name": "state", "Values": ["available", "pending"]},
                {"Name": "cidr", "Values": ["10.*"]}]}),
            "Filters",
        );
        let r1 = |n: &str| match n {
            "state" => vec!["pending"],
            _ => vec!["10.0.0.0/16"],
        };
        assert!(matches_all(&fs, r1));
        let r2 = |n: &str| match n {
            "state" => vec!["available"],
            _ => vec!["172.31.0.0/16"],
        };
        assert!(!matches_all(&fs, r2));
    }

    #[test]
    fn unknown_names_are_reported() {
        let fs = parse(
            &json!({"Filters": [{"Name": "nope", "Values": ["x"]}]}),
            "Filters",
        );
        assert_eq!(
            unsupported(&fs, &["state"]).map(|f| f.name.as_str()),
            Some("nope")
        );
        assert!(unsupported(&fs, &["nope"]).is_none());
    }
}
