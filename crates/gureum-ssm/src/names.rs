//! Parameter Store's naming rules: parameter names, hierarchies, labels,
//! `name:version` / `name:label` selectors, and parameter ARNs.

use crate::SsmError;
use gureum_core::{AwsError, CommonError, RequestContext};

/// The deepest hierarchy AWS allows (`/1/2/…/15`).
pub const MAX_LEVELS: usize = 15;

/// AWS's message for a name with other characters or a reserved prefix.
const BAD_NAME: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// AWS's message for a name with a `/` that does not start with one.
const NOT_QUALIFIED: &str = "Parameter name must be a fully qualified name.";

fn validation(message: &str) -> AwsError {
    CommonError::ValidationException {
        message: message.to_string(),
    }
    .into()
}

/// Whether `name` begins with a reserved prefix (`aws`, `ssm`, with or
/// without a leading slash, any case).
pub fn reserved(name: &str) -> bool {
    let bare = name.strip_prefix('/').unwrap_or(name).to_ascii_lowercase();
    bare.starts_with("aws") || bare.starts_with("ssm")
}

/// How many levels a name has (`/a/b` has 2, `a` has 1).
pub fn levels(name: &str) -> usize {
    name.split('/').filter(|s| !s.is_empty()).count()
}

/// Checks a name a write may use (`PutParameter`).
pub fn check_writable(name: &str) -> Result<(), AwsError> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if !chars_ok || reserved(name) || name.contains("//") || name.ends_with('/') {
        return Err(validation(BAD_NAME));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(validation(NOT_QUALIFIED));
    }
    if levels(name) > MAX_LEVELS {
        return Err(SsmError::HierarchyTooDeep.into());
    }
    Ok(())
}

/// What a `name:…` selector picks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The newest version.
    Latest,
    /// One version number.
    Version(i64),
    /// The version carrying a label.
    Label(String),
}

/// Splits `name[:selector]` (names never contain `:`).
pub fn split_selector(full: &str) -> (&str, Selector) {
    match full.split_once(':') {
        None => (full, Selector::Latest),
        Some((name, sel)) => match sel.parse::<i64>() {
            Ok(v) => (name, Selector::Version(v)),
            Err(_) => (name, Selector::Label(sel.to_string())),
        },
    }
}

/// Whether `label` follows AWS's label rules: at most 100 characters of
/// letters, digits, `.`, `-` and `_`, not starting with a digit, `aws`
/// or `ssm`.
pub fn valid_label(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

/// A parameter's ARN (`arn:aws:ssm:REGION:ACCOUNT:parameter/a/b`).
pub fn arn(ctx: &RequestContext, name: &str) -> String {
    arn_in(&ctx.region, &ctx.account_id, name)
}

/// A parameter's ARN in `region` and `account` (empty for AWS's public
/// parameters, which AWS writes with no account).
pub fn arn_in(region: &str, account: &str, name: &str) -> String {
    let sep = if name.starts_with('/') { "" } else { "/" };
    format!("arn:aws:ssm:{region}:{account}:parameter{sep}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_may_not_start_with_aws_or_ssm_in_any_case() {
        for name in ["aws-x", "/AWS/x", "ssm", "/Ssm/thing"] {
            let e = check_writable(name).expect_err(name);
            assert_eq!(e.code, "ValidationException");
        }
        assert!(check_writable("/app/awsome").is_ok());
    }

    #[test]
    fn a_name_with_a_slash_must_start_with_one() {
        let e = check_writable("a/b").expect_err("unqualified");
        assert_eq!(e.message, NOT_QUALIFIED);
    }

    #[test]
    fn hierarchies_stop_at_fifteen_levels() {
        let fifteen: String = (0..15).map(|i| format!("/l{i}")).collect();
        assert!(check_writable(&fifteen).is_ok());
        let e = check_writable(&format!("{fifteen}/x")).expect_err("16");
        assert_eq!(e.code, "HierarchyLevelLimitExceededException");
    }

    #[test]
    fn selectors_pick_versions_or_labels() {
        assert_eq!(split_selector("/a:3"), ("/a", Selector::Version(3)));
        assert_eq!(
            split_selector("/a:prod"),
            ("/a", Selector::Label("prod".into()))
        );
        assert_eq!(split_selector("/a"), ("/a", Selector::Latest));
    }

    #[test]
    fn labels_may_not_start_with_a_digit_or_a_reserved_prefix() {
        assert!(valid_label("prod-1.x_y"));
        for bad in ["1abc", "awsx", "SSMy", "a b", "", &"x".repeat(101)] {
            assert!(!valid_label(bad), "{bad}");
        }
    }

    #[test]
    fn arns_put_one_slash_after_parameter() {
        assert_eq!(arn_in("r", "1", "/a/b"), "arn:aws:ssm:r:1:parameter/a/b");
        assert_eq!(arn_in("r", "1", "a"), "arn:aws:ssm:r:1:parameter/a");
    }
}
