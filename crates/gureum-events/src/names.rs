//! The model's name patterns, which EventBridge checks before anything
//! else (rule names, target ids, bus names, statement ids, principals),
//! answered in AWS's validation-error wording.

use crate::common::invalid;
use gureum_core::AwsError;

/// `[\.\-_A-Za-z0-9]+`: rule names and target ids.
pub const NAME_PATTERN: &str = r"[\.\-_A-Za-z0-9]+";
/// `[/\.\-_A-Za-z0-9]+`: bus names.
pub const BUS_PATTERN: &str = r"[/\.\-_A-Za-z0-9]+";
/// `[a-zA-Z0-9-_]+`: policy statement ids.
pub const STATEMENT_PATTERN: &str = "[a-zA-Z0-9-_]+";
/// `(\d{12}|\*)`: a principal given to `PutPermission`.
pub const PRINCIPAL_PATTERN: &str = r"(\d{12}|\*)";

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// Whether `value` matches `pattern` (one of this module's).
fn matches(pattern: &str, value: &str) -> bool {
    match pattern {
        NAME_PATTERN => !value.is_empty() && value.chars().all(name_char),
        BUS_PATTERN => !value.is_empty() && value.chars().all(|c| name_char(c) || c == '/'),
        STATEMENT_PATTERN => {
            !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
        PRINCIPAL_PATTERN => {
            value == "*" || value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())
        }
        _ => true,
    }
}

/// Refuses `value` at `member` (the wire path, `name`, `targets.1.member.id`)
/// unless it matches `pattern`.
pub fn check(member: &str, value: &str, pattern: &str) -> Result<(), AwsError> {
    if matches(pattern, value) {
        return Ok(());
    }
    Err(invalid(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_take_letters_digits_dots_dashes_and_underscores() {
        assert!(check("name", "my-rule_1.x", NAME_PATTERN).is_ok());
        let e = check("name", "bad name!", NAME_PATTERN).expect_err("refused");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
        );
    }

    #[test]
    fn bus_names_may_hold_slashes() {
        assert!(check("name", "aws.partner/x/y", BUS_PATTERN).is_ok());
        assert!(check("name", "a b", BUS_PATTERN).is_err());
    }

    #[test]
    fn principals_are_an_account_or_a_star() {
        assert!(check("principal", "123456789012", PRINCIPAL_PATTERN).is_ok());
        assert!(check("principal", "*", PRINCIPAL_PATTERN).is_ok());
        assert!(check("principal", "12345", PRINCIPAL_PATTERN).is_err());
    }
}
