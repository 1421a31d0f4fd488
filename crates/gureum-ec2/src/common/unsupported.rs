//! Request members EC2 accepts that Gureum does not implement yet: each is
//! refused with `UnsupportedOperation` naming it, never accepted and
//! ignored (issue 13; `scripts/audit_parameters.py` lists what no code
//! reads).

use gureum_core::{AwsError, Value};

use super::errors::Ec2Error;

/// `UnsupportedOperation` for the first of `members` the request sets.
/// A member counts as set unless it is absent, null, `false`, `0`, an
/// empty string or an empty list: the values that ask for nothing.
pub fn refuse_unimplemented(input: &Value, members: &[&str]) -> Result<(), AwsError> {
    let set = |v: &Value| match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        _ => true,
    };
    match members.iter().find(|m| input.get(**m).is_some_and(set)) {
        Some(m) => Err(Ec2Error::UnsupportedParameter {
            parameter: (*m).to_string(),
        }
        .into()),
        None => Ok(()),
    }
}

/// `UnsupportedOperation` unless each field the request gives in the
/// structure `member` equals what Gureum shows (`shown`): the options it
/// displays but cannot vary.
pub fn refuse_unless_shown(input: &Value, member: &str, shown: &Value) -> Result<(), AwsError> {
    let Some(given) = input.get(member).and_then(Value::as_object) else {
        return Ok(());
    };
    for (field, value) in given {
        let same = match (shown.get(field), value) {
            (Some(s), v) if s == v => true,
            // Numbers may arrive as strings from the query protocol.
            (Some(s), Value::String(v)) => {
                s.as_i64().is_some() && v.parse::<i64>().ok() == s.as_i64()
            }
            _ => false,
        };
        if !same {
            return Err(Ec2Error::UnsupportedValue {
                parameter: format!("{member}.{field}"),
                value: match value {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                },
                shown: match shown.get(field) {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => "none".into(),
                },
            }
            .into());
        }
    }
    Ok(())
}

/// `UnsupportedOperation` when the request sets `member` to anything but
/// `shown`, the one value Gureum does (a number compares as text).
pub fn refuse_unless_value(input: &Value, member: &str, shown: &str) -> Result<(), AwsError> {
    let value = match input.get(member) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    if value == shown {
        return Ok(());
    }
    Err(Ec2Error::UnsupportedValue {
        parameter: member.to_string(),
        value,
        shown: shown.to_string(),
    }
    .into())
}

/// What `CreateVpc` and `AssociateVpcCidrBlock` cannot do: IPv6 blocks
/// and IPAM pools.
pub const VPC_CIDR: &[&str] = &[
    "AmazonProvidedIpv6CidrBlock",
    "Ipv6CidrBlock",
    "Ipv6Pool",
    "Ipv6CidrBlockNetworkBorderGroup",
    "Ipv4IpamPoolId",
    "Ipv4NetmaskLength",
    "Ipv6IpamPoolId",
    "Ipv6NetmaskLength",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_shown_values_pass() {
        let shown = json!({"Enabled": false});
        assert!(refuse_unless_shown(
            &json!({"EnclaveOptions": {"Enabled": false}}),
            "EnclaveOptions",
            &shown
        )
        .is_ok());
        let e = refuse_unless_shown(
            &json!({"EnclaveOptions": {"Enabled": true}}),
            "EnclaveOptions",
            &shown,
        )
        .expect_err("refused");
        assert_eq!(
            e.message,
            "Gureum does not implement EnclaveOptions.Enabled = true yet: only the value it shows (false) is accepted."
        );
    }

    #[test]
    fn one_value_passes() {
        assert!(
            refuse_unless_value(&json!({"Location": "regional"}), "Location", "regional").is_ok()
        );
        assert!(refuse_unless_value(&json!({"EbsCardIndex": 0}), "EbsCardIndex", "0").is_ok());
        let e = refuse_unless_value(&json!({"Location": "local"}), "Location", "regional")
            .expect_err("refused");
        assert_eq!(
            e.message,
            "Gureum does not implement Location = local yet: only the value it shows (regional) is accepted."
        );
    }

    #[test]
    fn only_members_that_ask_for_something_are_refused() {
        let m = &["AmazonProvidedIpv6CidrBlock", "Ipv4IpamPoolId"];
        assert!(refuse_unimplemented(&json!({"AmazonProvidedIpv6CidrBlock": false}), m).is_ok());
        assert!(refuse_unimplemented(&json!({"Ipv4IpamPoolId": ""}), m).is_ok());
        let e = refuse_unimplemented(&json!({"Ipv4IpamPoolId": "ipam-pool-1"}), m)
            .expect_err("refused");
        assert_eq!((e.code.as_str(), e.status), ("UnsupportedOperation", 400));
        assert_eq!(
            e.message,
            "Gureum does not implement the parameter Ipv4IpamPoolId yet: the request is refused rather than the parameter ignored."
        );
    }
}
