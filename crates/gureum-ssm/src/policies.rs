//! Parameter policies (`Policies`): checked when written, and the
//! `Expiration` policy applied on Gureum's clock — once its timestamp
//! passes, the parameter is gone, as AWS deletes it. The notification
//! policies (`ExpirationNotification`, `NoChangeNotification`) are kept
//! and listed; they would send EventBridge events, which Gureum does not
//! emit yet.

use crate::{Parameter, SsmError};
use gureum_core::member::str_member;
use gureum_core::timestamp::parse_iso8601;
use gureum_core::{AwsError, Value};

/// The policy types Parameter Store knows.
const TYPES: [&str; 3] = [
    "Expiration",
    "ExpirationNotification",
    "NoChangeNotification",
];

/// Checks a `Policies` document: a JSON array of policies of known types.
pub fn check(text: &str) -> Result<(), AwsError> {
    let parsed: Vec<Value> = serde_json::from_str(text).map_err(|_| SsmError::BadPolicyType)?;
    for p in &parsed {
        let kind = str_member(p, "Type").unwrap_or_default();
        if !TYPES.contains(&kind) {
            return Err(SsmError::BadPolicyType.into());
        }
        if kind == "Expiration" && expiration(p).is_none() {
            return Err(SsmError::BadPolicyAttribute.into());
        }
    }
    Ok(())
}

/// The epoch milliseconds an `Expiration` policy names.
fn expiration(policy: &Value) -> Option<i64> {
    let ts = policy
        .get("Attributes")
        .and_then(|a| str_member(a, "Timestamp"))?;
    parse_iso8601(ts)
}

/// When the parameter's newest version expires, if it does.
pub fn expires_ms(p: &Parameter) -> Option<i64> {
    let text = p.latest().policies.as_deref()?;
    let parsed: Vec<Value> = serde_json::from_str(text).ok()?;
    parsed
        .iter()
        .filter(|p| str_member(p, "Type") == Some("Expiration"))
        .filter_map(expiration)
        .min()
}

impl Parameter {
    /// Whether an `Expiration` policy has removed the parameter by `now`.
    pub fn expired(&self, now: i64) -> bool {
        expires_ms(self).is_some_and(|t| t <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_policy_types_are_accepted() {
        assert!(check(r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}}]"#).is_ok());
        assert_eq!(
            check(r#"[{"Type":"Nope"}]"#).expect_err("type").code,
            "InvalidPolicyTypeException"
        );
        assert_eq!(
            check(r#"[{"Type":"Expiration","Attributes":{}}]"#)
                .expect_err("attr")
                .code,
            "InvalidPolicyAttributeException"
        );
    }
}
