//! `ModifyTargetGroupAttributes`' checks of the routing attributes:
//! stickiness (its type by the group's protocol, cookie durations, the
//! application cookie's name), slow start and the load balancing
//! algorithm, each value alone and then the combination they leave.

use crate::errors::{invalid_config, validation};
use gureum_core::AwsError;
use std::collections::BTreeMap;

/// The longest a stickiness cookie may last (one week).
const MAX_COOKIE_SECONDS: i64 = 604_800;

/// Cookie names the load balancer keeps for its own cookies.
const RESERVED_COOKIE_PREFIXES: [&str; 3] = ["AWSALB", "AWSALBAPP", "AWSALBTG"];

/// The stickiness types a group of `protocol` (`None`: Lambda) takes.
fn stickiness_types(protocol: Option<&str>) -> &'static [&'static str] {
    match protocol {
        None | Some("HTTP" | "HTTPS") => &["lb_cookie", "app_cookie"],
        Some("GENEVE") => &["source_ip_dest_ip", "source_ip_dest_ip_proto"],
        Some(_) => &["source_ip"],
    }
}

/// Checks one attribute's value for a group of `protocol`.
pub fn check_value(protocol: Option<&str>, key: &str, value: &str) -> Result<(), AwsError> {
    let seconds = || value.parse::<i64>().unwrap_or(-1);
    match key {
        "stickiness.type" if !stickiness_types(protocol).contains(&value) => {
            Err(invalid_config(format!(
                "Stickiness type '{value}' is not supported for target groups with the {} protocol",
                protocol.unwrap_or("lambda")
            )))
        }
        "stickiness.lb_cookie.duration_seconds" | "stickiness.app_cookie.duration_seconds"
            if !(1..=MAX_COOKIE_SECONDS).contains(&seconds()) =>
        {
            Err(validation(format!(
                "The value of '{key}' must be between 1 and {MAX_COOKIE_SECONDS} seconds"
            )))
        }
        "slow_start.duration_seconds" if seconds() != 0 && !(30..=900).contains(&seconds()) => {
            Err(validation(format!(
                "The value of '{key}' must be 0 (disabled) or between 30 and 900 seconds"
            )))
        }
        "stickiness.app_cookie.cookie_name"
            if RESERVED_COOKIE_PREFIXES
                .iter()
                .any(|p| value.to_ascii_uppercase().starts_with(p)) =>
        {
            Err(validation(format!(
                "Application cookie name '{value}' is not valid: the prefixes 'AWSALB', 'AWSALBAPP' and 'AWSALBTG' are reserved"
            )))
        }
        "load_balancing.algorithm.type"
            if !matches!(
                value,
                "round_robin" | "least_outstanding_requests" | "weighted_random"
            ) =>
        {
            Err(validation(format!(
                "'{value}' is not a valid load balancing algorithm type"
            )))
        }
        _ => Ok(()),
    }
}

/// Checks the combination the attributes leave.
pub fn check_combination(attributes: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let get = |k: &str| attributes.get(k).map_or("", String::as_str);
    if get("stickiness.enabled") == "true"
        && get("stickiness.type") == "app_cookie"
        && get("stickiness.app_cookie.cookie_name").is_empty()
    {
        return Err(invalid_config(
            "You must set an application cookie name to enable stickiness of type 'app_cookie'",
        ));
    }
    let slow_start = get("slow_start.duration_seconds");
    let algorithm = get("load_balancing.algorithm.type");
    if !matches!(slow_start, "" | "0")
        && matches!(algorithm, "least_outstanding_requests" | "weighted_random")
    {
        return Err(invalid_config(format!(
            "Slow start mode cannot be enabled with the '{algorithm}' load balancing algorithm"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<(), AwsError>) -> String {
        r.expect_err("refused").message
    }

    #[test]
    fn stickiness_types_follow_the_protocol() {
        assert!(check_value(Some("HTTP"), "stickiness.type", "app_cookie").is_ok());
        assert!(check_value(Some("TCP"), "stickiness.type", "source_ip").is_ok());
        assert_eq!(
            message(check_value(Some("UDP"), "stickiness.type", "lb_cookie")),
            "Stickiness type 'lb_cookie' is not supported for target groups with the UDP protocol"
        );
    }

    #[test]
    fn durations_and_cookie_names_are_bounded() {
        let d = "stickiness.lb_cookie.duration_seconds";
        assert!(check_value(Some("HTTP"), d, "604800").is_ok());
        assert!(check_value(Some("HTTP"), d, "0").is_err());
        assert!(check_value(Some("HTTP"), "slow_start.duration_seconds", "0").is_ok());
        assert!(check_value(Some("HTTP"), "slow_start.duration_seconds", "29").is_err());
        assert!(check_value(Some("HTTP"), "stickiness.app_cookie.cookie_name", "AWSALBX").is_err());
        assert!(check_value(Some("HTTP"), "stickiness.app_cookie.cookie_name", "SESSION").is_ok());
    }

    #[test]
    fn app_cookie_stickiness_needs_a_name_and_slow_start_needs_round_robin() {
        let mut a: BTreeMap<String, String> = [
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
            ("stickiness.app_cookie.cookie_name", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert!(
            message(check_combination(&a)).starts_with("You must set an application cookie name")
        );
        a.insert("stickiness.app_cookie.cookie_name".into(), "S".into());
        a.insert("slow_start.duration_seconds".into(), "30".into());
        a.insert(
            "load_balancing.algorithm.type".into(),
            "weighted_random".into(),
        );
        assert!(check_combination(&a).is_err());
        a.insert("load_balancing.algorithm.type".into(), "round_robin".into());
        assert!(check_combination(&a).is_ok());
    }
}
